#!/usr/bin/env python3
"""Would the levers help a cold CLI process? One operation per fresh process, with and without
perf.enable() (applied before the operation), interleaved; prints medians.

    .venv/bin/python bench/cold_levers.py TEMPLATE_GIT_REPO WORKSPACE_AT_v1.0.0 [--reps 3]

The compile cache already pays off inside one operation: a render compiles the same few
hundred strings ~1,250 times, and an update renders three times (old, new, result).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import sys, time
t0 = time.perf_counter()
if sys.argv[1] == "1":
    from osmosis_workspace import perf
    perf.enable()
from osmosis_workspace import CreateOptions, UpdateOptions, create_workspace, update_workspace
if sys.argv[2] == "new":
    create_workspace(sys.argv[4], {"workspace_name": "bench-ws"},
                     CreateOptions(template=sys.argv[3], ref="v1.0.0"))
else:
    update_workspace(sys.argv[4], UpdateOptions(ref="v1.1.0"))
print(time.perf_counter() - t0)
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("template")
    ap.add_argument("workspace")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-cold-levers-"))
    res: dict[tuple[str, str], list[float]] = {}
    for i in range(args.reps):
        for op in ("new", "update"):
            for lev in ("0", "1"):
                dest = tmp / f"{op}-{lev}-{i}" / "bench-ws"
                if op == "update":
                    shutil.copytree(args.workspace, dest, symlinks=True)
                out = subprocess.run([sys.executable, "-c", CHILD, lev, op, args.template,
                                      str(dest)], capture_output=True, text=True, check=True)
                res.setdefault((op, lev), []).append(float(out.stdout.strip().splitlines()[-1]))
    for op in ("new", "update"):
        plain, fast = (statistics.median(res[(op, x)]) for x in ("0", "1"))
        print(f"{op}: plain {plain:.2f} s, perf.enable() {fast:.2f} s, {plain / fast:.2f}x "
              f"(runs: {res[(op, '0')]} / {res[(op, '1')]})")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
