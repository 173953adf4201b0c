"""Jinja filters the workspace template uses: name derivations, answer checks, safe escaping.

Copier loads this file through ``copier_template_extensions.TemplateExtensionLoader`` (see
``copier.yml``), which executes it without this repository on ``sys.path``: it may import only
the standard library and Jinja. Every function here is pure (no I/O, no network, no subprocess)
so the same code serves three callers: the template's validators, the file renderers, and the
``osmosis-workspace`` CLI, which loads this module by path to check answers before Copier runs.

Why escaping filters instead of ``tojson``: Jinja's ``tojson`` writes emoji as UTF-16 surrogate
pairs (invalid TOML) and HTML-escapes ``<>&'``; each file format here gets a filter that is exact
for that format, and the tests read every rendered value back with the format's own parser.
"""

from __future__ import annotations

import json
import re
import types
import unicodedata
from pathlib import Path

from jinja2.ext import Extension


def _load_sibling(name: str) -> types.ModuleType:
    """Execute ``extensions/<name>`` (Copier loads this file by path, not as a package).

    The CLI, which executes this file from a git object, provides ``__template_reader__`` to
    read the sibling from the same template version.
    """
    reader = globals().get("__template_reader__")
    source = reader(f"extensions/{name}") if reader else None
    if source is None:
        source = (Path(__file__).resolve().parent / name).read_text(encoding="utf-8")
    module = types.ModuleType(f"osmosis_template_{Path(name).stem}")
    exec(compile(source, f"extensions/{name}", "exec"), module.__dict__)
    return module


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

SLUG_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
DATASET_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
EVAL_MODEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*/[A-Za-z0-9][A-Za-z0-9._:@+/-]*$")
BASE_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._:-]*$")
MAX_NAME_LENGTH = 64
MAX_MODEL_LENGTH = 200
MAX_TEXT_LENGTH = 200_000

#: Names Windows refuses as file or directory names, whatever the extension.
WINDOWS_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)
#: ``osmosis rollout init`` reserves ``default`` (it names the placeholder config files).
RESERVED_ROLLOUT_NAMES = frozenset({"default"})

#: The credential detector (one table of shapes) lives in ``secrets.py`` beside this file, so
#: the CLI can load the same table without Jinja.
_SECRETS = _load_sibling("secrets.py")
SECRET_PATTERNS = _SECRETS.SECRET_PATTERNS
secret_problem = _SECRETS.secret_problem

#: Names that would shadow a package (dependencies, the root project, the standard library)
#: live in ``names.py`` beside this file, which ``check`` loads too.
collision_problem = _load_sibling("names.py").collision_problem


def _name_problem(value: object, field: str, pattern: re.Pattern[str], rule: str) -> str:
    if not isinstance(value, str) or not value:
        return f"{field} is required ({rule})"
    if len(value) > MAX_NAME_LENGTH:
        return f"{field} is {len(value)} characters long; the limit is {MAX_NAME_LENGTH}"
    if not pattern.match(value):
        return f"{field} {value!r} is not allowed: {rule}"
    if value in WINDOWS_RESERVED:
        return f"{field} {value!r} is a name Windows reserves for devices; choose another"
    return ""


def slug_problem(value: object, field: str = "name") -> str:
    """Why ``value`` is not a valid workspace or rollout name, or ``""`` when it is.

    The rule is the one ``osmosis rollout init`` applies (``^[a-z][a-z0-9-]*$``), tightened so the
    name is also a safe path segment on every OS: no leading, trailing or doubled hyphen, at most
    64 characters, and not a Windows device name.
    """
    rule = (
        "use lowercase letters, digits and single hyphens, starting with a letter "
        "and not ending with a hyphen (for example 'support-triage')"
    )
    return _name_problem(value, field, SLUG_RE, rule)


def workspace_name_problem(value: object, field: str = "workspace_name") -> str:
    """Like :func:`slug_problem`, and refuses names that shadow a package (the starter rollout is
    named after the workspace)."""
    return slug_problem(value, field) or collision_problem(value, field)


def rollout_name_problem(
    value: object, field: str = "rollout_name", workspace_name: object = ""
) -> str:
    """Like :func:`slug_problem`, and refuses the names Osmosis reserves or that shadow a
    package (:func:`collision_problem`)."""
    if problem := slug_problem(value, field):
        return problem
    if value in RESERVED_ROLLOUT_NAMES:
        return f"{field} {value!r} is reserved by Osmosis for placeholder configs; choose another"
    return collision_problem(value, field, workspace_name)


