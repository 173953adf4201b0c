"""Shared helpers for the update-safety, interruption and concurrency tests.

``full_state`` is what "the user's bytes are sacred" means in these tests: every file under the
workspace (ignored ones too) with its bytes and mode, every link's target, the raw bytes of the
git index (flags and all), HEAD, and which operation state git holds for us.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from osmosis_workspace.engine.stops import ARMED_ENV, ARMED_VALUE, ENV
from support.helpers import git
from support.shared import shared_build
from support.template_repo import V1, V2, TemplateRepo, commit_all
from support.workspace_api_helpers import DEFAULT_ANSWERS

V3 = "v3.0.0"
#: A workspace without the worked examples: fewer files, so updates run faster.
SMALL = {**DEFAULT_ANSWERS, "include_examples": False}
#: What v3 of the private-files template ships besides v2.
V3_FILES = {".env": "OPENAI_API_KEY=\n", ".osmosis/notes.md": "# Notes\n", "TODO.md": "# To do\n"}


def full_state(root: Path) -> dict[str, Any]:
    """Files (bytes + mode), links, the index file's bytes, HEAD and the op state folder."""
    tree: dict[str, Any] = {}
    for base, dirs, files in os.walk(root):
        rel_base = Path(base).relative_to(root)
        if rel_base.parts[:1] == (".git",):
            continue
        for name in sorted(files + [d for d in dirs if os.path.islink(os.path.join(base, d))]):
            path = Path(base, name)
            rel = (rel_base / name).as_posix()
            if rel == ".git":
                continue
            if path.is_symlink():
                tree[rel] = ("link", os.readlink(path))
            else:
                tree[rel] = (stat.S_IMODE(path.stat().st_mode), path.read_bytes())
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(base, d))]
    state_dir = root / ".git" / "osmosis-workspace"
    return {
        "tree": tree,
        "index": (root / ".git" / "index").read_bytes(),
        "flags": git("ls-files", "-v", cwd=root).stdout,
        "head": git("rev-parse", "HEAD", cwd=root).stdout,
        "op_state": sorted(p.name for p in state_dir.iterdir()) if state_dir.is_dir() else [],
    }


def stop_env(phase: str) -> dict[str, str]:
    """Environment that makes the CLI SIGKILL itself at ``phase`` (engine.stops)."""
    return {ENV: phase, ARMED_ENV: ARMED_VALUE}


def private_files_repo(factory: pytest.TempPathFactory, repo: TemplateRepo) -> TemplateRepo:
    """The shared v1/v2 template plus a v3 that ships ``V3_FILES`` (an .env, a file in the
    ignored .osmosis/ folder, and TODO.md), built once per session."""

    def build(root: Path) -> None:
        dest = root / "osmosis-workspace"
        git("clone", "-q", str(repo.path), str(dest), cwd=root)
        for rel, text in V3_FILES.items():
            target = dest / "template" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        commit_all(dest, "Template v3: private and local files", V3)

    return TemplateRepo(shared_build(factory, "private-files-repo", build) / "osmosis-workspace")


TINY_COPIER_YML = "_subdirectory: template\nname:\n  type: str\n  default: tiny\n"


def tiny_template(factory: pytest.TempPathFactory) -> TemplateRepo:
    """The smallest real template with two releases (built once per session): v2 edits
    README.md, deletes OLD.md and adds its own ./docs/NEW.md; it ignores .env like the real one."""

    def build(root: Path) -> None:
        tpl = root / "template"
        tpl.mkdir(parents=True)
        (root / "copier.yml").write_text(TINY_COPIER_YML)
        (tpl / "{{_copier_conf.answers_file}}.jinja").write_text(
            "{{ _copier_answers | to_nice_yaml -}}\n"
        )
        (tpl / ".gitignore").write_text(".env\n")
        (tpl / "README.md.jinja").write_text("# {{ name }}\n")
        (tpl / "OLD.md").write_text("retired in v2\n")
        git("init", "-q", "-b", "main", cwd=root)
        commit_all(root, "v1", V1)
        (tpl / "README.md.jinja").write_text("# {{ name }}\n\nA second paragraph in v2.\n")
        (tpl / "OLD.md").unlink()
        (tpl / "docs").mkdir()
        (tpl / "docs" / "NEW.md").write_text("arrived in v2\n")
        commit_all(root, "v2", V2)

    return TemplateRepo(shared_build(factory, "tiny-template", build))


def small_workspace(factory: pytest.TempPathFactory, repo: TemplateRepo, version: str = V1) -> Path:
    """A committed workspace without examples, made once per session per template and version."""
    from osmosis_workspace.api import CreateOptions, create_workspace

    name = SMALL["workspace_name"]
    key = f"small-{repo.path.parent.name}-{repo.path.name}-{version}"
    built = shared_build(
        factory,
        key,
        lambda p: create_workspace(
            p / name, SMALL, CreateOptions(template=repo.location, ref=version)
        ),
    )
    return built / name


__all__ = [
    "SMALL",
    "V1",
    "V2",
    "V3",
    "full_state",
    "private_files_repo",
    "small_workspace",
    "stop_env",
    "tiny_template",
]
