"""Thin wrappers around the ``git`` executable (the only VCS Copier and Osmosis support).

Every call runs with a fixed C locale and no terminal prompt so output is parseable and a
missing credential fails fast instead of hanging a backend worker.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, overload

from osmosis_workspace.errors import WorkspaceError

#: Used for commits only when git has no identity configured (fresh containers, CI).
FALLBACK_IDENTITY = ("osmosis-workspace", "osmosis-workspace@users.noreply.localhost")


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every git call. ``GIT_OPTIONAL_LOCKS=0`` stops read-only commands
    (``git status``) from rewriting the index to refresh its stat data: looking at a workspace
    must leave its index byte for byte as it was."""
    env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    env.update(extra or {})
    return env


@overload
def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    text: Literal[True] = True,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]: ...


@overload
def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    text: Literal[False],
    input_text: None = None,
) -> subprocess.CompletedProcess[bytes]: ...


def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    text: bool = True,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes]:
    """Run ``git args`` in ``cwd``; raise :class:`WorkspaceError` (``git_failed``) on failure.

    ``input_text`` is sent on stdin (text mode only); otherwise stdin is closed.
    """
    stdin = subprocess.DEVNULL if input_text is None else None
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=git_env(env),
            capture_output=True,
            text=text,
            check=False,
            input=input_text,
            stdin=stdin,
        )
    except FileNotFoundError as exc:
        raise WorkspaceError("git_failed", "git is not installed or not on PATH") from exc
    if check and result.returncode != 0:
        raw = result.stderr
        stderr = raw if isinstance(raw, str) else raw.decode(errors="replace")
        raise WorkspaceError(
            "git_failed",
            f"git {' '.join(args)} failed: {stderr.strip()}",
            details={"returncode": result.returncode},
        )
    return result


def git_out(args: Sequence[str], cwd: Path, *, env: Mapping[str, str] | None = None) -> str:
    """The standard output of ``git args`` (text), which must succeed."""
    return run_git(args, cwd, env=env).stdout


def toplevel(path: Path) -> Path | None:
    """The git work-tree root containing ``path``, or None when it is not in a repository."""
    result = run_git(["rev-parse", "--show-toplevel"], path, check=False)
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def has_commit(repo: Path, rev: str = "HEAD") -> bool:
    return (
        run_git(
            ["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], repo, check=False
        ).returncode
        == 0
    )


def dirty_paths(repo: Path) -> list[str]:
    """Changed, staged and untracked (not ignored) paths: what makes Copier refuse an update."""
    out = git_out(["status", "--porcelain=v1", "-z", "--untracked-files=all"], repo)
    entries = [e for e in out.split("\0") if e]
    paths: list[str] = []
    skip_next = False
    for entry in entries:
        if skip_next:  # the original path of a rename
            skip_next = False
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            skip_next = True
        paths.append(path)
    return paths


def identity_env(repo: Path) -> dict[str, str]:
    """Author/committer variables for a commit: empty when git already knows who commits."""
    name = run_git(["config", "user.name"], repo, check=False).stdout.strip()
    email = run_git(["config", "user.email"], repo, check=False).stdout.strip()
    env: dict[str, str] = {}
    if not (name or os.environ.get("GIT_AUTHOR_NAME")):
        env.update(GIT_AUTHOR_NAME=FALLBACK_IDENTITY[0], GIT_COMMITTER_NAME=FALLBACK_IDENTITY[0])
    if not (email or os.environ.get("GIT_AUTHOR_EMAIL")):
        env.update(GIT_AUTHOR_EMAIL=FALLBACK_IDENTITY[1], GIT_COMMITTER_EMAIL=FALLBACK_IDENTITY[1])
    return env


def init_and_commit(
    path: Path, message: str, *, branch: str = "main", identity: tuple[str, str] | None = None
) -> str:
    """``git init`` + add everything + one commit; returns the commit id.

    Hooks and signing are disabled for this first commit: a user's global pre-commit hook or
    signing setup must not make workspace creation fail after the files are written.
    """
    run_git(["init", "-q", "-b", branch], path)
    run_git(["add", "-A"], path)
    return _commit_staged(path, message, identity)


def _commit_staged(
    repo: Path, message: str, identity: tuple[str, str] | None, only: Sequence[str] | None = None
) -> str:
    """Commit what is staged, hooks and signing off, as ``identity`` (else git's or ours).

    With ``only``, commit exactly those paths (``git commit --only``): whatever else the user
    had staged stays staged and out of the commit.
    """
    env = identity_env(repo)
    if identity:
        env = {
            "GIT_AUTHOR_NAME": identity[0],
            "GIT_COMMITTER_NAME": identity[0],
            "GIT_AUTHOR_EMAIL": identity[1],
            "GIT_COMMITTER_EMAIL": identity[1],
        }
    scope = ["--only", "--", *only] if only is not None else []
    run_git(
        ["-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message, *scope],
        repo,
        env=env,
    )
    return git_out(["rev-parse", "HEAD"], repo).strip()


#: Copier's URL shortcuts, which git itself does not understand.
_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def expand_shortcut(source: str) -> str:
    for prefix, base in _SHORTCUTS.items():
        if source.startswith(prefix):
            rest = source[len(prefix) :]
            return base + rest + ("" if rest.endswith(".git") else ".git")
    return source


def ls_remote_tags(source: str) -> list[str]:
    """Tag names of a repository (local path, URL or ``gh:org/repo``), no peeled entries."""
    source = expand_shortcut(source)
    out = git_out(["ls-remote", "--tags", "--refs", "--", source], Path(os.path.abspath(os.sep)))
    return [
        line.split("\t", 1)[1].removeprefix("refs/tags/")
        for line in out.splitlines()
        if "\t" in line
    ]


def commit_paths(
    repo: Path, paths: Sequence[str], message: str, identity: tuple[str, str] | None = None
) -> str:
    """Commit exactly ``paths`` (what an operation wrote into an existing repository).

    The user's other staged changes stay staged and are not part of the commit. On failure
    the paths are unstaged again (back to HEAD), and nothing else in the index is touched.
    """
    run_git(["add", "-A", "--", *paths], repo)
    try:
        return _commit_staged(repo, message, identity, only=list(paths))
    except BaseException:
        unstage(repo, paths)
        raise


def unstage(repo: Path, paths: Sequence[str]) -> None:
    """Put the index entries of ``paths`` back as in HEAD (no commit yet: remove them)."""
    if not paths:
        return
    if has_commit(repo):
        run_git(["reset", "-q", "--", *paths], repo, check=False)
    else:
        run_git(["rm", "-q", "--cached", "--ignore-unmatch", "-r", "--", *paths], repo, check=False)
