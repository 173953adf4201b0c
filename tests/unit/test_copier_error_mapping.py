"""Copier errors map to our codes by their class in copier.errors, never by message text.

Moved from tests/integration/test_copier_adapter.py (which keeps the tests that run Copier)."""

from __future__ import annotations

import pytest
from copier.errors import InteractiveSessionError, TaskError, UnsafeTemplateError, UserMessageError

from osmosis_workspace.engine.copier_adapter import error_for
from osmosis_workspace.exit_codes import ExitCode


@pytest.mark.parametrize(
    ("exc", "code", "exit_code"),
    [
        (InteractiveSessionError("no tty"), "usage", ExitCode.USAGE),
        (UnsafeTemplateError(["tasks"]), "unsafe_template", ExitCode.REFUSED),
        (TaskError("exit 3", 3, "", ""), "copier_failed", ExitCode.ERROR),
        # Copier words downgrades and dirty trees as plain user messages: update refuses both
        # itself before Copier runs, so here they are only "Copier failed", whatever the text.
        (UserMessageError("You are downgrading from 2 to 1"), "copier_failed", ExitCode.ERROR),
        (UserMessageError("Destination repository is dirty"), "copier_failed", ExitCode.ERROR),
        (RuntimeError("boom"), "copier_failed", ExitCode.ERROR),
    ],
)
def test_errors_are_mapped_by_class(exc: Exception, code: str, exit_code: ExitCode) -> None:
    error = error_for(exc, action="render the template")
    assert (error.code, error.exit_code) == (code, exit_code)
    assert error.details["exception"] == type(exc).__name__
