#!/usr/bin/env python3
"""`osmosis-workspace update` before and after a change: wall and CPU time, interleaved.

    git archive <base-commit> src | tar -x -C /tmp/before
    nice -n 10 .venv/bin/python bench/update_before_after.py /tmp/before/src [REPS]

Runs `update --ref v1.1.0` on the fixture of ``bench/run.py`` (a git copy of this checkout
tagged v1.0.0 and v1.1.0, default answers), alternating the old package (first on
``PYTHONPATH``) and this checkout, after one warm-up round. CPU time (user + system of the
process and the git/Copier processes it waits for) is the robust number on a shared machine;
wall time is printed too. Also checks that both produce the same tree.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    NAME,
    OW,
    Variant,
    bench_env,
    interleaved,
    load_line,
    make_fixture,
    med,
    same_tree,
    sh,
)


def main() -> None:
    before_src, reps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4
    tmp = Path(tempfile.mkdtemp(prefix="update-before-after-"))
    env = bench_env(tmp)
    tpl = make_fixture(tmp)
    ref = tmp / "ref" / NAME
    sh(
        [
            OW,
            "new",
            str(ref),
            "--defaults",
            "--template",
            str(tpl),
            "--ref",
            "v1.0.0",
            "--set",
            f"workspace_name={NAME}",
        ],
        env=env,
    )
    sides = {"before": {**env, "PYTHONPATH": before_src}, "after": env}

    def copy(side: str):
        def prep(i: int) -> Path:
            shutil.copytree(ref, ws := tmp / side / str(i) / NAME, symlinks=True)
            return ws

        return prep

    times = dict(
        zip(
            sides,
            interleaved(
                [
                    Variant(side, [OW, "update", "--ref", "v1.1.0"], e, copy(side))
                    for side, e in sides.items()
                ],
                reps,
            ),
            strict=True,
        )
    )
    for label in ("wall", "cpu"):
        for side, t in times.items():
            xs = getattr(t, label)
            print(f"{label} {side}: median {med(xs):.2f}s, min {min(xs):.2f}s")
        after, before = (med(getattr(times[s], label)) for s in ("after", "before"))
        print(f"{label} ratio after/before (median): {after / before:.3f}")
    same = same_tree(tmp / "before" / "1" / NAME, tmp / "after" / "1" / NAME)
    print(f"trees identical: {same}; load average {load_line()}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
