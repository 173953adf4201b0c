"""The speed levers of ``osmosis_workspace.perf`` as the CLI uses them (issue #6).

The console script turns the levers on for ``new``, ``update`` and ``add-rollout``
(``perf.enable(on_import=True)``); everything else in the suite renders without them. These
tests check that the CLI's output with the levers is byte-identical to the API's without them,
that the levers really are installed there, and the pieces that must not change behaviour:
libyaml parsing with the pure-Python parser's errors, the constant answers-file shortcut, and
``--version`` answered without Typer. Lever code runs in subprocesses, so the patches never
leak into the other tests' process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.helpers import ROOT, git, tree_bytes
from support.workspace_api_helpers import (
    V1,
    V2,
    TemplateRepo,
    copy_workspace,
    shared_workspace,
)
from typer.testing import CliRunner

from osmosis_workspace import perf
from osmosis_workspace.cli.app import typer_app
from osmosis_workspace.engine.copier_adapter import levers
from osmosis_workspace.engine.questions import (
    _PureTemplateYamlLoader,
    _TemplateYamlLoader,
    parse_questionnaire,
)
from osmosis_workspace.engine.yamlload import load_yaml

#: The console script, with ``perf.status()`` written to stderr at exit.
DRIVER = r"""
import atexit, json, sys
from osmosis_workspace import perf
atexit.register(lambda: print("PERF " + json.dumps(perf.status()), file=sys.stderr))
sys.argv = ["osmosis-workspace", *sys.argv[1:]]
from osmosis_workspace.cli import main
main()
"""
#: The Copier levers install only on the code they were verified against (digests pinned).
COPIER_PATCHES = all(perf.current_digest(lever) in perf.PINNED[lever]
                     for lever in ("filemode", "copier_yaml", "answers_relpath"))


def cli(*args: str, cwd: Path, perf_env: str | None = None) -> tuple[int, str, dict]:
    """Run the CLI's entry point in a fresh interpreter: (exit code, stderr, perf.status())."""
    env = {k: v for k, v in os.environ.items() if k != "OSMOSIS_WORKSPACE_PERF"}
    if perf_env is not None:
        env["OSMOSIS_WORKSPACE_PERF"] = perf_env
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    status_line = next(line for line in proc.stderr.splitlines() if line.startswith("PERF "))
    return proc.returncode, proc.stderr, json.loads(status_line[5:])


def index_and_modes(path: Path) -> tuple[str, str]:
    """The git index (modes and blob ids) and the executable files of the working tree."""
    executables = sorted(
        p.relative_to(path).as_posix()
        for p in path.rglob("*")
        if ".git" not in p.parts and p.is_file() and not p.is_symlink() and os.access(p, os.X_OK)
    )
    return git("ls-files", "-s", cwd=path).stdout, "\n".join(executables)


def test_cli_new_with_levers_matches_the_api_without(
    tmp_path: Path, repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    plain = shared_workspace(tmp_path_factory, repo, V1)  # API, in this process: no levers
    assert not perf.status()["compile_cache"]
    dest = tmp_path / plain.name
    code, err, status = cli(
        "new",
        str(dest),
        "--defaults",
        "--template",
        repo.location,
        "--ref",
        V1,
        "--set",
        f"workspace_name={plain.name}",
        cwd=tmp_path,
    )
    assert code == 0, err
    assert status["compile_cache"] and status["compile_hits"] > status["compile_misses"]
    if COPIER_PATCHES:
        assert status["filemode"] and status["copier_yaml"] and status["answers_relpath"]
        assert status["relpath_constant"] > 0 and status["relpath_rendered"] == 0
    assert tree_bytes(dest) == tree_bytes(plain)
    assert index_and_modes(dest) == index_and_modes(plain)


@pytest.mark.parametrize(
    "args",
    [("update", "--ref", V2), ("add-rollout", "second-one", "--grader", "numeric")],
    ids=["update", "add-rollout"],
)
def test_cli_command_with_and_without_levers_is_identical(
    args: tuple[str, ...], tmp_path: Path, repo: TemplateRepo,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = shared_workspace(tmp_path_factory, repo, V1)
    results = {}
    for perf_env in ("0", None):
        ws = copy_workspace(base, tmp_path / f"perf-{perf_env}" / base.name)
        code, err, status = cli(*args, cwd=ws, perf_env=perf_env)
        assert code == 0, err
        assert status["compile_cache"] is (perf_env is None)
        results[perf_env] = (
            tree_bytes(ws),
            index_and_modes(ws),
            git("status", "--porcelain", cwd=ws).stdout,
        )
    assert results["0"] == results[None]


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
