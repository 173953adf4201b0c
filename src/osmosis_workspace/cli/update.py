"""``osmosis-workspace update [PATH]``: the workspace, one rollout (``--rollout``), every answers
file (``--all``), or undo an interrupted run (``--abort``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from osmosis_workspace.cli import output
from osmosis_workspace.cli.common import (
    DataFileOpt,
    JsonOpt,
    RefOpt,
    SetOpt,
    answers_from,
    call,
    print_update,
    questionnaire_of,
)
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.exit_codes import ExitCode

if TYPE_CHECKING:
    from osmosis_workspace.results import UpdateAllResult, UpdateResult

EXIT_CODES = (
    ExitCode.OK,
    ExitCode.ERROR,
    ExitCode.USAGE,
    ExitCode.INVALID_ANSWERS,
    ExitCode.REFUSED,
    ExitCode.CONFLICTS,
)


class ConflictMode(StrEnum):
    """How update leaves conflicts for the user."""

    inline = "inline"
    rej = "rej"


@dataclass(frozen=True)
class UpdateArgs:
    """The options of ``update``, as Typer shows them (see :func:`.common.typer_command`)."""

    path: Annotated[Path, typer.Argument(help="Workspace (or a folder inside it).")] = Path(".")
    ref: RefOpt = None
    data_file: DataFileOpt = None
    set_: SetOpt = None
    conflict: Annotated[
        ConflictMode,
        typer.Option(
            "--conflict",
            help="How to leave conflicts: inline markers (with unmerged index "
            "entries) or *.rej files.",
        ),
    ] = ConflictMode.inline
    rollout: Annotated[
        str | None,
        typer.Option(
            "--rollout",
            help="Update only this rollout (one added with add-rollout, through its "
            ".copier-answers.rollout-NAME.yml) instead of the workspace.",
        ),
    ] = None
    abort: Annotated[
        bool,
        typer.Option(
            "--abort",
            help="Undo an interrupted update or add-rollout: put the tree and index "
            "back exactly as they were before it started.",
        ),
    ] = False
    all_: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Update the workspace and every rollout added with add-rollout (each "
            "answers file) in one run: all of them, or nothing.",
        ),
    ] = False
    json_mode: JsonOpt = False


def update(args: UpdateArgs) -> None:
    """Update the workspace to a newer template version (from a clean git tree).

    Prints skills added, changed and removed, and other files. Files you edited that the new
    version deletes or renames are kept; conflicts are listed and exit with 6. On any failure
    the workspace is restored exactly as it was; if the process is killed, `update --abort`
    restores it. Nothing is committed: review, then commit.
    """
    from osmosis_workspace.operations.options import UpdateOptions
    from osmosis_workspace.operations.update import update_workspace

    path, json_mode = args.path, args.json_mode
    if args.abort:
        _abort(path, json_mode)
    if args.all_:
        _update_all(args)

    def run() -> UpdateResult:
        answers = answers_from(args.data_file, args.set_, questionnaire_of(path, args.ref))
        options = UpdateOptions(
            ref=args.ref,
            answers=answers or None,
            conflict=args.conflict.value,
            rollout=args.rollout,
            private_cache=False,
        )
        return update_workspace(path, options)

    result = call("update", json_mode, run)
    code = ExitCode.CONFLICTS if result.conflicts else ExitCode.OK
    if json_mode:
        output.emit_json(output.envelope("update", code, result.to_dict()))
    else:
        print_update(result)
        for note in result.notes:
            output.err(f"note: {note}")
    raise typer.Exit(int(code))


def _abort(path: Path, json_mode: bool) -> NoReturn:
    """``update --abort``: undo the interrupted operation the journal records."""
    from osmosis_workspace.operations.recovery import abort_operation

    result = call("update", json_mode, lambda: abort_operation(path))
    if json_mode:
        output.emit_json(output.envelope("update", ExitCode.OK, result.to_dict()))
    else:
        output.out(result.message)
        for rel in result.left:
            output.out(f"  {rel}")
    raise typer.Exit(int(ExitCode.OK))


def _update_all(args: UpdateArgs) -> NoReturn:
    """``update --all``: every answers file, all or nothing (see :mod:`.update_all`)."""
    from osmosis_workspace.operations.options import UpdateAllOptions
    from osmosis_workspace.operations.update_all import update_all

    def run() -> UpdateAllResult:
        if args.rollout or args.data_file or args.set_:
            raise WorkspaceError(
                "usage",
                "--all updates every answers file with its own "
                "answers: it takes no --rollout, --set or --data-file",
            )
        options = UpdateAllOptions(ref=args.ref, conflict=args.conflict.value, private_cache=False)
        return update_all(args.path, options)

    json_mode = args.json_mode
    result = call("update", json_mode, run)
    code = ExitCode.CONFLICTS if result.conflicts else ExitCode.OK
    if json_mode:
        output.emit_json(output.envelope("update", code, result.to_dict()))
    else:
        for name, one in result.updates:
            output.out(f"{name}:")
            print_update(one)
            for note in one.notes:
                output.err(f"note: {note}")
    raise typer.Exit(int(code))
