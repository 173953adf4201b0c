"""The one redaction rule every printed line and JSON field goes through.

The credential shapes are the template's own table (``extensions/secrets.py``, loaded by path
through :mod:`.shared_rules`), so what the validators refuse and what the CLI hides agree.
"""

from __future__ import annotations

import types
from typing import Any


def detector() -> types.ModuleType:
    """The loaded ``secrets.py`` module (``find_secret``, ``secret_problem``, ``redact``)."""
    from osmosis_workspace.engine.shared_rules import load

    return load("secrets.py")


def find_secret(text: object) -> str:
    """What the credential in ``text`` looks like, or ``""``."""
    return str(detector().find_secret(text))


def redact(text: str) -> str:
    """``text`` with credential-shaped pieces replaced by ``[redacted]``."""
    return str(detector().redact(text))


def redact_tree(value: Any) -> Any:
    """A JSON-able value with every string (keys included) passed through :func:`redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            redact_tree(k) if isinstance(k, str) else k: redact_tree(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_tree(v) for v in value]
    return value
