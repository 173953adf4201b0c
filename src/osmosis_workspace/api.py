"""Python API for the Osmosis platform backend (and anything else that is not a terminal).

Every function is non-interactive, never reads the host's Copier settings, and raises only
:class:`~osmosis_workspace.errors.WorkspaceError`. Copier changes the process-wide working
directory, so operations in one process are serialised by a lock: run them in parallel with
*processes* (a process pool, or one job-queue worker process per operation), never threads.
See docs/backend-api.md.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from osmosis_workspace.errors import AnswerProblem, WorkspaceError
from osmosis_workspace.results import (
    AddRolloutResult,
    ChangeSummary,
    CreateResult,
    SkillChanges,
    UpdateCheck,
    UpdateResult,
)

__all__ = [
    "AddRolloutResult",
    "AnswerProblem",
    "ChangeSummary",
    "CreateResult",
    "SkillChanges",
    "UpdateCheck",
    "UpdateResult",
    "WorkspaceError",
    "add_rollout",
    "check_for_update",
    "check_workspace",
    "create_workspace",
    "update_workspace",
]


_F = TypeVar("_F", bound=Callable[..., Any])


def _one_error_type(func: _F) -> _F:
    """Unexpected exceptions become ``WorkspaceError("internal")``: callers catch one type."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WorkspaceError:
            raise
        except Exception as exc:
            raise WorkspaceError("internal", f"unexpected {type(exc).__name__}: {exc}",
                                 details={"exception": type(exc).__name__}) from exc

    return wrapper  # type: ignore[return-value]


