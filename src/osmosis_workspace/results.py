"""Result objects of the API: plain frozen dataclasses with a JSON-ready ``to_dict``.

The CLI's ``--json`` output is exactly ``to_dict()`` of these, so the backend and scripts see one
shape whether they call Python or the command line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class _Serializable:
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(asdict(self))  # type: ignore[call-overload]
        return data


@dataclass(frozen=True)
class CreateResult(_Serializable):
    """A workspace written by :func:`osmosis_workspace.api.create_workspace`.

    ``files`` lists every path written (relative, sorted, links included); ``version`` is the
    recorded ``_commit`` (None when the source is not a git repository or had uncommitted
    changes: such a workspace is not ``updatable``); ``commit`` is the first git commit.
    """

    path: Path
    answers: dict[str, Any]
    template: str
    version: str | None
    files: tuple[str, ...]
    commit: str | None = None
    updatable: bool = True
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkillChanges(_Serializable):
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeSummary(_Serializable):
    """What an update changed in the working tree (relative to the last commit)."""

    skills: SkillChanges = field(default_factory=SkillChanges)
    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.modified
            or self.deleted
            or self.skills.added
            or self.skills.changed
            or self.skills.removed
        )


@dataclass(frozen=True)
class UpdateResult(_Serializable):
    """An update applied by :func:`osmosis_workspace.api.update_workspace`.

    ``conflicts``: files left with conflict markers, unmerged index entries or ``*.rej``;
    ``kept``: files you edited that the new version deletes or renames, kept as you had them;
    ``pruned_links``: links left dangling by removed skills, deleted.
    Nothing is committed: review with ``git diff`` and commit.
    """

    path: Path
    from_version: str | None
    to_version: str | None
    changes: ChangeSummary
    conflicts: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    pruned_links: tuple[str, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.conflicts


@dataclass(frozen=True)
class UpdateCheck(_Serializable):
    """Result of :func:`osmosis_workspace.api.check_for_update`.

    ``preview`` is what ``update`` would do to the last commit (None with ``preview=False``).
    """

    path: Path
    template: str
    current: str | None
    latest: str | None
    available: bool
    preview: UpdateResult | None = None
    #: Every answers file (the workspace's and each added rollout's) older than ``latest``,
    #: with the version it records: ``update --all`` brings them all to ``latest``.
    behind: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AddRolloutResult(_Serializable):
    """A rollout added by :func:`osmosis_workspace.api.add_rollout`.

    ``files`` lists the paths written (relative, sorted); ``answers_file`` is the rollout's own
    Copier answers file (``copier update -a <it>`` refreshes this rollout alone);
    ``reused_dataset`` is the existing ``data/*.jsonl`` the rollout uses instead of new rows;
    ``commit`` is set when the call committed the rollout.
    """

    path: Path
    name: str
    answers_file: str
    answers: dict[str, Any]
    template: str
    version: str | None
    files: tuple[str, ...]
    reused_dataset: str | None = None
    commit: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdateAllResult(_Serializable):
    """One :class:`UpdateResult` per answers file (workspace first), applied together."""

    path: Path
    updates: tuple[tuple[str, UpdateResult], ...]

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(sorted({c for _, result in self.updates for c in result.conflicts}))
