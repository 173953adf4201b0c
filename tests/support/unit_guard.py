"""What makes a unit test a unit test, enforced: no git, Copier or osmosis process, no network.

``tests/unit`` promises a loop that needs nothing but this project's venv. A unit test that
quietly starts ``git`` or ``copier`` (directly, or through Copier's own git calls), the
osmosis CLI, or opens a socket to anything but this machine would make that loop slow and
flaky without anyone noticing, so an audit hook (PEP 578) watches every process start and
socket connect. Audit hooks cannot be removed once added, so the hook is installed once per
process and only acts while ``ACTIVE`` is set: ``tests/unit/conftest.py`` sets it around the
setup, call and teardown of each test under ``tests/unit`` and nothing else.

A violation raises at the call that started it (the process never starts) and is also recorded,
so a test whose code swallows the exception still fails when its phase ends.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

#: Executables (by file name) and ``python -m`` modules a unit test may not start.
FORBIDDEN_PROGRAMS = frozenset({"git", "copier", "osmosis"})
FORBIDDEN_MODULES = frozenset({"copier", "osmosis_ai", "osmosis_ai.cli"})
#: Hosts a unit test may connect to (servers in tests bind 127.0.0.1 only).
LOCAL_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class UnitIsolationError(RuntimeError):
    """A unit test reached outside its process: git, Copier, osmosis or the network."""


class _State:
    active = False
    installed = False
    violations: ClassVar[list[str]] = []


def _program_problem(argv: Sequence[Any]) -> str:
    words = [os.fsdecode(w) if isinstance(w, bytes) else str(w) for w in argv]
    if not words:
        return ""
    program = os.path.basename(words[0])
    if program in FORBIDDEN_PROGRAMS:
        return f"started `{program}` ({' '.join(words)[:200]})"
    for flag, module in itertools.pairwise(words):
        if flag == "-m" and module in FORBIDDEN_MODULES:
            return f"started `python -m {module}`"
    return ""


def _argv(event: str, args: tuple[Any, ...]) -> Sequence[Any]:
    if event == "subprocess.Popen":  # (executable, args, cwd, env)
        argv = args[1]
        return [argv] if isinstance(argv, (str, bytes, os.PathLike)) else list(argv or [])
    if event in {"os.exec", "os.posix_spawn", "os.spawn"}:  # (path, argv, env)
        return list(args[1] or [])
    if event == "os.system":  # (command,)
        command = args[0]
        return (command.decode() if isinstance(command, bytes) else str(command)).split()
    return []


def _connect_problem(args: tuple[Any, ...]) -> str:
    address = args[1]
    if not isinstance(address, tuple) or not address:  # AF_UNIX paths stay on this machine
        return ""
    host = str(address[0])
    return "" if host in LOCAL_HOSTS else f"connected a socket to {host}:{address[1:2]}"


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _State.active:
        return
    if event == "socket.connect":
        problem = _connect_problem(args)
    elif event in {"subprocess.Popen", "os.exec", "os.posix_spawn", "os.spawn", "os.system"}:
        problem = _program_problem(_argv(event, args))
    else:
        return
    if problem:
        _State.violations.append(problem)
        raise UnitIsolationError(f"a unit test {problem}: move it to tests/integration")


def install() -> None:
    """Add the audit hook (once per process; it stays inert until :func:`guarding`)."""
    if not _State.installed:
        sys.addaudithook(_hook)
        _State.installed = True


@contextmanager
def guarding() -> Iterator[list[str]]:
    """Watch the block; yields the list of violations seen in it (empty when it was clean)."""
    seen: list[str] = []
    _State.active, _State.violations = True, seen
    try:
        yield seen
    finally:
        _State.active, _State.violations = False, []


@contextmanager
def expected_violation() -> Iterator[list[str]]:
    """For the guard's own tests: the block must trip the guard; its violations are forgiven."""
    outer = _State.violations
    seen: list[str] = []
    _State.violations = seen
    try:
        yield seen
    finally:
        _State.violations = outer
    if not seen:
        raise AssertionError("the unit guard did not fire")
