"""The generated eval-smoke CI job, run step by step on a fresh render, offline.

The job installs the workspace (`uv sync`) and runs `uv run python tools/eval_smoke.py`. Here
the osmosis venv stands in for the synced root environment (it holds the same pinned osmosis-ai),
so the smoke step runs as `python tools/eval_smoke.py` with that venv first on PATH: a real
`osmosis eval run` per rollout against the rollout's scripted model on 127.0.0.1, with no
network but the package registry (the CLI installs the rollout's own environment). A fresh
render passes; the same render with a grader that raises fails, naming the failed rows.

Both tests use one committed copy of the render (the broken grader is restored afterwards), so
the rollout environment `osmosis eval run` installs, and its bytecode, are made once.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from support.combo_renders import combo_render
from support.helpers import Osmosis, committed_copy, git

pytestmark = [pytest.mark.osmosis, pytest.mark.slow]

#: A render without the worked examples: one local rollout, so one `osmosis eval run` per case.
COMBO = "cu-lo-p-exact-match"


def smoke_steps(workspace: Path) -> list[str]:
    """The `run:` commands of the eval-smoke job, in order."""
    workflow = yaml.safe_load((workspace / ".github/workflows/eval-smoke.yml").read_text())
    (job,) = workflow["jobs"].values()
    return [step["run"] for step in job["steps"] if "run" in step]


def run_smoke(workspace: Path, osmosis: Osmosis) -> subprocess.CompletedProcess[str]:
    steps = smoke_steps(workspace)
    assert steps == ["uv sync", "uv run python tools/eval_smoke.py"], steps
    command = steps[-1].removeprefix("uv run ").split()
    return subprocess.run(
        [str(osmosis.bin_dir / command[0]), *command[1:]],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=900,
        env=osmosis.env(),
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One committed copy of the render for both tests (each leaves it as committed)."""
    render = combo_render(tmp_path_factory, COMBO)
    return committed_copy(render, tmp_path_factory.mktemp("eval-smoke") / COMBO)


def test_eval_smoke_passes_on_a_fresh_render(workspace: Path, osmosis: Osmosis) -> None:
    done = run_smoke(workspace, osmosis)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"ok   {COMBO}" in done.stdout
    # The temporary config is gone and nothing else changed (run output goes to a temp folder).
    assert git("status", "--porcelain", "--untracked-files=all", cwd=workspace).stdout == ""
    assert not list((workspace / "configs" / "eval").glob("*.eval-smoke.toml"))


def test_eval_smoke_fails_when_the_grader_is_broken(workspace: Path, osmosis: Osmosis) -> None:
    grader = workspace / "rollouts" / COMBO / "cu_lo_p_exact_match_rollout" / "grader.py"
    text = grader.read_text(encoding="utf-8")
    marker = "    async def grade(self, ctx: GraderContext) -> None:\n"
    assert marker in text
    grader.write_text(
        text.replace(marker, marker + '        raise RuntimeError("grader broken")\n'),
        encoding="utf-8",
    )
    try:
        done = run_smoke(workspace, osmosis)
    finally:
        git("checkout", "--", str(grader.relative_to(workspace)), cwd=workspace)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"FAIL   {COMBO}" in done.stdout, done.stdout
    assert "rows failed" in done.stdout, done.stdout
