#!/usr/bin/env python3
"""Benchmarks for issue #6: new, update, check and backend throughput, side by side with raw
Copier, the file-copy floor and the osmosis-ai CLI. Writes docs/benchmarks.md.

    .venv/bin/python bench/run.py            # full run (~10-15 min on 2 busy cores)
    .venv/bin/python bench/run.py --quick    # smoke run (fewer repetitions)
    nice -n 10 .venv/bin/python bench/run.py --before 68df223 --reps 3   # before/after table

Everything runs against a throw-away git copy of this checkout (tags v1.0.0 and v1.1.0, so
`new` and `update` take the real path users get), in a private temp dir and HOME.
Medians after one warm-up run; every ratio compares numbers measured in this same run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    COPIER,
    NAME,
    OW,
    ROOT,
    Variant,
    bench_env,
    copier_copy,
    fmt_s,
    interleaved,
    make_fixture,
    med,
    new_args,
    pct,
    same_tree,
    sh,
    tree_signature,
)

OSMOSIS = os.environ.get("OSMOSIS_BIN", str(ROOT / ".cache/osmosis-venv/bin/osmosis"))


def git_index(path: Path) -> str:
    return sh(["git", "ls-files", "-s"], cwd=path).stdout


def timed(specs: list[dict], reps: int, env: dict) -> list[list[float]]:
    """Wall times of ``specs`` (dicts: cmd, and cwd or prepare, optional env), interleaved."""
    variants = [
        Variant(str(k), s["cmd"], s.get("env"), s.get("prepare"), s.get("cwd"))
        for k, s in enumerate(specs)
    ]
    return [t.wall for t in interleaved(variants, reps, env=env)]


# ----------------------------------------------------------------------------- backend worker
def _worker_init(tmp_root: str) -> None:
    private = os.path.join(tmp_root, f"worker-{os.getpid()}")
    os.makedirs(private, exist_ok=True)
    os.environ["TMPDIR"] = private
    tempfile.tempdir = private


def _worker_run(job: dict) -> dict:
    """One worker: import, optional levers, warm-up create(s), then timed creates."""
    import resource

    from osmosis_workspace import CreateOptions, create_workspace, perf

    active = perf.enable() if job["levers"] else {}
    out = Path(job["out"])
    for i in range(job["warmup"]):
        create_workspace(
            out / f"warm-{i}", job["answers"], CreateOptions(template=job["template"], ref="v1.0.0")
        )
    lat = []
    start = time.time()
    for i in range(job["n"]):
        t0 = time.perf_counter()
        create_workspace(
            out / f"ws-{i}", job["answers"], CreateOptions(template=job["template"], ref="v1.0.0")
        )
        lat.append(time.perf_counter() - t0)
    end = time.time()
    return {
        "lat": lat,
        "start": start,
        "end": end,
        "sample": str(out / "ws-0"),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "active": active,
        "status": perf.status(),
    }


def backend(tmp: Path, tpl: Path, workers: int, n: int, levers: bool, tag: str) -> dict:
    ctx = get_context("spawn")
    jobs = []
    for w in range(workers):
        out = tmp / f"backend-{tag}" / f"w{w}"
        out.mkdir(parents=True)
        jobs.append(
            {
                "levers": levers,
                "out": str(out),
                "warmup": 1,
                "n": n,
                "template": str(tpl),
                "answers": {"workspace_name": NAME},
            }
        )
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=ctx,
        initializer=_worker_init,
        initargs=(str(tmp / "worker-tmp"),),
    ) as pool:
        results = list(pool.map(_worker_run, jobs))
    lat = [x for r in results for x in r["lat"]]
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {
        "lat": lat,
        "p50": med(lat),
        "p95": pct(lat, 0.95),
        "wps": len(lat) / wall,
        "rss_mb": max(r["maxrss_kb"] for r in results) / 1024,
        "wall": wall,
        "sample": Path(results[0]["sample"]),
        "status": results[0]["status"],
        "workers": workers,
    }


def merge_backend(parts: list[dict]) -> dict:
    lat = [x for p in parts for x in p["lat"]]
    return {
        **parts[-1],
        "lat": lat,
        "p50": med(lat),
        "p95": pct(lat, 0.95),
        "wps": len(lat) / sum(p["wall"] for p in parts),
        "rss_mb": max(p["rss_mb"] for p in parts),
    }


# ----------------------------------------------------------------------------- scaling fixture
def build_scaled(tmp: Path, tpl: Path, counts: list[int]) -> dict[int, Path]:
    """Workspaces with N rollouts: the starter plus N-1 added with ``add_rollout`` (committed),
    exactly as users grow a workspace."""
    from osmosis_workspace import (
        AddRolloutOptions,
        CreateOptions,
        add_rollout,
        create_workspace,
        perf,
    )

    perf.enable()  # fixture building only; byte-identity of the levers is checked elsewhere
    answers = {"workspace_name": NAME, "include_examples": False}
    out = {}
    for n in counts:
        ws = tmp / f"scaled-{n}" / NAME
        create_workspace(ws, answers, CreateOptions(template=str(tpl), ref="v1.0.0"))
        for i in range(1, n):
            add_rollout(ws, f"extra-{i}", {"dataset_name": NAME}, AddRolloutOptions(commit=True))
        out[n] = ws
    perf.disable()
    return out


# ----------------------------------------------------------------------------- main
DEFAULT_OUT = str(ROOT / "docs/benchmarks.md")
NOTES_MARKER = "Analysis, profile and recommendations: see the section below"


def refresh_notes(out: Path) -> int:
    """Replace the hand-written tail of ``out`` with the current bench/NOTES.md (the measured
    part above it is kept as generated)."""
    text = out.read_text()
    start = text.find(NOTES_MARKER)
    if start == -1:
        print(f"{out} has no notes marker; run the benchmarks instead", file=sys.stderr)
        return 1
    head = text[: text.index("\n", start) + 1]
    notes = (ROOT / "bench" / "NOTES.md").read_text().rstrip()
    out.write_text(f"{head}\n{notes}\n")
    return 0


@dataclass(frozen=True)
class Run:
    """What every section of one benchmark run shares: the throw-away dir and template, the
    isolated environment, the repetition counts, and the rows and facts the report prints.
    ``rows`` and ``facts`` are lists the sections append to in order, so the report keeps the
    order the sections ran in."""

    args: argparse.Namespace
    tmp: Path
    tpl: Path
    env: dict
    env_off: dict  # the CLI's render levers turned off: the "before" of the levers, this run
    reps: int
    scale_reps: int
    backend_n: int
    t_start: float
    ref_ws: Path
    ref_nogit: Path
    n_files: int
    # (section, label, times, note); note "baseline" marks what the section divides by
    rows: list[tuple[str, str, list[float], str]] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)

    def log(self, message: str) -> None:
        """Progress with seconds since the start, flushed: a long run shows where it is."""
        _log(self.t_start, message)

    def new_args(self) -> list[str]:
        """The answers every timed ``osmosis-workspace new`` uses, so the variants compare."""
        return new_args(self.tpl)

    def copier_cmd(self) -> list[str]:
        """Raw ``copier copy`` with the same answers: the baseline ``new`` is measured against."""
        return copier_copy(self.tpl)

    def fresh(self, kind: str):
        """A ``prepare`` hook giving each repetition its own empty dir, so no run sees another's
        output."""

        def prep(i):
            d = self.tmp / kind / str(i)
            d.mkdir(parents=True)
            return d

        return prep

    def copy_of(self, src: Path, kind: str, nested: bool = True):
        """A ``prepare`` hook giving each repetition its own copy of ``src`` (``update`` and
        ``rollout init`` change the workspace they run in)."""

        def prep(i):
            d = self.tmp / kind / str(i) / NAME if nested else self.tmp / kind / str(i)
            shutil.copytree(src, d, symlinks=True)
            return d

        return prep


def _log(t_start: float, message: str) -> None:
    print(f"[{time.time() - t_start:6.0f}s] {message}", flush=True)


def parse_args() -> argparse.Namespace:
    """The command line; ``--before`` and ``--refresh-notes`` measure nothing of this run."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer repetitions")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument(
        "--refresh-notes",
        action="store_true",
        help="measure nothing: re-append bench/NOTES.md to the existing --out file",
    )
    ap.add_argument(
        "--before",
        metavar="REV",
        help="measure only new/update/check of commit REV against this checkout "
        "(bench/compare.py) and print that table",
    )
    ap.add_argument("--reps", type=int, default=3, help="rounds for --before (default 3)")
    return ap.parse_args()


