"""Workspace layout: what ``osmosis doctor`` requires, the agent files, git, leftover conflicts.

``osmosis doctor`` (osmosis-ai 0.3.8) requires the folders ``rollouts/``, ``configs/training/``,
``configs/eval/`` and ``data/`` and the files ``AGENTS.md``, ``CLAUDE.md`` and
``configs/AGENTS.md`` (existence only), inside a git repository whose top level is the
workspace. The stricter rules on ``CLAUDE.md`` come from Claude Code's memory rules: a regular file
(``osmosis doctor --fix`` refuses links) that imports ``@AGENTS.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from osmosis_workspace.checks.model import CheckContext, Problem

REQUIRED_DIRS = ("rollouts", "configs/training", "configs/eval", "data")
AGENT_FILES = ("AGENTS.md", "CLAUDE.md", "configs/AGENTS.md")
MAX_IMPORT_DEPTH = 4
MAX_SCANNED_BYTES = 1 << 20
_IMPORT_RE = re.compile(r"(?:^|\s)@([^\s`]+)")


def check(ctx: CheckContext) -> Iterator[Problem]:
    yield from _git(ctx)
    for folder in REQUIRED_DIRS:
        if not (ctx.root / folder).is_dir():
            yield Problem(
                f"{folder}/",
                "missing required folder (osmosis doctor): run "
                "`osmosis doctor --fix` or create it with a .gitkeep",
                "layout",
            )
    for name in AGENT_FILES:
        if not (ctx.root / name).exists():
            yield Problem(name, "missing (osmosis doctor requires it)", "layout")
    yield from _links(ctx)
    yield from _agents_md(ctx)
    yield from _claude_md(ctx)
    yield from _leftovers(ctx)


#: Paths ``osmosis doctor --fix`` refuses to work through when they are symbolic links (and
#: that Windows checkouts turn into text files).
NO_LINKS = ("AGENTS.md", "configs", "configs/AGENTS.md", "rollouts", "data")


def _links(ctx: CheckContext) -> Iterator[Problem]:
    for name in NO_LINKS:
        if (ctx.root / name).is_symlink():
            kind = "file" if "." in name else "folder"
            yield Problem(
                name,
                f"is a symbolic link: make it a regular {kind} (`osmosis doctor "
                "--fix` refuses links, and Windows checkouts turn them into "
                "text files)",
                "layout",
            )


def _git(ctx: CheckContext) -> Iterator[Problem]:
    dot_git = ctx.root / ".git"
    if not dot_git.exists():
        yield Problem(
            ".",
            "not the top level of a git repository: osmosis treats the enclosing "
            "repository (or none) as the workspace; run `git init` here",
            "git",
        )


def _agents_md(ctx: CheckContext) -> Iterator[Problem]:
    agents = ctx.root / "AGENTS.md"
    if agents.is_file() and not agents.read_text(encoding="utf-8", errors="replace").strip():
        yield Problem("AGENTS.md", "is empty: coding agents get no instructions", "agents")


def _claude_md(ctx: CheckContext) -> Iterator[Problem]:
    claude = ctx.root / "CLAUDE.md"
    if not claude.exists() and not claude.is_symlink():
        return
    if claude.is_symlink():
        yield Problem(
            "CLAUDE.md",
            "is a symbolic link: make it a regular file that imports "
            "@AGENTS.md (`osmosis doctor --fix` refuses links, and "
            "Windows checkouts turn links into text files)",
            "agents",
        )
        return
    if not claude.is_file():
        yield Problem("CLAUDE.md", "is not a regular file", "agents")
        return
    text = claude.read_text(encoding="utf-8", errors="replace")
    if text.strip() == "AGENTS.md":
        yield Problem(
            "CLAUDE.md",
            "holds only the text 'AGENTS.md': a symbolic link checked out "
            "with core.symlinks=false; replace it with a file whose first "
            "line is @AGENTS.md",
            "agents",
        )
        return
    imports = _imports(text)
    if "AGENTS.md" not in imports:
        yield Problem(
            "CLAUDE.md",
            "does not import @AGENTS.md: Claude Code will not read the "
            "shared instructions (add a line '@AGENTS.md')",
            "agents",
        )
    yield from _resolve_imports(ctx, claude, imports, depth=1)


def _imports(text: str) -> list[str]:
    """``@path`` imports outside code fences and inline code (Claude Code's rule)."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        line = re.sub(r"`[^`]*`", "", line)
        line = re.sub(r"<!--.*?-->", "", line)
        found += [
            m.rstrip(".,;:)") for m in _IMPORT_RE.findall(line) if "/" in m or m.endswith(".md")
        ]
    return found


def _resolve_imports(
    ctx: CheckContext, source: Path, imports: list[str], depth: int
) -> Iterator[Problem]:
    for target in imports:
        if target.startswith("~"):
            continue  # a personal file outside the repository: Claude asks before reading it
        path = source.parent / target
        rel = ctx.rel(source)
        resolved = Path(os.path.normpath(path))
        if not str(resolved).startswith(str(ctx.root)):
            yield Problem(rel, f"imports @{target}, which is outside the workspace", "agents")
        elif not resolved.is_file():
            yield Problem(rel, f"imports @{target}, which does not exist", "agents")
        elif depth >= MAX_IMPORT_DEPTH:
            yield Problem(
                rel,
                f"@{target} is nested deeper than {MAX_IMPORT_DEPTH} imports "
                "(Claude Code stops there)",
                "agents",
            )
        else:
            text = resolved.read_text(encoding="utf-8", errors="replace")
            yield from _resolve_imports(ctx, resolved, _imports(text), depth + 1)


def _leftovers(ctx: CheckContext) -> Iterator[Problem]:
    """``*.rej`` files and conflict markers an update left behind (never commit them)."""
    from osmosis_workspace.engine.changes import has_conflict_markers

    for rel in ctx.files():
        if rel.endswith(".rej"):
            yield Problem(
                rel,
                "rejected hunk left by an update: apply it by hand, then delete the file",
                "conflicts",
            )
        elif _texty(rel) and _small(ctx.root / rel) and has_conflict_markers(ctx.root / rel):
            yield Problem(
                rel,
                "contains merge-conflict markers (<<<<<<< ... >>>>>>>): resolve them",
                "conflicts",
            )


_BINARY_SUFFIXES = (
    ".parquet",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".pdf",
    ".zip",
    ".gz",
    ".whl",
    ".pyc",
    ".so",
    ".bin",
    ".lock",
)


def _small(path: Path) -> bool:
    """Updates only merge template files, which are small; big data files are not scanned."""
    import stat

    try:
        info = path.stat()  # a link to a device or FIFO is not read (it could never end)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size <= MAX_SCANNED_BYTES


def _texty(rel: str) -> bool:
    return not rel.lower().endswith(_BINARY_SUFFIXES)
