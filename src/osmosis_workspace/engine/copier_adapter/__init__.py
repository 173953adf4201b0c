"""The one place that talks to Copier: copy, update, the settings we pass, and its errors.

Everything else in the package calls these functions and never imports ``copier`` (or
``copier_template_extensions``), so a Copier upgrade is reviewed here and in
:mod:`.levers` only. Three rules hold for every call:

* explicit, empty :class:`copier.Settings` (no host ``settings.yml`` defaults, no host trust
  list): a workspace must not depend on who renders it;
* ``unsafe=True`` and ``quiet=True``: the template is ours (its tasks and extensions are the
  product), and the CLI prints its own summary;
* every exception Copier raises becomes a :class:`~osmosis_workspace.errors.WorkspaceError`,
  chosen by the exception's *class* in ``copier.errors`` (see :func:`error_for`), never by
  matching message text, which Copier may reword in any release.

Options are small frozen dataclasses (:class:`CopyOptions`, :class:`UpdateOptions`).
:func:`run_copy` and :func:`run_update` take Copier's own keyword names, so call sites written
against ``copier.run_copy``/``copier.run_update`` switch by changing the module name.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from osmosis_workspace.errors import AnswerProblem, WorkspaceError

__all__ = [
    "CopyOptions",
    "UpdateOptions",
    "copy",
    "error_for",
    "run_copy",
    "run_update",
    "settings",
    "update",
    "versions",
]

#: Reason given when Copier rejects an answer that our own pre-validation accepted. Copier's
#: message is not parsed (its wording is not an API) and not echoed (it may quote the answer).
FALLBACK_REASON = (
    "was rejected by the template while rendering (our pre-validation accepted it; "
    "run Copier directly to see its message)"
)


@dataclass(frozen=True)
class CopyOptions:
    """One ``copier copy``: what to render, where, with which answers."""

    src: str
    dst: Path
    data: Mapping[str, Any] = field(default_factory=dict)
    vcs_ref: str | None = None
    user_defaults: Mapping[str, Any] = field(default_factory=dict)
    interactive: bool = False
    answers_file: str | None = None
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdateOptions:
    """One ``copier update`` of the project at ``dst`` (answers recorded in ``answers_file``)."""

    dst: Path
    answers_file: str
    data: Mapping[str, Any] = field(default_factory=dict)
    vcs_ref: str | None = None
    conflict: str = "inline"


def settings() -> Any:
    """Explicit, empty Copier settings: no host defaults, no host trust list."""
    import copier

    return copier.Settings(defaults={}, trust=[])


def versions() -> dict[str, str]:
    """Versions of Copier and Jinja in this process (for ``--version --verbose``)."""
    import copier
    import jinja2

    return {"copier": str(copier.__version__), "jinja2": str(jinja2.__version__)}


def copy(
    options: CopyOptions, *, action: str = "render the template", answered: Sequence[str] = ()
) -> None:
    """``copier copy`` with :func:`settings`; failures become :class:`WorkspaceError`.

    ``answered`` names the answers our own pre-validation accepted, used only when Copier
    still rejects one (see :func:`error_for`).
    """
    kwargs: dict[str, Any] = {}
    if options.answers_file:
        kwargs["answers_file"] = options.answers_file
    if options.exclude:
        kwargs["exclude"] = list(options.exclude)
    _guarded(
        action,
        answered,
        lambda: _run_copy(
            options.src,
            str(options.dst),
            data=dict(options.data),
            vcs_ref=options.vcs_ref,
            user_defaults=dict(options.user_defaults),
            defaults=not options.interactive,
            cleanup_on_error=True,
            **kwargs,
        ),
    )


def update(options: UpdateOptions, *, action: str = "update the workspace") -> None:
    """``copier update`` (overwrite, skip answered questions, defaults) with :func:`settings`."""
    _guarded(
        action,
        tuple(options.data),
        lambda: run_update(
            str(options.dst),
            data=dict(options.data),
            answers_file=options.answers_file,
            vcs_ref=options.vcs_ref,
            defaults=True,
            overwrite=True,
            skip_answered=True,
            conflict=options.conflict,
        ),
    )


def run_copy(src_path: str, dst_path: str, **kwargs: Any) -> Any:
    """``copier.run_copy`` with our fixed options (drop-in for existing call sites).

    ``settings``, ``unsafe`` and ``quiet`` are always ours; other keywords are Copier's.
    Exceptions are Copier's (map them with :func:`error_for`).
    """
    return _run_copy(src_path, dst_path, **kwargs)


def run_update(dst_path: str, **kwargs: Any) -> Any:
    """``copier.run_update`` with our fixed options (drop-in, like :func:`run_copy`)."""
    import copier

    from osmosis_workspace.engine.copier_adapter import levers

    levers.before_operation()
    kwargs.update(settings=settings(), unsafe=True, quiet=True)
    return copier.run_update(dst_path, **kwargs)


def _run_copy(src_path: str, dst_path: str, **kwargs: Any) -> Any:
    import copier

    from osmosis_workspace.engine.copier_adapter import levers

    levers.before_operation()
    kwargs.update(settings=settings(), unsafe=True, quiet=True)
    with warnings.catch_warnings():
        # Copier warns about rendering uncommitted template files; source.resolve() says so.
        warnings.filterwarnings("ignore", category=_dirty_warning())
        return copier.run_copy(src_path, dst_path, **kwargs)


def _dirty_warning() -> type[Warning]:
    from copier.errors import DirtyLocalWarning

    return DirtyLocalWarning


def _guarded(action: str, answered: Sequence[str], run: Callable[[], Any]) -> None:
    try:
        run()
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # every Copier failure becomes a WorkspaceError
        raise error_for(exc, action=action, answered=answered) from exc


def error_for(exc: BaseException, *, action: str, answered: Sequence[str] = ()) -> WorkspaceError:
    """The :class:`WorkspaceError` for an exception raised inside Copier, by its class.

    * ``InteractiveSessionError`` (no terminal to ask on): ``usage``, exit 2.
    * ``UnsafeTemplateError`` (never expected: we pass ``unsafe=True``): ``unsafe_template``.
    * any other ``copier.errors.CopierError`` (config file, task, path, version, user
      message errors), and anything else: ``copier_failed``, exit 1, with Copier's message
      and the exception class in ``details``. Copier reports downgrades and dirty
      destinations as plain ``UserMessageError`` s; ``update`` refuses both itself before
      Copier runs, with the ``downgrade`` and ``dirty`` codes.
    * a plain ``ValueError`` (not a Copier error): Copier rejected an answer. Our
      pre-validation reports every bad answer by name before Copier runs, so this is only a
      fallback: ``invalid_answers``, naming the answer given (``answered``; with several,
      the problem lists them) without quoting Copier's message, which may contain the value.
    """
    from copier.errors import CopierError, InteractiveSessionError, UnsafeTemplateError

    message = str(exc).strip() or type(exc).__name__
    details = {"exception": type(exc).__name__}
    if isinstance(exc, InteractiveSessionError):
        return WorkspaceError(
            "usage",
            "No terminal to ask questions: pass --defaults (with --set/--data-file answers)",
            details=details,
        )
    if isinstance(exc, UnsafeTemplateError):
        return WorkspaceError("unsafe_template", message, details=details)
    if isinstance(exc, ValueError) and not isinstance(exc, CopierError):
        names = tuple(answered)
        question = names[0] if len(names) == 1 else "answers"
        reason = (
            FALLBACK_REASON if len(names) <= 1 else (f"one of {', '.join(names)} {FALLBACK_REASON}")
        )
        return WorkspaceError(
            "invalid_answers",
            "Some answers were rejected by the template",
            problems=(AnswerProblem(question, reason),),
            details=details,
        )
    return WorkspaceError("copier_failed", f"Copier could not {action}: {message}", details=details)
