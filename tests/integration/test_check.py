"""``osmosis-workspace check``: passes every render and catches every broken workspace.

The broken cases live in ``support.check_cases``; that the real osmosis CLI reaches the same
verdicts on them (and on every good render) is tests/acceptance/test_check_agrees_with_osmosis.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.check_cases import (
    CASES,
    DATA,
    Case,
    broken_copy,
    found,
    replace,
)
from support.helpers import git
from support.workspace_api_helpers import (
    V1,
    run_entry_point,
    shared_template_repo,
)

from osmosis_workspace.checks import check_workspace
from osmosis_workspace.exit_codes import ExitCode

# ---------------------------------------------------------------------------------------------


def test_every_render_passes(workspace: Path) -> None:
    for fast in (False, True):
        report = check_workspace(workspace, fast=fast)
        assert report.problems == [], "\n".join(map(str, report.problems))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_workspace_is_caught(case: Case, default_workspace: Path, tmp_path: Path) -> None:
    path = broken_copy(default_workspace, tmp_path / "ws", case)
    report = check_workspace(path)
    assert found(report.problems, case), "\n".join(map(str, report.problems)) or "no problem"
    fast = check_workspace(path, fast=True)
    assert found(fast.problems, case), "--fast missed it"


def test_symlinks_false_checkout_is_detected_with_the_fix(
    default_workspace: Path, tmp_path: Path
) -> None:
    clone = tmp_path / "windows-like"
    git(
        "clone", "-q", "-c", "core.symlinks=false", str(default_workspace), str(clone), cwd=tmp_path
    )
    assert (clone / ".claude" / "skills").is_file()
    report = check_workspace(clone, fast=True)
    [problem] = [p for p in report.problems if p.file == ".claude/skills"]
    assert "core.symlinks=false" in problem.message
    assert "git config core.symlinks true" in problem.message
    assert "git checkout -- .claude/skills" in problem.message
    # Committed from such a checkout, the link is stored as a file: full mode reads git's index.
    git("rm", "-q", "--cached", ".claude/skills", cwd=clone)
    git("-c", "core.symlinks=false", "add", ".claude/skills", cwd=clone)
    git("commit", "-q", "-m", "committed on Windows", cwd=clone)
    messages = [p.message for p in check_workspace(clone).problems if p.file == ".claude/skills"]
    assert any(
        "committed as a regular file (mode 100644)" in m
        and "ln -s ../.agents/skills .claude/skills" in m
        for m in messages
    ), messages


def test_answers_are_checked_against_their_template_version(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from osmosis_workspace.api import CreateOptions, create_workspace

    repo = shared_template_repo(tmp_path_factory)
    path = tmp_path / "ws"
    create_workspace(path, {"workspace_name": "ws"}, CreateOptions(template=repo.location, ref=V1))
    assert check_workspace(path).problems == []
    replace(path, ".copier-answers.yml", "python_version: '3.12'", "python_version: '2.7'")
    replace(
        path,
        ".copier-answers.yml",
        "task_description: ",
        "task_description: key sk-abcdefghijklmnopqrstuvwx ",
    )
    messages = [p.message for p in check_workspace(path).problems]
    assert any(m.startswith("python_version: ") and "choices" in m for m in messages), messages
    assert any("looks like an OpenAI-style API key" in m for m in messages), messages
    assert not any("sk-abcdefghijklmnopqrstuvwx" in m for m in messages)  # never echo secrets
    fast = [p.message for p in check_workspace(path, fast=True).problems]
    # --fast skips the template's choices (they need the template) but not the credential scan
    assert len(fast) == 1 and "looks like an OpenAI-style API key" in fast[0], fast


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


@pytest.mark.smoke  # part of `dev.py test --fast`
def test_check_command_json_and_exit_codes(default_workspace: Path, tmp_path: Path) -> None:
    good = run_entry_point("check", "--json", str(default_workspace), cwd=tmp_path)
    assert good.returncode == ExitCode.OK, good.stdout
    payload = json.loads(good.stdout)
    assert payload["command"] == "check" and payload["ok"] is True
    assert payload["result"]["problems"] == [] and payload["exit_code"] == 0

    case = next(c for c in CASES if c.id == "dataset-too-small")
    broken = broken_copy(default_workspace, tmp_path / "broken", case)
    human = run_entry_point("check", cwd=broken)
    assert human.returncode == ExitCode.PROBLEMS
    assert f"{DATA}: has 3 rows; the platform needs at least 4" in human.stdout.splitlines()[0]
    assert "1 problem found" in human.stderr
    machine = run_entry_point("check", "--fast", "--json", cwd=broken)
    assert machine.returncode == ExitCode.PROBLEMS
    problems = json.loads(machine.stdout)["result"]["problems"]
    assert problems == [{"file": DATA, "line": None, "check": "datasets", "message": case.message}]

    missing = run_entry_point("check", "--json", str(tmp_path / "nope"), cwd=tmp_path)
    assert missing.returncode == ExitCode.REFUSED
    assert json.loads(missing.stdout)["error"]["code"] == "not_a_workspace"


def test_check_help_and_typer_path_agree(default_workspace: Path, tmp_path: Path) -> None:
    """``check --help`` goes through Typer; plain calls take the fast path: same output."""
    helped = run_entry_point("check", "--help", cwd=tmp_path)
    assert helped.returncode == 0 and "--fast" in helped.stdout and "--json" in helped.stdout
    from typer.testing import CliRunner

    from osmosis_workspace.cli.typer_app import typer_app

    via_typer = CliRunner().invoke(typer_app, ["check", "--json", str(default_workspace)])
    direct = run_entry_point("check", "--json", str(default_workspace), cwd=tmp_path)
    assert via_typer.exit_code == direct.returncode == 0
    assert json.loads(via_typer.stdout) == json.loads(direct.stdout)


LIGHT_PROBE = """
import sys, time
start = time.perf_counter()
from osmosis_workspace.cli import app
sys.argv = ["osmosis-workspace", "check", "--fast", sys.argv[1]]
try:
    app()
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"copier", "typer", "jinja2",
               "skills_ref", "click", "pydantic", "plumbum", "questionary"})
print(heavy, time.perf_counter() - start, file=sys.stderr)
"""


def test_fast_check_is_light(default_workspace: Path, tmp_path: Path) -> None:
    """``check --fast`` (the pre-commit hook) imports none of the heavy libraries and passes
    through the real console script. How fast it is, is measured in bench/ (bench/run.py's check
    rows), never with a clock in a test."""
    probe = subprocess.run(
        [sys.executable, "-c", LIGHT_PROBE, str(default_workspace)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    heavy, _seconds = probe.stderr.strip().splitlines()[-1].rsplit(" ", 1)
    assert heavy == "[]", probe.stderr
    proc = run_entry_point("check", "--fast", str(default_workspace), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
