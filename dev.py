#!/usr/bin/env python3
"""Developer entry point: set up the environments, render a demo workspace, run the tests.

    python3 dev.py demo [DEST]     render a workspace with default answers (default: ./demo)
    python3 dev.py test [ARGS...]  run the test suite (ARGS go to pytest); without ARGS the gates
                                   (ruff format --check, ruff check, mypy) run first
    python3 dev.py test --fast     the one-minute loop: tests/unit plus the integration smoke
                                   (no osmosis venv is built or needed)
    python3 dev.py setup           only create/refresh the environments

Standard library only, so it runs on a fresh machine with Python 3.11+ and git. It creates:

* ``.venv/``: this project (Copier, the CLI, test tools) on the Python running this script;
* ``.cache/osmosis-venv/``: the pinned osmosis-ai CLI, which needs Python >= 3.12. Found in this
  order: $OSMOSIS_PYTHON, $UV_PYTHON, this Python, pyenv's versions, ``uv python find``; as a
  last resort ``uv python install`` downloads one.

Both are reused while their requirements are unchanged (a stamp file records them).
"""

from __future__ import annotations

import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache"
PROJECT_VENV = ROOT / ".venv"
OSMOSIS_VENV = CACHE / "osmosis-venv"
BIN = "Scripts" if os.name == "nt" else "bin"

#: Pinned osmosis-ai for acceptance tests; extras so rollouts of every framework really import.
OSMOSIS_REQUIREMENTS = [
    "osmosis-ai[eval,strands,openai-agents,harbor]==0.3.8",
    # Generated Strands rollouts pin LiteLLM below 1.106 (see their pyproject); the submit
    # preflight only imports a rollout whose pins the CLI's own environment satisfies.
    "litellm>=1.94.3,<1.106",
    "pytest>=8",
    "hypothesis>=6.100",
]


def run(*args: str | Path, **kwargs) -> None:  # type: ignore[no-untyped-def]
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, **kwargs)


#: The stamp files: what an environment was installed from, and what its bytecode was
#: compiled for.
STAMP, BYTECODE_STAMP = ".dev-stamp", ".dev-bytecode-stamp"


def stamp_matches(env: Path, wanted: str, name: str = STAMP) -> bool:
    stamp = env / name
    return stamp.exists() and stamp.read_text() == wanted


def write_stamp(env: Path, wanted: str, name: str = STAMP) -> None:
    (env / name).write_text(wanted)


def ensure_project_venv() -> Path:
    """Create .venv with uv inside it, and install this project with its test extras. Its
    bytecode is compiled separately (``ensure_bytecode``), so the gates can run meanwhile."""
    python = PROJECT_VENV / BIN / "python"
    wanted = project_requirements()
    if python.exists() and stamp_matches(PROJECT_VENV, wanted):
        return PROJECT_VENV
    if not python.exists():
        venv.EnvBuilder(with_pip=False).create(PROJECT_VENV)
    install_uv(python)
    run(uv(), "pip", "install", "--python", python, "--quiet", "-e", f"{ROOT}[test]")
    write_stamp(PROJECT_VENV, wanted)
    return PROJECT_VENV


def project_requirements() -> str:
    """What the project venv is built from: a change to any of it rebuilds the venv."""
    init = (ROOT / "src" / "osmosis_workspace" / "__init__.py").read_text()
    version = next((ln for ln in init.splitlines() if ln.startswith("__version__")), "")
    return (ROOT / "pyproject.toml").read_text() + version + sys.version  # metadata has it


def install_uv(python: Path) -> None:
    """Put uv into the project venv. The venv is created without pip: this machine's pip
    (22.3 or later can install into another interpreter) installs uv into it, several seconds
    sooner than seeding the venv with a pip of its own. Without a usable pip here, the venv
    gets its own (``ensurepip``) and installs uv itself."""
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install"]
    quiet = ["--quiet", "--disable-pip-version-check", "uv"]
    print("+", " ".join([*pip, *quiet]), flush=True)
    if subprocess.run([*pip, *quiet], stderr=subprocess.DEVNULL).returncode == 0:
        return
    run(python, "-m", "ensurepip", "--default-pip")
    run(python, "-m", "pip", "install", *quiet)


def ensure_bytecode() -> None:
    """Compile every installed module of the project venv once (``compile_bytecode``)."""
    wanted = project_requirements()
    if not stamp_matches(PROJECT_VENV, wanted, BYTECODE_STAMP):
        compile_bytecode(PROJECT_VENV / BIN / "python", PROJECT_VENV)
        write_stamp(PROJECT_VENV, wanted, BYTECODE_STAMP)


def compile_bytecode(python: Path, env: Path) -> None:
    """Compile every installed module of the project venv once, here. uv installs no .pyc
    files, and where PYTHONDONTWRITEBYTECODE is set nothing ever writes them: every process of
    the suite would compile Copier, Jinja and the CLI again from source. A file that does not
    compile (test data of some package) is skipped."""
    print(f"+ compiling the bytecode of {env.name}", flush=True)
    subprocess.run(
        [str(python), "-m", "compileall", "-q", "-j", "0", str(env / "lib")],
        stdout=subprocess.DEVNULL,
        check=False,
    )


