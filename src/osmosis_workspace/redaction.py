"""The template's credential detector (``extensions/secrets.py``), loaded by path, and the one
redaction rule every printed line and JSON field goes through.

The table lives with the template because Copier runs the template's validators without this
package; loading the same file here keeps one list of shapes. A source checkout has it at
``extensions/secrets.py``; a built wheel carries a copy as ``osmosis_workspace/_secrets.py``
(``[tool.hatch.build.targets.wheel.force-include]``).
"""

from __future__ import annotations

import types
from functools import cache
from pathlib import Path
from typing import Any

_CHECKOUT_COPY = Path(__file__).resolve().parents[2] / "extensions" / "secrets.py"
_WHEEL_COPY = Path(__file__).resolve().parent / "_secrets.py"


@cache
def detector() -> types.ModuleType:
    """The loaded ``secrets.py`` module (``find_secret``, ``secret_problem``, ``redact``)."""
    path = _CHECKOUT_COPY if _CHECKOUT_COPY.is_file() else _WHEEL_COPY
    module = types.ModuleType("osmosis_workspace_secrets")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module


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
        return {redact_tree(k) if isinstance(k, str) else k: redact_tree(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(v) for v in value]
    return value