def start_run(args: argparse.Namespace) -> Run:
    """The fixture template and two reference workspaces (with and without git) every section
    copies or compares against, in a private temp dir and HOME."""
    tmp = Path(tempfile.mkdtemp(prefix="osmosis-bench-"))
    env = bench_env(tmp)
    os.environ["HOME"] = env["HOME"]  # in-process API calls (fixtures): same isolation
    t_start = time.time()
    tpl = make_fixture(tmp)
    _log(t_start, f"fixture {tpl}")
    answers = [
        "--defaults",
        "--template",
        str(tpl),
        "--ref",
        "v1.0.0",
        "--set",
        f"workspace_name={NAME}",
    ]
    ref_ws = tmp / "ref" / NAME
    sh([OW, "new", str(ref_ws), *answers], env=env)
    ref_nogit = tmp / "ref-nogit" / NAME
    sh([OW, "new", str(ref_nogit), *answers, "--no-git"], env=env)
    return Run(
        args=args,
        tmp=tmp,
        tpl=tpl,
        env=env,
        env_off={**env, "OSMOSIS_WORKSPACE_PERF": "0"},
        reps=2 if args.quick else 5,
        scale_reps=1 if args.quick else 3,
        backend_n=3 if args.quick else 8,
        t_start=t_start,
        ref_ws=ref_ws,
        ref_nogit=ref_nogit,
        n_files=sum(1 for _ in tree_signature(ref_nogit)),
    )


