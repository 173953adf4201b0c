"""Add another rollout to an existing workspace, in a way ``copier update`` can refresh later.

The same template is applied again with ``scope=rollout`` and an answers file of the rollout's
own, ``.copier-answers.rollout-<name>.yml``. With that scope the template's ``_exclude`` renders
only the rollout's folder, its two configs, its dataset and that answers file, so
``copier update -a .copier-answers.rollout-<name>.yml`` (or ``osmosis-workspace update
--rollout <name>``) re-renders that rollout alone, and the workspace's own update never sees it.

Nothing that exists is touched: the rollout is rendered into the operation state folder under
``.git/``, checked to contain only the rollout's paths, and moved in only when none of them
exists yet (an existing ``data/<dataset>.jsonl`` is reused, never overwritten) and no folder or
file it writes is a symbolic link (the write would land outside the workspace). The root
``pyproject.toml`` gains the rollout in its ``rollouts`` group and ``[tool.uv.sources]``
(tomlkit keeps the rest as it was, line endings and byte-order mark included).

Like an update it holds the workspace lock and keeps a journal (docs/update-lifecycle.md): the
SHA-256 of every file it will place, the folders it will create and the bytes of
``pyproject.toml`` before and after, written before the first file is placed. Any failure
removes what this call placed and restores ``pyproject.toml``; after a SIGKILL, ``update
--abort`` or a retry of the same ``add-rollout`` removes exactly what it can prove it wrote.
With ``commit``, exactly those paths are committed; the user's other staged changes stay staged.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from osmosis_workspace.engine import journal, oplock, session, stops
from osmosis_workspace.engine.git import commit_paths, dirty_paths, git_out, has_commit, unstage
from osmosis_workspace.engine.opstate import state_dir, temp_name, write_atomic
from osmosis_workspace.engine.render import (
    finish_answers,
    listing,
    load_rules,
    public_answers,
    render,
    require_valid_answers,
)
from osmosis_workspace.engine.source import TemplateSource, resolve
from osmosis_workspace.engine.workspace import locate, read_answers, rollout_answers_file
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.operations.options import AddRolloutOptions
from osmosis_workspace.operations.recovery import digest, undo_add_rollout
from osmosis_workspace.results import AddRolloutResult

#: Answers a new rollout takes from the workspace unless given: the task, the models and the
#: Python version describe the workspace; the others only keep the answers file complete.
INHERITED = (
    "workspace_name",
    "task_description",
    "eval_model",
    "base_model",
    "python_version",
    "skills",
    "github_ci",
    "template_updates",
    "pre_commit",
)

#: Answers add-rollout decides itself.
_FIXED = {"scope": "rollout", "include_examples": False}


def add_rollout(
    path: str | os.PathLike[str] | None,
    name: str,
    answers: Mapping[str, Any] | None = None,
    options: AddRolloutOptions | None = None,
) -> AddRolloutResult:
    """Add rollout ``name`` to the workspace at ``path``; existing files are never touched.

    Renders the template's rollout part (``scope=rollout``): ``rollouts/<name>/``,
    ``configs/eval/<name>.toml``, ``configs/training/<name>.toml``, ``data/<dataset>.jsonl``
    (kept as it is when it already exists: the rollout then uses it, and its mode and fields
    are checked against the answers) and the rollout's answers file
    ``.copier-answers.rollout-<name>.yml``, then registers the rollout in the root
    ``pyproject.toml``. ``copier update -a .copier-answers.rollout-<name>.yml`` (or
    ``update_workspace(path, UpdateOptions(rollout=name))``) refreshes it later without
    touching anything else.

    ``path`` is the workspace (or a folder inside it); it must be a git repository with its
    ``.copier-answers.yml``. ``name`` is the rollout's name (its folder, configs and package
    ``<name>_rollout``). ``answers``: question -> value, as for ``create_workspace``
    (``agent_framework``, ``execution_backend``, ``dataset_mode``, ``grader``,
    ``dataset_name``, ``dataset_file``...); the task, models, Python version and skills default
    to the workspace's answers, everything else to the template's defaults. ``options``:
    template, version, commit and cache (:class:`.options.AddRolloutOptions`).

    Raises:
        WorkspaceError: ``not_a_workspace``, ``rollout_exists`` (``.paths`` lists what is in
            the way), ``invalid_answers``, ``invalid_workspace`` (root ``pyproject.toml``
            missing or not TOML), ``not_updatable`` (template version too old to add
            rollouts), ``copier_failed``, ``git_failed``. The workspace is then left as it was.
    """
    request = _Request(dict(answers or {}), options or AddRolloutOptions())
    root, _answers = locate(None if path is None else Path(path))
    with oplock.held(root, f"add-rollout {name}", take_stale=_is_retry(root, name)):
        stops.point("add-rollout.locked")
        notes = _retry_cleanup(root, name)
        result = _add_locked(root, name, request)
    return result if not notes else _with_notes(result, notes)


@dataclass(frozen=True)
class _Request:
    """The caller's answers and options, as one value for the steps below."""

    answers: dict[str, Any]
    options: AddRolloutOptions


