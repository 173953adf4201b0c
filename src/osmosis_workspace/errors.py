"""The one error type the API raises, so callers handle every failure in one ``except``.

The platform backend turns these into API responses: ``code`` is stable and machine-readable,
``problems`` name each rejected answer and why, and ``exit_code`` is what the CLI exits with.
Answer *values* are never copied into messages: a rejected answer may be a pasted credential.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from osmosis_workspace.exit_codes import ExitCode


@dataclass(frozen=True)
class AnswerProblem:
    """One rejected answer: the question's name and the reason, in the template's own words."""

    question: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"question": self.question, "reason": self.reason}


#: Error code -> exit code. Codes are part of the public API (docs/backend-api.md).
ERROR_CODES: dict[str, ExitCode] = {
    "invalid_answers": ExitCode.INVALID_ANSWERS,
    "usage": ExitCode.USAGE,
    "destination_not_empty": ExitCode.REFUSED,
    "invalid_destination": ExitCode.REFUSED,
    "unsafe_template": ExitCode.REFUSED,
    "not_a_workspace": ExitCode.REFUSED,
    "not_updatable": ExitCode.REFUSED,
    "rollout_exists": ExitCode.REFUSED,
    "invalid_workspace": ExitCode.REFUSED,
    "dirty": ExitCode.REFUSED,
    "locked": ExitCode.REFUSED,
    "interrupted": ExitCode.REFUSED,
    "protected_paths": ExitCode.REFUSED,
    "downgrade": ExitCode.REFUSED,
    "template_not_found": ExitCode.ERROR,
    "copier_failed": ExitCode.ERROR,
    "git_failed": ExitCode.ERROR,
    "update_failed": ExitCode.ERROR,
    "internal": ExitCode.ERROR,
}


@dataclass
class WorkspaceError(Exception):
    """Raised by every public function in :mod:`osmosis_workspace.api`.

    Attributes:
        code: stable identifier, one of :data:`ERROR_CODES`.
        message: a sentence for humans (already says what to do next when there is a fix).
        problems: every rejected answer when ``code == "invalid_answers"``.
        paths: files involved (dirty files, conflicting files...), relative to the workspace.
        details: extra machine-readable facts (versions, the underlying exception type...).
    """

    code: str
    message: str
    problems: tuple[AnswerProblem, ...] = ()
    paths: tuple[str, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The one redaction rule (osmosis_workspace.engine.redaction): whatever reached a message,
        # a backend logging ``str(error)`` or ``to_dict()`` never logs a credential.
        from osmosis_workspace.engine.redaction import redact, redact_tree

        self.message = redact(self.message)
        self.problems = tuple(
            AnswerProblem(redact(p.question), redact(p.reason)) for p in self.problems
        )
        self.paths = tuple(redact(p) for p in self.paths)
        self.details = redact_tree(self.details)
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Process pools pickle exceptions raised in workers; the default reduction would call
        # WorkspaceError(message) and lose every field.
        return (type(self), (self.code, self.message, self.problems, self.paths, self.details))

    def __str__(self) -> str:
        lines = [self.message]
        lines += [f"  {p.question}: {p.reason}" for p in self.problems]
        lines += [f"  {path}" for path in self.paths]
        return "\n".join(lines)

    @property
    def question(self) -> str | None:
        """Name of the first rejected answer (shortcut for one-answer forms)."""
        return self.problems[0].question if self.problems else None

    @property
    def reason(self) -> str | None:
        """Why the first rejected answer was rejected."""
        return self.problems[0].reason if self.problems else None

    @property
    def exit_code(self) -> ExitCode:
        return ERROR_CODES.get(self.code, ExitCode.ERROR)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "problems": [p.to_dict() for p in self.problems],
            "paths": list(self.paths),
            "details": self.details,
        }
