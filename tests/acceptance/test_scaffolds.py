"""Every framework x backend x mode x grader the template allows renders a working rollout."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support.fake_llm import FakeLLM
from support.helpers import Osmosis, committed_copy, jinja_leftovers
from support.scaffold_matrix import GRADERS, Combo, TaskPlayer, all_combos

COMBOS = all_combos()


def answers(workspace: Path) -> dict:
    return yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))


def rollout_dir(workspace: Path) -> Path:
    return workspace / "rollouts" / answers(workspace)["rollout_name"]


@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: c.name)
def test_render_is_complete_and_parses(matrix: dict[str, Path], combo: Combo) -> None:
    workspace = matrix[combo.name]
    stored = answers(workspace)
    for key, value in combo.answers.items():
        assert stored[key] == value
    rollout = rollout_dir(workspace)
    package = rollout / (combo.name.replace("-", "_") + "_rollout")
    for name in [
        "__init__.py",
        "workflow.py",
        "grader.py",
        "scoring.py",
        "tools.py",
        "prompts.py",
        "task.py",
    ]:
        assert (package / name).is_file(), name
    for path in workspace.rglob("*"):
        if ".git" in path.parts or not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(encoding="utf-8")
        assert not jinja_leftovers(text), path
        if path.suffix == ".py":
            compile(text, str(path), "exec")
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".jsonl":
            assert len([json.loads(line) for line in text.splitlines()]) >= 4
    project = tomllib.loads((rollout / "pyproject.toml").read_text())
    deps = " ".join(project["project"]["dependencies"])
    assert ("openai-agents" in deps) is (combo.framework == "openai-agents")
    assert ("strands" in deps) is (combo.framework == "strands")
    assert ("harbor" in deps) is (combo.backend == "harbor")
    assert ("rubric" in deps) is (combo.grader == "llm-judge")


def test_matrix_is_ruff_clean(matrix: dict[str, Path]) -> None:
    """Each render linted and format-checked with its own root pyproject ruff settings."""
    dirs = [str(p) for p in matrix.values()]
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, *dirs], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr


def test_generated_unit_tests_pass_everywhere(matrix: dict[str, Path], osmosis: Osmosis) -> None:
    """One pytest run over every render's rollout tests (packages have unique names)."""
    rollouts = [rollout_dir(w) for w in matrix.values()]
    env = osmosis.env(PYTHONPATH=os.pathsep.join(map(str, rollouts)))
    result = subprocess.run(
        [
            str(osmosis.bin_dir / "python"),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "--rootdir",
            str(rollouts[0].parent.parent.parent),
            *[str(r / "tests") for r in rollouts],
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and " passed" in summary, summary


#: The training preflight imports the same entrypoint as the eval one and its config differs
#: only in schema, so it runs once per framework and backend; the eval preflight runs for all.
TRAIN_PREFLIGHT = {
    next(c for c in COMBOS if (c.framework, c.backend) == key).name
    for key in {(c.framework, c.backend) for c in COMBOS}
}


@pytest.mark.osmosis
@pytest.mark.parametrize("combo", COMBOS, ids=lambda c: c.name)
def test_submit_preflight_imports_the_entrypoint(
    matrix: dict[str, Path], osmosis: Osmosis, combo: Combo, tmp_path: Path
) -> None:
    workspace = committed_copy(matrix[combo.name], tmp_path / combo.name)
    rollout = answers(workspace)["rollout_name"]
    kinds = [("eval", "eval")] + ([("train", "training")] if combo.name in TRAIN_PREFLIGHT else [])
    for kind, folder in kinds:
        result = osmosis.submit_dry_run(kind, f"configs/{folder}/{rollout}.toml", cwd=workspace)
        assert result.error_code == "INTERACTIVE_REQUIRED", (kind, result.stdout, result.stderr)
        details = json.dumps(result.payload["error"].get("details", ""))
        assert "preflight skipped" not in details.lower(), details


@pytest.mark.osmosis
def test_every_sample_dataset_validates(matrix: dict[str, Path], osmosis: Osmosis) -> None:
    distinct: dict[bytes, Path] = {}
    for workspace in matrix.values():
        for data in (workspace / "data").glob("*.jsonl"):
            distinct.setdefault(data.read_bytes(), data)

    def validate(data: Path) -> tuple[Path, int, str, list]:
        result = osmosis.run("--json", "dataset", "validate", str(data), cwd=data.parent)
        return data, result.code, result.stderr, result.payload.get("data", {}).get("warnings")

    with ThreadPoolExecutor(max_workers=2) as pool:
        for data, code, stderr, warnings in pool.map(validate, distinct.values()):
            assert code == 0, (data, stderr)
            assert warnings == [], (data, warnings)
    assert len(distinct) >= len(GRADERS)


def load_scoring(matrix: dict[str, Path], grader: str):  # type: ignore[no-untyped-def]
    combo = Combo("custom", "local", "prompt", grader)
    package = rollout_dir(matrix[combo.name]) / (combo.name.replace("-", "_") + "_rollout")
    spec = importlib.util.spec_from_file_location(
        f"scoring_{grader.replace('-', '_')}", package / "scoring.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


replies = (
    st.text(max_size=300)
    | st.builds(
        lambda n, pre: f"{pre}\n#### {n}",
        st.integers() | st.floats(allow_nan=True),
        st.text(max_size=40),
    )
    | st.builds(
        lambda d: json.dumps(d),
        st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8)),
    )
)
expected_values = (
    st.text(max_size=60)
    | st.integers().map(str)
    | st.sampled_from(["288", "^288(\\.0+)?$", '{"answer": 288}', "", "([", "nan", "inf", "1e400"])
    | st.dictionaries(
        st.text(max_size=8), st.integers() | st.floats() | st.text(max_size=8), max_size=4
    )
)


@pytest.mark.parametrize("grader", GRADERS)
def test_rewards_are_finite_and_in_unit_interval(matrix: dict[str, Path], grader: str) -> None:
    scoring = load_scoring(matrix, grader)

    @settings(max_examples=300, deadline=None)
    @given(reply=replies, expected=expected_values)
    def check(reply: str, expected: object) -> None:
        reward = scoring.score(reply, expected)
        assert isinstance(reward, float)
        assert math.isfinite(reward) and 0.0 <= reward <= 1.0

    check()


EVAL_CASES = [
    Combo("custom", "local", "prompt", "exact-match"),
    Combo("openai-agents", "local", "prompt", "exact-match"),
    Combo("strands", "local", "prompt", "exact-match"),
    Combo("custom", "local", "metadata", "json-match"),
    Combo("custom", "local", "prompt", "llm-judge"),
]


@pytest.mark.osmosis
@pytest.mark.slow
@pytest.mark.parametrize("combo", EVAL_CASES, ids=lambda c: c.name)
def test_local_eval_with_a_tool_call_round_trip(
    matrix: dict[str, Path], osmosis: Osmosis, combo: Combo, tmp_path: Path
) -> None:
    """A real `osmosis eval run`: the fake model calls the calculator once per row, then answers
    even rows right and odd rows wrong, so the pass rate is known before the run."""
    workspace = committed_copy(matrix[combo.name], tmp_path / combo.name)
    stored = answers(workspace)
    player = TaskPlayer.for_workspace(workspace, stored)
    rollout, dataset = stored["rollout_name"], stored["dataset_name"]
    with FakeLLM(player, max_requests=300, max_seconds=400) as fake:
        result = osmosis.eval_run(
            f"configs/eval/{rollout}.toml",
            f"data/{dataset}.jsonl",
            cwd=workspace,
            model_base_url=fake.base_url,
            name="matrix",
        )
        tool_rounds = [
            r
            for r in fake.completion_requests()
            if any(m.get("role") == "tool" for m in r["messages"])
        ]
    assert result.code == 0, result.stderr[-3000:]
    resource = result.payload["resource"]
    rows = len(player.questions)
    assert resource["succeeded"] == rows and resource["failed"] == 0, resource
    assert resource["metrics"]["pass_rate"] == pytest.approx(player.expected_pass_rate)
    assert len(tool_rounds) >= rows, "every row made one tool call round trip"
