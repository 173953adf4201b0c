"""The Typer application behind ``osmosis-workspace``: its commands, ``--version`` and how usage
errors are reported.

One module per command (:mod:`.new`, :mod:`.update`, :mod:`.check`, :mod:`.check_update`,
:mod:`.add_rollout`), registered here with the exit codes its ``--help`` lists; the options and
helpers they share are in :mod:`.common` (a module of its own so that the commands never import
this one, which imports them). The console script enters through :mod:`osmosis_workspace.cli`,
which runs plain ``check`` invocations without importing Typer at all; the ``check`` command
here is a thin wrapper around the same :func:`~osmosis_workspace.cli.check.run_check`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from osmosis_workspace import __version__
from osmosis_workspace.cli import add_rollout, check_update, new, output, update
from osmosis_workspace.cli.common import JsonOpt, codes, typer_command
from osmosis_workspace.exit_codes import ExitCode, exit_code_table

HELP = """Create, update and check Osmosis workspace repositories (a Copier template).

Every command accepts --json: stdout then holds exactly one JSON object
{"schema_version", "command", "ok", "exit_code", "result", "error"}.
"""
EPILOG = "\b\nExit codes:\n" + exit_code_table() + "\n"


class _JsonAwareGroup(TyperGroup):
    """Report usage errors as JSON too when ``--json`` is on the command line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        json_mode = "--json" in argv and standalone_mode
        try:
            code = super().main(
                args=argv,
                prog_name=prog_name,
                complete_var=complete_var,
                standalone_mode=standalone_mode and not json_mode,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except Exception as exc:
            if not json_mode or not hasattr(exc, "format_message"):
                raise
            _usage_error(argv, exc)
        if not json_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _usage_error(argv: list[str], exc: Exception) -> NoReturn:
    """A click usage error as the JSON envelope, then its exit code (2)."""
    usage = getattr(exc, "exit_code", 2)
    command = next((a for a in argv if not a.startswith("-")), "")
    error = {
        "code": "usage",
        "message": exc.format_message(),  # type: ignore[attr-defined]
        "problems": [],
        "paths": [],
        "details": {},
    }
    output.emit_json(output.envelope(command, usage, None, error))
    sys.exit(usage)


typer_app = typer.Typer(
    name="osmosis-workspace",
    help=HELP,
    epilog=EPILOG,
    cls=_JsonAwareGroup,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"osmosis-workspace {__version__}")
        raise typer.Exit()


@typer_app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Create, update and check Osmosis workspace repositories."""


def check(
    path: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    fast: Annotated[
        bool,
        typer.Option(
            "--fast",
            help="Skip the slow parts (git, skills-ref, answers vs. template, large "
            "datasets): for pre-commit hooks.",
        ),
    ] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Validate the workspace offline: one line per problem (file: reason); exit 5 if any.

    Checks the paths osmosis requires, AGENTS.md/CLAUDE.md, every skill and the .claude/skills
    link, every config against osmosis-ai's schemas and the rollouts it names, every dataset
    against the platform rules, and the answers file.
    """
    from osmosis_workspace.cli.check import run_check

    raise typer.Exit(int(run_check(path, fast=fast, json_mode=json_mode)))


CHECK_CODES = (ExitCode.OK, ExitCode.USAGE, ExitCode.REFUSED, ExitCode.PROBLEMS)

typer_app.command(epilog=codes(*new.EXIT_CODES))(typer_command(new.NewArgs, new.new))
typer_app.command(epilog=codes(*update.EXIT_CODES))(typer_command(update.UpdateArgs, update.update))
typer_app.command(epilog=codes(*CHECK_CODES))(check)
typer_app.command("check-update", epilog=codes(*check_update.EXIT_CODES))(check_update.check_update)
typer_app.command("add-rollout", epilog=codes(*add_rollout.EXIT_CODES))(
    typer_command(add_rollout.AddRolloutArgs, add_rollout.add_rollout)
)
