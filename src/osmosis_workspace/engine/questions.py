"""The template's questionnaire, read from its ``copier.yml``, and answers checked against it.

Nothing here knows the question list: it is read from the template version being rendered, so
questions added later (agent_framework, dataset_mode...) work without a code change. Answers are
checked with the template's *own* rules before Copier runs: types and choices from
``copier.yml``, and each ``validator`` expression rendered with the template's Jinja extensions
(``extensions/*.py`` loaded by path). The point is to report every bad answer at once, with the
question's name, without duplicating a single rule; Copier validates again while rendering.

Types and casts follow Copier's own rules (copier 9.19.1, ``Question`` in ``copier._user_data``):
a question without ``type`` takes its default's type (``bool``, ``int``, ``float``, ``str``),
and ``yaml`` for anything else (a list, ``null``, or no default at all); answers are cast
exactly as Copier casts them (:func:`cast_value`). One deliberate difference: a ``bool``
answer must be a boolean, a number or one of YAML's yes/no words, where Copier would turn any
other text (``"maybe"``) into ``True``.
``tests/integration/test_questionnaire_parity.py`` runs every question of ``copier.yml``
through real Copier and this module over a corpus of good and bad answers and requires the
same verdict and the same value. ``!include`` is resolved like
Copier resolves it (a glob relative to the template root, every document of every matching
file, multi-document merge); see docs/decisions/0003-one-questionnaire.md.
"""

from __future__ import annotations

import hashlib
import json
import sys
import types
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from osmosis_workspace.engine.yamlload import FAST_SAFE_LOADER, NestingError, load_yaml
from osmosis_workspace.errors import AnswerProblem, WorkspaceError

_TRUE = {"y", "yes", "t", "true", "on", "1"}
_FALSE = {"n", "no", "f", "false", "off", "0", ""}
#: Copier's question types (its ``CAST_STR_TO_NATIVE``).
TYPES = ("bool", "float", "int", "json", "str", "yaml", "path")
#: Text Copier's ``cast_to_bool`` reads as true or false (numbers aside).
_COPIER_TRUE = {"y", "yes", "t", "true", "on"}
_COPIER_FALSE = {"n", "no", "f", "false", "off", "~", "null", "none", ""}
#: Settings whose lists Copier concatenates across ``copier.yml`` documents and includes.
_MERGED_SETTINGS = ("_exclude", "_jinja_extensions", "_secret_questions", "_skip_if_exists")


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
        """Copier's rule: the declared type, else the default's type if it is one of
        :data:`TYPES`, else ``yaml`` (a list or ``null`` default, or no default)."""
        declared = self.spec.get("type")
        if declared:
            return str(declared)
        if "default" not in self.spec:
            return "yaml"
        name = type(self.spec["default"]).__name__
        return name if name in TYPES else "yaml"

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


#: ``pattern -> texts of the matching files`` (relative to the template root), for ``!include``.
IncludeReader = Callable[[str], list[str]]


def parse_questionnaire(text: str, include: IncludeReader | None = None) -> Questionnaire:
    """The questionnaire of a ``copier.yml``; ``!include`` resolved with ``include`` (without
    it, as when only the file's text is at hand, an include is read as its pattern)."""
    data = load_template_config(text, include)
    questions: dict[str, Question] = {}
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if str(key).startswith("_"):
            settings[str(key)] = value
        else:
            spec = value if isinstance(value, Mapping) else {"default": value}
            questions[str(key)] = Question(str(key), spec)
    for name in settings.get("_secret_questions") or []:
        if str(name) in questions:  # Copier marks them secret the same way
            question = questions[str(name)]
            questions[str(name)] = Question(question.name, {**question.spec, "secret": True})
    return Questionnaire(questions, settings)


