"""The template's questionnaire, read from its ``copier.yml``, and answers checked against it.

Nothing here knows the question list: it is read from the template version being rendered, so
questions added later (agent_framework, dataset_mode...) work without a code change. Answers are
checked with the template's *own* rules before Copier runs: types and choices from
``copier.yml``, and each ``validator`` expression rendered with the template's Jinja extensions
(``extensions/*.py`` loaded by path). The point is to report every bad answer at once, with the
question's name, without duplicating a single rule; Copier validates again while rendering.
"""

from __future__ import annotations

import hashlib
import json
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import AnswerProblem, WorkspaceError
from .yamlload import FAST_SAFE_LOADER, NestingError, load_yaml

_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0", ""}


class _PureTemplateYamlLoader(yaml.SafeLoader):
    """Safe loader that tolerates Copier's custom tags (``!include``) instead of failing."""


class _TemplateYamlLoader(FAST_SAFE_LOADER):  # type: ignore[misc]
    """:class:`_PureTemplateYamlLoader` on libyaml's parser (when available)."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_PureTemplateYamlLoader.add_multi_constructor("!", _ignore_tag)
_TemplateYamlLoader.add_multi_constructor("!", _ignore_tag)


@dataclass(frozen=True)
class Question:
    """One top-level ``copier.yml`` entry that Copier asks (or computes, with ``when: false``)."""

    name: str
    spec: Mapping[str, Any]

    @property
    def type(self) -> str:
        declared = self.spec.get("type")
        if declared:
            return str(declared)
        default = self.spec.get("default")
        return {bool: "bool", int: "int", float: "float"}.get(type(default), "str")

    @property
    def multiselect(self) -> bool:
        return bool(self.spec.get("multiselect"))

    @property
    def computed(self) -> bool:
        """``when: false`` literally: never asked, never stored, only derived."""
        return self.spec.get("when") is False or str(self.spec.get("when")).lower() == "false"

    @property
    def secret(self) -> bool:
        return bool(self.spec.get("secret"))

    @property
    def help(self) -> str:
        return " ".join(str(self.spec.get("help", "")).split())

    @property
    def choices(self) -> list[Any] | None:
        """Allowed values, or None when free-form or when the choices are Jinja-templated."""
        raw = self.spec.get("choices")
        if raw is None or isinstance(raw, str):
            return None
        values = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
        values = [v.get("value") if isinstance(v, Mapping) else v for v in values]
        if any(isinstance(v, str) and ("{{" in v or "{%" in v) for v in values):
            return None
        return values


@dataclass(frozen=True)
class Questionnaire:
    """Questions in ``copier.yml`` order plus the template settings (``_``-prefixed keys)."""

    questions: dict[str, Question]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def answers_file(self) -> str:
        return str(self.settings.get("_answers_file") or ".copier-answers.yml")

    @property
    def askable(self) -> list[Question]:
        return [q for q in self.questions.values() if not q.computed]


def parse_questionnaire(text: str) -> Questionnaire:
    data = load_yaml(text, _TemplateYamlLoader, _PureTemplateYamlLoader) or {}
    if not isinstance(data, Mapping):
        raise WorkspaceError("template_not_found", "copier.yml is not a mapping")
    questions: dict[str, Question] = {}
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if str(key).startswith("_"):
            settings[str(key)] = value
        else:
            spec = value if isinstance(value, Mapping) else {"default": value}
            questions[str(key)] = Question(str(key), spec)
    return Questionnaire(questions, settings)


# ---------------------------------------------------------------------------------------------
# Answers from the command line
# ---------------------------------------------------------------------------------------------


def parse_set_options(items: list[str], questionnaire: Questionnaire | None) -> dict[str, Any]:
    """``--set key=value`` pairs, typed by the question they answer.

    Strings stay strings (``python_version=3.12`` must not become a float); multiselect answers
    accept ``a,b`` or a YAML list ``[a, b]``; ``json``/``yaml`` questions parse their value.
    """
    answers: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise WorkspaceError("usage", f"--set expects KEY=VALUE (argument {len(answers) + 1} "
                                          "has no '=' or no key; its text is not shown)")
        question = questionnaire.questions.get(key) if questionnaire else None
        answers[key] = _typed(raw, question)
    return answers


def _typed(raw: str, question: Question | None) -> Any:
    if question is None:
        return raw
    if question.multiselect:
        if raw.strip().startswith("["):
            try:
                loaded = load_yaml(raw)
            except yaml.YAMLError:
                return raw  # reported by validate_answers ("must be a list of choices")
            return loaded if isinstance(loaded, list) else [loaded]
        return [part.strip() for part in raw.split(",") if part.strip()]
    kind = question.type
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            return raw
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "json":
            return json.loads(raw)
        if kind == "yaml":
            return load_yaml(raw)
    except (ValueError, yaml.YAMLError, RecursionError):
        return raw  # reported by validate_answers with the question's name
    return raw


#: ``--data-file`` limits: an answers file is a few kilobytes; anything else was picked by
#: mistake (a device, a FIFO, a credentials store, a data dump) and is refused unread.
MAX_DATA_FILE_BYTES = 1 << 20
MAX_NESTING = 32


def load_data_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML file; ``_``-prefixed keys (a copied answers file) are dropped.

    Only a regular file of at most :data:`MAX_DATA_FILE_BYTES`, nested at most
    :data:`MAX_NESTING` levels, is read. Errors name the file and line, never its content: a
    file passed by mistake may be full of credentials.
    """
    text = read_bounded_text(path, MAX_DATA_FILE_BYTES, "--data-file")
    try:
        data = load_yaml(text)
    except NestingError:
        raise WorkspaceError("usage", f"--data-file {path} is nested more than {MAX_NESTING} "
                                      "levels deep") from None
    except yaml.YAMLError as exc:
        raise WorkspaceError("usage", f"--data-file {path} is not valid YAML"
                                      f"{yaml_error_line(exc)} (content not shown)") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise WorkspaceError("usage", f"--data-file {path} must hold a mapping of answers")
    if nesting_depth(data) > MAX_NESTING:
        raise WorkspaceError("usage", f"--data-file {path} is nested more than {MAX_NESTING} "
                                      "levels deep")
    return {str(k): v for k, v in data.items() if not str(k).startswith("_")}


