"""What every bench script shares: the isolated environment, the template fixture, one timing loop.

Why one loop: the machine these numbers come from is shared, so its load changes while a
benchmark runs. Every comparison therefore runs its variants interleaved (A B C, A B C, ...)
after one warm-up round, each in a cold process, and reports medians and ratios measured in the
same run. Each run records wall time and the CPU time (user + system) of the process tree it
waited for; on a loaded machine the CPU time is the steadier number.

Standard library only; the scripts import it as ``from benchlib import ...`` (they put
``bench/`` first on ``sys.path``).
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
OW = str(VENV_BIN / "osmosis-workspace")
COPIER = str(VENV_BIN / "copier")
NAME = "bench-ws"
IDENT = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
#: Variables of the caller's shell that would change what a benchmarked command does.
_LEAKY = ("OSMOSIS_WORKSPACE_TEMPLATE", "COPIER_CACHE_DIR", "OSMOSIS_WORKSPACE_PERF", "PYTHONPATH")


def new_args(tpl: Path) -> list[str]:
    """The options of every timed ``osmosis-workspace new DEST``: the bench answers at v1.0.0."""
    return ["--defaults", "--template", str(tpl), "--ref", "v1.0.0",
            "--set", f"workspace_name={NAME}"]  # fmt: skip


def copier_copy(tpl: Path) -> list[str]:
    """Raw ``copier copy`` with the answers of :func:`new_args`: the baseline ``new`` is
    measured against (the destination is the last item)."""
    return [COPIER, "copy", "--trust", "--defaults", "--quiet", "--vcs-ref", "v1.0.0",
            "--data", f"workspace_name={NAME}", str(tpl), NAME]  # fmt: skip


def sh(
    cmd: Sequence[str], cwd: Path | None = None, env: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    res = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def bench_env(tmp: Path) -> dict[str, str]:
    """An environment with a private HOME (git identity, branch ``main``) and TMPDIR under
    ``tmp``, and none of the variables that would change the commands measured."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = bench\n\temail = bench@example.invalid\n[init]\n\tdefaultBranch = main\n"
    )
    (tmp / "proc-tmp").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "NO_COLOR": "1",
        "COLUMNS": "120",
        "TMPDIR": str(tmp / "proc-tmp"),
    }
    for var in _LEAKY:
        env.pop(var, None)
    return env


def _source_files(root: Path) -> list[str]:
    """Files of a checkout (tracked and untracked, not ignored), or of a plain exported tree."""
    if (root / ".git").exists():
        out = sh(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root).stdout
        return list(filter(None, out.split("\0")))
    return [
        p.relative_to(root).as_posix()
        for p in sorted(root.rglob("*"))
        if p.is_file() or p.is_symlink()
    ]


def make_fixture(tmp: Path, root: Path = ROOT, name: str = "template-repo") -> Path:
    """A git copy of ``root``'s files tagged v1.0.0 and v1.1.0 (v1.1.0 changes README.md and
    one skill), so ``new`` and ``update`` take the path users get."""
    tpl = tmp / name
    for rel in _source_files(root):
        src = root / rel
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
        for entry in filenames + dirnames:
            p = base / entry
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


@dataclass(frozen=True)
class Variant:
    """One command of a comparison: ``prepare(i)`` (untimed) returns the folder to run it in;
    ``{i}`` in the command is replaced by the round number."""

    label: str
    cmd: Sequence[str]
    env: dict[str, str] | None = None
    prepare: Callable[[int], Path] | None = None
    cwd: Path | None = None
    ok: tuple[int, ...] = (0,)
    group: str = ""


@dataclass
class Times:
    """Wall and CPU seconds of the timed rounds of one variant (warm-up left out)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    last: subprocess.CompletedProcess | None = None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(
    variant: Variant, i: int, env: dict[str, str] | None = None
) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``variant`` once: (wall seconds, CPU seconds of its process tree, the result)."""
    where = variant.prepare(i) if variant.prepare else variant.cwd
    cmd = [str(c).replace("{i}", str(i)) for c in variant.cmd]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    res = subprocess.run(cmd, cwd=where, env=variant.env or env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if res.returncode not in variant.ok:
        raise RuntimeError(
            f"{variant.label}: {cmd} exited {res.returncode}:\n"
            f"{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
        )
    return wall, cpu, res


def interleaved(
    variants: Sequence[Variant], reps: int, warmup: int = 1, env: dict[str, str] | None = None
) -> list[Times]:
    """Round-robin over ``variants`` (A B C, A B C, ...) for ``warmup + reps`` rounds: load
    drift on a shared machine then hits every command of a comparison alike."""
    out = [Times() for _ in variants]
    for i in range(warmup + reps):
        for variant, times in zip(variants, out, strict=True):
            wall, cpu, res = run_once(variant, i, env)
            times.last = res
            if i >= warmup:
                times.wall.append(wall)
                times.cpu.append(cpu)
    return out


def med(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def pct(xs: Sequence[float], q: float) -> float:
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def fmt_s(x: float) -> str:
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"
