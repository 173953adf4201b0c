"""Update a workspace to a newer template version without ever losing the user's work.

Copier's update is a 3-way merge that (copier-notes.md §4) exits 0 on conflicts, deletes files
the user edited when the template deletes or renames them, leaves dangling links for removed
skills, and can leave a half-applied update with a bumped ``_commit`` when it fails. Around it:

1. refuse unless the tree is clean (then the last commit is the exact pre-update state);
2. run ``copier.run_update``;
3. keep user-edited files the new version deleted (restored from the last commit, reported);
4. delete links that the update left dangling;
5. list conflicts (unmerged entries, ``*.rej``, markers) for a non-zero exit;
6. on *any* exception, in Copier or in steps 3-5, restore the snapshot and raise.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import changes, optout, session, snapshot
from .errors import WorkspaceError
from .gitutil import dirty_paths, has_commit, ls_remote_tags, run_git
from .results import UpdateResult
from .source import check_location, latest_tag, version_of
from .workspace import locate, read_answers, rollout_answers_files

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
    check_location(str(src))
    if not has_commit(root):
        raise WorkspaceError("not_updatable", f"{root} has no commit yet: commit it first")
    dirty = dirty_paths(root)
    if dirty:
        raise WorkspaceError(
            "dirty",
            "The workspace has uncommitted changes; commit or stash them first, so the update "
            "can be reviewed with `git diff` and undone with `git reset --hard && git clean -fd`",
            paths=tuple(dirty),
        )
    return root, answers_file, recorded


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
    root, answers_file, recorded = preconditions(path, rollout)
    src, old = str(recorded["_src_path"]), str(recorded["_commit"])
    target = target_version(src, ref)
    old_v, new_v = version_of(old), version_of(target)
    if old_v is not None and new_v is not None and new_v < old_v:
        raise WorkspaceError("downgrade", f"Refusing to downgrade from {old} to {target}",
                             details={"from": old, "to": target})
    _prevalidate(src, target, answers)
    snap = snapshot.take(root)
    dangling_before = changes.dangling(root)
    head_skills = changes.head_skill_names(root)
    held = optout.hold(root)
    try:
        with session.operation(cache_dir=cache_dir, private_cache=private_cache,
                               extra_env=_COPIER_TEMP_IDENTITY) as op:
            _run_copier(root, answers_file, target, answers, conflict)
            opted_out = optout.release(held)  # paths the user opted out of, as they were
            kept = _keep_user_edited_deletions(root, recorded, op.scratch)
            pruned = prune_dangling_links(root, dangling_before)
            conflicts = changes.conflicts(root)
            summary = changes.summarize(root, head_skills)
            now = read_answers(answers_file)
    except BaseException as exc:
        snapshot.restore(root, snap)
        if isinstance(exc, KeyboardInterrupt | SystemExit) or (
                isinstance(exc, WorkspaceError) and exc.code != "update_failed"):
            raise
        cause = exc.__cause__ if isinstance(exc, WorkspaceError) else exc
        detail = exc.message if isinstance(exc, WorkspaceError) else str(exc)
        raise WorkspaceError(
            "update_failed",
            f"The update failed and the workspace was restored as it was: {detail}",
            details={"exception": type(cause or exc).__name__, "from": old, "to": target},
        ) from cause
    return UpdateResult(
        path=root, from_version=old, to_version=str(now.get("_commit") or target),
        changes=summary, conflicts=tuple(conflicts), kept=tuple(kept), pruned_links=tuple(pruned),
        answers={k: v for k, v in now.items() if not str(k).startswith("_")},
        notes=optout.note(opted_out) + (() if rollout else _other_rollouts_note(root)),
    )


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
    from .create import load_rules
    from .questions import validate_answers
    from .source import resolve

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
                answers: Mapping[str, Any] | None, conflict: str) -> None:
    import copier

    try:
        copier.run_update(
            str(root), data=dict(answers or {}), answers_file=answers_file.name,
            vcs_ref=target, defaults=True, overwrite=True, unsafe=True, quiet=True,
            skip_answered=True, conflict=conflict, settings=session.settings(),
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:
        error = session.copier_error(exc, action="update the workspace")
        if error.code != "copier_failed":
            raise error from exc
        message = str(exc).strip() or type(exc).__name__
        if isinstance(exc, AssertionError):
            message += (" (Copier fails like this when a real folder sits where the template has "
                        "a link, for example .claude/skills: restore the link with "
                        "`ln -s ../.agents/skills .claude/skills`)")
        raise WorkspaceError("update_failed", message) from exc


def _keep_user_edited_deletions(root: Path, recorded: Mapping[str, Any],
                                scratch: Path) -> list[str]:
    """Restore files the update deleted that differ from what the old version rendered.

    Such a file was edited by the user; Copier deletes it anyway when the template deletes or
    renames it. Only the deleted paths of the old version are rendered, and only when the
    update deleted something.
    """
    deleted = [path for status, path in changes.status_entries(root)
               if "D" in status and not (root / path).exists() and not (root / path).is_symlink()]
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
    import copier

    data = {k: v for k, v in recorded.items() if not str(k).startswith("_")}
    only = ["**", *(f"!/{_glob_escape(p)}" for p in paths)]
    copier.run_copy(
        str(recorded["_src_path"]), str(dest), data=data, vcs_ref=str(recorded["_commit"]),
        defaults=True, unsafe=True, quiet=True, settings=session.settings(), exclude=only,
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
