"""Create a workspace: validate answers, render with Copier, ``git init`` + commit, publish.

All-or-nothing: the workspace is rendered and committed in a staging directory next to the
destination (same file system, same folder name, so ``_folder_name`` renders the same) and only
then moved into place. Any failure removes the staging directory and any parent folders this
call created, so a failed ``new`` leaves nothing behind, and a backend never sees a half-written
workspace.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from osmosis_workspace.engine import session
from osmosis_workspace.engine.copier_adapter import CopyOptions, copy
from osmosis_workspace.engine.git import commit_paths, init_and_commit
from osmosis_workspace.engine.questions import (
    Questionnaire,
    TemplateRules,
    parse_questionnaire,
    validate_answers,
)
from osmosis_workspace.engine.source import TemplateSource, commit_exists, offline_hint, resolve
from osmosis_workspace.engine.template_files import files_of
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.results import CreateResult


def load_rules(source: TemplateSource) -> tuple[Questionnaire | None, TemplateRules | None]:
    """The questionnaire and rules of the version that will be rendered, when readable.

    Remote sources are read too (a temporary clone, see :mod:`.template_files`), so every bad
    answer is reported at once for them as well.
    """
    files = files_of(source)
    text = files.read("copier.yml") or files.read("copier.yaml")
    if text is None:
        return None, None
    questionnaire = parse_questionnaire(text, lambda pattern: [
        found for rel in files.glob(pattern) if (found := files.read(rel)) is not None])
    return questionnaire, TemplateRules(questionnaire, files.read)


def name_from_folder(folder: str) -> str:
    """A workspace name derived from the destination folder (``My_Task`` -> ``my-task``)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")
    return cleaned if cleaned[:1].isalpha() else ""


def check_destination(dest: Path, *, overwrite: bool) -> None:
    """Refuse a destination the workspace cannot be published to, saying why (exit 4)."""
    if any(unicodedata.category(ch)[0] == "C" for ch in str(dest)):
        raise WorkspaceError("invalid_destination", "The destination path contains a control "
                                                    "character (a newline, tab or escape): "
                                                    "choose a plain folder name")
    if dest.is_symlink():
        state = "a dangling symbolic link" if not dest.exists() else "a symbolic link"
        raise WorkspaceError("invalid_destination", f"{dest} is {state}: give the real folder "
                                                    "path (workspaces are not created through "
                                                    "links)")
    if blocker := next((p for p in dest.parents if p.exists() and not p.is_dir()), None):
        raise WorkspaceError("invalid_destination", f"{blocker} is a file, so {dest} cannot be "
                                                    "created under it: choose another folder")
    if dest.exists() and not dest.is_dir():
        raise WorkspaceError("destination_not_empty", f"{dest} exists and is not a directory")
    if dest.is_dir() and not overwrite:
        entries = sorted(p.name for p in dest.iterdir())
        if entries:
            shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
            raise WorkspaceError(
                "destination_not_empty",
                f"{dest} is not empty ({shown}); choose a new folder or pass --force to render "
                "into it (files the template writes are replaced; others are kept)",
                paths=tuple(entries),
            )


