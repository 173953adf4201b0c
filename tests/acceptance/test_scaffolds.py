"""Every framework x backend x mode x grader the template allows renders a working rollout.

Every combo of the matrix (``scaffold_matrix.all_combos``) is rendered, checked complete,
compiled, linted, and its grader, scoring and tool tests run. The checks that cost seconds per
combo run on a covering subset (``scaffold_matrix.covering_combos``): every framework x backend
x mode triple (what the workflow and entrypoint code depend on) and every pair of any two
answers. Those are the generated workflow tests and the submit preflight (batched in one
interpreter, ``Osmosis.submit_dry_runs``). One local evaluation runs, for the grader with a
runtime path of its own (``EVAL_CASES`` says what covers the others).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support.fake_llm import FakeLLM
from support.helpers import (
    Osmosis,
    OsmosisJob,
    committed_copy,
    git,
    jinja_leftovers,
    tree_bytes,
)
from support.scaffold_matrix import GRADERS, Combo, TaskPlayer, all_combos, covering_combos

COMBOS = all_combos()
COVERING = covering_combos()


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


def test_levered_matrix_render_equals_plain_copier(matrix: dict[str, Path], tmp_path: Path) -> None:
    """The matrix is rendered with the speed levers on; plain Copier (a fresh process, no
    levers) renders a Strands, Harbor, metadata combo to the same bytes."""
    combo = next(
        c for c in COMBOS if (c.framework, c.backend, c.mode) == ("strands", "harbor", "metadata")
    )
    script = (
        "import sys; from pathlib import Path; from support.helpers import render;"
        "from support.scaffold_matrix import Combo;"
        f"c = Combo{(combo.framework, combo.backend, combo.mode, combo.grader)!r};"
        "render(Path(sys.argv[1]), c.answers, src=Path(sys.argv[2]), vcs_ref=None)"
    )
    template = matrix[combo.name].parent.parent / "matrix-template"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    plain = tmp_path / combo.name
    subprocess.run([sys.executable, "-c", script, str(plain), str(template)], env=env, check=True)
    assert tree_bytes(plain) == tree_bytes(matrix[combo.name])


def unit_test_paths(rollout: Path, *, workflow: bool) -> list[str]:
    """The rollout's test files; ``test_workflow.py`` only when ``workflow``."""
    files = sorted((rollout / "tests").glob("test_*.py"))
    assert rollout / "tests" / "test_workflow.py" in files, rollout
    return [str(f) for f in files if workflow or f.name != "test_workflow.py"]


