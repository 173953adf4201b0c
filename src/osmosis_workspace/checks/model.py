"""Data types shared by the checks: a problem line, the run's context, the report."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Folders never walked: VCS data, virtualenvs, caches and Osmosis' local state.
PRUNED_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        ".osmosis",
        "node_modules",
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".mypy_cache",
        ".hypothesis",
        ".tox",
        "build",
        "dist",
    }
)


@dataclass(frozen=True)
class Problem:
    """One finding: the file (relative to the workspace; ``.`` for the workspace itself), why it
    is a problem, and which check found it. ``line`` is 1-based when known."""

    file: str
    message: str
    check: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "check": self.check, "message": self.message}


@dataclass
class CheckReport:
    """All problems found (empty = the workspace passed) and what was skipped."""

    path: Path
    problems: list[Problem]
    skipped: list[str]
    fast: bool

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "fast": self.fast,
            "problems": [p.to_dict() for p in self.problems],
            "skipped": self.skipped,
        }


@dataclass
class CheckContext:
    root: Path
    fast: bool = False
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    _files: list[str] | None = None

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def files(self) -> list[str]:
        """Every file and link of the workspace, relative, pruned folders excluded."""
        if self._files is None:
            found: list[str] = []
            for dirpath, dirnames, filenames in os.walk(self.root):
                base = Path(dirpath)
                dirnames[:] = sorted(
                    d for d in dirnames if d not in PRUNED_DIRS and not d.endswith(".egg-info")
                )
                links = [d for d in dirnames if (base / d).is_symlink()]
                for name in sorted(filenames) + links:
                    found.append((base / name).relative_to(self.root).as_posix())
            self._files = found
        return self._files

    def under(self, folder: str, suffixes: tuple[str, ...] = ()) -> Iterator[str]:
        prefix = folder.rstrip("/") + "/"
        for rel in self.files():
            if rel.startswith(prefix) and (not suffixes or rel.lower().endswith(suffixes)):
                yield rel

    def report(self) -> CheckReport:
        return CheckReport(self.root, self.problems, self.skipped, self.fast)
