"""Is a newer template version available, and what would updating change?

The preview is a real update run on a throw-away clone of the workspace's last commit, so it
reports exactly what ``update`` would do (skills, files, conflicts, kept files) without
touching the workspace, and works even when the workspace has uncommitted changes.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

from osmosis_workspace.engine.git import ls_remote_tags, run_git
from osmosis_workspace.engine.source import check_location, latest_tag, version_of
from osmosis_workspace.engine.workspace import locate, read_answers, rollout_answers_files
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.operations.options import CheckUpdateOptions, UpdateOptions
from osmosis_workspace.operations.recovery import pending_error
from osmosis_workspace.operations.update import update_workspace
from osmosis_workspace.results import UpdateCheck, UpdateResult


def check_for_update(
    path: str | os.PathLike[str] | None = None, options: CheckUpdateOptions | None = None
) -> UpdateCheck:
    """Compare the workspace's template version with the latest (or ``options.ref``); with
    ``options.preview`` also report what ``update_workspace`` would change, computed on a
    throw-away clone. Every answers file counts: ``behind`` lists those older than the target.

    Raises:
        WorkspaceError: ``not_a_workspace``, ``not_updatable`` (no recorded source or
            version), ``locked``, ``interrupted``, ``unsafe_template``, and the preview's update
            errors.
    """
    options = options or CheckUpdateOptions()
    root, answers_file = locate(None if path is None else Path(path))
    pending = pending_error(root)
    if pending is not None:
        raise pending
    recorded = read_answers(answers_file)
    src, current = recorded.get("_src_path"), recorded.get("_commit")
    if not src or not current:
        raise WorkspaceError(
            "not_updatable", f"{answers_file.name} records no template source or version"
        )
    check_location(str(src))
    latest = options.ref or latest_tag(ls_remote_tags(str(src)))
    behind = {
        name: version
        for name, version in _recorded_versions(root, answers_file).items()
        if _is_behind(version, latest)
    }
    available = bool(behind)
    result = None
    if _is_behind(str(current), latest) and options.preview:
        result = _preview(root, latest, options)
    return UpdateCheck(
        path=root,
        template=str(src),
        current=str(current),
        latest=latest,
        available=available,
        preview=result,
        behind=behind,
    )


def _is_behind(current: str, latest: str | None) -> bool:
    cur_v, new_v = version_of(current), version_of(latest)
    return bool(latest) and (cur_v is None or new_v is None or new_v > cur_v) and latest != current


def _recorded_versions(root: Path, answers_file: Path) -> dict[str, str]:
    """``{answers file: recorded _commit}`` of the workspace and every added rollout."""
    files = [answers_file, *rollout_answers_files(root).values()]
    return {path.name: str(read_answers(path).get("_commit") or "") for path in files}


def _preview(root: Path, target: str | None, options: CheckUpdateOptions) -> UpdateResult:
    """The update to ``target``, run on a clone of the last commit; reported for ``root``."""
    scratch = Path(tempfile.mkdtemp(prefix="osmosis-workspace-preview-"))
    try:
        clone = scratch / root.name
        run_git(["clone", "-q", "--no-hardlinks", str(root), str(clone)], scratch)
        result = update_workspace(
            clone,
            UpdateOptions(
                ref=target, cache_dir=options.cache_dir, private_cache=options.private_cache
            ),
        )
        return dataclasses.replace(result, path=root)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
