"""Offline validation of a workspace: ``osmosis-workspace check``.

Each submodule checks one thing and yields :class:`~.model.Problem` lines: layout (the paths
``osmosis doctor`` requires, the agent files, git), skills, configs (osmosis-ai 0.3.8 schemas and
the rollouts/entrypoints they name), datasets (the platform's rules), and the answers file.
The rules are re-implemented with the standard library because this CLI runs on Python 3.11 and
cannot import osmosis-ai (3.12+); tests run the real ``osmosis`` on the same workspaces and
assert the verdicts agree.

Imports stay lazy and Copier is never imported here, so ``check --fast`` suits a pre-commit
hook. ``fast`` skips: the git subprocesses, the ``skills-ref`` second opinion, the answers' rule
check (needs Jinja), entrypoint compilation, and datasets larger than a few megabytes.
"""

from __future__ import annotations

from pathlib import Path

from .model import CheckContext, CheckReport, Problem

__all__ = ["CheckReport", "Problem", "check_workspace"]


def check_workspace(path: Path, *, fast: bool = False) -> CheckReport:
    """Run every check on the workspace at ``path`` and collect the problems."""
    from . import answers, configs, datasets, layout, operations, skills

    ctx = CheckContext(root=path.absolute(), fast=fast)
    if not ctx.root.is_dir():
        from ..errors import WorkspaceError

        raise WorkspaceError("not_a_workspace", f"{ctx.root} is not a directory")
    for module in (operations, layout, skills, configs, datasets, answers):
        ctx.problems.extend(module.check(ctx))
    return ctx.report()
