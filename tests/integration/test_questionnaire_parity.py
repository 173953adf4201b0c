"""Our questionnaire equals Copier's on every question of ``copier.yml``.

``osmosis_workspace.engine.questions`` checks answers before Copier runs (to report every bad answer
at once, by name). That is a second implementation of Copier's answer rules, so this test holds
it to Copier's: every corpus answer below goes through real Copier (``run_copy`` of a tiny
template made of this repository's ``copier.yml`` and extensions and one file that records the
answers) and through :func:`questions.validate_answers` / :func:`questions.cast_value`; both
must accept or both reject, and an accepted answer must be stored with the same value.

The corpus has, for every askable question, good and bad answers of the kinds that separate
the implementations: wrong types, ``None``, numbers for text, YAML list text for multiselect,
values outside the choices, and answers the template's validators reject. The one deliberate
difference is :data:`STRICTER`: a ``bool`` answer that is neither a boolean, a number nor a
yes/no word is rejected by us where Copier reads it with Python's ``bool()``.

Copier stops at the first bad answer, so each rejected answer gets a run of its own; accepted
answers are grouped into a few runs (:func:`good_sets`) to keep the test fast.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from support.helpers import ROOT

from osmosis_workspace.engine.questions import (
    Questionnaire,
    TemplateRules,
    cast_value,
    parse_questionnaire,
    validate_answers,
)

BASE = {"workspace_name": "parity"}
JUDGE = {"grader": "llm-judge"}
META = {"dataset_mode": "metadata"}

#: (question, answer, other answers it needs, Copier accepts it)
CORPUS: list[tuple[str, Any, dict[str, Any], bool]] = [
    ("workspace_name", "support-triage", {}, True),
    ("workspace_name", "Bad Name", {}, False),
    ("workspace_name", "", {}, False),
    ("workspace_name", None, {}, False),
    ("workspace_name", ["a"], {}, False),
    ("task_description", "Sort tickets.\nSecond line.", {}, True),
    ("task_description", 42, {}, True),  # Copier stores numbers for text as text: "42"
    ("task_description", "   ", {}, False),
    ("task_description", {"a": 1}, {}, False),
    ("rollout_name", "triage", {}, True),
    ("rollout_name", "default", {}, False),
    ("dataset_name", "tickets", {}, True),
    ("dataset_name", "data.jsonl", {}, False),
    ("dataset_file", "", {}, True),
    ("dataset_file", "/nonexistent/rows.jsonl", {}, False),
    ("eval_model", "openai/gpt-5-mini", {}, True),
    ("eval_model", "gpt-5-mini", {}, False),
    ("base_model", "Qwen/Qwen3.6-35B-A3B", {}, True),
    ("base_model", "Qwen", {}, False),
    ("agent_framework", "strands", {}, True),
    ("agent_framework", "langchain", {}, False),
    ("agent_framework", None, {}, False),
    ("execution_backend", "harbor", {}, True),
    ("execution_backend", "docker", {}, False),
    ("dataset_mode", "metadata", {}, True),
    ("dataset_mode", "rows", {}, False),
    ("metadata_prompt_field", "question", META, True),
    ("metadata_prompt_field", "a b", META, False),
    ("metadata_answer_field", "answer", META, True),
    ("metadata_answer_field", "x}}", META, False),
    ("grader", "numeric", {}, True),
    ("grader", "vibes", {}, False),
    ("judge_model", "anthropic/claude-sonnet-4-5", JUDGE, True),
    ("judge_model", "judge", JUDGE, False),
    ("judge_rubric", "Reward correct answers.", JUDGE, True),
    ("judge_rubric", "", JUDGE, False),
    ("include_examples", False, {}, True),
    ("include_examples", "yes", {}, True),
    ("include_examples", "off", {}, True),
    ("include_examples", 0, {}, True),
    ("include_examples", "1", {}, True),
    ("include_examples", None, {}, False),
    ("include_examples", True, {"rollout_name": "multiply-local-openai"}, False),
    ("python_version", "3.13", {}, True),
    ("python_version", 3.12, {}, True),  # a YAML number: Copier casts it to "3.12"
    ("python_version", "3.11", {}, False),
    ("python_version", ["3.12"], {}, False),
    ("skills", ["all"], {}, True),
    ("skills", ["plan-eval", "create-rollouts"], {}, True),
    ("skills", ["update-workspace", "plan-eval"], {}, True),  # stored in the choices' order
    ("skills", "[plan-eval, all]", {}, True),  # YAML list text, as from --data
    ("skills", [], {}, False),
    ("skills", ["../../etc"], {}, False),
    ("skills", "all", {}, False),  # text that is not a list
    ("skills", None, {}, False),
    ("github_ci", False, {}, True),
    ("github_ci", "no", {}, True),
    ("github_ci", None, {}, False),
    ("template_updates", True, {}, True),
    ("template_updates", "n", {}, True),
    ("template_updates", None, {}, False),
    ("pre_commit", 1, {}, True),
    ("pre_commit", None, {}, False),
    ("scope", "rollout", {}, True),
    ("scope", "everything", {}, False),
]

#: Answers Copier accepts and we reject on purpose (see the module docstring).
STRICTER: list[tuple[str, Any]] = [
    ("include_examples", "maybe"),
    ("pre_commit", "sure"),
    ("github_ci", []),
]


@pytest.fixture(scope="module")
def questionnaire() -> Questionnaire:
    return parse_questionnaire((ROOT / "copier.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``copier.yml`` without tasks, messages and exclusions, the extensions, and one file."""
    root = tmp_path_factory.mktemp("parity-template")
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    for key in (
        "_tasks",
        "_migrations",
        "_exclude",
        "_skip_if_exists",
        "_message_after_copy",
        "_message_after_update",
    ):
        config.pop(key, None)
    (root / "copier.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    shutil.copytree(
        ROOT / "extensions", root / "extensions", ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "template").mkdir()
    (root / "template" / "answers.json.jinja").write_text("{{ _copier_answers | tojson }}\n")
    return root


