#!/usr/bin/env python3
"""Benchmarks for issue #6: new, update, check and backend throughput, side by side with raw
Copier, the file-copy floor and the osmosis-ai CLI. Writes docs/benchmarks.md.

    .venv/bin/python bench/run.py            # full run (~10-15 min on 2 busy cores)
    .venv/bin/python bench/run.py --quick    # smoke run (fewer repetitions)

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
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
OW = str(VENV_BIN / "osmosis-workspace")
COPIER = str(VENV_BIN / "copier")
OSMOSIS = os.environ.get("OSMOSIS_BIN", str(ROOT / ".cache/osmosis-venv/bin/osmosis"))
NAME = "bench-ws"
IDENT = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]


# ----------------------------------------------------------------------------- helpers
def sh(cmd: list[str], cwd: Path | None = None, env: dict | None = None,
       check: bool = True) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def make_fixture(tmp: Path) -> Path:
    """Git copy of the checkout's files (tracked + untracked, not ignored): v1.0.0, v1.1.0."""
    tpl = tmp / "template-repo"
    files = sh(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT).stdout
    for rel in filter(None, files.split("\0")):
        src = ROOT / rel
        if rel.startswith("bench/") or not (src.exists() or src.is_symlink()):
            continue
        dst = tpl / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    sh(["git", "init", "-q"], cwd=tpl)
    sh(["git", "add", "-A"], cwd=tpl)
    sh(["git", *IDENT, "commit", "-qm", "v1.0.0"], cwd=tpl)
    sh(["git", "tag", "v1.0.0"], cwd=tpl)
    readme = tpl / "template/README.md.jinja"
    readme.write_text(readme.read_text() + "\n<!-- bench: v1.1.0 -->\n")
    skill = next((tpl / "template/.agents/skills").glob("*/SKILL.md*"))
    skill.write_text(skill.read_text() + "\nBench note added in v1.1.0.\n")
    sh(["git", *IDENT, "commit", "-qam", "v1.1.0"], cwd=tpl)
    sh(["git", "tag", "v1.1.0"], cwd=tpl)
    return tpl


def tree_signature(root: Path, skip_git: bool = True) -> dict[str, tuple]:
    """relpath -> (kind, content or link target, exec bit): a byte-for-byte comparison."""
    sig = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if skip_git and ".git" in dirnames:
            dirnames.remove(".git")
        base = Path(dirpath)
        for name in filenames + dirnames:
            p = base / name
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                sig[rel] = ("link", os.readlink(p), None)
            elif p.is_file():
                sig[rel] = ("file", p.read_bytes(), bool(p.stat().st_mode & 0o100))
            else:
                sig[rel] = ("dir", None, None)
    return sig


def same_tree(a: Path, b: Path) -> bool:
    return tree_signature(a) == tree_signature(b)


def git_index(path: Path) -> str:
    return sh(["git", "ls-files", "-s"], cwd=path).stdout


