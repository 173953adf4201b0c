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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
from osmosis_workspace.engine.git import dirty_paths, has_commit, ls_remote_tags, run_git
from osmosis_workspace.engine.source import check_recorded_source, latest_tag, version_of
from osmosis_workspace.engine.workspace import locate, read_answers, rollout_answers_files
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.results import UpdateResult

#: Git identity for the throw-away commits Copier makes in its temporary repositories, so an
#: update works on machines where git has no user configured. Nothing is committed for the user.
_COPIER_TEMP_IDENTITY = {
    "GIT_AUTHOR_NAME": "osmosis-workspace", "GIT_AUTHOR_EMAIL": "update@osmosis-workspace.invalid",
    "GIT_COMMITTER_NAME": "osmosis-workspace",
    "GIT_COMMITTER_EMAIL": "update@osmosis-workspace.invalid",
}


def target_version(src: str, ref: str | None) -> str | None:
    """The version to update to: ``ref``, else the source's latest PEP 440 tag."""
    if ref:
        return ref
    try:
        return latest_tag(ls_remote_tags(src))
    except WorkspaceError:
        return None  # Copier will say what is wrong with the source


def preconditions(path: str | Path | None,
                  rollout: str | None = None) -> tuple[Path, Path, dict[str, Any]]:
    """Root, answers file and recorded answers of an updatable, clean workspace (or raise).

    With ``rollout``, the answers file is that of a rollout added with add-rollout.
    """
    root, answers_file = locate(path)
    if rollout is not None:
        answers_file = _rollout_answers(root, rollout)
    recorded = read_answers(answers_file)
    src, commit = recorded.get("_src_path"), recorded.get("_commit")
    if not src or not commit:
        missing = "_src_path" if not src else "_commit"
        raise WorkspaceError(
            "not_updatable",
            f"{answers_file.name} has no {missing}: this workspace was rendered from "
            "uncommitted template files, so there is no recorded version to update from",
        )
    check_recorded_source(str(src), answers_file.name)
    if not has_commit(root):
        raise WorkspaceError("not_updatable", f"{root} has no commit yet: commit it first")
    dirty = dirty_paths(root)
    if dirty:
        raise dirty_error(dirty, answers_file.name)
    return root, answers_file, recorded


def dirty_error(dirty: Sequence[str], answers_name: str) -> WorkspaceError:
    """Uncommitted changes: the user's own work (commit it) or a crashed update (never commit
    that: the answers file would record a version the tree does not have)."""
    if answers_name in dirty:
        return WorkspaceError(
            "dirty",
            f"The workspace has uncommitted changes, {answers_name} among them: if they were "
            "left by an update that crashed (an older osmosis-workspace, or plain `copier "
            "update`), do not commit them; review with `git status`, discard the update's "
            "leftovers with `git restore` (or `git stash` to set everything aside), then run "
            "the update again", paths=tuple(dirty))
    return WorkspaceError(
        "dirty",
        "The workspace has uncommitted changes: commit or stash your work first, so the update "
        "can be reviewed with `git diff` and undone on its own", paths=tuple(dirty))


@dataclass(frozen=True)
class _Options:
    ref: str | None
    answers: Mapping[str, Any] | None
    conflict: str
    cache_dir: Path | None
    private_cache: bool
    rollout: str | None


def update_workspace(
    path: str | os.PathLike[str] | None = None,
    *,
    ref: str | None = None,
    answers: Mapping[str, Any] | None = None,
    conflict: str = "inline",
    cache_dir: Path | None = None,
    private_cache: bool = True,
    rollout: str | None = None,
) -> UpdateResult:
    """See :func:`osmosis_workspace.api.update_workspace` (the documented entry point)."""
    if conflict not in {"inline", "rej"}:
        raise WorkspaceError("usage", f"conflict must be 'inline' or 'rej', not {conflict!r}")
    options = _Options(ref, answers, conflict, cache_dir, private_cache, rollout)
    root, _answers = locate(path)
    with oplock.held(root, "update"):
        stops.point("update.locked")
        result = _update_locked(root, options)
        stops.point("update.journal-cleared")
    return result


