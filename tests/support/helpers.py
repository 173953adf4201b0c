"""Shared test helpers: render the template, make git repos, run the real osmosis CLI.

Fixtures in ``conftest.py`` wrap these; tests import the plain functions when they need
something fixture scopes cannot give (for example a render inside a loop).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import copier

ROOT = Path(__file__).resolve().parents[2]


def load_by_path(name: str, path: Path) -> ModuleType:
    """``path`` executed as a fresh module called ``name``, as Copier loads the template's
    extensions. It is registered in ``sys.modules`` while and after it runs: dataclasses look
    their module up there while the file executes."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


TEMPLATE_DIR = ROOT / "template"

#: Identity for every commit tests make, so no global git config is needed or touched.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "osmosis-workspace tests",
    "GIT_AUTHOR_EMAIL": "tests@localhost",
    "GIT_COMMITTER_NAME": "osmosis-workspace tests",
    "GIT_COMMITTER_EMAIL": "tests@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}

#: Answer sets rendered by the acceptance tests: the defaults and two that change every answer.
#: Workspace files that name the recorded template version (CI, pre-commit and the update
#: skill install the workspace checker from it): every template update changes them too.
VERSION_BEARING = (
    ".agents/skills/update-workspace/SKILL.md",
    ".github/workflows/ci.yml",
    ".pre-commit-config.yaml",
)

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "defaults": {"workspace_name": "demo-task"},
    "support": {
        "workspace_name": "support-triage",
        "task_description": (
            "Route customer support tickets to the right team.\n"
            "Reply with exactly one label: billing, shipping or technical.\n"
            'Tickets may quote "code", {{ braces }}, `ticks` and $ARGUMENTS; keep them verbatim.'
        ),
        "rollout_name": "ticket-router",
        "dataset_name": "support_tickets_v2",
        "eval_model": "anthropic/claude-sonnet-4-5",
        "base_model": "Qwen/Qwen3.5-122B-A10B",
        "python_version": "3.13",
        "skills": ["create-rollouts", "evaluate-rollouts", "debug-rollouts", "update-workspace"],
    },
    "unicode": {
        "workspace_name": "x9",
        "task_description": (
            'Traduire des énoncés 🌍 — «quotes», back\\slash, "dq", tab\there.\n---\n'
        ),
        "rollout_name": "default-task",
        "dataset_name": "d",
        "eval_model": "openrouter/meta-llama/llama-3.3-70b-instruct",
        "skills": ["all", "plan-eval"],
    },
}


def git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git with the test identity; raise with git's own message on failure."""
    env = {**os.environ, **GIT_ENV}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result


def render(
    dest: Path,
    answers: Mapping[str, Any],
    *,
    src: Path = ROOT,
    vcs_ref: str = "HEAD",
    **kwargs: Any,
) -> Path:
    """Render the template into ``dest`` with the real Copier API, non-interactively."""
    copier.run_copy(
        str(src),
        str(dest),
        data=dict(answers),
        defaults=True,
        unsafe=True,
        vcs_ref=vcs_ref,
        quiet=True,
        **kwargs,
    )
    return dest


def snapshot_template(dest: Path, src: Path = ROOT) -> Path:
    """Copy the template repository's files (tracked and new, not ignored) to a plain folder.

    Copier renders a plain folder in place, without cloning it (and without the throwaway
    commit a dirty checkout needs), which makes bulk renders several times faster. Such renders
    record no ``_commit``: use them where updates are not under test.
    """
    listed = git("ls-files", "-co", "--exclude-standard", "-z", cwd=src).stdout.split("\0")
    for rel in filter(None, listed):
        source, target = src / rel, dest / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return dest


_JINJA_LEFTOVER = re.compile(
    r"(?<!\$)\{\{-?\s*[A-Za-z_][\w.]*\s*(\|[^{}]*)?-?\}\}"
    r"|\{%-?\s*(if|elif|else|endif|for|endfor|set|include|extends|block|endblock|raw|macro)\b"
)


def jinja_leftovers(text: str) -> list[str]:
    """Unrendered Jinja in a rendered file (``{{ name }}`` or ``{% tag``).

    Python f-string braces and GitHub Actions' ``${{ expr }}`` are not Jinja and pass.
    """
    return [m.group(0) for m in _JINJA_LEFTOVER.finditer(text)]


