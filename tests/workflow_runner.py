"""Run the generated workflow tests of several rollout copies in ONE Python process.

Usage (with the osmosis venv's Python, which has osmosis-ai and both agent frameworks)::

    python workflow_runner.py ROLLOUT_DIR [ROLLOUT_DIR ...]

Prints one JSON object: ``{ROLLOUT_DIR: pytest exit code}``. Importing LiteLLM, the OpenAI
Agents SDK and Strands costs most of a run; paying it once per framework instead of once per
planted break keeps the planted-break tests inside their time budget. The copies may share a
package name (a fresh copy and its broken twins), so every module loaded from one copy is
dropped from ``sys.modules`` (and its folders from ``sys.path``) before the next one runs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest


def forget(folder: Path, path_before: list[str]) -> None:
    """Drop what a run of ``folder``'s tests imported or put on ``sys.path``."""
    prefix = str(folder.resolve())
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        if origin.startswith(prefix) or name in ("scripted_model", "conftest"):
            del sys.modules[name]
    sys.path[:] = path_before


def run(folder: Path) -> int:
    """pytest on ``folder/tests/test_workflow.py``, as the workspace's own runs configure it."""
    path_before = list(sys.path)
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        sys.path.insert(0, str(folder.resolve()))
        args = ["tests/test_workflow.py", "-x", "-q", "-p", "no:cacheprovider"]
        args += ["--import-mode=importlib", "--rootdir", str(folder), "-W", "ignore"]
        return int(pytest.main(args))
    finally:
        os.chdir(cwd)
        forget(folder, path_before)


def main(argv: list[str]) -> None:
    codes = {folder: run(Path(folder)) for folder in argv}
    print("WORKFLOW-RUNNER " + json.dumps(codes), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
