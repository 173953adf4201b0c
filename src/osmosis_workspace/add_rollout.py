"""Add another rollout to an existing workspace, in a way ``copier update`` can refresh later.

The same template is applied again with ``scope=rollout`` and an answers file of the rollout's
own, ``.copier-answers.rollout-<name>.yml``. With that scope the template's ``_exclude`` renders
only the rollout's folder, its two configs, its dataset and that answers file, so
``copier update -a .copier-answers.rollout-<name>.yml`` (or ``osmosis-workspace update
--rollout <name>``) re-renders that rollout alone, and the workspace's own update never sees it.

Nothing that exists is touched: the rollout is rendered into a scratch folder, checked to
contain only the rollout's paths, and moved in only when none of them exists yet (an existing
``data/<dataset>.jsonl`` is reused, never overwritten). The root ``pyproject.toml`` gains the
rollout in its ``rollouts`` group and ``[tool.uv.sources]`` (tomlkit keeps the rest as it was).
Any failure removes what this call placed and restores ``pyproject.toml``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import session
from .errors import WorkspaceError
from .gitutil import commit_paths, dirty_paths, run_git
from .results import AddRolloutResult
from .workspace import rollout_answers_file

#: Answers a new rollout takes from the workspace unless given: the task, the models and the
#: Python version describe the workspace; the others only keep the answers file complete.
INHERITED = ("workspace_name", "task_description", "eval_model", "base_model", "python_version",
             "skills", "github_ci", "template_updates", "pre_commit")

#: Answers add-rollout decides itself.
_FIXED = {"scope": "rollout", "include_examples": False}


def add_rollout(
    path: str | os.PathLike[str] | None,
    name: str,
    answers: Mapping[str, Any] | None = None,
    *,
    template: str | None = None,
    ref: str | None = None,
    commit: bool = False,
    git_identity: tuple[str, str] | None = None,
    cache_dir: Path | None = None,
    private_cache: bool = True,
) -> AddRolloutResult:
    """See :func:`osmosis_workspace.api.add_rollout` (the documented entry point)."""
    from .create import finish_answers, listing, load_rules, render
    from .questions import validate_answers
    from .rootproject import register_rollout
    from .source import resolve
    from .workspace import locate, read_answers

    root, main_answers = locate(path)
    recorded = read_answers(main_answers)
    given = dict(answers or {})
    _refuse_fixed(given, name)
    src = template or str(recorded.get("_src_path") or "") or None
    version = ref or (None if template else str(recorded.get("_commit") or "") or None)
    source = resolve(src, version)
    questionnaire, rules = load_rules(source)
    if questionnaire is None or "scope" not in questionnaire.questions:
        raise WorkspaceError(
            "not_updatable",
            f"The template version {source.ref or source.location} cannot add rollouts (it has "
            "no `scope` question): update the workspace to a newer template version first, or "
            "pass --ref",
        )
    full, existing_data = _rollout_answers(root, name, recorded, given, questionnaire)
    dataset_name = existing_data.stem
    problems = validate_answers(questionnaire, full, rules)
    if problems:
        raise WorkspaceError("invalid_answers", "Some answers were rejected",
                             problems=tuple(problems))
    answers_name = rollout_answers_file(name)
    _refuse_existing(root, name, answers_name, existing_data, full)
    if commit and "pyproject.toml" in dirty_paths(root):
        raise WorkspaceError(
            "dirty", "pyproject.toml has uncommitted changes, which --commit would commit with "
                     "the rollout: commit them first, or add the rollout without --commit",
            paths=("pyproject.toml",))
    reused = f"data/{dataset_name}.jsonl" if existing_data.is_file() else None
    pyproject = root / "pyproject.toml"
    before = pyproject.read_bytes() if pyproject.is_file() else None
    placed: list[Path] = []
    files: list[str] = []
    commit_sha = None
    try:
        with session.operation(cache_dir=cache_dir, private_cache=private_cache) as op:
            render_dir = op.scratch / "render" / root.name
            render(source, render_dir, full, None, False, answers_file=answers_name)
            recorded_now, version_now, notes = finish_answers(render_dir / answers_name, source)
            files = [rel for rel in listing(render_dir) if rel != reused]
            _refuse_foreign(files, name, dataset_name, answers_name)
            _place(render_dir, root, files, placed)
        registered = register_rollout(pyproject, name)
        if commit:
            paths = files + (["pyproject.toml"] if registered else [])
            commit_sha = commit_paths(root, paths, f"Add rollout {name}", git_identity)
    except BaseException:
        _undo(root, placed, files if commit else [], pyproject, before)
        raise
    return AddRolloutResult(
        path=root, name=name, answers_file=answers_name,
        answers={k: v for k, v in recorded_now.items() if not str(k).startswith("_")},
        template=source.location, version=version_now, files=tuple(files),
        reused_dataset=reused, commit=commit_sha, notes=source.notes + notes,
    )


def _undo(root: Path, placed: list[Path], staged: list[str], pyproject: Path,
          before: bytes | None) -> None:
    """Put the workspace back as it was: unstage, remove what was placed, restore pyproject."""
    if staged:
        run_git(["reset", "-q", "--", *staged, "pyproject.toml"], root, check=False)
    _unplace(root, placed)
    if before is not None and pyproject.read_bytes() != before:
        pyproject.write_bytes(before)


def _rollout_answers(root: Path, name: str, recorded: Mapping[str, Any],
                     given: Mapping[str, Any], questionnaire: Any) -> tuple[dict[str, Any], Path]:
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
        raise WorkspaceError("usage", f"rollout_name is the NAME argument ({name!r}); "
                                      "do not set it separately")
    if given.get("scope", "rollout") != "rollout":
        raise WorkspaceError("usage", "scope is set by add-rollout; do not set it")
    if given.get("include_examples"):
        raise WorkspaceError("usage", "include_examples belongs to the workspace (the worked "
                                      "examples are rendered once, with the workspace)")


def _refuse_existing(root: Path, name: str, answers_name: str, existing_data: Path,
                     answers: Mapping[str, Any]) -> None:
    """Never touch what exists: the rollout's folder, configs and answers file must be new."""
    taken = [rel for rel in (f"rollouts/{name}", f"configs/eval/{name}.toml",
                             f"configs/training/{name}.toml", answers_name)
             if (root / rel).exists() or (root / rel).is_symlink()]
    if taken:
        raise WorkspaceError(
            "rollout_exists",
            f"Rollout {name!r} cannot be added: {', '.join(taken)} already exist(s). Choose "
            "another name (existing files are never overwritten)", paths=tuple(taken))
    if existing_data.is_file() and answers.get("dataset_file") != str(existing_data):
        raise WorkspaceError(
            "rollout_exists",
            f"data/{existing_data.name} already exists: choose another dataset_name to import "
            f"{answers.get('dataset_file')} (existing data is never overwritten)",
            paths=(f"data/{existing_data.name}",))


