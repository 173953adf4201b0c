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
from support.helpers import git, tree_bytes
from support.workspace_api_helpers import V2, TemplateRepo

from osmosis_workspace.api import CreateOptions, create_workspace

ANSWERS = {"workspace_name": "fleet-task", "task_description": "Sort support tickets.\n"}


def _init_worker(tmp_root: str) -> None:
    """Pool initializer: a private TMPDIR per worker process (what docs/backend-api.md says)."""
    private = Path(tmp_root) / f"worker-{os.getpid()}"
    private.mkdir()
    os.environ["TMPDIR"] = str(private)
    tempfile.tempdir = str(private)


def _create(dest: str, template: str) -> list[str]:
    result = create_workspace(dest, ANSWERS, CreateOptions(template=template, ref=V2))
    return list(result.files)


@pytest.mark.slow
def test_12_workspaces_from_6_processes_match_a_sequential_one(
    tmp_path: Path, repo: TemplateRepo
) -> None:
    """Six worker processes, two creates each (so every worker reuses its warm Copier), all
    byte-identical to a sequential create; 24 creates before, the same properties at half the
    renders."""
    reference = tmp_path / "sequential" / "fleet-task"
    create_workspace(reference, ANSWERS, CreateOptions(template=repo.location, ref=V2))
    expected = tree_bytes(reference)
    tmp_root = tmp_path / "tmp"
    tmp_root.mkdir()
    dests = [tmp_path / f"job-{i:02d}" / "fleet-task" for i in range(12)]
    # fork: workers start with Copier already imported (spawn, as in docs/backend-api.md, works
    # the same and only costs each worker its imports).
    with ProcessPoolExecutor(
        max_workers=6,
        mp_context=get_context("fork"),
        initializer=_init_worker,
        initargs=(str(tmp_root),),
    ) as pool:
        listings = list(pool.map(_create, [str(d) for d in dests], [repo.location] * len(dests)))
    for dest, files in zip(dests, listings, strict=True):
        assert tree_bytes(dest) == expected, dest
        assert files == sorted(expected)
        assert git("rev-list", "--count", "HEAD", cwd=dest).stdout.strip() == "1"
        assert git("status", "--porcelain", cwd=dest).stdout == ""
    leftovers = [p for worker in tmp_root.iterdir() for p in worker.iterdir()]
    assert leftovers == [], "operations leaked temporary files"
    assert not list(tmp_path.glob("job-*/.osmosis-workspace-*")), "staging folders leaked"


def test_threads_in_one_process_are_serialised_and_succeed(
    tmp_path: Path, repo: TemplateRepo
) -> None:
    cwd = os.getcwd()
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            create_workspace(
                tmp_path / f"thread-{index}" / "fleet-task",
                ANSWERS,
                CreateOptions(template=repo.location, ref=V2),
            )
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


# ---------------------------------------------------------------------------------------------
# Several operations on ONE workspace at once: the workspace lock (osmosis_workspace.engine.oplock)
# ---------------------------------------------------------------------------------------------

#: Update rounds; with the add-rollout rounds below, 11 races in all. Each racer is a real CLI
#: process (about a second of imports), so rounds are the cost: 8 rounds of 2-4 racers at
#: random offsets still land racers inside each other's locked window (16 rounds before).
RACE_ROUNDS = 8
ROLLOUT_ROUNDS = 3


def _race(ws: Path, tmp: Path, commands: list[tuple[float, list[str]]]) -> list[dict]:
    """Start each command at its offset (seconds) on ``ws``; their exit codes and errors."""
    import json
    import subprocess
    import sys
    import time

    cli = str(Path(sys.executable).with_name("osmosis-workspace"))
    env = {**os.environ, "TMPDIR": str(tmp)}
    procs = []
    start = time.monotonic()
    for offset, args in sorted(commands):
        time.sleep(max(0.0, start + offset - time.monotonic()))
        procs.append(
            subprocess.Popen(
                [cli, *args, "--json"],
                cwd=ws,
                env=env,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
            )
        )
    results = []
    for proc, (_offset, args) in zip(procs, sorted(commands), strict=True):
        out, err = proc.communicate(timeout=600)
        payload = json.loads(out) if out.strip().startswith("{") else {}
        results.append(
            {
                "args": args,
                "exit": proc.returncode,
                "stderr": err[-1500:],
                "error": (payload.get("error") or {}).get("code"),
            }
        )
    return results


def _no_operation_state(ws: Path) -> bool:
    state = ws / ".git" / "osmosis-workspace"
    return not state.exists() or not any(state.iterdir())


