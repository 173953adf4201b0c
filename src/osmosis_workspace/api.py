"""Python API for the Osmosis platform backend (and anything else that is not a terminal).

The operations themselves live in :mod:`osmosis_workspace.operations`, each with its options as
one frozen dataclass (:mod:`osmosis_workspace.operations.options`); this module re-exports them,
signatures and docstrings unchanged, with one promise added: every function is
non-interactive, never reads the host's Copier settings, and raises only
:class:`~osmosis_workspace.errors.WorkspaceError` (anything unexpected becomes
``WorkspaceError("internal")`` with the original chained). Copier changes the process-wide working
directory, so operations in one process are serialised by a lock: run them in parallel with
*processes* (a process pool, or one job-queue worker process per operation), never threads.
See docs/backend-api.md.

    from osmosis_workspace.api import CreateOptions, create_workspace

    create_workspace(dest, answers, CreateOptions(template=TEMPLATE, ref="v1.4.0"))
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from osmosis_workspace.checks import check_workspace as _check_workspace
from osmosis_workspace.checks.model import CheckReport
from osmosis_workspace.errors import AnswerProblem, WorkspaceError
from osmosis_workspace.operations import add_rollout as _add_rollout
from osmosis_workspace.operations import check_update as _check_update
from osmosis_workspace.operations import create as _create
from osmosis_workspace.operations import update as _update
from osmosis_workspace.operations.options import (
    AddRolloutOptions,
    CheckUpdateOptions,
    CreateOptions,
    UpdateOptions,
)
from osmosis_workspace.results import (
    AddRolloutResult,
    ChangeSummary,
    CreateResult,
    SkillChanges,
    UpdateCheck,
    UpdateResult,
)

__all__ = [
    "AddRolloutOptions",
    "AddRolloutResult",
    "AnswerProblem",
    "ChangeSummary",
    "CheckReport",
    "CheckUpdateOptions",
    "CreateOptions",
    "CreateResult",
    "SkillChanges",
    "UpdateCheck",
    "UpdateOptions",
    "UpdateResult",
    "WorkspaceError",
    "add_rollout",
    "check_for_update",
    "check_workspace",
    "create_workspace",
    "update_workspace",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _one_error_type(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Unexpected exceptions become ``WorkspaceError("internal")``: callers catch one type."""

    @functools.wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return func(*args, **kwargs)
        except WorkspaceError:
            raise
        except Exception as exc:
            raise WorkspaceError(
                "internal",
                f"unexpected {type(exc).__name__}: {exc}",
                details={"exception": type(exc).__name__},
            ) from exc

    return wrapper


create_workspace = _one_error_type(_create.create_workspace)
update_workspace = _one_error_type(_update.update_workspace)
check_for_update = _one_error_type(_check_update.check_for_update)
add_rollout = _one_error_type(_add_rollout.add_rollout)


@_one_error_type
def check_workspace(path: str | os.PathLike[str], *, fast: bool = False) -> CheckReport:
    """Validate a workspace offline; returns a ``CheckReport`` (``.problems``, ``.ok``).

    Never raises for problems in the workspace; only for a path that is not a directory.
    """
    return _check_workspace(Path(path), fast=fast)