def new_specs(run: Run) -> list[tuple[str, dict, str]]:
    """The ``new`` section's rows (label, timed command, note): ``new`` against raw Copier (the
    baseline), Copier plus git, the ``cp -r`` floor and ``osmosis rollout init``."""
    new_args, copier_cmd = run.new_args(), run.copier_cmd()
    return [
        (
            "`osmosis-workspace new` (git init + commit)",
            {"cmd": [OW, "new", NAME, *new_args], "prepare": run.fresh("new")},
            "",
        ),
        (
            "`osmosis-workspace new --no-git`",
            {"cmd": [OW, "new", NAME, *new_args, "--no-git"], "prepare": run.fresh("new-nogit")},
            "",
        ),
        (
            "raw `copier copy --trust --defaults`",
            {"cmd": copier_cmd, "prepare": run.fresh("copier")},
            "baseline",
        ),
        (
            "raw `copier copy` + `git init/add/commit`",
            {
                "cmd": [
                    "sh",
                    "-c",
                    " ".join(copier_cmd) + f" && cd {NAME} && git init -q && "
                    "git add -A && git commit -qm start",
                ],
                "prepare": run.fresh("copier-git"),
            },
            "",
        ),
        (
            "`cp -r` of the rendered tree (floor)",
            {"cmd": ["cp", "-r", str(run.ref_nogit), NAME], "prepare": run.fresh("cp")},
            "",
        ),
        (
            "`osmosis rollout init` (one rollout, in a workspace)",
            {
                "cmd": [OSMOSIS, "rollout", "init", "bench-extra"],
                "prepare": run.copy_of(run.ref_ws, "rinit", nested=False),
            },
            "",
        ),
        (
            "`osmosis-workspace new`, levers off (`OSMOSIS_WORKSPACE_PERF=0`)",
            {
                "cmd": [OW, "new", NAME, *new_args],
                "prepare": run.fresh("new-off"),
                "env": run.env_off,
            },
            "",
        ),
    ]