def git_init_commit(
    path: Path, *, origin: str | None = "https://github.com/acme/workspace.git"
) -> Path:
    """Make ``path`` a git repository with everything committed (what `new` will do)."""
    git("init", "-q", "-b", "main", cwd=path)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "Initial workspace", cwd=path)
    if origin:
        git("remote", "add", "origin", origin, cwd=path)
    return path


def committed_copy(src: Path, dest: Path) -> Path:
    """Copy a workspace's committable files to ``dest`` and commit them in a fresh repo.

    Each osmosis check gets its own copy so the CLI's local state (``.osmosis/``, rollout
    virtualenvs) never leaks between tests or into the shared session render.
    """
    listed = git("ls-files", "-co", "--exclude-standard", "-z", cwd=src).stdout.split("\0")
    for rel in filter(None, listed):
        source, target = src / rel, dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return git_init_commit(dest)


def tree_bytes(root: Path, *, ignore: tuple[str, ...] = (".git",)) -> dict[str, bytes | str]:
    """Every file's bytes and every link's target under ``root``, keyed by relative path."""
    tree: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in ignore:
            continue
        if path.is_symlink():
            tree[rel.as_posix()] = "-> " + os.readlink(path)
        elif path.is_file():
            tree[rel.as_posix()] = path.read_bytes()
    return tree


def rendered_text_files(root: Path) -> Iterator[Path]:
    """Files of a render that are text (everything but `.git` and link targets)."""
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts or path.is_symlink() or not path.is_file():
            continue
        yield path


