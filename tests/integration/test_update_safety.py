"""`update` and `add-rollout` never destroy what git cannot give back, never write through links,
commit only what they wrote, and run one at a time (real Copier, real git, real processes).

Each test asserts the user's content byte for byte afterwards (``safety_helpers.full_state``:
every file with its mode, links, the raw index, HEAD).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.helpers import git, tree_bytes
from support.safety_helpers import (
    SMALL,
    V1,
    V2,
    V3,
    full_state,
    private_files_repo,
    small_workspace,
)
from support.workspace_api_helpers import TemplateRepo, copy_workspace, run_entry_point

from osmosis_workspace.api import (
    AddRolloutOptions,
    CreateOptions,
    UpdateOptions,
    WorkspaceError,
    add_rollout,
    create_workspace,
    update_workspace,
)
from osmosis_workspace.engine import oplock
from osmosis_workspace.engine.copier_adapter import render_plan
from osmosis_workspace.engine.rootproject import registered_bytes
from osmosis_workspace.exit_codes import ExitCode

SECRET = b"OPENAI_API_KEY=sk-users-own-key-never-in-git\n"


@pytest.fixture(scope="module")
def private_repo(tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> TemplateRepo:
    return private_files_repo(tmp_path_factory, repo)


@pytest.fixture
def v1_ws(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, private_repo: TemplateRepo
) -> Path:
    """A private copy of a v1 workspace whose template's v3 ships .env, .osmosis/notes.md and
    TODO.md."""
    return copy_workspace(small_workspace(tmp_path_factory, private_repo, V1), tmp_path / "ws")


@pytest.fixture
def v2_ws(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    return copy_workspace(small_workspace(tmp_path_factory, repo, V2), tmp_path / "ws2")


@pytest.fixture(params=["hook", "public"])
def plan_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each refusal case twice: with the verified render hook, and with the plan computed
    through Copier's public API only (what any other Copier 9.x gets); same outcome."""
    if request.param == "public":
        monkeypatch.setenv(render_plan.ENV, "public")
    else:
        monkeypatch.delenv(render_plan.ENV, raising=False)
    assert render_plan.mode()[0] == request.param
    return request.param


