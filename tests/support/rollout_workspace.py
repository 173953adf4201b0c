"""A workspace with two rollouts, built once per run and shared by every level's tests.

The shared v1/v2 template repository gets one more release (v3) that changes a file every
rollout renders. A workspace created at v2 (no examples) gains a second rollout with other
choices (framework, dataset mode, grader), added by ``add_rollout(..., commit=True)``. Both
states are kept: ``before`` (the v2 workspace) and ``path`` (with the second rollout), each a
committed git repository; ``files`` are the paths ``add_rollout`` reported. Read-only: copy one
(``workspace_api_helpers.copy_workspace``) before changing it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.shared import shared_build
from support.template_repo import V2, TemplateRepo
from support.workspace_api_helpers import release_changing_every_rollout

V3 = "v3.0.0"
V3_LINE = "Rollout notes added in template v3."
STARTER = "demo-task"
SECOND = "ticket-router"
SECOND_ANSWERS = {
    "agent_framework": "openai-agents",
    "dataset_mode": "metadata",
    "grader": "json-match",
}
SECOND_ANSWERS_FILE = f".copier-answers.rollout-{SECOND}.yml"
LEAN = {"workspace_name": STARTER, "include_examples": False}


@dataclass(frozen=True)
class TwoRollouts:
    path: Path
    before: Path
    files: tuple[str, ...]


def repo_with_v3(factory: pytest.TempPathFactory, repo: TemplateRepo) -> TemplateRepo:
    """The shared v1/v2 template repository plus a v3 that changes every rollout's README."""

    def build(root: Path) -> None:
        release_changing_every_rollout(root / "osmosis-workspace", repo, V3, V3_LINE)

    return TemplateRepo(shared_build(factory, "add-rollout-template", build) / "osmosis-workspace")


def two_rollout_workspace(factory: pytest.TempPathFactory, repo: TemplateRepo) -> TwoRollouts:
    """The v2 workspace and its copy with the second rollout added and committed."""
    from osmosis_workspace.api import (
        AddRolloutOptions,
        CreateOptions,
        add_rollout,
        create_workspace,
    )

    template = repo_with_v3(factory, repo)

    def build(root: Path) -> None:
        before, after = root / "before" / STARTER, root / "after" / STARTER
        create_workspace(before, LEAN, CreateOptions(template=template.location, ref=V2))
        shutil.copytree(before, after, symlinks=True)
        result = add_rollout(after, SECOND, SECOND_ANSWERS, AddRolloutOptions(commit=True))
        (root / "files.json").write_text(json.dumps(list(result.files)))

    root = shared_build(factory, "two-rollouts", build)
    files = tuple(json.loads((root / "files.json").read_text()))
    return TwoRollouts(root / "after" / STARTER, root / "before" / STARTER, files)
