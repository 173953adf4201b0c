"""``check`` sees what ``osmosis`` or ``uv`` would reject, and says it accurately.

One test per blind spot and per misleading message, each on a copy of the shared default
render with one thing broken, asserting the exact problem line.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support.helpers import ROOT, committed_copy, git

from osmosis_workspace.checks import check_workspace


@pytest.fixture
def ws(default_workspace: Path, tmp_path: Path) -> Path:
    return committed_copy(default_workspace, tmp_path / "demo-task")


def problems(root: Path, *, fast: bool = True) -> list[str]:
    return [str(p) for p in check_workspace(root, fast=fast).problems]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_unbroken_copy_passes(ws: Path) -> None:
    assert problems(ws) == []


def test_rollout_missing_from_root_pyproject(ws: Path) -> None:
    _edit(ws / "pyproject.toml", '    "demo-task",\n', "")
    assert problems(ws) == [
        'pyproject.toml: does not install rollout demo-task: add "demo-task" to the `rollouts` '
        'list of [dependency-groups] and `demo-task = { path = "rollouts/demo-task", editable = '
        "true }` to [tool.uv.sources]"
    ]


def test_rollout_registered_but_absent(ws: Path, tmp_path: Path) -> None:
    shutil.rmtree(ws / "rollouts" / "demo-task")
    assert (
        "pyproject.toml: installs rollout demo-task from rollouts/demo-task, which does not "
        "exist (uv sync fails): remove its entries from [dependency-groups] rollouts and "
        "[tool.uv.sources]"
    ) in problems(ws)


def test_invalid_root_pyproject(ws: Path) -> None:
    with open(ws / "pyproject.toml", "a", encoding="utf-8") as handle:
        handle.write("\n[broken\n")
    lines = len((ws / "pyproject.toml").read_text(encoding="utf-8").splitlines())
    assert problems(ws) == [
        f"pyproject.toml:{lines}: is not valid TOML (Expected ']' at the end of a table "
        "declaration); uv cannot read it: fix the line or restore the file from git"
    ]


def test_invalid_rollout_pyproject(ws: Path) -> None:
    _edit(ws / "rollouts/demo-task/pyproject.toml", "[project]\n", "[project]\nname = = 1\n")
    assert problems(ws) == [
        "rollouts/demo-task/pyproject.toml:2: is not valid TOML (Invalid value); uv cannot read "
        "it: fix the line or restore the file from git"
    ]


def test_rollout_without_its_package_folder(ws: Path) -> None:
    shutil.rmtree(ws / "rollouts/demo-task/demo_task_rollout")
    assert (
        "rollouts/demo-task/: has no package folder demo_task_rollout/ (named in "
        "rollouts/demo-task/pyproject.toml): the rollout installs no code; restore it from "
        "git"
    ) in problems(ws)


def test_absolute_claude_skills_link(ws: Path) -> None:
    link = ws / ".claude/skills"
    link.unlink()
    link.symlink_to(ws / ".agents/skills")
    assert problems(ws) == [
        f".claude/skills: is an absolute link ({ws / '.agents/skills'}), which breaks in every "
        "other clone: run `rm .claude/skills && ln -s ../.agents/skills .claude/skills`"
    ]


@pytest.mark.parametrize(("name", "kind"), [("AGENTS.md", "file"), ("configs", "folder")])
def test_agents_md_and_configs_must_not_be_links(
    ws: Path, tmp_path: Path, name: str, kind: str
) -> None:
    moved = tmp_path / f"moved-{name}"
    shutil.move(ws / name, moved)
    (ws / name).symlink_to(moved)
    assert problems(ws) == [
        f"{name}: is a symbolic link: make it a regular {kind} (`osmosis doctor --fix` refuses "
        "links, and Windows checkouts turn them into text files)"
    ]


def test_commit_that_does_not_exist_in_the_template(ws: Path) -> None:
    answers = ws / ".copier-answers.yml"
    lines = [
        line
        for line in answers.read_text(encoding="utf-8").splitlines()
        if not line.startswith(("_src_path:", "_commit:"))
    ]
    head = git("rev-parse", "HEAD", cwd=ROOT).stdout.strip()
    for commit, expected in (("v99.0.0", True), (head, False)):
        answers.write_text(
            "\n".join([f"_commit: {commit}", f"_src_path: {ROOT}", *lines]) + "\n", encoding="utf-8"
        )
        line = (
            f".copier-answers.yml: _commit names a version that does not exist in the "
            f"template at {ROOT}: `osmosis-workspace update` cannot start from it; restore "
            "the answers file from git, or set _commit to the template tag the workspace "
            "was created from"
        )
        assert (line in problems(ws, fast=False)) is expected, commit


@pytest.mark.parametrize(
    "name", ["osmosis-ai", "pytest", "httpx", "ruff", "setuptools", "demo-task-workspace", "json"]
)
def test_existing_rollout_named_like_a_package(ws: Path, name: str) -> None:
    _edit(ws / "rollouts/demo-task/pyproject.toml", 'name = "demo-task"', f'name = "{name}"')
    reason = (
        "is a Python standard-library module; a package of that name would hide it. "
        "Choose another name"
        if name == "json"
        else "is the name of the workspace's own root project; choose another name"
        if name.endswith("-workspace")
        else "is the name of a package the workspace depends on; uv would install the rollout "
        "in its place. Choose another name"
    )
    assert problems(ws) == [
        f"rollouts/demo-task/pyproject.toml: the rollout's project name "
        f"{name!r} {reason} (rename the folder and the project)"
    ]


# ---------------------------------------------------------------------------------------------
# Misleading messages
# ---------------------------------------------------------------------------------------------


def test_symlinked_skill_folder_is_named_as_a_link(ws: Path, tmp_path: Path) -> None:
    skill = next(p for p in sorted((ws / ".agents/skills").iterdir()) if p.is_dir())
    shutil.move(skill, tmp_path / skill.name)
    skill.symlink_to(tmp_path / skill.name)
    assert problems(ws) == [
        f".agents/skills/{skill.name}: is a symbolic link: a skill must be a real folder in "
        ".agents/skills (links break in clones); replace the link with the folder itself"
    ]


def test_dataset_linked_to_a_system_file(ws: Path) -> None:
    data = ws / "data/demo-task.jsonl"
    data.unlink()
    data.symlink_to("/etc/passwd")
    assert problems(ws) == [
        "data/demo-task.jsonl: is a symbolic link to a file outside the workspace, which clones "
        "do not have: copy the dataset into data/ instead of linking it"
    ]


def test_too_deep_row_names_file_and_line(ws: Path) -> None:
    data = ws / "data/demo-task.jsonl"
    rows = data.read_text(encoding="utf-8").splitlines()
    rows[1] = '{"prompt": ' + "[" * 100_000 + "]" * 100_000 + ', "answer": "1"}'
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert problems(ws) == [
        "data/demo-task.jsonl: line 2: not valid JSON (nested too deeply to "
        "read (hundreds of levels))"
    ]


def test_duplicate_keys_in_a_row_are_reported(ws: Path) -> None:
    data = ws / "data/demo-task.jsonl"
    rows = data.read_text(encoding="utf-8").splitlines()
    key = next(iter(json.loads(rows[2])))
    rows[2] = rows[2][:-1] + f', "{key}": "shadow"}}'
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert problems(ws) == [
        f"data/demo-task.jsonl: line 3: not valid JSON (duplicate key {key!r} in one object)"
    ]


# ---------------------------------------------------------------------------------------------
# Deep nesting anywhere: a problem naming the file, never a traceback
# ---------------------------------------------------------------------------------------------


def test_deep_nesting_in_front_matter_config_and_answers(ws: Path) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    skill = next(p for p in sorted((ws / ".agents/skills").iterdir()) if p.is_dir())
    _edit(skill / "SKILL.md", "---\n", f"---\nmetadata: {deep}\n")
    (ws / "configs/eval/deep.toml").write_text(f"x = {deep}\n", encoding="utf-8")
    with open(ws / ".copier-answers.yml", "a", encoding="utf-8") as handle:
        handle.write(f"extra: {deep}\n")
    found = problems(ws)
    assert (
        f".agents/skills/{skill.name}/SKILL.md:1: front matter is not valid YAML (nested "
        "too deeply to read (hundreds of levels of lists or mappings)); quote values "
        "containing ': '"
    ) in found
    assert (
        "configs/eval/deep.toml: Invalid TOML: nested too deeply to read (hundreds of "
        "levels of arrays or tables)"
    ) in found
    assert (
        ".copier-answers.yml: is nested too deeply; restore it from git, never edit it by "
        "hand" in found
    )
    assert not [p for p in found if "stopped on input" in p]


def test_a_check_that_fails_anyway_is_one_problem(ws: Path) -> None:
    """The net under the parsers: a link loop where a file should be."""
    os.remove(ws / "AGENTS.md")
    os.symlink("AGENTS.md", ws / "AGENTS.md")
    report = check_workspace(ws, fast=True)
    assert report.problems and all(p.file for p in report.problems)


def test_stored_credential_of_a_newer_shape_is_flagged_even_fast(ws: Path) -> None:
    """The answers file was written by a template whose table lacked Groq keys."""
    key = "gsk" + "_" + "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5Nm7"
    with open(ws / ".copier-answers.yml", "a", encoding="utf-8") as handle:
        handle.write(f"judge_rubric: 'use {key}'\n")
    found = problems(ws)
    assert found == [
        ".copier-answers.yml: judge_rubric contains what looks like a Groq API key "
        "(gsk_...). Answers are saved in .copier-answers.yml and committed: remove "
        "the key, and keep secret values in .env or in Osmosis secrets (osmosis "
        "secret set NAME)"
    ]
    assert key not in "".join(found)
