"""SIGKILL at every phase boundary of `update` and `add-rollout`, then recover.

The real CLI process (``run_entry_point``: forked from the worker's warm driver) kills itself
at a named stop point (``osmosis_workspace.engine.stops``, armed by two environment variables
only tests set). Then, as a user would: ``check`` and a new
``update`` report the interruption (never advising a commit), ``update --abort`` puts the tree
and the index back byte for byte (an ignored ``.env`` and a hidden skip-worktree edit included),
and a plain run completes with the same result as an uninterrupted one.

The phases of each operation run side by side in worker threads, each driving real processes
on its own copy of one shared workspace. Updates use the smallest real template with two
releases (an edit, a deletion, a new folder); add-rollout needs the real one. The run killed
after the last phase (the journal cleared, or the commit made) finished its work: its result
is the uninterrupted one every other run is compared with.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from support.helpers import git
from support.safety_helpers import V1, V2, full_state, small_workspace, stop_env, tiny_template
from support.workspace_api_helpers import TemplateRepo, copy_workspace, run_entry_point

from osmosis_workspace.exit_codes import ExitCode

SECRET = b"OPENAI_API_KEY=sk-local-only\n"
HIDDEN_EDIT = b"an edit git status does not show\n"
#: Phases after which a journal exists (the tree may be half-written).
UPDATE_JOURNALED = (
    "update.journal-written",
    "update.copier-rendered",
    "update.copier-done",
    "update.final",
)
UPDATE_PHASES = ("update.locked", *UPDATE_JOURNALED, "update.journal-cleared")
ROLLOUT_JOURNALED = (
    "add-rollout.journal-written",
    "add-rollout.placing",
    "add-rollout.placed",
    "add-rollout.registered",
)
ROLLOUT_PHASES = ("add-rollout.locked", *ROLLOUT_JOURNALED, "add-rollout.final")
WORKERS = 3


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, tmp: Path | None = None
) -> subprocess.CompletedProcess[str]:
    extra = {**(env or {}), **({"TMPDIR": str(tmp)} if tmp else {})}
    return run_entry_point(*args, cwd=cwd, env=extra, timeout=600)


def prepared(src: Path, dest: Path) -> Path:
    """A copy with what git cannot restore: an ignored .env and a hidden skip-worktree edit."""
    ws = copy_workspace(src, dest)
    (ws / ".env").write_bytes(SECRET)
    mine = ws / "notes" / "mine.md"
    mine.parent.mkdir()
    mine.write_bytes(b"committed notes\n")
    git("add", "notes/mine.md", cwd=ws)
    git("commit", "-q", "-m", "team notes", cwd=ws)
    git("update-index", "--skip-worktree", "notes/mine.md", cwd=ws)
    mine.write_bytes(HIDDEN_EDIT)
    return ws


def outcome(ws: Path) -> dict[str, Any]:
    """What a finished operation leaves: every file (with mode), and git's view of it."""
    return {
        "tree": full_state(ws)["tree"],
        "status": git("status", "--porcelain", "--untracked-files=all", cwd=ws).stdout,
        "committed": git("show", "--name-only", "--format=%s", "HEAD", cwd=ws).stdout,
    }


def killed(proc: subprocess.CompletedProcess[str]) -> bool:
    return proc.returncode == -signal.SIGKILL


