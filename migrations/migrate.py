"""Copier migration steps for workspaces made by older releases of this template.

Copier runs each ``_migrations`` entry of ``copier.yml`` whose ``version`` lies after the
workspace's recorded version and up to the one being installed, in the order listed: first
every entry's "before" stage (before Copier compares the old and new renders), then Copier's
merge, then every entry's "after" stage. Each entry calls this script with one step; the
script reads the stage from ``$STAGE``, so entries run in both (``when: "{{ true }}"``).
A workspace several releases behind replays every step in order during one update.

Steps:

``rename-answer ANSWERS_FILE OLD NEW`` (before)
    A question was renamed: the recorded answer moves to the new name (Copier reloads the
    answers after the "before" stage, so the update renders with it).
``move TEMPLATE_DIR OLD NEW`` (before and after)
    A file the user may have edited moved. Copier alone would delete the old file, edits and
    all, and create the new one fresh. Before the merge this step puts the template's original
    (the release the workspace has) back at ``OLD`` and keeps the user's copy inside ``.git``;
    after the merge it three-way merges the user's copy into ``NEW`` (the template's
    original as the base), so the user's edits and the template's changes both land, with
    conflict markers only where they really disagree. A later release moving ``NEW`` again
    carries the kept copy on to its final place. ``TEMPLATE_DIR`` is Copier's clone of the
    template (``{{ _copier_conf.src_path }}``), which has every release's files.

Every step is idempotent and refuses, changing nothing, when it would overwrite something: the
update then stops (the workspace's last commit still has everything). Each step that changes
something prints one line on stderr starting with ``MARKER``; the workspace's template-update
script lists those lines in its pull request.

Standard library only: Copier runs it with its own Python (``_copier_python``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

#: The first words of every line announcing a migration step that changed the workspace.
MARKER = "Template migration"
#: File in :func:`kept_copies` listing, one per line, the paths ``move`` moved in this update.
MOVED = "moved"


class MigrationError(Exception):
    """A step cannot run without overwriting something; nothing was changed."""


def version() -> str:
    """The release this step belongs to (Copier sets VERSION_CURRENT for each migration)."""
    return os.environ.get("VERSION_CURRENT", "unversioned")


def announce(text: str) -> None:
    """One line on stderr, next to Copier's own messages (stdout may carry JSON output)."""
    print(f"{MARKER} {version()}: {text}", file=sys.stderr, flush=True)


def rename_answer(answers_file: str, old: str, new: str) -> None:
    """Rename the top-level key ``old`` to ``new`` in the answers file, keeping every byte else."""
    path = Path(answers_file)
    if os.environ.get("STAGE", "before") != "before":
        return
    if not path.is_file():
        raise MigrationError(f"{answers_file} not found: run the update from the workspace root")
    text = path.read_text(encoding="utf-8")
    has_old = re.search(rf"^{re.escape(old)}:", text, re.MULTILINE)
    has_new = re.search(rf"^{re.escape(new)}:", text, re.MULTILINE)
    if not has_old:
        return  # never answered, or already renamed
    if has_new:
        raise MigrationError(f"{answers_file} has both {old} and {new}: keep one and retry")
    path.write_text(
        re.sub(rf"^{re.escape(old)}:", f"{new}:", text, flags=re.MULTILINE), encoding="utf-8"
    )
    announce(f"answer {old} renamed to {new} in {answers_file}")


def git(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], input=data, capture_output=True)


def kept_copies() -> Path:
    """Where ``move`` keeps the user's copies between the two stages (never in the worktree)."""
    git_dir = git("rev-parse", "--git-dir").stdout.decode().strip() or ".git"
    return Path(git_dir) / "osmosis-template-migrations"


def record_moved(old: str) -> None:
    """Note that ``old`` moved (its content is carried to the new path, edits and all), so the
    updater does not restore it as a user-edited file the new release deleted."""
    kept_copies().mkdir(exist_ok=True)
    with open(kept_copies() / MOVED, "a", encoding="utf-8") as record:
        record.write(old + "\n")


def kept(target: str, part: str) -> Path:
    return kept_copies() / f"{quote(target, safe='')}.{part}"


def original(template_dir: str, rel: str) -> bytes | None:
    """The file as the workspace's release of the template had it (``$VERSION_FROM``).

    A ``.jinja`` file's source stands in for its render: lines without Jinja are the same, and
    a line with Jinja differs from both sides, so it can only cause a conflict, never a loss.
    """
    release = os.environ.get("VERSION_FROM", "")
    for name in (f"template/{rel}", f"template/{rel}.jinja"):
        shown = git("-C", template_dir, "show", f"{release}:{name}")
        if release and shown.returncode == 0:
            return shown.stdout
    return None


def move(template_dir: str, old: str, new: str) -> None:
    if os.environ.get("STAGE", "before") == "before":
        move_before(template_dir, old, new)
    else:
        move_after(old, new)


def move_before(template_dir: str, old: str, new: str) -> None:
    """Keep the user's copy of ``old`` aside and put the template's original back."""
    if kept(old, "mine").exists():  # an earlier release moved the file here: follow it on
        for part in ("mine", "base"):
            os.replace(kept(old, part), kept(new, part))
        record_moved(old)
        announce(f"moved {old} to {new}")
        return
    for part in ("mine", "base"):  # left by an update that failed halfway: start afresh
        kept(new, part).unlink(missing_ok=True)
    source = Path(old)
    if not source.is_file():
        return  # deleted by the user, or already moved
    if Path(new).exists() or Path(new).is_symlink():
        raise MigrationError(
            f"cannot move {old} to {new}: {new} already exists. Merge the two by hand, delete "
            f"{old}, commit, and run the update again"
        )
    mine, base = source.read_bytes(), original(template_dir, old)
    if mine != base:
        kept_copies().mkdir(exist_ok=True)
        kept(new, "mine").write_bytes(mine)
        # Without the original, an empty base: every difference becomes a conflict, no loss.
        kept(new, "base").write_bytes(base or b"")
        if base is not None:  # Copier then sees an unedited file and simply deletes it
            source.write_bytes(base)
            git("add", "--", old)
    record_moved(old)
    announce(f"moved {old} to {new}")


def move_after(old: str, new: str) -> None:
    """Merge the kept copy into ``new``: the user's edits on top of the template's changes."""
    git("reset", "-q", "--", old)  # the original staged before the merge: back to the commit
    mine, base = kept(new, "mine"), kept(new, "base")
    if not mine.exists():
        return
    target = Path(new)
    target.parent.mkdir(parents=True, exist_ok=True)
    theirs = target.read_bytes() if target.is_file() else base.read_bytes()
    work = kept(new, "merged")
    work.write_bytes(mine.read_bytes())
    other = kept(new, "theirs")
    other.write_bytes(theirs)
    git(
        "merge-file",
        "-L",
        "before updating",
        "-L",
        "last update",
        "-L",
        "after updating",
        str(work),
        str(base),
        str(other),
    )
    target.write_bytes(work.read_bytes())
    for path in (mine, base, work, other):
        path.unlink()


STEPS = {"rename-answer": (rename_answer, 3), "move": (move, 3)}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in STEPS or len(argv) - 1 != STEPS[argv[0]][1]:
        usage = ", ".join(f"{name} ({count} arguments)" for name, (_, count) in STEPS.items())
        print(f"migrate.py: unknown step {' '.join(argv)!r}; steps: {usage}", file=sys.stderr)
        return 2
    step, _count = STEPS[argv[0]]
    try:
        step(*argv[1:])
    except MigrationError as error:
        print(f"{MARKER} {version()} failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
