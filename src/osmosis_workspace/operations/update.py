"""Update a workspace to a newer template version without ever losing the user's work.

Copier's update is a 3-way merge that (Copier 9.19.1, verified) exits 0 on conflicts, deletes files
the user edited when the template deletes or renames them, leaves dangling links for removed
skills, and can leave a half-applied update with a bumped ``_commit`` when it fails. Around it
(the life of an update is told in docs/update-lifecycle.md):

1. take the workspace lock (:mod:`.oplock`), then refuse while a journal says an earlier
   operation was interrupted, and unless the tree is clean (the last commit is then the exact
   pre-update state);
2. save the snapshot (commit id, index bytes, small ignored files) and the journal under
   ``.git/`` (:mod:`.journal`): from here on a killed update can be undone by another process;
3. run ``copier.run_update`` (through :mod:`.copier_adapter`); just before it writes into the
   workspace (:mod:`.copier_adapter.render_plan`), :mod:`.preflight` refuses when a path it
   would write or delete holds content git cannot give back;
4. keep user-edited files the new version deleted (restored from the last commit, reported);
5. delete links that the update left dangling;
6. list conflicts (unmerged entries, ``*.rej``, markers) for a non-zero exit;
7. on *any* exception, in Copier or in steps 3-6, restore the snapshot and raise;
8. clear the journal (the tree is final), then release the lock.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from osmosis_workspace.engine import (
    changes,
    copier_adapter,
    journal,
    oplock,
    optout,
    preflight,
    session,
    snapshot,
    stops,
)
from osmosis_workspace.engine.copier_adapter import render_plan
from osmosis_workspace.engine.git import run_git
from osmosis_workspace.engine.render import load_rules, public_answers, require_valid_answers
from osmosis_workspace.engine.source import resolve, version_of
from osmosis_workspace.engine.workspace import locate, read_answers, rollout_answers_files
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.operations.guards import preconditions, protected_error, target_version
from osmosis_workspace.operations.options import UpdateOptions
from osmosis_workspace.results import UpdateResult

#: Git identity for the throw-away commits Copier makes in its temporary repositories, so an
#: update works on machines where git has no user configured. Nothing is committed for the user.
_COPIER_TEMP_IDENTITY = {
    "GIT_AUTHOR_NAME": "osmosis-workspace",
    "GIT_AUTHOR_EMAIL": "update@osmosis-workspace.invalid",
    "GIT_COMMITTER_NAME": "osmosis-workspace",
    "GIT_COMMITTER_EMAIL": "update@osmosis-workspace.invalid",
}


def update_workspace(
    path: str | os.PathLike[str] | None = None, options: UpdateOptions | None = None
) -> UpdateResult:
    """Update the workspace at ``path`` to template version ``options.ref`` (default: latest tag).

    With ``options.rollout``, update only that rollout (one added with
    :func:`~osmosis_workspace.api.add_rollout`, through its own answers file) instead of the
    workspace; the result's ``notes`` of a workspace update list the rollouts to update that way
    next.

    The result is left uncommitted for review. Files you edited that the new version deletes or
    renames are kept (``result.kept``); links left dangling by removed skills are deleted
    (``result.pruned_links``); conflicts are listed in ``result.conflicts`` (``result.ok`` is
    False) with markers (``conflict="inline"``) or ``*.rej`` files (``conflict="rej"``).
    ``options.answers`` changes stored answers (for example ``{"skills": ["all"]}``).

    Raises:
        WorkspaceError: ``not_a_workspace``, ``not_updatable``, ``dirty`` (``.paths`` lists the
            files), ``downgrade``, ``invalid_answers``, ``unsafe_template``, ``update_failed``.
            On any failure the workspace is restored byte for byte, ``_commit`` included.
    """
    options = options or UpdateOptions()
    if options.conflict not in {"inline", "rej"}:
        raise WorkspaceError(
            "usage", f"conflict must be 'inline' or 'rej', not {options.conflict!r}"
        )
    root, _answers = locate(None if path is None else Path(path))
    with oplock.held(root, "update"):
        stops.point("update.locked")
        result = _update_locked(root, options)
        stops.point("update.journal-cleared")
    return result


def _update_locked(root: Path, opts: UpdateOptions) -> UpdateResult:
    """The update proper, lock held (module docstring, steps 1-8)."""
    journal.refuse_if_interrupted(root)
    root, answers_file, recorded = preconditions(root, opts.rollout)
    src, old = str(recorded["_src_path"]), str(recorded["_commit"])
    target = target_version(src, opts.ref)
    _check_target(src, old, target, opts.answers)
    snap = snapshot.take(root)
    private = preflight.private_copies(snap.ignored)
    dangling_before = changes.dangling(root)
    head_skills = changes.head_skill_names(root)
    notes: list[str] = []
    details = {"from": old, "to": target, "rollout": opts.rollout}
    journal.begin(root, "update", {**details, "answers_file": answers_file.name}, snap)
    stops.point("update.journal-written")
    try:
        held = optout.hold(root)
        _moved(root)  # a record left by an earlier, failed update is not this one's
        with session.operation(
            cache_dir=opts.cache_path,
            private_cache=opts.private_cache,
            extra_env=_COPIER_TEMP_IDENTITY,
        ) as op:
            plan = _plan_inputs(recorded, answers_file, target, opts.answers, private)
            check = _preflight_check(root, snap.ignored, private, notes)
            _run_copier(root, answers_file, target, opts, plan=plan, check=check)
            stops.point("update.copier-done")
            opted_out = optout.release(held)  # paths the user opted out of, as they were
            kept = _keep_user_edited_deletions(root, recorded, op.scratch, _moved(root))
            pruned = prune_dangling_links(root, dangling_before)
            conflicts = changes.conflicts(root)
            summary = changes.summarize(root, head_skills)
            now = read_answers(answers_file)
        stops.point("update.final")
    except BaseException as exc:
        with session.signals_deferred():
            snapshot.restore(root, snap)
            journal.clear(root)
        failure = _failure(exc, old, target)
        if failure is exc:
            raise
        raise failure from (exc.__cause__ if isinstance(exc, WorkspaceError) else exc)
    journal.clear(root)
    return UpdateResult(
        path=root,
        from_version=old,
        to_version=str(now.get("_commit") or target),
        changes=summary,
        conflicts=tuple(conflicts),
        kept=tuple(kept),
        pruned_links=tuple(pruned),
        answers=public_answers(now),
        notes=tuple(notes)
        + optout.note(opted_out)
        + (() if opts.rollout else _other_rollouts_note(root)),
    )


def _failure(exc: BaseException, old: str, target: str | None) -> BaseException:
    """The exception to raise once the workspace was restored."""
    if isinstance(exc, KeyboardInterrupt | SystemExit) or (
        isinstance(exc, WorkspaceError) and exc.code != "update_failed"
    ):
        return exc
    cause = exc.__cause__ if isinstance(exc, WorkspaceError) else exc
    detail = exc.message if isinstance(exc, WorkspaceError) else str(exc)
    return WorkspaceError(
        "update_failed",
        f"The update failed and the workspace was restored as it was: {detail}",
        details={"exception": type(cause or exc).__name__, "from": old, "to": target},
    )


def _plan_inputs(
    recorded: Mapping[str, Any],
    answers_file: Path,
    target: str | None,
    answers: Mapping[str, Any] | None,
    private: list[str],
) -> render_plan.PlanInputs:
    """What the adapter needs to list the update's writes (through Copier's public API when
    its render hook is not verified for the installed Copier)."""
    return render_plan.PlanInputs(
        src=str(recorded["_src_path"]),
        old_ref=str(recorded["_commit"]),
        new_ref=target,
        answers_file=answers_file.name,
        old_answers=dict(recorded),
        new_answers={**recorded, **(answers or {})},
        private=tuple(private),
        exclude=tuple(f"/{_glob_escape(p)}" for p in private),
    )


def _preflight_check(
    root: Path, ignored: set[str], private: list[str], notes: list[str]
) -> Callable[[render_plan.Plan], None]:
    """Refuse before the first write when a path holds content git cannot give back."""

    def check(plan: render_plan.Plan) -> None:
        bad = preflight.protected(root, [*plan.written, *plan.deleted], ignored)
        if bad:
            raise protected_error(bad)
        notes.extend(
            f"{path}: your private copy was kept as it is; the new template version ships its "
            "own, which was not written (compare with .env.example)"
            for path in private
            if path in plan.rendered
        )

    return check


def _other_rollouts_note(root: Path) -> tuple[str, ...]:
    """Rollouts added with add-rollout are separate Copier projects: say how to update them."""
    return tuple(
        f"rollout {name} has its own answers file ({path.name}): after committing this update, "
        f"update it with `osmosis-workspace update --rollout {name}`"
        for name, path in rollout_answers_files(root).items()
    )


def prune_dangling_links(root: Path, before: set[str]) -> list[str]:
    """Module-level seam so tests can inject a failure after Copier has written files."""
    return changes.prune_dangling_links(root, before)


def _check_target(
    src: str, old: str, target: str | None, answers: Mapping[str, Any] | None
) -> None:
    """Refuse a downgrade, and changed answers the target version rejects, before anything is
    touched."""
    old_v, new_v = version_of(old), version_of(target)
    if old_v is not None and new_v is not None and new_v < old_v:
        raise WorkspaceError(
            "downgrade",
            f"Refusing to downgrade from {old} to {target}",
            details={"from": old, "to": target},
        )
    if not answers:
        return
    try:
        source = resolve(src, target)
    except WorkspaceError:
        return
    questionnaire, rules = load_rules(source)
    if questionnaire is not None:
        require_valid_answers(questionnaire, answers, rules)


def _run_copier(
    root: Path,
    answers_file: Path,
    target: str | None,
    opts: UpdateOptions,
    *,
    plan: render_plan.PlanInputs,
    check: Callable[[render_plan.Plan], None],
) -> None:
    """The one Copier call of an update. ``plan.exclude`` (gitignore patterns) is never written
    nor deleted; ``check`` sees what will be written before the first write (:mod:`.preflight`
    judges the paths, :mod:`.copier_adapter.render_plan` lists them)."""
    answers = opts.answers or {}
    guard = render_plan.checked(
        root, plan, check, after_render=lambda: stops.point("update.copier-rendered")
    )
    try:
        with guard:
            copier_adapter.run_update(
                str(root),
                data=dict(answers),
                answers_file=answers_file.name,
                vcs_ref=target,
                defaults=True,
                overwrite=True,
                skip_answered=True,
                conflict=opts.conflict,
                exclude=list(plan.exclude),
            )
    except (KeyboardInterrupt, SystemExit, WorkspaceError):
        raise
    except Exception as exc:
        error = copier_adapter.error_for(
            exc, action="update the workspace", answered=tuple(answers)
        )
        if error.code != "copier_failed":
            raise error from exc
        message = str(exc).strip() or type(exc).__name__
        if isinstance(exc, AssertionError):
            message += (
                " (Copier fails like this when a real folder sits where the template has "
                "a link, for example .claude/skills: restore the link with "
                "`ln -s ../.agents/skills .claude/skills`)"
            )
        raise WorkspaceError("update_failed", message) from exc


def _moved(root: Path) -> set[str]:
    """Paths a template migration's ``move`` step moved in this update (migrations/migrate.py
    records them under ``.git``); the record is consumed."""
    rel = run_git(["rev-parse", "--git-path", "osmosis-template-migrations/moved"], root)
    record = Path(rel.stdout.strip())
    record = record if record.is_absolute() else root / record
    try:
        moved = set(record.read_text(encoding="utf-8").splitlines())
    except OSError:
        return set()
    record.unlink(missing_ok=True)
    return moved


def _keep_user_edited_deletions(
    root: Path, recorded: Mapping[str, Any], scratch: Path, moved: set[str]
) -> list[str]:
    """Restore files the update deleted that differ from what the old version rendered.

    Such a file was edited by the user; Copier deletes it anyway when the template deletes or
    renames it. Only the deleted paths of the old version are rendered, and only when the
    update deleted something. A path a migration moved (``moved``) is skipped: its content,
    edits included, was carried to its new place.
    """
    deleted = [
        path
        for status, path in changes.status_entries(root)
        if "D" in status
        and path not in moved
        and not (root / path).exists()
        and not (root / path).is_symlink()
    ]
    if not deleted:
        return []
    old_render = _render_old(recorded, scratch / "old-render", deleted)
    kept = []
    for rel in deleted:
        if _head_content(root, rel) != _disk_content(old_render / rel):
            run_git(["checkout", "HEAD", "--", rel], root)
            kept.append(rel)
    return kept


def _render_old(recorded: Mapping[str, Any], dest: Path, paths: list[str]) -> Path:
    """The old template version's rendering of ``paths`` (everything else excluded: fast)."""
    data = {k: v for k, v in recorded.items() if not str(k).startswith("_")}
    only = ["**", *(f"!/{_glob_escape(p)}" for p in paths)]
    copier_adapter.run_copy(
        str(recorded["_src_path"]),
        str(dest),
        data=data,
        vcs_ref=str(recorded["_commit"]),
        defaults=True,
        exclude=only,
    )
    return dest


def _glob_escape(path: str) -> str:
    """A gitignore pattern matching exactly ``path``."""
    return re.sub(r"([\\*?\[\]!# ])", r"\\\1", path)


def _head_content(root: Path, rel: str) -> bytes | None:
    entry = run_git(["ls-tree", "HEAD", "--", rel], root).stdout.split()
    if not entry:
        return None
    blob: bytes = run_git(["cat-file", "blob", entry[2]], root, text=False).stdout
    return (b"-> " + blob) if entry[0] == "120000" else blob


def _disk_content(path: Path) -> bytes | None:
    if path.is_symlink():
        return b"-> " + os.readlink(path).encode()
    return path.read_bytes() if path.is_file() else None