def uv() -> Path:
    return PROJECT_VENV / BIN / "uv"


def python_version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def find_python_312() -> str:
    """A Python >= 3.12 interpreter for osmosis-ai (see the module docstring for the order)."""
    candidates = [
        os.environ.get("OSMOSIS_PYTHON", ""),
        os.environ.get("UV_PYTHON", ""),
        sys.executable,
    ]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(glob.glob(f"{root}/versions/3.1[2-9]*/bin/python3.1[2-9]"))
    for candidate in candidates:
        if (
            candidate
            and Path(candidate).exists()
            and (python_version(candidate) or (0,)) >= (3, 12)
        ):
            return candidate
    found = subprocess.run([str(uv()), "python", "find", ">=3.12"], capture_output=True, text=True)
    if found.returncode != 0:
        run(uv(), "python", "install", "3.12")
        found = subprocess.run(
            [str(uv()), "python", "find", ">=3.12"], capture_output=True, text=True, check=True
        )
    return found.stdout.strip()


def ensure_osmosis_venv() -> tuple[Path, str]:
    python312 = find_python_312()
    wanted = "\n".join([*OSMOSIS_REQUIREMENTS, python312])
    if not stamp_matches(OSMOSIS_VENV, wanted):
        interpreter = OSMOSIS_VENV / BIN / "python"
        if not interpreter.exists() or python_version(str(interpreter)) != python_version(
            python312
        ):
            run(uv(), "venv", "--quiet", "--clear", "--python", python312, OSMOSIS_VENV)
        # Installing into the existing venv (instead of recreating it) keeps a changed
        # requirement from pulling the CLI away under tests that are running.
        run(uv(), "pip", "install", "--quiet", "--python", interpreter, *OSMOSIS_REQUIREMENTS)
        # Not compiled here: the suite runs this venv with PYTHONPYCACHEPREFIX (tests/support
        # Osmosis.pycache), and Python then reads bytecode only from that folder.
        write_stamp(OSMOSIS_VENV, wanted)
    return OSMOSIS_VENV, python312


def setup() -> dict[str, str]:
    ensure_project_venv()
    ensure_bytecode()
    osmosis_venv, python312 = ensure_osmosis_venv()
    env = dict(os.environ)
    env.update(
        OSMOSIS_WORKSPACE_OSMOSIS_VENV=str(osmosis_venv),
        UV_PYTHON=python312,
        UV_PYTHON_DOWNLOADS="never",
        PATH=f"{PROJECT_VENV / BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def demo(args: list[str]) -> int:
    dest = Path(args[0] if args else "demo").resolve()
    ensure_project_venv()
    cmd = [
        str(PROJECT_VENV / BIN / "osmosis-workspace"),
        "new",
        str(dest),
        "--defaults",
        "--set",
        f"workspace_name={demo_name(dest)}",
    ]
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd).returncode


def demo_name(dest: Path) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in dest.name.lower()).strip("-")
    return cleaned if cleaned[:1].isalpha() else f"demo-{cleaned}".strip("-")


#: The gates the whole suite runs before pytest, cheapest first: (what it checks, the command,
#: the one command that fixes or shows the failure). Each takes seconds, not minutes.
GATES = [
    ("formatting", ["ruff", "format", "--check", "."], "ruff format ."),
    ("lint and complexity", ["ruff", "check", "."], "ruff check ."),
    ("types (mypy --strict on src/)", ["mypy"], "mypy"),
]


def gates() -> bool:
    """Run the gates in order and stop at the first that fails (fail fast: a formatting slip
    should not cost a type check, let alone building the osmosis venv and the test suite).
    They need only the project venv. Returns whether all passed."""
    ensure_project_venv()
    for what, command, remedy in GATES:
        cmd = [str(PROJECT_VENV / BIN / command[0]), *command[1:]]
        print("+", " ".join(cmd), flush=True)
        if subprocess.run(cmd, cwd=ROOT).returncode != 0:
            fix = f".venv/{BIN}/{remedy}"
            print(f"gate failed: {what}; run `{fix}` to fix or show it", file=sys.stderr)
            return False
    return True


def gates_while_building() -> bool:
    """The gates, while the project venv's bytecode is compiled and the osmosis venv is built
    beside them: the gates are one single-threaded process at a time, and the build mostly
    waits on the disk, so the three together take about as long as the longest. Both are
    finished either way (the next run reuses them)."""
    ensure_project_venv()
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        builds = [pool.submit(ensure_bytecode), pool.submit(ensure_osmosis_venv)]
        passed = gates()
        for build in builds:
            build.result()
    return passed


#: The one-minute loop: every unit test and the integration tests marked ``smoke``.
FAST_SELECTION = ["tests/unit", "tests/integration", "-m", "unit or smoke"]


