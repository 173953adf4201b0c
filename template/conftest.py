"""Workspace-wide pytest set-up: `uv run pytest` here runs the tests of every rollout.

It adds one check of its own, reported as ``conftest.py::workspace-setup``, for two mistakes
that otherwise fail in confusing ways or not at all:

* symbolic links checked out as small text files. Git does that when ``core.symlinks`` is
  false, the default of Git for Windows without Developer Mode; ``.claude/skills`` then stops
  being a link to ``.agents/skills`` and Claude Code silently finds no skills;
* a folder in ``rollouts/`` that ``uv sync`` does not install, because it is missing from the
  ``rollouts`` dependency group or from ``[tool.uv.sources]`` in pyproject.toml. Its tests
  would fail to import, so they are left out and the check names the lines to add.
"""

from __future__ import annotations

import re
import subprocess
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
#: Links the workspace relies on even where git cannot be asked.
KNOWN_LINKS = {".claude/skills": "../.agents/skills"}


def tracked_links(root: Path) -> list[str]:
    """Paths git records as symbolic links (mode 120000), or the known ones without git."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "--stage", "-z"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return sorted(KNOWN_LINKS)
    links = {
        entry.split("\t", 1)[1] for entry in listing.split("\0") if entry.startswith("120000 ")
    }
    return sorted(links | set(KNOWN_LINKS))


def link_problems(root: Path) -> list[str]:
    """A message naming every link this checkout lacks, with the fix; empty when all is well."""
    broken: dict[str, str] = {}
    for rel in tracked_links(root):
        path = root / rel
        if path.is_symlink():
            if not path.exists():
                broken[rel] = f"is a link to {path.readlink()}, which does not exist"
        elif path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            broken[rel] = f"is a plain text file reading {text!r}, not a symbolic link"
    if not broken:
        return []
    return [
        "Symbolic links are broken in this checkout:\n"
        + "".join(f"  - {rel} {why}\n" for rel, why in broken.items())
        + "Git writes links as text files when core.symlinks is false, the default of Git for "
        "Windows without Developer Mode; Claude Code then finds no skills in .claude/skills.\n"
        "Fix:\n"
        "  1. On Windows, turn on Developer Mode (Settings > System > For developers), or use "
        "a terminal run as administrator.\n"
        "  2. git config core.symlinks true\n"
        f"  3. git checkout -- {' '.join(broken)}\n"
        "README.md, section 'Symlinks on Windows', explains more."
    ]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def uninstalled_rollouts() -> dict[str, str]:
    """Rollout folders that `uv sync` at the root does not install: {"rollouts/x": name}."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    group = config.get("dependency-groups", {}).get("rollouts", [])
    listed = {
        normalize(re.split(r"[\s\[<>=!~;@]", entry, maxsplit=1)[0])
        for entry in group
        if isinstance(entry, str)
    }
    sources = {
        normalize(key): value
        for key, value in config.get("tool", {}).get("uv", {}).get("sources", {}).items()
    }
    missing: dict[str, str] = {}
    for pyproject in sorted(ROOT.glob("rollouts/*/pyproject.toml")):
        try:
            name = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["name"]
        except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError):
            continue  # not a project this check understands; `osmosis doctor` has its say
        folder = pyproject.parent.relative_to(ROOT).as_posix()
        source = sources.get(normalize(name))
        path = source.get("path") if isinstance(source, dict) else None
        in_source = bool(path) and (ROOT / path).resolve() == pyproject.parent.resolve()
        if normalize(name) not in listed or not in_source:
            missing[folder] = name
    return missing


def rollout_problems() -> list[str]:
    return [
        f"{folder} is not installed by `uv sync`, so its tests were left out. Add it to "
        "pyproject.toml, then run `uv sync`:\n"
        f'  - in [dependency-groups], the entry "{name}" in the rollouts list\n'
        f'  - in [tool.uv.sources], the line: {name} = {{ path = "{folder}", editable = true }}'
        for folder, name in uninstalled_rollouts().items()
    ]


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """Leave out the tests of rollouts that are not installed (they could not import)."""
    try:
        rel = collection_path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return None
    return True if rel in uninstalled_rollouts() else None


class WorkspaceProblem(Exception):
    """A set-up problem of the workspace, reported with its fix instead of a traceback."""


class WorkspaceSetup(pytest.Item):
    def runtest(self) -> None:
        problems = link_problems(ROOT) + rollout_problems()
        if problems:
            raise WorkspaceProblem("\n\n".join(problems))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, WorkspaceProblem):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, "workspace set-up: symbolic links and installed rollouts"


class WorkspaceFile(pytest.File):
    def collect(self):
        yield WorkspaceSetup.from_parent(self, name="workspace-setup")


def pytest_collection_modifyitems(session: pytest.Session, items: list[pytest.Item]) -> None:
    """Run the set-up check first, whichever tests were selected."""
    holder = WorkspaceFile.from_parent(session, path=Path(__file__))
    items[:0] = list(holder.collect())
