"""The template renders a complete workspace: files, links, parsable formats, clean code."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from support.helpers import (
    ANSWER_SETS,
    ROOT,
    git,
    jinja_leftovers,
    render,
    rendered_text_files,
    tree_bytes,
)

ALL_SKILLS = [
    "plan-training",
    "plan-eval",
    "create-rollouts",
    "evaluate-rollouts",
    "debug-rollouts",
    "submit-eval",
    "submit-training",
    "submit-benchmarks",
    "deploy-models",
    "update-workspace",
]


def answers_of(workspace: Path) -> dict:
    return yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))


def expected_skills(answers: dict) -> list[str]:
    chosen = answers.get("skills", ["all"])
    return sorted(ALL_SKILLS if "all" in chosen else chosen)


@pytest.mark.parametrize("answer_set", sorted(ANSWER_SETS))
def test_pytest_copie_renders(copie, answer_set: str) -> None:  # type: ignore[no-untyped-def]
    result = copie.copy(extra_answers=ANSWER_SETS[answer_set])
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    stored = answers_of(result.project_dir)
    for key, value in ANSWER_SETS[answer_set].items():
        assert stored[key] == value
    assert (result.project_dir / "AGENTS.md").is_file()


def test_required_layout(workspace: Path) -> None:
    answers = answers_of(workspace)
    rollout, dataset = answers["rollout_name"], answers["dataset_name"]
    package = rollout.replace("-", "_") + "_rollout"
    required = [
        "AGENTS.md",
        "CLAUDE.md",
        "README.md",
        "configs/AGENTS.md",
        ".gitignore",
        ".env.example",
        "pyproject.toml",
        ".copier-answers.yml",
        ".python-version",
        "rollouts/.gitkeep",
        "configs/eval/.gitkeep",
        "configs/training/.gitkeep",
        "data/.gitkeep",
        "configs/eval/default.toml",
        "configs/training/default.toml",
        "configs/benchmark/default.toml",
        f"configs/eval/{rollout}.toml",
        f"configs/training/{rollout}.toml",
        f"data/{dataset}.jsonl",
        f"rollouts/{rollout}/main.py",
        f"rollouts/{rollout}/pyproject.toml",
        f"rollouts/{rollout}/README.md",
        f"rollouts/{rollout}/{package}/__init__.py",
        f"rollouts/{rollout}/{package}/workflow.py",
        f"rollouts/{rollout}/{package}/grader.py",
        f"rollouts/{rollout}/{package}/scoring.py",
        f"rollouts/{rollout}/tests/test_grader.py",
    ]
    missing = [path for path in required if not (workspace / path).is_file()]
    assert not missing
    skills = sorted(p.name for p in (workspace / ".agents/skills").iterdir())
    assert skills == expected_skills(answers)
    assert all((workspace / ".agents/skills" / s / "SKILL.md").is_file() for s in skills)


def test_gitignore_covers_local_state(workspace: Path) -> None:
    for path in [
        ".osmosis/evals/x/logs.txt",
        ".venv/bin/python",
        ".env",
        ".env.local",
        "rollouts/x/demo.egg-info/PKG-INFO",
        "x/__pycache__/a.pyc",
    ]:
        assert git("check-ignore", "-q", path, cwd=workspace, check=False).returncode == 0, path
    assert git("check-ignore", "-q", ".env.example", cwd=workspace, check=False).returncode == 1


def test_claude_skills_is_one_relative_directory_link(workspace: Path) -> None:
    link = workspace / ".claude" / "skills"
    assert link.is_symlink()
    assert os.readlink(link) == "../.agents/skills"
    assert link.resolve() == (workspace / ".agents" / "skills").resolve()
    assert sorted(p.name for p in link.iterdir()) == sorted(
        p.name for p in (workspace / ".agents/skills").iterdir()
    )
    entries = git("ls-files", "-s", ".claude", cwd=workspace).stdout.splitlines()
    assert entries and all(line.startswith("120000 ") for line in entries), entries


def test_no_symlink_leaves_the_workspace(workspace: Path) -> None:
    for path in workspace.rglob("*"):
        if path.is_symlink():
            assert path.resolve().is_relative_to(workspace.resolve()), path


def test_no_template_syntax_left(workspace: Path) -> None:
    answers = answers_of(workspace)
    if any(mark in answers["task_description"] for mark in ("{{", "{%")):
        pytest.skip("this answer set puts template-like text in the task on purpose")
    for path in rendered_text_files(workspace):
        assert not jinja_leftovers(path.read_text(encoding="utf-8")), path
    assert not list(workspace.rglob("*.jinja"))


def test_user_text_is_never_evaluated_as_jinja(tmp_path: Path) -> None:
    text = "Compute {{ 7 * 7 }} and {% if true %}keep{% endif %} {#c#} verbatim"
    dest = render(tmp_path / "ws", {"workspace_name": "jinja-probe", "task_description": text})
    agents = (dest / "AGENTS.md").read_text(encoding="utf-8")
    assert text in agents
    assert "Compute 49" not in agents


def test_every_structured_file_parses(workspace: Path) -> None:
    for path in rendered_text_files(workspace):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".jsonl":
            rows = [json.loads(line) for line in text.splitlines()]
            assert len(rows) >= 4
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(text)
        elif path.suffix == ".py":
            compile(text, str(path), "exec")


def test_task_text_reads_back_from_every_format(workspace: Path) -> None:
    answers = answers_of(workspace)
    task = answers["task_description"]
    rollout = answers["rollout_name"]
    package = rollout.replace("-", "_") + "_rollout"
    pyproject = tomllib.loads((workspace / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["osmosis-workspace"]["task"] == task
    namespace: dict = {}
    task_py = workspace / "rollouts" / rollout / package / "task.py"
    exec(compile(task_py.read_text(encoding="utf-8"), str(task_py), "exec"), namespace)
    assert namespace["TASK_DESCRIPTION"] == task
    for doc in ("AGENTS.md", "README.md"):
        assert task.rstrip("\n") in (workspace / doc).read_text(encoding="utf-8")


def test_configs_point_at_the_rollout_and_dataset(workspace: Path) -> None:
    answers = answers_of(workspace)
    rollout = answers["rollout_name"]
    eval_cfg = tomllib.loads((workspace / f"configs/eval/{rollout}.toml").read_text())
    train_cfg = tomllib.loads((workspace / f"configs/training/{rollout}.toml").read_text())
    assert eval_cfg["experiment"]["rollout"] == train_cfg["experiment"]["rollout"] == rollout
    assert eval_cfg["experiment"]["dataset"] == answers["dataset_name"]
    assert eval_cfg["experiment"]["model_path"] == answers["eval_model"]
    assert train_cfg["experiment"]["model_path"] == answers["base_model"]
    assert eval_cfg["secrets"]["required"] and all(
        name.endswith("_API_KEY") for name in eval_cfg["secrets"]["required"]
    )
    assert (workspace / ".python-version").read_text().strip() == answers["python_version"]


def test_rendered_python_is_ruff_clean(workspace: Path) -> None:
    """Lint and format with the workspace's own ruff settings (root pyproject.toml)."""
    ruff = [sys.executable, "-m", "ruff"]
    lint = subprocess.run(
        [*ruff, "check", "--no-cache", "."], cwd=workspace, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [*ruff, "format", "--check", "--no-cache", "."],
        cwd=workspace,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_same_answers_give_a_byte_identical_tree(tmp_path: Path, default_workspace: Path) -> None:
    again = render(tmp_path / "demo-task", ANSWER_SETS["defaults"])
    first, second = tree_bytes(default_workspace), tree_bytes(again)
    if git("status", "--porcelain", cwd=ROOT).stdout.strip():
        # A dirty template checkout is rendered from a throwaway commit whose id includes the
        # time; only that id (`_commit` and where it is written out) may differ then. On a
        # clean checkout (CI) nothing may.
        for tree in (first, second):
            found = re.search(rb"_commit: (.*)\n", tree[".copier-answers.yml"])  # type: ignore[arg-type]
            assert found, "the answers file records no _commit"
            for path, data in tree.items():
                if isinstance(data, bytes):
                    tree[path] = data.replace(found[1], b"<commit>")
    assert first == second


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"workspace_name": "Bad Name"}, "workspace_name 'Bad Name' is not allowed"),
        ({"workspace_name": "ok", "rollout_name": "default"}, "reserved by Osmosis"),
        ({"workspace_name": "ok", "rollout_name": "../escape"}, "rollout_name '../escape'"),
        ({"workspace_name": "ok", "eval_model": "gpt-5-mini"}, "eval_model 'gpt-5-mini'"),
        ({"workspace_name": "ok", "skills": []}, "select at least one skill"),
        ({"workspace_name": "ok", "python_version": "3.11"}, "python_version"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(
    tmp_path: Path, answers: dict, message: str
) -> None:
    dest = tmp_path / "dest"
    with pytest.raises(ValueError, match=None) as caught:
        render(dest, answers)
    assert message in str(caught.value)
    assert not dest.exists()


def test_template_repo_has_the_required_settings() -> None:
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    assert config["_subdirectory"] == "template"
    assert config["_preserve_symlinks"] is True
    assert config["_envops"]["undefined"] == "jinja2.StrictUndefined"
    assert config["_answers_file"] == ".copier-answers.yml"
    assert str(config["_min_copier_version"]) >= "9.19"
    questions = {k: v for k, v in config.items() if not k.startswith("_")}
    for name, question in questions.items():
        if question.get("when") is False:
            continue
        assert question.get("help"), f"question {name} has no help"
        if name != "workspace_name":
            assert "default" in question, f"question {name} has no default"
