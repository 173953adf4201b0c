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
    fmt_s,
    interleaved,
    make_fixture,
    med,
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
    variants = [Variant(str(k), s["cmd"], s.get("env"), s.get("prepare"), s.get("cwd"))
                for k, s in enumerate(specs)]
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
        create_workspace(out / f"warm-{i}", job["answers"], CreateOptions(template=job["template"],
                         ref="v1.0.0"))
    lat = []
    start = time.time()
    for i in range(job["n"]):
        t0 = time.perf_counter()
        create_workspace(out / f"ws-{i}", job["answers"],
                         CreateOptions(template=job["template"], ref="v1.0.0"))
        lat.append(time.perf_counter() - t0)
    end = time.time()
    return {"lat": lat, "start": start, "end": end, "sample": str(out / "ws-0"),
            "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "active": active, "status": perf.status()}


def backend(tmp: Path, tpl: Path, workers: int, n: int, levers: bool, tag: str) -> dict:
    ctx = get_context("spawn")
    jobs = []
    for w in range(workers):
        out = tmp / f"backend-{tag}" / f"w{w}"
        out.mkdir(parents=True)
        jobs.append({"levers": levers, "out": str(out), "warmup": 1, "n": n,
                     "template": str(tpl), "answers": {"workspace_name": NAME}})
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                             initargs=(str(tmp / "worker-tmp"),)) as pool:
        results = list(pool.map(_worker_run, jobs))
    lat = [x for r in results for x in r["lat"]]
    wall = max(r["end"] for r in results) - min(r["start"] for r in results)
    return {"lat": lat, "p50": med(lat), "p95": pct(lat, 0.95), "wps": len(lat) / wall,
            "rss_mb": max(r["maxrss_kb"] for r in results) / 1024, "wall": wall,
            "sample": Path(results[0]["sample"]), "status": results[0]["status"],
            "workers": workers}


