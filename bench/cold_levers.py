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
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import Variant, interleaved, med

CHILD = r"""
import sys
if sys.argv[1] == "1":
    from osmosis_workspace import perf
    perf.enable()
from osmosis_workspace import CreateOptions, UpdateOptions, create_workspace, update_workspace
if sys.argv[2] == "new":
    create_workspace("bench-ws", {"workspace_name": "bench-ws"},
                     CreateOptions(template=sys.argv[3], ref="v1.0.0"))
else:
    update_workspace("bench-ws", UpdateOptions(ref="v1.1.0"))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("template")
    ap.add_argument("workspace")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-cold-levers-"))

    def where(op: str, lev: str):
        def prep(i: int) -> Path:
            (cwd := tmp / f"{op}-{lev}-{i}").mkdir(parents=True)
            if op == "update":
                shutil.copytree(args.workspace, cwd / "bench-ws", symlinks=True)
            return cwd

        return prep

    specs = [
        Variant(
            f"{op} {lev}",
            [sys.executable, "-c", CHILD, lev, op, args.template],
            prepare=where(op, lev),
            group=op,
        )
        for op in ("new", "update")
        for lev in ("0", "1")
    ]
    times = interleaved(specs, args.reps, warmup=0)
    for k, op in enumerate(("new", "update")):
        plain, fast = times[2 * k].wall, times[2 * k + 1].wall
        print(
            f"{op}: plain {med(plain):.2f} s, perf.enable() {med(fast):.2f} s, "
            f"{med(plain) / med(fast):.2f}x (runs: {plain} / {fast})"
        )
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
