"""The pre-update state of a workspace, saved so it can be put back exactly, even by another
process after this one was killed.

An update only starts on a clean tree, so the last commit *is* the state of every tracked and
untracked file: ``git reset --hard`` + ``git clean -fd`` bring them back. Two things git does
not restore are saved here besides the commit id:

* the index file itself, byte for byte (flags such as assume-unchanged/skip-worktree, stat
  data, everything), written back last;
* the working-tree files of index entries flagged assume-unchanged or skip-worktree: their
  edits are invisible to ``git status`` and ``git reset --hard`` would overwrite them (the
  update itself never writes them: the preflight refuses);
* ignored files, which git never restores: small ones (``.env``, local settings) are copied
  aside with their mode (links as links), and ignored paths that did not exist before are
  deleted. Ignored directories that already existed (``.venv``, ``.osmosis``) are never written
  by an update (the preflight refuses such paths) and are not copied.

``save``/``load`` keep the snapshot in the operation state folder (never in the tree) for
``update --abort``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

from osmosis_workspace.engine.git import git_out, run_git
from osmosis_workspace.engine.opstate import sync_dir, write_atomic

#: Ignored files larger than this are not copied aside (the template never writes such files).
MAX_BACKUP_BYTES = 1 << 20


@dataclass
class Snapshot:
    head: str
    index: bytes
    ignored: set[str] = field(default_factory=set)
    #: ignored or flagged path -> (st_mode, bytes); for a link the bytes are its target
    backups: dict[str, tuple[int, bytes]] = field(default_factory=dict)


def index_path(repo: Path) -> Path:
    rel = git_out(["rev-parse", "--git-path", "index"], repo).strip()
    return Path(rel) if os.path.isabs(rel) else repo / rel


def _ignored(repo: Path) -> set[str]:
    out = git_out(["ls-files", "-o", "-i", "--exclude-standard", "--directory", "-z"], repo)
    return {p for p in out.split("\0") if p}


def _flagged(repo: Path) -> list[str]:
    """Index entries flagged assume-unchanged (lowercase tag) or skip-worktree (``S``)."""
    out = git_out(["ls-files", "-v", "-z"], repo)
    return [e[2:] for e in out.split("\0") if len(e) > 2 and (e[0].islower() or e[0] == "S")]


def take(repo: Path) -> Snapshot:
    index = index_path(repo)
    snap = Snapshot(
        head=git_out(["rev-parse", "HEAD"], repo).strip(),
        index=index.read_bytes() if index.is_file() else b"",
        ignored=_ignored(repo),
    )
    flagged = set(_flagged(repo))
    for rel in [*snap.ignored, *flagged]:
        path = repo / rel
        if rel.endswith("/"):
            continue
        if path.is_symlink():
            snap.backups[rel] = (stat.S_IFLNK | 0o777, os.readlink(path).encode())
        elif path.is_file() and (rel in flagged or path.stat().st_size <= MAX_BACKUP_BYTES):
            snap.backups[rel] = (path.stat().st_mode, path.read_bytes())
    return snap


def restore(repo: Path, snap: Snapshot) -> None:
    """Put back the committed state, the ignored files and the index exactly as they were."""
    run_git(["reset", "-q", "--hard", snap.head], repo)
    run_git(["clean", "-q", "-fd"], repo)
    for rel in _ignored(repo) - snap.ignored:
        _remove(repo / rel.rstrip("/"))
    for rel, (mode, data) in snap.backups.items():
        _put_back(repo / rel, mode, data)
    if snap.index:
        write_atomic(index_path(repo), snap.index)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _put_back(path: Path, mode: int, data: bytes) -> None:
    if stat.S_ISLNK(mode):
        if path.is_symlink() and os.readlink(path).encode() == data:
            return
        _remove(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(os.fsdecode(data))
        return
    if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
        if path.stat().st_mode != mode:
            path.chmod(stat.S_IMODE(mode))
        return
    if path.exists() or path.is_symlink():
        _remove(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(stat.S_IMODE(mode))


def save(snap: Snapshot, folder: Path) -> None:
    """Write the snapshot to ``folder`` (fsynced) before the first write to the workspace."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "files").mkdir(parents=True)
    names = {}
    for number, (rel, (mode, data)) in enumerate(sorted(snap.backups.items())):
        name = f"{number:05d}"
        names[rel] = [name, mode]
        write_atomic(folder / "files" / name, data)
    write_atomic(folder / "index", snap.index)
    meta = {"head": snap.head, "ignored": sorted(snap.ignored), "backups": names}
    write_atomic(folder / "meta.json", json.dumps(meta).encode())
    sync_dir(folder)


def load(folder: Path) -> Snapshot:
    """The snapshot saved by :func:`save` (raises OSError/ValueError when it is incomplete)."""
    meta = json.loads((folder / "meta.json").read_bytes())
    backups = {
        rel: (int(mode), (folder / "files" / name).read_bytes())
        for rel, (name, mode) in meta["backups"].items()
    }
    return Snapshot(
        head=meta["head"],
        index=(folder / "index").read_bytes(),
        ignored=set(meta["ignored"]),
        backups=backups,
    )