def test_generated_unit_tests_pass_everywhere(matrix: dict[str, Path], osmosis: Osmosis) -> None:
    """One pytest run over every render's rollout tests (packages have unique names).

    The grader, scoring and tool tests run for every combo; the workflow tests (a scripted
    model through the real framework, about three CPU seconds per combo) run for the covering
    combos, which hold every framework x backend x mode the workflow code depends on.
    """
    covering = {c.name for c in COVERING}
    rollouts = {name: rollout_dir(w) for name, w in matrix.items()}
    paths = [p for n, r in rollouts.items() for p in unit_test_paths(r, workflow=n in covering)]
    root = next(iter(matrix.values())).parent
    result = osmosis.pytest(
        *("-q", "-p", "no:cacheprovider", "--import-mode=importlib", "--rootdir", str(root)),
        *paths,
        cwd=root,
        PYTHONPATH=os.pathsep.join(map(str, rollouts.values())),
    )
    assert result.returncode == 0, result.stdout[-6000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert "failed" not in summary and " passed" in summary, summary
    workflow_files = sum(p.endswith("test_workflow.py") for p in paths)
    assert workflow_files == len(covering), "every covering combo ran its workflow tests"


#: The training preflight imports the same entrypoint as the eval one and its config differs
#: only in schema, so it runs once per framework and backend; the eval one for every covering
#: combo.
TRAIN_PREFLIGHT = {
    next(c for c in COVERING if (c.framework, c.backend) == key).name
    for key in {(c.framework, c.backend) for c in COVERING}
}


def preflight_jobs(matrix: dict[str, Path], tmp_path: Path) -> list[tuple[str, str, Path]]:
    """``(kind, config, workspace)`` per preflight, each workspace a committed copy."""
    jobs = []
    for combo in COVERING:
        workspace = committed_copy(matrix[combo.name], tmp_path / combo.name)
        rollout = answers(workspace)["rollout_name"]
        jobs.append(("eval", f"configs/eval/{rollout}.toml", workspace))
        if combo.name in TRAIN_PREFLIGHT:
            jobs.append(("train", f"configs/training/{rollout}.toml", workspace))
    return jobs


def broken_copy(workspace: Path, dest: Path) -> tuple[str, str, Path]:
    """A copy whose entrypoint raises at import: its preflight must fail inside the batch."""
    copy = committed_copy(workspace, dest)
    rollout = answers(copy)["rollout_name"]
    main = copy / "rollouts" / rollout / "main.py"
    main.write_text(main.read_text() + "\nraise RuntimeError('boom at import')\n")
    git("commit", "-qam", "break", cwd=copy)
    return ("eval", f"configs/eval/{rollout}.toml", copy)


@pytest.mark.osmosis
def test_submit_preflight_imports_the_entrypoint(
    matrix: dict[str, Path], osmosis: Osmosis, tmp_path: Path
) -> None:
    """`osmosis --json eval submit` (and `train submit`) on the covering combos: every local
    check passes and the entrypoint is really imported. All run in one batch (the heavy
    framework imports once, a fork per command); a broken entrypoint in the same batch fails,
    so the batch cannot pass blindly. Every other combo shares its entrypoint code with a
    covering one (``main.py`` depends on the backend only) and is compiled and unit-tested."""
    jobs = preflight_jobs(matrix, tmp_path)
    broken = broken_copy(matrix[COVERING[0].name], tmp_path / "broken")
    *results, failed = osmosis.submit_dry_runs([*jobs, broken])
    problems = []
    for (kind, config, _), result in zip(jobs, results, strict=True):
        details = json.dumps((result.payload.get("error") or {}).get("details", ""))
        if result.error_code != "INTERACTIVE_REQUIRED" or "preflight skipped" in details.lower():
            problems.append(f"{kind} {config}: {result.stdout[-1500:]} {result.stderr[-1500:]}")
    assert not problems, "\n".join(problems)
    assert failed.error_code != "INTERACTIVE_REQUIRED", failed.stdout
    assert "preflight failed" in failed.stdout + failed.stderr


@pytest.mark.osmosis
def test_every_sample_dataset_validates(matrix: dict[str, Path], osmosis: Osmosis) -> None:
    distinct: dict[bytes, Path] = {}
    for workspace in matrix.values():
        for data in (workspace / "data").glob("*.jsonl"):
            distinct.setdefault(data.read_bytes(), data)
    files = list(distinct.values())
    jobs = [OsmosisJob(("--json", "dataset", "validate", str(f)), f.parent) for f in files]
    for data, result in zip(files, osmosis.run_many(jobs), strict=True):
        assert result.code == 0, (data, result.stderr)
        assert result.payload.get("data", {}).get("warnings") == [], (data, result.payload)
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


#: The one grader that calls a model at run time (the judge), on metadata rows (the dataset mode
#: whose prompt the workflow builds from row fields). What the other combos would add is
#: covered elsewhere: replies and scores of every grader by the generated grader and scoring
#: tests of every combo and ``test_rewards_are_finite_and_in_unit_interval``; the workflow of
#: every framework x backend x mode by the workflow tests of the covering combos; the eval
#: round trip of OpenAI Agents and Strands by ``test_examples_harbor`` (the examples are the
#: scaffold byte for byte) and of the default prompt-mode rollout by ``test_eval_run``.
EVAL_CASES = [Combo("custom", "local", "metadata", "llm-judge")]
#: Rows 0 and 1: one answered right, one wrong, each after a calculator call.
EVAL_ROWS = range(2)


@pytest.mark.osmosis
@pytest.mark.slow
@pytest.mark.parametrize("combo", EVAL_CASES, ids=lambda c: c.name)
def test_local_eval_with_a_tool_call_round_trip(
    matrix: dict[str, Path], osmosis: Osmosis, combo: Combo, tmp_path: Path
) -> None:
    """A real `osmosis eval run` of rows 0-1: the fake model calls the calculator once per row,
    then answers row 0 right and row 1 wrong, so the pass rate is known before the run."""
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
            extra=("--rows", f"{EVAL_ROWS[0]}-{EVAL_ROWS[-1]}"),
        )
        tool_rounds = [
            r
            for r in fake.completion_requests()
            if any(m.get("role") == "tool" for m in r["messages"])
        ]
    assert result.code == 0, result.stderr[-3000:]
    resource = result.payload["resource"]
    rows = len(EVAL_ROWS)
    assert resource["succeeded"] == rows and resource["failed"] == 0, resource
    expected = sum(1 for row in EVAL_ROWS if row % 2 == 0) / rows
    assert resource["metrics"]["pass_rate"] == pytest.approx(expected)
    assert len(tool_rounds) >= rows, "every row made one tool call round trip"
