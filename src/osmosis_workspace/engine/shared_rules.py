"""Stdlib-only modules of the template's ``extensions/`` that the CLI shares, loaded by path.

The template's validators run inside Copier without this package, so rules both sides need
(the credential table, the name rules, the dataset contract) live in the template, and this
package executes the same files: from the source checkout (``extensions/<name>``) or, in a built
wheel, from the copies ``[tool.hatch.build.targets.wheel.force-include]`` puts beside this
module (``_<name>``). A module that loads a sibling of its own (the dataset contract loads the
credential table) gets the same, already loaded module.
"""

from __future__ import annotations

import importlib.util
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
    """``extensions/<name>`` executed once (e.g. ``load("secrets.py")``).

    Loaded as a file module so Python's bytecode cache applies (``check --fast`` starts in a
    fraction of a second). A module that loads a sibling of its own gets this function as
    ``__template_sibling__`` (one copy of each module) and ``read`` as ``__template_reader__``.
    """
    path = _path(name)
    spec = importlib.util.spec_from_file_location(
        f"osmosis_workspace_template_{Path(name).stem}", path
    )
    if spec is None or spec.loader is None:  # pragma: no cover - a .py path always has one
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__template_reader__"] = read
    module.__dict__["__template_sibling__"] = load
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module
