"""What ``update`` and ``update --all`` check before they change anything, and their refusals.

Both update a workspace in place, so both need the same facts first: which version to update to,
a workspace whose answers file records where it came from, a commit to come back to, and a clean
tree (the last commit is then the exact state to restore). Shared here so neither operation
reaches into the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from osmosis_workspace.engine.git import dirty_paths, has_commit, ls_remote_tags
from osmosis_workspace.engine.source import check_recorded_source, latest_tag
from osmosis_workspace.engine.workspace import locate, read_answers, rollout_answers_files
from osmosis_workspace.errors import WorkspaceError


def target_version(src: str, ref: str | None) -> str | None:
    """The version to update to: ``ref``, else the source's latest PEP 440 tag."""
    if ref:
        return ref
    try:
        return latest_tag(ls_remote_tags(src))
    except WorkspaceError:
        return None  # Copier will say what is wrong with the source


def preconditions(
    path: str | Path | None, rollout: str | None = None
) -> tuple[Path, Path, dict[str, Any]]:
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
            "the update again",
            paths=tuple(dirty),
        )
    return WorkspaceError(
        "dirty",
        "The workspace has uncommitted changes: commit or stash your work first, so the update "
        "can be reviewed with `git diff` and undone on its own",
        paths=tuple(dirty),
    )


def protected_error(bad: Mapping[str, str]) -> WorkspaceError:
    """Refusal (exit 4) listing every path whose content git cannot give back, with why."""
    reasons = "; ".join(f"{path}: {why}" for path, why in bad.items())
    return WorkspaceError(
        "protected_paths",
        "The update would overwrite or delete content that git cannot give back, so "
        f"nothing was changed ({reasons}). Commit or move these files (for a flagged "
        "file: `git update-index --no-assume-unchanged --no-skip-worktree PATH`, then "
        "commit or stash its changes), then run the update again",
        paths=tuple(bad),
        details={"reasons": dict(bad)},
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