@_one_error_type
def create_workspace(
    dest: str | os.PathLike[str],
    answers: Mapping[str, Any],
    *,
    template: str | None = None,
    ref: str | None = None,
    git_init: bool = True,
    git_identity: tuple[str, str] | None = None,
    overwrite: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> CreateResult:
    """Render a new workspace into ``dest`` (which must not exist or be empty).

    Args:
        dest: folder to create.
        answers: question name -> value (see ``copier.yml``); unanswered questions get their
            defaults. Every answer is checked with the template's own validators first, and all
            rejected answers are reported together.
        template: template source (path, git URL or ``gh:org/repo``); default: the
            ``OSMOSIS_WORKSPACE_TEMPLATE`` environment variable, else the bundled checkout.
            URLs carrying credentials are refused (they would be stored in the answers file).
        ref: template version (tag or commit); default: the latest release tag. Pin it for
            reproducible output: the same answers and ref always give the same files.
        git_init: ``git init`` and commit the result (Osmosis needs the workspace to be a repo).
        git_identity: ``(name, email)`` for that commit; default: git's configured identity,
            else a fixed ``osmosis-workspace`` identity.
        overwrite: render into a non-empty folder (rendered files replace existing ones).
        cache_dir: Copier's git mirror cache for remote templates; default: one per process.

    Raises:
        WorkspaceError: ``invalid_answers`` (see ``.problems``), ``destination_not_empty``,
            ``unsafe_template``, ``template_not_found``, ``copier_failed``, ``git_failed``.
            Nothing is left at ``dest`` when it is raised.
    """
    from osmosis_workspace.operations.create import create_workspace as _create

    return _create(dest, answers, template=template, ref=ref, git_init=git_init,
                   git_identity=git_identity, overwrite=overwrite,
                   cache_dir=Path(cache_dir) if cache_dir else None)


@_one_error_type
def update_workspace(
    path: str | os.PathLike[str],
    *,
    ref: str | None = None,
    answers: Mapping[str, Any] | None = None,
    conflict: str = "inline",
    cache_dir: str | os.PathLike[str] | None = None,
    rollout: str | None = None,
) -> UpdateResult:
    """Update the workspace at ``path`` to template version ``ref`` (default: latest tag).

    With ``rollout``, update only that rollout (one added with :func:`add_rollout`, through its
    own answers file) instead of the workspace; the result's ``notes`` of a workspace update
    list the rollouts to update that way next.

    The result is left uncommitted for review. Files you edited that the new version deletes or
    renames are kept (``result.kept``); links left dangling by removed skills are deleted
    (``result.pruned_links``); conflicts are listed in ``result.conflicts`` (``result.ok`` is
    False) with markers (``conflict="inline"``) or ``*.rej`` files (``conflict="rej"``).
    ``answers`` changes stored answers (for example ``{"skills": ["all"]}``).

    Raises:
        WorkspaceError: ``not_a_workspace``, ``not_updatable``, ``dirty`` (``.paths`` lists the
            files), ``downgrade``, ``invalid_answers``, ``unsafe_template``, ``update_failed``.
            On any failure the workspace is restored byte for byte, ``_commit`` included.
    """
    from osmosis_workspace.operations.update import update_workspace as _update

    return _update(path, ref=ref, answers=answers, conflict=conflict,
                   cache_dir=Path(cache_dir) if cache_dir else None, rollout=rollout)


@_one_error_type
def check_for_update(path: str | os.PathLike[str], *, ref: str | None = None,
                     preview: bool = True) -> UpdateCheck:
    """Compare the workspace's template version with the latest (or ``ref``); with ``preview``
    also report what ``update_workspace`` would change, computed on a throw-away clone."""
    from osmosis_workspace.operations.check_update import check_for_update as _check

    return _check(path, ref=ref, preview=preview)


@_one_error_type
def check_workspace(path: str | os.PathLike[str], *, fast: bool = False) -> Any:
    """Validate a workspace offline; returns a ``CheckReport`` (``.problems``, ``.ok``).

    Never raises for problems in the workspace; only for a path that is not a directory.
    """
    from osmosis_workspace.checks import check_workspace as _check

    return _check(Path(path), fast=fast)


@_one_error_type
def add_rollout(
    path: str | os.PathLike[str],
    name: str,
    answers: Mapping[str, Any] | None = None,
    *,
    template: str | None = None,
    ref: str | None = None,
    commit: bool = False,
    git_identity: tuple[str, str] | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
) -> AddRolloutResult:
    """Add rollout ``name`` to the workspace at ``path``; existing files are never touched.

    Renders the template's rollout part (``scope=rollout``): ``rollouts/<name>/``,
    ``configs/eval/<name>.toml``, ``configs/training/<name>.toml``, ``data/<dataset>.jsonl``
    (kept as it is when it already exists: the rollout then uses it, and its mode and fields
    are checked against the answers) and the rollout's answers file
    ``.copier-answers.rollout-<name>.yml``, then registers the rollout in the root
    ``pyproject.toml``. ``copier update -a .copier-answers.rollout-<name>.yml`` (or
    ``update_workspace(path, rollout=name)``) refreshes it later without touching anything else.

    Args:
        path: the workspace (or a folder inside it); it must be a git repository with its
            ``.copier-answers.yml``.
        name: the rollout's name (its folder, configs and package ``<name>_rollout``).
        answers: question -> value, as for :func:`create_workspace` (``agent_framework``,
            ``execution_backend``, ``dataset_mode``, ``grader``, ``dataset_name``,
            ``dataset_file``...). The task, models, Python version and skills default to the
            workspace's answers; everything else to the template's defaults.
        template, ref: template source and version; default: the workspace's own recorded
            source and version (so the new rollout matches the rest of the workspace).
        commit: commit the added files (and ``pyproject.toml``); default: leave them for review.
        git_identity: ``(name, email)`` for that commit.
        cache_dir: Copier's git mirror cache for remote templates.

    Raises:
        WorkspaceError: ``not_a_workspace``, ``rollout_exists`` (``.paths`` lists what is in
            the way), ``invalid_answers``, ``invalid_workspace`` (root ``pyproject.toml`` not
            TOML), ``not_updatable`` (template version too old to add rollouts),
            ``copier_failed``, ``git_failed``. The workspace is then left as it was.
    """
    from osmosis_workspace.operations.add_rollout import add_rollout as _add

    return _add(path, name, answers, template=template, ref=ref, commit=commit,
                git_identity=git_identity, cache_dir=Path(cache_dir) if cache_dir else None)
