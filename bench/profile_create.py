#!/usr/bin/env python3
"""Profile warm `create_workspace` calls (cProfile), with or without perf.enable().

    .venv/bin/python bench/profile_create.py TEMPLATE_GIT_REPO [--levers] [--n 3]

TEMPLATE_GIT_REPO: a git copy of the template with a v1.0.0 tag (bench/run.py --keep leaves
one in its temp dir, `template-repo`). Prints the top costs by total and cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("template")
    ap.add_argument("--levers", action="store_true")
    ap.add_argument("--n", type=int, default=3)
    args = ap.parse_args()
    from osmosis_workspace import CreateOptions, create_workspace, perf

    perf.enable() if args.levers else perf.warm_up()
    out = Path(tempfile.mkdtemp(prefix="osmosis-profile-"))

    def one(i: int) -> float:
        t0 = time.perf_counter()
        create_workspace(
            out / f"ws{i}",
            {"workspace_name": "bench-ws"},
            CreateOptions(template=args.template, ref="v1.0.0"),
        )
        return time.perf_counter() - t0

    one(0)  # warm-up
    print("unprofiled:", [round(one(i), 3) for i in range(1, args.n + 1)])
    prof = cProfile.Profile()
    prof.enable()
    for i in range(100, 100 + args.n):
        one(i)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(40)
    print(perf.status())


if __name__ == "__main__":
    main()