class Timer:
    def __init__(self, env: dict, warmup: int, reps: int):
        self.env, self.warmup, self.reps = env, warmup, reps

    def run(self, cmd: list[str], *, cwd: Path | None = None, prepare=None,
            reps: int | None = None, ok=(0,)) -> list[float]:
        """Median-ready wall times of a cold process; ``prepare(i)`` (untimed) returns cwd."""
        times = []
        n = self.reps if reps is None else reps
        for i in range(self.warmup + n):
            where = prepare(i) if prepare else cwd
            real = [str(c).replace("{i}", str(i)) for c in cmd]
            t0 = time.perf_counter()
            res = subprocess.run(real, cwd=where, env=self.env, capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if res.returncode not in ok:
                raise RuntimeError(f"{real} exited {res.returncode}:\n{res.stdout[-2000:]}\n"
                                   f"{res.stderr[-2000:]}")
            if i >= self.warmup:
                times.append(elapsed)
        return times


def interleaved(timer: Timer, specs: list[dict], reps: int | None = None) -> list[list[float]]:
    """Round-robin over ``specs`` (A B C, A B C, ...): load drift on a shared machine then hits
    every command of a comparison alike. Each spec: cmd, and cwd or prepare."""
    out: list[list[float]] = [[] for _ in specs]
    n = timer.reps if reps is None else reps
    for i in range(timer.warmup + n):
        for k, spec in enumerate(specs):
            t = Timer(spec.get("env", timer.env), warmup=0, reps=1)
            prep = spec.get("prepare")
            times = t.run(spec["cmd"], cwd=spec.get("cwd"),
                          prepare=(lambda _j, prep=prep, i=i: prep(i)) if prep else None)
            if i >= timer.warmup:
                out[k].extend(times)
    return out


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def fmt_s(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


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
    ap.add_argument("--out", default=str(ROOT / "docs/benchmarks.md"))
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--refresh-notes", action="store_true",
                    help="measure nothing: re-append bench/NOTES.md to the existing --out file")
    args = ap.parse_args()
    if args.refresh_notes:
        return refresh_notes(Path(args.out))
    reps = 2 if args.quick else 5
    scale_reps = 1 if args.quick else 3
    backend_n = 3 if args.quick else 8
    counts = [1, 5, 20]

    tmp = Path(tempfile.mkdtemp(prefix="osmosis-bench-"))
    home = tmp / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = bench\n\temail = bench@example.invalid\n"
                                     "[init]\n\tdefaultBranch = main\n")
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1", "COLUMNS": "120",
           "TMPDIR": str(tmp / "proc-tmp")}
    env.pop("OSMOSIS_WORKSPACE_TEMPLATE", None)
    env.pop("COPIER_CACHE_DIR", None)
    env.pop("OSMOSIS_WORKSPACE_PERF", None)
    # the CLI's render levers turned off: the "before" of the levers, measured in this run
    env_off = {**env, "OSMOSIS_WORKSPACE_PERF": "0"}
    (tmp / "proc-tmp").mkdir()
    os.environ["HOME"] = str(home)  # in-process API calls (fixtures): same isolation
    t_start = time.time()
    T = Timer(env, warmup=1, reps=reps)
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
    new_times = interleaved(T, [spec for _label, spec, _note in new_specs])
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
    upd_ow, upd_cp, upd_off = interleaved(T, [
        {"cmd": [OW, "update", "--ref", "v1.1.0"], "prepare": upd_ws("upd-ow")},
        {"cmd": [COPIER, "update", "--trust", "--defaults", "--quiet", "--vcs-ref", "v1.1.0"],
         "prepare": upd_ws("upd-copier")},
        {"cmd": [OW, "update", "--ref", "v1.1.0"], "prepare": upd_ws("upd-off"),
         "env": env_off}])
    rows.append(("update", "`osmosis-workspace update` v1.0.0 -> v1.1.0", upd_ow, ""))
    rows.append(("update", "raw `copier update --trust --defaults`", upd_cp, "baseline"))
    rows.append(("update", "`osmosis-workspace update`, levers off (`OSMOSIS_WORKSPACE_PERF=0`)",
                 upd_off, ""))
    facts.append("`update` and raw `copier update` results byte-identical: **"
                 + ("yes" if same_tree(tmp / "upd-ow" / "1" / NAME, tmp / "upd-copier" / "1" / NAME)
                    else "NO") + "**.")

    # --- check ------------------------------------------------------------------------------
    log("check")
    c_full, c_fast, c_doc, c_ver = interleaved(T, [
        {"cmd": [OW, "check", str(ref_ws)]},
        {"cmd": [OW, "check", "--fast", str(ref_ws)]},
        {"cmd": [OSMOSIS, "doctor", str(ref_ws)]},
        {"cmd": [OW, "--version"]}])
    rows.append(("check", "`osmosis-workspace check` (full)", c_full, ""))
    rows.append(("check", "`osmosis-workspace check --fast`", c_fast, ""))
    rows.append(("check", "`osmosis doctor`", c_doc, "baseline"))
    rows.append(("check", "`osmosis-workspace --version` (start-up floor)", c_ver, ""))

    # --- scaling ----------------------------------------------------------------------------
    log("scaling fixtures")
    scaled = build_scaled(tmp, tpl, counts)
    S = Timer(env, warmup=1, reps=scale_reps)
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
    for (label, n, _spec), times in zip(specs, interleaved(S, [x[2] for x in specs]),
                                        strict=True):
        scale.setdefault(label, {})[n] = med(times)
    new_1, new_4, copier_1, copier_4 = map(med, interleaved(S, [
        {"cmd": [OW, "new", NAME, *new_args, "--set", "include_examples=false"],
         "prepare": fresh("new-1")},
        {"cmd": [OW, "new", NAME, *new_args], "prepare": fresh("new-4")},
        {"cmd": [*copier_cmd[:-1], "--data", "include_examples=false", NAME],
         "prepare": fresh("copier-1")},
        {"cmd": copier_cmd, "prepare": fresh("copier-4")}]))

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
