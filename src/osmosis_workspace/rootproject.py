"""Register a rollout in the workspace's root ``pyproject.toml`` (what ``uv sync`` installs).

A workspace's root project installs every rollout as an editable path dependency: one entry in
the ``rollouts`` dependency group and one line in ``[tool.uv.sources]``. The template writes
those for the rollouts it renders; ``add-rollout`` appends the new one here with tomlkit, so
the user's comments, order and formatting stay exactly as they were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import WorkspaceError


def _source_line(name: str) -> Any:
    """``{ path = "rollouts/<name>", editable = true }`` spaced like the template writes it."""
    import tomlkit

    return tomlkit.parse(f'x = {{ path = "rollouts/{name}", editable = true }}\n')["x"]


def register_rollout(pyproject: Path, name: str) -> bool:
    """Add rollout ``name`` to the ``rollouts`` group and ``[tool.uv.sources]``.

    Returns True when the file changed (False: both entries were already there). Raises
    ``WorkspaceError("invalid_workspace")`` naming the file when it is not TOML or when a key
    has an unexpected type; the file is then left untouched.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        text = pyproject.read_text(encoding="utf-8")
        doc = tomlkit.parse(text)
    except FileNotFoundError as exc:
        raise WorkspaceError("invalid_workspace", f"{pyproject.name} is missing at the "
                             "workspace root: the rollout cannot be registered") from exc
    except (OSError, UnicodeDecodeError, TOMLKitError) as exc:
        raise WorkspaceError("invalid_workspace",
                             f"{pyproject.name} cannot be read as TOML: {exc}") from exc
    groups = _table(doc, "dependency-groups", pyproject)
    members = groups.get("rollouts")
    if members is None:
        members = tomlkit.array().multiline(True)
        groups["rollouts"] = members
    if not isinstance(members, list):
        raise WorkspaceError("invalid_workspace", f"{pyproject.name}: [dependency-groups] "
                             "rollouts must be a list of rollout names")
    tool = _table(doc, "tool", pyproject)
    uv = _table(tool, "uv", pyproject, "tool.uv")
    sources = _table(uv, "sources", pyproject, "tool.uv.sources")
    changed = False
    if name not in members:
        members.append(name)
        changed = True
    if name not in sources:
        sources[name] = _source_line(name)
        changed = True
    if changed:
        pyproject.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return changed


def _table(parent: Any, key: str, pyproject: Path, shown: str | None = None) -> Any:
    """``parent[key]`` as a table, created (as a super-table where possible) when missing."""
    import tomlkit

    value = parent.get(key)
    if value is None:
        value = tomlkit.table(is_super_table=key in {"tool", "uv"})
        parent[key] = value
    if not isinstance(value, dict):
        raise WorkspaceError("invalid_workspace",
                             f"{pyproject.name}: [{shown or key}] must be a table")
    return value
