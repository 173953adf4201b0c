"""Unit tests of the template's Jinja extension: pure functions, read back with real parsers."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from types import ModuleType

import jinja2
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support.helpers import ROOT, load_by_path


def load_extension(name: str) -> ModuleType:
    """Load ``extensions/<name>.py`` by path, the way Copier's extension loader does."""
    return load_by_path(f"ext_{name}", ROOT / "extensions" / f"{name}.py")


ext = load_extension("osmosis_jinja")

# Any text a user can type, including the characters formats treat specially.
tricky_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=200,
) | st.sampled_from(
    [
        '"',
        "'''",
        '"""',
        "\\",
        "\\n",
        "{{ x }}",
        "{% raw %}",
        "---",
        "\n---\n",
        "$ARGUMENTS",
        "\u202e",
        "\u2028",
        "\ufeff",
        "\x7f",
        "\x1b[31m",
        "😀",
        "a: b # c",
        "- item",
        "key = 1",
    ]
)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("support-triage", ""),
        ("a", ""),
        ("a1-b2", ""),
        ("", "workspace_name is required"),
        ("Upper", "is not allowed"),
        ("has space", "is not allowed"),
        ("-lead", "is not allowed"),
        ("trail-", "is not allowed"),
        ("dou--ble", "is not allowed"),
        ("1abc", "is not allowed"),
        ("../x", "is not allowed"),
        ("a/b", "is not allowed"),
        ("~", "is not allowed"),
        ("\uff46\uff55\uff4c\uff4cwidth", "is not allowed"),
        ("con", "Windows reserves"),
        ("lpt1", "Windows reserves"),
        ("x" * 65, "the limit is 64"),
    ],
)
def test_slug_problem(value: str, problem: str) -> None:
    found = ext.slug_problem(value, "workspace_name")
    assert (found == "") if not problem else (problem in found and "workspace_name" in found)


def test_rollout_name_refuses_reserved_default() -> None:
    assert "reserved by Osmosis" in ext.rollout_name_problem("default")
    assert ext.rollout_name_problem("my-task") == ""


@pytest.mark.parametrize(
    ("value", "litellm", "ok"),
    [
        ("openai/gpt-5-mini", True, True),
        ("openrouter/meta-llama/llama-3.3-70b-instruct", True, True),
        ("gpt-5-mini", True, False),
        ("openai/gpt 5", True, False),
        ("openai/../../etc", True, False),
        ("Qwen/Qwen3.6-35B-A3B", False, True),
        ("Qwen", False, False),
        ("openai/sk-abcdefghijklmnopqrstuvwxyz", True, False),
    ],
)
def test_model_problem(value: str, litellm: bool, ok: bool) -> None:
    assert (ext.model_problem(value, "m", litellm=litellm) == "") is ok


def test_text_problem_rejects_empty_nul_oversize_and_keys() -> None:
    assert "required" in ext.text_problem("   ")
    assert "NUL" in ext.text_problem("a\x00b")
    assert "limit" in ext.text_problem("x" * (ext.MAX_TEXT_LENGTH + 1))
    assert "OpenAI-style API key" in ext.text_problem("use sk-proj-abcdefghijklmnop1234 please")
    assert "GitHub token" in ext.text_problem("ghp_" + "a" * 36)
    assert ext.text_problem("Classify tickets; mention sk-learn and task-123.") == ""


@pytest.mark.parametrize(
    ("rollout", "package", "prefix"),
    [
        ("support-triage", "support_triage_rollout", "SupportTriage"),
        ("json", "json_rollout", "Json"),
        ("a1-b2-c3", "a1_b2_c3_rollout", "A1B2C3"),
    ],
)
def test_name_derivations(rollout: str, package: str, prefix: str) -> None:
    assert ext.rollout_package(rollout) == package
    assert package.isidentifier()
    assert ext.class_prefix(rollout) == prefix


def test_default_rollout_name_avoids_reserved() -> None:
    assert ext.default_rollout_name("my-task") == "my-task"
    assert ext.rollout_name_problem(ext.default_rollout_name("default")) == ""


