#!/usr/bin/env python3
"""Cold ``osmosis-workspace new`` before/after a change, next to raw ``copier copy``.

    .venv/bin/python bench/new_vs_copier.py --before PKG_PARENT [--reps 5] [--out FILE]

``--before`` names a folder holding a copy of the ``osmosis_workspace`` package from before the
change (``git archive REV src/osmosis_workspace | tar -x -C DIR``, then ``DIR/src``), put first
on ``PYTHONPATH``. Each round runs every variant once, interleaved, after one warm-up round, on
the fixture of ``bench/run.py`` (a git copy of this checkout tagged v1.0.0), in a private HOME.
Prints a Markdown table (median, min, ratio to raw ``copier copy``) and the load average.
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
    copier_copy,
    interleaved,
    load_line,
    make_fixture,
    med,
    new_args,
    same_tree,
)


def commands(tpl: Path) -> tuple[list[str], list[str]]:
    """``osmosis-workspace new`` and raw ``copier copy`` with the same answers, so they compare."""
    return [OW, "new", NAME, *new_args(tpl)], copier_copy(tpl)


def all_variants(
    before: str | None, env: dict, new: list[str], copier_cmd: list[str]
) -> list[tuple[str, list[str], dict]]:
    """(label, command, env) rows: raw Copier first (the baseline the ratios divide by), the
    old package's ``new`` when ``before`` is given, then this checkout's ``new`` last (its tree
    is compared with Copier's)."""
    variants = [
        ("raw `copier copy --trust --defaults`", copier_cmd, env),
        (
            "raw `copier copy` + `git init/add/commit`",
            [
                "sh",
                "-c",
                " ".join(copier_cmd) + f" && cd {NAME} && git init -q && "
                "git add -A && git commit -qm start",
            ],
            env,
        ),
    ]
    if before:
        old = {**env, "PYTHONPATH": before}
        variants += [
            ("`new`, before", new, old),
            ("`new --no-git`, before", [*new, "--no-git"], old),
        ]
    variants += [("`new`, after", new, env), ("`new --no-git`, after", [*new, "--no-git"], env)]
    return variants


def main() -> int:
    """Times the variants interleaved and prints (and optionally writes) the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="folder containing the old osmosis_workspace package")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-new-bench-"))
    env = bench_env(tmp)
    tpl = make_fixture(tmp)
    new, copier_cmd = commands(tpl)
    variants = all_variants(args.before, env, new, copier_cmd)

    def fresh(k: int):
        def prep(i: int) -> Path:
            (cwd := tmp / f"v{k}" / str(i)).mkdir(parents=True)
            return cwd

        return prep

    load_before = load_line()
    times = interleaved(
        [Variant(label, cmd, e, fresh(k)) for k, (label, cmd, e) in enumerate(variants)], args.reps
    )
    base = med(times[0].wall)
    rows = ["| Command | Median | Min | vs raw `copier copy` |", "| --- | --- | --- | --- |"]
    for (label, _cmd, _env), t in zip(variants, times, strict=True):
        rows.append(
            f"| {label} | {med(t.wall):.2f} s | {min(t.wall):.2f} s | {med(t.wall) / base:.2f}x |"
        )
    same = same_tree(tmp / "v0" / "1" / NAME, tmp / f"v{len(variants) - 1}" / "1" / NAME)
    text = "\n".join(
        [
            f"Run {time.strftime('%Y-%m-%dT%H:%M:%S')}, median of {args.reps} after 1 warm-up, "
            f"interleaved; load average {load_before} before, {load_line()} after.",
            "",
            *rows,
            "",
            f"`new --no-git` (after) and raw `copier copy` trees byte-identical: "
            f"{'yes' if same else 'NO'}.",
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
