"""A fresh workspace is green on its first push, and installs the same versions on any day.

The generated CI workflow is run as GitHub would run it, step by step in order: the steps are
read from `.github/workflows/ci.yml`; `actions/checkout` is a fresh `git clone`, and
`astral-sh/setup-uv` is the uv on PATH (alone in its folder: nothing else from this test's
environment leaks in). Every `run:` step runs in bash with the workflow's environment. The only
network is the package registry; the workspace checker comes from the template repository the
workspace records, here a local git repository with release tags (as GitHub would clone it).
`pre-commit run --all-files` follows in the same clone, its hooks installed from PyPI (one hook
cache for the whole run, shared with test_github_project.py).

CI's install step is the workspace's root `uv sync`, so this is also where the root project is
proven to install: its `uv run pytest` imports every rollout's package from that venv and
`uv run osmosis doctor` runs the osmosis CLI installed there.

Two variants: the default render, and a render with a rollout added by
`osmosis-workspace add-rollout` (the worked examples left out there to keep it short: the
default render runs them).

CI's `uv sync` is the one online resolution of each clone; what follows in the same clone runs
offline (``UV_OFFLINE=1``) in the environment CI installed, so it costs no second install:

* default: a checkout with ``core.symlinks=false`` (git writes ``.claude/skills`` as a text
  file, as Git for Windows does) fails the workspace set-up check with the fix, the rollout
  tests still run, and the printed fix works;
* added rollout: a rollout folder that pyproject.toml does not list is named with the lines to
  add; once listed, an offline `uv sync` installs it and `uv run pytest` runs every rollout's
  tests; `uv sync --check` agrees with the environment.

Both: CI's "Each rollout on its own" ran every rollout's tests, each in the one environment the
rollouts take turns in (under ``RUNNER_TEMP``, as on GitHub), which lacks the workspace's dev
tools and holds no rollout's packages but the last one's.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import tomllib
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.fake_llm import POLL_SECONDS
from support.github_helpers import (
    V2,
    TemplateRepo,
    add_rollout_to_root_pyproject,
    load_workflow,
    shared_published_template,
    uv_env,
)
from support.helpers import ANSWER_SETS, Osmosis, git, git_init_commit, render
from support.shared import shared_build, shared_root
from support.workspace_api_helpers import run_entry_point

CI = ".github/workflows/ci.yml"
ADDED = "support-desk"
_ENVS: dict[Path, dict[str, str]] = {}  # clone -> the job environment CI ran it with
_LOGS: dict[Path, dict[str, str]] = {}  # clone -> {step name: its standard output}
ALONE = "Each rollout on its own, as Osmosis installs it"
#: What a runner has besides uv: the system's tools only.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    return shared_published_template(tmp_path_factory)


class Variants:
    """Each variant's committed render from the tagged template repository, built on first use,
    once per run (``shared_build``: the two variants may run on different xdist workers)."""

    def __init__(self, published: TemplateRepo, factory: pytest.TempPathFactory) -> None:
        self.published, self.factory = published, factory

    def __getitem__(self, name: str) -> Path:
        build = self._default if name == "default" else self._added
        return shared_build(self.factory, f"first-push-{name}", build) / "demo-task"

    def _render(self, root: Path, answers: dict[str, object]) -> Path:
        rendered = render(root / "demo-task", answers, src=self.published.path, vcs_ref=V2)
        return git_init_commit(rendered, origin=None)

    def _default(self, root: Path) -> None:
        self._render(root, ANSWER_SETS["defaults"])

    def _added(self, root: Path) -> None:
        added = self._render(root, {**ANSWER_SETS["defaults"], "include_examples": False})
        result = run_entry_point(
            "add-rollout", ADDED, "--commit", cwd=added, env={"OSMOSIS_WORKSPACE_PERF": "1"}
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert (added / f".copier-answers.rollout-{ADDED}.yml").is_file()


@pytest.fixture(scope="module")
def variants(published: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Variants:
    return Variants(published, tmp_path_factory)


def runner_env(osmosis: Osmosis, work: Path) -> dict[str, str]:
    """A runner's environment: uv (and nothing else of ours) on PATH, a fresh HOME."""
    tools = work / "runner-bin"
    tools.mkdir()
    (tools / "uv").symlink_to(osmosis.bin_dir / "uv")
    home = work / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in uv_env(osmosis).items()
        if k.startswith(("UV_", "GIT_", "LANG", "SSL_")) or _machine_trust(k)
    }
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    (work / "runner-temp").mkdir()
    env.update(
        PATH=f"{tools}{os.pathsep}{SYSTEM_PATH}",
        HOME=str(home),
        RUNNER_TEMP=str(work / "runner-temp"),
        UV_TOOL_DIR=str(work / "uv-tools"),
        UV_TOOL_BIN_DIR=str(work / "uv-tools-bin"),
    )
    return env


