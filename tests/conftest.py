"""Session fixtures: one render per answer set, one osmosis venv, one isolated HOME.

Renders are expensive (about half a second each) and read-only for most tests, so each answer
set is rendered and committed once per run, by whichever xdist worker asks first
(``support.shared.shared_build``); a test that changes files works on its own copy
(``helpers.committed_copy``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import scaffold_matrix
from support.helpers import (
    ANSWER_SETS,
    GIT_ENV,
    Osmosis,
    git_init_commit,
    render,
    snapshot_template,
)
from support.scaffold_matrix import all_combos
from support.shared import shared_build, shared_root
from support.template_repo import TemplateRepo, shared_template_repo

from osmosis_workspace import perf

OSMOSIS_VENV_VAR = "OSMOSIS_WORKSPACE_OSMOSIS_VENV"


LEVELS = ("unit", "integration", "acceptance")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its level (its folder), so ``-m "unit or smoke"`` selects by level."""
    tests = Path(__file__).parent
    for item in items:
        parts = item.path.relative_to(tests).parts if item.path.is_relative_to(tests) else ()
        if parts and parts[0] in LEVELS:
            item.add_marker(parts[0])


@pytest.fixture(autouse=True, scope="session")
def _git_identity() -> None:
    """Commits made by Copier, the CLI or tests need an identity; never touch global config."""
    os.environ.update(GIT_ENV)


@pytest.fixture(autouse=True, scope="session")
def _speed_levers() -> None:
    """Operations in this process run with the speed levers, as the CLI and a backend worker
    run them (docs/decisions/0018-the-suite-runs-with-the-levers.md). Nothing is imported
    here: the adapter installs them before the first Copier operation, and only those whose
    replaced code matches its verified digest."""
    perf.enable(on_import=True)


@pytest.fixture(scope="session")
def repo(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """The throwaway template repository with releases v1.0.0 and v2.0.0 (read-only)."""
    return shared_template_repo(tmp_path_factory)


@pytest.fixture(scope="session")
def osmosis(tmp_path_factory: pytest.TempPathFactory) -> Osmosis:
    """The pinned osmosis CLI prepared by ``python3 dev.py test`` (never skipped if missing)."""
    venv = os.environ.get(OSMOSIS_VENV_VAR)
    if not venv or not (Path(venv) / "bin" / "osmosis").exists():
        pytest.fail(
            f"{OSMOSIS_VENV_VAR} does not point at a venv with the osmosis CLI: run the suite "
            "with `python3 dev.py test`, which creates it",
            pytrace=False,
        )
    python312 = os.environ.get("UV_PYTHON") or str(Path(venv) / "bin" / "python")
    home = tmp_path_factory.mktemp("osmosis-home")
    pycache = shared_root(tmp_path_factory) / "osmosis-pycache"  # see Osmosis.pycache
    pycache.mkdir(exist_ok=True)
    return Osmosis(venv=Path(venv), home=home, python312=python312, pycache=pycache)


@pytest.fixture(scope="session")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every answer set in ``helpers.ANSWER_SETS`` rendered once per run and committed to git."""
    return {name: render_once(tmp_path_factory, name) for name in ANSWER_SETS}


def render_once(factory: pytest.TempPathFactory, name: str) -> Path:
    """The committed render of ``ANSWER_SETS[name]``, shared by every worker of the run."""
    answers = ANSWER_SETS[name]
    workspace = answers["workspace_name"]
    built = shared_build(
        factory, f"render-{name}", lambda p: git_init_commit(render(p / workspace, answers))
    )
    return built / workspace


@pytest.fixture(scope="session", params=sorted(ANSWER_SETS))
def workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each committed render in turn (read-only: copy it before changing anything)."""
    return render_once(tmp_path_factory, request.param)


@pytest.fixture(scope="session")
def default_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The defaults render alone (tests that need only it never pay for the other sets)."""
    return render_once(tmp_path_factory, "defaults")


@pytest.fixture(scope="session")
def matrix_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every scaffold combination rendered once per run into one folder, each committed to git.

    Built once and shared by the xdist workers (``support.shared``), in a process of its own
    that renders with the product's speed levers (``scaffold_matrix.render_matrix``), from a
    plain snapshot of the template (no clone per render). Nothing else is ever written into
    this folder, so tests can check that no render wrote beside itself.
    """
    template = shared_build(tmp_path_factory, "matrix-template", snapshot_template)

    def build(root: Path) -> None:
        script = Path(scaffold_matrix.__file__)
        env = {**os.environ, **GIT_ENV, "PYTHONPATH": str(script.parent.parent)}
        subprocess.run([sys.executable, str(script), str(root), str(template)], env=env, check=True)

    return shared_build(tmp_path_factory, "matrix", build)


@pytest.fixture(scope="session")
def matrix(matrix_root: Path) -> dict[str, Path]:
    return {combo.name: matrix_root / combo.name for combo in all_combos()}
