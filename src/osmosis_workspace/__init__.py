"""Generate, update and check Osmosis workspace repositories.

The public API lives in :mod:`osmosis_workspace.api` and is re-exported here lazily, so that
``import osmosis_workspace`` (and ``osmosis-workspace check``) never pays for importing the
operations, let alone Copier. ``tests/unit/test_api_surface.py`` keeps the two lists equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: The one place the version is written: pyproject.toml reads it (hatch), the release tag must
#: name it (scripts/versions.py), and workspaces record that tag as ``_commit``.
__version__ = "0.1.0"

if TYPE_CHECKING:  # type checkers see the real names; at run time __getattr__ imports them
    from osmosis_workspace.api import (
        AddRolloutOptions,
        AddRolloutResult,
        AnswerProblem,
        ChangeSummary,
        CheckReport,
        CheckUpdateOptions,
        CreateOptions,
        CreateResult,
        SkillChanges,
        UpdateCheck,
        UpdateOptions,
        UpdateResult,
        WorkspaceError,
        add_rollout,
        check_for_update,
        check_workspace,
        create_workspace,
        update_workspace,
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
    "__version__",
    "add_rollout",
    "check_for_update",
    "check_workspace",
    "create_workspace",
    "update_workspace",
]

_API_NAMES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        from osmosis_workspace import api

        return getattr(api, name)
    raise AttributeError(f"module 'osmosis_workspace' has no attribute {name!r}")