def _machine_trust(name: str) -> bool:
    """This machine's TLS trust store and proxy settings (a runner has its own)."""
    return "CERT" in name or "CA_BUNDLE" in name or name.lower().endswith("_proxy")


def _plain(value: Any) -> str:
    """A workflow value with its `${{ ... }}` expressions evaluated as on a repository with no
    variables set (they are all empty)."""
    import re

    return re.sub(r"\$\{\{.*?\}\}", "", str(value))


def run_ci(workspace: Path, clone: Path, env: dict[str, str]) -> list[str]:
    """Every step of the CI job in order; returns the names of the steps that ran."""
    workflow = load_workflow(workspace / CI)
    (job,) = workflow["jobs"].values()
    base = {
        **env,
        **{k: _plain(v) for k, v in {**workflow.get("env", {}), **job.get("env", {})}.items()},
    }
    _ENVS[clone] = base
    logs = _LOGS[clone] = {}
    ran = []
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            git("clone", "-q", str(workspace), str(clone), cwd=clone.parent)
        elif uses.startswith("astral-sh/setup-uv@"):
            assert shutil.which("uv", path=env["PATH"]), "uv is not on the runner's PATH"
        else:
            assert not uses, f"no local equivalent for `uses: {uses}`"
            step_env = {**base, **{k: _plain(v) for k, v in step.get("env", {}).items()}}
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=clone,
                env=step_env,
                capture_output=True,
                text=True,
                timeout=900,
                stdin=subprocess.DEVNULL,
            )
            log = done.stdout[-5000:] + done.stderr[-5000:]
            assert done.returncode == 0, f"CI step {step.get('name')!r} failed:\n{log}"
            logs[step.get("name") or uses] = done.stdout
        ran.append(step.get("name") or uses)
    return ran


def ci_clone(
    name: str, variants: Variants, osmosis: Osmosis, factory: pytest.TempPathFactory
) -> tuple[Path, list[str]]:
    """The variant's workspace cloned and taken through CI: the clone and the steps that ran."""
    work = factory.mktemp(f"runner-{name}")
    clone = work / "demo-task"
    return clone, run_ci(variants[name], clone, runner_env(osmosis, work))


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook cache per test run (pre-commit locks its store): hooks install once."""
    return shared_root(tmp_path_factory) / "pre-commit-home"


@pytest.mark.osmosis
@pytest.mark.slow
@pytest.mark.parametrize("variant", ["default", "added-rollout"])
def test_first_push_is_green(
    variant: str,
    variants: Variants,
    osmosis: Osmosis,
    pre_commit_home: Path,
    published: TemplateRepo,
    renders: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workspace = variants[variant]
    clone, ran = ci_clone(variant, variants, osmosis, tmp_path_factory)
    steps = load_workflow(workspace / CI)["jobs"]["workspace"]["steps"]
    assert len(ran) == len(steps) and "osmosis-workspace check" in ran
    rollouts = sorted(p.parent.name for p in clone.glob("rollouts/*/pyproject.toml"))
    assert (ADDED in rollouts) == (variant == "added-rollout")
    assert_each_rollout_ran_alone(clone, rollouts)
    assert_pre_commit_passes(clone, pre_commit_home, published)

    env = {**runner_env_of(clone), "UV_OFFLINE": "1"}
    check = uv_run(env, clone, "sync", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    if variant == "default":
        assert_symlink_guard(clone, env)
        # In this test, not one of its own: a test on another xdist worker would run CI again.
        assert_a_newer_index_installs_the_same_versions(clone, workspace, osmosis, tmp_path_factory)
    else:
        assert_unlisted_rollout_named_then_installed(clone, env, renders["support"])


def assert_each_rollout_ran_alone(clone: Path, rollouts: list[str]) -> None:
    """CI's "Each rollout on its own" ran every rollout's tests, in turn, in one environment
    outside the clone that ends with the last rollout's packages alone (``--exact``)."""
    log = _LOGS[clone][ALONE]
    groups = log.split("::group::")[1:]
    ran = [g.split("\n", 1)[0].removeprefix("rollouts/") for g in groups]
    assert sorted(ran) == rollouts, log  # in the shell's order (its locale's collation)
    for group in groups:
        assert " passed" in group.split("::endgroup::")[0], group
    assert not list(clone.glob("rollouts/*/.venv")), "a rollout got a .venv of its own"
    env = Path(_ENVS[clone]["RUNNER_TEMP"]) / "rollout-alone"
    assert not list(env.glob("bin/ruff")), "the rollouts' environment got the dev tools"
    installed = {p.name.split("-")[0].lower() for p in env.glob("lib/*/site-packages/*.dist-info")}
    last, others = ran[-1], ran[:-1]
    assert last.replace("-", "_") in installed, sorted(installed)
    assert not {r.replace("-", "_") for r in others} & installed, "--exact left another rollout"


