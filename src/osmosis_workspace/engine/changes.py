"""What an update did to a workspace, read back from git: changes, conflicts, dangling links.

Copier reports nothing useful itself: conflicts still exit 0 (Copier 9.19.1, verified), so every
finding here comes from the working tree compared with the last commit.
"""

from __future__ import annotations

import os
from pathlib import Path

from osmosis_workspace.engine.git import git_out
from osmosis_workspace.results import ChangeSummary, SkillChanges

SKILLS_DIR = ".agents/skills"
#: Copier's inline conflict markers, as git merge-file writes them.
CONFLICT_START = "<<<<<<< "
CONFLICT_END = ">>>>>>> "


def status_entries(repo: Path) -> list[tuple[str, str]]:
    """``(XY, path)`` for every change against HEAD, untracked files included."""
    out = git_out(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], repo)
    return [(entry[:2], entry[3:]) for entry in out.split("\0") if entry]


def summarize(repo: Path, head_skills: set[str]) -> ChangeSummary:
    """Group the working-tree changes: skills added/changed/removed, then all other files."""
    added, modified, deleted = [], [], []
    touched_skills: set[str] = set()
    for status, path in status_entries(repo):
        if status == "??" or "A" in status:
            added.append(path)
        elif "D" in status and not (repo / path).exists() and not (repo / path).is_symlink():
            deleted.append(path)
        else:
            modified.append(path)
        if path.startswith(SKILLS_DIR + "/"):
            touched_skills.add(path.split("/")[2])
    now = skill_names(repo)
    skills = SkillChanges(
        added=tuple(sorted(now - head_skills)),
        removed=tuple(sorted(head_skills - now)),
        changed=tuple(sorted(touched_skills & now & head_skills)),
    )
    in_skills = [p for p in added + modified + deleted if p.startswith(SKILLS_DIR + "/")]
    return ChangeSummary(
        skills=skills,
        added=tuple(sorted(p for p in added if p not in in_skills)),
        modified=tuple(sorted(p for p in modified if p not in in_skills)),
        deleted=tuple(sorted(p for p in deleted if p not in in_skills)),
    )


def skill_names(repo: Path) -> set[str]:
    folder = repo / SKILLS_DIR
    if not folder.is_dir():
        return set()
    return {p.name for p in folder.iterdir() if p.is_dir()}


def head_skill_names(repo: Path) -> set[str]:
    out = git_out(["ls-tree", "-d", "--name-only", "HEAD", f"{SKILLS_DIR}/"], repo)
    return {line.rsplit("/", 1)[-1] for line in out.splitlines() if line}


def conflicts(repo: Path) -> list[str]:
    """Files needing a human: unmerged index entries, ``*.rej`` files, conflict markers."""
    found: set[str] = set()
    for line in git_out(["ls-files", "-u", "-z"], repo).split("\0"):
        if "\t" in line:
            found.add(line.split("\t", 1)[1])
    for status, path in status_entries(repo):
        if path.endswith(".rej") or ("D" not in status and has_conflict_markers(repo / path)):
            found.add(path)
    return sorted(found)


def has_conflict_markers(path: Path) -> bool:
    """True when a text file holds a complete ``<<<<<<<`` ... ``>>>>>>>`` block."""
    if path.is_symlink() or not path.is_file():
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    start = end = False
    for line in text.splitlines():
        if line.startswith(CONFLICT_START) or line == CONFLICT_START.strip():
            start = True
        elif start and (line.startswith(CONFLICT_END) or line == CONFLICT_END.strip()):
            end = True
            break
    return start and end


def symlinks(repo: Path) -> list[str]:
    """Every link in the working tree that git tracks or would track (ignored ones excluded)."""
    out = git_out(["ls-files", "-co", "--exclude-standard", "-z"], repo)
    return [p for p in out.split("\0") if p and (repo / p).is_symlink()]


def dangling(repo: Path) -> set[str]:
    return {p for p in symlinks(repo) if not (repo / p).exists()}


def prune_dangling_links(repo: Path, before: set[str]) -> list[str]:
    """Delete links that dangle now but did not before (a removed skill's link, for example).

    Copier 9.19.1 leaves them behind (its old-file removal skips links); links that already
    dangled are the user's business and are left alone.
    """
    pruned = []
    for rel in sorted(dangling(repo) - before):
        os.unlink(repo / rel)
        pruned.append(rel)
    return pruned
