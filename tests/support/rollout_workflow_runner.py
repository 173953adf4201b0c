"""Run the generated workflow tests of several rollout copies from ONE warm Python process.

Usage (with the osmosis venv's Python, which has osmosis-ai and both agent frameworks)::

    python rollout_workflow_runner.py ROLLOUT_DIR [ROLLOUT_DIR ...]

Prints one line ``WORKFLOW-RUNNER {ROLLOUT_DIR: [pytest exit code, [failed tests in run order]]}``.
Importing LiteLLM, the OpenAI Agents SDK and Strands costs most of a run, so the parent
imports them once and forks one child per copy (a few at a time): each child runs pytest on a
clean slate (a planted break that patches a framework class, or copies sharing a package name,
cannot leak into the next run) without paying the imports again.

Two things keep a child cheap, measured on eight copies (44 CPU seconds before, 21 after):

* The warm-up is learned, not only listed: each child reports every module it imported beyond
  the parent's (pytest plugins, the SDKs' lazily imported types), and the parent imports those
  before forking the next batch. Modules of the copy itself are left out, so no copy's code is
  ever in the parent. A name that fails to import is skipped: preloading only moves imports
  earlier.
* ``gc.freeze()`` after the warm-up: pytest collects garbage "harder" at exit, and a full
  collection over the frameworks' millions of objects cost each child about a second, and
  wrote to every page it shares with the parent.
"""

from __future__ import annotations

import contextlib
import gc
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


def warm_up(names: list[str] | tuple[str, ...]) -> None:
    for name in names:
        # Any failure, not only ImportError: a lazily imported module may need its importer's
        # state. Skipping it only means the children import it themselves.
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def imported_since(before: set[str], folder: str) -> list[str]:
    """Modules imported since ``before``, except those loaded from ``folder`` (the copy)."""
    own = os.path.realpath(folder) + os.sep
    names = []
    for name in set(sys.modules) - before:
        path = getattr(sys.modules[name], "__file__", None) or ""
        if name != "__main__" and not os.path.realpath(path).startswith(own):
            names.append(name)
    return sorted(names)


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
        code, failures, before = 3, Failures(), set(sys.modules)
        try:
            os.chdir(folder)
            sys.path.insert(0, os.getcwd())
            args = ["tests/test_workflow.py", "-q", "-p", "no:cacheprovider"]
            args += ["--import-mode=importlib", "--rootdir", os.getcwd(), "-W", "ignore"]
            code = int(pytest.main(args, plugins=[failures]))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            report = {"failed": failures.names, "imported": imported_since(before, folder)}
            os.write(write_end, json.dumps(report).encode())
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def finish_child(pid: int, read_end: int) -> tuple[tuple[int, list[str]], list[str]]:
    """The child's exit code and failed tests, and the modules it imported."""
    with os.fdopen(read_end, "rb") as pipe:
        report = json.loads(pipe.read() or b"{}")
    _, status = os.waitpid(pid, 0)
    return (os.waitstatus_to_exitcode(status), report.get("failed", [])), report.get("imported", [])


def run_all(folders: list[str]) -> dict[str, tuple[int, list[str]]]:
    """A few copies at a time; what each batch imported warms the parent for the next."""
    results: dict[str, tuple[int, list[str]]] = {}
    for start in range(0, len(folders), PARALLEL):
        gc.freeze()
        batch = {folder: start_child(folder) for folder in folders[start : start + PARALLEL]}
        learned: set[str] = set()
        for folder, child in batch.items():
            results[folder], imported = finish_child(*child)
            learned.update(imported)
        warm_up(sorted(learned - set(sys.modules)))
    return results


def main(argv: list[str]) -> None:
    warm_up(WARM)
    codes = run_all(argv)
    print("WORKFLOW-RUNNER " + json.dumps(codes), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
