"""Where an operation keeps its state: a folder of its own inside the repository's git dir.

The lock, the journal and the pre-update snapshot live in ``$(git rev-parse --git-path
osmosis-workspace)``: never in the working tree (nothing for ``git status``, ``git clean`` or a
commit to pick up), and per working tree (a linked worktree gets ``.git/worktrees/<name>/...``),
so two worktrees of one repository are two workspaces.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from osmosis_workspace.engine.git import git_out

STATE_NAME = "osmosis-workspace"


def state_dir(root: Path, *, create: bool = False) -> Path:
    """The operation state folder of the workspace at ``root`` (created on request).

    Read from ``root/.git`` directly when possible (no subprocess: ``check --fast`` uses it in
    pre-commit hooks); else asked of ``git rev-parse --git-path``.
    """
    path = _direct(root)
    if path is None:
        rel = git_out(["rev-parse", "--git-path", STATE_NAME], root).strip()
        path = Path(rel) if os.path.isabs(rel) else root / rel
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def temp_name(path: Path, pid: int | None = None) -> Path:
    """The temporary file :func:`write_atomic` uses (known, so a recovery can remove it)."""
    return path.with_name(f".{path.name}.{pid or os.getpid()}.tmp")


def _direct(root: Path) -> Path | None:
    """``.git/osmosis-workspace``, or for a linked worktree (``.git`` is a ``gitdir:`` file)
    ``<its git dir>/osmosis-workspace``, the per-worktree place ``--git-path`` names."""
    dot = root / ".git"
    if dot.is_dir() and not dot.is_symlink():
        return dot / STATE_NAME
    if dot.is_file():
        try:
            text = dot.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if text.startswith("gitdir:"):
            gitdir = Path(text[len("gitdir:") :].strip())
            return (gitdir if gitdir.is_absolute() else root / gitdir) / STATE_NAME
    return None


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write ``path`` so that a reader (or a crash) sees the old bytes or the new, never half.

    ``mode`` (permission bits) is set on the new file before it replaces the old one.
    """
    tmp = temp_name(path)
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)
    sync_dir(path.parent)


def sync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a power cut (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when missing; ``{}`` when unreadable (still present)."""
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
