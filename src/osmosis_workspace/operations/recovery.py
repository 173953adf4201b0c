"""Recovering from an interrupted operation: ``osmosis-workspace update --abort``.

An interrupted ``update`` is undone from its snapshot (tree, index and ignored files exactly as
they were before it started). An interrupted ``add-rollout`` is undone by removing only what it
can prove it wrote: each file it placed is deleted only while its bytes still hash to what the
journal recorded, the folders it created only while empty, and ``pyproject.toml`` is put back
only while it still holds the bytes add-rollout wrote; anything changed since is left and listed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from osmosis_workspace.engine import journal, oplock, snapshot
from osmosis_workspace.engine.git import git_out, has_commit, toplevel, unstage
from osmosis_workspace.engine.opstate import state_dir, write_atomic
from osmosis_workspace.errors import WorkspaceError


@dataclass(frozen=True)
class AbortResult:
    """What ``update --abort`` did: the operation undone (None: there was none), files put
    back or removed, and files left because they changed after the operation wrote them."""

    path: Path
    operation: str | None
    undone: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "path": str(self.path)}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def workspace_root(path: str | os.PathLike[str] | None) -> Path:
    start = Path(path or ".").expanduser().absolute()
    root = toplevel(start) if start.is_dir() else None
    if root is None:
        raise WorkspaceError("not_a_workspace", f"{start} is not in a git repository")
    return root


def abort_operation(path: str | os.PathLike[str] | None = None) -> AbortResult:
    """Undo the interrupted operation recorded in the journal (module docstring)."""
    root = workspace_root(path)
    with oplock.held(root, "update --abort", take_stale=True):
        entry = journal.read(root)
        if entry is None:
            return AbortResult(
                root,
                None,
                message="Nothing to abort: no interrupted operation "
                "is recorded for this workspace.",
            )
        if entry.get("operation") == "add-rollout" and add_rollout_completed(root, entry):
            journal.clear(root)
            return AbortResult(
                root,
                "add-rollout",
                message=(
                    f"The interrupted {journal.describe(entry)} had already committed its work: "
                    "nothing to undo (its journal was cleared). To drop the rollout, revert that "
                    "commit."
                ),
            )
        if entry.get("operation") == "add-rollout":
            undone, left = undo_add_rollout(root, entry)
            (root / f".pyproject.toml.{entry.get('pid')}.tmp").unlink(missing_ok=True)
        elif entry.get("operation") == "update":
            snapshot.restore(root, journal.load_snapshot(root))
            undone, left = ["the working tree, the index and the ignored files"], []
        else:
            raise WorkspaceError(
                "invalid_workspace",
                f"The journal {journal.journal_path(root)}"
                " cannot be read: remove it by hand after checking `git "
                "status`",
            )
        journal.clear(root)
    what = journal.describe(entry)
    message = f"Aborted the interrupted {what}: the workspace is as it was before it started."
    if left:
        message = (
            f"Aborted the interrupted {what}. Left as they are because they changed "
            "after it wrote them (check and remove them yourself):"
        )
    return AbortResult(root, str(entry.get("operation")), tuple(undone), tuple(left), message)


def add_rollout_completed(root: Path, entry: dict[str, Any]) -> bool:
    """True when the add-rollout reached its commit (its work is final, nothing to undo)."""
    details = entry.get("details") or {}
    if entry.get("phase") == "committed":
        return True
    if not details.get("commit") or not has_commit(root):
        return False
    head = git_out(["rev-parse", "HEAD"], root).strip()
    subject = git_out(["log", "-1", "--format=%s"], root).strip()
    return head != details.get("head") and subject == details.get("message")


def undo_add_rollout(root: Path, entry: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Remove what an interrupted add-rollout provably wrote; ``(undone, left)``."""
    if add_rollout_completed(root, entry):
        return [], []
    details = entry.get("details") or {}
    files: dict[str, str] = details.get("files") or {}
    undone, left = [], []
    if details.get("commit"):
        unstage(root, [p for p in [*files, "pyproject.toml"] if _in_index(root, p)])
    for rel, expected in files.items():
        target = root / rel
        if not os.path.lexists(target):
            continue
        if target.is_file() and not target.is_symlink() and digest(target.read_bytes()) == expected:
            target.unlink()
            undone.append(rel)
        else:
            left.append(rel)
    for rel in sorted(details.get("folders") or [], key=lambda p: p.count("/"), reverse=True):
        with contextlib.suppress(OSError):
            (root / rel).rmdir()
    _restore_pyproject(root, details, undone, left)
    return undone, left


def _in_index(root: Path, rel: str) -> bool:
    return bool(git_out(["ls-files", "--", rel], root).strip())


def _restore_pyproject(
    root: Path, details: dict[str, Any], undone: list[str], left: list[str]
) -> None:
    after = details.get("pyproject_after")
    if not after:
        return
    pyproject = root / "pyproject.toml"
    saved = state_dir(root) / "pyproject.before"
    current = pyproject.read_bytes() if pyproject.is_file() else None
    if current is None or digest(current) == details.get("pyproject_before"):
        return
    if digest(current) == after and saved.is_file():
        write_atomic(pyproject, saved.read_bytes())
        undone.append("pyproject.toml")
    else:
        left.append("pyproject.toml")


def pending_error(root: Path) -> WorkspaceError | None:
    """For commands that do not take the lock (check, check-update): a journal means an
    operation is running (its holder is alive) or was interrupted."""
    entry = journal.read(root)
    if entry is None:
        return None
    holder = oplock.read_holder(root)
    if holder is not None and not oplock.is_stale(holder):
        return WorkspaceError(
            "locked",
            f"{holder.describe()} is running on this workspace right now: wait for "
            "it to finish, then run this again",
            details={"pid": holder.pid, "host": holder.host, "started": holder.started},
        )
    return journal.interrupted_error(root, entry)
