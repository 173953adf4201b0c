"""Generate, update and check Osmosis workspace repositories.

The public API lives in :mod:`osmosis_workspace.api` and is re-exported here lazily, so that
``import osmosis_workspace`` (and ``osmosis-workspace check``) never pays for importing Copier.
"""

from __future__ import annotations

from typing import Any

#: The one place the version is written: pyproject.toml reads it (hatch), the release tag must
#: name it (scripts/versions.py), and workspaces record that tag as ``_commit``.
__version__ = "0.1.0"

_API_NAMES = {
    "AddRolloutResult", "AnswerProblem", "ChangeSummary", "CreateResult", "SkillChanges",
    "UpdateCheck", "UpdateResult", "WorkspaceError", "add_rollout", "check_for_update",
    "check_workspace", "create_workspace", "update_workspace",
}

__all__ = sorted(_API_NAMES | {"__version__"})


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        from osmosis_workspace import api

        return getattr(api, name)
    raise AttributeError(f"module 'osmosis_workspace' has no attribute {name!r}")
