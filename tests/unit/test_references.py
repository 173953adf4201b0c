"""Nothing in the repository refers to a file that is not in it.

Two kinds of reference are checked, in every file we write (Markdown, Python, TOML, YAML outside
``template/`` and ``includes/``):

* every relative link of our Markdown (``[text](path)`` and ``[label]: path``) names a file or
  folder that exists, relative to the Markdown file;
* every mention of a repository path, a word starting with one of our top-level folders
  (``src/``, ``tests/``, ``docs/``, ``bench/``, ``scripts/``, ``extensions/``, ``includes/``,
  ``template/``, ``migrations/``), names a file or folder of this repository, relative to its
  root. In Python only comments and docstrings are read: a string in code is data (a path in a
  temporary workspace, a pattern), not a reference.

Two namespaces, one rule. What ``template/`` and ``includes/`` hold is rendered into a
*generated workspace*, whose paths (``rollouts/<name>/...``, ``configs/...``, ``.agents/skills/
...``) exist only after rendering; those files are not read here (the template's own tests check
the links inside a rendered workspace). Everywhere else a path mention is a repository path, so
a workspace path must be written with a workspace-only first folder (``rollouts/``,
``configs/``, ``data/``, ``tools/``, ``.agents/``, ...), which this test never checks. A mention
of a rendered file may leave out its ``.jinja`` suffix (``template/README.md`` is
``template/README.md.jinja``), and a Copier-templated name matches any name in its folder
(``template/rollouts/{{rollout_name}}/``). Words holding a placeholder (``<name>``,
``NNNN``, ``X.Y.Z``, ``*``, ``$VAR``) are patterns, not paths, and are left alone.
"""

from __future__ import annotations

import ast
import functools
import io
import os
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

from support.helpers import ROOT

#: Top-level folders of this repository: a word starting with one of them is a path in it.
REPO_FOLDERS = (
    "src",
    "tests",
    "docs",
    "bench",
    "scripts",
    "extensions",
    "includes",
    "template",
    "migrations",
)
#: Rendered into the workspace: their paths are the workspace's, not ours.
WORKSPACE_SOURCES = ("template", "includes")
SKIP_DIRS = {
    ".git",
    ".venv",
    ".cache",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".mypy_cache",
    "node_modules",
    "demo",
    "build",
    "dist",
}
SUFFIXES = {".md", ".py", ".toml", ".yml", ".yaml"}

MENTION = re.compile(r"(?<![\w./~-])(?:" + "|".join(REPO_FOLDERS) + r")/[\w./{}<>*$@+-]*")
MD_LINK = re.compile(r"\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
MD_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
PLACEHOLDER = re.compile(r"[<>*$]|NNNN|X\.Y\.Z|\.\.\.")
JINJA_NAME = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


def our_files() -> Iterator[Path]:
    """The files we write (not the workspace sources, nor tools' caches and venvs)."""
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = Path(dirpath).relative_to(ROOT)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in SKIP_DIRS
            and not (rel == Path() and d in WORKSPACE_SOURCES)
            and not (d.startswith(".") and d != ".github")
        )
        for name in sorted(filenames):
            if Path(name).suffix in SUFFIXES:
                yield Path(dirpath) / name


def python_prose(text: str) -> str:
    """The comments and docstrings of a Python file, one per line."""
    parts = [
        tok.string
        for tok in tokenize.generate_tokens(io.StringIO(text).readline)
        if tok.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                parts.append(doc)
    return "\n".join(parts)


def _segment_exists(folder: Path, segment: str) -> list[Path]:
    """Entries of ``folder`` a mention's segment can name (Jinja names match any entry)."""
    if JINJA_NAME.search(segment):
        pattern = re.compile(".*".join(re.escape(p) for p in JINJA_NAME.split(segment)) + "$")
        return [p for p in folder.iterdir() if pattern.match(p.name)] if folder.is_dir() else []
    for candidate in (folder / segment, folder / f"{segment}.jinja"):
        if candidate.exists() or candidate.is_symlink():
            return [candidate]
    return []


def resolves(mention: str) -> bool:
    found = [ROOT]
    for segment in filter(None, mention.split("/")):
        found = [hit for folder in found for hit in _segment_exists(folder, segment)]
        if not found:
            return False
    return True


def clean(word: str) -> str:
    """A mention without the prose around it: trailing punctuation, a line suffix ``:12``."""
    word = re.sub(r"(?::\d+(?:-\d+)?)$", "", word.rstrip(".,;:)`'\"!?"))
    segments = word.split("/")
    whole = [s.count("{") == s.count("}") for s in segments]
    if not all(whole):  # a Jinja name with spaces, cut at its first space: check its folder
        word = "/".join(segments[: whole.index(False)])
    return word.rstrip(".,;:)`'\"")


@functools.cache
def mentions(path: Path) -> tuple[str, ...]:
    """The repository paths ``path`` mentions, in order, once each."""
    text = path.read_text(encoding="utf-8")
    if not MENTION.search(text):
        return ()
    prose = python_prose(text) if path.suffix == ".py" else text
    words = (clean(match[0]) for match in MENTION.finditer(prose))
    return tuple(dict.fromkeys(w for w in words if not PLACEHOLDER.search(w)))


def links(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # code blocks are not links
    for target in [*MD_LINK.findall(text), *MD_DEFINITION.findall(text)]:
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor on the same page
        yield target.split("#", 1)[0]


def test_every_repository_path_mentioned_exists() -> None:
    missing = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in our_files()
        for word in mentions(path)
        if not resolves(word)
    ]
    assert not missing, "mentions of files that are not in the repository:\n" + "\n".join(missing)


def test_every_relative_markdown_link_resolves() -> None:
    missing = [
        f"{path.relative_to(ROOT)}: {target}"
        for path in our_files()
        if path.suffix == ".md"
        for target in dict.fromkeys(links(path))
        if not (path.parent / target).exists()
    ]
    assert not missing, "Markdown links to files that are not in the repository:\n" + "\n".join(
        missing
    )


def test_the_checks_catch_a_missing_file(tmp_path: Path) -> None:
    """The two checks above cannot pass vacuously: they see mentions and links, and a name that
    is not in the repository fails."""
    assert resolves("docs/decisions/README.md")
    assert resolves("template/README.md")  # the .jinja source of a rendered file
    assert resolves("template/rollouts/{{ rollout_name }}/README.md")
    assert not resolves("docs/no-such-file.md")
    assert not resolves("src/osmosis_workspace/cli.py")  # moved into cli/ by the layout
    assert sum(1 for p in our_files() for _ in mentions(p)) > 100
    doc = tmp_path / "doc.md"
    doc.write_text(
        "See [x](missing.md), [y](https://example.org) and [z](#top).\n"
        "[ref]: ../other.md\n```\n[not](a-link.md)\n```\n",
        encoding="utf-8",
    )
    assert list(links(doc)) == ["missing.md", "../other.md"]
    code = tmp_path / "mod.py"
    code.write_text(
        '"""Reads bench/run.py."""\nX = "src/not-prose.py"  # see tests/conftest.py\n',
        encoding="utf-8",
    )
    assert mentions(code) == ("tests/conftest.py", "bench/run.py")