def json_error(proc: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(proc.stdout)["error"]


# ---------------------------------------------------------------------------------------------
# Files git cannot give back, and edits git status does not show
# ---------------------------------------------------------------------------------------------


def test_update_refuses_ignored_and_flagged_paths_listing_each(v1_ws: Path, plan_mode: str) -> None:
    notes = v1_ws / ".osmosis" / "notes.md"
    notes.parent.mkdir()
    notes.write_bytes(b"my research notes, only here\n")  # .osmosis/ is git-ignored
    for rel, flag in (("README.md", "--assume-unchanged"), ("AGENTS.md", "--skip-worktree")):
        git("update-index", flag, rel, cwd=v1_ws)
        (v1_ws / rel).write_bytes(b"edited while git looks away: " + rel.encode() + b"\n")
    before = full_state(v1_ws)

    proc = run_entry_point("update", "--ref", V3, "--json", cwd=v1_ws)

    assert proc.returncode == ExitCode.REFUSED, proc.stdout + proc.stderr
    error = json_error(proc)
    assert error["code"] == "protected_paths"
    assert set(error["paths"]) == {".osmosis/notes.md", "README.md", "AGENTS.md"}
    reasons = error["details"]["reasons"]
    assert "assume-unchanged" in reasons["README.md"]
    assert "skip-worktree" in reasons["AGENTS.md"]
    assert full_state(v1_ws) == before


def test_update_refuses_an_untracked_file_it_would_overwrite(v1_ws: Path, plan_mode: str) -> None:
    (v1_ws / "TODO.md").write_bytes(b"- call the customer\n")  # v3 ships TODO.md
    before = full_state(v1_ws)
    proc = run_entry_point("update", "--ref", V3, "--json", cwd=v1_ws)
    assert proc.returncode == ExitCode.REFUSED, proc.stderr
    error = json_error(proc)
    assert error["paths"] == ["TODO.md"] and "commit or stash them" not in error["message"]
    assert full_state(v1_ws) == before


def test_private_env_copy_always_wins_and_is_reported(v1_ws: Path, plan_mode: str) -> None:
    (v1_ws / ".env").write_bytes(SECRET)  # ignored; v3 ships its own .env
    result = update_workspace(v1_ws, UpdateOptions(ref=V3))
    assert (v1_ws / ".env").read_bytes() == SECRET
    assert [note for note in result.notes if note.startswith(".env")] == [
        ".env: your private copy was kept as it is; the new template version ships its own, "
        "which was not written (compare with .env.example)"
    ], result.notes
    assert (v1_ws / "TODO.md").read_text() == "# To do\n"  # the rest of v3 arrived
    assert "_commit: v3.0.0" in (v1_ws / ".copier-answers.yml").read_text()


def test_update_refuses_to_write_through_a_linked_folder(tmp_path: Path, v1_ws: Path) -> None:
    outside = tmp_path / "outside-rollouts"
    shutil.move(v1_ws / "rollouts", outside)
    (v1_ws / "rollouts").symlink_to(outside)
    git("add", "-A", cwd=v1_ws)
    git("commit", "-q", "-m", "rollouts live elsewhere", cwd=v1_ws)
    before, outside_before = full_state(v1_ws), tree_bytes(outside)
    with pytest.raises(WorkspaceError) as caught:
        update_workspace(v1_ws, UpdateOptions(ref=V2))
    assert caught.value.code == "protected_paths"
    assert any(p.startswith("rollouts/") for p in caught.value.paths)
    assert full_state(v1_ws) == before and tree_bytes(outside) == outside_before


# ---------------------------------------------------------------------------------------------
# Commit scope
# ---------------------------------------------------------------------------------------------


def test_add_rollout_commit_leaves_other_staged_changes_staged(v2_ws: Path) -> None:
    readme = v2_ws / "README.md"
    readme.write_bytes(readme.read_bytes() + b"\nStaged, not for the rollout commit.\n")
    (v2_ws / "notes.txt").write_bytes(b"also staged\n")
    git("add", "README.md", "notes.txt", cwd=v2_ws)
    staged_readme = readme.read_bytes()

    result = add_rollout(v2_ws, "second", options=AddRolloutOptions(commit=True))

    committed = set(git("show", "--name-only", "--format=", "HEAD", cwd=v2_ws).stdout.split())
    assert committed == {*result.files, "pyproject.toml"}
    assert git("diff", "--cached", "--name-only", cwd=v2_ws).stdout.split() == [
        "README.md",
        "notes.txt",
    ]
    assert readme.read_bytes() == staged_readme
    assert git("status", "--porcelain", cwd=v2_ws).stdout.splitlines() == [
        "M  README.md",
        "A  notes.txt",
    ]


def test_new_force_commits_only_the_files_it_rendered(tmp_path: Path, repo: TemplateRepo) -> None:
    dest = tmp_path / "demo-task"
    dest.mkdir()
    git("init", "-q", "-b", "main", cwd=dest)
    (dest / "keep.txt").write_bytes(b"committed before\n")
    git("add", "keep.txt", cwd=dest)
    git("commit", "-q", "-m", "first", cwd=dest)
    (dest / "mine.txt").write_bytes(b"staged, not to be committed by new\n")
    git("add", "mine.txt", cwd=dest)

    result = create_workspace(
        dest, SMALL, CreateOptions(template=repo.location, ref=V2, overwrite=True)
    )

    committed = set(git("show", "--name-only", "--format=", "HEAD", cwd=dest).stdout.split())
    assert "mine.txt" not in committed and set(result.files) <= committed
    assert git("diff", "--cached", "--name-only", cwd=dest).stdout.split() == ["mine.txt"]
    assert (dest / "mine.txt").read_bytes() == b"staged, not to be committed by new\n"


# ---------------------------------------------------------------------------------------------
# add-rollout: links, line endings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["rollouts", "configs/eval", "configs/training", "data", "pyproject.toml"]
)
def test_add_rollout_refuses_symlinked_targets(tmp_path: Path, v2_ws: Path, target: str) -> None:
    outside = tmp_path / "outside" / target.replace("/", "-")
    outside.parent.mkdir()
    shutil.move(v2_ws / target, outside)
    (v2_ws / target).symlink_to(outside)
    before = full_state(v2_ws)
    outside_before = tree_bytes(outside) if outside.is_dir() else outside.read_bytes()
    with pytest.raises(WorkspaceError) as caught:
        add_rollout(v2_ws, "second")
    assert caught.value.code == "protected_paths" and target in caught.value.paths
    assert caught.value.exit_code == ExitCode.REFUSED
    assert full_state(v2_ws) == before
    assert (tree_bytes(outside) if outside.is_dir() else outside.read_bytes()) == outside_before


