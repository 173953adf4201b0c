"""The opt-out file: paths listed in .osmosis-workspace-ignore survive every kind of update.

A workspace at v1 of the throwaway template opts out of AGENTS.md (v2 edits it) and of the
skill folder v2 adds. After `update`, after `update --all`, after the workspace's own
template-update script and in `check-update`'s preview, both stay exactly as they were (bytes,
and absence) while every other v2 change arrives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.helpers import git
from support.workspace_api_helpers import (
    AGENTS_V2_SECTION,
    V1,
    V2,
    TemplateRepo,
    copy_workspace,
    shared_workspace,
)

from osmosis_workspace.engine.optout import OPTOUT_FILE
from osmosis_workspace.operations.check_update import check_for_update
from osmosis_workspace.operations.options import CheckUpdateOptions, UpdateOptions
from osmosis_workspace.operations.update import update_workspace
from osmosis_workspace.operations.update_all import update_all

MY_AGENTS = "# My own AGENTS.md\n\nI wrote this; template updates must leave it alone.\n"
PATTERNS = "# mine\nAGENTS.md\n.agents/skills/fixture-fresh/\n"


@pytest.fixture
def opted_out(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    """A committed v1 workspace whose AGENTS.md is the user's and opted out, like a skill."""
    ws = copy_workspace(shared_workspace(tmp_path_factory, repo, V1), tmp_path / "demo-task")
    assert (ws / OPTOUT_FILE).is_file(), "the template ships the opt-out file"
    assert "AGENTS.md" not in [
        line.strip() for line in (ws / OPTOUT_FILE).read_text(encoding="utf-8").splitlines()
    ], "shipped with comments only"
    (ws / "AGENTS.md").write_text(MY_AGENTS, encoding="utf-8")
    with (ws / OPTOUT_FILE).open("a", encoding="utf-8") as handle:
        handle.write(PATTERNS)
    git("add", "-A", cwd=ws)
    git("commit", "-q", "-m", "Opt out of AGENTS.md", cwd=ws)
    return ws


def _assert_kept_and_updated(ws: Path, optout_bytes: bytes) -> None:
    assert (ws / "AGENTS.md").read_bytes() == MY_AGENTS.encode(), "opted-out file changed"
    assert (ws / OPTOUT_FILE).read_bytes() == optout_bytes
    assert not (ws / ".agents/skills/fixture-fresh").exists(), "opted-out skill was added"
    # Every other change of v2 arrived.
    assert "_commit: v2.0.0" in (ws / ".copier-answers.yml").read_text(encoding="utf-8")
    assert (ws / "data/DATASETS.md").is_file()
    assert not (ws / ".agents/skills/fixture-retired").exists()
    assert not (ws / "rollouts/README.md").exists()
    conflicts = git("diff", "--name-only", "--diff-filter=U", cwd=ws).stdout
    assert conflicts == "", conflicts


@pytest.mark.slow
def test_update_keeps_opted_out_paths_byte_identical(opted_out: Path) -> None:
    optout_bytes = (opted_out / OPTOUT_FILE).read_bytes()
    result = update_workspace(opted_out, UpdateOptions(ref=V2))
    _assert_kept_and_updated(opted_out, optout_bytes)
    assert "AGENTS.md" not in result.changes.modified
    assert any(OPTOUT_FILE in note and "AGENTS.md" in note for note in result.notes)


@pytest.mark.slow
def test_update_all_and_check_update_honour_the_opt_out(opted_out: Path) -> None:
    optout_bytes = (opted_out / OPTOUT_FILE).read_bytes()
    check = check_for_update(opted_out, CheckUpdateOptions(ref=V2))
    assert check.available and check.behind == {".copier-answers.yml": V1}
    assert check.preview is not None
    assert "AGENTS.md" not in check.preview.changes.modified
    assert ".agents/skills/fixture-fresh" not in " ".join(check.preview.changes.added)

    update_all(opted_out, options=_ref(V2))
    _assert_kept_and_updated(opted_out, optout_bytes)


@pytest.mark.slow
def test_template_update_script_honours_the_opt_out(
    opted_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.github_helpers import load_script

    optout_bytes = (opted_out / OPTOUT_FILE).read_bytes()
    monkeypatch.setenv("COPIER", str(Path(sys.executable).parent / "copier"))
    monkeypatch.chdir(opted_out)
    script = load_script(opted_out / ".github/scripts/template_update.py")
    assert script.main(["--local", "--version", V2]) == 0
    branch = f"template-update/{V2}"
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=opted_out).stdout.strip() == branch
    assert git("status", "--porcelain", cwd=opted_out).stdout == ""
    _assert_kept_and_updated(opted_out, optout_bytes)
    touched = git("diff", "--name-only", "HEAD~1", "HEAD", cwd=opted_out).stdout.split()
    assert "AGENTS.md" not in touched and OPTOUT_FILE not in touched
    assert ".copier-answers.yml" in touched


def test_without_the_opt_out_the_same_update_changes_agents_md(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo
) -> None:
    """Control: the scenario above really changes AGENTS.md when nothing is opted out."""
    ws = copy_workspace(shared_workspace(tmp_path_factory, repo, V1), tmp_path / "demo-task")
    update_workspace(ws, UpdateOptions(ref=V2))
    assert AGENTS_V2_SECTION.strip() in (ws / "AGENTS.md").read_text(encoding="utf-8")
    assert (ws / ".agents/skills/fixture-fresh/SKILL.md").is_file()


def _ref(ref: str):  # type: ignore[no-untyped-def]
    from osmosis_workspace.operations.options import UpdateAllOptions

    return UpdateAllOptions(ref=ref)
