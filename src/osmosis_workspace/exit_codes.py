"""Exit codes of the ``osmosis-workspace`` CLI: one table, shared by the code, ``--help`` and docs.

Scripts and the platform branch on these numbers, so they never change meaning; new outcomes get
new numbers. Click's own usage errors already exit 2, which is why 2 means "bad command line".
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status of every command (see :data:`EXIT_CODE_HELP`)."""

    OK = 0
    ERROR = 1
    USAGE = 2
    INVALID_ANSWERS = 3
    REFUSED = 4
    PROBLEMS = 5
    CONFLICTS = 6
    UPDATE_AVAILABLE = 7


#: One line per code, in order; printed by ``osmosis-workspace --help`` and copied in docs/cli.md.
EXIT_CODE_HELP: tuple[tuple[ExitCode, str], ...] = (
    (ExitCode.OK, "success (check: no problems; check-update: already up to date)"),
    (ExitCode.ERROR, "the operation failed; the destination or workspace was left as it was"),
    (
        ExitCode.USAGE,
        "bad command line: unknown option, malformed --set, unreadable --data-file "
        "(not a regular file, over 1 MiB, not UTF-8, not YAML, nested over 32 "
        "levels)",
    ),
    (ExitCode.INVALID_ANSWERS, "one or more answers were rejected (each named, with the reason)"),
    (
        ExitCode.REFUSED,
        "a precondition failed: destination not empty, a link, under a file or "
        "with a control character in its name, uncommitted changes, not a "
        "workspace, template source with credentials (any scheme), recorded "
        "template folder missing, downgrade",
    ),
    (ExitCode.PROBLEMS, "check found problems (one line each)"),
    (ExitCode.CONFLICTS, "update applied, but conflicts are left to resolve (listed)"),
    (ExitCode.UPDATE_AVAILABLE, "check-update: a newer template version is available"),
)


def exit_code_table() -> str:
    """The table as plain text lines, for help epilogs."""
    return "\n".join(f"{int(code)}  {text}" for code, text in EXIT_CODE_HELP)
