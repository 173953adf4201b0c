"""What every rendering operation shares: read the version's rules, check answers, render, read
back what was recorded.

``create``, ``add-rollout`` and ``update`` each render one template version; they check the
answers against that version's own questionnaire first (so every bad answer is reported at once,
before anything is written), run ``copier copy`` through the adapter, and read back the answers
file Copier wrote. The operations use these functions and never each other's internals.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from osmosis_workspace.engine.copier_adapter import CopyOptions, copy
from osmosis_workspace.engine.questions import (
    Questionnaire,
    TemplateRules,
    parse_questionnaire,
    validate_answers,
)
from osmosis_workspace.engine.source import TemplateSource, commit_exists, offline_hint
from osmosis_workspace.engine.template_files import files_of
from osmosis_workspace.errors import WorkspaceError

#: An answers file's content, the template version it records (``_commit``) and notes.
Recorded = tuple[dict[str, Any], str | None, tuple[str, ...]]


def load_rules(source: TemplateSource) -> tuple[Questionnaire | None, TemplateRules | None]:
    """The questionnaire and rules of the version that will be rendered, when readable.

    Remote sources are read too (a temporary clone, see :mod:`.template_files`), so every bad
    answer is reported at once for them as well.
    """
    files = files_of(source)
    text = files.read("copier.yml") or files.read("copier.yaml")
    if text is None:
        return None, None
    questionnaire = parse_questionnaire(
        text,
        lambda pattern: [
            found for rel in files.glob(pattern) if (found := files.read(rel)) is not None
        ],
    )
    return questionnaire, TemplateRules(questionnaire, files.read)


def require_valid_answers(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    rules: TemplateRules | None,
    *,
    require: bool = False,
    suggested: Mapping[str, Any] | None = None,
) -> None:
    """Raise ``invalid_answers`` listing every rejected answer (see ``validate_answers``)."""
    problems = validate_answers(questionnaire, answers, rules, require=require, suggested=suggested)
    if problems:
        raise WorkspaceError(
            "invalid_answers", "Some answers were rejected", problems=tuple(problems)
        )


def render(
    source: TemplateSource,
    render_dir: Path,
    answers: Mapping[str, Any],
    *,
    suggested: Mapping[str, Any] | None = None,
    interactive: bool = False,
    answers_file: str | None = None,
) -> None:
    """``copier copy`` into ``render_dir``; every Copier failure becomes a WorkspaceError.

    A remote source that git cannot reach gets a hint about working offline first.
    """
    try:
        copy(
            CopyOptions(
                src=source.location,
                dst=render_dir,
                data=dict(answers),
                vcs_ref=source.ref,
                user_defaults=dict(suggested or {}),
                interactive=interactive,
                answers_file=answers_file,
            ),
            answered=tuple(answers),
        )
    except WorkspaceError as error:
        if source.local_dir is None and error.code == "copier_failed" and "git" in error.message:
            error.message = f"{offline_hint(source.location)}\n{error.message}"
        raise


def finish_answers(path: Path, source: TemplateSource) -> Recorded:
    """Read the recorded answers; drop a ``_commit`` the template does not really contain.

    Copier records a throw-away commit when it renders uncommitted template changes; keeping it
    would make a later ``copier update`` fail with "bad object". Without it, Copier says clearly
    that the workspace cannot be updated.
    """
    if not path.is_file():
        return {}, None, ()
    text = path.read_text(encoding="utf-8")
    recorded: dict[str, Any] = yaml.safe_load(text) or {}
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
    """Every file under ``root`` (links to folders included), relative, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for name in filenames + [d for d in dirnames if (base / d).is_symlink()]:
            found.append((base / name).relative_to(root).as_posix())
    return tuple(sorted(found))


def public_answers(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded answers without Copier's own ``_`` keys (what results report)."""
    return {k: v for k, v in recorded.items() if not str(k).startswith("_")}
