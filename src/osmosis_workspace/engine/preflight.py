"""Before an update writes anything: which of the paths it will write or delete hold content
git cannot give back.

The paths themselves come from the Copier adapter
(:mod:`osmosis_workspace.engine.copier_adapter.render_plan`), which knows them before Copier's first
write into the workspace; this module is the git side and never imports Copier.

A path is protected (the update is refused, every such path listed) when it is:

* untracked or ignored and exists (git never had its content);
* inside an ignored folder that exists (a restore could not tell new files from old ones);
* flagged assume-unchanged or skip-worktree in the index (``git status`` hides its edits);
* below a symbolic link to a folder (the write would land outside the workspace).

Files users fill in privately (``.env``, ``.env.*`` other than ``.env.example``, Claude Code's
``settings.local.json``) are not refused when they are ignored: the user's copy always wins.
They are excluded from the update before it starts, never written, and reported; the template's
version of such a file, if it ships one, is documented in ``.env.example``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from osmosis_workspace.engine.git import git_out, run_git

#: The name of the files the template's .gitignore keeps private (secrets, personal settings).
_PRIVATE_EXACT = frozenset({".env", "settings.local.json"})


def is_private(rel: str) -> bool:
    """A file users fill in privately: their copy always wins over the template's."""
    name = PurePosixPath(rel).name
    return name in _PRIVATE_EXACT or (name.startswith(".env.") and name != ".env.example")


def private_copies(ignored: Iterable[str]) -> list[str]:
    """Ignored private files that exist (from ``git ls-files -o -i --directory``)."""
    return sorted(p for p in ignored if not p.endswith("/") and is_private(p))


def index_flags(root: Path) -> dict[str, str]:
    """``{path: tag}`` from ``git ls-files -v`` (lowercase: assume-unchanged, S: skip-worktree)."""
    out = git_out(["ls-files", "-v", "-z"], root)
    return {entry[2:]: entry[0] for entry in out.split("\0") if len(entry) > 2}


def protected(root: Path, paths: Iterable[str], ignored: Iterable[str]) -> dict[str, str]:
    """``{path: reason}`` for each path whose content git cannot restore (module docstring)."""
    flags = index_flags(root)
    ignored_dirs = tuple(p for p in ignored if p.endswith("/"))
    found: dict[str, str] = {}
    missing_in_index: list[str] = []
    for rel in sorted(set(paths)):
        link = _linked_parent(root, rel)
        tag = flags.get(rel)
        if link:
            found[rel] = f"inside {link}, a link to a folder (the write would leave the workspace)"
        elif tag is not None and tag.islower():
            found[rel] = "flagged assume-unchanged in the index (git status hides its edits)"
        elif tag == "S":
            found[rel] = "flagged skip-worktree in the index (git status hides its edits)"
        elif tag is None and (folder := _ignored_parent(rel, ignored_dirs)):
            found[rel] = f"inside the ignored folder {folder} (git has no copy of it)"
        elif tag is None and os.path.lexists(root / rel):
            missing_in_index.append(rel)
    if missing_in_index:
        for rel in missing_in_index:
            found[rel] = "untracked (git has no copy of it)"
        out = run_git(
            ["check-ignore", "-z", "--stdin"],
            root,
            check=False,
            input_text="\0".join(missing_in_index),
        ).stdout
        for rel in filter(None, out.split("\0")):
            found[rel] = "ignored by .gitignore (git has no copy of it)"
    return dict(sorted(found.items()))


def _ignored_parent(rel: str, ignored_dirs: tuple[str, ...]) -> str | None:
    return next((d for d in ignored_dirs if rel.startswith(d)), None)


def _linked_parent(root: Path, rel: str) -> str | None:
    parts = PurePosixPath(rel).parts[:-1]
    for depth in range(1, len(parts) + 1):
        folder = "/".join(parts[:depth])
        if (root / folder).is_symlink():
            return folder
    return None