def test(args: list[str]) -> int:
    fast = "--fast" in args
    args = [a for a in args if a != "--fast"]
    if not args and not fast and not gates_while_building():  # the whole suite starts with them
        return 1
    env = fast_env() if fast else setup()
    # Two workers (CI machines have 2 cores; a third was measured slower: more contention,
    # and the longest tests started later). Work stealing spreads long files over both;
    # session builds are shared between workers (tests/support/shared.py), so nothing is
    # built twice. Pass your own -n (or -n 0) to change it.
    parallel = (
        []
        if any(a == "-n" or a.startswith("-n") for a in args)
        else ["-n", "2", "--dist", "worksteal"]
    )
    # The whole suite also lists its slowest tests: where to look when it gets slower.
    selection = FAST_SELECTION if fast else [] if args else ["--durations=40"]
    cmd = [str(PROJECT_VENV / BIN / "python"), "-m", "pytest", *parallel, *selection, *args]
    code = run_pytest(cmd, env)
    if code == 5:
        print("pytest collected no tests: that is a failure here", file=sys.stderr)
        return 1
    return code


def run_pytest(cmd: list[str], env: dict[str, str]) -> int:
    """``cmd`` with its temporary files in memory when there is room (``memory_scratch``)."""
    scratch = memory_scratch(env)
    print("+", " ".join(cmd), flush=True)
    try:
        code = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    except BaseException:  # interrupted: nothing to inspect, give the memory back
        if scratch is not None:
            release_scratch(scratch, kept=False)
        raise
    if scratch is not None:
        release_scratch(scratch, kept=code not in (0, 5))  # 5: no test ran
    return code


#: Where the test run's temporary files go when the machine has room in memory for them.
MEMORY_DIR = Path("/dev/shm")
#: A full run holds about 3.5 GB of temporary files at its peak (venvs copied rather than
#: hard-linked from uv's cache, which is on another file system); ask for twice that.
SCRATCH_NEEDS = 8 * 2**30
SCRATCH_PREFIX = "osmosis-workspace-tests-"


def memory_scratch(env: dict[str, str]) -> Path | None:
    """Point the test run's ``TMPDIR`` at a fresh folder in memory, when there is room.

    The suite creates and deletes a great many files (renders, clones, venvs). On a disk, the
    file system's journal makes that kernel work on the same two cores the tests need: measured
    on a 2-core machine, the full run took 324 s with its temporary files on disk and 294 s with
    them in memory, with 46 CPU s less system time. Nothing is moved when ``TMPDIR`` is set
    already, when ``/dev/shm`` is not a memory file system, or when it or the machine's free
    memory is short of ``SCRATCH_NEEDS``: then the run uses the disk, as before.
    """
    if env.get("TMPDIR") or not _memory_has_room():
        return None
    _remove_finished_scratches()
    scratch = MEMORY_DIR / f"{SCRATCH_PREFIX}{os.getpid()}"
    scratch.mkdir(mode=0o700)
    env["TMPDIR"] = str(scratch)
    print(f"+ TMPDIR={scratch} (temporary files in memory, removed after a passing run)")
    return scratch


def _memory_has_room() -> bool:
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
        space = os.statvfs(MEMORY_DIR)
    except OSError:  # not Linux, or no /dev/shm
        return False
    tmpfs = any(line.split()[1:3] == [str(MEMORY_DIR), "tmpfs"] for line in mounts)
    memory = next((int(x.split()[1]) * 1024 for x in meminfo if x.startswith("MemAvailable:")), 0)
    room = min(memory, space.f_bavail * space.f_frsize)
    return tmpfs and os.access(MEMORY_DIR, os.W_OK) and room >= SCRATCH_NEEDS


def _remove_finished_scratches() -> None:
    """Earlier runs' folders whose run has ended (a failed run's is kept until the next run)."""
    for old in MEMORY_DIR.glob(f"{SCRATCH_PREFIX}*"):
        pid = old.name.removeprefix(SCRATCH_PREFIX)
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        pass
    return True


def release_scratch(scratch: Path, kept: bool) -> None:
    if kept:
        print(f"The failed run's temporary files are kept, in memory, in {scratch}")
        print(f"(the next `dev.py test` removes them; to free them now: rm -rf {scratch})")
    else:
        shutil.rmtree(scratch, ignore_errors=True)


def fast_env() -> dict[str, str]:
    """The project venv only: the fast loop never touches the osmosis CLI or its venv."""
    ensure_project_venv()
    ensure_bytecode()
    env = dict(os.environ)
    env["PATH"] = f"{PROJECT_VENV / BIN}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env.pop("OSMOSIS_WORKSPACE_OSMOSIS_VENV", None)
    return env


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "demo":
        return demo(rest)
    if command == "test":
        return test(rest)
    if command == "setup":
        setup()
        return 0
    print(__doc__)
    return 0 if command in {"help", "-h", "--help"} else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
