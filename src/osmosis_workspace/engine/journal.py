"""The operation journal: proof, under ``.git/``, that an update or add-rollout is under way.

Written (fsynced, atomically) *before* the first write into the working tree, together with
what is needed to undo it, and removed only once the tree is final. So after a SIGKILL, a power
cut or a closed laptop, its presence says "the tree may be half-written": every command reports
it (``interrupted``, exit 4) with the one thing to do, ``osmosis-workspace update --abort``, and
no message ever suggests committing such a tree.

What is saved, in the operation state folder (:mod:`.opstate`):

* ``journal.json``: operation, pid, host, start time, and its details (versions, answers file;
  for add-rollout the SHA-256 of every file it will place and the folders it will create);
* ``snapshot/`` (update): the pre-update commit id, the index file's bytes, and the ignored
  files an update could touch (:mod:`.snapshot`);
* ``pyproject.before`` (add-rollout): the root ``pyproject.toml`` as it was;
* ``render/`` (add-rollout): the rendered rollout, moved into the tree from there (same file
  system, so each move is one rename).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any

from osmosis_workspace.engine import snapshot as snapshots
from osmosis_workspace.engine.opstate import read_json, state_dir, sync_dir, write_atomic
from osmosis_workspace.errors import WorkspaceError

JOURNAL_NAME = "journal.json"
ABORT_COMMAND = "osmosis-workspace update --abort"


def journal_path(root: Path) -> Path:
    return state_dir(root) / JOURNAL_NAME


def read(root: Path) -> dict[str, Any] | None:
    """The journal of an unfinished operation, or None (an unreadable one reads as ``{}``)."""
    return read_json(journal_path(root))


def begin(
    root: Path, operation: str, details: dict[str, Any], snap: snapshots.Snapshot | None = None
) -> dict[str, Any]:
    """Save the undo data, then the journal (its presence means the undo data is complete)."""
    folder = state_dir(root, create=True)
    if snap is not None:
        snapshots.save(snap, folder / "snapshot")
    entry = {
        "operation": operation,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "phase": "started",
        "details": details,
    }
    write_atomic(folder / JOURNAL_NAME, json.dumps(entry, indent=1).encode())
    return entry


def set_phase(root: Path, entry: dict[str, Any], phase: str, **facts: Any) -> None:
    entry["phase"] = phase
    entry["details"].update(facts)
    write_atomic(journal_path(root), json.dumps(entry, indent=1).encode())


def clear(root: Path) -> None:
    """The tree is final: drop the journal first (atomic), then the undo data."""
    folder = state_dir(root)
    (folder / JOURNAL_NAME).unlink(missing_ok=True)
    sync_dir(folder)
    for name in ("snapshot", "render"):
        shutil.rmtree(folder / name, ignore_errors=True)
    (folder / "pyproject.before").unlink(missing_ok=True)


def load_snapshot(root: Path) -> snapshots.Snapshot:
    return snapshots.load(state_dir(root) / "snapshot")


def describe(entry: dict[str, Any]) -> str:
    """``update from v1 to v2 (pid 12, host h, started T)`` for messages."""
    details = entry.get("details") or {}
    what = str(entry.get("operation") or "operation")
    if what == "update" and details.get("from"):
        what += f" from {details.get('from')} to {details.get('to') or 'the latest version'}"
        if details.get("rollout"):
            what += f" of rollout {details['rollout']}"
    elif what == "add-rollout" and details.get("name"):
        what += f" {details['name']}"
    return (
        f"`{what}` (pid {entry.get('pid', '?')} on {entry.get('host', '?')}, started "
        f"{entry.get('started', '?')})"
    )


def interrupted_error(root: Path, entry: dict[str, Any]) -> WorkspaceError:
    """What every command says while a journal exists."""
    if entry.get("operation") == "add-rollout":
        name = (entry.get("details") or {}).get("name", "NAME")
        todo = (
            f"Run `{ABORT_COMMAND}` to remove the files it placed (only those it can prove "
            "it wrote) and put pyproject.toml back, or run `osmosis-workspace add-rollout "
            f"{name}` again, which does that first"
        )
    else:
        todo = (
            f"Do not commit the working tree as it is. Run `{ABORT_COMMAND}` to put the "
            "tree and the index back exactly as they were before it started, then run the "
            "update again"
        )
    return WorkspaceError(
        "interrupted",
        f"An unfinished {describe(entry)} was interrupted (killed or crashed) and may have "
        f"left the workspace half-changed. {todo}",
        details={
            "journal": str(journal_path(root)),
            "operation": entry.get("operation"),
            "phase": entry.get("phase"),
            "started": entry.get("started"),
            "pid": entry.get("pid"),
            "host": entry.get("host"),
        },
    )


def refuse_if_interrupted(root: Path) -> None:
    entry = read(root)
    if entry is not None:
        raise interrupted_error(root, entry)
