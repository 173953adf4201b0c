"""The Copier adapter and the questionnaire around it, with real Copier and real git.

* pre-validation reports every bad answer at once for a *remote* template too (a ``file://``
  git URL is cloned like ``gh:`` or ``https://`` ones), and nothing is written;
* Copier's exceptions become our error codes by their class, never by their text;
* ``!include`` in ``copier.yml`` and questions typed by their default (a list, ``null``, none)
  are read as Copier reads them: the same questions, the same cast values.
"""

from __future__ import annotations

import json
from pathlib import Path

import copier
import pytest
from support.workspace_api_helpers import TemplateRepo

from osmosis_workspace import api
from osmosis_workspace.engine.copier_adapter import CopyOptions, copy
from osmosis_workspace.engine.questions import cast_value, validate_answers
from osmosis_workspace.engine.render import load_rules
from osmosis_workspace.engine.source import resolve
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.exit_codes import ExitCode

BAD = {
    "workspace_name": "Bad Name",
    "python_version": "3.99",
    "grader": "vibes",
    "include_examples": "maybe",
    "nope": 1,
}


def test_remote_template_reports_every_bad_answer_at_once(
    tmp_path: Path, repo: TemplateRepo
) -> None:
    url = f"file://{repo.path}"
    with pytest.raises(WorkspaceError) as caught:
        api.create_workspace(tmp_path / "parent" / "ws", BAD, api.CreateOptions(template=url))
    error = caught.value
    assert error.code == "invalid_answers" and error.exit_code == ExitCode.INVALID_ANSWERS
    assert {p.question for p in error.problems} == set(BAD)
    assert not (tmp_path / "parent").exists()
    assert [p for p in tmp_path.iterdir()] == []


def test_remote_template_is_read_at_the_version_copier_renders(repo: TemplateRepo) -> None:
    questionnaire, rules = load_rules(resolve(f"file://{repo.path}", repo.v1))
    assert questionnaire is not None and rules is not None
    assert rules.filter("secret_problem") is not None  # the extensions came along
    assert not validate_answers(questionnaire, {"workspace_name": "fine"}, rules)


def test_an_answer_only_copier_rejects_is_named_without_echoing_it(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    (template / "t").mkdir(parents=True)
    (template / "copier.yml").write_text(
        "_subdirectory: t\ncode:\n  type: str\n  validator: \"{{ 'no: ' ~ code }}\"\n"
    )
    with pytest.raises(WorkspaceError) as caught:
        copy(
            CopyOptions(src=str(template), dst=tmp_path / "out", data={"code": "sk-secret-value"}),
            answered=("code",),
        )
    error = caught.value
    assert error.code == "invalid_answers" and [p.question for p in error.problems] == ["code"]
    assert "sk-secret-value" not in str(error) and error.details["exception"] == "ValueError"
    assert not (tmp_path / "out").exists()


def test_includes_and_inferred_types_are_read_like_copier(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    (template / "t").mkdir(parents=True)
    (template / "shared").mkdir()
    (template / "copier.yml").write_text(
        "_subdirectory: t\n---\n!include shared/*.yml\n---\n"
        "listy: [a, b]\nnully: null\nplain:\n  help: no type, no default\n"
    )
    (template / "shared" / "colours.yml").write_text(
        "colour:\n  type: str\n  choices: [red, blue]\n  default: red\n"
    )
    (template / "shared" / "count.yml").write_text("count: 3\n")
    (template / "t" / "answers.json.jinja").write_text("{{ _copier_answers | tojson }}\n")
    answers = {"listy": "[x, y]", "nully": "{k: 1}", "plain": "- 1", "count": "7", "colour": "blue"}
    copier.run_copy(
        str(template),
        str(tmp_path / "out"),
        data=answers,
        defaults=True,
        quiet=True,
        settings=copier.Settings(defaults={}, trust=[]),
    )
    stored = json.loads((tmp_path / "out" / "answers.json").read_text())

    questionnaire, rules = load_rules(resolve(str(template)))
    assert questionnaire is not None
    assert list(questionnaire.questions) == ["colour", "count", "listy", "nully", "plain"]
    assert [questionnaire.questions[n].type for n in ("listy", "nully", "plain", "count")] == [
        "yaml",
        "yaml",
        "yaml",
        "int",
    ]
    for name, value in answers.items():
        assert cast_value(questionnaire.questions[name], value) == stored[name], name
    problems = validate_answers(
        questionnaire, {"colour": "green", "count": "x"}, rules, require=True
    )
    assert [p.question for p in problems] == ["colour", "count", "plain"]