def load_template_config(text: str, include: IncludeReader | None = None) -> dict[str, Any]:
    """Copier's reading of ``copier.yml``: every document (and every included one), lists
    flattened, later documents overriding earlier ones, and the list settings of
    :data:`_MERGED_SETTINGS` concatenated."""
    if include is None:
        fast, pure = _TemplateYamlLoader, _PureTemplateYamlLoader
    else:
        fast, pure = _including_loaders(include)
    try:
        documents = list(yaml.load_all(text, Loader=fast))
    except yaml.YAMLError:
        documents = list(yaml.load_all(text, Loader=pure))  # pure-Python errors, or success
    flat = _flatten(documents)
    if any(not isinstance(doc, Mapping) for doc in flat):
        raise WorkspaceError("template_not_found", "copier.yml is not a mapping")
    merged = {
        key: [item for doc in flat for item in (doc.get(key) or [])]
        for key in _MERGED_SETTINGS
        if any(key in doc for doc in flat)
    }
    return dict(ChainMap(merged, *reversed(flat)))


def _flatten(items: Iterable[Any]) -> list[Any]:
    """Non-empty documents, nested lists flattened (Copier's ``lflatten(filter(None, ...))``)."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, list | tuple):
            out.extend(_flatten(item))
        elif item:
            out.append(item)
    return out


def _including_loaders(include: IncludeReader) -> tuple[Any, Any]:
    """libyaml and pure-Python loaders whose ``!include`` reads files through ``include``."""

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> list[Any]:
        if not isinstance(node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                None, None, "!include needs a file pattern", node.start_mark
            )
        pattern = str(loader.construct_scalar(node))
        if PurePosixPath(pattern).is_absolute() or ".." in PurePosixPath(pattern).parts:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"!include {pattern}: must be a path inside the template",
                node.start_mark,
            )
        return _flatten(
            doc for found in include(pattern) for doc in yaml.load_all(found, Loader=type(loader))
        )

    # Fresh classes per call: ``add_constructor`` registers on the class, and each reader
    # differs. Typed Any like FAST_SAFE_LOADER, which is libyaml's class when it is present.
    fast: Any = type("_IncludingLoader", (FAST_SAFE_LOADER,), {})
    pure: Any = type("_PureIncludingLoader", (yaml.SafeLoader,), {})
    for loader in (fast, pure):
        loader.add_constructor("!include", construct)
    return fast, pure


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
            raise WorkspaceError(
                "usage",
                f"--set expects KEY=VALUE (argument {len(answers) + 1} "
                "has no '=' or no key; its text is not shown)",
            )
        question = questionnaire.questions.get(key) if questionnaire else None
        answers[key] = _typed(raw, question)
    return answers


def _typed(raw: str, question: Question | None) -> Any:
    """A ``--set`` text typed as its question's answer would be. Text that does not parse stays
    text: :func:`validate_answers` then reports it with the question's name."""
    if question is None:
        return raw
    if question.multiselect:
        return _typed_list(raw)
    parse = _SET_PARSERS.get(question.type)
    if parse is None:
        return raw
    try:
        return parse(raw)
    except (ValueError, yaml.YAMLError, RecursionError):
        return raw


def _typed_list(raw: str) -> Any:
    """A multiselect ``--set``: a YAML list (``[a, b]``) or comma-separated choices."""
    if not raw.strip().startswith("["):
        return [part.strip() for part in raw.split(",") if part.strip()]
    try:
        loaded = load_yaml(raw)
    except yaml.YAMLError:
        return raw  # reported by validate_answers ("must be a list of choices")
    return loaded if isinstance(loaded, list) else [loaded]


def _set_bool(raw: str) -> bool | str:
    """Copier's ``--data`` spellings of true and false; anything else stays text."""
    lowered = raw.strip().lower()
    return lowered in _TRUE if lowered in _TRUE | _FALSE else raw


