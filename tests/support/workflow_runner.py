"""Run a GitHub Actions job of this repository locally, step by step, on Linux.

GitHub runs each `run:` step with ``bash --noprofile --norc -eo pipefail``; so does this
runner, in a clone of the repository (the `actions/checkout` step), with the variables GitHub
sets (``GITHUB_WORKSPACE``, ``RUNNER_TEMP``, ``GITHUB_ENV``...), a throwaway ``HOME`` (so a
step's ``git config --global`` never reaches the real one) and no git identity.

`uses:` steps get local equivalents: ``actions/setup-python`` puts an interpreter of the asked
version first on PATH, ``astral-sh/setup-uv`` this project's uv, ``actions/upload-artifact`` /
``download-artifact`` copy files through a folder. Any other action, and any step the caller
names in ``skip`` (steps that publish, with the reason), is not run; an unknown action fails.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.github_helpers import load_workflow
from support.helpers import git


def interpreter(version: str) -> Path:
    """A Python ``version`` installed here, for actions/setup-python (fails when there is none)."""
    candidates = [
        os.environ.get("UV_PYTHON", ""),
        os.environ.get("OSMOSIS_PYTHON", ""),
        str(Path(sys.base_prefix) / "bin" / f"python{version}"),
        shutil.which(f"python{version}") or "",
    ]
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.split() == version.split("."):
            return Path(candidate)
    raise AssertionError(f"Python {version} is not installed here")


_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


@dataclass(frozen=True)
class JobRun:
    """What to run: one job of one workflow, with its matrix entry and the event's ref."""

    workflow: Path
    job: str
    matrix: dict[str, str] = field(default_factory=dict)
    ref_name: str = "main"
    skip: dict[str, str] = field(default_factory=dict)  # step name -> why it is not run
    step_env: dict[str, dict[str, str]] = field(default_factory=dict)  # extra env per step


@dataclass
class JobResult:
    ran: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    workspace: Path | None = None
    outputs: dict[str, str] = field(default_factory=dict)  # step name -> stdout + stderr
    seconds: dict[str, float] = field(default_factory=dict)  # step name -> wall time
    cpu: dict[str, float] = field(default_factory=dict)  # step name -> CPU seconds


def expand(text: str, context: dict[str, str]) -> str:
    """Substitute ``${{ name }}`` expressions; an unknown one is an error, not an empty string."""

    def value(match: re.Match[str]) -> str:
        if match[1] not in context:
            raise AssertionError(f"no local value for the expression {match[0]}")
        return context[match[1]]

    return _EXPRESSION.sub(value, text)


def step_name(step: dict[str, Any]) -> str:
    return step.get("name") or step.get("uses") or step["run"].splitlines()[0]