@pytest.mark.parametrize(
    ("model", "secret"),
    [
        ("openai/gpt-5-mini", "OPENAI_API_KEY"),
        ("anthropic/claude", "ANTHROPIC_API_KEY"),
        ("hosted_vllm/x", "HOSTED_VLLM_API_KEY"),
        ("9lab/x", "P_9LAB_API_KEY"),
    ],
)
def test_provider_secret(model: str, secret: str) -> None:
    assert ext.provider_secret(model) == secret


@given(tricky_text)
def test_toml_str_reads_back(text: str) -> None:
    assert tomllib.loads(f"v = {ext.toml_str(text)}\n")["v"] == text


@given(tricky_text)
def test_yaml_str_reads_back_inside_front_matter(text: str) -> None:
    document = f"name: x\ndescription: {ext.yaml_str(text)}\n"
    assert yaml.safe_load(document) == {"name": "x", "description": text}


@given(tricky_text)
def test_json_and_python_literals_read_back(text: str) -> None:
    assert json.loads(ext.json_str(text)) == text
    assert ast.literal_eval(ext.py_str(text)) == text


@given(tricky_text | st.text(min_size=100, max_size=600))
def test_wrapped_python_literals_read_back_and_fit(text: str) -> None:
    literal = ext.py_str(text, width=80)
    assert ast.literal_eval(literal) == text
    assert all(len(line) <= 84 for line in literal.splitlines())


def test_wrapping_a_long_word_reads_it_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Splitting a 100,000-character word into literals costs a few dozen passes over it,
    not one pass per piece (that was quadratic: a pasted blob held a render for seconds)."""
    read = 0
    literal = ext._py_literal

    def counting(text: str) -> str:
        nonlocal read
        read += len(text)
        return literal(text)

    monkeypatch.setattr(ext, "_py_literal", counting)
    text = "x" * 100_000 + "\n" + "y" * 100
    assert ast.literal_eval(ext.py_str(text, width=88)) == text
    assert read < 100 * len(text), read


@pytest.mark.parametrize(
    ("text", "literal"),
    [("plain", '"plain"'), ("it's", '"it' + "'" + 's"'), ('say "hi"', "'say " + '"hi"' + "'")],
)
def test_python_literals_use_the_quotes_ruff_prefers(text: str, literal: str) -> None:
    assert ext.py_str(text) == literal


@given(tricky_text)
def test_md_block_is_never_closed_early(text: str) -> None:
    block = ext.md_block(text).split("\n")
    fence = block[0][: len(block[0]) - len("text")]
    inner = block[1:-1]
    assert block[-1] == fence
    assert not any(line.strip().startswith(fence) for line in inner)
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    assert "\n".join(inner) == normalised.removesuffix("\n")


@given(tricky_text)
def test_one_line_filters_stay_on_one_line(text: str) -> None:
    for filtered in (ext.md_quote(text), ext.comment_line(text)):
        assert "\n" not in filtered and "\r" not in filtered


def test_extension_registers_every_filter_copier_yml_uses() -> None:
    datasets = load_extension("datasets")
    env = jinja2.Environment(extensions=[ext.OsmosisExtension, datasets.DatasetExtension])
    used = set()
    sources = [
        ROOT / "copier.yml",
        *(ROOT / "template").rglob("*.jinja"),
        *(ROOT / "includes").rglob("*.jinja"),
    ]
    for source in sources:
        used |= set(_filter_names(source.read_text(encoding="utf-8")))
    builtin = set(jinja2.Environment().filters) | {"to_nice_yaml"}
    assert used - builtin <= set(env.filters), used - builtin - set(env.filters)


def _filter_names(text: str) -> list[str]:
    """Names used as filters inside Jinja expressions and statements."""
    names: list[str] = []
    for expression in re.findall(r"\{\{.*?\}\}|\{%.*?%\}", text, flags=re.DOTALL):
        names += re.findall(r"\|\s*([a-z_]+)", expression)
    return names
