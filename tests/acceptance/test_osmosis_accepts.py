"""The real osmosis CLI (pinned osmosis-ai) accepts every rendered workspace.

Each check runs on a committed copy of a session render, with an isolated HOME and a
github.com ``origin`` (needed by submits; nothing is ever sent: the platform URL is a closed
port on 127.0.0.1 and ``--yes`` is never passed).
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from support.doc_commands import HelpTree, claim_problem, command_lines, flag_claims
from support.helpers import Osmosis, OsmosisJob, committed_copy

pytestmark = pytest.mark.osmosis

OSMOSIS_VERSION = "0.3.8"


@pytest.fixture(scope="session")
def osmosis_copies(
    renders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """One committed copy per render for the osmosis CLI to write its local state into."""
    return {
        name: committed_copy(path, tmp_path_factory.mktemp(f"osm-{name}") / path.name)
        for name, path in renders.items()
    }


@pytest.fixture(params=["defaults", "support", "unicode"])
def osm_workspace(request: pytest.FixtureRequest, osmosis_copies: dict[str, Path]) -> Path:
    return osmosis_copies[request.param]


def answers(workspace: Path) -> dict:
    return yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))


def test_pinned_version(osmosis: Osmosis, tmp_path: Path) -> None:
    result = osmosis.run("--version", cwd=tmp_path)
    assert result.code == 0 and OSMOSIS_VERSION in result.stdout


def test_doctor_finds_a_valid_workspace(osmosis: Osmosis, osm_workspace: Path) -> None:
    result = osmosis.run("--json", "doctor", cwd=osm_workspace)
    assert result.code == 0, result.stderr
    resource = result.payload["resource"]
    assert resource["valid"] is True and resource["missing"] == []
    assert Path(resource["workspace_directory"]).resolve() == osm_workspace.resolve()


def test_doctor_fix_has_nothing_to_repair(osmosis: Osmosis, osm_workspace: Path) -> None:
    """`doctor --fix` refuses symlinked scaffold files and would add missing .gitkeep files."""
    result = osmosis.run("--json", "doctor", "--fix", cwd=osm_workspace)
    assert result.code == 0, result.stderr
    assert result.payload["resource"]["valid"] is True
    status = subprocess.run(
        ["git", "status", "--porcelain"],
        cwd=osm_workspace,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert status == "", f"doctor --fix changed the workspace:\n{status}"


def test_every_dataset_validates(osmosis: Osmosis, osm_workspace: Path) -> None:
    files = sorted((osm_workspace / "data").glob("*.jsonl"))
    assert files
    for data in files:
        result = osmosis.run(
            "--json", "dataset", "validate", str(data.relative_to(osm_workspace)), cwd=osm_workspace
        )
        assert result.code == 0, result.stderr
        assert result.payload["data"]["warnings"] == [], result.payload


def test_submit_preflights_pass_for_every_render(
    osmosis: Osmosis, osmosis_copies: dict[str, Path]
) -> None:
    """Eval and training submit of each render's starter rollout (the examples have their own
    tests), and its benchmark config, in one batch (``Osmosis.submit_dry_runs``)."""
    jobs = []
    for workspace in osmosis_copies.values():
        rollout = answers(workspace)["rollout_name"]
        jobs += [
            ("eval", f"configs/eval/{rollout}.toml", workspace),
            ("train", f"configs/training/{rollout}.toml", workspace),
            ("benchmark", "configs/benchmark/default.toml", workspace),
        ]
    for (kind, config, workspace), result in zip(jobs, osmosis.submit_dry_runs(jobs), strict=True):
        where = (workspace.name, config, result.stdout, result.stderr)
        assert result.error_code == "INTERACTIVE_REQUIRED", where
        if kind != "benchmark":
            warnings = str(result.payload["error"].get("details", ""))
            assert "preflight skipped" not in warnings.lower(), "entrypoint was not imported"


def test_preflight_really_imports_the_entrypoint(
    osmosis: Osmosis, osmosis_copies: dict[str, Path], tmp_path: Path
) -> None:
    """Break the entrypoint at import time: the same preflight must now fail."""
    workspace = committed_copy(osmosis_copies["defaults"], tmp_path / "broken")
    rollout = answers(workspace)["rollout_name"]
    main = workspace / "rollouts" / rollout / "main.py"
    main.write_text(main.read_text() + "\nraise RuntimeError('boom at import')\n")
    subprocess.run(["git", "commit", "-qam", "break"], cwd=workspace, check=True)
    result = osmosis.submit_dry_run("eval", f"configs/eval/{rollout}.toml", cwd=workspace)
    assert result.error_code != "INTERACTIVE_REQUIRED"
    assert "preflight failed" in (result.stdout + result.stderr)


LOADERS = {
    "eval": "osmosis_ai.platform.cli.eval_config:load_eval_submit_config",
    "training": "osmosis_ai.platform.cli.training_config:load_train_submit_config",
}


@pytest.mark.parametrize("folder", sorted(LOADERS))
def test_placeholder_defaults_load_once_filled(
    osmosis: Osmosis, osmosis_copies: dict[str, Path], tmp_path: Path, folder: str
) -> None:
    workspace = committed_copy(osmosis_copies["defaults"], tmp_path / "ws")
    rollout = answers(workspace)["rollout_name"]
    default = workspace / "configs" / folder / "default.toml"
    text = default.read_text(encoding="utf-8")
    assert "<your-rollout>" in text
    filled = (
        text.replace("<your-rollout>", rollout)
        .replace("<your-entrypoint-file>", "main.py")
        .replace("<your-model-path>", "Qwen/Qwen3.6-35B-A3B")
        .replace("<your-dataset-name>", "demo-task")
    )
    assert "<your-" not in str(tomllib.loads(filled)), "a placeholder value was left unfilled"
    target = default.with_name("filled.toml")
    target.write_text(filled, encoding="utf-8")
    module, func = LOADERS[folder].split(":")
    script = (
        f"import sys; from {module} import {func}; c = {func}(sys.argv[1]); print(type(c).__name__)"
    )
    loaded = osmosis.python("-c", script, str(target), cwd=workspace)
    assert loaded.returncode == 0, loaded.stderr
    # And unfilled, the same loader refuses nothing silently: the placeholders stay visible.
    assert tomllib.loads(text)["experiment"]["rollout"] == "<your-rollout>"


def test_workspace_own_tests_pass(osmosis: Osmosis, osm_workspace: Path) -> None:
    rollout = answers(osm_workspace)["rollout_name"]
    result = osmosis.python(
        "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=osm_workspace / "rollouts" / rollout
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def markdown_files(workspace: Path) -> list[Path]:
    return sorted(
        p for p in workspace.rglob("*.md") if ".git" not in p.parts and ".claude" not in p.parts
    )


@pytest.fixture(scope="module")
def help_tree(osmosis: Osmosis, tmp_path_factory: pytest.TempPathFactory) -> HelpTree:
    """Every ``osmosis ... --help`` screen, read in one batch per depth (``Osmosis.run_many``)."""
    cwd = tmp_path_factory.mktemp("help")
    tree = HelpTree(lambda words: _help(osmosis, words, cwd))

    def run_many(paths: list[list[str]]) -> list[tuple[int, str]]:
        jobs = [OsmosisJob((*path, "--help"), cwd) for path in paths]
        return [(r.code, r.stdout) for r in osmosis.run_many(jobs)]

    assert tree.prefetch(run_many) > 20, "expected a tree of osmosis commands"
    return tree


def test_every_documented_osmosis_command_exists(
    help_tree: HelpTree, renders: dict[str, Path]
) -> None:
    tree = help_tree
    problems, seen = [], 0
    for workspace in renders.values():
        for doc in markdown_files(workspace):
            for words in command_lines(doc.read_text(encoding="utf-8")):
                seen += 1
                if problem := tree.problem(words):
                    problems.append(
                        f"{doc.relative_to(workspace)}: osmosis {' '.join(words)} -> {problem}"
                    )
            # Flags named in prose ("before `model deploy` ... add `--yes`") are checked too.
            for claim in flag_claims(doc.read_text(encoding="utf-8"), tree):
                seen += 1
                if problem := claim_problem(claim, tree):
                    problems.append(f"{doc.relative_to(workspace)}: {problem}")
    assert seen > 20, "expected the docs to show real commands"
    assert not problems, "\n".join(sorted(set(problems)))


def test_command_checker_rejects_invented_commands(help_tree: HelpTree) -> None:
    tree = help_tree
    assert tree.problem(["eval", "run", "configs/eval/x.toml", "--dataset-file", "d.jsonl"]) == ""
    assert tree.problem(["--json", "dataset", "validate", "data/x.jsonl"]) == ""
    assert "not a subcommand" in tree.problem(["rollout", "validate"])
    assert "not a subcommand" in tree.problem(["rollout", "serve", "x"])
    assert "no option --dry-run" in tree.problem(["train", "submit", "x.toml", "--dry-run"])
    assert "not a subcommand" in tree.problem(["deploy", "x"])


#: The sentence AGENTS.md used to carry: `model deploy` has no `--yes` (it acts at once).
INVENTED_DEPLOY_YES = """\
- Ask the user before anything that costs money or cannot be undone: `eval submit`,
  `train submit`, `dataset upload`, `model deploy`, stopping runs. Add
  `--yes` only after they approved; without it `--json` mode stops with `INTERACTIVE_REQUIRED`.