def measure_new(run: Run) -> None:
    """Times the ``new`` rows interleaved, then checks ``new`` renders what Copier does."""
    run.log("new")
    specs = new_specs(run)
    new_times = timed([spec for _label, spec, _note in specs], run.reps, run.env)
    for (label, _spec, note), times in zip(specs, new_times, strict=True):
        run.rows.append(("new", label, times, note))
    same_cli = same_tree(run.tmp / "new-nogit" / "1" / NAME, run.tmp / "copier" / "1" / NAME)
    run.facts.append(
        f"`new --no-git` and raw `copier copy` trees byte-identical: "
        f"**{'yes' if same_cli else 'NO'}** ({run.n_files} entries)."
    )


def measure_backend(run: Run) -> dict[str, dict]:
    """``create_workspace`` in warm worker processes, with and without ``perf.enable()``, and
    one worker alone; checks the levers change no byte of the result."""
    run.log("backend")
    # Rounds alternate baseline and levers (ABAB...), so a change of load on this shared
    # machine hits both sides alike; each round starts fresh worker processes.
    rounds = 1 if run.args.quick else 2
    parts: dict[str, list[dict]] = {"baseline": [], "levers": []}
    for r in range(rounds):
        for levers in (False, True):
            tag = "levers" if levers else "baseline"
            parts[tag].append(
                backend(
                    run.tmp,
                    run.tpl,
                    workers=2,
                    n=max(1, run.backend_n // rounds),
                    levers=levers,
                    tag=f"{tag}-{r}",
                )
            )
            run.log(f"backend {tag} round {r}: p50 {parts[tag][-1]['p50']:.3f}")
    be = {tag: merge_backend(ps) for tag, ps in parts.items()}
    same_be = same_tree(be["baseline"]["sample"], be["levers"]["sample"]) and git_index(
        be["baseline"]["sample"]
    ) == git_index(be["levers"]["sample"])
    run.facts.append(
        f"Backend trees with and without `perf.enable()` byte-identical (files, "
        f"links, exec bits, git index): **{'yes' if same_be else 'NO'}**. Lever "
        f"counters in one worker: `{be['levers']['status']}`."
    )
    # one worker alone: the latency without a neighbour on the second core
    be["single"] = backend(run.tmp, run.tpl, workers=1, n=run.backend_n, levers=True, tag="single")
    return be


def measure_update(run: Run) -> dict[str, list[float]]:
    """``update`` v1.0.0 -> v1.1.0 against raw ``copier update`` (the baseline), each on its
    own copy of the reference workspace; checks both give the same tree."""
    run.log("update")
    upd_ow, upd_cp, upd_off = timed(
        [
            {
                "cmd": [OW, "update", "--ref", "v1.1.0"],
                "prepare": run.copy_of(run.ref_ws, "upd-ow"),
            },
            {
                "cmd": [
                    COPIER,
                    "update",
                    "--trust",
                    "--defaults",
                    "--quiet",
                    "--vcs-ref",
                    "v1.1.0",
                ],
                "prepare": run.copy_of(run.ref_ws, "upd-copier"),
            },
            {
                "cmd": [OW, "update", "--ref", "v1.1.0"],
                "prepare": run.copy_of(run.ref_ws, "upd-off"),
                "env": run.env_off,
            },
        ],
        run.reps,
        run.env,
    )
    run.rows.append(("update", "`osmosis-workspace update` v1.0.0 -> v1.1.0", upd_ow, ""))
    run.rows.append(("update", "raw `copier update --trust --defaults`", upd_cp, "baseline"))
    run.rows.append(
        (
            "update",
            "`osmosis-workspace update`, levers off (`OSMOSIS_WORKSPACE_PERF=0`)",
            upd_off,
            "",
        )
    )
    same = same_tree(run.tmp / "upd-ow" / "1" / NAME, run.tmp / "upd-copier" / "1" / NAME)
    run.facts.append(
        "`update` and raw `copier update` results byte-identical: **"
        + ("yes" if same else "NO")
        + "**."
    )
    return {"ow": upd_ow, "off": upd_off}


def measure_check(run: Run) -> dict[str, list[float]]:
    """``check`` (full and ``--fast``) against ``osmosis doctor`` (the baseline), with the CLI's
    start-up floor (``--version``)."""
    run.log("check")
    c_full, c_fast, c_doc, c_ver = timed(
        [
            {"cmd": [OW, "check", str(run.ref_ws)]},
            {"cmd": [OW, "check", "--fast", str(run.ref_ws)]},
            {"cmd": [OSMOSIS, "doctor", str(run.ref_ws)]},
            {"cmd": [OW, "--version"]},
        ],
        run.reps,
        run.env,
    )
    run.rows.append(("check", "`osmosis-workspace check` (full)", c_full, ""))
    run.rows.append(("check", "`osmosis-workspace check --fast`", c_fast, ""))
    run.rows.append(("check", "`osmosis doctor`", c_doc, "baseline"))
    run.rows.append(("check", "`osmosis-workspace --version` (start-up floor)", c_ver, ""))
    return {"full": c_full, "fast": c_fast}


def measure_scaling(run: Run) -> dict[str, dict[int, float]]:
    """Median ``check``, ``check --fast``, ``osmosis doctor`` and ``update`` times on
    workspaces with 1, 5 and 20 rollouts: how each command grows as users add rollouts."""
    run.log("scaling fixtures")
    scaled = build_scaled(run.tmp, run.tpl, [1, 5, 20])
    scale: dict[str, dict[int, float]] = {}
    # All sizes of one command run interleaved (1, 5, 20, 1, 5, 20, ...), so load drift on
    # the shared machine does not masquerade as growth.
    run.log("scaling checks")
    kinds = {
        "`check` (full)": lambda ws: [OW, "check", str(ws)],
        "`check --fast`": lambda ws: [OW, "check", "--fast", str(ws)],
        "`osmosis doctor`": lambda ws: [OSMOSIS, "doctor", str(ws)],
    }
    specs = [
        (label, n, {"cmd": make(ws)}) for label, make in kinds.items() for n, ws in scaled.items()
    ]
    specs += [
        (
            "`update` v1.0.0 -> v1.1.0",
            n,
            {
                "cmd": [OW, "update", "--ref", "v1.1.0"],
                "prepare": run.copy_of(ws, f"upd-scaled-{n}"),
            },
        )
        for n, ws in scaled.items()
    ]
    times_all = timed([x[2] for x in specs], run.scale_reps, run.env)
    for (label, n, _spec), times in zip(specs, times_all, strict=True):
        scale.setdefault(label, {})[n] = med(times)
    return scale


def measure_new_growth(run: Run) -> tuple[float, float, float, float]:
    """Median ``new`` and raw ``copier copy`` with 1 and 4 rollouts (``include_examples``):
    how rendering grows with the rollouts the template itself renders."""
    new_args, copier_cmd = run.new_args(), run.copier_cmd()
    new_1, new_4, copier_1, copier_4 = map(
        med,
        timed(
            [
                {
                    "cmd": [OW, "new", NAME, *new_args, "--set", "include_examples=false"],
                    "prepare": run.fresh("new-1"),
                },
                {"cmd": [OW, "new", NAME, *new_args], "prepare": run.fresh("new-4")},
                {
                    "cmd": [*copier_cmd[:-1], "--data", "include_examples=false", NAME],
                    "prepare": run.fresh("copier-1"),
                },
                {"cmd": copier_cmd, "prepare": run.fresh("copier-4")},
            ],
            run.scale_reps,
            run.env,
        ),
    )
    return new_1, new_4, copier_1, copier_4


def _cpu_model() -> str:
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        )
    return cpu or platform.processor()


