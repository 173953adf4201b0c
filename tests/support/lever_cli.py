"""The CLI's entry point in a fresh interpreter, reporting which speed levers it installed.

Shared by tests/unit/test_lever_behaviour.py and tests/integration/test_perf_levers.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DRIVER = r"""
import atexit, json, sys
from osmosis_workspace import perf
atexit.register(lambda: print("PERF " + json.dumps(perf.status()), file=sys.stderr))
sys.argv = ["osmosis-workspace", *sys.argv[1:]]
from osmosis_workspace.cli import main
main()
"""


def cli(*args: str, cwd: Path, perf_env: str | None = None) -> tuple[int, str, dict]:
    """Run the CLI's entry point in a fresh interpreter: (exit code, stderr, perf.status())."""
    env = {k: v for k, v in os.environ.items() if k != "OSMOSIS_WORKSPACE_PERF"}
    if perf_env is not None:
        env["OSMOSIS_WORKSPACE_PERF"] = perf_env
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    status_line = next(line for line in proc.stderr.splitlines() if line.startswith("PERF "))
    return proc.returncode, proc.stderr, json.loads(status_line[5:])
