"""Offline validation of a workspace: ``osmosis-workspace check``.

Each submodule checks one thing and yields :class:`~.model.Problem` lines: layout (the paths
``osmosis doctor`` requires, the agent files, git), skills, configs (osmosis-ai 0.3.8 schemas and
the rollouts/entrypoints they name), datasets (the platform's rules), and the answers file.
The rules are re-implemented with the standard library because this CLI runs on Python 3.11 and
cannot import osmosis-ai (3.12+); tests run the real ``osmosis`` on the same workspaces and
assert the verdicts agree.

Input is hostile: every parser has a size or depth limit, and a module that fails anyway
reports one problem instead of a traceback (:func:`_run`), so ``check --json`` always prints one
JSON object and exits 0 or 5.

Imports stay lazy and Copier is never imported here, so ``check --fast`` suits a pre-commit
hook. ``fast`` skips: the git subprocesses, the ``skills-ref`` second opinion, the answers' rule
check (needs Jinja), entrypoint compilation, and datasets larger than a few megabytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from osmosis_workspace.checks.model import CheckContext, CheckReport, Problem

__all__ = ["CheckReport", "Problem", "check_workspace"]


def check_workspace(path: Path, *, fast: bool = False) -> CheckReport:
    """Run every check on the workspace at ``path`` and collect the problems."""
    from osmosis_workspace.checks import (
        answers,
        configs,
        datasets,
        layout,
        operations,
        project,
        skills,
    )

    ctx = CheckContext(root=path.absolute(), fast=fast)
    if not ctx.root.is_dir():
        from osmosis_workspace.errors import WorkspaceError

        raise WorkspaceError("not_a_workspace", f"{ctx.root} is not a directory")
    for module in (operations, layout, project, skills, configs, datasets, answers):
        _run(ctx, module)
    return ctx.report()


def _run(ctx: CheckContext, module: Any) -> None:
    """One check module; input it cannot read becomes a problem, never a traceback.

    Each parser already turns bad input into a problem naming the file and line; this is the
    net under them (a file swapped for a link loop, a race with an editor...). The exception's
    text is not shown: it may quote the file.
    """
    name = module.__name__.rsplit(".", 1)[-1]
    try:
        ctx.problems.extend(module.check(ctx))
    except (Exception, RecursionError) as exc:
        ctx.problems.append(
            Problem(
                ".",
                f"the {name} check stopped on input it cannot read "
                f"({type(exc).__name__}); fix or restore the files it "
                "names, then run the check again",
                name,
            )
        )
