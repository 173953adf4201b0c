"""Stdlib-only modules of the template's ``extensions/`` that the CLI shares, loaded by path.

The template's validators run inside Copier without this package, so rules both sides need
(the credential table, the name rules) live in the template, and this package executes the same
files: from the source checkout (``extensions/<name>``) or, in a built wheel, from the copies
``[tool.hatch.build.targets.wheel.force-include]`` puts beside this module (``_<name>``).
"""

from __future__ import annotations

import types
from functools import cache
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[3] / "extensions"
_PACKAGE = Path(__file__).resolve().parents[1]


@cache
def load(name: str) -> types.ModuleType:
    """``extensions/<name>`` executed once (e.g. ``load("secrets.py")``)."""
    path = _CHECKOUT / name
    if not path.is_file():
        path = _PACKAGE / f"_{name}"
    module = types.ModuleType(f"osmosis_workspace_template_{Path(name).stem}")
    module.__file__ = str(path)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module
