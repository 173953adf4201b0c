"""Single scaffold-matrix renders for tests that need a few combinations, not all of them.

The session fixture ``matrix`` renders every combination (about 50) in each xdist worker that
asks for it; a test that needs two or three of them renders just those here, once per run,
shared across workers (``shared.shared_build``). Read-only: copy one before changing it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.helpers import git_init_commit, render, snapshot_template
from support.scaffold_matrix import all_combos
from support.shared import shared_build


def combo_render(factory: pytest.TempPathFactory, name: str) -> Path:
    """The committed render of the matrix combination ``name`` (as ``matrix[name]``)."""
    (combo,) = [c for c in all_combos() if c.name == name]

    def build(path: Path) -> None:
        template = snapshot_template(path / "template")
        git_init_commit(render(path / name, combo.answers, src=template, vcs_ref=None))

    return shared_build(factory, f"combo-{name}", build) / name
