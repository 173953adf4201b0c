#!/usr/bin/env python3
"""Byte-identity check of osmosis_workspace.perf over many answer sets, one warm process each.

    .venv/bin/python bench/verify_levers.py TEMPLATE_GIT_REPO [--all]

Renders the same answer sets (the test suite's ANSWER_SETS plus a spread of the scaffold
matrix: every framework, backend, dataset mode and grader at least once; --all: the full
matrix) in two worker processes, one plain and one with perf.enable() (so the compile cache is
hot across answer sets, the case that could leak between renders), and compares every tree:
files, link targets, executable bits and the git index. Exit 1 on any difference.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]


def answer_sets(full: bool) -> dict[str, dict]:
    from support.helpers import ANSWER_SETS
    from support.scaffold_matrix import BACKENDS, FRAMEWORKS, GRADERS, MODES

    sets = {k: dict(v) for k, v in ANSWER_SETS.items() if "dataset_file" not in v}
    combos = list(itertools.product(FRAMEWORKS, BACKENDS, MODES, GRADERS))
    if not full:  # a diagonal: each value of each axis at least once
        combos = [
            (FRAMEWORKS[i % 3], BACKENDS[i % 2], MODES[(i // 2) % 2], GRADERS[i])
            for i in range(len(GRADERS))
        ]
    for fw, be, mode, grader in combos:
        sets[f"{fw}-{be}-{mode}-{grader}"] = {
            "workspace_name": "combo",
            "agent_framework": fw,
            "execution_backend": be,
            "dataset_mode": mode,
            "grader": grader,
            "include_examples": False,
        }
    return sets


def render_all(job: dict) -> dict[str, tuple]:
    from run import git_index, tree_signature

    from osmosis_workspace import CreateOptions, create_workspace, perf

    if job["levers"]:
        perf.enable()
    out = Path(job["out"])
    sigs = {}
    for name, answers in job["sets"].items():
        dest = out / name / answers["workspace_name"]
        create_workspace(dest, answers, CreateOptions(template=job["template"], ref="v1.0.0"))
        sigs[name] = (tree_signature(dest), git_index(dest))
    return sigs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("template")
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args()
    sets = answer_sets(args.all)
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-verify-"))
    jobs = [
        {"levers": lev, "out": str(tmp / str(lev)), "sets": sets, "template": args.template}
        for lev in (False, True)
    ]
    with ProcessPoolExecutor(2, mp_context=get_context("spawn")) as pool:
        plain, fast = pool.map(render_all, jobs)
    bad = [name for name in sets if plain[name] != fast[name]]
    print(
        f"{len(sets)} answer sets rendered with and without perf.enable(): "
        + ("all byte-identical" if not bad else f"DIFFERENT: {bad}")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
