"""Before/after a change: cold ``new``, ``update`` and ``check`` of two commits, in one run.

    nice -n 10 .venv/bin/python bench/run.py --before 68df223 --reps 3

The "before" side is ``git archive REV`` of this repository: its template (a fixture tagged
v1.0.0 and v1.1.0, as in ``bench/run.py``) and its package (first on ``PYTHONPATH``, with this
venv's dependencies). The "after" side is this checkout. Each side is measured next to raw
Copier on its own template, all commands interleaved in the same rounds, so a ratio to raw
Copier compares like with like even while the machine's load changes; "after / before" compares
the two sides directly. Wall and CPU (user + system of the whole process tree) are both given:
on a loaded machine the CPU ratio is the steadier one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from benchlib import (
    COPIER,
    NAME,
    OW,
    ROOT,
    Times,
    Variant,
    bench_env,
    copier_copy,
    interleaved,
    load_line,
    make_fixture,
    med,
    new_args,
    same_tree,
    sh,
)

#: (row, what it is compared with): the commands measured on each side.
ROWS = (
    ("`osmosis-workspace new` (git init + commit)", "raw `copier copy`"),
    ("`osmosis-workspace update` v1.0.0 -> v1.1.0", "raw `copier update`"),
    ("`osmosis-workspace check` (full)", ""),
    ("`osmosis-workspace check --fast`", ""),
)


def export(rev: str, dest: Path) -> Path:
    """The tree of commit ``rev`` of this repository, written to ``dest``."""
    data = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(data.stdout)) as archive:
        archive.extractall(dest, filter="tar")
    return dest


def _side(tmp: Path, side: str, tpl: Path, env: dict[str, str]) -> list[Variant]:
    """The six commands of one side, in ROWS order, each baseline right after its command."""
    answers = new_args(tpl)
    ref = tmp / f"ref-{side}" / NAME
    sh([OW, "new", str(ref), *answers], env=env)

    def fresh(kind: str):
        def prep(i: int) -> Path:
            (d := tmp / f"{kind}-{side}" / str(i)).mkdir(parents=True)
            return d

        return prep

    def workspace(kind: str):
        def prep(i: int) -> Path:
            d = tmp / f"{kind}-{side}" / str(i) / NAME
            shutil.copytree(ref, d, symlinks=True)
            return d

        return prep

    copy = copier_copy(tpl)
    update = [COPIER, "update", "--trust", "--defaults", "--quiet", "--vcs-ref", "v1.1.0"]
    return [
        Variant(ROWS[0][0], [OW, "new", NAME, *answers], env, fresh("new"), group=side),
        Variant(ROWS[0][1], copy, env, fresh("copier"), group=side),
        Variant(ROWS[1][0], [OW, "update", "--ref", "v1.1.0"], env, workspace("upd"), group=side),
        Variant(ROWS[1][1], update, env, workspace("copier-upd"), group=side),
        Variant(ROWS[2][0], [OW, "check", str(ref)], env, cwd=tmp, group=side),
        Variant(ROWS[3][0], [OW, "check", "--fast", str(ref)], env, cwd=tmp, group=side),
    ]


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{med(a) / med(b):.2f}x"


def _table(variants: list[Variant], times: list[Times]) -> list[str]:
    got = {(v.group, v.label): t for v, t in zip(variants, times, strict=True)}
    lines = [
        "| Command | vs raw Copier, before (wall / CPU) | vs raw Copier, after (wall / CPU) "
        "| after / before (wall / CPU) |",
        "| --- | --- | --- | --- |",
    ]
    for row, base in ROWS:
        cells = []
        for side in ("before", "after"):
            cmd = got[(side, row)]
            cells.append(
                f"{_ratio(cmd.wall, got[(side, base)].wall)} / "
                f"{_ratio(cmd.cpu, got[(side, base)].cpu)}"
                if base
                else ""
            )
        b, a = got[("before", row)], got[("after", row)]
        cells.append(f"{_ratio(a.wall, b.wall)} / {_ratio(a.cpu, b.cpu)}")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return lines


def compare(rev: str, reps: int, out: str | None) -> int:
    """Measure ``rev`` against this checkout and print (and write to ``out``) the table."""
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-compare-"))
    env = bench_env(tmp)
    old = export(rev, tmp / "before-src")
    sides = {
        "before": (make_fixture(tmp, old, "tpl-before"), {**env, "PYTHONPATH": str(old / "src")}),
        "after": (make_fixture(tmp, ROOT, "tpl-after"), env),
    }
    variants = [v for side, (tpl, e) in sides.items() for v in _side(tmp, side, tpl, e)]
    load_before = load_line()
    times = interleaved(variants, reps, env=env)
    same = {
        s: same_tree(tmp / f"new-{s}" / "1" / NAME, tmp / f"copier-{s}" / "1" / NAME) for s in sides
    }
    head = sh(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT).stdout.strip()
    text = "\n".join(
        [
            f"Run {time.strftime('%Y-%m-%dT%H:%M:%S')}: before = `{rev}`, after = `{head}`; median "
            f"of {reps} rounds after 1 warm-up, all commands interleaved; load average "
            f"{load_before} before, {load_line()} after; {os.cpu_count()} cores.",
            "",
            *_table(variants, times),
            "",
            "`new` and raw `copier copy` trees byte-identical (outside `.git`): "
            + ", ".join(f"{s} **{'yes' if ok else 'NO'}**" for s, ok in same.items())
            + ".",
            "",
        ]
    )
    print(text)
    if out:
        Path(out).write_text(text)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0