def base_env(root: Path) -> dict[str, str]:
    """This process's environment as a fresh runner would have it (no identity, no venv).

    Python writes bytecode there, as on GitHub's runners: each venv a job makes compiles its
    packages once, not in every process (this machine may set PYTHONDONTWRITEBYTECODE).
    """
    drop = (
        "PYTHONDONTWRITEBYTECODE",
        "GIT_AUTHOR_",
        "GIT_COMMITTER_",
        "VIRTUAL_ENV",
        "UV_PYTHON",
        "UV_PROJECT",
        "OSMOSIS_",
        "PYTEST_",
        "COPIER",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    # uv's cache stays the machine's warm one (it would follow HOME to an empty folder).
    env["UV_CACHE_DIR"] = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "cache", "dir"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # One resolution for the whole run: what the steps install is pinned to the versions this
    # test environment resolved, so no step depends on a release made since.
    constraints = _frozen_constraints(root)
    env.update(
        UV_CONSTRAINT=str(constraints),
        PIP_CONSTRAINT=str(constraints),
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        CI="true",
        GITHUB_ACTIONS="true",
        RUNNER_OS="Linux",
        UV_PYTHON_DOWNLOADS="never",
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def _frozen_constraints(root: Path) -> Path:
    """``uv pip freeze`` of this test environment (without this project) as a constraints file."""
    frozen = subprocess.run(
        [str(Path(sys.executable).parent / "uv"), "pip", "freeze", "--python", sys.executable],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    pins = [line for line in frozen if "==" in line and not line.startswith(("-e", "osmosis-"))]
    path = root / "constraints.txt"
    path.write_text("\n".join(pins) + "\n", encoding="utf-8")
    return path


class LocalRunner:
    """Runs jobs in folders under ``root``, each in a fresh clone of ``origin``."""

    def __init__(self, origin: Path, root: Path) -> None:
        self.origin, self.root = origin, root
        self.artifacts = root / "artifacts"

    def run(self, job_run: JobRun) -> JobResult:
        workflow = load_workflow(job_run.workflow)
        job = workflow["jobs"][job_run.job]
        folder = self.root / f"{job_run.workflow.stem}-{job_run.job}"
        temp, workspace = folder / "runner-temp", folder / "workspace"
        temp.mkdir(parents=True)
        env = {**base_env(self.root), **workflow.get("env", {}), **job.get("env", {})}
        files = {name: folder / name for name in ("env", "path", "output", "summary")}
        env.update(
            GITHUB_WORKSPACE=str(workspace),
            RUNNER_TEMP=str(temp),
            GITHUB_REF_NAME=job_run.ref_name,
            GITHUB_ENV=str(files["env"]),
            GITHUB_PATH=str(files["path"]),
            GITHUB_OUTPUT=str(files["output"]),
            GITHUB_STEP_SUMMARY=str(files["summary"]),
        )
        context = {
            **{f"matrix.{k}": v for k, v in job_run.matrix.items()},
            "github.ref_name": job_run.ref_name,
            "runner.os": "Linux",
            "github.ref": f"refs/tags/{job_run.ref_name}",
            "github.repository": "osmosis-ai/osmosis-workspace",
        }
        shell = job.get("defaults", {}).get("run", {}).get("shell", "bash")
        assert shell == "bash", f"{job_run.job}: only bash steps run on Linux"
        result = JobResult(workspace=workspace)
        for step in job["steps"]:
            name = step_name(step)
            if name in job_run.skip:
                result.skipped[name] = job_run.skip[name]
            elif "uses" in step:
                self.use(step, workspace, env, context, job_run.ref_name)
                result.ran.append(name)
            else:
                self.shell_step(step, workspace, env, context, job_run, result)
                self.apply_files(env, files)
        return result

    def use(
        self,
        step: dict[str, Any],
        workspace: Path,
        env: dict[str, str],
        context: dict[str, str],
        ref_name: str,
    ) -> None:
        action = step["uses"].split("@", 1)[0]
        inputs = {k: expand(str(v), context) for k, v in step.get("with", {}).items()}
        if action == "actions/checkout":
            git("clone", "-q", str(self.origin), str(workspace), cwd=self.root)
            git("checkout", "-q", ref_name, cwd=workspace)
        elif action == "actions/setup-python":
            self.setup_python(inputs["python-version"].split(), workspace, env)
        elif action == "astral-sh/setup-uv":
            tools = workspace.parent / "uv-tools"  # uv alone: not this venv's python
            tools.mkdir(exist_ok=True)
            for name in ("uv", "uvx"):
                (tools / name).symlink_to(Path(sys.executable).parent / name)
            env["PATH"] = f"{tools}{os.pathsep}{env['PATH']}"
        elif action == "actions/upload-artifact":
            self.upload(inputs["path"].split(), workspace)
        elif action == "actions/download-artifact":
            shutil.copytree(self.artifacts, workspace, dirs_exist_ok=True)
        else:
            raise AssertionError(f"no local equivalent for {step['uses']}: skip it with a reason")

    @staticmethod
    def setup_python(versions: list[str], workspace: Path, env: dict[str, str]) -> None:
        """actions/setup-python: each version on PATH, the first listed as ``python``."""
        tools = workspace.parent / "python-tools"
        tools.mkdir(exist_ok=True)
        for version in reversed(versions):
            found = interpreter(version)
            for name in (f"python{version}", "python3", "python"):
                (tools / name).unlink(missing_ok=True)
                (tools / name).symlink_to(found)
        env["PATH"] = f"{tools}{os.pathsep}{env['PATH']}"

    def upload(self, paths: list[str], workspace: Path) -> None:
        """actions/upload-artifact: copy each path into the artifacts folder."""
        for rel in paths:
            source = workspace / rel
            assert source.exists(), f"upload-artifact: {rel} was not produced"
            if source.is_dir():
                shutil.copytree(source, self.artifacts / rel)
            else:
                self.artifacts.mkdir(exist_ok=True)
                shutil.copy2(source, self.artifacts / rel)

    def shell_step(
        self,
        step: dict[str, Any],
        workspace: Path,
        env: dict[str, str],
        context: dict[str, str],
        job_run: JobRun,
        result: JobResult,
    ) -> None:
        name = step_name(step)
        step_env = {k: expand(str(v), context) for k, v in step.get("env", {}).items()}
        script = expand(step["run"], context)
        cwd = workspace / step.get("working-directory", ".")
        started, used = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=cwd,
            env={**env, **step_env, **job_run.step_env.get(name, {})},
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        result.outputs[name] = done.stdout + done.stderr
        result.seconds[name] = time.monotonic() - started
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        result.cpu[name] = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
        assert done.returncode == 0, (
            f"{job_run.workflow.name} / {job_run.job} / {name} failed ({done.returncode}):\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
        result.ran.append(name)

    @staticmethod
    def apply_files(env: dict[str, str], files: dict[str, Path]) -> None:
        """What GitHub does between steps with GITHUB_ENV and GITHUB_PATH."""
        if files["env"].exists():
            for line in files["env"].read_text(encoding="utf-8").splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    env[key] = value
        if files["path"].exists():
            for line in files["path"].read_text(encoding="utf-8").splitlines():
                env["PATH"] = f"{line}{os.pathsep}{env['PATH']}"
