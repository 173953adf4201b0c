"""Entry point of the ``osmosis-workspace`` console script (``osmosis_workspace.cli:app``).

``check`` runs in pre-commit hooks, where every millisecond of start-up counts, and importing
Typer alone costs more than the whole check. So ``app`` is a small dispatcher: a plain
``check [PATH] [--fast] [--json]`` runs directly; anything else (other commands, ``--help``,
unknown options) goes to the Typer application in :mod:`osmosis_workspace.commands`, which
also implements ``check`` with the same function, so both paths behave identically.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_FAST_FLAGS = {"--fast", "--json"}


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
            from .cli_check import run_check

            path, fast, json_mode = plain
            sys.exit(int(run_check(path, fast=fast, json_mode=json_mode)))
        _exit_cleanly_on_termination()
        from .commands import typer_app

        return typer_app(args=argv, **kwargs)


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