Deploy with `osmosis --json model deploy my-lora --yes` once the user agreed.
"""


def test_markdown_walk_catches_model_deploy_yes(help_tree: HelpTree) -> None:
    """Guard: the walk above fails on `--yes` said of `model deploy`, in prose and in code."""
    tree = help_tree
    code = [tree.problem(words) for words in command_lines(INVENTED_DEPLOY_YES)]
    assert "osmosis model deploy: no option --yes" in code
    prose = {claim_problem(c, tree) for c in flag_claims(INVENTED_DEPLOY_YES, tree)}
    assert "mentions --yes with `osmosis model deploy`, which has no option --yes" in prose
    # The submits do have --yes: only the invented pairing is reported.
    assert not any("eval submit" in problem for problem in prose)
    # A true negative statement passes; a false one is caught.
    true = "`osmosis model deploy` has no `--yes`: it acts at once."
    false = "`osmosis eval submit` has no `--yes`: it acts at once."
    assert {claim_problem(c, tree) for c in flag_claims(true, tree)} == {""}
    assert {claim_problem(c, tree) for c in flag_claims(false, tree)} == {
        "says osmosis eval submit has no --yes, but it does"
    }


def _help(osmosis: Osmosis, words: list[str], cwd: Path) -> tuple[int, str]:
    result = osmosis.run(*words, "--help", cwd=cwd, timeout=60)
    return result.code, result.stdout


SDK_FACTS = r"""
import inspect, json
from osmosis_ai.eval.local.results import aggregate_metrics
from osmosis_ai.platform.cli import eval_run
rows = [{"status": "success", "reward": 1.0, "row_index": 0},
        {"status": "failed", "row_index": 1},
        {"status": "skipped", "row_index": 2}]
