"""The backend's use: many workspaces created at once, by processes and by threads.

Copier changes the process-wide working directory, so the API serialises operations inside a
process (a lock) and parallelism comes from processes, each with its own TMPDIR.
"""

from __future__ import annotations

import os
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest
from helpers import git, tree_bytes
from workspace_api_helpers import V2, TemplateRepo

from osmosis_workspace.api import create_workspace

ANSWERS = {"workspace_name": "fleet-task", "task_description": "Sort support tickets.\n"}


def _init_worker(tmp_root: str) -> None:
    """Pool initializer: a private TMPDIR per worker process (what docs/backend-api.md says)."""
    private = Path(tmp_root) / f"worker-{os.getpid()}"
    private.mkdir()
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = str(private)


def _create(dest: str, template: str) -> list[str]:
    result = create_workspace(dest, ANSWERS, template=template, ref=V2)
    return list(result.files)


@pytest.mark.slow
def test_24_workspaces_from_6_processes_match_a_sequential_one(tmp_path: Path,
                                                               repo: TemplateRepo) -> None:
    reference = tmp_path / "sequential" / "fleet-task"
    create_workspace(reference, ANSWERS, template=repo.location, ref=V2)
    expected = tree_bytes(reference)
    tmp_root = tmp_path / "tmp"
    tmp_root.mkdir()
    dests = [tmp_path / f"job-{i:02d}" / "fleet-task" for i in range(24)]
    # fork: workers start with Copier already imported (spawn, as in docs/backend-api.md, works
    # the same and only costs each worker its imports).
    with ProcessPoolExecutor(max_workers=6, mp_context=get_context("fork"),
                             initializer=_init_worker, initargs=(str(tmp_root),)) as pool:
        listings = list(pool.map(_create, [str(d) for d in dests],
                                 [repo.location] * len(dests)))
    for dest, files in zip(dests, listings, strict=True):
        assert tree_bytes(dest) == expected, dest
        assert files == sorted(expected)
        assert git("rev-list", "--count", "HEAD", cwd=dest).stdout.strip() == "1"
        assert git("status", "--porcelain", cwd=dest).stdout == ""
    leftovers = [p for worker in tmp_root.iterdir() for p in worker.iterdir()]
    assert leftovers == [], "operations leaked temporary files"
    assert not list(tmp_path.glob("job-*/.osmosis-workspace-*")), "staging folders leaked"


def test_threads_in_one_process_are_serialised_and_succeed(tmp_path: Path,
                                                           repo: TemplateRepo) -> None:
    cwd = os.getcwd()
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            create_workspace(tmp_path / f"thread-{index}" / "fleet-task", ANSWERS,
                             template=repo.location, ref=V2)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    trees = [tree_bytes(tmp_path / f"thread-{i}" / "fleet-task") for i in range(2)]
    assert trees[0] == trees[1]
    assert os.getcwd() == cwd
