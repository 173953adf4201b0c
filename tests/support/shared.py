"""Build once per test run, share across xdist workers: renders, template repositories, venvs.

Every worker of one ``pytest -n N`` run has its own base temp folder, and all of them sit in
the same parent folder. A shared build lives in ``<parent>/shared/<name>``: the first worker
that asks builds it under an exclusive lock, the others wait on that lock and reuse the result.
A build that raises leaves no ``.done`` marker, so the next worker that asks builds it again
from an empty folder (and fails the same way, with its own traceback).

Shared builds are read-only for tests: copy one (``helpers.committed_copy``) before changing it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run sees (the parent of the per-worker base temps)."""
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = root / "shared"
    path.mkdir(exist_ok=True)
    return path


def shared_build(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``<shared>/<name>``, built by ``build(path)`` exactly once per run (``path`` is empty)."""
    root = shared_root(factory)
    target = root / name
    done = root / f"{name}.done"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            build(target)
            done.touch()
    return target