def read_bounded_text(path: Path, limit: int, label: str) -> str:
    """UTF-8 text of a regular file of at most ``limit`` bytes, or a ``usage`` error.

    ``stat`` first (a FIFO or device is refused without opening it, which could block), then
    the opened descriptor is checked again (the path may have been swapped) and at most
    ``limit + 1`` bytes are read.
    """
    import os
    import stat

    def refuse(why: str) -> WorkspaceError:
        return WorkspaceError("usage", f"Cannot read {label} {path}: {why}")

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise refuse("not a regular file (a folder, device, FIFO or socket)")
        if info.st_size > limit:
            raise refuse(f"{info.st_size} bytes; the limit is {limit}")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise refuse("not a regular file")
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise refuse(exc.strerror or type(exc).__name__) from None
    if len(raw) > limit:
        raise refuse(f"more than {limit} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(f"not UTF-8 text (byte {exc.start})") from None


def yaml_error_line(exc: BaseException) -> str:
    """`` at line N`` from a YAML error's position, or ``""``; never the snippet."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


def nesting_depth(value: Any) -> int:
    """How deeply lists and mappings nest in ``value`` (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping | list | tuple):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, Mapping) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


# ---------------------------------------------------------------------------------------------
# Checking answers with the template's own rules
# ---------------------------------------------------------------------------------------------


class TemplateRules:
    """The template's Jinja extensions, loaded once, to render validators and call filters."""

    def __init__(self, questionnaire: Questionnaire, read_file: Any) -> None:
        self.questionnaire = questionnaire
        self._read_file = read_file
        self._env: Any = None
        self._env_failed = False

    def environment(self) -> Any:
        """A sandboxed Jinja environment with the template's extensions, or None."""
        if self._env is not None or self._env_failed:
            return self._env
        try:
            from jinja2 import StrictUndefined
            from jinja2.sandbox import SandboxedEnvironment

            extensions = [self._load_extension(str(e))
                          for e in self.questionnaire.settings.get("_jinja_extensions") or []]
            self._env = SandboxedEnvironment(
                undefined=StrictUndefined, keep_trailing_newline=True,
                extensions=[e for e in extensions if e is not None],
            )
        except Exception:  # an extension we cannot load: leave it to Copier
            self._env_failed = True
        return self._env

    def _load_extension(self, entry: str) -> Any:
        if entry.startswith("copier_template"):  # the loader itself, not an extension
            return None
        if ".py:" in entry:
            rel, _, cls_name = entry.partition(":")
            source = self._read_file(rel)
            if source is None:
                raise LookupError(rel)
            return getattr(load_module_from_source(rel, source, self._read_file), cls_name)
        module_name, _, cls_name = entry.rpartition(".")
        module = __import__(module_name, fromlist=[cls_name])
        return getattr(module, cls_name)

    def filter(self, name: str) -> Any:
        env = self.environment()
        return env.filters.get(name) if env is not None else None

    def render(self, expression: str, context: Mapping[str, Any]) -> str | None:
        """Render ``expression``; None when it cannot be rendered here (Copier decides)."""
        env = self.environment()
        if env is None:
            return None
        try:
            return str(env.from_string(expression).render(dict(context)))
        except Exception:
            return None


_MODULE_CACHE: dict[str, types.ModuleType] = {}


