"""This repository's own GitHub workflows: valid, covering the platforms, and runnable.

The workflows are validated with check-jsonschema's GitHub-workflow schema, then every job is
run here with ``workflow_runner`` (bash steps in a clone of this repository, `uses:` steps
replaced by local equivalents). Steps that publish, and the step that runs this very suite,
are skipped with the reason; every other `run:` step runs, the Windows-only job's bash steps
included (a clone with ``core.symlinks=false`` breaks links on Linux too).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from github_helpers import load_workflow, run_scripts
from helpers import ROOT, git, snapshot_template
from workflow_runner import JobResult, JobRun, LocalRunner, step_name

WORKFLOWS = ROOT / ".github" / "workflows"
CI, RELEASE = WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "version"]
TAG = f"v{VERSION}"

#: Steps not run here, and why. Everything else in the workflows runs.
SKIPPED = {
    ("ci.yml", "suite", "Whole test suite"):
        "runs this whole test suite (about 20 minutes), this test included",
    ("release.yml", "pypi", "pypa/gh-action-pypi-publish@release/v1"):
        "publishes to PyPI (trusted publishing needs GitHub's OIDC token)",
    ("release.yml", "github-release", "Create the GitHub release"):
        "publishes a GitHub release (needs GitHub and its token)",
}
#: Jobs run here: the Linux entry of each matrix with the Python this machine has (the other
#: entries run the same steps on other runners).
JOBS = [
    JobRun(CI, "versions"),
    JobRun(CI, "suite"),
    JobRun(CI, "cli", matrix={"os": "ubuntu-latest", "python": "3.12"},
           # The suite runs tests/test_extensions.py itself: here one test proves the step works.
           step_env={"Unit tests of the Jinja extensions": {
               "PYTEST_ADDOPTS": "-k test_rollout_name_refuses_reserved_default"}}),
    JobRun(CI, "windows-guard"),
    JobRun(RELEASE, "build", ref_name=TAG),
    JobRun(RELEASE, "pypi", ref_name=TAG),
    JobRun(RELEASE, "github-release", ref_name=TAG),
]


def skips_for(job_run: JobRun) -> dict[str, str]:
    return {step: why for (workflow, job, step), why in SKIPPED.items()
            if workflow == job_run.workflow.name and job == job_run.job}


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository as it is now (uncommitted work included), committed and tagged."""
    repo = snapshot_template(tmp_path_factory.mktemp("origin") / "osmosis-workspace")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "Snapshot", cwd=repo)
    git("tag", TAG, cwd=repo)
    return repo


@pytest.fixture(scope="module")
def job_results(origin: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> dict[tuple[str, str], JobResult]:
    runner = LocalRunner(origin, tmp_path_factory.mktemp("runner"))
    return {(job.workflow.name, job.job): runner.run(JobRun(
        job.workflow, job.job, job.matrix, job.ref_name, skips_for(job), job.step_env))
        for job in JOBS}


def test_workflows_pass_the_github_workflow_schema() -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
         str(CI), str(RELEASE)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_ci_covers_every_platform_and_python() -> None:
    ci = load_workflow(CI)
    assert {"push", "pull_request"} <= set(ci["on"])
    matrix = ci["jobs"]["cli"]["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    assert matrix["python"] == ["3.11", "3.12", "3.13"]
    guard = ci["jobs"]["windows-guard"]
    assert guard["runs-on"] == "windows-latest"
    assert "core.symlinks=false" in "\n".join(step.get("run", "") for step in guard["steps"])
    assert "bash .ci/run" in ci["jobs"]["suite"]["steps"][-1]["run"]


def test_release_publishes_with_trusted_publishing_from_the_changelog() -> None:
    release = load_workflow(RELEASE)
    assert release["on"] == {"push": {"tags": ["v*"]}}
    pypi = release["jobs"]["pypi"]
    assert pypi["permissions"] == {"id-token": "write"} and pypi["environment"]["name"] == "pypi"
    publish = pypi["steps"][-1]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert not {"password", "user"} & set(publish.get("with", {})), "trusted publishing: no token"
    assert release["jobs"]["github-release"]["needs"] == ["build", "pypi"]
    assert "--notes-file release-notes.md" in release["jobs"]["github-release"]["steps"][-1]["run"]


@pytest.mark.slow
def test_every_run_step_runs_on_linux_or_is_skipped_with_a_reason(
        job_results: dict[tuple[str, str], JobResult]) -> None:
    for path in (CI, RELEASE):
        workflow = load_workflow(path)
        for job_id, job in workflow["jobs"].items():
            result = job_results.get((path.name, job_id))
            assert result is not None, f"{path.name} job {job_id} is never run here"
            for step in job["steps"]:
                name = step_name(step)
                assert name in result.ran or result.skipped.get(name), (
                    f"{path.name} / {job_id} / {name}: neither run nor skipped with a reason")
    assert sum(1 for path in (CI, RELEASE) for _ in run_scripts(load_workflow(path))) == (
        sum(len([s for s in r.ran if not s.startswith(("actions/", "astral-sh/"))])
            for r in job_results.values()) + len(SKIPPED) - 1)  # one skipped step is `uses:`


@pytest.mark.slow
def test_release_build_makes_checked_distributions_and_notes(
        job_results: dict[tuple[str, str], JobResult]) -> None:
    build = job_results[("release.yml", "build")]
    assert build.workspace is not None
    dist = sorted(p.name for p in (build.workspace / "dist").iterdir() if p.name != ".gitignore")
    assert dist == [f"osmosis_workspace-{VERSION}-py3-none-any.whl",
                    f"osmosis_workspace-{VERSION}.tar.gz"], dist
    assert "PASSED" in build.outputs["Check the distributions"]
    notes = (build.workspace / "release-notes.md").read_text(encoding="utf-8")
    sys.path.insert(0, str(ROOT / "scripts"))
    from changelog import section

    assert notes == section((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), VERSION)
    # The later jobs received the same files.
    released = job_results[("release.yml", "github-release")].workspace
    assert released is not None and (released / "release-notes.md").read_text() == notes


@pytest.mark.slow
def test_release_refuses_a_tag_that_is_not_the_recorded_version(origin: Path,
                                                                  tmp_path: Path) -> None:
    git("tag", "v99.0.0", cwd=origin)
    try:
        with pytest.raises(AssertionError, match="expected 99.0.0"):
            LocalRunner(origin, tmp_path).run(JobRun(RELEASE, "build", ref_name="v99.0.0"))
    finally:
        git("tag", "-d", "v99.0.0", cwd=origin)