def _add_locked(root: Path, name: str, request: _Request) -> AddRolloutResult:
    """Everything after the lock: check, render under ``.git/``, journal, place, register."""
    from osmosis_workspace.engine.rootproject import registered_bytes

    recorded = read_answers(locate(root)[1])
    source, full, existing_data = _prepare(root, name, recorded, request)
    dataset_name = existing_data.stem
    answers_name = rollout_answers_file(name)
    reused = f"data/{dataset_name}.jsonl" if existing_data.is_file() else None
    _refuse_links(root, name, answers_name, None if reused else f"data/{dataset_name}.jsonl")
    _refuse_existing(root, name, answers_name, existing_data, full)
    if request.options.commit and "pyproject.toml" in dirty_paths(root):
        raise WorkspaceError(
            "dirty",
            "pyproject.toml has uncommitted changes, which --commit would commit with "
            "the rollout: commit them first, or add the rollout without --commit",
            paths=("pyproject.toml",),
        )
    pyproject = root / "pyproject.toml"
    before = _read_pyproject(pyproject)
    after = registered_bytes(before, name)
    render_root = state_dir(root, create=True) / "render"
    shutil.rmtree(render_root, ignore_errors=True)
    render_dir = render_root / root.name
    options = request.options
    with session.operation(cache_dir=options.cache_path, private_cache=options.private_cache):
        render(source, render_dir, full, answers_file=answers_name)
        recorded_now, version_now, notes = finish_answers(render_dir / answers_name, source)
    files = [rel for rel in listing(render_dir) if rel != reused]
    _refuse_foreign(files, name, dataset_name, answers_name)
    entry = _begin(root, name, render_dir, files, (before, after), options.commit)
    commit_sha = _apply(root, render_dir, files, (before, after), request, entry)
    return AddRolloutResult(
        path=root,
        name=name,
        answers_file=answers_name,
        answers=public_answers(recorded_now),
        template=source.location,
        version=version_now,
        files=tuple(files),
        reused_dataset=reused,
        commit=commit_sha,
        notes=source.notes + notes,
    )


def _prepare(
    root: Path, name: str, recorded: Mapping[str, Any], request: _Request
) -> tuple[TemplateSource, dict[str, Any], Path]:
    """The template source, the rollout's full answers (validated) and its dataset path."""
    _refuse_fixed(request.answers, name)
    options = request.options
    src = options.template or str(recorded.get("_src_path") or "") or None
    version = options.ref or (
        None if options.template else str(recorded.get("_commit") or "") or None
    )
    source = resolve(src, version)
    questionnaire, rules = load_rules(source)
    if questionnaire is None or "scope" not in questionnaire.questions:
        raise WorkspaceError(
            "not_updatable",
            f"The template version {source.ref or source.location} cannot add rollouts (it has "
            "no `scope` question): update the workspace to a newer template version first, or "
            "pass --ref",
        )
    full, existing_data = _rollout_answers(root, name, recorded, request.answers, questionnaire)
    require_valid_answers(questionnaire, full, rules)
    return source, full, existing_data


def _read_pyproject(pyproject: Path) -> bytes:
    if pyproject.is_symlink() or not pyproject.is_file():
        raise WorkspaceError(
            "invalid_workspace",
            f"{pyproject.name} is missing at the workspace root: the rollout cannot be registered",
        )
    return pyproject.read_bytes()