def load_module_from_source(rel: str, source: str, read_file: Any = None) -> types.ModuleType:
    """Execute a template's extension module (same code Copier runs with ``--trust``).

    ``read_file`` (exposed to the module as ``__template_reader__``) lets it load sibling files
    of the same template version, e.g. ``extensions/secrets.py``.
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    if digest in _MODULE_CACHE:
        return _MODULE_CACHE[digest]
    name = f"osmosis_workspace_template_{Path(rel).stem}_{digest}"
    module = types.ModuleType(name)
    module.__file__ = rel
    if read_file is not None:
        module.__dict__["__template_reader__"] = read_file
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    try:
        exec(compile(source, rel, "exec"), module.__dict__)  # trusted template code
    except BaseException:
        del sys.modules[name]
        raise
    _MODULE_CACHE[digest] = module
    return module


def validate_answers(questionnaire: Questionnaire, answers: Mapping[str, Any],
                     rules: TemplateRules | None) -> list[AnswerProblem]:
    """Every problem with ``answers``, in question order, using only the template's rules."""
    problems: list[AnswerProblem] = []
    known = questionnaire.questions
    for key in answers:
        if key not in known:
            names = ", ".join(q.name for q in questionnaire.askable)
            problems.append(AnswerProblem(shown_key(key),
                                          f"is not a question of this template ({names})"))
        elif known[key].computed:
            problems.append(AnswerProblem(key, "is computed by the template and cannot be set"))
    context = _context(questionnaire, answers, rules)
    secret_check = (rules.filter("secret_problem") if rules else None) or _secret_problem
    for question in questionnaire.askable:
        if question.name not in answers:
            continue
        value = answers[question.name]
        if problem := shape_problem(question, value):
            problems.append(AnswerProblem(question.name, problem))
            continue
        if not question.secret:
            found = next((p for t in _strings(value)
                          if (p := secret_check(t, question.name))), "")
            if found:
                problems.append(AnswerProblem(question.name, found))
                continue
        validator = question.spec.get("validator")
        if validator and rules is not None:
            rendered = rules.render(str(validator), {**context, question.name: value})
            if rendered and rendered.strip():
                problems.append(AnswerProblem(question.name, rendered.strip()))
    return problems


def _secret_problem(value: str, field: str) -> str:
    """The detector's verdict when the template has no ``secret_problem`` filter of its own."""
    from .redaction import detector

    return str(detector().secret_problem(value, field))


def _strings(value: Any) -> list[str]:
    """Every string in an answer (keys and values of nested lists and mappings)."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, Mapping):
            stack.extend(list(item.keys()) + list(item.values()))
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return found


_SAFE_KEY = __import__("re").compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


def shown_key(key: str) -> str:
    """An unknown answer key as it may be printed: itself when it is a plain identifier that
    holds no credential, else a placeholder (a mistaken file's keys may be secrets)."""
    from .redaction import find_secret

    if _SAFE_KEY.match(key) and not find_secret(key):
        return key
    return "(an unknown key, not shown)"


def shape_problem(question: Question, value: Any) -> str:
    kind = question.type
    values = value if question.multiselect else [value]
    if question.multiselect and not isinstance(value, list):
        return "must be a list of choices"
    for item in values:
        if kind == "str" and not isinstance(item, str | int | float):
            return "must be text"
        if kind == "bool" and not isinstance(item, bool):
            return "must be true or false"
        if kind == "int" and (isinstance(item, bool) or not isinstance(item, int)):
            return "must be an integer"
        if kind == "float" and (isinstance(item, bool) or not isinstance(item, int | float)):
            return "must be a number"
    choices = question.choices
    if choices is not None:
        bad = [item for item in values if item not in choices and str(item) not in
               [str(c) for c in choices]]
        if bad:
            allowed = ", ".join(str(c) for c in choices)
            return f"{len(bad)} value(s) not among the choices ({allowed})"
    return ""


def _context(questionnaire: Questionnaire, answers: Mapping[str, Any],
             rules: TemplateRules | None) -> dict[str, Any]:
    """Answers so far plus rendered defaults, in order, as a validator would see them."""
    context: dict[str, Any] = {}
    for question in questionnaire.questions.values():
        if question.name in answers:
            context[question.name] = answers[question.name]
            continue
        default = question.spec.get("default")
        if isinstance(default, str) and rules is not None and ("{{" in default or "{%" in default):
            rendered = rules.render(default, context)
            if rendered is not None:
                context[question.name] = rendered
        elif default is not None:
            context[question.name] = default
    return context


def copier_error_problems(message: str) -> list[AnswerProblem]:
    """Turn Copier's answer errors into problems (fallback when pre-validation could not run)."""
    import re

    patterns = (
        (r"Validation error for question '([^']+)': (.*)", None),
        (r"Invalid choice for '([^']+)': .*", "is not one of the allowed choices"),
        (r'Question "([^"]+)" is required', "is required (it has no default): pass it with "
                                             "--set {name}=VALUE or in --data-file"),
        (r'to question "([^"]+)" of type "([^"]+)"', "has the wrong type"),
    )
    for pattern, fixed in patterns:
        if match := re.search(pattern, message, re.DOTALL):
            name = match[1]
            reason = fixed.format(name=name) if fixed else match[2].strip()
            return [AnswerProblem(name, reason)]
    return []
