"""Read CHANGELOG.md (Keep a Changelog format): one release's notes, or the latest release.

    python scripts/changelog.py section 0.2.0      # or v0.2.0: that release's notes, to stdout
    python scripts/changelog.py latest             # the newest released version (not Unreleased)

The release workflow publishes ``section`` as the GitHub release's text, so a tag whose
release has no notes (no ``## [X.Y.Z]`` heading, or nothing under it) fails the release
instead of publishing an empty one. Standard library only: the workflow runs it before anything
is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
#: ``## [0.2.0] - 2026-12-01`` or ``## [Unreleased]``.
HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?P<rest>.*)$", re.MULTILINE)
#: Link definitions at the foot of the file (``[0.2.0]: https://...``) belong to no section.
LINK_DEFINITION = re.compile(r"^\[[^\]]+\]: \S+\s*$", re.MULTILINE)


class ChangelogError(Exception):
    """The changelog lacks what was asked for; the message says what to add."""


def sections(text: str) -> dict[str, str]:
    """Every ``## [name]`` section's body, stripped, in file order."""
    text = LINK_DEFINITION.sub("", text)
    found = list(HEADING.finditer(text))
    bodies: dict[str, str] = {}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        bodies[match["name"]] = text[match.end() : end].strip()
    return bodies


def section(text: str, version: str) -> str:
    """The notes of ``version`` (a leading ``v`` is ignored); raises when absent or empty."""
    version = version.removeprefix("v")
    body = sections(text).get(version)
    if body is None:
        raise ChangelogError(
            f"CHANGELOG.md has no section '## [{version}] - YYYY-MM-DD': rename "
            "'## [Unreleased]' to it before tagging (docs/releasing.md)"
        )
    if not body:
        raise ChangelogError(f"CHANGELOG.md's section [{version}] is empty")
    return body + "\n"


def latest(text: str) -> str:
    """The newest released version: the first section that is not Unreleased."""
    released = [name for name in sections(text) if name.lower() != "unreleased"]
    if not released:
        raise ChangelogError("CHANGELOG.md has no released version yet")
    return released[0]


def main(argv: list[str]) -> int:
    text = CHANGELOG.read_text(encoding="utf-8")
    try:
        if len(argv) == 2 and argv[0] == "section":
            sys.stdout.write(section(text, argv[1]))
        elif argv == ["latest"]:
            print(latest(text))
        else:
            print("usage: changelog.py section VERSION | changelog.py latest", file=sys.stderr)
            return 2
    except ChangelogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