# ---------------------------------------------------------------------------------------------
# The real osmosis CLI
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OsmosisResult:
    """One osmosis invocation: exit code, raw streams, and the JSON object it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def payload(self) -> dict[str, Any]:
        """The last JSON object on stdout or stderr that carries a result or an error."""
        found: dict[str, Any] = {}
        for stream in (self.stdout, self.stderr):
            for obj in _json_objects(stream):
                if {"error", "status", "data", "items", "resource"} & obj.keys():
                    found = obj
        return found

    @property
    def error_code(self) -> str | None:
        error = self.payload.get("error")
        return error.get("code") if isinstance(error, dict) else None


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    decoder = json.JSONDecoder()
    index = 0
    while (start := text.find("{", index)) != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            index = start + 1
            continue
        if isinstance(obj, dict):
            yield obj
        index = end


#: Forks the ``osmosis`` and ``osmosis-workspace`` commands of a worker from one warm
#: interpreter per script (``Osmosis.run``, ``run_cli``).
FORK_DRIVER = Path(__file__).resolve().with_name("fork_driver.py")

#: Modules the generated rollouts import that cost seconds each (LiteLLM, Strands, OpenAI Agents,
#: Harbor): the driver imports them once, before it forks one child per command.
ROLLOUT_IMPORTS = (
    "uvicorn",
    "osmosis_ai.rollout.server",
    "osmosis_ai.rollout.integrations.agents.strands",
    "osmosis_ai.rollout.integrations.agents.openai_agents",
    "osmosis_ai.rollout.backend.harbor",
    "harbor.trial.queue",
)

#: Submits go to a closed port on 127.0.0.1 with a dummy token: nothing is ever sent.
FAKE_PLATFORM = {
    "OSMOSIS_TOKEN": "dummy-token-for-tests",
    "OSMOSIS_PLATFORM_URL": "http://127.0.0.1:9",
    "OSMOSIS_TOKEN_PLATFORM_URL": "http://127.0.0.1:9",
}


@dataclass(frozen=True)
class OsmosisJob:
    """One ``osmosis`` command of a batch: its arguments, working folder and extra variables."""

    args: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)


def osmosis_job(cwd: Path, *argv: str, submit: bool = False) -> OsmosisJob:
    """``osmosis --json ARGV`` in ``cwd``; ``submit``: against the unreachable ``FAKE_PLATFORM``."""
    return OsmosisJob(("--json", *argv), cwd, FAKE_PLATFORM if submit else {})


@dataclass(frozen=True)
class Osmosis:
    """The pinned osmosis-ai CLI in its own venv, run with an isolated HOME.

    ``pycache``: where every Python it starts keeps its bytecode (``PYTHONPYCACHEPREFIX``). The
    venv ships no ``.pyc`` files and the machine sets ``PYTHONDONTWRITEBYTECODE``, so without it
    each ``osmosis`` call compiles LiteLLM and friends from source again (about ten CPU
    seconds). One folder per test run, shared by the xdist workers: CPython writes each ``.pyc``
    to a temporary name and renames it, so concurrent readers never see half a file, and
    nothing is written beside any source file (renders and the shared venv stay untouched).
    """

    venv: Path
    home: Path
    python312: str
    pycache: Path | None = None

    @property
    def bin_dir(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OSMOSIS_", "VIRTUAL_ENV", "PYTHONPATH"))
        }
        if self.pycache is not None:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        env.update(GIT_ENV)
        env.update(
            HOME=str(self.home),
            PATH=f"{self.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            UV_PYTHON=self.python312,
            UV_PYTHON_DOWNLOADS="never",
            LITELLM_LOCAL_MODEL_COST_MAP="True",
            NO_COLOR="1",
            COLUMNS="200",
        )
        env.update(extra)
        return env

    def run(self, *args: str, cwd: Path, timeout: float = 300, **extra_env: str) -> OsmosisResult:
        """``osmosis ARGS`` in ``cwd``: a process forked from this worker's warm driver."""
        return self.run_many([OsmosisJob(args, cwd)], timeout=timeout, **extra_env)[0]

    def submit_dry_run(self, kind: str, config: str, *, cwd: Path) -> OsmosisResult:
        """`osmosis --json <kind> submit CONFIG` against an unreachable platform, without --yes.

        Every local check runs before the confirmation step; ``INTERACTIVE_REQUIRED`` means they
        all passed and nothing was sent anywhere.
        """
        return self.submit_dry_runs([(kind, config, cwd)])[0]

    def run_many(
        self, jobs: list[OsmosisJob], *, timeout: float = 300, **extra_env: str
    ) -> list[OsmosisResult]:
        """Each job as its own ``osmosis`` process, in order (``run``, with the job's variables
        on top of ``extra_env``)."""
        return [
            _osmosis_driver(self).run(job, self.env(**{**extra_env, **job.env}), timeout)
            for job in jobs
        ]

    def submit_dry_runs(self, jobs: list[tuple[str, str, Path]]) -> list[OsmosisResult]:
        """``submit_dry_run(kind, config, cwd=...)`` for each ``(kind, config, cwd)``, batched."""
        batch = [
            osmosis_job(cwd, kind, "submit", config, submit=True) for kind, config, cwd in jobs
        ]
        return self.run_many(batch, timeout=120)

    def eval_run(
        self,
        config: str,
        dataset_file: str,
        *,
        cwd: Path,
        model_base_url: str,
        name: str,
        extra: tuple[str, ...] = (),
        timeout: float = 500,
        **extra_env: str,
    ) -> OsmosisResult:
        """`osmosis --json eval run` with a fresh named run, its model served at ``model_base_url``.

        ``OPENAI_API_BASE`` sends LiteLLM's ``openai/*`` models (and anything the rollout asks
        through LiteLLM) to that URL, a fake server on 127.0.0.1 in tests; the key is a dummy.
        The rollout's own venv installs from the machine's uv cache (HOME is isolated, and an
        empty cache would download and unpack every wheel again, run after run).
        """
        extra_env.setdefault(
            "UV_CACHE_DIR", os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")
        )
        return self.run(
            "--json",
            "eval",
            "run",
            config,
            "--dataset-file",
            dataset_file,
            "--name",
            name,
            "--fresh",
            "--yes",
            *extra,
            cwd=cwd,
            timeout=timeout,
            OPENAI_API_BASE=model_base_url,
            OPENAI_API_KEY="sk-fake-not-a-key",
            **extra_env,
        )

    def pytest(
        self, *args: str, cwd: Path, timeout: float = 900, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        """``python -m pytest ARGS`` in this venv, forked from the worker's warm driver: the
        rollouts' frameworks are imported already (``PYTHONPATH`` in ``extra_env`` is honoured
        as an interpreter honours it)."""
        (main,) = self.venv.glob("lib/python3*/site-packages/pytest/__main__.py")  # argv[0]
        result = _osmosis_driver(self).run(
            OsmosisJob(args, cwd),
            self.env(**extra_env),
            timeout,
            entry="pytest:main",
            argv0=str(main),
        )
        command = [str(self.bin_dir / "python"), "-m", "pytest", *args]
        return subprocess.CompletedProcess(command, result.code, result.stdout, result.stderr)

    def python(self, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin_dir / "python"), *args],
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