def _begin(
    root: Path,
    name: str,
    render_dir: Path,
    files: list[str],
    pyproject: tuple[bytes, bytes | None],
    commit: bool,
) -> dict[str, Any]:
    """Journal what is about to be written, with the proof needed to undo it."""
    before, after = pyproject
    folders = sorted(
        {
            parent.relative_to(root).as_posix()
            for rel in files
            for parent in (root / rel).parents
            if root in parent.parents and not parent.exists()
        }
    )
    if after is not None:
        write_atomic(state_dir(root) / "pyproject.before", before)
    details = {
        "name": name,
        "files": {
            rel: digest((render_dir / rel).read_bytes())
            for rel in files
            if not (render_dir / rel).is_symlink()
        },
        "folders": folders,
        "pyproject_before": digest(before),
        "pyproject_after": digest(after) if after is not None else None,
        "commit": commit,
        "message": f"Add rollout {name}",
        "head": git_out(["rev-parse", "HEAD"], root).strip() if has_commit(root) else None,
    }
    entry = journal.begin(root, "add-rollout", details)
    stops.point("add-rollout.journal-written")
    return entry


def _apply(
    root: Path,
    render_dir: Path,
    files: list[str],
    pyproject: tuple[bytes, bytes | None],
    request: _Request,
    entry: dict[str, Any],
) -> str | None:
    """Place the files, register the rollout, commit on request; undo all of it on failure."""
    before, after = pyproject
    target = root / "pyproject.toml"
    placed: list[Path] = []
    commit_sha = None
    try:
        _place(render_dir, root, files, placed)
        stops.point("add-rollout.placed")
        if after is not None:
            write_atomic(target, after, mode=target.stat().st_mode & 0o7777)
        stops.point("add-rollout.registered")
        if request.options.commit:
            paths = files + (["pyproject.toml"] if after is not None else [])
            commit_sha = commit_paths(
                root, paths, f"Add rollout {entry['details']['name']}", request.options.git_identity
            )
            journal.set_phase(root, entry, "committed", commit_sha=commit_sha)
        stops.point("add-rollout.final")
    except BaseException:
        with session.signals_deferred():
            _undo(root, placed, files if request.options.commit else [], target, before)
            temp_name(target).unlink(missing_ok=True)
            journal.clear(root)
        raise
    journal.clear(root)
    return commit_sha


def _is_retry(root: Path, name: str) -> bool:
    """The journal records an interrupted add-rollout of this same rollout."""
    entry = journal.read(root) or {}
    return (
        entry.get("operation") == "add-rollout" and (entry.get("details") or {}).get("name") == name
    )


def _retry_cleanup(root: Path, name: str) -> tuple[str, ...]:
    """An interrupted add-rollout of the same rollout: remove what it provably wrote, then go
    on (notes say what was done). Any other interrupted operation: refuse (exit 4)."""
    entry = journal.read(root)
    if entry is None:
        return ()
    if entry.get("operation") != "add-rollout" or (entry.get("details") or {}).get("name") != name:
        raise journal.interrupted_error(root, entry)
    undone, left = undo_add_rollout(root, entry)
    temp_name(root / "pyproject.toml", entry.get("pid")).unlink(missing_ok=True)
    if left:
        raise WorkspaceError(
            "interrupted",
            f"An earlier `add-rollout {name}` was interrupted; the files it wrote were removed "
            "except these, which changed since (check them, remove them yourself, then run "
            f"`{journal.ABORT_COMMAND}` and add the rollout again)",
            paths=tuple(left),
        )
    journal.clear(root)
    return (
        f"an interrupted `add-rollout {name}` was cleaned up first (removed "
        f"{len(undone)} files it had written)",
    )


def _with_notes(result: AddRolloutResult, notes: tuple[str, ...]) -> AddRolloutResult:
    import dataclasses

    return dataclasses.replace(result, notes=notes + tuple(result.notes))


def _undo(
    root: Path, placed: list[Path], staged: list[str], pyproject: Path, before: bytes | None
) -> None:
    """Put the workspace back as it was: unstage, remove what was placed, restore pyproject."""
    if staged:
        unstage(root, [*staged, "pyproject.toml"])
    _unplace(root, placed)
    if before is not None and pyproject.read_bytes() != before:
        write_atomic(pyproject, before, mode=pyproject.stat().st_mode & 0o7777)


def _rollout_answers(
    root: Path, name: str, recorded: Mapping[str, Any], given: Mapping[str, Any], questionnaire: Any
) -> tuple[dict[str, Any], Path]:
    """The rollout's answers (workspace answers it inherits, the caller's, the fixed ones) and
    the path of its dataset, ``data/<dataset_name>.jsonl``."""
    full = {k: recorded[k] for k in INHERITED if k in recorded and k in questionnaire.questions}
    full.update(given)
    full.update(_FIXED, rollout_name=name)
    data = root / "data" / f"{full.get('dataset_name') or name}.jsonl"
    if data.is_file() and not full.get("dataset_file"):
        # Reuse the workspace's dataset: its mode and fields become the defaults and are
        # checked against the answers, and the file itself is left as it is.
        full["dataset_file"] = str(data)
    return full, data


