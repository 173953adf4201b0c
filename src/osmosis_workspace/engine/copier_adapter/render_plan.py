"""What an update will write or delete in the workspace, known before its first write.

An update must refuse, before touching anything, when a path it would write or delete holds
content git cannot give back (:mod:`osmosis_workspace.engine.preflight` decides which).
The exact set
of paths is only known once Copier has resolved the answers and the new version's
``_exclude``/``_skip_if_exists`` rules. Two ways to get it, chosen by :func:`mode`:

``hook`` (fast: no extra render)
    For the duration of one update, ``Worker._render_template`` is wrapped: Copier's update
    renders the *old* version into a temporary folder first (its listing is kept), then the
    new version over the workspace; just before that second pass the wrapper walks the template
    and renders the *names* only, hands the plan to the check (which may raise: nothing was
    written yet), and lets Copier's own pass reuse the rendered names. This relies on private
    Copier code, so, like the speed levers (:mod:`.levers`), it installs only when the sha256 of
    that code (:data:`COVERED`) equals a pinned digest (:data:`PINNED`, contract test
    ``tests/unit/test_lever_digests.py``).

``public`` (any other Copier 9.x, or ``OSMOSIS_WORKSPACE_RENDER_PLAN=public``)
    Before the update, three renders through ``run_copy`` (Copier's public API), tasks skipped,
    into scratch folders: the new version with the same answers (every path it renders), the
    old version with the recorded answers (what the update may delete), and the new version
    again over sentinel copies of the paths that exist in the workspace (a path still holding
    its sentinel is one ``_skip_if_exists`` keeps, so it is not written). Slower (about three
    renders) but as safe: it can only list *more* paths than Copier touches (the old render
    does not see the new version's exclusions), never fewer.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["COVERED", "ENV", "PINNED", "Plan", "PlanInputs", "checked", "current_digest", "mode"]

#: ``public`` forces the public-API plan (tests, or to rule the hook out); anything else: auto.
ENV = "OSMOSIS_WORKSPACE_RENDER_PLAN"
#: The Copier code the hook wraps or relies on (the order of passes lives in _apply_update).
COVERED = (
    "Worker._render_template",
    "Worker._render_path",
    "Worker.match_exclude",
    "Worker.match_skip",
    "Worker.template_copy_root",
    "Worker._apply_update",
    "copier._tools.scantree",
)
#: sha256 of that code, as verified with copier 9.19.1 (several entries allowed).
PINNED = frozenset({"0db3b5c14847d829e0740d21c9bcb33ac06018b8db9bec34d34ed17324a8f2ac"})
_log = logging.getLogger("osmosis_workspace.render_plan")
_SENTINEL = b"osmosis-workspace render-plan sentinel: not rendered\n"


@dataclass(frozen=True)
class Plan:
    """What the update's write into the workspace will touch.

    ``written``: paths the new version renders (excluded and kept ``_skip_if_exists`` ones
    left out); ``deleted``: paths of the old render the new one drops; ``rendered``: every
    path the new version would render before our exclusions (to report private files kept).
    """

    written: tuple[str, ...]
    deleted: tuple[str, ...]
    rendered: tuple[str, ...]


@dataclass(frozen=True)
class PlanInputs:
    """What the public-API plan renders: the update's source, versions and answers."""

    src: str
    old_ref: str
    new_ref: str | None
    answers_file: str
    old_answers: Mapping[str, Any]
    new_answers: Mapping[str, Any]
    private: tuple[str, ...] = ()
    exclude: tuple[str, ...] = field(default=())


def _covered() -> list[tuple[str, Any]]:
    from copier import _main, _tools

    worker = _main.Worker.__dict__
    objects = []
    for label in COVERED:
        name = label.rsplit(".", 1)[-1]
        obj = _tools.scantree if label.startswith("copier.") else worker[name]
        objects.append((label, getattr(obj, "func", obj)))  # cached_property -> its function
    return objects


@functools.cache
def current_digest() -> str:
    """sha256 of the installed source of everything in :data:`COVERED` (once per process)."""
    digest = hashlib.sha256()
    for label, obj in _covered():
        digest.update(label.encode() + b"\0" + inspect.getsource(obj).encode() + b"\0")
    return digest.hexdigest()


def mode() -> tuple[str, str]:
    """(``hook`` or ``public``, why): the hook only where its code is the verified code."""
    if os.environ.get(ENV, "").strip().lower() == "public":
        return "public", f"forced by {ENV}=public"
    try:
        digest = current_digest()
    except (ImportError, OSError, TypeError, AttributeError, KeyError) as exc:
        return "public", f"cannot read Copier's code ({type(exc).__name__}: {exc})"
    if digest not in PINNED:
        return "public", f"Copier's render code is not the verified code (sha256 {digest[:12]}...)"
    return "hook", "Copier's render code matches the verified digest"


@contextlib.contextmanager
def checked(
    root: Path,
    inputs: PlanInputs,
    check: Callable[[Plan], None],
    after_render: Callable[[], None] = lambda: None,
) -> Iterator[str]:
    """Around one Copier update of ``root``: ``check(plan)`` runs before its first write.

    Must run inside ``session.operation`` (one Copier operation per process, scratch folder).
    Yields the mode used. ``after_render`` runs once the new version is in the workspace.
    """
    how, why = mode()
    if how == "hook":
        with _hooked(root, check, after_render):
            yield how
        return
    _log.info("update preflight through Copier's public API: %s", why)
    check(public_plan(root, inputs))
    yield how
    after_render()