source = inspect.getsource(eval_run)
print(json.dumps({
    "metrics": aggregate_metrics(rows, pass_threshold=1.0),
    "partial_exits_1": 'status="partial" if incomplete' in source
                       and "exit_code=1 if incomplete" in source,
}))
"""


def test_what_the_skills_say_about_eval_results_is_what_the_sdk_does(
    osmosis: Osmosis, default_workspace: Path
) -> None:
    """Pass rate counts failed rows; a partial run exits 1 with status "partial" on stdout."""
    ran = subprocess.run(
        [str(osmosis.bin_dir / "python"), "-c", SDK_FACTS],
        capture_output=True,
        text=True,
        timeout=120,
        env=osmosis.env(),
    )
    assert ran.returncode == 0, ran.stderr
    facts = json.loads(ran.stdout)
    metrics = facts["metrics"]
    assert metrics["graded"] == 1 and metrics["pass_rate"] == 0.5, metrics  # 1 of 2 scored
    plan_eval = (default_workspace / ".agents/skills/plan-eval/SKILL.md").read_text()
    assert (
        "divided by every sample that was not skipped: a\nfailed row counts as a miss" in plan_eval
    )
    assert "share of\ngraded samples" not in plan_eval

    assert facts["partial_exits_1"], "osmosis eval run no longer exits 1 on a partial run"
    evaluate = (default_workspace / ".agents/skills/evaluate-rollouts/SKILL.md").read_text()
    assert 'status: "partial"' in evaluate and "**or** it stopped before every row ran" in evaluate