def dataset_name_problem(
    value: object, field: str = "dataset_name", workspace_name: object = ""
) -> str:
    """Why ``value`` is not a usable platform dataset name (it also names ``data/<name>.jsonl``)."""
    rule = (
        "use lowercase letters, digits, single hyphens or underscores, starting with a letter "
        "(for example 'support-tickets')"
    )
    return _name_problem(value, field, DATASET_RE, rule) or collision_problem(
        value, field, workspace_name
    )


def model_problem(value: object, field: str = "eval_model", *, litellm: bool = True) -> str:
    """Why ``value`` is not a model id: ``provider/model`` for LiteLLM, ``org/name`` for a base."""
    pattern = EVAL_MODEL_RE if litellm else BASE_MODEL_RE
    example = "openai/gpt-5-mini" if litellm else "Qwen/Qwen3.6-35B-A3B"
    if not isinstance(value, str) or not value:
        return f"{field} is required (for example {example!r})"
    if len(value) > MAX_MODEL_LENGTH:
        return f"{field} is {len(value)} characters long; the limit is {MAX_MODEL_LENGTH}"
    if not pattern.match(value) or ".." in value:
        return f"{field} {value!r} must look like {example!r} (provider/model, no spaces)"
    return secret_problem(value, field)


def text_problem(value: object, field: str = "task_description", *, required: bool = True) -> str:
    """Why free text cannot be used: empty when required, too long, NUL bytes, or a credential."""
    if not isinstance(value, str):
        return f"{field} must be text"
    if required and not value.strip():
        return f"{field} is required: describe the task in a sentence or two"
    if len(value) > MAX_TEXT_LENGTH:
        return f"{field} is {len(value)} characters long; the limit is {MAX_TEXT_LENGTH}"
    if "\x00" in value:
        return f"{field} contains a NUL character, which no text file can hold"
    return secret_problem(value, field)


FIELD_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def field_problem(value: object, field: str) -> str:
    """Why ``value`` cannot name a metadata field the generated code reads (``row["name"]``)."""
    if not isinstance(value, str) or not value:
        return f"{field} is required"
    if len(value) > MAX_NAME_LENGTH or not FIELD_RE.match(value):
        return (
            f"{field} {value!r} is not allowed: use letters, digits and underscores, starting "
            "with a letter or underscore (at most 64 characters)"
        )
    return ""


def rollout_package(rollout_name: str) -> str:
    """The Python package beside ``main.py``: ``support-triage`` -> ``support_triage_rollout``.

    The ``_rollout`` suffix keeps the package from shadowing the standard library or a dependency
    (a rollout named ``json`` or ``tests`` would otherwise break imports) and from being a keyword.
    """
    return rollout_name.replace("-", "_") + "_rollout"


