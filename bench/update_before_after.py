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

import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    before_src, reps = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4
    spec = importlib.util.spec_from_file_location("benchrun", HERE / "run.py")
    br = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(br)
    tmp = Path(tempfile.mkdtemp(prefix="update-before-after-"))
    home = tmp / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = bench\n\temail = bench@example.invalid\n")
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1", "TMPDIR": str(tmp / "proc-tmp")}
    for key in (
        "OSMOSIS_WORKSPACE_TEMPLATE",
        "COPIER_CACHE_DIR",
        "OSMOSIS_WORKSPACE_PERF",
        "PYTHONPATH",
    ):
        env.pop(key, None)
    (tmp / "proc-tmp").mkdir()
    tpl = br.make_fixture(tmp)
    ref = tmp / "ref" / br.NAME
    br.sh(
        [
            br.OW,
            "new",
            str(ref),
            "--defaults",
            "--template",
            str(tpl),
            "--ref",
            "v1.0.0",
            "--set",
            f"workspace_name={br.NAME}",
        ],
        env=env,
    )
    variants = {"before": {**env, "PYTHONPATH": before_src}, "after": env}
    wall: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for i in range(1 + reps):
        for name, venv in variants.items():
            ws = tmp / name / str(i) / br.NAME
            shutil.copytree(ref, ws, symlinks=True)
            r0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            done = subprocess.run(
                [br.OW, "update", "--ref", "v1.1.0"],
                cwd=ws,
                env=venv,
                capture_output=True,
                text=True,
            )
            t1, r1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            assert done.returncode == 0, done.stderr
            if i:
                wall[name].append(t1 - t0)
                cpu[name].append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    for label, data in (("wall", wall), ("CPU", cpu)):
        for name, xs in data.items():
            print(f"{label} {name}: median {statistics.median(xs):.2f}s, min {min(xs):.2f}s")
        print(
            f"{label} ratio after/before (median): "
            f"{statistics.median(data['after']) / statistics.median(data['before']):.3f}"
        )
    same = br.same_tree(tmp / "before" / "1" / br.NAME, tmp / "after" / "1" / br.NAME)
    print(f"trees identical: {same}; load average {os.getloadavg()}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