def _update_locked(root: Path, opts: _Options) -> UpdateResult:
    """The update proper, lock held (module docstring, steps 1-8)."""
    journal.refuse_if_interrupted(root)
    root, answers_file, recorded = preconditions(root, opts.rollout)
    src, old = str(recorded["_src_path"]), str(recorded["_commit"])
    target = target_version(src, opts.ref)
    old_v, new_v = version_of(old), version_of(target)
    if old_v is not None and new_v is not None and new_v < old_v:
        raise WorkspaceError("downgrade", f"Refusing to downgrade from {old} to {target}",
                             details={"from": old, "to": target})
    _prevalidate(src, target, opts.answers)
    snap = snapshot.take(root)
    private = preflight.private_copies(snap.ignored)
    dangling_before = changes.dangling(root)
    head_skills = changes.head_skill_names(root)
    notes: list[str] = []
    journal.begin(root, "update", {"from": old, "to": target, "rollout": opts.rollout,
                                   "answers_file": answers_file.name}, snap)
    stops.point("update.journal-written")
    try:
        held = optout.hold(root)
        _moved(root)  # a record left by an earlier, failed update is not this one's
        with session.operation(cache_dir=opts.cache_dir, private_cache=opts.private_cache,
                               extra_env=_COPIER_TEMP_IDENTITY) as op:
            _run_copier(root, answers_file, target, opts.answers, opts.conflict,
                        plan=_plan_inputs(recorded, answers_file, target, opts.answers, private),
                        check=_preflight_check(root, snap.ignored, private, notes))
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
        path=root, from_version=old, to_version=str(now.get("_commit") or target),
        changes=summary, conflicts=tuple(conflicts), kept=tuple(kept), pruned_links=tuple(pruned),
        answers={k: v for k, v in now.items() if not str(k).startswith("_")},
        notes=tuple(notes) + optout.note(opted_out)
        + (() if opts.rollout else _other_rollouts_note(root)),
    )


def _failure(exc: BaseException, old: str, target: str | None) -> BaseException:
    """The exception to raise once the workspace was restored."""
    if isinstance(exc, KeyboardInterrupt | SystemExit) or (
            isinstance(exc, WorkspaceError) and exc.code != "update_failed"):
        return exc
    cause = exc.__cause__ if isinstance(exc, WorkspaceError) else exc
    detail = exc.message if isinstance(exc, WorkspaceError) else str(exc)
    return WorkspaceError(
        "update_failed",
        f"The update failed and the workspace was restored as it was: {detail}",
        details={"exception": type(cause or exc).__name__, "from": old, "to": target},
    )


def _plan_inputs(recorded: Mapping[str, Any], answers_file: Path, target: str | None,
                 answers: Mapping[str, Any] | None, private: list[str]) -> render_plan.PlanInputs:
    """What the adapter needs to list the update's writes (through Copier's public API when
    its render hook is not verified for the installed Copier)."""
    return render_plan.PlanInputs(
        src=str(recorded["_src_path"]), old_ref=str(recorded["_commit"]), new_ref=target,
        answers_file=answers_file.name, old_answers=dict(recorded),
        new_answers={**recorded, **(answers or {})}, private=tuple(private),
        exclude=tuple(f"/{_glob_escape(p)}" for p in private))


def _preflight_check(root: Path, ignored: set[str], private: list[str],
                     notes: list[str]) -> Callable[[render_plan.Plan], None]:
    """Refuse before the first write when a path holds content git cannot give back."""

    def check(plan: render_plan.Plan) -> None:
        bad = preflight.protected(root, [*plan.written, *plan.deleted], ignored)
        if bad:
            raise protected_error(bad)
        notes.extend(
            f"{path}: your private copy was kept as it is; the new template version ships its "
            "own, which was not written (compare with .env.example)"
            for path in private if path in plan.rendered)

    return check


def protected_error(bad: Mapping[str, str]) -> WorkspaceError:
    """Refusal (exit 4) listing every path whose content git cannot give back, with why."""
    reasons = "; ".join(f"{path}: {why}" for path, why in bad.items())
    return WorkspaceError(
        "protected_paths",
        "The update would overwrite or delete content that git cannot give back, so "
        f"nothing was changed ({reasons}). Commit or move these files (for a flagged "
        "file: `git update-index --no-assume-unchanged --no-skip-worktree PATH`, then "
        "commit or stash its changes), then run the update again",
        paths=tuple(bad), details={"reasons": dict(bad)})


