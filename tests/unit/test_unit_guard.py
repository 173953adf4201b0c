"""The unit-test guard (tests/unit/conftest.py, ``support.unit_guard``) really fires.

Each forbidden reach is attempted for real inside ``expected_violation``: the guard must raise
before the process starts or the socket connects. Allowed reaches (a plain Python subprocess,
a socket to 127.0.0.1) must pass untouched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support import unit_guard
from support.unit_guard import UnitIsolationError, expected_violation


@pytest.mark.parametrize(
    "argv",
    [
        ["git", "--version"],
        ["copier", "--version"],
        ["osmosis", "--help"],
        ["/usr/bin/git", "status"],
        [sys.executable, "-m", "copier", "--version"],
    ],
)
def test_forbidden_programs_are_stopped_before_they_start(argv: list[str]) -> None:
    with expected_violation() as seen, pytest.raises(UnitIsolationError):
        subprocess.run(argv, capture_output=True, check=False)
    assert argv[0].rsplit("/", 1)[-1] in seen[0] or "copier" in seen[0]


INNER_UNIT_TEST = """
import contextlib, subprocess

def test_swallows_a_git_call():
    with contextlib.suppress(Exception):  # what careless code under test would do
        subprocess.run(["git", "--version"], capture_output=True)
"""
INNER_INTEGRATION_TEST = """
import subprocess

def test_runs_git():
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
"""


def test_a_swallowed_violation_fails_the_test_and_other_levels_are_untouched(
    tmp_path: Path,
) -> None:
    """A real pytest run (its own process) of a unit test that swallows the guard's error, then
    an integration test that runs git in the same process: the first fails, the second passes."""
    unit, integration = tmp_path / "tests" / "unit", tmp_path / "tests" / "integration"
    unit.mkdir(parents=True)
    integration.mkdir()
    shutil.copy2(Path(__file__).with_name("conftest.py"), unit / "conftest.py")
    (unit / "test_leak.py").write_text(INNER_UNIT_TEST)
    (integration / "test_git.py").write_text(INNER_INTEGRATION_TEST)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-p",
            "no:xdist",
            "tests/unit",
            "tests/integration",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    assert "unit test isolation: started `git`" in run.stdout


def test_sockets_off_this_machine_are_stopped() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        with expected_violation() as seen, pytest.raises(UnitIsolationError):
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed
    assert "192.0.2.1" in seen[0]


def test_local_sockets_and_plain_python_subprocesses_are_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    done = subprocess.run(
        [sys.executable, "-c", "print('ok')"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "ok"


def test_the_hook_is_inert_outside_a_guarded_test() -> None:
    """Audit hooks stay for the life of the process, so integration tests run by the same
    xdist worker depend on the hook doing nothing when no unit test is running."""
    assert unit_guard._State.active  # this very test is guarded
    unit_guard._State.active = False
    try:
        unit_guard._hook("subprocess.Popen", ("git", ["git", "status"], None, None))
        unit_guard._hook("socket.connect", (None, ("192.0.2.1", 9)))
    finally:
        unit_guard._State.active = True
