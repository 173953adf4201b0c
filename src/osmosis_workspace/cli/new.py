"""``osmosis-workspace new DEST``: ask the questions (or take answers), render, git init+commit."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from osmosis_workspace.cli import output
from osmosis_workspace.cli.common import (
    DataFileOpt,
    JsonOpt,
    RefOpt,
    SetOpt,
    answers_from,
    call,
    print_steps,
)
from osmosis_workspace.exit_codes import ExitCode

if TYPE_CHECKING:
    from osmosis_workspace.results import CreateResult

EXIT_CODES = (
    ExitCode.OK,
    ExitCode.ERROR,
    ExitCode.USAGE,
    ExitCode.INVALID_ANSWERS,
    ExitCode.REFUSED,
)


@dataclass(frozen=True)
class NewArgs:
    """The options of ``new``, as Typer shows them (see :func:`.common.typer_command`)."""

    dest: Annotated[Path, typer.Argument(help="Folder to create (must not exist, or be empty).")]
    defaults: Annotated[
        bool,
        typer.Option(
            "--defaults",
            help="Ask nothing: use --set/--data-file answers and the defaults. "
            "Implied when stdin is not a terminal.",
        ),
    ] = False
    data_file: DataFileOpt = None
    set_: SetOpt = None
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            help="Template source: path, git URL or gh:org/repo (default: "
            "$OSMOSIS_WORKSPACE_TEMPLATE, else the bundled template).",
        ),
    ] = None
    ref: RefOpt = None
    no_git: Annotated[
        bool, typer.Option("--no-git", help="Skip `git init` and the first commit.")
    ] = False
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Render into a non-empty folder (rendered files replace existing ones; "
            "other files are kept).",
        ),
    ] = False
    json_mode: JsonOpt = False


def new(args: NewArgs) -> None:
    """Create a workspace in DEST: ask the questions (or take answers), render, git init+commit.

    The workspace name defaults to DEST's folder name when that is a valid name. On any error
    nothing is left behind.
    """
    from osmosis_workspace.engine.questions import load_data_file
    from osmosis_workspace.operations.options import CreateOptions

    data_file, json_mode = args.data_file, args.json_mode
    if data_file is not None:  # a bad --data-file is refused before any template work
        call("new", json_mode, lambda: load_data_file(data_file))
    options = CreateOptions(
        git_init=not args.no_git,
        overwrite=args.force,
        interactive=not (args.defaults or json_mode) and sys.stdin.isatty(),
        name_from_folder=True,
        private_cache=False,
    )

    def create() -> CreateResult:
        from osmosis_workspace.engine.render import load_rules
        from osmosis_workspace.engine.source import resolve
        from osmosis_workspace.operations.create import create_from

        # Resolved here, once: the --set values are typed by the questions of this version.
        source = resolve(args.template, args.ref)
        questionnaire, _rules = load_rules(source)
        answers = answers_from(data_file, args.set_, questionnaire)
        return create_from(source, args.dest, answers, options)

    _report(args.dest, call("new", json_mode, create), json_mode)


def _report(dest: Path, result: CreateResult, json_mode: bool) -> None:
    steps = output.next_steps(
        str(dest), result.answers, result.files, committed=result.commit is not None
    )
    if json_mode:
        payload = {**result.to_dict(), "next_steps": steps}
        output.emit_json(output.envelope("new", ExitCode.OK, payload))
        return
    version = (
        f"template {result.version}"
        if result.version
        else "uncommitted template files, not updatable"
    )
    commit = f", committed {result.commit[:10]}" if result.commit else ""
    output.out(
        f"Created Osmosis workspace {result.answers.get('workspace_name', '')} in "
        f"{result.path} ({version}, {len(result.files)} files{commit})."
    )
    for note in result.notes:
        output.err(f"note: {note}")
    print_steps(steps)