def assert_pre_commit_passes(clone: Path, pre_commit_home: Path, published: TemplateRepo) -> None:
    hooks = yaml.safe_load((clone / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    checker = next(h for h in hooks["repos"][0]["hooks"] if h["id"] == "osmosis-workspace-check")
    assert checker["additional_dependencies"] == [
        f"osmosis-workspace @ git+file://{published.path}@{V2}"
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PYTHON")}
    env.update(PRE_COMMIT_HOME=str(pre_commit_home), NO_COLOR="1", PYTHONDONTWRITEBYTECODE="")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "osmosis-workspace check --fast" in done.stdout
    changed = git("status", "--porcelain", "--untracked-files=no", cwd=clone).stdout
    assert changed == "", f"hooks changed the fresh workspace:\n{changed}"


def runner_env_of(clone: Path) -> dict[str, str]:
    """The environment CI ran ``clone`` with."""
    return _ENVS[clone]


def uv_run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    uv_exe = shutil.which("uv", path=env["PATH"])
    assert uv_exe
    return subprocess.run(
        [uv_exe, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


def assert_symlink_guard(clone: Path, env: dict[str, str]) -> None:
    """A checkout with core.symlinks=false is caught with the fix, and the fix works.

    ``git checkout`` with core.symlinks=false writes the link as a text file holding its
    target, exactly as a clone made by Git for Windows without symlink support does.
    """
    link = clone / ".claude" / "skills"
    git("config", "core.symlinks", "false", cwd=clone)
    link.unlink()
    git("checkout", "--", ".claude/skills", cwd=clone)
    assert link.is_file() and not link.is_symlink(), "git made the link a text file"
    first = sorted(clone.glob("rollouts/*/tests"))[0].parent.relative_to(clone).as_posix()
    try:  # the set-up check and one rollout's tests (CI's own run covered every rollout)
        tested = uv_run(env, clone, "run", "pytest", "conftest.py", first)
    finally:  # the printed fix
        git("config", "core.symlinks", "true", cwd=clone)
        git("checkout", "--", ".claude/skills", cwd=clone)
    assert tested.returncode == 1, tested.stdout + tested.stderr
    out = tested.stdout
    assert "FAILED conftest.py::workspace-setup" in out
    assert ".claude/skills is a plain text file reading '../.agents/skills'" in out
    assert "core.symlinks is false" in out
    for fix in ("git config core.symlinks true", "git checkout -- .claude/skills"):
        assert fix in out, fix
    assert " passed" in out, "the rollout tests still run"
    assert link.is_symlink() and link.is_dir(), "the printed fix did not restore the link"
    # Only the set-up check this time (`pytest conftest.py`): the rollout tests ran above.
    fixed = uv_run(env, clone, "run", "pytest", "-v", "conftest.py")
    assert fixed.returncode == 0, fixed.stdout
    assert "conftest.py::workspace-setup PASSED" in fixed.stdout


def assert_unlisted_rollout_named_then_installed(
    clone: Path, env: dict[str, str], other: Path
) -> None:
    """A rollout folder pyproject.toml does not list is named with its fix; listed, it installs.

    The folder comes from another render (as a hand copy or an old template would bring it);
    the offline re-lock keeps every version CI resolved (uv prefers the existing uv.lock).
    """
    first = sorted(p.parent.name for p in clone.glob("rollouts/*/pyproject.toml"))
    extra = ANSWER_SETS["support"]["rollout_name"]
    shutil.copytree(other / "rollouts" / extra, clone / "rollouts" / extra)
    tested = uv_run(env, clone, "run", "pytest", "-v")
    assert tested.returncode == 1, tested.stdout + tested.stderr
    assert f"rollouts/{extra} is not installed by `uv sync`" in tested.stdout
    assert f'{extra} = {{ path = "rollouts/{extra}", editable = true }}' in tested.stdout
    for name in first:
        assert f"rollouts/{name}/tests/" in tested.stdout, name
    assert " PASSED" in tested.stdout

    add_rollout_to_root_pyproject(clone, extra)
    synced = uv_run(env, clone, "sync")
    assert synced.returncode == 0, synced.stderr
    tested = uv_run(env, clone, "run", "pytest", "-v")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    for name in [*first, extra]:
        assert f"rollouts/{name}/tests/" in tested.stdout, name
    assert "conftest.py::workspace-setup PASSED" in tested.stdout
    assert " FAILED" not in tested.stdout


# ---------------------------------------------------------------------------------------------
# Reproducible installs: the same commit, a newer index, the same versions
# ---------------------------------------------------------------------------------------------

FAKE = "iniconfig"  # pytest's dependency: in every workspace's resolution, never pinned
FAKE_VERSION = "99.0.0"


def _fake_wheel() -> tuple[str, bytes]:
    name = f"{FAKE}-{FAKE_VERSION}-py3-none-any.whl"
    info = f"{FAKE}-{FAKE_VERSION}.dist-info"
    files = {
        f"{FAKE}/__init__.py": b"",
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {FAKE}\nVersion: {FAKE_VERSION}\n".encode()
        ),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = "".join(f"{path},,\n" for path in [*files, f"{info}/RECORD"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        for path, data in {**files, f"{info}/RECORD": record.encode()}.items():
            wheel.writestr(path, data)
    return name, buffer.getvalue()


class _NewerIndex(http.server.BaseHTTPRequestHandler):
    """A PEP 691 index holding one release of FAKE uploaded today (404 for anything else)."""

    wheel: tuple[str, bytes] = ("", b"")

    def do_HEAD(self) -> None:
        self.do_GET(head=True)

    def do_GET(self, head: bool = False) -> None:
        name, data = self.wheel
        if self.path.rstrip("/") == f"/simple/{FAKE}":
            body = json.dumps(
                {
                    "meta": {"api-version": "1.1"},
                    "name": FAKE,
                    "files": [
                        {
                            "filename": name,
                            "url": f"/files/{name}",
                            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                            "upload-time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        }
                    ],
                }
            ).encode()
            kind = "application/vnd.pypi.simple.v1+json"
        elif self.path == f"/files/{name}":
            body, kind = data, "application/octet-stream"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _locked(clone: Path) -> dict[str, str]:
    """{package: version} of the clone's uv.lock (what `uv sync` installs, and nothing else)."""
    lock = tomllib.loads((clone / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: str(package.get("version")) for package in lock["package"]}


def assert_a_newer_index_installs_the_same_versions(
    first: Path, workspace: Path, osmosis: Osmosis, factory: pytest.TempPathFactory
) -> None:
    """The same commit, another day, installs the same versions from an index that now has a
    newer release of a dependency. The resolution is what differs from day to day; `uv sync`
    installs exactly the lock it resolves (CI's own sync shows that), so the second clone only
    locks."""
    tmp_path = factory.mktemp("newer-index")
    before = _locked(first)
    assert before.get(FAKE) not in (None, FAKE_VERSION), before.get(FAKE)

    _NewerIndex.wheel = _fake_wheel()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NewerIndex)
    server.timeout = 5
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
    )
    thread.start()
    try:
        # The same commit, another day: the index now has a newer release of a dependency.
        second = tmp_path / "demo-task"
        git("clone", "-q", str(workspace), str(second), cwd=tmp_path)
        index = f"http://127.0.0.1:{server.server_address[1]}/simple"
        synced = subprocess.run(
            [str(osmosis.bin_dir / "uv"), "lock", "--quiet"],
            cwd=second,
            capture_output=True,
            text=True,
            timeout=900,
            env=uv_env(osmosis, UV_INDEX=index, UV_INDEX_STRATEGY="unsafe-best-match"),
        )
        assert synced.returncode == 0, synced.stderr
        # Control: without the workspace's cutoff, this index does serve a newer release.
        fresh = subprocess.run(
            [str(osmosis.bin_dir / "uv"), "pip", "compile", "--quiet", "--no-header", "-"],
            input=f"{FAKE}\n",
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
            env=uv_env(osmosis, UV_INDEX=index, UV_INDEX_STRATEGY="unsafe-best-match"),
        )
        assert f"{FAKE}=={FAKE_VERSION}" in fresh.stdout, fresh.stdout + fresh.stderr
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert _locked(second) == before
