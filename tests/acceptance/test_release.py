"""Releases: this repository's own GitHub workflows (valid, covering the platforms, runnable)
and the wheel they build, installed into a fresh venv.

The workflows are validated with check-jsonschema's GitHub-workflow schema, then every job is
run here with ``workflow_runner`` (bash steps in a clone of this repository, `uses:` steps
replaced by local equivalents). Steps that publish, and the step that runs this very suite,
are skipped with the reason; every other `run:` step runs, the workspace's symlink guard
included: meant for Windows, it runs on every runner (a clone with ``core.symlinks=false``
breaks links on Linux too).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.github_helpers import load_workflow, run_scripts
from support.helpers import ROOT, Osmosis, git, snapshot_template
from support.workflow_runner import JobResult, JobRun, LocalRunner, step_name

from osmosis_workspace import __version__
from osmosis_workspace.engine.source import CANONICAL_TEMPLATE

WORKFLOWS = ROOT / ".github" / "workflows"
CI, RELEASE = WORKFLOWS / "ci.yml", WORKFLOWS / "release.yml"
VERSION = __version__  # the one place the version is written (pyproject.toml reads it)
TAG = f"v{VERSION}"

#: Steps not run here, and why. Everything else in the workflows runs.
SKIPPED = {
    (
        "ci.yml",
        "suite",
        "Whole test suite",
    ): "runs this whole test suite (about 20 minutes), this test included",
    (
        "release.yml",
        "pypi",
        "pypa/gh-action-pypi-publish@release/v1",
    ): "publishes to PyPI (trusted publishing needs GitHub's OIDC token)",
    (
        "release.yml",
        "github-release",
        "Create the GitHub release",
    ): "publishes a GitHub release (needs GitHub and its token)",
}
#: Jobs run here: the Linux entry of each matrix with the Python this machine has (the other
#: entries run the same steps on other runners).
JOBS = [
    JobRun(CI, "versions"),
    JobRun(CI, "suite"),
    JobRun(
        CI,
        "cli",
        matrix={"os": "ubuntu-latest", "python": "3.12"},
        # The suite runs tests/unit/test_extensions.py itself: here one test proves the step works.
        step_env={
            "Unit tests of the Jinja extensions": {
                "PYTEST_ADDOPTS": "-k test_rollout_name_refuses_reserved_default"
            }
        },
    ),
    JobRun(RELEASE, "build", ref_name=TAG),
    JobRun(RELEASE, "pypi", ref_name=TAG),
    JobRun(RELEASE, "github-release", ref_name=TAG),
]


def skips_for(job_run: JobRun) -> dict[str, str]:
    return {
        step: why
        for (workflow, job, step), why in SKIPPED.items()
        if workflow == job_run.workflow.name and job == job_run.job
    }


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
def job_results(
    origin: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], JobResult]:
    runner = LocalRunner(origin, tmp_path_factory.mktemp("runner"))
    return {
        (job.workflow.name, job.job): runner.run(
            JobRun(job.workflow, job.job, job.matrix, job.ref_name, skips_for(job), job.step_env)
        )
        for job in JOBS
    }


def test_workflows_pass_the_github_workflow_schema() -> None:
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(CI),
            str(RELEASE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_ci_covers_every_platform_and_python() -> None:
    ci = load_workflow(CI)
    assert {"push", "pull_request"} <= set(ci["on"])
    matrix = ci["jobs"]["cli"]["strategy"]["matrix"]
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}
    assert matrix["python"] == ["3.11", "3.12", "3.13"]
    cli = ci["jobs"]["cli"]
    assert cli["runs-on"] == "${{ matrix.os }}"
    assert not any("if" in step for step in cli["steps"]), "every step runs on every runner"
    scripts = "\n".join(step.get("run", "") for step in cli["steps"])
    assert "core.symlinks=false" in scripts, "the symlink guard runs on every runner, Windows too"
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
    job_results: dict[tuple[str, str], JobResult],
) -> None:
    for path in (CI, RELEASE):
        workflow = load_workflow(path)
        for job_id, job in workflow["jobs"].items():
            result = job_results.get((path.name, job_id))
            assert result is not None, f"{path.name} job {job_id} is never run here"
            for step in job["steps"]:
                name = step_name(step)
                assert name in result.ran or result.skipped.get(name), (
                    f"{path.name} / {job_id} / {name}: neither run nor skipped with a reason"
                )
    # Step names are unique within a job, so "ran" above means this very step ran.
    for path in (CI, RELEASE):
        for job in load_workflow(path)["jobs"].values():
            names = [step_name(step) for step in job["steps"]]
            assert len(names) == len(set(names)), f"{path.name}: duplicate step names {names}"
    ran_scripts = sum(1 for r in job_results.values() for name in r.ran if name in r.outputs)
    skipped_scripts = sum(1 for (_, _, name) in SKIPPED if not name.startswith("pypa/"))
    all_scripts = sum(1 for path in (CI, RELEASE) for _ in run_scripts(load_workflow(path)))
    assert ran_scripts + skipped_scripts == all_scripts


@pytest.mark.slow
def test_release_build_makes_checked_distributions_and_notes(
    job_results: dict[tuple[str, str], JobResult],
) -> None:
    build = job_results[("release.yml", "build")]
    assert build.workspace is not None
    dist = sorted(p.name for p in (build.workspace / "dist").iterdir() if p.name != ".gitignore")
    assert dist == [
        f"osmosis_workspace-{VERSION}-py3-none-any.whl",
        f"osmosis_workspace-{VERSION}.tar.gz",
    ], dist
    assert "PASSED" in build.outputs["Check the distributions"]
    notes = (build.workspace / "release-notes.md").read_text(encoding="utf-8")
    sys.path.insert(0, str(ROOT / "scripts"))
    from changelog import section

    assert notes == section((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), VERSION)
    # The later jobs received the same files.
    released = job_results[("release.yml", "github-release")].workspace
    assert released is not None and (released / "release-notes.md").read_text() == notes


@pytest.mark.slow
def test_release_refuses_a_tag_that_is_not_the_recorded_version(
    origin: Path, tmp_path: Path
) -> None:
    git("tag", "v99.0.0", cwd=origin)
    try:
        with pytest.raises(AssertionError, match=r"expected 99\.0\.0"):
            LocalRunner(origin, tmp_path).run(JobRun(RELEASE, "build", ref_name="v99.0.0"))
    finally:
        git("tag", "-d", "v99.0.0", cwd=origin)


# ---------------------------------------------------------------------------------------------
# The built wheel, installed into a fresh venv (the release job's own check made that venv)
# ---------------------------------------------------------------------------------------------


def installed_cli(job_results: dict[tuple[str, str], JobResult]) -> Path:
    """bin/ of the venv into which the release job installed the wheel it built (uv)."""
    build = job_results[("release.yml", "build")]
    assert build.workspace is not None
    return build.workspace.parent / "runner-temp" / "smoke" / "bin"


def user_env(home: Path, **extra: str) -> dict[str, str]:
    """A user's shell: no template override, no project venv, a HOME of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OSMOSIS_WORKSPACE", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONDONTWRITE"))
    }
    home.mkdir(exist_ok=True)
    return {**env, "HOME": str(home), "NO_COLOR": "1", **extra}


