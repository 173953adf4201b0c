"""``check`` as a plain function, shared by the Typer command and the fast entry path.

Imports only the checks and the output helpers (no Typer, no Copier, no Jinja on ``--fast``),
because a pre-commit hook runs it on every commit.
"""

from __future__ import annotations

from pathlib import Path

from osmosis_workspace.cli import output
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.exit_codes import ExitCode


def run_check(path: Path, *, fast: bool, json_mode: bool) -> ExitCode:
    """Check the workspace, print the report, return the exit code."""
    from osmosis_workspace.checks import check_workspace

    try:
        report = check_workspace(path, fast=fast)
    except WorkspaceError as exc:
        if json_mode:
            output.emit_json(output.envelope("check", exc.exit_code, None, exc.to_dict()))
        else:
            output.err(f"error: {exc.message}")
        return exc.exit_code
    code = ExitCode.OK if report.ok else ExitCode.PROBLEMS
    if json_mode:
        output.emit_json(output.envelope("check", code, report.to_dict()))
        return code
    for problem in report.problems:
        output.out(str(problem))
    for skipped in report.skipped:
        output.err(f"skipped: {skipped}")
    count = len(report.problems)
    output.err(f"{count} problem{'s' if count != 1 else ''} found" if count else "workspace OK")
    return code