class _Driver:
    """This worker's ``fork_driver.py`` process for one console script: one command at a time,
    each a child forked from it (that module says why the result is the same as a fresh
    process)."""

    def __init__(self, script: Path, entry: str, preload: tuple[str, ...], env: dict[str, str]):
        self.scratch = Path(tempfile.mkdtemp(prefix="fork-driver-"))
        self.script = str(script)
        self.log = self.scratch / "driver.log"
        python = script.with_name("python")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [str(python), str(FORK_DRIVER), self.script, entry, *preload],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=self.scratch,
            )
        self.pending = b""
        self.lock = threading.Lock()
        self.jobs = 0

    def _answer(self, deadline: float | None) -> dict[str, Any] | None:
        """The driver's next answer line, or None when ``deadline`` passed first."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                log = self.log.read_text(encoding="utf-8", errors="replace")
                raise AssertionError(f"the fork driver of {self.script} exited:\n{log[-5000:]}")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        answer: dict[str, Any] = json.loads(line)
        return answer

    def run(
        self, job: OsmosisJob, env: Mapping[str, str], timeout: float, **program: str
    ) -> OsmosisResult:
        """``job`` with exactly ``env``; ``program``: another ``entry`` and ``argv0`` (a
        ``python -m`` module) instead of the driver's script."""
        with self.lock:
            self.jobs += 1
            out, err = self.scratch / f"{self.jobs}.out", self.scratch / f"{self.jobs}.err"
            line = {"args": list(job.args), "cwd": str(job.cwd), "env": dict(env), **program}
            line |= {"out": str(out), "err": str(err)}
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps(line).encode() + b"\n")
            self.proc.stdin.flush()
            started = self._answer(None)
            assert started is not None
            done = self._answer(time.monotonic() + timeout)
            if done is None:  # as subprocess.run does: kill, reap, raise
                os.kill(started["pid"], signal.SIGKILL)
                self._answer(None)
                raise subprocess.TimeoutExpired([self.script, *job.args], timeout)
            result = OsmosisResult(
                done["code"],
                out.read_text(encoding="utf-8", errors="replace"),
                err.read_text(encoding="utf-8", errors="replace"),
            )
            out.unlink()
            err.unlink()
            return result

    def stop(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)
        shutil.rmtree(self.scratch, ignore_errors=True)


_DRIVERS: dict[Path, _Driver] = {}


def _driver(
    script: Path, entry: str, preload: tuple[str, ...], env: Callable[[], dict[str, str]]
) -> _Driver:
    """The warm driver of ``script`` (run by the Python beside it) in this process, started on
    first use with the environment ``env()``."""
    driver = _DRIVERS.get(script)
    if driver is None or driver.proc.poll() is not None:
        driver = _DRIVERS[script] = _Driver(script, entry, preload, env())
        atexit.register(driver.stop)
    return driver


def _osmosis_driver(osmosis: Osmosis) -> _Driver:
    """The driver of ``osmosis``, started with the environment its jobs run with (the preload
    reads it at import, HOME included)."""
    preload = ("osmosis_ai.cli.main", *ROLLOUT_IMPORTS, "pytest")
    return _driver(osmosis.bin_dir / "osmosis", "osmosis_ai.cli.main:main", preload, osmosis.env)


#: What every rendering ``osmosis-workspace`` command imports first (Copier, its prompt toolkit,
#: Jinja, YAML): most of a second per process. Not the CLI itself: Typer reads the terminal's
#: settings from the environment at import, so the child imports it with the job's.
CLI_PRELOAD = (
    "copier",
    "copier._main",
    "copier._template",
    "copier._vcs",
    "copier_template_extensions",
    "jinja2.sandbox",
    "jinja2_ansible_filters",
    "packaging.version",
    "yaml",
)


def run_cli(
    *args: str, cwd: Path, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``osmosis-workspace ARGS`` in ``cwd`` with exactly ``env``: a process forked from this
    worker's warm driver of the installed console script (stdin on /dev/null)."""
    script = Path(sys.executable).with_name("osmosis-workspace")
    driver = _driver(script, "osmosis_workspace.cli:app", CLI_PRELOAD, _driver_environ)
    result = driver.run(OsmosisJob(args, cwd), env, timeout)
    return subprocess.CompletedProcess(
        [str(script), *args], result.code, result.stdout, result.stderr
    )


def _driver_environ() -> dict[str, str]:
    """This worker's environment without what names the test that happens to start it."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