def create_workspace(
    dest: str | os.PathLike[str],
    answers: Mapping[str, Any] | None = None,
    *,
    template: str | None = None,
    ref: str | None = None,
    suggested: Mapping[str, Any] | None = None,
    interactive: bool = False,
    overwrite: bool = False,
    git_init: bool = True,
    git_identity: tuple[str, str] | None = None,
    cache_dir: Path | None = None,
    private_cache: bool = True,
    resolved: TemplateSource | None = None,
) -> CreateResult:
    """See :func:`osmosis_workspace.api.create_workspace` (the documented entry point)."""
    dest = Path(dest).expanduser().absolute()
    answers = dict(answers or {})
    if answers.get("scope", "workspace") != "workspace":
        raise WorkspaceError("usage", "scope is set by add-rollout (osmosis-workspace "
                                      "add-rollout NAME); a new workspace renders everything")
    check_destination(dest, overwrite=overwrite)
    source = resolved or resolve(template, ref)
    questionnaire, rules = load_rules(source)
    if questionnaire is not None:
        problems = validate_answers(questionnaire, answers, rules, require=not interactive,
                                    suggested=suggested)
        if problems:
            raise WorkspaceError(
                "invalid_answers", "Some answers were rejected", problems=tuple(problems)
            )
    fresh = not (dest.is_dir() and any(dest.iterdir()))
    created_parent = _outermost_missing_parent(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging: Path | None = None
    try:
        with session.signals_deferred():
            # Created and remembered with signals held back: a Ctrl-C landing between the two
            # would otherwise leave a staging folder nobody knows about.
            staging = Path(tempfile.mkdtemp(prefix=".osmosis-workspace-", dir=dest.parent))
        render_dir = staging / dest.name
        with session.operation(cache_dir=cache_dir, private_cache=private_cache):
            render(source, render_dir, answers, suggested, interactive)
        answers_file = questionnaire.answers_file if questionnaire else ".copier-answers.yml"
        recorded, version, notes = finish_answers(render_dir / answers_file, source)
        files = listing(render_dir)
        message = _commit_message(version)
        commit = None
        if fresh:
            if git_init:
                commit = init_and_commit(render_dir, message, identity=git_identity)
            _publish(render_dir, dest)
        else:
            commit = _merge_into(render_dir, dest, message if git_init else None, git_identity)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created_parent is not None:
            shutil.rmtree(created_parent, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return CreateResult(
        path=dest,
        answers={k: v for k, v in recorded.items() if not k.startswith("_")},
        template=source.location,
        version=version,
        files=files,
        commit=commit,
        updatable=version is not None,
        notes=source.notes + notes,
    )


def _outermost_missing_parent(dest: Path) -> Path | None:
    """The highest ancestor of ``dest`` that does not exist yet (removed again on failure)."""
    missing = [p for p in dest.parents if not p.exists()]
    return missing[-1] if missing else None


def render(
    source: TemplateSource,
    render_dir: Path,
    answers: dict[str, Any],
    suggested: Mapping[str, Any] | None,
    interactive: bool,
    answers_file: str | None = None,
) -> None:
    """``copier copy`` into ``render_dir``; every Copier failure becomes a WorkspaceError."""
    try:
        copy(
            CopyOptions(
                src=source.location, dst=render_dir, data=answers, vcs_ref=source.ref,
                user_defaults=dict(suggested or {}), interactive=interactive,
                answers_file=answers_file,
            ),
            answered=tuple(answers),
        )
    except WorkspaceError as error:
        if source.local_dir is None and error.code == "copier_failed" and "git" in error.message:
            error.message = f"{offline_hint(source.location)}\n{error.message}"
        raise


def finish_answers(
    path: Path, source: TemplateSource
) -> tuple[dict[str, Any], str | None, tuple[str, ...]]:
    """Read the recorded answers; drop a ``_commit`` the template does not really contain.

    Copier records a throw-away commit when it renders uncommitted template changes; keeping it
    would make a later ``copier update`` fail with "bad object". Without it, Copier says clearly
    that the workspace cannot be updated.
    """
    if not path.is_file():
        return {}, None, ()
    text = path.read_text(encoding="utf-8")
    recorded = yaml.safe_load(text) or {}
    version = recorded.get("_commit")
    if (
        version
        and source.local_repo is not None
        and (not source.updatable or not commit_exists(source.local_repo, str(version)))
    ):
        path.write_text(re.sub(r"(?m)^_commit: .*\n", "", text), encoding="utf-8")
        recorded.pop("_commit", None)
        return (
            recorded,
            None,
            (
                "the recorded template version was dropped: it is not a commit "
                "of the template, so this workspace cannot be updated",
            ),
        )
    return recorded, (str(version) if version else None), ()


def listing(root: Path) -> tuple[str, ...]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in filenames + [d for d in dirnames if (base / d).is_symlink()]:
            found.append((base / name).relative_to(root).as_posix())
    return tuple(sorted(found))


def _commit_message(version: str | None) -> str:
    suffix = f" {version}" if version else ""
    return f"Create Osmosis workspace from osmosis-workspace template{suffix}"


def _publish(render_dir: Path, dest: Path) -> None:
    """Move the finished workspace into place with one rename.

    Another process may have created ``dest`` meanwhile: then the rename fails and nothing of
    theirs is touched.
    """
    try:
        if dest.is_dir():
            dest.rmdir()  # empty when checked; fails if someone filled it since
        os.replace(render_dir, dest)
    except OSError as exc:
        raise WorkspaceError(
            "destination_not_empty", f"{dest} appeared while the workspace was being created"
        ) from exc


def _merge_into(
    render_dir: Path, dest: Path, message: str | None, identity: tuple[str, str] | None
) -> str | None:
    """``--force`` into a non-empty folder: replace rendered files, keep the rest, commit.

    Each replaced file is moved aside first and put back if anything fails (including the
    commit), and folders this call created are removed, so the folder is left as it was.
    """
    backup = Path(tempfile.mkdtemp(prefix=".osmosis-workspace-backup-", dir=dest.parent))
    placed: list[tuple[Path, Path | None]] = []
    created: list[Path] = []
    had_git = (dest / ".git").exists()
    rels = listing(render_dir)
    try:
        for rel in rels:
            source, target = render_dir / rel, dest / rel
            for parent in reversed(target.relative_to(dest).parents[:-1]):
                folder = dest / parent
                if not folder.exists():
                    folder.mkdir()
                    created.append(folder)
                elif not folder.is_dir() or folder.is_symlink():
                    raise WorkspaceError(
                        "destination_not_empty", f"{folder} is in the way of {rel}"
                    )
            saved = None
            if target.is_dir() and not target.is_symlink():
                raise WorkspaceError("destination_not_empty", f"{target} is a folder in the way")
            if target.exists() or target.is_symlink():
                saved = backup / rel
                saved.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, saved)
            placed.append((target, saved))
            os.replace(source, target)
        if message is None:
            return None
        if not had_git:
            return init_and_commit(dest, message, identity=identity)
        return commit_paths(dest, list(rels), message, identity)
    except BaseException:
        # commit_paths unstages its own paths when the commit fails; the user's other staged
        # changes were never touched, so the index needs nothing more here.
        if message is not None and not had_git:
            shutil.rmtree(dest / ".git", ignore_errors=True)
        for target, saved in reversed(placed):
            if target.exists() or target.is_symlink():
                target.unlink()
            if saved is not None:
                os.replace(saved, target)
        for folder in reversed(created):
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
