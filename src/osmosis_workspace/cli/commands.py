"""The Typer application behind ``osmosis-workspace``: ``new``, ``update``, ``check``,
``check-update`` and ``add-rollout``.

A thin layer: each command parses options, calls the API, and reports through
:mod:`osmosis_workspace.cli.output`. Heavy modules (Copier, Jinja) are imported inside the command
that needs them. The console script enters through :mod:`osmosis_workspace.cli`, which runs
plain ``check`` invocations without importing Typer at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from osmosis_workspace import __version__
from osmosis_workspace.cli import output
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.exit_codes import ExitCode, exit_code_table

HELP = """Create, update and check Osmosis workspace repositories (a Copier template).

Every command accepts --json: stdout then holds exactly one JSON object
{"schema_version", "command", "ok", "exit_code", "result", "error"}.
"""
EPILOG = "\b\nExit codes:\n" + exit_code_table() + "\n"
_T = TypeVar("_T")


class _JsonAwareGroup(TyperGroup):
    """Report usage errors as JSON too when ``--json`` is on the command line."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if "--json" not in argv or not standalone_mode:
            return super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=standalone_mode, **extra)
        try:
            code = super().main(args=argv, prog_name=prog_name, complete_var=complete_var,
                                standalone_mode=False, **extra)
        except Exception as exc:
            if not hasattr(exc, "format_message"):
                raise
            usage = getattr(exc, "exit_code", 2)
            command = next((a for a in argv if not a.startswith("-")), "")
            output.emit_json(output.envelope(command, usage, None, {
                "code": "usage", "message": exc.format_message(), "problems": [], "paths": [],
                "details": {}}))
            sys.exit(usage)
        sys.exit(code if isinstance(code, int) else 0)


typer_app = typer.Typer(
    name="osmosis-workspace", help=HELP, epilog=EPILOG, cls=_JsonAwareGroup,
    no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    pretty_exceptions_enable=False, context_settings={"help_option_names": ["-h", "--help"]},
)

def _codes(*codes: ExitCode) -> str:
    """A command's own exit codes, for its --help epilog."""
    from osmosis_workspace.exit_codes import EXIT_CODE_HELP

    lines = [f"{int(c)}  {t}" for c, t in EXIT_CODE_HELP if c in codes]
    return "\b\nExit codes:\n" + "\n".join(lines) + "\n"


class ConflictMode(StrEnum):
    """How update leaves conflicts for the user."""

    inline = "inline"
    rej = "rej"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", "-s", metavar="KEY=VALUE",
    help="Answer a question (repeatable). Lists: --set skills=plan-eval,create-rollouts.")]
DataFileOpt = Annotated[Path | None, typer.Option(
    "--data-file", "-d", help="YAML file of answers (a .copier-answers.yml works too).")]