def _refuse_foreign(files: list[str], name: str, dataset_name: str, answers_name: str) -> None:
    """The render must hold only this rollout's paths (guards against a template whose
    ``_exclude`` does not honour ``scope``)."""
    allowed = {f"configs/eval/{name}.toml", f"configs/training/{name}.toml",
               f"data/{dataset_name}.jsonl", answers_name}
    foreign = [rel for rel in files
               if rel not in allowed and not rel.startswith(f"rollouts/{name}/")]
    if foreign:
        raise WorkspaceError(
            "copier_failed",
            f"The template rendered files outside rollout {name!r}; nothing was added",
            paths=tuple(foreign[:20]))


def _place(render_dir: Path, root: Path, files: list[str], created: list[Path]) -> None:
    """Move the rendered files into the workspace, recording in ``created`` each folder and
    file as soon as it exists (so an interruption at any point can be undone)."""
    for rel in files:
        target = root / rel
        for folder in [p for p in reversed(target.parents)
                       if root in p.parents and not p.exists()]:
            folder.mkdir()
            created.append(folder)
        if target.exists() or target.is_symlink():
            raise WorkspaceError("rollout_exists", f"{rel} appeared while the rollout was "
                                 "being added; nothing was added", paths=(rel,))
        created.append(target)
        shutil.move(str(render_dir / rel), str(target))


def _unplace(root: Path, created: list[Path]) -> None:
    """Remove files and folders this call created, newest first."""
    for item in reversed(created):
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item, ignore_errors=True)
        elif item.exists() or item.is_symlink():
            item.unlink()
