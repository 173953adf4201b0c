"""Run the generated workflow tests of several rollout copies from ONE warm Python process.

Usage (with the osmosis venv's Python, which has osmosis-ai and both agent frameworks)::

    python rollout_workflow_runner.py ROLLOUT_DIR [ROLLOUT_DIR ...]

Prints one line ``WORKFLOW-RUNNER {ROLLOUT_DIR: [pytest exit code, [failed tests in run order]]}``.
Importing LiteLLM, the OpenAI Agents SDK and Strands costs most of a run, so the parent
imports them once and forks one child per copy (a few at a time): each child runs pytest on a
clean slate (a planted break that patches a framework class, or copies sharing a package name,
cannot leak into the next run) without paying the imports again.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys

import pytest

#: What the workflows of every framework import (the integrations pull in LiteLLM and the SDKs).
WARM = (
    "httpx",
    "osmosis_ai.rollout",
    "osmosis_ai.rollout.integrations.agents.openai_agents",
    "osmosis_ai.rollout.integrations.agents.strands",
    "strands.models.litellm",
    "agents.models.chatcmpl_converter",
)


def warm_up() -> None:
    for name in WARM:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


class Failures:
    """pytest plugin: the names of the tests that failed, in run order (no -x: a copy may hold
    several independent breaks, each caught by its own test)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.rsplit("::", 1)[-1]
        if report.failed and name not in self.names:
            self.names.append(name)


#: Children run side by side: each test waits on its scripted model most of the time.
PARALLEL = 4


def start_child(folder: str) -> tuple[int, int]:
    """Fork a child running pytest on ``folder/tests/test_workflow.py``: (pid, result pipe)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        code, failures = 3, Failures()
        try:
            os.chdir(folder)
            sys.path.insert(0, os.getcwd())
            args = ["tests/test_workflow.py", "-q", "-p", "no:cacheprovider"]
            args += ["--import-mode=importlib", "--rootdir", os.getcwd(), "-W", "ignore"]
            code = int(pytest.main(args, plugins=[failures]))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.write(write_end, json.dumps(failures.names).encode())
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def finish_child(pid: int, read_end: int) -> tuple[int, list[str]]:
    """The child's exit code and failed tests."""
    with os.fdopen(read_end, "rb") as pipe:
        failed = json.loads(pipe.read() or b"[]")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), failed


def run_all(folders: list[str]) -> dict[str, tuple[int, list[str]]]:
    results: dict[str, tuple[int, list[str]]] = {}
    for start in range(0, len(folders), PARALLEL):
        batch = {folder: start_child(folder) for folder in folders[start : start + PARALLEL]}
        results |= {folder: finish_child(*child) for folder, child in batch.items()}
    return results


def main(argv: list[str]) -> None:
    warm_up()
    codes = run_all(argv)
    print("WORKFLOW-RUNNER " + json.dumps(codes), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