def report_header(run: Run) -> list[str]:
    """How to regenerate, the mode, the machine and its load, and the fixture: what a reader
    needs to judge the numbers below."""
    import copier
    import jinja2

    load = os.getloadavg()
    return [
        "# Benchmarks",
        "",
        "Generated by `bench/run.py` (issue #6); do not edit by hand. Regenerate with:",
        "",
        "```",
        ".venv/bin/python bench/run.py            # full run",
        ".venv/bin/python bench/run.py --quick    # smoke run, fewer repetitions",
        "nice -n 10 .venv/bin/python bench/run.py --before 68df223 --reps 3"
        "   # before/after table (bench/NOTES.md)",
        "```",
        "",
        f"- Run: {dt.datetime.now().isoformat(timespec='seconds')}, mode "
        f"**{'quick' if run.args.quick else 'full'}**: median of {run.reps} runs after 1 warm-up "
        f"(size scaling: {run.scale_reps}); backend: {run.backend_n} workspaces per worker "
        "after 1 warm-up each, in alternating baseline/levers rounds.",
        f"- Machine: {_cpu_model()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Copier {copier.__version__}, Jinja {jinja2.__version__}; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (shared machine: absolute times are "
        "noisy, ratios within one run are the useful numbers).",
        f"- Template: a git copy of this checkout tagged v1.0.0 and v1.1.0 (v1.1.0 changes "
        f"README.md and one skill). Default workspace: {run.n_files} entries (files, folders, "
        "links), 4 rollouts (yours + 3 worked examples).",
        "- Cold process = a new CLI process per run (imports included). The commands of each "
        "comparison run interleaved (A B C, A B C, ...), so load changes hit them alike.",
        "",
    ]


