"""``check-update``: compares the recorded version with the template's tags and previews the
update on a throw-away clone, never touching the workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.helpers import git, tree_bytes
from support.safety_helpers import small_workspace
from support.workspace_api_helpers import (
    V1,
    V2,
    TemplateRepo,
    copy_workspace,
    run_entry_point,
)

from osmosis_workspace.api import CheckUpdateOptions, check_for_update
from osmosis_workspace.exit_codes import ExitCode


@pytest.fixture
def v1(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    """The shared small workspace (no worked examples): a preview renders the template twice,
    and what these tests read (versions, skills, exit codes) does not depend on the examples."""
    return copy_workspace(small_workspace(tmp_path_factory, repo, V1), tmp_path / "v1")


def test_preview_lists_what_update_would_change_without_touching(v1: Path) -> None:
    (v1 / "README.md").write_text("uncommitted edit\n")  # the preview uses the last commit
    before = (tree_bytes(v1), git("status", "--porcelain", cwd=v1).stdout)
    result = check_for_update(v1)
    assert result.available and (result.current, result.latest) == (V1, V2)
    assert result.preview is not None and result.preview.path == v1.absolute()
    assert result.preview.changes.skills.added == ("fixture-fresh",)
    assert result.preview.changes.skills.removed == ("fixture-retired",)
    assert result.preview.conflicts == ()
    assert (tree_bytes(v1), git("status", "--porcelain", cwd=v1).stdout) == before
    assert check_for_update(v1, CheckUpdateOptions(preview=False)).preview is None


def test_cli_exit_codes_and_json(
    v1: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo
) -> None:
    proc = run_entry_point("check-update", "--json", "--no-preview", cwd=v1)
    assert proc.returncode == ExitCode.UPDATE_AVAILABLE, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["command"] == "check-update" and payload["exit_code"] == 7
    assert payload["result"]["available"] is True
    assert (payload["result"]["current"], payload["result"]["latest"]) == (V1, V2)
    assert payload["result"]["preview"] is None

    v2 = small_workspace(tmp_path_factory, repo, V2)
    latest = run_entry_point("check-update", str(v2), cwd=v1)
    assert latest.returncode == ExitCode.OK
    assert f"Up to date: {V2} is the latest version" in latest.stdout

    pinned = run_entry_point("check-update", "--ref", V1, "--json", cwd=v1)
    assert pinned.returncode == ExitCode.OK and json.loads(pinned.stdout)["ok"] is True


def test_not_a_workspace(tmp_path: Path) -> None:
    proc = run_entry_point("check-update", "--json", cwd=tmp_path)
    assert proc.returncode == ExitCode.REFUSED
    assert json.loads(proc.stdout)["error"]["code"] == "not_a_workspace"
