"""The Copier answers files: present, parseable, updatable, and free of credentials.

Rollouts added with ``osmosis-workspace add-rollout`` have answers files of their own
(``.copier-answers.rollout-<name>.yml``): each must be updatable and belong to its rollout.

Every text answer is scanned with the current credential table (``extensions/secrets.py``, also
in ``--fast``): it knows more shapes than older template versions did. Full mode also checks
each stored answer against the questionnaire of the template version that rendered it
(``git show <_commit>:copier.yml`` when the source is a local repository), and that ``_commit``
exists there. Validators are not re-run here: some read files that existed only on the machine
that created the workspace.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from osmosis_workspace.checks.model import CheckContext, Problem

MAX_ANSWERS_BYTES = 1 << 20


def check(ctx: CheckContext) -> Iterator[Problem]:
    from osmosis_workspace.engine.workspace import (
        DEFAULT_ANSWERS_FILE,
        answers_path,
        rollout_answers_files,
    )

    path = answers_path(ctx.root)
    if path is None:
        yield Problem(
            DEFAULT_ANSWERS_FILE,
            "missing: the workspace records no template version and cannot be updated",
            "answers",
        )
        return
    data = yield from _load(ctx, path)
    if data is not None:
        yield from _recorded_source(ctx.rel(path), data)
        yield from _stored_secrets(ctx.rel(path), data)
        if not ctx.fast:
            yield from _against_template(ctx, ctx.rel(path), data)
    for name, rollout_file in rollout_answers_files(ctx.root).items():
        if rollout_file != path:
            yield from _rollout_answers(ctx, name, rollout_file)


def _load(ctx: CheckContext, path: Path) -> Generator[Problem, None, dict[str, Any] | None]:
    """Parse an answers file; yields its problems and returns the mapping (or None)."""
    import yaml

    from osmosis_workspace.engine.yamlload import (  # libyaml, with safe_load's own errors
        NestingError,
        load_yaml,
    )

    rel = ctx.rel(path)
    if not path.is_file() or path.stat().st_size > MAX_ANSWERS_BYTES:
        yield Problem(rel, "is not a regular file of at most 1 MB; restore it from git", "answers")
        return None
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        # Never the parser's snippet: an answers file may hold a pasted credential.
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        why = "nested too deeply" if isinstance(exc, NestingError) else "not valid YAML"
        yield Problem(
            rel,
            f"is {why}{where}; restore it from git, never edit it by hand",
            "answers",
            line=mark.line + 1 if mark is not None else None,
        )
        return None
    if not isinstance(data, dict):
        yield Problem(rel, "must be a mapping of answers", "answers")
        return None
    return data


def _rollout_answers(ctx: CheckContext, name: str, path: Path) -> Iterator[Problem]:
    """An answers file written by add-rollout: updatable, and still about its own rollout."""
    rel = ctx.rel(path)
    data = yield from _load(ctx, path)
    if data is None:
        return
    yield from _recorded_source(rel, data)
    if data.get("scope") != "rollout" or data.get("rollout_name") != name:
        yield Problem(
            rel,
            f"must record scope: rollout and rollout_name: {name} (it was written "
            "by `osmosis-workspace add-rollout`; restore it from git)",
            "answers",
        )
    elif not (ctx.root / "rollouts" / name).is_dir():
        yield Problem(
            rel,
            f"belongs to rollouts/{name}, which is missing: delete this file "
            "too, or `osmosis-workspace update --rollout` would bring the rollout "
            "back",
            "answers",
        )


def _stored_secrets(rel: str, data: dict[str, Any]) -> Iterator[Problem]:
    """Every answer holding a credential, by the current table (``extensions/secrets.py``):
    newer than the template version that wrote the file, and cheap enough for ``--fast``."""
    from osmosis_workspace.engine.redaction import detector

    secret_problem = detector().secret_problem
    for key, value in data.items():
        if str(key).startswith("_"):
            continue
        texts = value if isinstance(value, list) else [value]
        found = next(
            (p for t in texts if isinstance(t, str) and (p := secret_problem(t, str(key)))), ""
        )
        if found:
            yield Problem(rel, found, "answers")


def _recorded_source(rel: str, data: dict[str, Any]) -> Iterator[Problem]:
    from osmosis_workspace.engine.source import credential_problem

    src, commit = data.get("_src_path"), data.get("_commit")
    if not src:
        yield Problem(rel, "has no _src_path: `copier update` cannot find the template", "answers")
    elif problem := credential_problem(str(src)):
        yield Problem(rel, f"_src_path would leak a credential: {problem}", "answers")
    if not commit:
        yield Problem(
            rel,
            "has no _commit: the template version is unknown, so the workspace cannot be updated",
            "answers",
        )


def _unknown_version(src: Path, commit: str) -> str:
    """Why ``_commit`` names no version of the local template repository ``src``, or ``""``.

    ``copier update`` starts from that version; when it is missing (a rewritten history, a
    hand-edited answers file) every update fails. A bare commit id while the template has
    uncommitted changes is let through: Copier records a snapshot commit of them when it renders
    a dirty checkout directly (such workspaces are already reported as not updatable by
    ``new``).
    """
    import re

    from osmosis_workspace.engine.git import dirty_paths, toplevel
    from osmosis_workspace.engine.source import commit_exists

    repo = toplevel(src)
    if repo is None or repo.resolve() != src.resolve():
        return ""  # not a git repository: nothing to look the version up in
    if commit.startswith("-") or not commit_exists(repo, commit):
        if re.fullmatch(r"[0-9a-f]{7,40}", commit) and dirty_paths(repo):
            return ""  # Copier's snapshot commit of uncommitted template changes (a dev render)
        return (
            f"_commit names a version that does not exist in the template at {src}: "
            "`osmosis-workspace update` cannot start from it; restore the answers file "
            "from git, or set _commit to the template tag the workspace was created from"
        )
    return ""


def _against_template(ctx: CheckContext, rel: str, data: dict[str, Any]) -> Iterator[Problem]:
    from osmosis_workspace.engine.questions import parse_questionnaire, shape_problem
    from osmosis_workspace.engine.source import resolve
    from osmosis_workspace.errors import WorkspaceError

    src, commit = data.get("_src_path"), data.get("_commit")
    if not src or not commit or not Path(str(src)).is_dir():
        ctx.skipped.append(f"{rel}: answers not checked against the template (source not local)")
        return
    if problem := _unknown_version(Path(str(src)), str(commit)):
        yield Problem(rel, problem, "answers")
        return
    try:
        source = resolve(str(src), str(commit))
        text = source.read_file("copier.yml") or source.read_file("copier.yaml")
    except WorkspaceError:
        text = None
    if text is None:
        ctx.skipped.append(f"{rel}: template version {commit} not readable; answers not checked")
        return
    questionnaire = parse_questionnaire(text)
    for question in questionnaire.askable:
        if question.name not in data:
            continue
        value = data[question.name]
        if problem := shape_problem(question, value):
            yield Problem(rel, f"{question.name}: {problem}", "answers")
