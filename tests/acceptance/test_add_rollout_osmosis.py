"""The real osmosis CLI accepts both rollouts of a workspace built by ``add-rollout``.

Split from tests/integration/test_add_rollout.py (which checks what add-rollout writes and how
each rollout updates); the workspace is the same shared build (``support.rollout_workspace``).
The four submit dry-runs and the dataset validation are forked from the worker's warm osmosis
driver (``Osmosis.run_many``, the CLI's own code paths): the heavy imports are paid once, not
five times.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.helpers import Osmosis, git, osmosis_job
from support.rollout_workspace import SECOND, STARTER, two_rollout_workspace
from support.template_repo import TemplateRepo
from support.workspace_api_helpers import copy_workspace


@pytest.fixture
def ws(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    built = two_rollout_workspace(tmp_path_factory, repo)
    return copy_workspace(built.path, tmp_path / built.path.name)


@pytest.mark.osmosis
def test_both_rollouts_pass_the_submit_preflight_and_the_dataset_validates(
    ws: Path, osmosis: Osmosis
) -> None:
    # The submit preflight wants the repository connected to the platform (an origin remote).
    git("remote", "add", "origin", "https://github.com/acme/demo-task.git", cwd=ws)
    submits = [
        (rollout, kind, f"configs/{folder}/{rollout}.toml")
        for rollout in (STARTER, SECOND)
        for kind, folder in (("eval", "eval"), ("train", "training"))
    ]
    jobs = [osmosis_job(ws, kind, "submit", config, submit=True) for _, kind, config in submits]
    jobs.append(osmosis_job(ws, "dataset", "validate", f"data/{SECOND}.jsonl"))
    *submitted, validated = osmosis.run_many(jobs)
    for (rollout, kind, _), result in zip(submits, submitted, strict=True):
        assert result.error_code == "INTERACTIVE_REQUIRED", (
            rollout,
            kind,
            result.stdout,
            result.stderr,
        )
        details = json.dumps(result.payload["error"].get("details", ""))
        assert "preflight skipped" not in details.lower(), (rollout, kind, details)
    assert validated.code == 0, validated.stdout + validated.stderr


@pytest.mark.osmosis
def test_second_rollout_tests_pass(ws: Path, osmosis: Osmosis) -> None:
    rollout = ws / "rollouts" / SECOND
    tests = osmosis.pytest("-q", "-p", "no:cacheprovider", "tests", cwd=rollout)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