def public_plan(root: Path, inputs: PlanInputs) -> Plan:
    """The plan from renders through Copier's public API only (module docstring)."""
    scratch = Path(tempfile.mkdtemp(prefix="render-plan-"))
    try:
        rendered = _render(inputs, scratch / "new", inputs.new_ref, inputs.new_answers, ())
        old = _render(inputs, scratch / "old", inputs.old_ref, inputs.old_answers, inputs.exclude)
        candidates = sorted(p for p in rendered - set(inputs.private) if os.path.lexists(root / p))
        probe = scratch / "probe"
        for rel in candidates:
            (probe / rel).parent.mkdir(parents=True, exist_ok=True)
            (probe / rel).write_bytes(_SENTINEL)
        _render(inputs, probe, inputs.new_ref, inputs.new_answers, inputs.exclude)
        kept = {rel for rel in candidates if _holds_sentinel(probe / rel)}
        written = rendered - set(inputs.private) - kept
        return Plan(tuple(sorted(written)), tuple(sorted(old - rendered)), tuple(sorted(rendered)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _holds_sentinel(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and path.read_bytes() == _SENTINEL


def _render(
    inputs: PlanInputs,
    dest: Path,
    ref: str | None,
    answers: Mapping[str, Any],
    exclude: tuple[str, ...],
) -> set[str]:
    """``run_copy`` into ``dest`` (tasks skipped, existing files overwritten); its listing."""
    from osmosis_workspace.engine.copier_adapter import run_copy

    data = {k: v for k, v in answers.items() if not str(k).startswith("_")}
    run_copy(
        inputs.src,
        str(dest),
        data=data,
        vcs_ref=ref,
        defaults=True,
        overwrite=True,
        skip_tasks=True,
        answers_file=inputs.answers_file,
        exclude=list(exclude),
    )
    return listing(dest)


def listing(folder: Path) -> set[str]:
    """Files and links (to files or folders) below ``folder``, as posix paths."""
    out = set()
    for base, dirs, files in os.walk(folder):
        names = files + [d for d in dirs if os.path.islink(os.path.join(base, d))]
        for name in names:
            out.add(Path(base, name).relative_to(folder).as_posix())
    return out


def _plan(worker: Any, dest: Path, old: set[str]) -> tuple[Plan, dict[Path, list[Any]]]:
    """The paths ``worker`` will render into ``dest`` (names only, no contents), and the
    rendered names of every template entry, which Copier's own pass then reuses."""
    from copier._tools import scantree

    preserve = worker.template.preserve_symlinks
    base = Path(worker.template_copy_root)
    names: dict[Path, list[Any]] = {}
    written: list[str] = []
    rendered: list[str] = []
    for entry in scantree(str(base), not preserve):
        relpath = Path(entry.path).relative_to(base)
        names[relpath] = list(worker._render_path(relpath))
        if not (entry.is_symlink() and preserve) and entry.is_dir(follow_symlinks=not preserve):
            continue
        for dst_rel, _ctx in names[relpath]:
            rel = Path(dst_rel).as_posix()
            rendered.append(rel)
            if worker.match_exclude(Path(rel)):
                continue
            if worker.match_skip(Path(rel)) and os.path.lexists(dest / rel):
                continue
            written.append(rel)
    deleted = sorted(old - set(written) - set(rendered))
    plan = Plan(tuple(sorted(set(written))), tuple(deleted), tuple(sorted(set(rendered))))
    return plan, names


def _reuse_names(worker: Any, names: dict[Path, list[Any]]) -> bool:
    """Let Copier's own pass take the names the plan rendered (each is rendered once)."""
    original = worker._render_path

    def _render_path(relpath: Path) -> Any:
        found = names.get(relpath)
        return iter(found) if found is not None else original(relpath)

    try:
        worker._render_path = _render_path
    except (AttributeError, TypeError, ValueError):
        return False
    return True


@contextlib.contextmanager
def _hooked(root: Path, check: Callable[[Plan], None], after: Callable[[], None]) -> Iterator[None]:
    """Wrap ``Worker._render_template`` for one update (module docstring, ``hook``)."""
    from copier import _main

    original = _main.Worker._render_template
    target = root.resolve()
    old: set[str] = set()
    seen_old = False

    def _render_template(self: Any) -> None:
        nonlocal seen_old
        dest = Path(self.dst_path).resolve()
        if dest != target:
            original(self)
            if not seen_old:  # the old version's render comes first
                old.update(listing(dest))
                seen_old = True
            return
        plan, names = _plan(self, dest, old)
        check(plan)
        reused = _reuse_names(self, names)
        try:
            original(self)
        finally:
            if reused:
                self.__dict__.pop("_render_path", None)
        after()

    # The ignores below: patching a method is the point of this hook (for this update only).
    _main.Worker._render_template = _render_template  # type: ignore[method-assign]  # the hook
    try:
        yield
    finally:
        _main.Worker._render_template = original  # type: ignore[method-assign]  # the hook undone