def test_add_rollout_keeps_crlf_and_bom_of_pyproject(v2_ws: Path) -> None:
    pyproject = v2_ws / "pyproject.toml"
    lf = pyproject.read_bytes()
    pyproject.write_bytes(b"\xef\xbb\xbf" + lf.replace(b"\n", b"\r\n"))
    git("add", "pyproject.toml", cwd=v2_ws)
    git("commit", "-q", "-m", "Windows checkout", cwd=v2_ws)

    add_rollout(v2_ws, "second")

    after = pyproject.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and b"\n" not in after.replace(b"\r\n", b"")
    expected = registered_bytes(lf, "second")
    assert expected is not None
    assert after == b"\xef\xbb\xbf" + expected.replace(b"\n", b"\r\n")


# ---------------------------------------------------------------------------------------------
# One operation at a time: the lock
# ---------------------------------------------------------------------------------------------


def test_second_operation_is_refused_naming_the_holder(v2_ws: Path) -> None:
    before = full_state(v2_ws)
    with oplock.held(v2_ws, "update") as me:
        proc = run_entry_point("update", "--json", cwd=v2_ws)
        rollout = run_entry_point("add-rollout", "second", "--json", cwd=v2_ws)
    for result in (proc, rollout):
        assert result.returncode == ExitCode.REFUSED, result.stdout + result.stderr
        error = json_error(result)
        assert error["code"] == "locked" and error["details"]["stale"] is False
        assert error["details"]["pid"] == os.getpid() and error["details"]["host"] == me.host
        assert error["details"]["started"] == me.started
        assert f"pid {os.getpid()}" in error["message"]
    assert full_state(v2_ws) == before


def test_stale_lock_is_reported_with_how_to_clear_it(v2_ws: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with oplock.held(v2_ws, "update") as me:
        lock = oplock.lock_path(v2_ws)
        data = json.loads(lock.read_text())
        lock_copy = json.dumps({**data, "pid": dead.pid, "proc_start": ""})
    lock.write_text(lock_copy)  # what a killed holder leaves
    assert me.pid == os.getpid()

    proc = run_entry_point("update", cwd=v2_ws)
    assert proc.returncode == ExitCode.REFUSED
    assert "no longer running" in proc.stderr and f"rm {lock}" in proc.stderr
    check = run_entry_point("check", "--fast", cwd=v2_ws)
    assert check.returncode == ExitCode.PROBLEMS and "no longer running" in check.stdout
    abort = run_entry_point("update", "--abort", cwd=v2_ws)
    assert abort.returncode == ExitCode.OK, abort.stderr
    assert "Nothing to abort" in abort.stdout and not lock.exists()


def test_check_reports_a_half_added_rollout_left_without_journal(v2_ws: Path) -> None:
    """An add-rollout interrupted by a version without journal: untracked leftovers."""
    from osmosis_workspace.checks import check_workspace

    (v2_ws / ".copier-answers.rollout-ghost.yml").write_text(
        (v2_ws / ".copier-answers.yml").read_text()
    )
    (v2_ws / "rollouts" / "ghost").mkdir()
    (v2_ws / "rollouts" / "ghost" / "main.py").write_text("# half\n")
    report = check_workspace(v2_ws)
    found = [p for p in report.problems if p.check == "operations"]
    assert len(found) == 1 and found[0].file == ".copier-answers.rollout-ghost.yml"
    assert "half-added" in found[0].message and "configs/eval/ghost.toml" in found[0].message
    assert "add-rollout ghost" in found[0].message
