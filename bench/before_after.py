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
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    NAME,
    OW,
    Variant,
    bench_env,
    fmt_s,
    interleaved,
    load_line,
    make_fixture,
    med,
    new_args,
    sh,
)

#: Commands whose output (exit code, stdout, stderr) must not change between before and after.
SAME_OUTPUT = ("`check` (full)", "`check --fast`", "`--version`", "`--help`")


def variants(tmp: Path, env: dict, before: str | None) -> list[Variant]:
    """Every timed variant on a fresh fixture: levers off/on for ``new`` and ``update`` (same
    code, one switch), and before/after rows when ``before`` names an old package."""
    tpl = make_fixture(tmp)
    ref = tmp / "ref" / NAME
    answers = new_args(tpl)
    sh([OW, "new", str(ref), *answers], env=env)

    def fresh(kind: str):
        def prep(i: int) -> Path:
            (d := tmp / kind / str(i)).mkdir(parents=True)
            return d

        return prep

    def copy_ws(kind: str):
        def prep(i: int) -> Path:
            shutil.copytree(ref, d := tmp / kind / str(i) / NAME, symlinks=True)
            return d

        return prep

    off = {**env, "OSMOSIS_WORKSPACE_PERF": "0"}
    out = []
    for label, e, tag in (
        ("levers off (`OSMOSIS_WORKSPACE_PERF=0`)", off, "off"),
        ("levers on", env, "on"),
    ):
        out.append(
            Variant(
                label,
                [OW, "new", NAME, *answers],
                e,
                fresh(f"new-{tag}"),
                group="`new` (git init + commit)",
            )
        )
        out.append(
            Variant(
                label,
                [OW, "update", "--ref", "v1.1.0"],
                e,
                copy_ws(f"upd-{tag}"),
                group="`update` v1.0.0 -> v1.1.0",
            )
        )
    if before is not None:
        out += same_output_variants(tmp, env, before, ref)
    return out


def same_output_variants(tmp: Path, env: dict, before: str, ref: Path) -> list[Variant]:
    """``check``, ``check --fast``, ``--version`` and ``--help`` with the old package first on
    ``PYTHONPATH`` and with this checkout: the rows whose output must not change."""
    old = {**env, "PYTHONPATH": str(Path(before).resolve())}
    out = []
    for label, e in (("before", old), ("after", env)):
        for group, cmd in zip(
            SAME_OUTPUT,
            (
                [OW, "check", str(ref)],
                [OW, "check", "--fast", str(ref)],
                [OW, "--version"],
                [OW, "--help"],
            ),
            strict=True,
        ):
            out.append(Variant(label, cmd, e, cwd=tmp, ok=(0, 5), group=group))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="folder containing the old osmosis_workspace package")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-before-after-"))
    env = bench_env(tmp)
    load_before = load_line()
    specs = variants(tmp, env, args.before)
    times = interleaved(specs, args.reps)
    first: dict[str, float] = {}
    body, outputs = [], {}
    for v, t in zip(specs, times, strict=True):
        m = med(t.wall)
        first.setdefault(v.group, m)
        body.append(
            (
                v.group,
                f"| {v.group} | {v.label} | {fmt_s(m)} | {fmt_s(min(t.wall))} | "
                f"{m / first[v.group]:.2f}x |",
            )
        )
        if t.last is not None:
            outputs[(v.group, v.label)] = (t.last.returncode, t.last.stdout, t.last.stderr)
    order = list(dict.fromkeys(group for group, _row in body))
    same = [
        g
        for g in SAME_OUTPUT
        if (g, "before") in outputs and outputs[(g, "before")] == outputs[(g, "after")]
    ]
    text = "\n".join(
        [
            f"Run {time.strftime('%Y-%m-%dT%H:%M:%S')}, median of {args.reps} after 1 warm-up, "
            f"interleaved; load average before {load_before}, after {load_line()}.",
            "",
            "| Command | Variant | Median | Min | vs first variant |",
            "| --- | --- | --- | --- | --- |",
            *(row for _g, row in sorted(body, key=lambda b: order.index(b[0]))),
            "",
            "Identical output (exit code, stdout, stderr) before and after: "
            + (", ".join(same) if same else "n/a"),
            "",
        ]
    )
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
