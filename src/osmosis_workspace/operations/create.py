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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osmosis_workspace.engine import session
from osmosis_workspace.engine.git import commit_paths, init_and_commit
from osmosis_workspace.engine.questions import Questionnaire, TemplateRules, validate_answers
from osmosis_workspace.engine.render import (
    finish_answers,
    listing,
    load_rules,
    public_answers,
    render,
    require_valid_answers,
)
from osmosis_workspace.engine.source import TemplateSource, resolve
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.operations.options import CreateOptions
from osmosis_workspace.results import CreateResult


def name_from_folder(folder: str) -> str:
    """A workspace name derived from the destination folder (``My_Task`` -> ``my-task``)."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")
    return cleaned if cleaned[:1].isalpha() else ""


def check_destination(dest: Path, *, overwrite: bool) -> None:
    """Refuse a destination the workspace cannot be published to, saying why (exit 4)."""
    if any(unicodedata.category(ch)[0] == "C" for ch in str(dest)):
        raise WorkspaceError(
            "invalid_destination",
            "The destination path contains a control "
            "character (a newline, tab or escape): "
            "choose a plain folder name",
        )
    if dest.is_symlink():
        state = "a dangling symbolic link" if not dest.exists() else "a symbolic link"
        raise WorkspaceError(
            "invalid_destination",
            f"{dest} is {state}: give the real folder "
            "path (workspaces are not created through "
            "links)",
        )
    if blocker := next((p for p in dest.parents if p.exists() and not p.is_dir()), None):
        raise WorkspaceError(
            "invalid_destination",
            f"{blocker} is a file, so {dest} cannot be created under it: choose another folder",
        )
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
    options: CreateOptions | None = None,
) -> CreateResult:
    """Render a new workspace into ``dest`` (which must not exist or be empty).

    ``answers``: question name -> value (see ``copier.yml``); unanswered questions get their
    defaults. Every answer is checked with the template's own validators first, and all
    rejected answers are reported together. ``options``: template, version, git and cache
    (:class:`~osmosis_workspace.operations.options.CreateOptions`).

    Raises:
        WorkspaceError: ``invalid_answers`` (see ``.problems``), ``destination_not_empty``,
            ``invalid_destination``, ``unsafe_template``, ``template_not_found``,
            ``copier_failed``, ``git_failed``. Nothing is left at ``dest`` when it is raised.
    """
    options = options or CreateOptions()
    target, given = _checked_request(dest, answers, options)
    return _create(resolve(options.template, options.ref), target, given, options)


def create_from(
    source: TemplateSource,
    dest: str | os.PathLike[str],
    answers: Mapping[str, Any] | None = None,
    options: CreateOptions | None = None,
) -> CreateResult:
    """:func:`create_workspace` from a source already resolved (``options.template`` and
    ``options.ref`` are not read): the CLI resolves it first, to type ``--set`` values by the
    questions of the version it renders."""
    options = options or CreateOptions()
    target, given = _checked_request(dest, answers, options)
    return _create(source, target, given, options)


def _checked_request(
    dest: str | os.PathLike[str], answers: Mapping[str, Any] | None, options: CreateOptions
) -> tuple[Path, dict[str, Any]]:
    """The absolute destination and the answers, refused before any template work."""
    target = Path(dest).expanduser().absolute()
    given = dict(answers or {})
    if given.get("scope", "workspace") != "workspace":
        raise WorkspaceError(
            "usage",
            "scope is set by add-rollout (osmosis-workspace "
            "add-rollout NAME); a new workspace renders everything",
        )
    check_destination(target, overwrite=options.overwrite)
    return target, given


def _create(
    source: TemplateSource, dest: Path, answers: dict[str, Any], options: CreateOptions
) -> CreateResult:
    """Validate, render in a staging folder next to ``dest``, commit, publish (docstring)."""
    questionnaire, rules = load_rules(source)
    suggested: dict[str, Any] = {}
    if questionnaire is not None:
        if options.name_from_folder:
            suggested = _suggested_name(dest, questionnaire, rules, answers)
        require_valid_answers(
            questionnaire, answers, rules, require=not options.interactive, suggested=suggested
        )
    answers_file = questionnaire.answers_file if questionnaire else ".copier-answers.yml"
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
        with session.operation(cache_dir=options.cache_path, private_cache=options.private_cache):
            render(
                source, render_dir, answers, suggested=suggested, interactive=options.interactive
            )
        recorded, version, notes = finish_answers(render_dir / answers_file, source)
        files = listing(render_dir)
        commit = _place(render_dir, dest, fresh, _commit_message(version), options)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created_parent is not None:
            shutil.rmtree(created_parent, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return CreateResult(
        path=dest,
        answers=public_answers(recorded),
        template=source.location,
        version=version,
        files=files,
        commit=commit,
        updatable=version is not None,
        notes=source.notes + notes,
    )


def _suggested_name(
    dest: Path,
    questionnaire: Questionnaire,
    rules: TemplateRules | None,
    answers: Mapping[str, Any],
) -> dict[str, Any]:
    """``workspace_name`` derived from the folder name, when unanswered and valid."""
    derived = name_from_folder(dest.name)
    if (
        "workspace_name" not in questionnaire.questions
        or "workspace_name" in answers
        or not derived
        or validate_answers(questionnaire, {"workspace_name": derived}, rules)
    ):
        return {}
    return {"workspace_name": derived}


def _place(
    render_dir: Path, dest: Path, fresh: bool, message: str, options: CreateOptions
) -> str | None:
    """Commit and publish the rendered workspace (``--force``: merge it into ``dest``)."""
    if not fresh:
        return _merge_into(
            render_dir, dest, message if options.git_init else None, options.git_identity
        )
    commit = None
    if options.git_init:
        commit = init_and_commit(render_dir, message, identity=options.git_identity)
    _publish(render_dir, dest)
    return commit


def _outermost_missing_parent(dest: Path) -> Path | None:
    """The highest ancestor of ``dest`` that does not exist yet (removed again on failure)."""
    missing = [p for p in dest.parents if not p.exists()]
    return missing[-1] if missing else None


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
    merge = _Merge(
        render_dir,
        dest,
        Path(tempfile.mkdtemp(prefix=".osmosis-workspace-backup-", dir=dest.parent)),
    )
    had_git = (dest / ".git").exists()
    rels = listing(render_dir)
    try:
        for rel in rels:
            merge.place(rel)
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
        merge.undo()
        raise
    finally:
        shutil.rmtree(merge.backup, ignore_errors=True)


@dataclass
class _Merge:
    """Rendered files moved into ``dest`` so far, with what they replaced, to put it back."""

    render_dir: Path
    dest: Path
    backup: Path
    placed: list[tuple[Path, Path | None]] = field(default_factory=list)
    created: list[Path] = field(default_factory=list)

    def place(self, rel: str) -> None:
        """Move ``rel`` into place; the file it replaces goes to ``backup``."""
        target = self.dest / rel
        self._folders_for(rel)
        saved = None
        if target.is_dir() and not target.is_symlink():
            raise WorkspaceError("destination_not_empty", f"{target} is a folder in the way")
        if target.exists() or target.is_symlink():
            saved = self.backup / rel
            saved.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, saved)
        self.placed.append((target, saved))
        os.replace(self.render_dir / rel, target)

    def _folders_for(self, rel: str) -> None:
        """Create the folders ``rel`` needs (remembered); refuse a file or link in the way."""
        for parent in reversed(Path(rel).parents[:-1]):
            folder = self.dest / parent
            if not folder.exists():
                folder.mkdir()
                self.created.append(folder)
            elif not folder.is_dir() or folder.is_symlink():
                raise WorkspaceError("destination_not_empty", f"{folder} is in the way of {rel}")

    def undo(self) -> None:
        """Put every replaced file back and remove the folders this merge created."""
        for target, saved in reversed(self.placed):
            if target.exists() or target.is_symlink():
                target.unlink()
            if saved is not None:
                os.replace(saved, target)
        for folder in reversed(self.created):
            shutil.rmtree(folder, ignore_errors=True)