def _update_round(index: int, base: Path, work: Path) -> dict:
    import random

    rng = random.Random(index)
    ws = copy_ws(base, work / "ws")
    tmp = work / "tmp"
    tmp.mkdir()
    commands = [(rng.uniform(0, 0.4), ["update"]) for _ in range(rng.randint(2, 4))]
    results = _race(ws, tmp, commands)
    return {
        "results": results,
        "tree": tree_bytes(ws),
        "clean_state": _no_operation_state(ws),
        "status": git("status", "--porcelain", cwd=ws).stdout,
    }


def copy_ws(src: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(src, dest, symlinks=True)
    return dest


@pytest.mark.slow
def test_racing_updates_end_with_one_success_and_clean_refusals(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """8 rounds of 2-4 `update` processes started at random offsets on one workspace (the
    smallest real template: the race is about the lock, not the template)."""
    from concurrent.futures import ThreadPoolExecutor

    from support.safety_helpers import tiny_template

    template = tiny_template(tmp_path_factory)
    base = tmp_path / "base" / "tiny"
    create_workspace(base, {}, CreateOptions(template=template.location, ref="v1.0.0"))
    reference = copy_ws(base, tmp_path / "reference" / "tiny")
    from osmosis_workspace.api import update_workspace

    update_workspace(reference)
    expected = (tree_bytes(reference), git("status", "--porcelain", cwd=reference).stdout)
    works = [tmp_path / f"round-{i:02d}" for i in range(RACE_ROUNDS)]
    for work in works:
        work.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        rounds = list(pool.map(_update_round, range(RACE_ROUNDS), [base] * RACE_ROUNDS, works))
    for index, got in enumerate(rounds):
        exits = [r["exit"] for r in got["results"]]
        assert exits.count(0) == 1, (index, got["results"])
        refused = [r for r in got["results"] if r["exit"] != 0]
        assert all(r["exit"] == 4 and r["error"] in {"locked", "dirty"} for r in refused), (
            index,
            refused,
        )
        assert (got["tree"], got["status"]) == expected, f"round {index}: half-applied tree"
        assert got["clean_state"], f"round {index}: lock or journal left behind"


def _rollout_round(index: int, base: Path, work: Path) -> dict:
    import random

    rng = random.Random(1000 + index)
    ws = copy_ws(base, work / "ws")
    tmp = work / "tmp"
    tmp.mkdir()
    names = ["alpha", "alpha", "beta"][: rng.randint(2, 3)]
    results = _race(ws, tmp, [(rng.uniform(0, 0.4), ["add-rollout", n, "--commit"]) for n in names])
    return {
        "results": results,
        "ws": ws,
        "clean_state": _no_operation_state(ws),
        "status": git("status", "--porcelain", "--untracked-files=all", cwd=ws).stdout,
    }


@pytest.mark.slow
def test_racing_add_rollouts_never_leave_a_half_added_rollout(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo
) -> None:
    """Rounds of 2-3 `add-rollout --commit` processes (one name twice) on one workspace."""
    import tomllib
    from concurrent.futures import ThreadPoolExecutor

    from support.safety_helpers import small_workspace

    base = small_workspace(tmp_path_factory, repo, V2)
    works = [tmp_path / f"round-{i}" for i in range(ROLLOUT_ROUNDS)]
    for work in works:
        work.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        rounds = list(
            pool.map(_rollout_round, range(ROLLOUT_ROUNDS), [base] * ROLLOUT_ROUNDS, works)
        )
    for index, got in enumerate(rounds):
        ws, results = got["ws"], got["results"]
        assert got["status"] == "" and got["clean_state"], (index, got["status"])
        project = tomllib.loads((ws / "pyproject.toml").read_text())
        assert any(r["exit"] == 0 for r in results), (index, results)
        for name in {r["args"][1] for r in results}:
            mine = [r for r in results if r["args"][1] == name]
            added = [r["exit"] for r in mine].count(0)
            assert added <= 1, (index, mine)
            assert all(
                r["exit"] == 4 and r["error"] in {"locked", "rollout_exists"}
                for r in mine
                if r["exit"] != 0
            ), (index, mine)
            # All of the rollout, registered and committed, or no trace of it at all.
            assert (ws / "rollouts" / name / "pyproject.toml").is_file() is bool(added)
            assert (ws / f".copier-answers.rollout-{name}.yml").is_file() is bool(added)
            assert (name in project["dependency-groups"]["rollouts"]) is bool(added)
