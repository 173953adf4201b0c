"""Stdlib-only modules of the template's ``extensions/`` that the CLI shares, loaded by path.

The template's validators run inside Copier without this package, so rules both sides need
(the credential table, the name rules, the dataset contract) live in the template, and this
package executes the same files: from the source checkout (``extensions/<name>``) or, in a built
wheel, from the copies ``[tool.hatch.build.targets.wheel.force-include]`` puts beside this
module (``_<name>``). A module that loads a sibling of its own (the dataset contract loads the
credential table) finds it through ``__template_reader__``, which reads from the same place.
"""

from __future__ import annotations

import sys
import types
from functools import cache
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[3] / "extensions"
_PACKAGE = Path(__file__).resolve().parents[1]


def _path(name: str) -> Path:
    path = _CHECKOUT / name
    return path if path.is_file() else _PACKAGE / f"_{name}"


def read(rel: str) -> str | None:
    """The text of ``extensions/<name>`` (``rel`` as a template path), or None."""
    path = _path(Path(rel).name)
    return path.read_text(encoding="utf-8") if path.is_file() else None


@cache
def load(name: str) -> types.ModuleType:
    """``extensions/<name>`` executed once (e.g. ``load("secrets.py")``)."""
    path = _path(name)
    module = types.ModuleType(f"osmosis_workspace_template_{Path(name).stem}")
    module.__file__ = str(path)
    module.__dict__["__template_reader__"] = read
    sys.modules[module.__name__] = module  # dataclasses look their module up by name
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return module
