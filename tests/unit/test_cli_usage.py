"""The CLI's help, version and usage errors (exit 2, JSON), which never reach Copier or git.

Moved from tests/integration/test_cli.py (which keeps every command that renders or updates)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.workspace_api_helpers import (
    run_entry_point,
)
from typer.testing import CliRunner

from osmosis_workspace.cli.typer_app import typer_app
from osmosis_workspace.exit_codes import EXIT_CODE_HELP, ExitCode

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(typer_app, list(args), env=env)


def test_help_lists_commands_and_exit_codes() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("new", "update", "check", "check-update", "add-rollout"):
        assert command in result.stdout
    for code, text in EXIT_CODE_HELP:
        assert f"{int(code)}  {text}" in result.stdout


@pytest.mark.parametrize("command", ["new", "update", "check", "check-update", "add-rollout"])
def test_every_command_has_help_with_json(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "--json" in result.stdout


def test_version_and_no_arguments(tmp_path: Path) -> None:
    assert invoke("--version").stdout.startswith("osmosis-workspace ")
    bare = run_entry_point(cwd=tmp_path)
    assert "Usage" in bare.stdout + bare.stderr


def test_usage_errors_exit_2_and_speak_json(tmp_path: Path) -> None:
    proc = run_entry_point("new", str(tmp_path / "x"), "--json", "--bogus", cwd=tmp_path)
    assert proc.returncode == ExitCode.USAGE
    data = json.loads(proc.stdout)
    assert data["error"]["code"] == "usage" and "--bogus" in data["error"]["message"]
    plain = run_entry_point("update", "--bogus", cwd=tmp_path)
    assert plain.returncode == ExitCode.USAGE and "--bogus" in plain.stderr
