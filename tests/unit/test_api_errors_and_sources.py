"""The API surface that needs no template: lazy exports, picklable errors, URL and tag rules.

Moved from tests/integration/test_api.py (which keeps every test that creates or updates)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import osmosis_workspace
from osmosis_workspace import api
from osmosis_workspace.engine.source import (
    credential_problem,
    latest_tag,
)
from osmosis_workspace.errors import AnswerProblem, WorkspaceError
from osmosis_workspace.exit_codes import ExitCode

ANSWERS = {"workspace_name": "api-task"}


def test_package_exports_the_api_lazily() -> None:
    assert osmosis_workspace.create_workspace is api.create_workspace
    assert osmosis_workspace.WorkspaceError is WorkspaceError
    with pytest.raises(AttributeError):
        osmosis_workspace.nope  # noqa: B018


def test_error_survives_pickling_for_process_pools() -> None:
    error = WorkspaceError(
        "invalid_answers",
        "bad",
        problems=(AnswerProblem("q", "why"),),
        paths=("a",),
        details={"k": 1},
    )
    clone = pickle.loads(pickle.dumps(error))
    assert clone == error and clone.to_dict() == error.to_dict() and str(clone) == str(error)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:token@github.com/acme/t.git",
        "https://ghp_abcdefghijklmnopqrstuvwxyz@github.com/acme/t.git",
        "http://x:y@localhost/t.git",
        "ssh://git:pass@github.com/acme/t.git",
        "https://github.com/acme/t.git?access_token=abc",
        "https://example.com/t.git?X-Amz-Signature=abc",
    ],
)
def test_template_urls_with_credentials_are_refused(url: str, tmp_path: Path) -> None:
    assert credential_problem(url)
    with pytest.raises(WorkspaceError) as caught:
        api.create_workspace(tmp_path / "ws", ANSWERS, api.CreateOptions(template=url))
    assert caught.value.code == "unsafe_template"
    assert caught.value.exit_code == ExitCode.REFUSED
    assert url not in str(caught.value)  # the credential is not repeated back
    assert not (tmp_path / "ws").exists()


@pytest.mark.parametrize(
    "url",
    [
        "gh:osmosis-ai/osmosis-workspace",
        "https://github.com/osmosis-ai/osmosis-workspace.git",
        "git@github.com:osmosis-ai/osmosis-workspace.git",
        "ssh://git@github.com/acme/t.git",
        "/srv/templates/osmosis-workspace",
    ],
)
def test_ordinary_template_urls_are_accepted(url: str) -> None:
    assert credential_problem(url) == ""


def test_latest_tag_follows_pep_440() -> None:
    assert latest_tag(["v1.0.0", "v1.10.0", "v1.9.0", "v2.0.0rc1", "nightly"]) == "v1.10.0"
    assert latest_tag(["v2.0.0rc1"], prereleases=True) == "v2.0.0rc1"
    assert latest_tag(["nightly"]) is None
