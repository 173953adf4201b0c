"""Speed levers that can be shown without rendering: install order, the version fast path, and
the YAML and answers-file shortcuts giving Copier's own results.

Moved from tests/integration/test_perf_levers.py (which keeps the with/without-levers render
comparisons)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.helpers import ROOT
from support.lever_cli import cli
from typer.testing import CliRunner

from osmosis_workspace.cli.typer_app import typer_app
from osmosis_workspace.engine.copier_adapter import levers
from osmosis_workspace.engine.questions import (
    _PureTemplateYamlLoader,
    _TemplateYamlLoader,
    parse_questionnaire,
)
from osmosis_workspace.engine.yamlload import load_yaml


def test_levers_are_installed_before_the_first_copier_operation() -> None:
    code = r"""
import os, sys
from osmosis_workspace import perf
os.environ[perf.ENV] = "0"
perf.enable(on_import=True)
perf.before_operation()
assert not any(perf.status()[lever] for lever in perf.LEVERS)
del os.environ[perf.ENV]
requested = perf.enable(on_import=True)
assert all(requested[lever] for lever in perf.LEVERS), requested
assert "copier" not in sys.modules and "jinja2" not in sys.modules  # a usage error pays nothing
perf.before_operation()  # what the Copier adapter calls before each operation
status = perf.status()
verified = {lever for lever in perf.LEVERS if perf.current_digest(lever) in perf.PINNED[lever]}
assert {lever for lever in perf.LEVERS if status[lever]} == verified, status
perf.disable()
assert not any(perf.status()[lever] for lever in perf.LEVERS)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_version_is_answered_without_typer_with_typers_output(tmp_path: Path) -> None:
    code, _err, _status = cli("--version", cwd=tmp_path)
    assert code == 0
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.argv = ['osmosis-workspace', '--version']\n"
            "from osmosis_workspace.cli import app\ntry:\n    app()\nfinally:\n"
            "    print('typer' in sys.modules, file=sys.stderr)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    expected = CliRunner().invoke(typer_app, ["--version"])
    assert (proc.returncode, proc.stdout) == (expected.exit_code, expected.stdout)
    assert proc.stderr.strip() == "False"


def test_libyaml_parsing_gives_the_same_data_and_the_same_errors() -> None:
    text = (ROOT / "copier.yml").read_text(encoding="utf-8")
    assert yaml.load(text, Loader=_TemplateYamlLoader) == yaml.load(
        text, Loader=_PureTemplateYamlLoader
    )
    assert parse_questionnaire(text).questions.keys()
    tagged = "a: !include other.yml\nb: [1, 2]\n"
    assert load_yaml(tagged, _TemplateYamlLoader, _PureTemplateYamlLoader) == {
        "a": "other.yml",
        "b": [1, 2],
    }
    for broken in ("a: [1, 2\nb: c\n", "name: x\ndescription: Use when: y\n", "\tkey: 1\n"):
        with pytest.raises(yaml.YAMLError) as pure:
            yaml.safe_load(broken)
        with pytest.raises(yaml.YAMLError) as fast:
            load_yaml(broken)
        assert str(fast.value) == str(pure.value)
    front_matter = "name: plan-eval\ndescription: 'Plans evals: when asked'\nmetadata: {v: '1'}\n"
    assert load_yaml(front_matter) == yaml.safe_load(front_matter)


def test_copier_yaml_lever_same_config_and_same_error(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "copier.yml").write_text("a: [1, 2\nb: c\n")
    code = r"""
import sys
from pathlib import Path
from copier import _template
from osmosis_workspace import perf
from osmosis_workspace.engine.copier_adapter import levers

def load(path):
    try:
        return _template.load_template_config(Path(path))
    except Exception as exc:
        cause = exc.__cause__
        return (type(exc).__name__, str(exc), type(cause).__name__, str(cause))

paths = sys.argv[1:]
before = [load(p) for p in paths]
if not levers.install(["copier_yaml"])["copier_yaml"]:
    sys.exit(0)  # another Copier version: the lever is off
after = [load(p) for p in paths]
assert before == after, [(b, a) for b, a in zip(before, after) if b != a]
assert perf.status()["yaml_fallbacks"] == 1
"""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            str(ROOT / "copier.yml"),
            str(tmp_path / "broken" / "copier.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_answers_file_name_shortcut_only_for_text_jinja_renders_to_itself() -> None:
    from copier._jinja_ext import YieldExtension, get_yield_context
    from jinja2 import Environment
    from jinja2.runtime import Context
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(extensions=[YieldExtension], keep_trailing_newline=True)
    for name in (".copier-answers.yml", "sub dir/answers.yaml", ""):
        assert levers._renders_to_itself(env, name)
        assert env.from_string(name).render() == name
    for name in ("{{ x }}.yml", "{% if 1 %}a{% endif %}", "a{# c #}", "a\nb"):
        assert not levers._renders_to_itself(env, name)
    get_yield_context(env).yield_name = "leftover"
    levers._renders_to_itself(env, ".copier-answers.yml")
    assert get_yield_context(env).yield_name is None  # preprocess ran, as from_string does
    assert not levers._renders_to_itself(Environment(line_statement_prefix="#"), "a")
    assert not levers._renders_to_itself(Environment(autoescape=True), "a")
    hooked = Environment()
    hooked.context_class = type("Hooked", (Context,), {})
    assert not levers._renders_to_itself(hooked, "a")