def copier_verdict(template: Path, dest: Path, answers: dict[str, Any]) -> tuple[bool, dict]:
    """(accepted, stored answers) from real Copier, without our pre-validation."""
    try:
        copier.run_copy(
            str(template),
            str(dest),
            data=answers,
            defaults=True,
            unsafe=True,
            quiet=True,
            settings=copier.Settings(defaults={}, trust=[]),
        )
    except (ValueError, TypeError, copier.errors.CopierError):
        return False, {}
    return True, json.loads((dest / "answers.json").read_text())


def our_verdict(questionnaire: Questionnaire, answers: dict[str, Any]) -> bool:
    rules = TemplateRules(questionnaire, lambda rel: _read(ROOT / rel))
    return not validate_answers(questionnaire, answers, rules, require=True)


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def test_the_corpus_covers_every_question(questionnaire: Questionnaire) -> None:
    for question in questionnaire.askable:
        verdicts = {accepted for name, _v, _c, accepted in CORPUS if name == question.name}
        assert verdicts == {True, False}, f"{question.name}: needs a good and a bad answer"


def good_sets() -> list[list[tuple[str, Any, dict[str, Any]]]]:
    """The accepted answers, grouped so that no two in a group disagree on any answer."""
    groups: list[tuple[dict[str, Any], list[tuple[str, Any, dict[str, Any]]]]] = []
    for name, value, context, accepted in CORPUS:
        if not accepted:
            continue
        entry = {**context, name: value}
        for answers, members in groups:
            if name not in answers and all(
                k not in answers or (answers[k] == v and type(answers[k]) is type(v))
                for k, v in entry.items()
            ):
                answers.update(entry)
                members.append((name, value, context))
                break
        else:
            groups.append((dict(entry), [(name, value, context)]))
    return [members for _answers, members in groups]


BAD = [(n, v, c) for n, v, c, accepted in CORPUS if not accepted]


@pytest.mark.parametrize("members", good_sets(), ids=lambda m: f"{len(m)}-answers")
def test_good_answers_accepted_and_stored_alike(
    questionnaire: Questionnaire,
    tiny_template: Path,
    tmp_path: Path,
    members: list[tuple[str, Any, dict[str, Any]]],
) -> None:
    answers = dict(BASE)
    for name, value, context in members:
        answers.update({**context, name: value})
    copier_ok, stored = copier_verdict(tiny_template, tmp_path / "out", answers)
    assert copier_ok, f"Copier rejects {answers}"
    assert our_verdict(questionnaire, answers)
    for name, value, _context in members:
        if name in stored:  # a question whose `when` is false is not stored
            assert cast_value(questionnaire.questions[name], value) == stored[name], name


@pytest.mark.parametrize(
    ("name", "value", "context"), BAD, ids=[f"{n}-{i}" for i, (n, _v, _c) in enumerate(BAD)]
)
def test_bad_answers_rejected_alike(
    questionnaire: Questionnaire,
    tiny_template: Path,
    tmp_path: Path,
    name: str,
    value: Any,
    context: dict[str, Any],
) -> None:
    answers = {**BASE, **context, name: value}
    copier_ok, _stored = copier_verdict(tiny_template, tmp_path / "out", answers)
    assert not copier_ok, f"Copier accepts {name}={value!r}"
    problems = validate_answers(
        questionnaire,
        answers,
        TemplateRules(questionnaire, lambda rel: _read(ROOT / rel)),
        require=True,
    )
    assert [p.question for p in problems] == [name]


@pytest.mark.parametrize(("name", "value"), STRICTER)
def test_the_only_difference_bool_answers_copier_would_read_with_bool(
    questionnaire: Questionnaire,
    tiny_template: Path,
    tmp_path: Path,
    name: str,
    value: Any,
) -> None:
    copier_ok, stored = copier_verdict(tiny_template, tmp_path / "out", {**BASE, name: value})
    assert copier_ok and stored[name] is bool(value)
    assert not our_verdict(questionnaire, {**BASE, name: value})
