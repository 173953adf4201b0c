"""Deterministic stop points, for tests only: kill the real process at a named phase boundary.

The interruption tests must SIGKILL ``update`` and ``add-rollout`` at exact points (after the
journal is written, after Copier wrote the files, ...), which timing cannot do reliably. Each
phase boundary calls :func:`point` with its name; it does nothing unless *both* variables are
set, the second to a fixed sentence, so no production environment can trigger it by accident:

    OSMOSIS_WORKSPACE_TEST_STOP=update.copier-done
    OSMOSIS_WORKSPACE_TEST_STOP_ARMED=sigkill-this-process-for-a-test

The process then kills itself with SIGKILL (no cleanup runs, exactly like the OOM killer).
The names are listed in :data:`PHASES` and in docs/update-lifecycle.md.
"""

from __future__ import annotations

import os
import signal

ENV = "OSMOSIS_WORKSPACE_TEST_STOP"
ARMED_ENV = "OSMOSIS_WORKSPACE_TEST_STOP_ARMED"
ARMED_VALUE = "sigkill-this-process-for-a-test"

PHASES = (
    "update.locked",
    "update.journal-written",
    "update.copier-rendered",
    "update.copier-done",
    "update.final",
    "update.journal-cleared",
    "update-all.journal-written",
    "update-all.applied",
    "add-rollout.locked",
    "add-rollout.journal-written",
    "add-rollout.placing",
    "add-rollout.placed",
    "add-rollout.registered",
    "add-rollout.final",
)


def point(name: str) -> None:
    """Kill this process here when a test armed this stop point (module docstring)."""
    if os.environ.get(ENV) != name or os.environ.get(ARMED_ENV) != ARMED_VALUE:
        return
    if name not in PHASES:
        raise AssertionError(f"unknown stop point {name!r}")
    os.kill(os.getpid(), signal.SIGKILL)
