"""Updates reach every rollout: `update --all` and the template-update script.

A workspace at v2 of the throwaway template with two rollouts added by add-rollout (three
answers files) is updated to a v3 that changes every rollout's README. All three answers
files end at v3, the user's edit in each rollout is kept, and the result is one run (`update
--all`, nothing committed) or one commit on one branch (the template-update script).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from support.helpers import git, tree_bytes
from support.safety_helpers import V1, full_state, private_files_repo, small_workspace, stop_env
from support.shared import shared_build
from support.workspace_api_helpers import (
    V2,
    TemplateRepo,
    commit_all,
    copy_workspace,
    release_changing_every_rollout,
    run_entry_point,
)

from osmosis_workspace.api import AddRolloutOptions, CreateOptions, create_workspace
from osmosis_workspace.engine import oplock
from osmosis_workspace.operations.add_rollout import add_rollout

V3 = "v3.0.0"
V3_LINE = "Release 3 of the template changes every rollout."
ADDED = ("billing", "triage")
ANSWERS = {"workspace_name": "demo-task", "include_examples": False}


def _v3_repo(root: Path, repo: TemplateRepo) -> TemplateRepo:
    dest = root / "template-v3" / "osmosis-workspace"
    dest.parent.mkdir(parents=True)
    return release_changing_every_rollout(dest, repo, V3, V3_LINE)


@pytest.fixture(scope="module")
def three_projects(tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    """A v2 workspace, two rollouts added, and a user edit committed in each of the three."""

    def build(root: Path) -> None:
        v3 = _v3_repo(root, repo)
        ws = root / "ws" / "demo-task"
        create_workspace(ws, ANSWERS, CreateOptions(template=v3.location, ref=V2))
        for name in ADDED:
            add_rollout(ws, name, {}, AddRolloutOptions(commit=True))
        for name in ("demo-task", *ADDED):
            main = ws / "rollouts" / name / "main.py"
            main.write_text(
                main.read_text(encoding="utf-8") + f"# my edit in {name}\n", encoding="utf-8"
            )
        commit_all(ws, "My edits in every rollout")

    return shared_build(tmp_path_factory, "update-all-three-projects", build) / "ws" / "demo-task"


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
    from support.github_helpers import load_script

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


# ---------------------------------------------------------------------------------------------
# update --all on the real workspace: lock, preflight, journal (as for update)
# ---------------------------------------------------------------------------------------------

SECRET = b"OPENAI_API_KEY=sk-users-own-key-never-in-git\n"


@pytest.fixture
def private_v1(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo
) -> Path:
    """A v1 workspace whose template's v3 ships .env, .osmosis/notes.md and TODO.md."""
    private = private_files_repo(tmp_path_factory, repo)
    return copy_workspace(small_workspace(tmp_path_factory, private, V1), tmp_path / "ws")


def test_update_all_refuses_ignored_and_skip_worktree_paths(private_v1: Path) -> None:
    notes = private_v1 / ".osmosis" / "notes.md"
    notes.parent.mkdir()
    notes.write_bytes(b"my research notes, only here\n")  # ignored; v3 ships this path
    git("update-index", "--skip-worktree", "AGENTS.md", cwd=private_v1)  # v3 changes AGENTS.md
    (private_v1 / "AGENTS.md").write_bytes(b"edited while git looks away\n")
    before = full_state(private_v1)

    proc = run_entry_point("update", "--all", "--ref", V3, "--json", cwd=private_v1)

    assert proc.returncode == 4, proc.stdout + proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "protected_paths"
    assert set(error["paths"]) == {".osmosis/notes.md", "AGENTS.md"}
    assert "skip-worktree" in error["details"]["reasons"]["AGENTS.md"]
    assert full_state(private_v1) == before


def test_update_all_killed_while_applying_is_reported_and_aborted_exactly(
    private_v1: Path,
) -> None:
    (private_v1 / ".env").write_bytes(SECRET)  # ignored and private; v3 ships its own
    git("update-index", "--assume-unchanged", "README.md", cwd=private_v1)  # index flags kept
    before = full_state(private_v1)

    args = ("update", "--all", "--ref", V3)
    killed = run_entry_point(*args, cwd=private_v1, env=stop_env("update-all.applied"))
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert (private_v1 / "TODO.md").is_file()  # half-way: the patch was applied
    check = run_entry_point("check", "--fast", cwd=private_v1)
    assert check.returncode == 5 and "interrupted" in check.stdout, check.stdout
    again = run_entry_point(*args, cwd=private_v1)
    assert again.returncode == 4 and "update --abort" in again.stderr, again.stderr

    abort = run_entry_point("update", "--abort", cwd=private_v1)
    assert abort.returncode == 0, abort.stdout + abort.stderr
    assert full_state(private_v1) == before

    done = run_entry_point(*args, "--json", cwd=private_v1)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (private_v1 / ".env").read_bytes() == SECRET
    notes = json.loads(done.stdout)["result"]["updates"][0][1]["notes"]
    assert any(note.startswith(".env: your private copy was kept") for note in notes), notes
    assert (private_v1 / "TODO.md").read_text() == "# To do\n"


def test_update_all_while_another_update_holds_the_lock(private_v1: Path) -> None:
    before = full_state(private_v1)
    with oplock.held(private_v1, "update") as me:
        proc = run_entry_point("update", "--all", "--json", cwd=private_v1)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    error = json.loads(proc.stdout)["error"]
    assert error["code"] == "locked" and error["details"]["pid"] == os.getpid()
    assert error["details"]["host"] == me.host and f"pid {os.getpid()}" in error["message"]
    assert full_state(private_v1) == before
