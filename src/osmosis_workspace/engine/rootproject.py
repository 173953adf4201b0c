"""Register a rollout in the workspace's root ``pyproject.toml`` (what ``uv sync`` installs).

A workspace's root project installs every rollout as an editable path dependency: one entry in
the ``rollouts`` dependency group and one line in ``[tool.uv.sources]``. The template writes
those for the rollouts it renders; ``add-rollout`` appends the new one here with tomlkit, so
the user's comments, order and formatting stay exactly as they were, and so do the file's line
endings (CRLF stays CRLF, a Windows checkout's norm) and a UTF-8 byte-order mark.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from osmosis_workspace.errors import WorkspaceError


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
    try:
        data = pyproject.read_bytes()
    except FileNotFoundError as exc:
        raise WorkspaceError(
            "invalid_workspace",
            f"{pyproject.name} is missing at the workspace root: the rollout cannot be registered",
        ) from exc
    except OSError as exc:
        raise WorkspaceError(
            "invalid_workspace", f"{pyproject.name} cannot be read: {exc}"
        ) from exc
    new = registered_bytes(data, name, pyproject.name)
    if new is None:
        return False
    pyproject.write_bytes(new)
    return True


def registered_bytes(data: bytes, name: str, shown: str = "pyproject.toml") -> bytes | None:
    """The bytes of a ``pyproject.toml`` holding ``data`` once rollout ``name`` is registered
    (None when it already is), with the original line endings and byte-order mark."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkspaceError("invalid_workspace", f"{shown} is not UTF-8: {exc}") from exc
    crlf = "\r\n" in text and "\n" not in text.replace("\r\n", "")
    try:
        doc = tomlkit.parse(text.replace("\r\n", "\n") if crlf else text)
    except TOMLKitError as exc:
        raise WorkspaceError("invalid_workspace", f"{shown} cannot be read as TOML: {exc}") from exc
    if not _register(doc, name, shown):
        return None
    out = tomlkit.dumps(doc)
    return bom + (out.replace("\n", "\r\n") if crlf else out).encode("utf-8")


def _register(doc: Any, name: str, shown: str) -> bool:
    """Add the two entries to the parsed document; True when something was added."""
    import tomlkit

    groups = _table(doc, "dependency-groups", shown)
    members = groups.get("rollouts")
    if members is None:
        members = tomlkit.array().multiline(True)
        groups["rollouts"] = members
    if not isinstance(members, list):
        raise WorkspaceError(
            "invalid_workspace",
            f"{shown}: [dependency-groups] rollouts must be a list of rollout names",
        )
    tool = _table(doc, "tool", shown)
    uv = _table(tool, "uv", shown, "tool.uv")
    sources = _table(uv, "sources", shown, "tool.uv.sources")
    changed = False
    if name not in members:
        members.append(name)
        changed = True
    if name not in sources:
        sources[name] = _source_line(name)
        changed = True
    return changed


def _table(parent: Any, key: str, file: str, shown: str | None = None) -> Any:
    """``parent[key]`` as a table, created (as a super-table where possible) when missing."""
    import tomlkit

    value = parent.get(key)
    if value is None:
        value = tomlkit.table(is_super_table=key in {"tool", "uv"})
        parent[key] = value
    if not isinstance(value, dict):
        raise WorkspaceError("invalid_workspace", f"{file}: [{shown or key}] must be a table")
    return value
