"""Copier migration steps for workspaces made by older releases of this template.

Copier runs each ``_migrations`` entry of ``copier.yml`` whose ``version`` lies after the
workspace's recorded version and up to the one being installed, in the order they are listed.
Each entry calls this script with one step, written against the layout of its own release, so a
workspace several releases behind replays every step in order during one ``copier update``.

Steps (run in the workspace, before Copier compares the old and new renders):

``rename-answer ANSWERS_FILE OLD NEW``
    A question was renamed: the recorded answer moves to the new name (Copier reloads the
    answers after the "before" migrations, so the update renders with it).
``move OLD NEW``
    A file or folder the user may have edited moved: ``git mv`` it, so that the user's copy is
    what the new release's file is merged with. Without this, Copier deletes a file the
    template no longer has, edits and all.

Every step is idempotent (a step whose work is already done does nothing) and refuses, without
changing anything, when it would overwrite something: the update then stops and Copier leaves
the workspace as it was. Each step that changes something prints one line starting with
``MARKER``; the workspace's template-update script lists those lines in its pull request.

Standard library only: Copier runs it with its own Python (``_copier_python``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

#: The first words of every line announcing a migration step that changed the workspace.
MARKER = "Template migration"


class MigrationError(Exception):
    """A step cannot run without overwriting something; nothing was changed."""


def version() -> str:
    """The release this step belongs to (Copier sets VERSION_CURRENT for each migration)."""
    return os.environ.get("VERSION_CURRENT", "unversioned")


def announce(text: str) -> None:
    print(f"{MARKER} {version()}: {text}", flush=True)


def rename_answer(answers_file: str, old: str, new: str) -> None:
    """Rename the top-level key ``old`` to ``new`` in the answers file, keeping every byte else."""
    path = Path(answers_file)
    if not path.is_file():
        raise MigrationError(f"{answers_file} not found: run the update from the workspace root")
    text = path.read_text(encoding="utf-8")
    has_old = re.search(rf"^{re.escape(old)}:", text, re.MULTILINE)
    has_new = re.search(rf"^{re.escape(new)}:", text, re.MULTILINE)
    if not has_old:
        return  # never answered, or already renamed
    if has_new:
        raise MigrationError(f"{answers_file} has both {old} and {new}: keep one and retry")
    path.write_text(re.sub(rf"^{re.escape(old)}:", f"{new}:", text, flags=re.MULTILINE),
                    encoding="utf-8")
    announce(f"answer {old} renamed to {new} in {answers_file}")


def tracked(path: str) -> bool:
    listed = subprocess.run(["git", "ls-files", "--error-unmatch", "--", path],
                            capture_output=True, text=True)
    return listed.returncode == 0


def move(old: str, new: str) -> None:
    """Move ``old`` to ``new`` (``git mv`` when tracked); nothing to do once it has moved."""
    source, target = Path(old), Path(new)
    if not source.exists() and not source.is_symlink():
        return  # deleted by the user, or already moved
    if target.exists() or target.is_symlink():
        raise MigrationError(
            f"cannot move {old} to {new}: {new} already exists. Merge the two by hand, delete "
            f"{old}, commit, and run the update again")
    target.parent.mkdir(parents=True, exist_ok=True)
    if tracked(old):
        subprocess.run(["git", "mv", "--", old, new], check=True, capture_output=True)
    else:
        source.rename(target)
    announce(f"moved {old} to {new}")


STEPS = {"rename-answer": (rename_answer, 3), "move": (move, 2)}


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