def cli(
    bin_dir: Path, *args: str, cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "osmosis-workspace"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.osmosis
@pytest.mark.slow
def test_installed_wheel_creates_a_workspace_that_passes_check_and_doctor(
    job_results: dict[tuple[str, str], JobResult], origin: Path, osmosis: Osmosis, tmp_path: Path
) -> None:
    bin_dir = installed_cli(job_results)
    env = user_env(tmp_path / "home")
    located = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import osmosis_workspace.engine.source as s; "
            "print(s.__file__); print(s.package_checkout()); print(s.default_location())",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
    ).stdout.split("\n")
    assert "site-packages" in located[0] and located[1:3] == ["None", CANONICAL_TEMPLATE], (
        "the wheel must run without this checkout, defaulting to the published template"
    )

    clone = tmp_path / "osmosis-workspace"
    git("clone", "-q", str(origin), str(clone), cwd=tmp_path)  # tags come along
    made = cli(
        bin_dir, "new", "demo-task", "--defaults", "--template", str(clone), cwd=tmp_path, env=env
    )
    assert made.returncode == 0, made.stdout + made.stderr
    workspace = tmp_path / "demo-task"
    answers = yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert (answers["_commit"], answers["_src_path"]) == (TAG, str(clone))

    checked = cli(bin_dir, "check", str(workspace), cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    doctor = osmosis.run("--json", "doctor", cwd=workspace)
    assert doctor.code == 0 and doctor.payload["resource"]["valid"] is True, doctor.stderr


@pytest.mark.slow
def test_installed_wheel_uses_the_published_template_and_says_what_to_do_offline(
    job_results: dict[tuple[str, str], JobResult], origin: Path, tmp_path: Path
) -> None:
    """Without --template the wheel clones gh:osmosis-ai/osmosis-workspace.

    git's ``url.<base>.insteadOf`` stands in for the network: first GitHub is an unreachable
    port on 127.0.0.1 (offline), then the published URL is this repository's tagged clone.
    """
    bin_dir = installed_cli(job_results)
    offline = user_env(
        tmp_path / "home",
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="url.http://127.0.0.1:9/.insteadOf",
        GIT_CONFIG_VALUE_0="https://github.com/",
    )
    failed = cli(bin_dir, "new", "demo-task", "--defaults", cwd=tmp_path, env=offline)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "could not be fetched (offline?)" in failed.stderr
    assert "--template" in failed.stderr and "Traceback" not in failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"], "nothing left behind"

    online = user_env(
        tmp_path / "home",
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0=f"url.{origin}.insteadOf",
        GIT_CONFIG_VALUE_0="https://github.com/osmosis-ai/osmosis-workspace.git",
    )
    made = cli(
        bin_dir,
        "new",
        "demo-task",
        "--defaults",
        "--no-git",
        "--set",
        "workspace_name=demo-task",
        "--set",
        "include_examples=false",
        cwd=tmp_path,
        env=online,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    answers = yaml.safe_load(
        (tmp_path / "demo-task" / ".copier-answers.yml").read_text(encoding="utf-8")
    )
    assert (answers["_commit"], answers["_src_path"]) == (TAG, CANONICAL_TEMPLATE)
