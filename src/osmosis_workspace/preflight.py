"""Before an update writes anything: the paths it will write or delete, and which of them hold
content git cannot give back.

Copier's update renders the old version into a temporary folder, then renders the new version
*over the workspace*, re-applies the user's diff and deletes what only the old version had
(copier-notes §4). The exact set of paths is only known inside Copier, once the answers and the
``_exclude``/``_skip_if_exists`` rules of the new version are resolved, so :func:`guarded`
hooks ``Worker._render_template`` for the duration of one update: when the worker is about to
render into the workspace, it first walks the template and renders the *names* only (no file
contents; the names are needed anyway and the compiled templates are cached), adds the paths the
old render had and the new one drops, and hands both lists to a check that may refuse. A
refusal raises before the first byte is written into the workspace. Copier's own pass then
reuses the rendered names, so the preflight costs almost nothing over the update itself
(instead of a second full render).

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

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import stops
from .gitutil import git_out, run_git

#: The name of the files the template's .gitignore keeps private (secrets, personal settings).
_PRIVATE_EXACT = frozenset({".env", "settings.local.json"})


def is_private(rel: str) -> bool:
    """A file users fill in privately: their copy always wins over the template's."""
    name = PurePosixPath(rel).name
    return name in _PRIVATE_EXACT or (name.startswith(".env.") and name != ".env.example")


def private_copies(ignored: Iterable[str]) -> list[str]:
    """Ignored private files that exist (from ``git ls-files -o -i --directory``)."""
    return sorted(p for p in ignored if not p.endswith("/") and is_private(p))


@dataclass(frozen=True)
class Plan:
    """What the update's write into the workspace will touch.

    ``written``: paths the new version renders (excluded and kept ``_skip_if_exists`` ones
    left out); ``deleted``: paths of the old render the new one drops; ``rendered``: every
    path the new version would render before exclusions (to report private files kept).
    """

    written: tuple[str, ...]
    deleted: tuple[str, ...]
    rendered: tuple[str, ...]


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


def _plan(worker: Any, dest: Path, old: set[str]) -> tuple[Plan, dict[Path, list[Any]]]:
    """The paths ``worker`` will render into ``dest`` (names only, no contents), and the
    rendered names of every template entry, which Copier's own pass then reuses."""
    from copier._tools import scantree

    preserve = worker.template.preserve_symlinks
    base = Path(worker.template_copy_root)
    names: dict[Path, list[Any]] = {}
    written: list[str] = []
    rendered: list[str] = []
    for entry in scantree(str(base), not preserve):
        relpath = Path(entry.path).relative_to(base)
        names[relpath] = list(worker._render_path(relpath))
        if not (entry.is_symlink() and preserve) and entry.is_dir(follow_symlinks=not preserve):
            continue
        for dst_rel, _ctx in names[relpath]:
            rel = Path(dst_rel).as_posix()
            rendered.append(rel)
            if worker.match_exclude(Path(rel)):
                continue
            if worker.match_skip(Path(rel)) and os.path.lexists(dest / rel):
                continue
            written.append(rel)
    deleted = sorted(old - set(written) - set(rendered))
    plan = Plan(tuple(sorted(set(written))), tuple(deleted), tuple(sorted(set(rendered))))
    return plan, names


def _reuse_names(worker: Any, names: dict[Path, list[Any]]) -> bool:
    """Let Copier's own pass take the names the plan rendered (each is rendered once)."""
    original = worker._render_path

    def _render_path(relpath: Path) -> Any:
        found = names.get(relpath)
        return iter(found) if found is not None else original(relpath)

    try:
        worker._render_path = _render_path
    except (AttributeError, TypeError, ValueError):
        return False
    return True


def _listing(folder: Path) -> set[str]:
    out = set()
    for base, dirs, files in os.walk(folder):
        names = files + [d for d in dirs if os.path.islink(os.path.join(base, d))]
        for name in names:
            out.add(Path(base, name).relative_to(folder).as_posix())
    return out


@contextlib.contextmanager
def guarded(root: Path, check: Callable[[Plan], None]) -> Iterator[None]:
    """Call ``check(plan)`` before Copier's update writes into ``root`` (module docstring).

    Must be used inside :func:`session.operation` (one Copier operation per process).
    """
    from copier import _main

    original = _main.Worker._render_template
    target = root.resolve()
    old: set[str] = set()
    seen_old = False

    def _render_template(self: Any) -> None:
        nonlocal seen_old
        dest = Path(self.dst_path).resolve()
        if dest != target:
            original(self)
            if not seen_old:  # the old version's render comes first
                old.update(_listing(dest))
                seen_old = True
            return
        plan, names = _plan(self, dest, old)
        check(plan)
        reused = _reuse_names(self, names)
        try:
            original(self)
        finally:
            if reused:
                self.__dict__.pop("_render_path", None)
        stops.point("update.copier-rendered")

    _main.Worker._render_template = _render_template
    try:
        yield
    finally:
        _main.Worker._render_template = original
