"""The files of the template version that will be rendered, read before Copier runs.

Answers are checked against the questionnaire of the exact version Copier will render, so every
bad answer is reported at once, before anything is written. That needs the version's
``copier.yml``, the files it ``!include`` s, and the Jinja extension modules its validators use.
Three kinds of source:

* a folder rendered as it is on disk (uncommitted changes included): read from the folder;
* a local git repository at a tag or commit: ``git show``/``git ls-tree`` of that revision;
* a remote repository (``gh:``/``gl:`` shortcuts, ``https://``, ``ssh://``, ``file://``): a
  temporary ``git clone --no-checkout``, the version chosen by Copier's rule (the given ref,
  else the highest PEP 440 release tag, else ``HEAD``), and one ``git archive`` of it read into
  memory; the clone is deleted before this returns. The platform backend calls with remote
  sources, so this is how "every bad answer at once" holds for it too.
"""

from __future__ import annotations

import fnmatch
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from osmosis_workspace.engine.git import expand_shortcut, git_out, run_git
from osmosis_workspace.engine.source import TemplateSource, latest_tag
from osmosis_workspace.errors import WorkspaceError

#: A remote template larger than this is not read into memory (Copier still validates).
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class TemplateFiles:
    """Read-only view of one template version: ``read`` a file, ``glob`` its paths."""

    source: TemplateSource
    _memory: dict[str, bytes] | None = field(default=None, repr=False)

    def read(self, rel: str) -> str | None:
        """A file's text, or None when it does not exist (or is not text)."""
        if self._memory is None:
            return self.source.read_file(rel)
        data = self._memory.get(rel)
        try:
            return data.decode("utf-8") if data is not None else None
        except UnicodeDecodeError:
            return None

    def glob(self, pattern: str) -> list[str]:
        """Paths matching ``pattern`` like ``pathlib.Path.glob`` (``**`` spans folders), sorted."""
        return sorted(name for name in self._names() if glob_match(name, pattern))

    def _names(self) -> list[str]:
        if self._memory is not None:
            return list(self._memory)
        source = self.source
        if source.reads_worktree and source.local_dir is not None:
            root = source.local_dir
            return [
                p.relative_to(root).as_posix()
                for p in root.rglob("*")
                if p.is_file() and ".git" not in p.relative_to(root).parts
            ]
        if source.local_repo is not None and source.ref:
            out = git_out(["ls-tree", "-r", "--name-only", "-z", source.ref], source.local_repo)
            return [name for name in out.split("\0") if name]
        return []


def glob_match(name: str, pattern: str) -> bool:
    """Whether the relative path ``name`` matches ``pattern`` part by part (``**``: any depth)."""
    return _match(name.split("/"), [p for p in pattern.split("/") if p not in {"", "."}])


def _match(parts: list[str], pattern: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return (
        bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(parts[1:], pattern[1:])
    )


def files_of(source: TemplateSource) -> TemplateFiles:
    """The files of ``source`` at the version Copier will render (module docstring).

    A remote source that cannot be cloned gives no files: Copier's own clone then fails with
    its error (nothing is rendered, so no answer goes unchecked into a workspace).
    """
    if source.local_dir is not None or source.local_repo is not None:
        return TemplateFiles(source)
    try:
        return TemplateFiles(source, _fetch_remote(source.location, source.ref))
    except WorkspaceError:
        return TemplateFiles(source, {})


def _commit_of(clone: Path, ref: str) -> str:
    """``ref`` as a tag, commit or local branch, else as a branch of the remote."""
    for candidate in (ref, f"origin/{ref}"):
        found = run_git(
            ["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], clone, check=False
        )
        if found.returncode == 0:
            return found.stdout.strip()
    return ref  # git archive says what is wrong


def _fetch_remote(location: str, ref: str | None) -> dict[str, bytes]:
    """Clone ``location`` into a temporary folder, archive the chosen version into memory."""
    url = expand_shortcut(location.removeprefix("git+"))
    with tempfile.TemporaryDirectory(prefix="osmosis-workspace-template-") as tmp:
        clone = Path(tmp) / "template"
        run_git(["clone", "--quiet", "--no-checkout", "--", url, str(clone)], Path(tmp))
        tags = git_out(["tag", "--list"], clone).split()
        version = _commit_of(clone, ref or latest_tag(tags) or "HEAD")
        archive = run_git(["archive", "--format=tar", version], clone, text=False).stdout
    if len(archive) > MAX_ARCHIVE_BYTES:
        return {}
    files: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            handle = tar.extractfile(member) if member.isfile() else None
            if handle is not None:
                files[os.path.normpath(member.name).replace(os.sep, "/")] = handle.read()
    return files