def class_prefix(rollout_name: str) -> str:
    """CamelCase stem for the rollout's classes: ``support-triage`` -> ``SupportTriage``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", rollout_name) if part)


#: API-key secret LiteLLM reads for a provider prefix; other providers get ``<PROVIDER>_API_KEY``.
PROVIDER_SECRETS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "vertex_ai": "VERTEXAI_CREDENTIALS",
    "azure": "AZURE_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
}


def provider_secret(model: str) -> str:
    """Name of the secret holding the API key for a LiteLLM ``provider/model`` id."""
    provider = model.split("/", 1)[0].lower()
    if provider in PROVIDER_SECRETS:
        return PROVIDER_SECRETS[provider]
    stem = re.sub(r"[^A-Z0-9]+", "_", provider.upper()).strip("_") or "MODEL"
    return f"{stem}_API_KEY" if stem[0].isalpha() else f"P_{stem}_API_KEY"


def default_rollout_name(workspace_name: str) -> str:
    """The rollout a new workspace starts with: named after the workspace unless reserved."""
    return "main-rollout" if workspace_name in RESERVED_ROLLOUT_NAMES else workspace_name


# ---------------------------------------------------------------------------------------------
# Escaping: each filter returns a complete literal for one format and is exact (reads back equal)
# ---------------------------------------------------------------------------------------------

_TOML_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_str(value: object) -> str:
    """A TOML basic string (with quotes) holding ``value`` exactly, on one line."""
    out = []
    for char in str(value):
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _yaml_printable(char: str) -> bool:
    code = ord(char)
    return (
        char in "\t\n\r"
        or 0x20 <= code <= 0x7E
        or code == 0x85
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    ) and code != 0xFEFF


def yaml_str(value: object) -> str:
    """A YAML double-quoted scalar holding ``value`` exactly (safe in front matter, one line)."""
    out = []
    for char in str(value):
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif code in (0x85, 0x2028, 0x2029) or not _yaml_printable(char):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def json_str(value: object) -> str:
    """A JSON value (any JSON-serialisable ``value``), keeping non-ASCII text readable."""
    return json.dumps(value, ensure_ascii=False)


def _py_literal(text: str) -> str:
    """One Python string literal for ``text``, quoted the way ruff and Black prefer.

    Double quotes unless that needs more escapes than single quotes; backslashes, the chosen
    quote and every non-printable character are escaped (``repr`` does the latter).
    """
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(repr(char)[1:-1])
    return quote + "".join(out) + quote


def _too_wide(text: str, width: int) -> bool:
    """Whether the literal of ``text`` is longer than ``width``. A literal is at least two
    characters longer than its text, so a long text is answered without building it: that
    keeps splitting a 100,000-character word linear, not quadratic."""
    return len(text) + 2 > width or len(_py_literal(text)) > width


def _split_to_width(text: str, width: int) -> list[str]:
    """Pieces of ``text`` whose literals fit ``width``: at newlines, then spaces, then anywhere."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        current = ""
        for word in re.split(r"(?<= )", line):
            if current and _too_wide(current + word, width):
                pieces.append(current)
                current = ""
            while len(word) > 1 and _too_wide(word, width):
                cut = max(1, len(word) // 2)
                while cut > 1 and _too_wide(word[:cut], width):
                    cut //= 2
                while cut < len(word) and not _too_wide(word[: cut + 1], width):
                    cut += 1
                pieces.append(word[:cut])
                word = word[cut:]
            current += word
        if current:
            pieces.append(current)
    return pieces


def py_str(value: object, width: int = 0) -> str:
    """A Python expression equal to ``value`` (as text).

    With ``width``, text whose literal is longer is written as parenthesised implicit
    concatenation, one literal of at most ``width`` characters per line, so generated modules
    stay within the line length whatever the user typed.
    """
    text = str(value)
    literal = _py_literal(text)
    if not width or len(literal) <= width:
        return literal
    lines = "".join(f"    {_py_literal(piece)}\n" for piece in _split_to_width(text, width))
    return f"(\n{lines})"


def answers_yaml(answers: object) -> str:
    """The answers file body: block-style YAML that reads back to exactly ``answers``."""
    import yaml  # Copier depends on PyYAML, so it is always importable where this runs

    class Dumper(yaml.SafeDumper):
        pass

    def represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        awkward = any(not _yaml_printable(ch) or ch in "\x85\u2028\u2029" for ch in value)
        style = '"' if awkward or "\n" in value or value != value.strip() else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, represent_str)
    return yaml.dump(
        answers,
        Dumper=Dumper,
        allow_unicode=True,
        default_flow_style=False,
        sort_keys=True,
        width=100,
        indent=2,
    )


def md_block(value: object, info: str = "text") -> str:
    """A fenced Markdown block that shows ``value`` verbatim.

    The fence is longer than any run of backticks in the text, so nothing inside can close it,
    and text in a code block is never read as Markdown, HTML or a Claude ``@import``.
    """
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{info}\n{body}{fence}"


def md_quote(value: object, limit: int = 300) -> str:
    """One line of Markdown text summarising ``value``: first line, shortened, markup escaped.

    For headings and prose where a block would be heavy; the full text goes in a
    :func:`md_block` elsewhere in the same document.
    """
    first = next((line.strip() for line in str(value).splitlines() if line.strip()), "")
    first = "".join(ch for ch in first if unicodedata.category(ch)[0] != "C")
    if len(first) > limit:
        first = first[: limit - 1].rstrip() + "…"
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~@$&])", r"\\\1", first)


def comment_line(value: object, limit: int = 120) -> str:
    """Text safe after a ``#`` in TOML, YAML or Python: one line, no control characters."""
    first = next((line.strip() for line in str(value).splitlines() if line.strip()), "")
    first = "".join(ch for ch in first if unicodedata.category(ch)[0] != "C")
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


class OsmosisExtension(Extension):
    """Registers the filters above under the names the template uses."""

    def __init__(self, environment):  # type: ignore[no-untyped-def]
        super().__init__(environment)
        environment.filters.update(
            slug_problem=slug_problem,
            workspace_name_problem=workspace_name_problem,
            collision_problem=collision_problem,
            rollout_name_problem=rollout_name_problem,
            dataset_name_problem=dataset_name_problem,
            model_problem=model_problem,
            secret_problem=secret_problem,
            text_problem=text_problem,
            field_problem=field_problem,
            rollout_package=rollout_package,
            class_prefix=class_prefix,
            default_rollout_name=default_rollout_name,
            provider_secret=provider_secret,
            toml_str=toml_str,
            yaml_str=yaml_str,
            json_str=json_str,
            py_str=py_str,
            answers_yaml=answers_yaml,
            md_block=md_block,
            md_quote=md_quote,
            comment_line=comment_line,
        )
