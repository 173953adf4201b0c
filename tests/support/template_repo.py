"""The one throwaway template repository builder: this template at v1.0.0, and a v2.0.0 on top.

Update tests need a template with history, and the real repository's history is not theirs to
shape. ``build_template_repo`` copies the template (or, with ``whole_repository``, every file git
lists, which makes the copy an installable osmosis-workspace package as a workspace's CI finds
it), commits it as ``v1.0.0``, then makes ``v2.0.0``, which

* adds the skill ``fixture-fresh``, removes ``fixture-retired`` and appends a line to
  ``fixture-kept`` (an edited skill),
* appends a section to ``AGENTS.md.jinja`` (an edited file),
* renames ``data/README.md`` to ``data/DATASETS.md`` and deletes ``rollouts/README.md``.

The fixture skills and files are written by the builder, so the scenarios do not depend on the
real skills, which other work changes. Builds are shared by every xdist worker of a run
(``shared_template_repo``); tests only read them (clone one to add a release).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.helpers import ROOT, git
from support.shared import shared_build

V1, V2 = "v1.0.0", "v2.0.0"
TEMPLATE_PARTS = ("copier.yml", "template", "extensions", "includes", "migrations")
SKILL_KEPT, SKILL_RETIRED, SKILL_FRESH = "fixture-kept", "fixture-retired", "fixture-fresh"
V2_SKILL_LINE = "Release 2 of the template adds this line."
AGENTS_V2_SECTION = "\n## Added in template v2\n\nThis section arrived with template v2.\n"
SKILL_BODY = """---
name: {name}
description: {title} for the update tests. Use when the update tests need a skill that {when}.
---

# {title}

Follow the steps. Read [the notes](references/notes.md) when the steps are not enough.
"""


@dataclass(frozen=True)
class TemplateRepoOptions:
    """What the throwaway repository holds besides the v1/v2 scenario.

    ``whole_repository``: every file git lists in this checkout (tracked and new, as they are
    now), not only the template parts; slower to copy and clone, so only for tests that install
    the package from the template repository.
    """

    whole_repository: bool = False


@dataclass(frozen=True)
class TemplateRepo:
    path: Path
    v1: str = V1
    v2: str = V2

    @property
    def location(self) -> str:
        return str(self.path)

    def skill_file(self, skill: str) -> str:
        return f".agents/skills/{skill}/SKILL.md"


def copy_template_files(dest: Path) -> Path:
    """The template parts of this checkout (copier.yml, template/, extensions/, ...)."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".DS_Store")
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, symlinks=True, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, dest / part)
    return dest


def copy_repository_files(dest: Path) -> Path:
    """Every file git lists in this checkout (tracked and new, not ignored), links kept."""
    listed = git("ls-files", "-co", "--exclude-standard", "-z", cwd=ROOT).stdout.split("\0")
    for rel in filter(None, listed):
        source, target = ROOT / rel, dest / rel
        if not (source.exists() or source.is_symlink()):
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
    return dest


def write_skill(template_root: Path, name: str, when: str) -> Path:
    skill = template_root / "template" / ".agents" / "skills" / name
    (skill / "references").mkdir(parents=True, exist_ok=True)
    title = name.replace("-", " ").capitalize()
    (skill / "SKILL.md").write_text(SKILL_BODY.format(name=name, when=when, title=title))
    (skill / "references" / "notes.md").write_text(f"# Notes for {name}\n\nNothing more.\n")
    return skill / "SKILL.md"


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)
    if tag:
        git("tag", tag, cwd=repo)


def build_template_repo(
    dest: Path, options: TemplateRepoOptions = TemplateRepoOptions()
) -> TemplateRepo:
    """The v1/v2 template repository described in the module docstring, at ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    (copy_repository_files if options.whole_repository else copy_template_files)(dest)
    write_skill(dest, SKILL_KEPT, "both template versions ship")
    write_skill(dest, SKILL_RETIRED, "a later template version removes")
    (dest / "template" / "data" / "README.md").write_text("# Data\n\nDatasets live here.\n")
    (dest / "template" / "rollouts" / "README.md").write_text("# Rollouts\n\nOne per folder.\n")
    git("init", "-q", "-b", "main", cwd=dest)
    commit_all(dest, "Template v1", V1)

    shutil.rmtree(dest / "template" / ".agents" / "skills" / SKILL_RETIRED)
    write_skill(dest, SKILL_FRESH, "a later template version adds")
    kept = dest / "template" / TemplateRepo(dest).skill_file(SKILL_KEPT)
    kept.write_text(kept.read_text() + V2_SKILL_LINE + "\n")
    agents = dest / "template" / "AGENTS.md.jinja"
    agents.write_text(agents.read_text() + AGENTS_V2_SECTION)
    data = dest / "template" / "data"
    os.replace(data / "README.md", data / "DATASETS.md")
    (data / "DATASETS.md").write_text("# Data\n\nDatasets live here, one file each.\n")
    (dest / "template" / "rollouts" / "README.md").unlink()
    commit_all(dest, "Template v2", V2)
    return TemplateRepo(dest)


def shared_template_repo(
    factory: pytest.TempPathFactory, options: TemplateRepoOptions = TemplateRepoOptions()
) -> TemplateRepo:
    """:func:`build_template_repo` once per run (all xdist workers), one build per options."""
    name = "template-repo-whole" if options.whole_repository else "template-repo"
    path = shared_build(
        factory, name, lambda p: build_template_repo(p / "osmosis-workspace", options)
    )
    return TemplateRepo(path / "osmosis-workspace")
