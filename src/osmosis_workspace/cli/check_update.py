"""``osmosis-workspace check-update [PATH]``: is a newer template version available (exit 7),
and what would ``update`` change?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from osmosis_workspace.cli import output
from osmosis_workspace.cli.common import JsonOpt, RefOpt, call, print_update
from osmosis_workspace.exit_codes import ExitCode

EXIT_CODES = (
    ExitCode.OK,
    ExitCode.ERROR,
    ExitCode.USAGE,
    ExitCode.REFUSED,
    ExitCode.UPDATE_AVAILABLE,
)


def check_update(
    path: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    ref: RefOpt = None,
    no_preview: Annotated[
        bool,
        typer.Option(
            "--no-preview", help="Only compare versions; do not compute what would change."
        ),
    ] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Is a newer template version available (exit 7), and what would `update` change?

    The preview runs the update on a throw-away clone of the last commit: the workspace is
    not touched.
    """
    from osmosis_workspace.operations.check_update import check_for_update
    from osmosis_workspace.operations.options import CheckUpdateOptions

    options = CheckUpdateOptions(ref=ref, preview=not no_preview, private_cache=False)
    result = call("check-update", json_mode, lambda: check_for_update(path, options))
    code = ExitCode.UPDATE_AVAILABLE if result.available else ExitCode.OK
    if json_mode:
        output.emit_json(output.envelope("check-update", code, result.to_dict()))
    elif not result.available:
        output.out(f"Up to date: {result.current} is the latest version of {result.template}.")
    else:
        output.out(f"Update available: {result.current} -> {result.latest} ({result.template}).")
        output.bullet_list(
            "Answers files behind",
            [f"{name} ({version})" for name, version in result.behind.items()],
        )
        if result.preview is not None:
            print_update(result.preview, preview=True)
        output.err(
            "Run `osmosis-workspace update --all` from a clean git tree to apply it to all of them."
        )
    raise typer.Exit(int(code))