def baselines(run: Run) -> dict[str, float]:
    """Median of each section's baseline row: what every other row of the section divides by."""
    return {sec: med(t) for sec, _l, t, note in run.rows if note == "baseline"}


def report_commands(run: Run) -> list[str]:
    """The cold-process table: every row with its median, min and ratio to its baseline."""
    base = baselines(run)
    lines = [
        "## Commands (cold processes)",
        "",
        "| Section | Command | Median | Min | vs baseline |",
        "| --- | --- | --- | --- | --- |",
    ]
    for sec, label, times, note in run.rows:
        ratio = (
            "baseline"
            if note == "baseline"
            else (f"{med(times) / base[sec]:.2f}x" if sec in base else "")
        )
        lines.append(f"| {sec} | {label} | {fmt_s(med(times))} | {fmt_s(min(times))} | {ratio} |")
    return lines


def report_backend(be: dict[str, dict]) -> list[str]:
    """The backend table (2 workers without and with the levers, 1 worker) and the speed-up."""
    b0, b1, b2 = be["baseline"], be["levers"], be["single"]
    lines = [
        "",
        "## Backend API (`create_workspace`, warm worker processes, git init + commit)",
        "",
        "| Workers | `perf.enable()` | p50 | p95 | workspaces/s | peak RSS per worker |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r, lev in ((b0, "no"), (b1, "yes"), (b2, "yes")):
        lines.append(
            f"| {r['workers']} | {lev} | {fmt_s(r['p50'])} | {fmt_s(r['p95'])} | "
            f"{r['wps']:.2f} | {r['rss_mb']:.0f} MB |"
        )
    lines += ["", f"`perf.enable()` speed-up (p50, 2 workers): **{b0['p50'] / b1['p50']:.2f}x**."]
    return lines


def report_growth(
    scale: dict[str, dict[int, float]], growth: tuple[float, float, float, float]
) -> list[str]:
    """The two growth tables: commands on 1/5/20-rollout workspaces, and ``new`` with 1 or 4
    rendered rollouts, each with its cost per extra rollout."""
    new_1, new_4, copier_1, copier_4 = growth
    lines = [
        "",
        "## Growth with the number of rollouts",
        "",
        "Workspaces with 1, 5 and 20 rollouts: the starter plus rollouts added with "
        "`add_rollout` (sharing the starter's dataset, committed). The workspace's "
        "`update` does not re-render added rollouts (each has its own answers file and "
        "`update --rollout`), so for it they are files to leave alone.",
        "",
        "| Command | 1 rollout | 5 rollouts | 20 rollouts | per extra rollout | 20 vs 1 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for label, vals in scale.items():
        per = (vals[20] - vals[1]) / 19
        lines.append(
            f"| {label} | {fmt_s(vals[1])} | {fmt_s(vals[5])} | {fmt_s(vals[20])} | "
            f"{per * 1000:+.0f} ms | {vals[20] / vals[1]:.2f}x |"
        )
    lines += [
        "",
        "`new` grows with the rollouts the template renders (its own mechanism: "
        "`include_examples` adds 3 example rollouts):",
        "",
        "| Command | 1 rollout | 4 rollouts | per extra rollout |",
        "| --- | --- | --- | --- |",
        f"| `osmosis-workspace new` | {fmt_s(new_1)} | {fmt_s(new_4)} | "
        f"{(new_4 - new_1) / 3 * 1000:+.0f} ms |",
        f"| raw `copier copy` | {fmt_s(copier_1)} | {fmt_s(copier_4)} | "
        f"{(copier_4 - copier_1) / 3 * 1000:+.0f} ms |",
    ]
    return lines


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def report_targets(
    run: Run, be: dict[str, dict], upd: dict[str, list[float]], chk: dict[str, list[float]]
) -> list[str]:
    """The issue's targets, each with what this run measured and whether it is met."""
    base = baselines(run)
    new_ratio = med(run.rows[0][2]) / base["new"]
    nogit_ratio = med(run.rows[1][2]) / base["new"]
    off_ratio = (
        med(next(t for sec, label, t, _n in run.rows if sec == "new" and "levers off" in label))
        / base["new"]
    )
    b0, b1, b2 = be["baseline"], be["levers"], be["single"]
    c_full, c_fast = med(chk["full"]), med(chk["fast"])
    upd_ow, upd_off = med(upd["ow"]), med(upd["off"])
    return [
        "",
        "## Targets",
        "",
        "| Target | Measured | Met |",
        "| --- | --- | --- |",
        f"| `new` <= 1.1x raw `copier copy` | {new_ratio:.2f}x (with git init + commit); "
        f"{nogit_ratio:.2f}x with `--no-git`; {off_ratio:.2f}x with the levers off | "
        f"{_yes(new_ratio <= 1.1)} |",
        f"| backend p50 <= 150 ms | {fmt_s(b1['p50'])} (levers, 2 workers); "
        f"{fmt_s(b2['p50'])} (1 worker); {fmt_s(b0['p50'])} without levers | "
        f"{_yes(b1['p50'] <= 0.15)} |",
        f"| `check` <= 300 ms cold | {fmt_s(c_full)} full; {fmt_s(c_fast)} `--fast` | "
        f"{_yes(c_full <= 0.3)} (full); {_yes(c_fast <= 0.3)} (`--fast`) |",
        f"| `update` <= 2 s | {fmt_s(upd_ow)} ({fmt_s(upd_off)} with the levers "
        f"off) | {_yes(upd_ow <= 2)} |",
        "",
        "Analysis, profile and recommendations: see the section below (maintained by "
        "hand in `bench/NOTES.md`, appended verbatim).",
        "",
    ]


def measure_and_report(run: Run) -> None:
    """Every section in order, then the report: written to ``--out`` with bench/NOTES.md
    appended, and its measured part (up to the checks) printed."""
    measure_new(run)
    be = measure_backend(run)
    upd = measure_update(run)
    chk = measure_check(run)
    scale = measure_scaling(run)
    growth = measure_new_growth(run)
    run.log("writing report")
    lines = [
        *report_header(run),
        *report_commands(run),
        *report_backend(be),
        *report_growth(scale, growth),
        "",
        "## Checks",
        "",
    ]
    lines += [f"- {f}" for f in run.facts]
    lines += report_targets(run, be, upd, chk)
    notes = ROOT / "bench" / "NOTES.md"
    if notes.is_file():
        lines += [notes.read_text().rstrip(), ""]
    Path(run.args.out).write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("## Checks")]))
    run.log(f"wrote {run.args.out}")


def main() -> int:
    """Dispatch: a before/after comparison, a notes refresh, or the full measured run."""
    args = parse_args()
    if args.before:
        from compare import compare

        return compare(args.before, args.reps, None if args.out == DEFAULT_OUT else args.out)
    if args.refresh_notes:
        return refresh_notes(Path(args.out))
    run = start_run(args)
    measure_and_report(run)
    if not args.keep:
        shutil.rmtree(run.tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