RefOpt = Annotated[str | None, typer.Option(
    "--ref", help="Template version: a tag or commit (default: the latest release tag; "
                  "HEAD includes uncommitted template changes).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"osmosis-workspace {__version__}")
        raise typer.Exit()


@typer_app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False
          ) -> None:
    """Create, update and check Osmosis workspace repositories."""


def _fail(command: str, exc: WorkspaceError, json_mode: bool) -> NoReturn:
    if json_mode:
        output.emit_json(output.envelope(command, exc.exit_code, None, exc.to_dict()))
    else:
        output.err(f"error: {exc.message}")
        for problem in exc.problems:
            output.err(f"  {problem.question}: {problem.reason}")
        for path in exc.paths[:50]:
            output.err(f"  {path}")
    raise typer.Exit(int(exc.exit_code))


def _call(command: str, json_mode: bool, action: Callable[[], _T]) -> _T:
    """Run an API call for ``command``; its errors become the command's exit (and JSON)."""
    try:
        return action()
    except WorkspaceError as exc:
        _fail(command, exc, json_mode)
    except Exception as exc:
        _internal(command, exc, json_mode)


def _print_steps(steps: list[str]) -> None:
    output.out("")
    output.out("Next steps:")
    for number, step in enumerate(steps, 1):
        output.out(f"  {number}. {step}")


def _internal(command: str, exc: Exception, json_mode: bool) -> NoReturn:
    if os.environ.get("OSMOSIS_WORKSPACE_DEBUG"):
        raise exc
    error = WorkspaceError("internal", f"unexpected {type(exc).__name__}: {exc} "
                                       "(set OSMOSIS_WORKSPACE_DEBUG=1 for a traceback)")
    _fail(command, error, json_mode)


def _answers(data_file: Path | None, sets: list[str] | None, questionnaire: Any) -> dict:
    from osmosis_workspace.engine.questions import load_data_file, parse_set_options

    answers: dict[str, Any] = {}
    if data_file is not None:
        answers.update(load_data_file(data_file))
    answers.update(parse_set_options(list(sets or []), questionnaire))
    return _absolute_paths(answers, questionnaire)


def _absolute_paths(answers: dict[str, Any], questionnaire: Any) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------
# new
# ---------------------------------------------------------------------------------------------


@typer_app.command(epilog=_codes(ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE,
                                 ExitCode.INVALID_ANSWERS, ExitCode.REFUSED))
def new(
    dest: Annotated[Path, typer.Argument(help="Folder to create (must not exist, or be empty).")],
    defaults: Annotated[bool, typer.Option(
        "--defaults", help="Ask nothing: use --set/--data-file answers and the defaults. "
                           "Implied when stdin is not a terminal.")] = False,
    data_file: DataFileOpt = None,
    set_: SetOpt = None,
    template: Annotated[str | None, typer.Option(
        "--template", help="Template source: path, git URL or gh:org/repo (default: "
                           "$OSMOSIS_WORKSPACE_TEMPLATE, else the bundled template).")] = None,
    ref: RefOpt = None,
    no_git: Annotated[bool, typer.Option(
        "--no-git", help="Skip `git init` and the first commit.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Render into a non-empty folder (rendered files replace existing ones; "
                        "other files are kept).")] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Create a workspace in DEST: ask the questions (or take answers), render, git init+commit.

    The workspace name defaults to DEST's folder name when that is a valid name. On any error
    nothing is left behind.
    """
    from osmosis_workspace.engine.questions import load_data_file

    if data_file is not None:  # a bad --data-file is refused before any template work
        _call("new", json_mode, lambda: load_data_file(data_file))
    from osmosis_workspace.engine.questions import validate_answers
    from osmosis_workspace.engine.source import resolve
    from osmosis_workspace.operations.create import create_workspace, load_rules, name_from_folder

    def create() -> Any:
        source = resolve(template, ref)
        questionnaire, rules = load_rules(source)
        answers = _answers(data_file, set_, questionnaire)
        suggested = {}
        derived = name_from_folder(dest.expanduser().absolute().name)
        if questionnaire and "workspace_name" in questionnaire.questions \
                and "workspace_name" not in answers and derived \
                and not validate_answers(questionnaire, {"workspace_name": derived}, rules):
            suggested["workspace_name"] = derived
        interactive = not (defaults or json_mode) and sys.stdin.isatty()
        return create_workspace(dest, answers, suggested=suggested, interactive=interactive,
                                overwrite=force, git_init=not no_git, private_cache=False,
                                resolved=source)

    result = _call("new", json_mode, create)
    steps = output.next_steps(str(dest), result.answers, result.files,
                              committed=result.commit is not None)
    if json_mode:
        payload = {**result.to_dict(), "next_steps": steps}
        output.emit_json(output.envelope("new", ExitCode.OK, payload))
        return
    version = f"template {result.version}" if result.version else \
        "uncommitted template files, not updatable"
    commit = f", committed {result.commit[:10]}" if result.commit else ""
    output.out(f"Created Osmosis workspace {result.answers.get('workspace_name', '')} in "
               f"{result.path} ({version}, {len(result.files)} files{commit}).")
    for note in result.notes:
        output.err(f"note: {note}")
    _print_steps(steps)


# ---------------------------------------------------------------------------------------------
# update
# ---------------------------------------------------------------------------------------------


@typer_app.command(epilog=_codes(ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE,
                                 ExitCode.INVALID_ANSWERS, ExitCode.REFUSED, ExitCode.CONFLICTS))
def update(
    path: Annotated[Path, typer.Argument(help="Workspace (or a folder inside it).")] = Path("."),
    ref: RefOpt = None,
    data_file: DataFileOpt = None,
    set_: SetOpt = None,
    conflict: Annotated[ConflictMode, typer.Option(
        "--conflict", help="How to leave conflicts: inline markers (with unmerged index "
                           "entries) or *.rej files.")] = ConflictMode.inline,
    rollout: Annotated[str | None, typer.Option(
        "--rollout", help="Update only this rollout (one added with add-rollout, through its "
                          ".copier-answers.rollout-NAME.yml) instead of the workspace.")] = None,
    abort: Annotated[bool, typer.Option(
        "--abort", help="Undo an interrupted update or add-rollout: put the tree and index "
                        "back exactly as they were before it started.")] = False,
    all_: Annotated[bool, typer.Option(
        "--all", help="Update the workspace and every rollout added with add-rollout (each "
                      "answers file) in one run: all of them, or nothing.")] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Update the workspace to a newer template version (from a clean git tree).

    Prints skills added, changed and removed, and other files. Files you edited that the new
    version deletes or renames are kept; conflicts are listed and exit with 6. On any failure
    the workspace is restored exactly as it was; if the process is killed, `update --abort`
    restores it. Nothing is committed: review, then commit.
    """
    from osmosis_workspace.operations.update import update_workspace

    if abort:
        _abort(path, json_mode)
    if all_:
        _update_all(path, ref, conflict.value, json_mode, bool(rollout or data_file or set_))

    def run() -> Any:
        answers = _answers(data_file, set_, _questionnaire_of(path, ref))
        return update_workspace(path, ref=ref, answers=answers or None,
                                conflict=conflict.value, private_cache=False, rollout=rollout)

    result = _call("update", json_mode, run)
    code = ExitCode.CONFLICTS if result.conflicts else ExitCode.OK
    if json_mode:
        output.emit_json(output.envelope("update", code, result.to_dict()))
    else:
        _print_update(result)
        for note in result.notes:
            output.err(f"note: {note}")
    raise typer.Exit(int(code))


def _abort(path: Path, json_mode: bool) -> NoReturn:
    """``update --abort``: undo the interrupted operation the journal records."""
    from osmosis_workspace.operations.recovery import abort_operation

    result = _call("update", json_mode, lambda: abort_operation(path))
    if json_mode:
        output.emit_json(output.envelope("update", ExitCode.OK, result.to_dict()))
    else:
        output.out(result.message)
        for rel in result.left:
            output.out(f"  {rel}")
    raise typer.Exit(int(ExitCode.OK))


def _update_all(path: Path, ref: str | None, conflict: str, json_mode: bool,
                misused: bool) -> None:
    """``update --all``: every answers file, all or nothing (see :mod:`.update_all`)."""
    from osmosis_workspace.operations.update_all import AllOptions, update_all

    def run() -> Any:
        if misused:
            raise WorkspaceError("usage", "--all updates every answers file with its own "
                                          "answers: it takes no --rollout, --set or --data-file")
        return update_all(path, AllOptions(ref=ref, conflict=conflict, private_cache=False))

    result = _call("update", json_mode, run)
    code = ExitCode.CONFLICTS if result.conflicts else ExitCode.OK
    if json_mode:
        output.emit_json(output.envelope("update", code, result.to_dict()))
    else:
        for name, one in result.updates:
            output.out(f"{name}:")
            _print_update(one)
            for note in one.notes:
                output.err(f"note: {note}")
    raise typer.Exit(int(code))


def _questionnaire_of(path: Path, ref: str | None, *, recorded_version: bool = False) -> Any:
    """The questions of the version an operation renders, to type ``--set`` values (None when
    unreadable): ``ref``, else the recorded version (``recorded_version``), else the latest."""
    try:
        from osmosis_workspace.engine.source import resolve
        from osmosis_workspace.engine.workspace import locate, read_answers
        from osmosis_workspace.operations.create import load_rules
        from osmosis_workspace.operations.update import target_version

        _root, answers_file = locate(path)
        recorded = read_answers(answers_file)
        src = str(recorded.get("_src_path") or "")
        if not src:
            return None
        version = ref or (str(recorded.get("_commit") or "") or None if recorded_version
                          else target_version(src, ref))
        return load_rules(resolve(src, version))[0]
    except WorkspaceError:
        return None


def _print_update(result: Any, *, preview: bool = False) -> None:
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
    output.bullet_list("Kept as you edited them (the new version deletes or renames them; "
                       "merge by hand, then delete)", result.kept)
    output.bullet_list("Dangling links removed", result.pruned_links)
    if result.conflicts:
        output.bullet_list(f"Conflicts to resolve ({len(result.conflicts)})", result.conflicts)
        if not preview:
            output.err("Resolve the <<<<<<< markers (and apply any *.rej hunks), then "
                       "`git add` and commit. Never commit conflict markers.")
    elif not preview:
        output.err("Review with `git diff` (new files: `git status`), then commit.")


# ---------------------------------------------------------------------------------------------
# check and check-update
# ---------------------------------------------------------------------------------------------


@typer_app.command(epilog=_codes(ExitCode.OK, ExitCode.USAGE, ExitCode.REFUSED,
                                 ExitCode.PROBLEMS))
def check(
    path: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    fast: Annotated[bool, typer.Option(
        "--fast", help="Skip the slow parts (git, skills-ref, answers vs. template, large "
                       "datasets): for pre-commit hooks.")] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Validate the workspace offline: one line per problem (file: reason); exit 5 if any.

    Checks the paths osmosis requires, AGENTS.md/CLAUDE.md, every skill and the .claude/skills
    link, every config against osmosis-ai's schemas and the rollouts it names, every dataset
    against the platform rules, and the answers file.
    """
    from osmosis_workspace.cli.check import run_check

    raise typer.Exit(int(run_check(path, fast=fast, json_mode=json_mode)))


@typer_app.command("check-update", epilog=_codes(
    ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.REFUSED, ExitCode.UPDATE_AVAILABLE))
def check_update(
    path: Annotated[Path, typer.Argument(help="Workspace folder.")] = Path("."),
    ref: RefOpt = None,
    no_preview: Annotated[bool, typer.Option(
        "--no-preview", help="Only compare versions; do not compute what would change.")
    ] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Is a newer template version available (exit 7), and what would `update` change?

    The preview runs the update on a throw-away clone of the last commit: the workspace is
    not touched.
    """
    from osmosis_workspace.operations.check_update import check_for_update

    result = _call("check-update", json_mode, lambda: check_for_update(
        path, ref=ref, preview=not no_preview, private_cache=False))
    code = ExitCode.UPDATE_AVAILABLE if result.available else ExitCode.OK
    if json_mode:
        output.emit_json(output.envelope("check-update", code, result.to_dict()))
    elif not result.available:
        output.out(f"Up to date: {result.current} is the latest version of {result.template}.")
    else:
        output.out(f"Update available: {result.current} -> {result.latest} ({result.template}).")
        output.bullet_list("Answers files behind", [f"{name} ({version})" for name, version
                                                    in result.behind.items()])
        if result.preview is not None:
            _print_update(result.preview, preview=True)
        output.err("Run `osmosis-workspace update --all` from a clean git tree to apply it to "
                   "all of them.")
    raise typer.Exit(int(code))


# ---------------------------------------------------------------------------------------------
# add-rollout
# ---------------------------------------------------------------------------------------------


def _choice_opt(flag: str, question: str, example: str) -> Any:
    return typer.Option(flag, help=f"Answer {question} (for example {example}); same as "
                                   f"--set {question}=VALUE.", show_default=False)


@typer_app.command("add-rollout", epilog=_codes(
    ExitCode.OK, ExitCode.ERROR, ExitCode.USAGE, ExitCode.INVALID_ANSWERS, ExitCode.REFUSED))
def add_rollout(
    name: Annotated[str, typer.Argument(help="Name of the new rollout (its folder, configs "
                                             "and answers file).")],
    path: Annotated[Path, typer.Option("--path", "-C", help="Workspace folder.")] = Path("."),
    agent_framework: Annotated[str | None, _choice_opt(
        "--agent-framework", "agent_framework", "openai-agents")] = None,
    execution_backend: Annotated[str | None, _choice_opt(
        "--execution-backend", "execution_backend", "harbor")] = None,
    dataset_mode: Annotated[str | None, _choice_opt(
        "--dataset-mode", "dataset_mode", "metadata")] = None,
    grader: Annotated[str | None, _choice_opt("--grader", "grader", "numeric")] = None,
    dataset_name: Annotated[str | None, _choice_opt(
        "--dataset-name", "dataset_name", "tickets; default: the rollout name. An existing "
        "data/<name>.jsonl is reused")] = None,
    dataset_file: Annotated[str | None, _choice_opt(
        "--dataset-file", "dataset_file", "./tickets.csv, to import")] = None,
    data_file: DataFileOpt = None,
    set_: SetOpt = None,
    template: Annotated[str | None, typer.Option(
        "--template", help="Template source (default: the one the workspace records).")] = None,
    ref: Annotated[str | None, typer.Option(
        "--ref", help="Template version (default: the workspace's recorded version).")] = None,
    commit: Annotated[bool, typer.Option(
        "--commit", help="Commit the new rollout (default: leave it for review).")] = False,
    json_mode: JsonOpt = False,
) -> None:
    """Add rollout NAME to the workspace, shaped by your choices; nothing existing is touched.

    Writes rollouts/NAME/, configs/eval/NAME.toml, configs/training/NAME.toml, the dataset
    (unless data/<dataset_name>.jsonl exists: it is then reused) and
    .copier-answers.rollout-NAME.yml, and registers the rollout in the root pyproject.toml.
    The task, models and Python version default to the workspace's answers. Update it later
    with `osmosis-workspace update --rollout NAME`.
    """
    from osmosis_workspace.operations.add_rollout import add_rollout as add

    options = {"agent_framework": agent_framework, "execution_backend": execution_backend,
               "dataset_mode": dataset_mode, "grader": grader, "dataset_name": dataset_name,
               "dataset_file": dataset_file}
    def run() -> Any:
        questionnaire = _questionnaire_of(path, ref, recorded_version=template is None)
        answers = _answers(data_file, set_, questionnaire)
        answers.update({k: v for k, v in options.items() if v is not None})
        return add(path, name, _absolute_paths(answers, questionnaire), template=template,
                   ref=ref, commit=commit, private_cache=False)

    result = _call("add-rollout", json_mode, run)
    steps = _add_rollout_steps(result)
    if json_mode:
        output.emit_json(output.envelope("add-rollout", ExitCode.OK,
                                         {**result.to_dict(), "next_steps": steps}))
        return
    answers_now = result.answers
    output.out(f"Added rollout {result.name} ({answers_now.get('agent_framework')}, "
               f"{answers_now.get('execution_backend')} backend, "
               f"{answers_now.get('dataset_mode')} dataset, {answers_now.get('grader')} "
               f"grader): {len(result.files)} files, answers in {result.answers_file}.")
    if result.reused_dataset:
        output.out(f"It uses the existing {result.reused_dataset} (left as it was).")
    for note in result.notes:
        output.err(f"note: {note}")
    _print_steps(steps)


def _add_rollout_steps(result: Any) -> list[str]:
    name = result.name
    review = [] if result.commit else [
        f"Review and commit: git add -A -- rollouts/{name} configs pyproject.toml "
        f"{result.answers_file} data && git commit -m 'Add rollout {name}'"]
    # CI installs a committed uv.lock with --locked: it must list the new rollout too.
    lock = ["Refresh the lock for the new rollout: uv lock && git commit -m 'Lock rollout "
            f"{name}' uv.lock"] if (Path(result.path) / "uv.lock").is_file() else []
    return [
        *review,
        *lock,
        f"Edit rollouts/{name}/ (workflow, tools, grader) with your coding agent: the "
        "create-rollouts skill knows the layout",
        f"Try it on four rows: osmosis eval run configs/eval/{name}.toml --dataset-file "
        f"data/{result.answers.get('dataset_name', name)}.jsonl --rows 0-3 --secrets-file .env",
        f"Later template versions: osmosis-workspace update --rollout {name}",
    ]
