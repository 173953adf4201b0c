"""Leftovers of interrupted operations: a journal, a stale lock, a half-added rollout.

An ``update`` or ``add-rollout`` killed half-way leaves its journal under ``.git/`` (see
docs/update-lifecycle.md); while it exists the working tree may be half-written and must not be
committed, so this check reports it even with ``--fast`` (a pre-commit hook then blocks the
commit) and needs no subprocess for it. A lock whose holder died is reported with how to clear
it. Without ``--fast``, a rollout answers file that git does not track yet while the rollout's
folder or configs are missing is reported as a half-added rollout (an add-rollout interrupted
before this version kept a journal, or files removed by hand).

Whether a rollout is registered in the root ``pyproject.toml`` is the layout check's job.
"""

from __future__ import annotations

from collections.abc import Iterator

from osmosis_workspace.checks.model import CheckContext, Problem


def check(ctx: CheckContext) -> Iterator[Problem]:
    from osmosis_workspace.engine.opstate import state_dir

    if not (ctx.root / ".git").exists():
        return
    folder = state_dir(ctx.root)
    if (folder / "journal.json").exists() or (folder / "lock.json").exists():
        yield from _journal_and_lock(ctx)
    if not ctx.fast:
        yield from _half_added_rollouts(ctx)


def _journal_and_lock(ctx: CheckContext) -> Iterator[Problem]:
    from osmosis_workspace.engine import journal, oplock
    from osmosis_workspace.operations.recovery import pending_error

    error = pending_error(ctx.root)
    if error is not None:
        yield Problem(".", error.message, "operations")
        return
    holder = oplock.read_holder(ctx.root)
    if holder is not None and oplock.is_stale(holder):
        yield Problem(
            ".",
            f"a lock was left by {holder.describe()}, which is no longer "
            f"running: remove it with `rm {oplock.lock_path(ctx.root)}` (no "
            f"journal: nothing to undo; `{journal.ABORT_COMMAND}` also clears it)",
            "operations",
        )


def _half_added_rollouts(ctx: CheckContext) -> Iterator[Problem]:
    from osmosis_workspace.engine.git import git_out
    from osmosis_workspace.engine.workspace import rollout_answers_files

    added = rollout_answers_files(ctx.root)
    if not added:
        return
    untracked = set(
        git_out(
            ["ls-files", "-o", "--exclude-standard", "-z", "--", *(p.name for p in added.values())],
            ctx.root,
        ).split("\0")
    )
    for name, answers in added.items():
        if answers.name not in untracked:
            continue
        missing = [
            rel
            for rel in (
                f"rollouts/{name}",
                f"configs/eval/{name}.toml",
                f"configs/training/{name}.toml",
            )
            if not (ctx.root / rel).exists()
        ]
        if missing:
            yield Problem(
                answers.name,
                f"rollout {name} looks half-added (not committed, "
                f"missing {', '.join(missing)}): an add-rollout was "
                "probably interrupted. Remove its untracked files "
                f"(`git clean -n -- rollouts/{name} configs data "
                f"{answers.name}` lists them; -f removes them), then "
                f"run `osmosis-workspace add-rollout {name}` again",
                "operations",
            )
