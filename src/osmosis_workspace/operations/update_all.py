"""``update --all``: the workspace and every rollout added with add-rollout, in one run.

A workspace holds several Copier projects: ``.copier-answers.yml`` (the workspace) and one
``.copier-answers.rollout-<name>.yml`` per rollout added with ``add-rollout``. Copier updates
one answers file at a time and refuses a dirty tree, so updating them one after the other in
place would need commits on the user's branch between the runs.

Instead the updates run on a throw-away clone of the last commit (as ``check-update``'s
preview does): each answers file is updated with :func:`update.update_workspace` (same
safety: opted-out paths, kept deletions, conflicts, restore on failure) and its result is
committed in the clone (ignored files too, so nothing the template writes escapes the checks
below) so the next one starts clean. Only when every one of them succeeded is the combined
change applied to the workspace, with a single ``git apply`` of the binary diff. Like
``update``, nothing is committed and the index is left alone; conflict markers and ``*.rej``
files are in the working tree, listed in the result.

On the real workspace it follows ``update``'s rules (docs/update-lifecycle.md): the workspace
lock is held for the whole run; a journal left by an interrupted operation refuses it; every
path the patch writes or deletes is checked by :func:`preflight.protected` (ignored, untracked,
flagged or below a linked folder: refused, exit 4, every path listed, nothing changed), except
private ``.env``-style files, where the user's copy wins (left out of the patch, reported); a
snapshot and the journal are saved before ``git apply`` and cleared after, so
``osmosis-workspace update --abort`` restores an interrupted run exactly.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

from osmosis_workspace.engine import journal, oplock, preflight, snapshot, stops
from osmosis_workspace.engine.git import run_git
from osmosis_workspace.engine.session import signals_deferred
from osmosis_workspace.engine.workspace import locate, read_answers, rollout_answers_files
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.operations.guards import preconditions, protected_error
from osmosis_workspace.operations.options import UpdateAllOptions, UpdateOptions
from osmosis_workspace.operations.update import update_workspace
from osmosis_workspace.results import UpdateAllResult, UpdateResult


def answers_files(root: Path) -> list[tuple[str, str | None]]:
    """(answers file name, rollout name or None) of every Copier project in the workspace."""
    _root, main = locate(root)
    return [(main.name, None), *((p.name, name) for name, p in rollout_answers_files(root).items())]


def update_all(
    path: str | os.PathLike[str] | None = None, options: UpdateAllOptions | None = None
) -> UpdateAllResult:
    """Update every answers file of the workspace at ``path`` (see the module docstring)."""
    options = options or UpdateAllOptions()
    root, _answers = locate(None if path is None else Path(path))
    with oplock.held(root, "update --all"):
        journal.refuse_if_interrupted(root)
        root, _answers_file, recorded = preconditions(root)
        scratch = Path(tempfile.mkdtemp(prefix="osmosis-workspace-update-all-"))
        try:
            clone = clone_of(root, scratch)
            start = run_git(["rev-parse", "HEAD"], clone).stdout.strip()
            updates = run_all(clone, options)
            notes = _apply_safely(root, clone, start, scratch / "update.patch", recorded)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    results = [(name, _at(result, root)) for name, result in updates]
    if notes:
        name, first = results[0]
        results[0] = (name, dataclasses.replace(first, notes=first.notes + tuple(notes)))
    return UpdateAllResult(path=root, updates=tuple(results))


def _apply_safely(
    root: Path, clone: Path, start: str, patch: Path, recorded: dict[str, object]
) -> list[str]:
    """Check, journal and apply the clone's change to the workspace; notes for the user."""
    written, deleted = patch_paths(clone, start)
    snap = snapshot.take(root)
    private = [p for p in preflight.private_copies(snap.ignored) if p in written]
    bad = preflight.protected(root, [*written, *deleted], snap.ignored)
    bad = {rel: why for rel, why in bad.items() if rel not in private}
    if bad:
        raise protected_error(bad)
    diff = [
        "diff",
        "--binary",
        "--no-renames",
        start,
        "HEAD",
        "--",
        ".",
        *(f":(exclude,literal){p}" for p in private),
    ]
    patch.write_bytes(run_git(diff, clone, text=False).stdout)
    if not patch.stat().st_size:
        return _private_notes(private)
    journal.begin(
        root,
        "update",
        {
            "from": recorded.get("_commit"),
            "to": _to(clone),
            "rollout": None,
            "answers_file": "--all",
        },
        snap,
    )
    try:
        stops.point("update-all.journal-written")
        _apply(root, patch)
        stops.point("update-all.applied")
    except BaseException:
        with signals_deferred():
            snapshot.restore(root, snap)
            journal.clear(root)
        raise
    journal.clear(root)
    return _private_notes(private)


def patch_paths(clone: Path, start: str) -> tuple[list[str], list[str]]:
    """(written, deleted): the paths the clone's change writes and deletes."""
    out = run_git(["diff", "--name-status", "--no-renames", "-z", start, "HEAD"], clone).stdout
    fields = out.split("\0")
    written: list[str] = []
    deleted: list[str] = []
    for status, rel in zip(fields[0::2], fields[1::2], strict=False):
        (deleted if status.startswith("D") else written).append(rel)
    return written, deleted


def _private_notes(private: list[str]) -> list[str]:
    return [
        f"{rel}: your private copy was kept as it is; the new template version ships its own, "
        "which was not written (compare with .env.example)"
        for rel in private
    ]


def _to(clone: Path) -> str | None:
    _root, main = locate(clone)
    value = read_answers(main).get("_commit")
    return str(value) if value else None


def clone_of(root: Path, scratch: Path) -> Path:
    clone = scratch / root.name
    run_git(["clone", "-q", "--no-hardlinks", str(root), str(clone)], scratch)
    return clone


def run_all(clone: Path, options: UpdateAllOptions) -> list[tuple[str, UpdateResult]]:
    """Update each answers file of ``clone`` in turn, committing each result in the clone."""
    results = []
    for name, rollout in answers_files(clone):
        one = UpdateOptions(
            ref=options.ref,
            conflict=options.conflict,
            rollout=rollout,
            cache_dir=options.cache_dir,
            private_cache=options.private_cache,
        )
        result = update_workspace(clone, one)
        results.append((name, result))
        run_git(["add", "--all", "--force"], clone)  # ignored files the update wrote too
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
    notes = tuple(n for n in result.notes if "osmosis-workspace update --rollout" not in n)
    return dataclasses.replace(result, path=root, notes=notes)