def run_all(jobs: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def reports_interruption(ws: Path, journaled: bool, other: tuple[str, ...]) -> dict[str, Any]:
    """``check``, a new ``update`` and ``other`` (add-rollout or check-update) all say what
    happened; none advises a commit."""
    check = cli("check", "--fast", cwd=ws)
    update = cli("update", "--json", cwd=ws)
    also = cli(*other, "--json", cwd=ws)
    error = json.loads(update.stdout)["error"] if update.stdout.strip() else {}
    also_error = json.loads(also.stdout)["error"] if also.stdout.strip() else {}
    text = check.stdout + check.stderr + update.stdout + update.stderr + also.stdout
    return {
        "check_exit": check.returncode,
        "update_exit": update.returncode,
        "code": error.get("code"),
        "other": (also.returncode, (also_error or {}).get("code")),
        "says_abort": "osmosis-workspace update --abort" in text,
        "says_interrupted": ("interrupted" in check.stdout)
        if journaled
        else ("no longer running" in check.stdout),
        "advises_commit": "commit or stash" in text or "then commit" in text,
    }


# ---------------------------------------------------------------------------------------------


def _update_job(src: Path, work: Path, phase: str) -> dict[str, Any]:
    ws = prepared(src, work / "ws")
    tmp = work / "tmp"
    tmp.mkdir()
    before = full_state(ws)
    first = cli("update", "--ref", V2, cwd=ws, env=stop_env(phase), tmp=tmp)
    report = reports_interruption(ws, phase in UPDATE_JOURNALED, ("add-rollout", "second"))
    abort = cli("update", "--abort", cwd=ws)
    restored = full_state(ws) == before
    final = None if phase == "update.journal-cleared" else cli("update", "--ref", V2, cwd=ws)
    return {
        "killed": killed(first),
        "report": report,
        "abort_exit": abort.returncode,
        "restored": restored,
        "final_exit": final.returncode if final else 0,
        "final_stderr": final.stderr[-2000:] if final else "",
        "outcome": outcome(ws),
    }


@pytest.mark.slow
def test_sigkill_at_every_update_phase_then_abort_and_update(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    template = tiny_template(tmp_path_factory)
    src = tmp_path / "src" / "tiny"
    from osmosis_workspace.api import CreateOptions, create_workspace

    create_workspace(src, {}, CreateOptions(template=template.location, ref=V1))
    jobs = {}
    for phase in UPDATE_PHASES:
        work = tmp_path / phase
        work.mkdir()
        jobs[phase] = lambda w=work, p=phase: _update_job(src, w, p)
    results = run_all(jobs)
    # Killed once the journal was cleared, the update had finished: the uninterrupted result.
    reference = results["update.journal-cleared"]["outcome"]
    assert "docs/NEW.md" in reference["tree"] and "OLD.md" not in reference["tree"]
    for phase, got in results.items():
        journaled = phase in UPDATE_JOURNALED
        report = got["report"]
        assert got["killed"], phase
        assert report["check_exit"] == ExitCode.PROBLEMS and report["says_interrupted"], phase
        assert report["update_exit"] == ExitCode.REFUSED, phase
        assert report["code"] == ("interrupted" if journaled else "locked"), (phase, report)
        assert report["other"] == (4, report["code"]), (phase, report)  # add-rollout too
        assert report["says_abort"] and not report["advises_commit"], (phase, report)
        assert got["abort_exit"] == 0, phase
        # Aborted: exactly the pre-update tree and index. After the journal was cleared the
        # update had finished: abort only clears the stale lock, the update stays.
        assert got["restored"] is (phase != "update.journal-cleared"), phase
        assert got["final_exit"] == 0, (phase, got["final_stderr"])
        assert got["outcome"] == reference, phase


# ---------------------------------------------------------------------------------------------


def _rollout_job(src: Path, work: Path, phase: str, retry: bool) -> dict[str, Any]:
    ws = prepared(src, work / "ws")
    tmp = work / "tmp"
    tmp.mkdir()
    before = full_state(ws)
    add = ("add-rollout", "second", "--commit")
    first = cli(*add, cwd=ws, env=stop_env(phase), tmp=tmp)
    got: dict[str, Any] = {"killed": killed(first)}
    if retry:  # the same add-rollout again cleans up what it provably wrote, then adds
        final = cli(*add, "--json", cwd=ws)
        notes = json.loads(final.stdout).get("result", {}).get("notes", []) if final.stdout else []
        return {
            **got,
            "final_exit": final.returncode,
            "final_stderr": final.stderr[-2000:],
            "cleaned": any("cleaned up" in n for n in notes),
            "outcome": outcome(ws),
        }
    got["report"] = reports_interruption(
        ws, phase != "add-rollout.locked", ("check-update", "--no-preview")
    )
    got["abort_exit"] = cli("update", "--abort", cwd=ws).returncode
    got["restored"] = full_state(ws) == before
    final = None if phase == "add-rollout.final" else cli(*add, cwd=ws)
    return {
        **got,
        "final_exit": final.returncode if final else 0,
        "final_stderr": final.stderr[-2000:] if final else "",
        "outcome": outcome(ws),
    }


@pytest.mark.slow
def test_sigkill_at_every_add_rollout_phase_then_abort_or_retry(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo
) -> None:
    src = small_workspace(tmp_path_factory, repo, V2)
    plan = [*((p, p, False) for p in ROLLOUT_PHASES), ("retry", "add-rollout.placing", True)]
    jobs = {}
    for label, phase, retry in plan:
        work = tmp_path / label
        work.mkdir()
        jobs[label] = lambda w=work, p=phase, r=retry: _rollout_job(src, w, p, r)
    results = run_all(jobs)
    # Killed after its commit, the add-rollout had finished: the uninterrupted result.
    reference = results["add-rollout.final"]["outcome"]
    assert reference["committed"].startswith("Add rollout second") and reference["status"] == ""
    for label, got in results.items():
        assert got["killed"], label
        assert got["final_exit"] == 0, (label, got["final_stderr"])
        assert got["outcome"] == reference, label
        if label == "retry":
            assert got["cleaned"], label
            continue
        report = got["report"]
        journaled = label != "add-rollout.locked"
        assert report["check_exit"] == ExitCode.PROBLEMS and report["says_interrupted"], label
        assert report["update_exit"] == ExitCode.REFUSED, label
        assert report["code"] == ("interrupted" if journaled else "locked"), (label, report)
        if journaled:  # check-update reads the journal (it takes no lock)
            assert report["other"] == (4, "interrupted"), (label, report)
        assert report["says_abort"] and not report["advises_commit"], (label, report)
        assert got["abort_exit"] == 0, label
        # add-rollout.final: the commit was made, so abort has nothing to undo.
        assert got["restored"] is (label != "add-rollout.final"), label