def _refuse_fixed(given: Mapping[str, Any], name: str) -> None:
    """Answers that add-rollout owns: say which and why instead of silently overriding them."""
    if "rollout_name" in given and given["rollout_name"] != name:
        raise WorkspaceError(
            "usage", f"rollout_name is the NAME argument ({name!r}); do not set it separately"
        )
    if given.get("scope", "rollout") != "rollout":
        raise WorkspaceError("usage", "scope is set by add-rollout; do not set it")
    if given.get("include_examples"):
        raise WorkspaceError(
            "usage",
            "include_examples belongs to the workspace (the worked "
            "examples are rendered once, with the workspace)",
        )


def _refuse_existing(
    root: Path, name: str, answers_name: str, existing_data: Path, answers: Mapping[str, Any]
) -> None:
    """Never touch what exists: the rollout's folder, configs and answers file must be new."""
    taken = [
        rel
        for rel in (
            f"rollouts/{name}",
            f"configs/eval/{name}.toml",
            f"configs/training/{name}.toml",
            answers_name,
        )
        if (root / rel).exists() or (root / rel).is_symlink()
    ]
    if taken:
        raise WorkspaceError(
            "rollout_exists",
            f"Rollout {name!r} cannot be added: {', '.join(taken)} already exist(s). Choose "
            "another name (existing files are never overwritten)",
            paths=tuple(taken),
        )
    if existing_data.is_file() and answers.get("dataset_file") != str(existing_data):
        raise WorkspaceError(
            "rollout_exists",
            f"data/{existing_data.name} already exists: choose another dataset_name to import "
            f"{answers.get('dataset_file')} (existing data is never overwritten)",
            paths=(f"data/{existing_data.name}",),
        )


def _refuse_links(root: Path, name: str, answers_name: str, data: str | None) -> None:
    """Never write through a link: the folders and files add-rollout writes must be real."""
    candidates = [
        "rollouts",
        "configs",
        "configs/eval",
        "configs/training",
        "data",
        "pyproject.toml",
        f"rollouts/{name}",
        f"configs/eval/{name}.toml",
        f"configs/training/{name}.toml",
        answers_name,
        *([data] if data else []),
    ]
    linked = [rel for rel in candidates if (root / rel).is_symlink()]
    if linked:
        raise WorkspaceError(
            "protected_paths",
            "add-rollout writes into these paths, which are symbolic links (the files would "
            "land outside the workspace); nothing was added. Replace each link with a real "
            "folder or file (`update` refuses the same)",
            paths=tuple(linked),
        )


def _refuse_foreign(files: list[str], name: str, dataset_name: str, answers_name: str) -> None:
    """The render must hold only this rollout's paths (guards against a template whose
    ``_exclude`` does not honour ``scope``)."""
    allowed = {
        f"configs/eval/{name}.toml",
        f"configs/training/{name}.toml",
        f"data/{dataset_name}.jsonl",
        answers_name,
    }
    foreign = [
        rel for rel in files if rel not in allowed and not rel.startswith(f"rollouts/{name}/")
    ]
    if foreign:
        raise WorkspaceError(
            "copier_failed",
            f"The template rendered files outside rollout {name!r}; nothing was added",
            paths=tuple(foreign[:20]),
        )


def _place(render_dir: Path, root: Path, files: list[str], created: list[Path]) -> None:
    """Move the rendered files into the workspace, recording in ``created`` each folder and
    file as soon as it exists (so an interruption at any point can be undone)."""
    for rel in files:
        target = root / rel
        for folder in [p for p in reversed(target.parents) if root in p.parents and not p.exists()]:
            folder.mkdir()
            created.append(folder)
        if target.exists() or target.is_symlink():
            raise WorkspaceError(
                "rollout_exists",
                f"{rel} appeared while the rollout was being added; nothing was added",
                paths=(rel,),
            )
        created.append(target)
        shutil.move(str(render_dir / rel), str(target))
        if rel == files[0]:
            stops.point("add-rollout.placing")


def _unplace(root: Path, created: list[Path]) -> None:
    """Remove files and folders this call created, newest first."""
    for item in reversed(created):
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        elif item.exists() or item.is_symlink():
            item.unlink()
