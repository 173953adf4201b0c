"""Entry point of the ``osmosis-workspace`` console script (``osmosis_workspace.cli:app``).

``check`` runs in pre-commit hooks, where every millisecond of start-up counts, and importing
Typer alone costs more than the whole check. So ``app`` is a small dispatcher: a plain
``check [PATH] [--fast] [--json]`` runs directly, and so does a bare ``--version``; anything
else (other commands, ``--help``, unknown options) goes to the Typer application in
:mod:`osmosis_workspace.cli.typer_app`, which also implements ``check`` and ``--version`` with the
same output, so both paths behave identically.

Commands that render the template (``new``, ``update``, ``add-rollout``) ask for the speed
levers of :mod:`osmosis_workspace.perf` first (``enable(on_import=True)``: nothing is imported
then; the Copier adapter installs each lever whose replaced code matches its verified digest
right before Copier runs, so a usage error costs nothing extra). They are byte-identical by
test; ``OSMOSIS_WORKSPACE_PERF=0`` turns them off.
``--version --verbose`` also prints the Copier and Jinja versions and, per lever, whether it
is on and why (:func:`osmosis_workspace.perf.report`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_FAST_FLAGS = {"--fast", "--json"}
#: Commands that render the template: worth the render levers of :mod:`.perf`.
_RENDERING = {"new", "update", "add-rollout"}
_HELP_FLAGS = {"--help", "-h"}
_VERBOSE_FLAGS = {"--verbose", "-v"}


def _plain_check(argv: Sequence[str]) -> tuple[Path, bool, bool] | None:
    """``(path, fast, json)`` when ``argv`` is a plain ``check`` call, else None."""
    if not argv or argv[0] != "check":
        return None
    flags = [a for a in argv[1:] if a.startswith("-")]
    paths = [a for a in argv[1:] if not a.startswith("-")]
    if any(f not in _FAST_FLAGS for f in flags) or len(paths) > 1:
        return None
    return Path(paths[0] if paths else "."), "--fast" in flags, "--json" in flags


class _Entry:
    """Callable like a Typer app: ``app()`` parses ``sys.argv`` and exits."""

    def __call__(self, args: Sequence[str] | None = None, **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        plain = _plain_check(argv)
        if plain is not None:
            from osmosis_workspace.cli.check import run_check

            path, fast, json_mode = plain
            sys.exit(int(run_check(path, fast=fast, json_mode=json_mode)))
        if argv == ["--version"]:  # what the Typer callback prints, without importing Typer
            from osmosis_workspace import __version__

            print(f"osmosis-workspace {__version__}", flush=True)
            sys.exit(0)
        if "--version" in argv and set(argv) - {"--version"} <= _VERBOSE_FLAGS:
            print(verbose_version(), flush=True)
            sys.exit(0)
        _exit_cleanly_on_termination()
        if _wants_levers(argv):
            from osmosis_workspace import perf

            perf.enable(on_import=True)
        from osmosis_workspace.cli.typer_app import typer_app

        return typer_app(args=argv, **kwargs)


def _wants_levers(argv: Sequence[str]) -> bool:
    """A rendering command that will run (not its --help); ``perf`` decides which levers."""
    return bool(argv) and argv[0] in _RENDERING and not _HELP_FLAGS.intersection(argv)


def verbose_version() -> str:
    """``--version --verbose``: our version, Copier's and Jinja's, and each speed lever."""
    from osmosis_workspace import __version__, perf
    from osmosis_workspace.engine.copier_adapter import versions

    lines = [f"osmosis-workspace {__version__}"]
    lines += [f"{name} {version}" for name, version in versions().items()]
    lines.append("speed levers (new, update, add-rollout):")
    lines += [f"  {lever}: {'on' if on else 'off'} ({why})" for lever, on, why in perf.report()]
    from osmosis_workspace.engine.copier_adapter import render_plan

    how, why = render_plan.mode()
    lines.append(f"update preflight: {how} ({why})")
    return "\n".join(lines)


def _exit_cleanly_on_termination() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit, so a killed ``new`` or ``update`` still removes its
    staging folder or restores the workspace (their cleanup runs on any BaseException)."""
    import signal

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


app = _Entry()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
