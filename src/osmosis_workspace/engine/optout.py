"""Paths the user has customised and wants no template update to touch (the opt-out file).

A workspace may list template-managed paths in ``.osmosis-workspace-ignore`` at its root, one
gitignore-style pattern a line (``#`` comments, ``!`` negation, ``**``, a trailing ``/`` for
folders). ``update`` (every answers file), ``check-update`` (its preview runs the same update)
and the workspace's template-update script leave every matching path exactly as it was: same
bytes, same mode, present or absent as before. The opt-out file itself is always kept as the
user wrote it.

Why not Copier's own ``exclude``: Copier renders the old version with the exclusions too, so an
excluded file that exists in the workspace shows up in its update diff as a file the user
*added*, and applying that diff to a destination where the file is already present fails or
leaves a ``.rej`` file. Putting the opted-out paths back after the update is exact by
construction: the tree is clean before an update (the last commit is its state), so every held
path is restored from that commit, index entry included, and every matching path the update
created is removed.

Matching is git's own (``git ls-files --ignored --exclude-from``), so the standard-library
template-update script shipped in the workspace matches exactly the same paths.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from osmosis_workspace.engine.git import run_git

#: The opt-out file at the workspace root (shipped empty, with comments, by the template).
OPTOUT_FILE = ".osmosis-workspace-ignore"
_CHUNK = 200  # paths per git command line


@dataclass(frozen=True)
class Held:
    """Opted-out paths recorded before an update: tracked in the last commit, or not."""

    root: Path
    tracked: tuple[str, ...]


def _listed(root: Path, *args: str) -> set[str]:
    out = run_git(["-c", "core.quotePath=false", "ls-files", "-z", *args], root).stdout
    return set(filter(None, out.split("\0")))


def _matching(root: Path, which: str) -> set[str]:
    """Files matching the opt-out patterns: ``-c`` tracked ones, ``-o`` untracked ones."""
    if not (root / OPTOUT_FILE).is_file():
        return set()
    return _listed(root, which, "--ignored", f"--exclude-from={OPTOUT_FILE}")


def hold(root: Path) -> Held:
    """Record the opted-out paths of a clean workspace (call before Copier runs)."""
    tracked = _matching(root, "--cached")
    if _listed(root, "--cached", "--", OPTOUT_FILE):
        tracked.add(OPTOUT_FILE)
    return Held(root=root, tracked=tuple(sorted(tracked)))


def release(held: Held) -> list[str]:
    """Put every opted-out path back as the last commit has it; return those the update had
    changed, created or deleted (sorted)."""
    root = held.root
    tracked = list(held.tracked)
    changed: set[str] = set()
    for start in range(0, len(tracked), _CHUNK):
        chunk = tracked[start : start + _CHUNK]
        out = run_git(
            ["-c", "core.quotePath=false", "diff", "--name-only", "-z", "HEAD", "--", *chunk], root
        ).stdout
        changed.update(filter(None, out.split("\0")))
    for start in range(0, len(tracked), _CHUNK):
        run_git(["checkout", "HEAD", "--", *tracked[start : start + _CHUNK]], root)
    # After the checkout, so the patterns are the user's (the opt-out file is held too).
    created = _matching(root, "--others") & _listed(root, "--others", "--exclude-standard")
    for rel in sorted(created):
        path = root / rel
        if path.is_symlink() or path.is_file():
            path.unlink()
            _prune_empty_parents(root, path.parent)
    return sorted(changed | created)


def _prune_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        os.rmdir(folder)
        folder = folder.parent


def note(paths: list[str]) -> tuple[str, ...]:
    """The update report's line for opted-out paths the update would have changed."""
    if not paths:
        return ()
    return (f"left as they are ({OPTOUT_FILE}): " + ", ".join(paths),)
