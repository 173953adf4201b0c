"""Helpers for the CLI/API tests: template releases, shared workspaces, osmosis in one process.

The throwaway template repository itself (v1.0.0 and v2.0.0) comes from
``support.template_repo``, the one builder; its names are re-exported here for the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support.helpers import Osmosis, OsmosisResult, git
from support.shared import shared_build
from support.template_repo import (
    AGENTS_V2_SECTION,
    V1,
    V2,
    TemplateRepo,
    build_template_repo,
    commit_all,
    copy_template_files,
    shared_template_repo,
)


def add_release(repo: TemplateRepo, dest: Path, tag: str, copier_yml_extra: str) -> TemplateRepo:
    """A clone of ``repo`` with one more release whose ``copier.yml`` gains ``copier_yml_extra``."""
    git("clone", "-q", str(repo.path), str(dest), cwd=dest.parent)
    git("fetch", "-q", "--tags", cwd=dest)
    config = dest / "copier.yml"
    config.write_text(config.read_text() + "\n" + copier_yml_extra)
    commit_all(dest, f"Template {tag}", tag)
    return TemplateRepo(dest)


# ---------------------------------------------------------------------------------------------
# Shared, run-wide builds (every xdist worker reuses the first one's, see support.shared)
# ---------------------------------------------------------------------------------------------

DEFAULT_ANSWERS = {"workspace_name": "demo-task"}


def shared_workspace(
    factory: pytest.TempPathFactory,
    repo: TemplateRepo,
    version: str,
    answers: dict[str, Any] | None = None,
    key: str = "",
) -> Path:
    """A workspace created (and committed) by the API at ``version``; copy before changing it."""
    from osmosis_workspace.api import CreateOptions, create_workspace

    answers = answers or DEFAULT_ANSWERS
    name = answers["workspace_name"]
    built = shared_build(
        factory,
        f"ws-{repo.path.parent.name}-{version}{key}",
        lambda p: create_workspace(
            p / name, answers, CreateOptions(template=repo.location, ref=version)
        ),
    )
    return built / name


def copy_workspace(src: Path, dest: Path) -> Path:
    """A byte-identical copy, ``.git`` included (links kept as links)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


# ---------------------------------------------------------------------------------------------
# The real osmosis CLI, many invocations in one process
# ---------------------------------------------------------------------------------------------

#: Runs ``osmosis_ai.cli.main.main(argv)`` for each job (cwd, argv, env) in one interpreter:
#: the same code paths as the ``osmosis`` executable, without paying its start-up per call.
#: Modules imported from a job's workspace (rollout code) are dropped between jobs.
OSMOSIS_BATCH_DRIVER = r"""
import contextlib, io, json, os, sys
from osmosis_ai.cli.main import main
jobs = json.load(open(sys.argv[1]))
base_modules, base_path, base_env = set(sys.modules), list(sys.path), dict(os.environ)
results = []
for job in jobs:
    os.chdir(job["cwd"])
    os.environ.clear(); os.environ.update(base_env); os.environ.update(job.get("env", {}))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(job["argv"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception as exc:
            code, _ = 99, err.write(f"driver: {exc!r}")
    results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
    for name in set(sys.modules) - base_modules:
        path = getattr(sys.modules.get(name), "__file__", None) or ""
        if name.startswith("_osmosis_rollout_") or path.startswith(job["cwd"]):
            sys.modules.pop(name, None)
    sys.path[:] = base_path
json.dump(results, open(sys.argv[2], "w"))
"""

FAKE_PLATFORM = {
    "OSMOSIS_TOKEN": "dummy-token-for-tests",
    "OSMOSIS_PLATFORM_URL": "http://127.0.0.1:9",
    "OSMOSIS_TOKEN_PLATFORM_URL": "http://127.0.0.1:9",
}


def osmosis_job(cwd: Path, *argv: str, submit: bool = False) -> dict[str, Any]:
    return {"cwd": str(cwd), "argv": ["--json", *argv], "env": FAKE_PLATFORM if submit else {}}


def osmosis_batch(osmosis: Osmosis, jobs: list[dict[str, Any]], work: Path) -> list[OsmosisResult]:
    """Run the jobs through the real osmosis CLI code; one result per job, in order."""
    jobs_file, results_file = work / "osmosis-jobs.json", work / "osmosis-results.json"
    jobs_file.write_text(json.dumps(jobs))
    proc = subprocess.run(
        [
            str(osmosis.bin_dir / "python"),
            "-c",
            OSMOSIS_BATCH_DRIVER,
            str(jobs_file),
            str(results_file),
        ],
        env=osmosis.env(),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=work,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"osmosis batch driver failed:\n{proc.stderr[-3000:]}"
    return [
        OsmosisResult(r["code"], r["stdout"], r["stderr"])
        for r in json.loads(results_file.read_text())
    ]


def submit_passed(result: OsmosisResult) -> bool:
    """A submit dry-run passed every local check (it stopped at the confirmation)."""
    return result.code == 1 and result.error_code == "INTERACTIVE_REQUIRED"


def error_text(result: OsmosisResult) -> str:
    error = result.payload.get("error")
    return json.dumps(error) if error else result.stdout + result.stderr


def run_entry_point(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The installed ``osmosis-workspace`` console script, as a user runs it."""
    exe = Path(sys.executable).with_name("osmosis-workspace")
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def release_changing_every_rollout(
    dest: Path, repo: TemplateRepo, tag: str, line: str
) -> TemplateRepo:
    """A clone of ``repo`` at ``dest`` plus a release ``tag`` whose rollout README gains
    ``line`` (so every rollout, starter or added, changes upstream)."""
    subprocess.run(["git", "clone", "-q", str(repo.path), str(dest)], check=True, cwd=dest.parent)
    readme = dest / "template" / "rollouts" / "{{rollout_name}}" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    commit_all(dest, f"Template {tag}", tag)
    return TemplateRepo(dest)


__all__ = [
    "AGENTS_V2_SECTION",
    "V1",
    "V2",
    "TemplateRepo",
    "build_template_repo",
    "commit_all",
    "copy_template_files",
    "shared_template_repo",
]