def merge_backend(parts: list[dict]) -> dict:
    lat = [x for p in parts for x in p["lat"]]
    return {**parts[-1], "lat": lat, "p50": med(lat), "p95": pct(lat, 0.95),
            "wps": len(lat) / sum(p["wall"] for p in parts),
            "rss_mb": max(p["rss_mb"] for p in parts)}


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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer repetitions")
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--refresh-notes", action="store_true",
                    help="measure nothing: re-append bench/NOTES.md to the existing --out file")
    ap.add_argument("--before", metavar="REV",
                    help="measure only new/update/check of commit REV against this checkout "
                         "(bench/compare.py) and print that table")
    ap.add_argument("--reps", type=int, default=3, help="rounds for --before (default 3)")
    args = ap.parse_args()
    if args.before:
        from compare import compare

        return compare(args.before, args.reps, None if args.out == DEFAULT_OUT else args.out)
    if args.refresh_notes:
        return refresh_notes(Path(args.out))
    reps = 2 if args.quick else 5
    scale_reps = 1 if args.quick else 3
    backend_n = 3 if args.quick else 8
    counts = [1, 5, 20]

    tmp = Path(tempfile.mkdtemp(prefix="osmosis-bench-"))
    env = bench_env(tmp)
    home = Path(env["HOME"])
    # the CLI's render levers turned off: the "before" of the levers, measured in this run
    env_off = {**env, "OSMOSIS_WORKSPACE_PERF": "0"}
    os.environ["HOME"] = str(home)  # in-process API calls (fixtures): same isolation
    t_start = time.time()
    rows: list[tuple[str, str, list[float], str]] = []  # section, label, times, note
    facts: list[str] = []
    log = lambda m: print(f"[{time.time() - t_start:6.0f}s] {m}", flush=True)  # noqa: E731

    tpl = make_fixture(tmp)
    log(f"fixture {tpl}")
    ref_ws = tmp / "ref" / NAME
    sh([OW, "new", str(ref_ws), "--defaults", "--template", str(tpl), "--ref", "v1.0.0",
        "--set", f"workspace_name={NAME}"], env=env)
    ref_nogit = tmp / "ref-nogit" / NAME
    sh([OW, "new", str(ref_nogit), "--defaults", "--template", str(tpl), "--ref", "v1.0.0",
        "--set", f"workspace_name={NAME}", "--no-git"], env=env)
    n_files = sum(1 for _ in tree_signature(ref_nogit))

    # --- new ------------------------------------------------------------------------------
    def fresh(kind):
        def prep(i):
            d = tmp / kind / str(i)
            d.mkdir(parents=True)
            return d
        return prep

    log("new")
    new_args = ["--defaults", "--template", str(tpl), "--ref", "v1.0.0",
                "--set", f"workspace_name={NAME}"]
    def rollout_ws(i):
        d = tmp / "rinit" / str(i)
        shutil.copytree(ref_ws, d, symlinks=True)
        return d
    copier_cmd = [COPIER, "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "v1.0.0",
                  "--data", f"workspace_name={NAME}", str(tpl), NAME]
    new_specs = [
        ("`osmosis-workspace new` (git init + commit)",
         {"cmd": [OW, "new", NAME, *new_args], "prepare": fresh("new")}, ""),
        ("`osmosis-workspace new --no-git`",
         {"cmd": [OW, "new", NAME, *new_args, "--no-git"], "prepare": fresh("new-nogit")}, ""),
        ("raw `copier copy --trust --defaults`",
         {"cmd": copier_cmd, "prepare": fresh("copier")}, "baseline"),
        ("raw `copier copy` + `git init/add/commit`",
         {"cmd": ["sh", "-c", " ".join(copier_cmd) + f" && cd {NAME} && git init -q && "
                  "git add -A && git commit -qm start"], "prepare": fresh("copier-git")}, ""),
        ("`cp -r` of the rendered tree (floor)",
         {"cmd": ["cp", "-r", str(ref_nogit), NAME], "prepare": fresh("cp")}, ""),
        ("`osmosis rollout init` (one rollout, in a workspace)",
         {"cmd": [OSMOSIS, "rollout", "init", "bench-extra"], "prepare": rollout_ws}, ""),
        ("`osmosis-workspace new`, levers off (`OSMOSIS_WORKSPACE_PERF=0`)",
         {"cmd": [OW, "new", NAME, *new_args], "prepare": fresh("new-off"), "env": env_off}, ""),
    ]
    new_times = timed([spec for _label, spec, _note in new_specs], reps, env)
    for (label, _spec, note), times in zip(new_specs, new_times, strict=True):
        rows.append(("new", label, times, note))
    same_cli = same_tree(tmp / "new-nogit" / "1" / NAME, tmp / "copier" / "1" / NAME)
    facts.append(f"`new --no-git` and raw `copier copy` trees byte-identical: "
                 f"**{'yes' if same_cli else 'NO'}** ({n_files} entries).")

    # --- backend ----------------------------------------------------------------------------
    log("backend")
    # Rounds alternate baseline and levers (ABAB...), so a change of load on this shared
    # machine hits both sides alike; each round starts fresh worker processes.
    rounds = 1 if args.quick else 2
    parts: dict[str, list[dict]] = {"baseline": [], "levers": []}
    for r in range(rounds):
        for levers in (False, True):
            tag = "levers" if levers else "baseline"
            parts[tag].append(backend(tmp, tpl, workers=2, n=max(1, backend_n // rounds),
                                      levers=levers, tag=f"{tag}-{r}"))
            log(f"backend {tag} round {r}: p50 {parts[tag][-1]['p50']:.3f}")
    be = {tag: merge_backend(ps) for tag, ps in parts.items()}
    same_be = (same_tree(be["baseline"]["sample"], be["levers"]["sample"])
               and git_index(be["baseline"]["sample"]) == git_index(be["levers"]["sample"]))
    facts.append(f"Backend trees with and without `perf.enable()` byte-identical (files, links, "
                 f"exec bits, git index): **{'yes' if same_be else 'NO'}**. Lever counters in one "
                 f"worker: `{be['levers']['status']}`.")
    # one worker alone: the latency without a neighbour on the second core
    be["single"] = backend(tmp, tpl, workers=1, n=backend_n, levers=True, tag="single")

    # --- update -----------------------------------------------------------------------------
    log("update")

    def upd_ws(kind):
        def prep(i):
            d = tmp / kind / str(i) / NAME
            shutil.copytree(ref_ws, d, symlinks=True)
            return d
        return prep
    upd_ow, upd_cp, upd_off = timed([
        {"cmd": [OW, "update", "--ref", "v1.1.0"], "prepare": upd_ws("upd-ow")},
        {"cmd": [COPIER, "update", "--trust", "--defaults", "--quiet", "--vcs-ref", "v1.1.0"],
         "prepare": upd_ws("upd-copier")},
        {"cmd": [OW, "update", "--ref", "v1.1.0"], "prepare": upd_ws("upd-off"),
         "env": env_off}], reps, env)
    rows.append(("update", "`osmosis-workspace update` v1.0.0 -> v1.1.0", upd_ow, ""))
    rows.append(("update", "raw `copier update --trust --defaults`", upd_cp, "baseline"))
    rows.append(("update", "`osmosis-workspace update`, levers off (`OSMOSIS_WORKSPACE_PERF=0`)",
                 upd_off, ""))
    facts.append("`update` and raw `copier update` results byte-identical: **"
                 + ("yes" if same_tree(tmp / "upd-ow" / "1" / NAME, tmp / "upd-copier" / "1" / NAME)
                    else "NO") + "**.")

    # --- check ------------------------------------------------------------------------------
    log("check")
    c_full, c_fast, c_doc, c_ver = timed([
        {"cmd": [OW, "check", str(ref_ws)]},
        {"cmd": [OW, "check", "--fast", str(ref_ws)]},
        {"cmd": [OSMOSIS, "doctor", str(ref_ws)]},
        {"cmd": [OW, "--version"]}], reps, env)
    rows.append(("check", "`osmosis-workspace check` (full)", c_full, ""))
    rows.append(("check", "`osmosis-workspace check --fast`", c_fast, ""))
    rows.append(("check", "`osmosis doctor`", c_doc, "baseline"))
    rows.append(("check", "`osmosis-workspace --version` (start-up floor)", c_ver, ""))

    # --- scaling ----------------------------------------------------------------------------
    log("scaling fixtures")
    scaled = build_scaled(tmp, tpl, counts)
    scale: dict[str, dict[int, float]] = {}
    # All sizes of one command run interleaved (1, 5, 20, 1, 5, 20, ...), so load drift on
    # the shared machine does not masquerade as growth.
    log("scaling checks")
    kinds = {"`check` (full)": lambda ws: [OW, "check", str(ws)],
             "`check --fast`": lambda ws: [OW, "check", "--fast", str(ws)],
             "`osmosis doctor`": lambda ws: [OSMOSIS, "doctor", str(ws)]}
    specs = [(label, n, {"cmd": make(ws)}) for label, make in kinds.items()
             for n, ws in scaled.items()]

    def upd_n(n, ws):
        def prep(i):
            d = tmp / f"upd-scaled-{n}" / str(i) / NAME
            shutil.copytree(ws, d, symlinks=True)
            return d
        return prep
    specs += [("`update` v1.0.0 -> v1.1.0", n,
               {"cmd": [OW, "update", "--ref", "v1.1.0"], "prepare": upd_n(n, ws)})
              for n, ws in scaled.items()]
    for (label, n, _spec), times in zip(specs, timed([x[2] for x in specs], scale_reps, env),
                                        strict=True):
        scale.setdefault(label, {})[n] = med(times)
    new_1, new_4, copier_1, copier_4 = map(med, timed([
        {"cmd": [OW, "new", NAME, *new_args, "--set", "include_examples=false"],
         "prepare": fresh("new-1")},
        {"cmd": [OW, "new", NAME, *new_args], "prepare": fresh("new-4")},
        {"cmd": [*copier_cmd[:-1], "--data", "include_examples=false", NAME],
         "prepare": fresh("copier-1")},
        {"cmd": copier_cmd, "prepare": fresh("copier-4")}], scale_reps, env))

    # --- report -----------------------------------------------------------------------------
    log("writing report")
    base = {sec: med(t) for sec, _l, t, note in rows if note == "baseline"}
    lines = []
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(ln.split(":", 1)[1].strip() for ln in
                   Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name"))
    import copier
    import jinja2
    load = os.getloadavg()
    lines += [
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
        f"**{'quick' if args.quick else 'full'}**: median of {reps} runs after 1 warm-up "
        f"(size scaling: {scale_reps}); backend: {backend_n} workspaces per worker after 1 "
        "warm-up each, in alternating baseline/levers rounds.",
        f"- Machine: {cpu or platform.processor()}, {os.cpu_count()} cores, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"Copier {copier.__version__}, Jinja {jinja2.__version__}; load average at the end "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (shared machine: absolute times are "
        "noisy, ratios within one run are the useful numbers).",
        f"- Template: a git copy of this checkout tagged v1.0.0 and v1.1.0 (v1.1.0 changes "
        f"README.md and one skill). Default workspace: {n_files} entries (files, folders, "
        "links), 4 rollouts (yours + 3 worked examples).",
        "- Cold process = a new CLI process per run (imports included). The commands of each "
        "comparison run interleaved (A B C, A B C, ...), so load changes hit them alike.",
        "",
        "## Commands (cold processes)",
        "",
        "| Section | Command | Median | Min | vs baseline |",
        "| --- | --- | --- | --- | --- |",
    ]
    for sec, label, times, note in rows:
        ratio = "baseline" if note == "baseline" else (
            f"{med(times) / base[sec]:.2f}x" if sec in base else "")
        lines.append(f"| {sec} | {label} | {fmt_s(med(times))} | {fmt_s(min(times))} | {ratio} |")
    b0, b1, b2 = be["baseline"], be["levers"], be["single"]
    lines += [
        "",
        "## Backend API (`create_workspace`, warm worker processes, git init + commit)",
        "",
        "| Workers | `perf.enable()` | p50 | p95 | workspaces/s | peak RSS per worker |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r, lev in ((b0, "no"), (b1, "yes"), (b2, "yes")):
        lines.append(f"| {r['workers']} | {lev} | {fmt_s(r['p50'])} | {fmt_s(r['p95'])} | "
                     f"{r['wps']:.2f} | {r['rss_mb']:.0f} MB |")
    lines += ["", f"`perf.enable()` speed-up (p50, 2 workers): **{b0['p50'] / b1['p50']:.2f}x**.",
              "", "## Growth with the number of rollouts", "",
              "Workspaces with 1, 5 and 20 rollouts: the starter plus rollouts added with "
              "`add_rollout` (sharing the starter's dataset, committed). The workspace's "
              "`update` does not re-render added rollouts (each has its own answers file and "
              "`update --rollout`), so for it they are files to leave alone.", "",
              "| Command | 1 rollout | 5 rollouts | 20 rollouts | per extra rollout | 20 vs 1 |",
              "| --- | --- | --- | --- | --- | --- |"]
    for label, vals in scale.items():
        per = (vals[20] - vals[1]) / 19
        lines.append(f"| {label} | {fmt_s(vals[1])} | {fmt_s(vals[5])} | {fmt_s(vals[20])} | "
                     f"{per * 1000:+.0f} ms | {vals[20] / vals[1]:.2f}x |")
    lines += ["", "`new` grows with the rollouts the template renders (its own mechanism: "
              "`include_examples` adds 3 example rollouts):", "",
              "| Command | 1 rollout | 4 rollouts | per extra rollout |",
              "| --- | --- | --- | --- |",
              f"| `osmosis-workspace new` | {fmt_s(new_1)} | {fmt_s(new_4)} | "
              f"{(new_4 - new_1) / 3 * 1000:+.0f} ms |",
              f"| raw `copier copy` | {fmt_s(copier_1)} | {fmt_s(copier_4)} | "
              f"{(copier_4 - copier_1) / 3 * 1000:+.0f} ms |",
              "", "## Checks", ""]
    lines += [f"- {f}" for f in facts]
    new_ratio = med(rows[0][2]) / base["new"]
    nogit_ratio = med(rows[1][2]) / base["new"]
    off_ratio = med(next(t for sec, label, t, _n in rows if sec == "new" and "levers off" in label)
                    ) / base["new"]
    lines += ["", "## Targets", "",
              "| Target | Measured | Met |", "| --- | --- | --- |",
              f"| `new` <= 1.1x raw `copier copy` | {new_ratio:.2f}x (with git init + commit); "
              f"{nogit_ratio:.2f}x with `--no-git`; {off_ratio:.2f}x with the levers off | "
              f"{'yes' if new_ratio <= 1.1 else 'no'} |",
              f"| backend p50 <= 150 ms | {fmt_s(b1['p50'])} (levers, 2 workers); "
              f"{fmt_s(b2['p50'])} (1 worker); {fmt_s(b0['p50'])} without levers | "
              f"{'yes' if b1['p50'] <= 0.15 else 'no'} |",
              f"| `check` <= 300 ms cold | {fmt_s(med(c_full))} full; "
              f"{fmt_s(med(c_fast))} `--fast` | "
              f"{'yes' if med(c_full) <= 0.3 else 'no'} (full); "
              f"{'yes' if med(c_fast) <= 0.3 else 'no'} (`--fast`) |",
              f"| `update` <= 2 s | {fmt_s(med(upd_ow))} ({fmt_s(med(upd_off))} with the levers "
              f"off) | {'yes' if med(upd_ow) <= 2 else 'no'} |",
              "", "Analysis, profile and recommendations: see the section below (maintained by "
              "hand in `bench/NOTES.md`, appended verbatim).", ""]
    notes = ROOT / "bench" / "NOTES.md"
    if notes.is_file():
        lines += [notes.read_text().rstrip(), ""]
    Path(args.out).write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("## Checks")]))
    log(f"wrote {args.out}")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
