"""Updates reach every rollout: `update --all` and the template-update script.

A workspace at v2 of the throwaway template with two rollouts added by add-rollout (three
answers files) is updated to a v3 that changes every rollout's README. All three answers
files end at v3, the user's edit in each rollout is kept, and the result is one run (`update
--all`, nothing committed) or one commit on one branch (the template-update script).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from helpers import git, tree_bytes
from workspace_api_helpers import (
    V2,
    TemplateRepo,
    commit_all,
    copy_workspace,
    run_entry_point,
    shared,
)

from osmosis_workspace.add_rollout import add_rollout
from osmosis_workspace.api import create_workspace

V3 = "v3.0.0"
V3_LINE = "Release 3 of the template changes every rollout."
ADDED = ("billing", "triage")
ANSWERS = {"workspace_name": "demo-task", "include_examples": False}


def _v3_repo(factory: pytest.TempPathFactory, repo: TemplateRepo) -> TemplateRepo:
    dest = factory.mktemp("template-v3") / "osmosis-workspace"
    git("clone", "-q", str(repo.path), str(dest), cwd=dest.parent)
    readme = dest / "template" / "rollouts" / "{{rollout_name}}" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + f"\n{V3_LINE}\n", encoding="utf-8")
    commit_all(dest, "Template v3", V3)
    return TemplateRepo(dest)


@pytest.fixture(scope="module")
def three_projects(tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    """A v2 workspace, two rollouts added, and a user edit committed in each of the three."""

    def build() -> Path:
        v3 = _v3_repo(tmp_path_factory, repo)
        ws = tmp_path_factory.mktemp("ws-all") / "demo-task"
        create_workspace(ws, ANSWERS, template=v3.location, ref=V2)
        for name in ADDED:
            add_rollout(ws, name, {}, commit=True)
        for name in ("demo-task", *ADDED):
            main = ws / "rollouts" / name / "main.py"
            main.write_text(
                main.read_text(encoding="utf-8") + f"# my edit in {name}\n", encoding="utf-8"
            )
        commit_all(ws, "My edits in every rollout")
        return ws

    return shared("update-all-three-projects", build)


def _answers_files(ws: Path) -> list[Path]:
    return [
        ws / ".copier-answers.yml",
        *(ws / f".copier-answers.rollout-{name}.yml" for name in ADDED),
    ]


def _assert_all_at_v3_with_edits(ws: Path) -> None:
    for answers in _answers_files(ws):
        assert f"_commit: {V3}" in answers.read_text(encoding="utf-8"), answers.name
    for name in ("demo-task", *ADDED):
        rollout = ws / "rollouts" / name
        assert V3_LINE in (rollout / "README.md").read_text(encoding="utf-8"), name
        assert f"# my edit in {name}\n" in (rollout / "main.py").read_text(encoding="utf-8")


@pytest.mark.slow
def test_update_all_brings_every_answers_file_to_the_new_version(
    three_projects: Path, tmp_path: Path
) -> None:
    ws = copy_workspace(three_projects, tmp_path / "demo-task")
    head = git("rev-parse", "HEAD", cwd=ws).stdout
    for answers in _answers_files(ws):
        assert f"_commit: {V2}" in answers.read_text(encoding="utf-8")

    checked = run_entry_point("check-update", "--ref", V3, "--no-preview", "--json", cwd=ws)
    assert checked.returncode == 7, checked.stdout + checked.stderr
    assert json.loads(checked.stdout)["result"]["behind"] == {
        answers.name: V2 for answers in _answers_files(ws)
    }

    done = run_entry_point("update", "--all", "--ref", V3, "--json", cwd=ws)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(done.stdout)["result"]
    assert [name for name, _ in payload["updates"]] == [a.name for a in _answers_files(ws)]
    _assert_all_at_v3_with_edits(ws)
    # One run, nothing committed: the user reviews one diff.
    assert git("rev-parse", "HEAD", cwd=ws).stdout == head
    changed = git("status", "--porcelain", cwd=ws).stdout
    for name in ("demo-task", *ADDED):
        assert f"rollouts/{name}/README.md" in changed


@pytest.mark.slow
def test_update_all_is_all_or_nothing(three_projects: Path, tmp_path: Path) -> None:
    """One answers file that cannot be updated: the workspace is left exactly as it was."""
    ws = copy_workspace(three_projects, tmp_path / "demo-task")
    broken = ws / f".copier-answers.rollout-{ADDED[-1]}.yml"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace(f"_commit: {V2}", "_commit: v2.9.9"), encoding="utf-8")
    commit_all(ws, "An answers file naming a version that does not exist")
    before = tree_bytes(ws)
    failed = run_entry_point("update", "--all", "--ref", V3, cwd=ws)
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert tree_bytes(ws) == before


@pytest.mark.slow
def test_template_update_script_updates_every_rollout_in_one_commit(
    three_projects: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from github_helpers import load_script

    ws = copy_workspace(three_projects, tmp_path / "demo-task")
    base = git("rev-parse", "HEAD", cwd=ws).stdout.strip()
    monkeypatch.setenv("COPIER", str(Path(sys.executable).parent / "copier"))
    monkeypatch.chdir(ws)
    script = load_script(ws / ".github/scripts/template_update.py")
    assert script.main(["--local", "--version", V3]) == 0

    assert (
        git("rev-parse", "--abbrev-ref", "HEAD", cwd=ws).stdout.strip() == f"template-update/{V3}"
    )
    assert git("rev-parse", "HEAD~1", cwd=ws).stdout.strip() == base, "one commit"
    assert git("status", "--porcelain", cwd=ws).stdout == ""
    _assert_all_at_v3_with_edits(ws)
    touched = git("diff", "--name-only", "HEAD~1", "HEAD", cwd=ws).stdout.split()
    assert {a.name for a in _answers_files(ws)} <= set(touched)
