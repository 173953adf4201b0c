#!/usr/bin/env python3
"""Cold CLI commands before and after the issue #6 levers, interleaved in one run.

    .venv/bin/python bench/before_after.py [--before PKG_PARENT] [--reps 7] [--out FILE]

Two kinds of "before", so each comparison changes one thing:

* ``new``, ``update`` (and ``add-rollout`` when the CLI has it): the same code with the render
  levers turned off (``OSMOSIS_WORKSPACE_PERF=0``) vs on (the default).
* ``check``, ``check --fast``, ``--version``: ``--before`` names a folder holding a copy of the
  ``osmosis_workspace`` package from before the change (put first on ``PYTHONPATH``), vs this
  checkout. Without ``--before`` these rows are skipped.

Each round runs every variant once (A B, A B, ...) after one warm-up round, on the fixture of
``bench/run.py`` (a git copy of this checkout tagged v1.0.0 and v1.1.0), in a private HOME.
Prints a Markdown table (median, min, ratio) and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import NAME, OW, make_fixture, sh


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="folder containing the old osmosis_workspace package")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-before-after-"))
    home = tmp / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(
        "[user]\n\tname = bench\n\temail = bench@example.invalid\n[init]\n\tdefaultBranch = main\n"
    )
    base = {
        **os.environ,
        "HOME": str(home),
        "NO_COLOR": "1",
        "COLUMNS": "120",
        "TMPDIR": str(tmp / "proc-tmp"),
    }
    for var in (
        "OSMOSIS_WORKSPACE_TEMPLATE",
        "COPIER_CACHE_DIR",
        "PYTHONPATH",
        "OSMOSIS_WORKSPACE_PERF",
    ):
        base.pop(var, None)
    (tmp / "proc-tmp").mkdir()
    off = {**base, "OSMOSIS_WORKSPACE_PERF": "0"}
    old = {**base, "PYTHONPATH": str(Path(args.before).resolve())} if args.before else None
    load_before = os.getloadavg()
    tpl = make_fixture(tmp)
    ref_ws = tmp / "ref" / NAME
    new_args = [
        "--defaults",
        "--template",
        str(tpl),
        "--ref",
        "v1.0.0",
        "--set",
        f"workspace_name={NAME}",
    ]
    sh([OW, "new", str(ref_ws), *new_args], env=base)

    def fresh(kind: str):
        def prep(i: int) -> Path:
            d = tmp / kind / str(i)
            d.mkdir(parents=True)
            return d

        return prep

    def copy_ws(kind: str):
        def prep(i: int) -> Path:
            d = tmp / kind / str(i) / NAME
            shutil.copytree(ref_ws, d, symlinks=True)
            return d

        return prep

    # (group, label, cmd, env, prepare or cwd)
    specs: list[tuple[str, str, list[str], dict, object]] = []
    for label, env in (("levers off (`OSMOSIS_WORKSPACE_PERF=0`)", off), ("levers on", base)):
        tag = "off" if env is off else "on"
        specs.append(
            (
                "`new` (git init + commit)",
                label,
                [OW, "new", NAME, *new_args],
                env,
                fresh(f"new-{tag}"),
            )
        )
        specs.append(
            (
                "`update` v1.0.0 -> v1.1.0",
                label,
                [OW, "update", "--ref", "v1.1.0"],
                env,
                copy_ws(f"upd-{tag}"),
            )
        )
    if old is not None:
        for label, env in (("before", old), ("after", base)):
            specs.append(("`check` (full)", label, [OW, "check", str(ref_ws)], env, None))
            specs.append(("`check --fast`", label, [OW, "check", "--fast", str(ref_ws)], env, None))
            specs.append(("`--version`", label, [OW, "--version"], env, None))
            specs.append(("`--help`", label, [OW, "--help"], env, None))
    times: dict[int, list[float]] = {k: [] for k in range(len(specs))}
    outputs: dict[tuple[str, str], str] = {}
    for i in range(args.reps + 1):
        for k, (group, label, cmd, env, prep) in enumerate(specs):
            cwd = prep(i) if callable(prep) else None
            t0 = time.perf_counter()
            res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if res.returncode not in (0, 5):
                raise RuntimeError(f"{cmd} ({label}) exited {res.returncode}:\n{res.stderr}")
            if group in ("`--version`", "`--help`", "`check` (full)", "`check --fast`"):
                outputs[(group, label)] = f"{res.returncode}\n{res.stdout}\n{res.stderr}"
            if i:
                times[k].append(elapsed)
    load_after = os.getloadavg()
    body: list[tuple[str, str]] = []
    first: dict[str, float] = {}
    for k, (group, label, _cmd, _env, _prep) in enumerate(specs):
        m = statistics.median(times[k])
        first.setdefault(group, m)
        body.append(
            (
                group,
                f"| {group} | {label} | {fmt(m)} | {fmt(min(times[k]))} | "
                f"{m / first[group]:.2f}x |",
            )
        )
    order = list(dict.fromkeys(group for group, _row in body))
    rows = [
        "| Command | Variant | Median | Min | vs first variant |",
        "| --- | --- | --- | --- | --- |",
        *(row for _g, row in sorted(body, key=lambda b: order.index(b[0]))),
    ]
    same = [
        g
        for g in {
            s[0]
            for s in specs
            if s[0] in ("`--version`", "`--help`", "`check` (full)", "`check --fast`")
        }
        if outputs[(g, "before")] == outputs[(g, "after")]
    ]
    text = "\n".join(
        [
            f"Run {time.strftime('%Y-%m-%dT%H:%M:%S')}, median of {args.reps} after 1 warm-up, "
            f"interleaved; load average before {load_before[0]:.2f} / {load_before[1]:.2f} / "
            f"{load_before[2]:.2f}, after {load_after[0]:.2f} / {load_after[1]:.2f} / "
            f"{load_after[2]:.2f}.",
            "",
            *rows,
            "",
            "Identical output (exit code, stdout, stderr) before and after: "
            + (", ".join(sorted(same)) if same else "n/a"),
            "",
        ]
    )
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def fmt(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