#: How a ``--set`` text becomes a typed answer, per question type (``str`` and ``path`` stay
#: text). A parser raises ValueError or YAMLError on text it cannot read.
_SET_PARSERS: dict[str, Callable[[str], Any]] = {
    "bool": _set_bool,
    "int": int,
    "float": float,
    "json": json.loads,
    "yaml": load_yaml,
}


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
        raise WorkspaceError(
            "usage", f"--data-file {path} is nested more than {MAX_NESTING} levels deep"
        ) from None
    except yaml.YAMLError as exc:
        raise WorkspaceError(
            "usage",
            f"--data-file {path} is not valid YAML{yaml_error_line(exc)} (content not shown)",
        ) from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise WorkspaceError("usage", f"--data-file {path} must hold a mapping of answers")
    if nesting_depth(data) > MAX_NESTING:
        raise WorkspaceError(
            "usage", f"--data-file {path} is nested more than {MAX_NESTING} levels deep"
        )
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

            extensions = [
                self._load_extension(str(e))
                for e in self.questionnaire.settings.get("_jinja_extensions") or []
            ]
            self._env = SandboxedEnvironment(
                undefined=StrictUndefined,
                keep_trailing_newline=True,
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


def validate_answers(
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    rules: TemplateRules | None,
    *,
    require: bool = False,
    suggested: Mapping[str, Any] | None = None,
) -> list[AnswerProblem]:
    """Every problem with ``answers``, in question order, using only the template's rules.

    ``require``: a question without a default (template default or ``suggested`` one, Copier's
    ``user_defaults``) must be answered, as with Copier's ``--defaults``.
    """
    problems = _unknown_answers(questionnaire, answers)
    suggested = suggested or {}
    context = _context(questionnaire, {**suggested, **answers}, rules)
    secret_check = (rules.filter("secret_problem") if rules else None) or _secret_problem
    for question in questionnaire.askable:
        if question.name not in answers:
            if require and question.name not in suggested and _required(question, context, rules):
                problems.append(AnswerProblem(question.name, _REQUIRED.format(name=question.name)))
            continue
        value = answers[question.name]
        try:
            cast = cast_value(question, value)
        except CastError as exc:
            problems.append(AnswerProblem(question.name, str(exc)))
            continue
        if not question.secret:
            found = next((p for t in _strings(value) if (p := secret_check(t, question.name))), "")
            if found:
                problems.append(AnswerProblem(question.name, found))
                continue
        validator = question.spec.get("validator")
        if validator and rules is not None:
            rendered = rules.render(str(validator), {**context, question.name: cast})
            if rendered and rendered.strip():
                problems.append(AnswerProblem(question.name, rendered.strip()))
    return problems


_REQUIRED = "is required (it has no default): pass it with --set {name}=VALUE or in --data-file"


def _unknown_answers(
    questionnaire: Questionnaire, answers: Mapping[str, Any]
) -> list[AnswerProblem]:
    problems: list[AnswerProblem] = []
    known = questionnaire.questions
    for key in answers:
        if key not in known:
            names = ", ".join(q.name for q in questionnaire.askable)
            problems.append(
                AnswerProblem(shown_key(key), f"is not a question of this template ({names})")
            )
        elif known[key].computed:
            problems.append(AnswerProblem(key, "is computed by the template and cannot be set"))
    return problems


def _required(question: Question, context: Mapping[str, Any], rules: TemplateRules | None) -> bool:
    """No default, and asked (its ``when`` holds): Copier's ``--defaults`` fails on it."""
    if "default" in question.spec:
        return False
    when = question.spec.get("when", True)
    if isinstance(when, str) and rules is not None and ("{{" in when or "{%" in when):
        when = rules.render(when, context)
    return when is True or (isinstance(when, str) and _to_bool_or_none(when) is not False)


def _to_bool_or_none(text: str) -> bool | None:
    try:
        return _to_bool(text)
    except ValueError:
        return None


class CastError(ValueError):
    """An answer Copier would not accept for its question's type (the reason, in our words)."""


def _secret_problem(value: str, field: str) -> str:
    """The detector's verdict when the template has no ``secret_problem`` filter of its own."""
    from osmosis_workspace.engine.redaction import detector

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
    from osmosis_workspace.engine.redaction import find_secret

    if _SAFE_KEY.match(key) and not find_secret(key):
        return key
    return "(an unknown key, not shown)"


def shape_problem(question: Question, value: Any) -> str:
    """Why Copier would reject ``value`` for its type or choices, or ``""``."""
    try:
        cast_value(question, value)
    except CastError as exc:
        return str(exc)
    return ""


def cast_value(question: Question, value: Any) -> Any:
    """``value`` as Copier stores it (``Question.parse_answer``), or :class:`CastError`.

    Multiselect: a list (or YAML list text), each item cast and checked against the choices,
    returned in the choices' order. Otherwise the value cast to the question's type and, if the
    question has choices, one of them (compared after casting, as Copier does).
    """
    choices = question.choices
    allowed = None if choices is None else [_cast(question, c) for c in choices]
    if not question.multiselect:
        cast = _cast(question, value)
        if allowed is not None and cast not in allowed:
            raise _not_among(question, 1)
        return cast
    if isinstance(value, str):
        try:
            value = load_yaml(value, yaml.SafeLoader)
        except (yaml.YAMLError, RecursionError):  # too deep: NestingError (a YAMLError)
            value = None
    if not isinstance(value, list):
        raise CastError("must be a list of choices")
    items = [_cast(question, item) for item in value]
    bad = [item for item in items if allowed is not None and item not in allowed]
    if bad:
        raise _not_among(question, len(bad))
    return items if allowed is None else [c for c in allowed if c in items]


def _not_among(question: Question, bad: int) -> CastError:
    allowed = ", ".join(str(c) for c in question.choices or [])
    return CastError(f"{bad} value(s) not among the choices ({allowed})")


def _cast(question: Question, value: Any) -> Any:
    """Copier's ``Question.cast_answer`` for one value (the bool rule is stricter: module doc)."""
    kind = question.type
    if kind not in TYPES:  # a templated type: Copier decides while rendering
        return value
    if value is None and kind not in {"json", "yaml"}:
        raise CastError(_TYPE_PROBLEM.get(kind, "has the wrong type"))
    try:
        return _CASTS[kind](value)
    except (TypeError, AttributeError, ValueError, yaml.YAMLError, RecursionError) as exc:
        raise CastError(_TYPE_PROBLEM[kind]) from exc


def _to_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value  # else already data


def _to_yaml(value: Any) -> Any:
    return load_yaml(value, yaml.SafeLoader) if isinstance(value, str) else value


_TYPE_PROBLEM = {
    "bool": "must be true or false",
    "str": "must be text",
    "int": "must be an integer",
    "float": "must be a number",
    "json": "must be valid JSON",
    "yaml": "must be valid YAML",
    "path": "must be a path",
}


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return bool(value)
    if isinstance(value, str):
        try:
            return bool(float(value))
        except ValueError:
            pass
        lowered = value.strip().lower()
        if lowered in _COPIER_TRUE | _COPIER_FALSE:
            return lowered in _COPIER_TRUE
    raise ValueError("not a boolean")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return value.decode()
    raise ValueError("not text")


#: Copier's cast for each question type in :data:`TYPES`; each raises on a value of the wrong
#: type (TypeError, ValueError, ...), which :func:`_cast` turns into the type's problem text.
_CASTS: dict[str, Callable[[Any], Any]] = {
    "bool": _to_bool,
    "str": _to_str,
    "int": int,
    "float": float,
    "path": str,
    "json": _to_json,
    "yaml": _to_yaml,
}


def _context(
    questionnaire: Questionnaire, answers: Mapping[str, Any], rules: TemplateRules | None
) -> dict[str, Any]:
    """Answers so far plus rendered defaults, in order, as a validator would see them."""
    context: dict[str, Any] = {}
    for question in questionnaire.questions.values():
        if question.name in answers:
            try:
                context[question.name] = cast_value(question, answers[question.name])
            except CastError:
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
