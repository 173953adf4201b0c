"""What the Typer commands share: their common options, how an API call's error becomes the
command's exit (and JSON envelope), answers from ``--set``/``--data-file``, and how an update is
printed.

Typer reads a command's options from its function's parameters, so ``add-rollout``, with
fourteen options, would be a function of fourteen parameters. Instead each command module
(:mod:`.new`, :mod:`.update`, :mod:`.check_update`, :mod:`.add_rollout`) declares its options as
the fields of one frozen dataclass and runs on one instance of it; :func:`typer_command` shows
Typer those fields as the parameters of the command. The work is in the operations the commands
call, whose options are frozen dataclasses too. Heavy modules (Copier, Jinja, the operations) are
imported inside the functions that need them, so ``--help`` stays fast.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import typing
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from osmosis_workspace.cli import output
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.exit_codes import EXIT_CODE_HELP, ExitCode

if TYPE_CHECKING:
    from osmosis_workspace.engine.questions import Questionnaire
    from osmosis_workspace.results import UpdateResult

_T = TypeVar("_T")
_Args = TypeVar("_Args")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        metavar="KEY=VALUE",
        help="Answer a question (repeatable). Lists: --set skills=plan-eval,create-rollouts.",
    ),
]
DataFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-file", "-d", help="YAML file of answers (a .copier-answers.yml works too)."
    ),
]
RefOpt = Annotated[
    str | None,
    typer.Option(
        "--ref",
        help="Template version: a tag or commit (default: the latest release tag; "
        "HEAD includes uncommitted template changes).",
    ),
]


def typer_command(args_type: type[_Args], run: Callable[[_Args], None]) -> Callable[..., None]:
    """A Typer command for ``run``: its parameters are the fields of the frozen dataclass
    ``args_type`` (name, ``Annotated[type, typer.Option(...)]``, default, in field order), its
    help is ``run``'s docstring, and it calls ``run(args_type(**options))``."""
    hints = typing.get_type_hints(args_type, include_extras=True)
    parameters = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            annotation=hints[field.name],
            default=inspect.Parameter.empty
            if field.default is dataclasses.MISSING
            else field.default,
        )
        for field in dataclasses.fields(args_type)  # type: ignore[arg-type]
    ]

    def command(**options: Any) -> None:
        run(args_type(**options))

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__name__ = run.__name__
    command.__doc__ = run.__doc__
    return command


def codes(*chosen: ExitCode) -> str:
    """A command's own exit codes, for its --help epilog."""
    lines = [f"{int(c)}  {t}" for c, t in EXIT_CODE_HELP if c in chosen]
    return "\b\nExit codes:\n" + "\n".join(lines) + "\n"


def fail(command: str, exc: WorkspaceError, json_mode: bool) -> NoReturn:
    """Report ``exc`` (JSON envelope or short text on stderr) and exit with its code."""
    if json_mode:
        output.emit_json(output.envelope(command, exc.exit_code, None, exc.to_dict()))
    else:
        output.err(f"error: {exc.message}")
        for problem in exc.problems:
            output.err(f"  {problem.question}: {problem.reason}")
        for path in exc.paths[:50]:
            output.err(f"  {path}")
    raise typer.Exit(int(exc.exit_code))


def call(command: str, json_mode: bool, action: Callable[[], _T]) -> _T:
    """Run an API call for ``command``; its errors become the command's exit (and JSON)."""
    try:
        return action()
    except WorkspaceError as exc:
        fail(command, exc, json_mode)
    except Exception as exc:
        if os.environ.get("OSMOSIS_WORKSPACE_DEBUG"):
            raise
        error = WorkspaceError(
            "internal",
            f"unexpected {type(exc).__name__}: {exc} "
            "(set OSMOSIS_WORKSPACE_DEBUG=1 for a traceback)",
        )
        fail(command, error, json_mode)


def print_steps(steps: list[str]) -> None:
    output.out("")
    output.out("Next steps:")
    for number, step in enumerate(steps, 1):
        output.out(f"  {number}. {step}")


def answers_from(
    data_file: Path | None, sets: list[str] | None, questionnaire: Questionnaire | None
) -> dict[str, Any]:
    """Answers of ``--data-file`` then ``--set`` (typed by ``questionnaire``), paths absolute."""
    from osmosis_workspace.engine.questions import load_data_file, parse_set_options

    answers: dict[str, Any] = {}
    if data_file is not None:
        answers.update(load_data_file(data_file))
    answers.update(parse_set_options(list(sets or []), questionnaire))
    return absolute_paths(answers, questionnaire)


def absolute_paths(answers: dict[str, Any], questionnaire: Questionnaire | None) -> dict[str, Any]:
    """File answers (``type: path`` or ``*_file``) made absolute from the user's directory.

    Copier runs template tasks in the new workspace, where a relative path no longer points at
    the user's file (the dataset import, for example).
    """
    questions = questionnaire.questions if questionnaire else {}
    for key, value in answers.items():
        question = questions.get(key)
        if question is None or not isinstance(value, str) or not value.strip():
            continue
        if question.type == "path" or key.endswith("_file"):
            answers[key] = str(Path(value.strip()).expanduser().absolute())
    return answers


def questionnaire_of(
    path: Path, ref: str | None, *, recorded_version: bool = False
) -> Questionnaire | None:
    """The questions of the version an operation renders, to type ``--set`` values (None when
    unreadable): ``ref``, else the recorded version (``recorded_version``), else the latest."""
    from osmosis_workspace.engine.render import load_rules
    from osmosis_workspace.engine.source import resolve
    from osmosis_workspace.engine.workspace import locate, read_answers
    from osmosis_workspace.operations.guards import target_version

    try:
        _root, answers_file = locate(path)
        recorded = read_answers(answers_file)
        src = str(recorded.get("_src_path") or "")
        if not src:
            return None
        if ref:
            version: str | None = ref
        elif recorded_version:
            version = str(recorded.get("_commit") or "") or None
        else:
            version = target_version(src, None)
        return load_rules(resolve(src, version))[0]
    except WorkspaceError:
        return None


def print_update(result: UpdateResult, *, preview: bool = False) -> None:
    """What an update changed (or, for ``check-update``, would change), as short lists."""
    changes = result.changes
    verb = "would change" if preview else "changed"
    if changes.empty and not result.kept and not result.pruned_links:
        output.out(f"Nothing {verb}: the workspace already matches {result.to_version}.")
        return
    if not preview:
        output.out(f"Updated from {result.from_version} to {result.to_version}.")
    skills = changes.skills
    output.bullet_list("Skills added", skills.added)
    output.bullet_list("Skills changed", skills.changed)
    output.bullet_list("Skills removed", skills.removed)
    output.bullet_list("Files added", changes.added)
    output.bullet_list("Files modified", changes.modified)
    output.bullet_list("Files deleted", changes.deleted)
    output.bullet_list(
        "Kept as you edited them (the new version deletes or renames them; "
        "merge by hand, then delete)",
        result.kept,
    )
    output.bullet_list("Dangling links removed", result.pruned_links)
    if result.conflicts:
        output.bullet_list(f"Conflicts to resolve ({len(result.conflicts)})", result.conflicts)
        if not preview:
            output.err(
                "Resolve the <<<<<<< markers (and apply any *.rej hunks), then "
                "`git add` and commit. Never commit conflict markers."
            )
    elif not preview:
        output.err("Review with `git diff` (new files: `git status`), then commit.")