def _rollout_answers(root: Path, rollout: str) -> Path:
    """The answers file of a rollout added with add-rollout (or a clear error listing them)."""
    added = rollout_answers_files(root)
    if rollout not in added:
        known = ", ".join(added) or "none"
        raise WorkspaceError(
            "not_updatable",
            f"No rollout {rollout!r} was added with add-rollout in {root} (rollouts with their "
            f"own answers file: {known}); the starter rollout is updated with the workspace",
        )
    return added[rollout]


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


def _prevalidate(src: str, target: str | None, answers: Mapping[str, Any] | None) -> None:
    if not answers:
        return
    from osmosis_workspace.engine.questions import validate_answers
    from osmosis_workspace.engine.source import resolve
    from osmosis_workspace.operations.create import load_rules

    try:
        source = resolve(src, target)
    except WorkspaceError:
        return
    questionnaire, rules = load_rules(source)
    if questionnaire is None:
        return
    problems = validate_answers(questionnaire, answers, rules)
    if problems:
        raise WorkspaceError("invalid_answers", "Some answers were rejected",
                             problems=tuple(problems))


def _run_copier(root: Path, answers_file: Path, target: str | None,
                answers: Mapping[str, Any] | None, conflict: str, *,
                plan: render_plan.PlanInputs,
                check: Callable[[render_plan.Plan], None]) -> None:
    """The one Copier call of an update. ``plan.exclude`` (gitignore patterns) is never written
    nor deleted; ``check`` sees what will be written before the first write (:mod:`.preflight`
    judges the paths, :mod:`.copier_adapter.render_plan` lists them)."""
    guard = render_plan.checked(root, plan, check,
                                after_render=lambda: stops.point("update.copier-rendered"))
    try:
        with guard:
            copier_adapter.run_update(
                str(root), data=dict(answers or {}), answers_file=answers_file.name,
                vcs_ref=target, defaults=True, overwrite=True, skip_answered=True,
                conflict=conflict, exclude=list(plan.exclude),
            )
    except (KeyboardInterrupt, SystemExit, WorkspaceError):
        raise
    except Exception as exc:
        error = copier_adapter.error_for(exc, action="update the workspace",
                                         answered=tuple(answers or ()))
        if error.code != "copier_failed":
            raise error from exc
        message = str(exc).strip() or type(exc).__name__
        if isinstance(exc, AssertionError):
            message += (" (Copier fails like this when a real folder sits where the template has "
                        "a link, for example .claude/skills: restore the link with "
                        "`ln -s ../.agents/skills .claude/skills`)")
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


def _keep_user_edited_deletions(root: Path, recorded: Mapping[str, Any],
                                scratch: Path, moved: set[str]) -> list[str]:
    """Restore files the update deleted that differ from what the old version rendered.

    Such a file was edited by the user; Copier deletes it anyway when the template deletes or
    renames it. Only the deleted paths of the old version are rendered, and only when the
    update deleted something. A path a migration moved (``moved``) is skipped: its content,
    edits included, was carried to its new place.
    """
    deleted = [path for status, path in changes.status_entries(root)
               if "D" in status and path not in moved
               and not (root / path).exists() and not (root / path).is_symlink()]
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
        str(recorded["_src_path"]), str(dest), data=data, vcs_ref=str(recorded["_commit"]),
        defaults=True, exclude=only,
    )
    return dest


def _glob_escape(path: str) -> str:
    """A gitignore pattern matching exactly ``path``."""
    return re.sub(r"([\\*?\[\]!# ])", r"\\\1", path)


def _head_content(root: Path, rel: str) -> bytes | None:
    entry = run_git(["ls-tree", "HEAD", "--", rel], root).stdout.split()
    if not entry:
        return None
    blob = run_git(["cat-file", "blob", entry[2]], root, text=False).stdout
    return (b"-> " + blob) if entry[0] == "120000" else blob


def _disk_content(path: Path) -> bytes | None:
    if path.is_symlink():
        return b"-> " + os.readlink(path).encode()
    return path.read_bytes() if path.is_file() else None
