"""Helpers for the CLI/API tests: throw-away template repositories with release tags.

The update tests need a template with history. ``build_template_repo`` copies this repository's
template files (``copier.yml``, ``template/``, ``extensions/``, ``includes/``) to a temp folder,
commits them as ``v1.0.0``, then makes a second release ``v2.0.0`` that

* adds the skill ``fixture-fresh`` and removes the skill ``fixture-retired``,
* appends a section to ``AGENTS.md.jinja`` (an edited file),
* renames ``data/README.md`` to ``data/DATASETS.md`` and deletes ``rollouts/README.md``.

The fixture skills and files are written by the builder, so the scenarios do not depend on the
real skills, which other work changes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.helpers import ROOT, Osmosis, OsmosisResult, git

TEMPLATE_PARTS = ("copier.yml", "template", "extensions", "includes", "migrations")
V1, V2 = "v1.0.0", "v2.0.0"
AGENTS_V2_SECTION = "\n## Added in template v2\n\nThis section arrived with template v2.\n"
SKILL_BODY = """---
name: {name}
description: {description} Use when the update tests need a skill that {when}.
---

# {title}

Follow the steps. Read [the notes](references/notes.md) when the steps are not enough.
"""


@dataclass(frozen=True)
class TemplateRepo:
    path: Path
    v1: str = V1
    v2: str = V2

    @property
    def location(self) -> str:
        return str(self.path)


def copy_template_files(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, symlinks=True, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, dest / part)
    return dest


def write_skill(template_root: Path, name: str, when: str) -> None:
    skill = template_root / "template" / ".agents" / "skills" / name
    (skill / "references").mkdir(parents=True, exist_ok=True)
    title = name.replace("-", " ").capitalize()
    (skill / "SKILL.md").write_text(SKILL_BODY.format(
        name=name, description=f"{title} for the update tests.", when=when, title=title))
    (skill / "references" / "notes.md").write_text(f"# Notes for {name}\n\nNothing more.\n")


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)
    if tag:
        git("tag", tag, cwd=repo)


def build_template_repo(dest: Path) -> TemplateRepo:
    """The v1/v2 template repository described in the module docstring."""
    copy_template_files(dest)
    write_skill(dest, "fixture-retired", "a later template version removes")
    (dest / "template" / "data" / "README.md").write_text("# Data\n\nDatasets live here.\n")
    (dest / "template" / "rollouts" / "README.md").write_text("# Rollouts\n\nOne per folder.\n")
    git("init", "-q", "-b", "main", cwd=dest)
    commit_all(dest, "Template v1", V1)

    shutil.rmtree(dest / "template" / ".agents" / "skills" / "fixture-retired")
    write_skill(dest, "fixture-fresh", "a later template version adds")
    agents = dest / "template" / "AGENTS.md.jinja"
    agents.write_text(agents.read_text() + AGENTS_V2_SECTION)
    data = dest / "template" / "data"
    os.replace(data / "README.md", data / "DATASETS.md")
    (data / "DATASETS.md").write_text("# Data\n\nDatasets live here, one file each.\n")
    (dest / "template" / "rollouts" / "README.md").unlink()
    commit_all(dest, "Template v2", V2)
    return TemplateRepo(dest)


def add_release(repo: TemplateRepo, dest: Path, tag: str, copier_yml_extra: str) -> TemplateRepo:
    """A clone of ``repo`` with one more release whose ``copier.yml`` gains ``copier_yml_extra``."""
    git("clone", "-q", str(repo.path), str(dest), cwd=dest.parent)
    git("fetch", "-q", "--tags", cwd=dest)
    config = dest / "copier.yml"
    config.write_text(config.read_text() + "\n" + copier_yml_extra)
    commit_all(dest, f"Template {tag}", tag)
    return TemplateRepo(dest)


# ---------------------------------------------------------------------------------------------
# Shared, session-wide builds (module-level cache: several test modules use them)
# ---------------------------------------------------------------------------------------------

_SHARED: dict[str, Any] = {}
DEFAULT_ANSWERS = {"workspace_name": "demo-task"}


def shared(key: str, build: Callable[[], Any]) -> Any:
    """Build something once per test session, whichever module asks first."""
    if key not in _SHARED:
        _SHARED[key] = build()
    return _SHARED[key]


def shared_template_repo(factory: Any) -> TemplateRepo:
    return shared("template-repo", lambda: build_template_repo(
        factory.mktemp("template-repo") / "osmosis-workspace"))


def shared_workspace(factory: Any, repo: TemplateRepo, version: str,
                     answers: dict[str, Any] | None = None, key: str = "") -> Path:
    """A workspace created (and committed) by the API at ``version``; copy before changing it."""
    from osmosis_workspace.api import CreateOptions, create_workspace

    answers = answers or DEFAULT_ANSWERS

    def build() -> Path:
        dest = factory.mktemp(f"ws-{version}{key}") / answers["workspace_name"]
        create_workspace(dest, answers, CreateOptions(template=repo.location, ref=version))
        return dest

    return shared(f"workspace-{version}-{key}", build)


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


def osmosis_batch(osmosis: Osmosis, jobs: list[dict[str, Any]], work: Path
                  ) -> list[OsmosisResult]:
    """Run the jobs through the real osmosis CLI code; one result per job, in order."""
    jobs_file, results_file = work / "osmosis-jobs.json", work / "osmosis-results.json"
    jobs_file.write_text(json.dumps(jobs))
    proc = subprocess.run(
        [str(osmosis.bin_dir / "python"), "-c", OSMOSIS_BATCH_DRIVER, str(jobs_file),
         str(results_file)],
        env=osmosis.env(), capture_output=True, text=True, timeout=900, cwd=work,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"osmosis batch driver failed:\n{proc.stderr[-3000:]}"
    return [OsmosisResult(r["code"], r["stdout"], r["stderr"])
            for r in json.loads(results_file.read_text())]


def submit_passed(result: OsmosisResult) -> bool:
    """A submit dry-run passed every local check (it stopped at the confirmation)."""
    return result.code == 1 and result.error_code == "INTERACTIVE_REQUIRED"


def error_text(result: OsmosisResult) -> str:
    error = result.payload.get("error")
    return json.dumps(error) if error else result.stdout + result.stderr


def run_entry_point(*args: str, cwd: Path, env: dict[str, str] | None = None,
                    timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The installed ``osmosis-workspace`` console script, as a user runs it."""
    exe = Path(sys.executable).with_name("osmosis-workspace")
    return subprocess.run([str(exe), *args], cwd=cwd, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def release_changing_every_rollout(dest: Path, repo: TemplateRepo, tag: str,
                                   line: str) -> TemplateRepo:
    """A clone of ``repo`` at ``dest`` plus a release ``tag`` whose rollout README gains
    ``line`` (so every rollout, starter or added, changes upstream)."""
    subprocess.run(["git", "clone", "-q", str(repo.path), str(dest)], check=True, cwd=dest.parent)
    readme = dest / "template" / "rollouts" / "{{rollout_name}}" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    commit_all(dest, f"Template {tag}", tag)
    return TemplateRepo(dest)
