"""``check`` on a workspace broken at random: one JSON object, exit 0 or 5, never a traceback.

Hypothesis mutates a copy of the shared default render (truncate a file, nest it far too deep,
overwrite bytes, swap it for a link to somewhere odd, delete it or its folder) and runs
``check --json`` and ``check --fast --json`` through the console script's own entry point
(``osmosis_workspace.cli.typer_app``, in-process: a fresh interpreter per example would cost seconds
each). A fixed handful of the same mutations then runs both commands as real processes.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.helpers import committed_copy

from osmosis_workspace.cli import app

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "osmosis-workspace"
OPS = ("truncate", "nest", "replace", "link", "delete", "delete-folder")
LINK_TARGETS = ("other", "missing/target", "self", "/etc/passwd", "/dev/zero", "..", "/")
MUTATIONS = st.lists(
    st.tuples(st.sampled_from(OPS), st.integers(0, 1 << 20), st.integers(0, 1 << 20)),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def base(default_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return committed_copy(default_workspace, tmp_path_factory.mktemp("fuzz-base") / "ws")


def _files(root: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        found += [os.path.relpath(os.path.join(dirpath, f), root) for f in sorted(filenames)]
    return sorted(found)


def _deep(rel: str, depth: int) -> bytes:
    """Content nested ``depth`` levels in the syntax the file's readers parse."""
    inner = "[" * depth + "]" * depth
    if rel.endswith(".toml"):
        return f"x = {inner}\n".encode()
    if rel.endswith(".jsonl"):
        return (f'{{"prompt": {inner}}}\n' * 3).encode()
    if rel.endswith(".md"):
        return f"---\nname: {inner}\n---\nbody\n".encode()
    return f"a: {inner}\n".encode()


def mutate(root: Path, ops: list[tuple[str, int, int]]) -> None:
    for op, a, b in ops:
        files = _files(root)
        if not files:
            return
        rel = files[a % len(files)]
        path = root / rel
        if op == "truncate":
            size = path.stat().st_size if path.is_file() and not path.is_symlink() else 0
            os.truncate(path, b % (size + 1)) if path.is_file() else None
        elif op == "nest":
            _replace(path, _deep(rel, 50 + b % 100_000))
        elif op == "replace" and path.is_file() and not path.is_symlink():
            data = bytearray(path.read_bytes())
            junk = random.Random(b).randbytes(1 + b % 64)
            start = a % (len(data) + 1)
            data[start : start + len(junk)] = junk
            path.write_bytes(bytes(data))
        elif op == "link":
            target = LINK_TARGETS[b % len(LINK_TARGETS)]
            target = {
                "other": os.path.relpath(root / files[b % len(files)], path.parent),
                "self": path.name,
            }.get(target, target)
            path.unlink()
            path.symlink_to(target)
        elif op == "delete":
            path.unlink()
        elif op == "delete-folder" and path.parent != root:
            shutil.rmtree(path.parent)


def _replace(path: Path, data: bytes) -> None:
    if path.is_symlink():
        path.unlink()
    path.write_bytes(data)


def _in_process(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            app(args)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _assert_one_report(code: int, stdout: str, stderr: str, label: str) -> None:
    assert "Traceback" not in stdout + stderr, label
    assert code in (0, 5), (label, code, stdout[-2000:], stderr[-2000:])
    payload = json.loads(stdout)  # exactly one JSON value, nothing before or after it
    assert isinstance(payload, dict) and payload["command"] == "check", label
    assert payload["exit_code"] == code and payload["ok"] == (code == 0), label
    assert payload["error"] is None and isinstance(payload["result"]["problems"], list), label


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=MUTATIONS)
def test_check_survives_random_damage(base: Path, tmp_path: Path, ops: list) -> None:
    ws = tmp_path / "ws"
    if ws.exists():
        shutil.rmtree(ws)
    shutil.copytree(base, ws, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    mutate(ws, ops)
    for args in (["check", str(ws), "--json"], ["check", str(ws), "--fast", "--json"]):
        _assert_one_report(*_in_process(args), label=f"{args[2:]} after {ops}")


def test_check_survives_random_damage_in_real_processes(base: Path, tmp_path: Path) -> None:
    rng = random.Random(12)
    for number in range(2):
        ws = tmp_path / f"ws{number}"
        shutil.copytree(base, ws, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        ops = [(rng.choice(OPS), rng.randrange(1 << 20), rng.randrange(1 << 20)) for _ in range(3)]
        if number == 0:  # at least once: a deep file and a link to a device
            ops = [("nest", 3, 90_000), ("link", 5, LINK_TARGETS.index("/dev/zero")), *ops]
        mutate(ws, ops)
        for extra in (["--json"], ["--fast", "--json"]):
            result = subprocess.run(
                [str(CLI), "check", str(ws), *extra], capture_output=True, text=True, timeout=120
            )
            _assert_one_report(
                result.returncode, result.stdout, result.stderr, f"{extra} after {ops}"
            )
