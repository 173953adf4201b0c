"""Helpers for tests/acceptance/test_github_project.py: workflow commands, a two-tag template, uv.

Kept apart from ``helpers.py`` so the GitHub-project tests can grow without touching shared code.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomlkit
import yaml

from support.helpers import Osmosis, git, load_by_path
from support.template_repo import (
    SKILL_FRESH,
    SKILL_KEPT,
    SKILL_RETIRED,
    V1,
    V2,
    V2_SKILL_LINE,
    TemplateRepo,
    TemplateRepoOptions,
    shared_template_repo,
)

# ---------------------------------------------------------------------------------------------
# Workflows and hooks
# ---------------------------------------------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    """A workflow as data; PyYAML reads the key `on` as True, so put it back under "on"."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def run_scripts(workflow: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(step name, shell script) of every `run:` step of every job."""
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if "run" in step:
                yield step.get("name", step["run"].splitlines()[0]), step["run"]


def step_script(workflow: dict[str, Any], name_start: str) -> str:
    matches = [script for name, script in run_scripts(workflow) if name.startswith(name_start)]
    assert len(matches) == 1, f"expected one step named {name_start!r}"
    return matches[0]


#: The command word, not a requirement such as ``"osmosis-workspace @ git+..."`` (uvx --from).
_CLI_WORD = re.compile(r"(?:^|(?<=[\s(`$\"']))osmosis-workspace(?=\s|$)(?!\s+@)")


def cli_commands(text: str) -> Iterator[list[str]]:
    """Words after each `osmosis-workspace` command word in shell text (until shell syntax)."""
    for line in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line)
        for match in _CLI_WORD.finditer(line):
            try:
                tokens = shlex.split(line[match.end() :])
            except ValueError:
                tokens = line[match.end() :].split()
            words: list[str] = []
            for token in tokens:
                if token in {"&&", "||", "|", ";", ">", "2>&1"} or token.startswith("#"):
                    break
                words.append(token)
            yield words


def osmosis_workspace_exe() -> Path:
    """The CLI installed in this project's venv (the same folder as the running Python)."""
    return Path(sys.executable).parent / "osmosis-workspace"


def cli_help(words: list[str]) -> subprocess.CompletedProcess[str]:
    """``osmosis-workspace <words> --help``, run once per run for each command (the docs name
    the same few commands many times)."""
    return _cli_help(tuple(words))


@functools.cache
def _cli_help(words: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(osmosis_workspace_exe()), *words, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def cli_command_problem(words: list[str]) -> str:
    """Why `osmosis-workspace <words>` would not run, or "" (subcommand and flags exist)."""
    if not words or words[0].startswith("-"):
        return "no subcommand"
    helped = cli_help(words[:1])
    if helped.returncode != 0:
        return f"`osmosis-workspace {words[0]}` does not exist: {helped.stderr.strip()[-300:]}"
    for flag in (w.split("=", 1)[0] for w in words[1:] if w.startswith("--")):
        if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", helped.stdout):
            return f"`osmosis-workspace {words[0]}` has no option {flag}"
    return ""


# ---------------------------------------------------------------------------------------------
# The template repository with two releases, as a workspace's CI installs it
# ---------------------------------------------------------------------------------------------


def shared_published_template(factory: pytest.TempPathFactory) -> TemplateRepo:
    """The one template-repository builder (``support.template_repo``) over the whole
    repository (an installable osmosis-workspace package too) at tags v1.0.0 and v2.0.0, once
    per run."""
    return shared_template_repo(factory, TemplateRepoOptions(whole_repository=True))


def with_bare_origin(workspace: Path, origin: Path) -> Path:
    """Give a committed workspace a local bare repository as `origin`, with main pushed."""
    git("init", "-q", "--bare", str(origin), cwd=workspace.parent)
    git("remote", "add", "origin", str(origin), cwd=workspace)
    git("push", "-q", "origin", "main", cwd=workspace)
    return workspace


def load_script(path: Path) -> ModuleType:
    """Import a rendered script as a fresh module (each test gets its own copy)."""
    return load_by_path(f"template_update_{id(path)}", path)


class GitHubRecorder:
    """Stands in for the script's `github_api`: records each call, answers like GitHub."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any] | None]] = []

    def __call__(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        self.calls.append((method, path, payload))
        if method == "POST" and path.endswith("/pulls"):
            return {"number": 7, "html_url": "https://github.com/acme/demo-task/pull/7"}
        return [{"name": name} for name in (payload or {}).get("labels", [])]

    def pull_request(self) -> dict[str, Any]:
        created = [p for m, path, p in self.calls if m == "POST" and path.endswith("/pulls")]
        assert len(created) == 1, self.calls
        return created[0] or {}

    def labels(self) -> list[str]:
        return [
            label
            for m, path, p in self.calls
            if path.endswith("/labels")
            for label in (p or {}).get("labels", [])
        ]


# ---------------------------------------------------------------------------------------------
# uv
# ---------------------------------------------------------------------------------------------


def uv_env(osmosis: Osmosis, **extra: str) -> dict[str, str]:
    """The osmosis test environment, but with uv's normal cache (warm across sessions)."""
    cache = subprocess.run(
        [str(osmosis.bin_dir / "uv"), "cache", "dir"], capture_output=True, text=True, check=True
    ).stdout.strip()
    env = osmosis.env(UV_CACHE_DIR=cache, **extra)
    env.pop("UV_PROJECT_ENVIRONMENT", None)
    return env


def add_rollout_to_root_pyproject(workspace: Path, name: str) -> None:
    """What `osmosis-workspace add-rollout` must do to the root pyproject.toml (tomlkit)."""
    path = workspace / "pyproject.toml"
    doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    doc["dependency-groups"]["rollouts"].append(name)
    source = tomlkit.inline_table()
    source.update({"path": f"rollouts/{name}", "editable": True})
    doc["tool"]["uv"]["sources"][name] = source
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")


__all__ = [
    "SKILL_FRESH",
    "SKILL_KEPT",
    "SKILL_RETIRED",
    "V1",
    "V2",
    "V2_SKILL_LINE",
    "TemplateRepo",
]
