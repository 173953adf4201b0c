"""How each operation runs, as one small frozen dataclass per operation.

An operation takes what it works on as arguments (the destination or workspace, the rollout's
name, the answers) and how it runs as one options object::

    create_workspace(dest, answers, CreateOptions(template=TEMPLATE, ref="v1.4.0"))
    update_workspace(path, UpdateOptions(ref="v1.5.0", conflict="rej"))

Every field has a default, and fields are keyword-only, so a new option never shifts a caller's
arguments; ``dataclasses.replace`` derives a variant. Frozen, so one object can be shared by
every job of a worker. The CLI sets a few fields the API leaves alone (``interactive``,
``name_from_folder``, ``private_cache=False``); docs/decisions/0009-options-and-api-surface.md
says why the options are objects and not keyword arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "AddRolloutOptions",
    "CheckUpdateOptions",
    "CreateOptions",
    "UpdateAllOptions",
    "UpdateOptions",
]


@dataclass(frozen=True, kw_only=True)
class _CopierCache:
    """Where Copier keeps its git mirror cache (used for remote templates only).

    ``cache_dir``: that folder. Default: ``$COPIER_CACHE_DIR``, else one folder per process
    removed at exit (``private_cache=True``, the API's default: Copier's cache has no
    inter-process lock), else Copier's per-user cache (``private_cache=False``, the CLI: one
    user, one process).
    """

    cache_dir: str | os.PathLike[str] | None = None
    private_cache: bool = True

    @property
    def cache_path(self) -> Path | None:
        return Path(self.cache_dir) if self.cache_dir else None


@dataclass(frozen=True, kw_only=True)
class CreateOptions(_CopierCache):
    """How :func:`~osmosis_workspace.api.create_workspace` renders.

    ``template``: path, git URL or ``gh:org/repo`` (default: ``$OSMOSIS_WORKSPACE_TEMPLATE``,
    else the bundled checkout); URLs carrying credentials are refused, since they would be
    stored in the answers file. ``ref``: tag or commit (default: the latest release tag); pin
    it for reproducible output. ``git_init``: ``git init`` and commit the result.
    ``git_identity``: ``(name, email)`` for that commit (default: git's configured identity,
    else a fixed ``osmosis-workspace`` one). ``overwrite``: render into a non-empty folder
    (rendered files replace existing ones, others are kept). ``interactive``: ask the
    unanswered questions on the terminal. ``name_from_folder``: suggest ``workspace_name``
    from the destination's folder name when that is a valid name.
    """

    template: str | None = None
    ref: str | None = None
    git_init: bool = True
    git_identity: tuple[str, str] | None = None
    overwrite: bool = False
    interactive: bool = False
    name_from_folder: bool = False


@dataclass(frozen=True, kw_only=True)
class UpdateOptions(_CopierCache):
    """How :func:`~osmosis_workspace.api.update_workspace` updates.

    ``ref``: the version to update to (default: the latest release tag). ``answers``: stored
    answers to change (for example ``{"skills": ["all"]}``). ``conflict``: ``"inline"``
    (markers and unmerged index entries) or ``"rej"`` (``*.rej`` files). ``rollout``: update
    only that rollout (one added with add-rollout, through its own answers file).
    """

    ref: str | None = None
    answers: Mapping[str, Any] | None = None
    conflict: str = "inline"
    rollout: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateAllOptions(_CopierCache):
    """How ``update --all`` updates every answers file: to ``ref``, conflicts as ``conflict``
    (as for :class:`UpdateOptions`; each file keeps its own answers)."""

    ref: str | None = None
    conflict: str = "inline"


@dataclass(frozen=True, kw_only=True)
class CheckUpdateOptions(_CopierCache):
    """How :func:`~osmosis_workspace.api.check_for_update` compares: against ``ref`` (default:
    the latest release tag); with ``preview``, also what the update would change (computed on
    a throw-away clone)."""

    ref: str | None = None
    preview: bool = True


@dataclass(frozen=True, kw_only=True)
class AddRolloutOptions(_CopierCache):
    """How :func:`~osmosis_workspace.api.add_rollout` adds a rollout.

    ``template`` and ``ref``: template source and version (default: the workspace's recorded
    ones, so the rollout matches the rest of the workspace; a ``template`` without ``ref``
    takes its latest release tag). ``commit``: commit the added files and ``pyproject.toml``
    (default: leave them for review). ``git_identity``: ``(name, email)`` for that commit.
    """

    template: str | None = None
    ref: str | None = None
    commit: bool = False
    git_identity: tuple[str, str] | None = None
