"""The pre-update state of a workspace, and putting it back exactly.

An update only starts on a clean tree, so the committed state *is* the state of every tracked
and untracked file: restoring is ``git reset --hard`` + ``git clean -fd``. That leaves ignored
files, which git never restores: small ignored files (``.env``, local settings) are copied
aside here, and ignored paths that did not exist before are deleted. Ignored directories that
already existed (``.venv``, ``.osmosis``) are never written by the template and are not copied.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .gitutil import git_out, run_git

#: Ignored files larger than this are not copied aside (the template never writes such files).
MAX_BACKUP_BYTES = 1 << 20


@dataclass
class Snapshot:
    head: str
    index: str
    ignored: set[str] = field(default_factory=set)
    backups: dict[str, bytes] = field(default_factory=dict)


def _ignored(repo: Path) -> set[str]:
    out = git_out(["ls-files", "-o", "-i", "--exclude-standard", "--directory", "-z"], repo)
    return {p for p in out.split("\0") if p}


def take(repo: Path) -> Snapshot:
    snap = Snapshot(
        head=git_out(["rev-parse", "HEAD"], repo).strip(),
        index=git_out(["ls-files", "-s"], repo),
        ignored=_ignored(repo),
    )
    for rel in snap.ignored:
        path = repo / rel
        if not rel.endswith("/") and path.is_file() and not path.is_symlink() \
                and path.stat().st_size <= MAX_BACKUP_BYTES:
            snap.backups[rel] = path.read_bytes()
    return snap


def restore(repo: Path, snap: Snapshot) -> None:
    """Put back the committed state, unstaged nothing, and the ignored files as they were."""
    run_git(["reset", "-q", "--hard", snap.head], repo)
    run_git(["clean", "-q", "-fd"], repo)
    for rel in _ignored(repo) - snap.ignored:
        path = repo / rel.rstrip("/")
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    for rel, data in snap.backups.items():
        path = repo / rel
        if path.is_symlink() or not path.is_file() or path.read_bytes() != data:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
