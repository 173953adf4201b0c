"""One Copier operation at a time per process, isolated from the host and from other workers.

Why this exists (verified with Copier 9.19.1): Copier changes the *process-wide* working
directory, so two operations in threads of one process corrupt each other; its git mirror
cache has no inter-process lock; it leaks temp directories when interrupted; and it reads the user's
settings file unless given explicit settings. So every operation:

* holds a process-wide re-entrant lock (other threads wait; use processes for parallelism);
* gets a private scratch directory used as ``TMPDIR``/``tempfile.tempdir`` and deleted after,
  so nothing leaks even when Copier fails half-way;
* uses ``COPIER_CACHE_DIR`` = the caller's ``cache_dir``, else ``$COPIER_CACHE_DIR``, else (API
  callers) a per-process directory removed at exit;
* runs Copier through :mod:`.copier_adapter` (explicit empty settings, never the host's
  ``settings.yml``);
* restores the working directory and environment afterwards.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_LOCK = threading.RLock()
_PROCESS_CACHE: tuple[int, Path] | None = None


@dataclass(frozen=True)
class Operation:
    """Facts about the running operation (its scratch directory lives until it ends)."""

    scratch: Path


def _process_cache_dir() -> Path:
    """This process's git mirror cache; Copier creates it only for remote templates.

    Keyed by pid, so a worker forked from a process that already used the API gets its own.
    """
    global _PROCESS_CACHE
    if _PROCESS_CACHE is None or _PROCESS_CACHE[0] != os.getpid():
        path = Path(tempfile.gettempdir()) / f"osmosis-workspace-cache-{os.getpid()}"
        _PROCESS_CACHE = (os.getpid(), path)
        atexit.register(shutil.rmtree, path, True)
    return _PROCESS_CACHE[1]


@contextlib.contextmanager
def operation(
    *,
    cache_dir: Path | None = None,
    private_cache: bool = True,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Operation]:
    """Run the body as the only Copier operation of this process, isolated (module docstring).

    ``private_cache=False`` keeps Copier's per-user mirror cache (the CLI: one user, one
    process); the API keeps the default, a per-process cache, unless given ``cache_dir``.
    """
    with _LOCK:
        saved_cwd = os.getcwd()
        saved_tempdir = tempfile.tempdir
        scratch: Path | None = None
        saved_env: dict[str, str | None] = {}
        try:
            with signals_deferred():
                # Set up with signals held back, inside the ``try``: a Ctrl-C can only land
                # before anything exists or once the cleanup below knows the scratch folder.
                scratch = Path(tempfile.mkdtemp(prefix="osmosis-workspace-op-"))
                env = {"TMPDIR": str(scratch), **(extra_env or {})}
                if cache_dir is not None:
                    env["COPIER_CACHE_DIR"] = str(cache_dir)
                elif private_cache and not os.environ.get("COPIER_CACHE_DIR"):
                    env["COPIER_CACHE_DIR"] = str(_process_cache_dir())
                saved_env = {key: os.environ.get(key) for key in env}
                os.environ.update(env)
                tempfile.tempdir = str(scratch)
            yield Operation(scratch=scratch)
        finally:
            tempfile.tempdir = saved_tempdir
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            with contextlib.suppress(OSError):
                os.chdir(saved_cwd)
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP in this thread; pending ones fire on exit."""
    held = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}
    if not hasattr(signal, "pthread_sigmask") or not held:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
