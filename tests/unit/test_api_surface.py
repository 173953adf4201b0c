"""The public surface: one list of names, options as frozen keyword-only dataclasses, the API
re-exporting the operations (not re-declaring them), and Typer commands built from dataclasses.

Nothing here renders or runs git: it imports the modules and reads their signatures.
"""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

import osmosis_workspace
from osmosis_workspace import api, perf
from osmosis_workspace.cli import add_rollout, new, update
from osmosis_workspace.cli.common import typer_command
from osmosis_workspace.engine.copier_adapter import levers
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.operations import options

OPERATIONS = {
    "create_workspace": options.CreateOptions,
    "update_workspace": options.UpdateOptions,
    "check_for_update": options.CheckUpdateOptions,
    "add_rollout": options.AddRolloutOptions,
}


def test_the_package_exposes_exactly_the_api_names() -> None:
    assert set(osmosis_workspace.__all__) == {*api.__all__, "__version__"}
    for name in api.__all__:
        assert getattr(osmosis_workspace, name) is getattr(api, name)


def test_perf_re_exports_the_levers_list() -> None:
    assert perf.__all__ is levers.__all__
    assert all(getattr(perf, name) is getattr(levers, name) for name in perf.__all__)


@pytest.mark.parametrize("option_class", [getattr(options, n) for n in options.__all__])
def test_options_are_frozen_keyword_only_and_all_defaulted(option_class: type) -> None:
    built = option_class()  # every field has a default
    field = dataclasses.fields(option_class)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, field.name, None)
    with pytest.raises(TypeError):
        option_class(None)  # keyword-only: a new field never shifts a caller's arguments
    public = option_class.__name__ != "UpdateAllOptions"  # update --all is a CLI command only
    assert (option_class.__name__ in api.__all__) == public


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_api_functions_are_the_operations_with_their_signatures(name: str) -> None:
    function = getattr(api, name)
    operation = function.__wrapped__
    assert operation.__module__.startswith("osmosis_workspace.operations.")
    assert inspect.signature(function) == inspect.signature(operation)
    assert function.__doc__ == operation.__doc__ and "Raises:" in function.__doc__
    options_parameter = inspect.signature(operation).parameters["options"]
    assert options_parameter.default is None
    assert OPERATIONS[name].__name__ in str(options_parameter.annotation)


def test_unexpected_errors_reach_api_callers_as_workspace_errors() -> None:
    with pytest.raises(WorkspaceError) as caught:
        api.update_workspace(".", options.UpdateOptions(conflict="both"))
    assert caught.value.code == "usage"
    with pytest.raises(WorkspaceError) as internal:
        api.update_workspace(".", "not options")  # type: ignore[arg-type]
    assert internal.value.code == "internal"
    assert isinstance(internal.value.__cause__, AttributeError)


def test_cache_dir_accepts_paths_and_strings() -> None:
    assert options.UpdateOptions(cache_dir="/x").cache_path == Path("/x")
    assert options.UpdateOptions(cache_dir=Path("/x")).cache_path == Path("/x")
    assert options.UpdateOptions().cache_path is None


@pytest.mark.parametrize("args_type", [new.NewArgs, update.UpdateArgs, add_rollout.AddRolloutArgs])
def test_command_arguments_are_frozen_dataclasses(args_type: type) -> None:
    assert dataclasses.is_dataclass(args_type)
    assert args_type.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_typer_command_shows_dataclass_fields_as_options() -> None:
    @dataclasses.dataclass(frozen=True)
    class Args:
        name: Annotated[str, typer.Argument(help="A name.")]
        count: Annotated[int, typer.Option("--count", help="How many.")] = 1
        loud: Annotated[bool, typer.Option("--loud")] = False

    seen: list[Args] = []

    def greet(args: Args) -> None:
        """Say hello."""
        seen.append(args)

    app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)
    app.command()(typer_command(Args, greet))
    app.command("other")(lambda: None)  # two commands: Typer then expects the command's name
    runner = CliRunner()
    assert runner.invoke(app, ["greet", "ann", "--count", "3", "--loud"]).exit_code == 0
    assert runner.invoke(app, ["greet", "bob"]).exit_code == 0
    assert seen == [Args("ann", 3, True), Args("bob", 1, False)]
    shown = runner.invoke(app, ["greet", "--help"]).output
    assert "Say hello." in shown and "--count" in shown and "How many." in shown
    assert runner.invoke(app, ["greet", "ann", "--count", "x"]).exit_code == 2


def test_the_console_script_entry_survives_importing_every_cli_module() -> None:
    """``osmosis_workspace.cli:app`` is the console script. A submodule named ``app`` would
    replace that attribute the moment it is imported (the Typer path imports it), and the next
    in-process ``app(...)`` call would find a module instead of the dispatcher."""
    import importlib
    import pkgutil

    from osmosis_workspace import cli

    for module in pkgutil.iter_modules(cli.__path__):
        importlib.import_module(f"osmosis_workspace.cli.{module.name}")
    assert callable(cli.app) and type(cli.app).__name__ == "_Entry"
