"""The secret-shape table and the API's own redaction, without rendering anything.

Moved from tests/integration/test_secrets.py (which keeps every test that renders or runs the
CLI): these two need no git, Copier or network."""

from __future__ import annotations

import json

from support.secret_shapes import SAFE, SHAPES, secrets_module

from osmosis_workspace.errors import WorkspaceError

SECRETS = secrets_module()


def test_the_table_covers_thirty_shapes_and_spares_prose() -> None:
    assert len(SHAPES) >= 30
    missed = [name for name, text in SHAPES if not SECRETS.find_secret(f"see {text} here")]
    assert missed == []
    assert [text for text in SAFE if SECRETS.find_secret(text)] == []
    for _name, text in SHAPES:
        assert SECRETS.find_secret(SECRETS.redact(f"note: {text} !")) == ""


def test_api_errors_are_redacted_at_the_source() -> None:
    """A backend that logs ``str(error)`` or ``to_dict()`` gets the same redaction as the CLI."""
    key = SHAPES[10][1]
    error = WorkspaceError(
        "internal", f"unexpected ValueError: bad {key}", paths=(f"x/{key}",), details={"why": key}
    )
    assert key not in str(error) + json.dumps(error.to_dict())
    assert "[redacted]" in error.message


def test_a_url_with_credentials_is_found_after_any_run_of_letters() -> None:
    """The scheme is matched over at most 32 characters (each letter of a long word starts a
    scan of at most 32 characters, not one to the word's end), and a credential URL glued to a
    long word is still found."""
    url = "https://deploy:hunter2hunter2@git.example.com/repo"
    for prefix in ("", "x", "a" * 40, "word" * 10_000):
        assert SECRETS.find_secret(prefix + url) == "a URL with a password or token", prefix[:8]
    assert SECRETS.find_secret("x" * 100_000) == ""
