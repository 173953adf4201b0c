"""One operation per workspace across processes: a lock file in the operation state folder.

``update``, ``add-rollout`` and ``update --abort`` take it *before* looking at the workspace
(so two of them can never both see a clean tree) and release it after the journal is cleared.
The lock file is created complete or not at all (written aside, then hard-linked into place,
which fails when it exists), and names its holder: pid, host, start time, command. A second
operation exits 4 at once with those facts. A lock whose pid is dead on this host is *stale*
(the holder was killed): it is reported with how to clear it, and only ``update --abort``, the
recovery command, takes it over by itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from osmosis_workspace.engine.opstate import read_json, state_dir, sync_dir
from osmosis_workspace.errors import WorkspaceError

LOCK_NAME = "lock.json"


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: enough to tell a running operation from a dead one."""

    pid: int
    host: str
    started: str
    command: str
    token: str
    boot_id: str = ""
    proc_start: str = ""

    def describe(self) -> str:
        return f"`{self.command}` (pid {self.pid} on {self.host}, started {self.started})"


def lock_path(root: Path) -> Path:
    return state_dir(root) / LOCK_NAME


def _proc_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), to detect a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _me(command: str) -> Holder:
    return Holder(
        pid=os.getpid(),
        host=socket.gethostname(),
        started=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        command=command,
        token=uuid.uuid4().hex,
        boot_id=_boot_id(),
        proc_start=_proc_start(os.getpid()),
    )


def read_holder(root: Path) -> Holder | None:
    """The current holder (None: unlocked). An unreadable lock reads as pid 0 (stale)."""
    data = read_json(lock_path(root))
    if data is None:
        return None
    try:
        return Holder(**{k: data[k] for k in Holder.__dataclass_fields__ if k in data})
    except TypeError:
        return Holder(pid=0, host=socket.gethostname(), started="?", command="?", token="")


def is_stale(holder: Holder) -> bool:
    """True when the holder provably died: same host, and its pid is gone (or was reused, or
    the machine rebooted since)."""
    if holder.host != socket.gethostname():
        return False
    if holder.pid <= 0:
        return True
    if holder.boot_id and _boot_id() and holder.boot_id != _boot_id():
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return bool(holder.proc_start) and _proc_start(holder.pid) not in ("", holder.proc_start)


def _locked_error(root: Path, holder: Holder) -> WorkspaceError:
    """Why the lock cannot be taken: a live holder, an interrupted operation (a journal and
    a dead holder), or a stale lock with nothing to undo."""
    from osmosis_workspace.engine import journal

    details = {k: v for k, v in asdict(holder).items() if k != "token"}
    entry = journal.read(root) if is_stale(holder) else None
    if entry is not None:
        return journal.interrupted_error(root, entry)
    if is_stale(holder):
        return WorkspaceError(
            "locked",
            f"A lock was left by {holder.describe()}, which is no longer running (it was "
            "killed or crashed). If `osmosis-workspace check` reports an interrupted "
            "operation, run `osmosis-workspace update --abort` (it clears the lock too); "
            f"otherwise remove the lock with `rm {lock_path(root)}`",
            details={**details, "stale": True},
        )
    return WorkspaceError(
        "locked",
        f"Another operation is running on this workspace: {holder.describe()}. Wait for it "
        "to finish, then try again",
        details={**details, "stale": False},
    )


def _try_create(path: Path, holder: Holder) -> bool:
    tmp = path.with_name(f".{LOCK_NAME}.{holder.token}")
    tmp.write_text(json.dumps(asdict(holder)))
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    sync_dir(path.parent)
    return True


@contextlib.contextmanager
def held(root: Path, command: str, *, take_stale: bool = False) -> Iterator[Holder]:
    """Hold the workspace's lock for the body; raise ``locked`` (exit 4) when someone has it
    (``interrupted`` when its holder died with a journal open).

    ``take_stale`` replaces a stale lock: ``update --abort``, and the retry of an interrupted
    ``add-rollout``, which both exist to clean up after the dead holder.
    """
    me = _me(command)
    path = state_dir(root, create=True) / LOCK_NAME
    if not _try_create(path, me):
        holder = read_holder(root)
        if holder is None or not (take_stale and is_stale(holder)):
            if holder is None and _try_create(path, me):  # released in between
                holder = me
            else:
                raise _locked_error(root, holder or me)
        if holder is not me:
            _remove_if_token(path, holder.token)
            if not _try_create(path, me):
                raise _locked_error(root, read_holder(root) or holder)
    try:
        yield me
    finally:
        _remove_if_token(path, me.token)


def _remove_if_token(path: Path, token: str) -> None:
    """Delete the lock only if it is still the one with ``token`` (never another's)."""
    data = read_json(path)
    if data is not None and data.get("token", "") == token:
        path.unlink(missing_ok=True)
