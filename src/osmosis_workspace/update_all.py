"""``update --all``: the workspace and every rollout added with add-rollout, in one run.

A workspace holds several Copier projects: ``.copier-answers.yml`` (the workspace) and one
``.copier-answers.rollout-<name>.yml`` per rollout added with ``add-rollout``. Copier updates
one answers file at a time and refuses a dirty tree, so updating them one after the other in
place would need commits on the user's branch between the runs.

Instead the updates run on a throw-away clone of the last commit (as ``check-update``'s
preview does): each answers file is updated with :func:`update.update_workspace` (same
safety: opted-out paths, kept deletions, conflicts, restore on failure) and its result is
committed in the clone so the next one starts clean. Only when every one of them succeeded is
the combined change applied to the workspace, with a single ``git apply`` of the binary diff:
all or nothing. Like ``update``, nothing is committed and the index is left alone; conflict
markers and ``*.rej`` files are in the working tree, listed in the result.

If the machine dies during the final apply, the workspace was clean before (a precondition):
``git reset --hard && git clean -fd`` brings it back to its last commit.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import WorkspaceError
from .gitutil import run_git
from .results import UpdateResult, _Serializable
from .update import preconditions, update_workspace
from .workspace import rollout_answers_files


@dataclass(frozen=True)
class UpdateAllResult(_Serializable):
    """One :class:`UpdateResult` per answers file (workspace first), applied together."""

    path: Path
    updates: tuple[tuple[str, UpdateResult], ...]

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(sorted({c for _, result in self.updates for c in result.conflicts}))


@dataclass(frozen=True)
class AllOptions:
    """What every answers file is updated to, and how (as for ``update``)."""

    ref: str | None = None
    conflict: str = "inline"
    cache_dir: Path | None = None
    private_cache: bool = True


def answers_files(root: Path) -> list[tuple[str, str | None]]:
    """(answers file name, rollout name or None) of every Copier project in the workspace."""
    from .workspace import locate

    _root, main = locate(root)
    return [(main.name, None), *((p.name, name) for name, p in rollout_answers_files(root).items())]


def update_all(
    path: str | os.PathLike[str] | None = None, options: AllOptions = AllOptions()
) -> UpdateAllResult:
    """Update every answers file of the workspace at ``path`` (see the module docstring)."""
    root, _answers_file, _recorded = preconditions(path)
    scratch = Path(tempfile.mkdtemp(prefix="osmosis-workspace-update-all-"))
    try:
        clone = clone_of(root, scratch)
        start = run_git(["rev-parse", "HEAD"], clone).stdout.strip()
        updates = run_all(clone, options)
        patch = scratch / "update.patch"
        patch.write_bytes(
            run_git(["diff", "--binary", "--no-renames", start, "HEAD"], clone, text=False).stdout
        )
        if patch.stat().st_size:
            _apply(root, patch)
        return UpdateAllResult(
            path=root, updates=tuple((name, _at(result, root)) for name, result in updates)
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def clone_of(root: Path, scratch: Path) -> Path:
    clone = scratch / root.name
    run_git(["clone", "-q", "--no-hardlinks", str(root), str(clone)], scratch)
    return clone


def run_all(clone: Path, options: AllOptions) -> list[tuple[str, UpdateResult]]:
    """Update each answers file of ``clone`` in turn, committing each result in the clone."""
    results = []
    for name, rollout in answers_files(clone):
        result = update_workspace(
            clone,
            ref=options.ref,
            conflict=options.conflict,
            cache_dir=options.cache_dir,
            private_cache=options.private_cache,
            rollout=rollout,
        )
        results.append((name, result))
        run_git(["add", "--all"], clone)
        if run_git(["status", "--porcelain"], clone).stdout.strip():
            run_git(["commit", "-q", "--no-verify", "-m", f"update {name}"], clone)
    return results


def _apply(root: Path, patch: Path) -> None:
    """Write the combined change into the workspace's working tree (``git apply``: all or
    nothing; the index and every other file are left alone)."""
    applied = run_git(["apply", "--whitespace=nowarn", str(patch)], root, check=False)
    if applied.returncode != 0:
        raise WorkspaceError(
            "update_failed",
            "The updated files could not be written into the workspace (nothing was "
            f"changed): {applied.stderr.strip()}",
        )


def _at(result: UpdateResult, root: Path) -> UpdateResult:
    import dataclasses

    notes = tuple(n for n in result.notes if "osmosis-workspace update --rollout" not in n)
    return dataclasses.replace(result, path=root, notes=notes)
