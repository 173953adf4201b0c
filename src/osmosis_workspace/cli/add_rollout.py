"""``osmosis-workspace add-rollout NAME``: another rollout, shaped by the user's choices; nothing
that exists is touched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from osmosis_workspace.cli import output
from osmosis_workspace.cli.common import (
    DataFileOpt,
    JsonOpt,
    SetOpt,
    absolute_paths,
    answers_from,
    call,
    print_steps,
    questionnaire_of,
)
from osmosis_workspace.exit_codes import ExitCode

if TYPE_CHECKING:
    from osmosis_workspace.results import AddRolloutResult

EXIT_CODES = (
    ExitCode.OK,
    ExitCode.ERROR,
    ExitCode.USAGE,
    ExitCode.INVALID_ANSWERS,
    ExitCode.REFUSED,
)


def _choice_opt(flag: str, question: str, example: str) -> Any:
    return typer.Option(
        flag,
        help=f"Answer {question} (for example {example}); same as --set {question}=VALUE.",
        show_default=False,
    )


@dataclass(frozen=True)
class AddRolloutArgs:
    """The options of ``add-rollout``, as Typer shows them (see :func:`.common.typer_command`);
    the six choices (``--agent-framework``...) are shortcuts for ``--set``."""

    name: Annotated[
        str, typer.Argument(help="Name of the new rollout (its folder, configs and answers file).")
    ]
    path: Annotated[Path, typer.Option("--path", "-C", help="Workspace folder.")] = Path(".")
    agent_framework: Annotated[
        str | None, _choice_opt("--agent-framework", "agent_framework", "openai-agents")
    ] = None
    execution_backend: Annotated[
        str | None, _choice_opt("--execution-backend", "execution_backend", "harbor")
    ] = None
    dataset_mode: Annotated[
        str | None, _choice_opt("--dataset-mode", "dataset_mode", "metadata")
    ] = None
    grader: Annotated[str | None, _choice_opt("--grader", "grader", "numeric")] = None
    dataset_name: Annotated[
        str | None,
        _choice_opt(
            "--dataset-name",
            "dataset_name",
            "tickets; default: the rollout name. An existing data/<name>.jsonl is reused",
        ),
    ] = None
    dataset_file: Annotated[
        str | None, _choice_opt("--dataset-file", "dataset_file", "./tickets.csv, to import")
    ] = None
    data_file: DataFileOpt = None
    set_: SetOpt = None
    template: Annotated[
        str | None,
        typer.Option(
            "--template", help="Template source (default: the one the workspace records)."
        ),
    ] = None
    ref: Annotated[
        str | None,
        typer.Option("--ref", help="Template version (default: the workspace's recorded version)."),
    ] = None
    commit: Annotated[
        bool,
        typer.Option("--commit", help="Commit the new rollout (default: leave it for review)."),
    ] = False
    json_mode: JsonOpt = False

    def choices(self) -> dict[str, str]:
        """The answers given by the shortcut options."""
        given = {name: getattr(self, name) for name in _CHOICES}
        return {name: value for name, value in given.items() if value is not None}


_CHOICES = (
    "agent_framework",
    "execution_backend",
    "dataset_mode",
    "grader",
    "dataset_name",
    "dataset_file",
)


def add_rollout(args: AddRolloutArgs) -> None:
    """Add rollout NAME to the workspace, shaped by your choices; nothing existing is touched.

    Writes rollouts/NAME/, configs/eval/NAME.toml, configs/training/NAME.toml, the dataset
    (unless data/<dataset_name>.jsonl exists: it is then reused) and
    .copier-answers.rollout-NAME.yml, and registers the rollout in the root pyproject.toml.
    The task, models and Python version default to the workspace's answers. Update it later
    with `osmosis-workspace update --rollout NAME`.
    """
    from osmosis_workspace.operations.add_rollout import add_rollout as add
    from osmosis_workspace.operations.options import AddRolloutOptions

    options = AddRolloutOptions(
        template=args.template, ref=args.ref, commit=args.commit, private_cache=False
    )

    def run() -> AddRolloutResult:
        recorded_version = args.template is None
        questionnaire = questionnaire_of(args.path, args.ref, recorded_version=recorded_version)
        answers = answers_from(args.data_file, args.set_, questionnaire)
        answers.update(args.choices())
        return add(args.path, args.name, absolute_paths(answers, questionnaire), options)

    _report(call("add-rollout", args.json_mode, run), args.json_mode)


def _report(result: AddRolloutResult, json_mode: bool) -> None:
    steps = _next_steps(result)
    if json_mode:
        output.emit_json(
            output.envelope("add-rollout", ExitCode.OK, {**result.to_dict(), "next_steps": steps})
        )
        return
    answers = result.answers
    output.out(
        f"Added rollout {result.name} ({answers.get('agent_framework')}, "
        f"{answers.get('execution_backend')} backend, "
        f"{answers.get('dataset_mode')} dataset, {answers.get('grader')} "
        f"grader): {len(result.files)} files, answers in {result.answers_file}."
    )
    if result.reused_dataset:
        output.out(f"It uses the existing {result.reused_dataset} (left as it was).")
    for note in result.notes:
        output.err(f"note: {note}")
    print_steps(steps)


def _next_steps(result: AddRolloutResult) -> list[str]:
    name = result.name
    review = (
        []
        if result.commit
        else [
            f"Review and commit: git add -A -- rollouts/{name} configs pyproject.toml "
            f"{result.answers_file} data && git commit -m 'Add rollout {name}'"
        ]
    )
    # CI installs a committed uv.lock with --locked: it must list the new rollout too.
    lock = (
        [
            "Refresh the lock for the new rollout: uv lock && git commit -m 'Lock rollout "
            f"{name}' uv.lock"
        ]
        if (Path(result.path) / "uv.lock").is_file()
        else []
    )
    return [
        *review,
        *lock,
        f"Edit rollouts/{name}/ (workflow, tools, grader) with your coding agent: the "
        "create-rollouts skill knows the layout",
        f"Try it on four rows: osmosis eval run configs/eval/{name}.toml --dataset-file "
        f"data/{result.answers.get('dataset_name', name)}.jsonl --rows 0-3 --secrets-file .env",
        f"Later template versions: osmosis-workspace update --rollout {name}",
    ]
