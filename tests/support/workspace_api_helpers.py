"""Helpers for the CLI/API tests: template releases, shared workspaces, osmosis in one process.

The throwaway template repository itself (v1.0.0 and v2.0.0) comes from
``support.template_repo``, the one builder; its names are re-exported here for the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support.helpers import OsmosisResult, git, run_cli
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
# The real osmosis CLI, many invocations
# ---------------------------------------------------------------------------------------------


def submit_passed(result: OsmosisResult) -> bool:
    """A submit dry-run passed every local check (it stopped at the confirmation)."""
    return result.code == 1 and result.error_code == "INTERACTIVE_REQUIRED"


def error_text(result: OsmosisResult) -> str:
    error = result.payload.get("error")
    return json.dumps(error) if error else result.stdout + result.stderr


def run_entry_point(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The installed ``osmosis-workspace`` console script, as a user runs it (a process forked
    from the worker's warm driver: ``helpers.run_cli``)."""
    return run_cli(*args, cwd=cwd, env={**os.environ, **(env or {})}, timeout=timeout)


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
