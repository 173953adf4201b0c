"""The Copier answers file: present, parseable, updatable, and free of credentials.

Full mode also checks each stored answer against the questionnaire of the template version that
rendered it (``git show <_commit>:copier.yml`` when the source is a local repository): choices,
and the template's own ``secret_problem`` filter on every text answer. Validators are not re-run
here: some read files that existed only on the machine that created the workspace.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .model import CheckContext, Problem


def check(ctx: CheckContext) -> Iterator[Problem]:
    from ..workspace import DEFAULT_ANSWERS_FILE, answers_path

    path = answers_path(ctx.root)
    if path is None:
        yield Problem(DEFAULT_ANSWERS_FILE, "missing: the workspace records no template version "
                                            "and cannot be updated", "answers")
        return
    rel = ctx.rel(path)
    import yaml

    from ..yamlload import load_yaml  # libyaml, with safe_load's own errors

    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        yield Problem(rel, f"is not valid YAML ({' '.join(str(exc).split())}); restore it from "
                           "git, never edit it by hand", "answers")
        return
    if not isinstance(data, dict):
        yield Problem(rel, "must be a mapping of answers", "answers")
        return
    yield from _recorded_source(rel, data)
    if not ctx.fast:
        yield from _against_template(ctx, rel, data)


def _recorded_source(rel: str, data: dict[str, Any]) -> Iterator[Problem]:
    from ..source import credential_problem

    src, commit = data.get("_src_path"), data.get("_commit")
    if not src:
        yield Problem(rel, "has no _src_path: `copier update` cannot find the template", "answers")
    elif problem := credential_problem(str(src)):
        yield Problem(rel, f"_src_path would leak a credential: {problem}", "answers")
    if not commit:
        yield Problem(rel, "has no _commit: the template version is unknown, so the workspace "
                           "cannot be updated", "answers")


def _against_template(ctx: CheckContext, rel: str, data: dict[str, Any]) -> Iterator[Problem]:
    from ..errors import WorkspaceError
    from ..questions import TemplateRules, parse_questionnaire, shape_problem
    from ..source import resolve

    src, commit = data.get("_src_path"), data.get("_commit")
    if not src or not commit or not Path(str(src)).is_dir():
        ctx.skipped.append(f"{rel}: answers not checked against the template (source not local)")
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
    rules = TemplateRules(questionnaire, source.read_file)
    for question in questionnaire.askable:
        if question.name not in data:
            continue
        value = data[question.name]
        if problem := shape_problem(question, value):
            yield Problem(rel, f"{question.name}: {problem}", "answers")
        texts = value if isinstance(value, list) else [value]
        for text_value in texts:
            # the template's Jinja environment (its extensions) is built on the first text
            if isinstance(text_value, str) and (secret_problem := rules.filter(
                    "secret_problem")) and (found := secret_problem(text_value, question.name)):
                yield Problem(rel, found, "answers")
                break
