"""Check that every place recording this repository's version agrees (and matches a tag).

    python scripts/versions.py                 # print each place and its version; 1 if they differ
    python scripts/versions.py --tag v0.2.0    # also: the tag being released names that version

The version is written by hand in a few places, each read by a different consumer:

* ``pyproject.toml`` ``[project] version``: the package on PyPI;
* ``src/osmosis_workspace/__init__.py`` ``__version__``: ``osmosis-workspace --version``, kept
  a plain string so that answering it never imports package metadata;
* ``copier.yml``'s ``osmosis_workspace_version`` (when the template records one): the CLI
  release a generated workspace pins;
* ``CHANGELOG.md``'s newest release: what the tag's GitHub release publishes.

The CI workflow runs this on every push and the release workflow refuses a tag ``vX.Y.Z``
unless all of them say ``X.Y.Z``. Standard library only (it runs before anything is installed).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from changelog import ChangelogError, latest  # noqa: E402

#: The question in copier.yml that records the CLI release generated workspaces pin.
TEMPLATE_VERSION_QUESTION = "osmosis_workspace_version"


def package_version(root: Path) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


def module_version(root: Path) -> str:
    text = (root / "src" / "osmosis_workspace" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    return match[1] if match else "(no __version__ line)"


def template_version(root: Path) -> str | None:
    """The default of copier.yml's version question; None when the template records none."""
    text = (root / "copier.yml").read_text(encoding="utf-8")
    block = re.search(rf"^{TEMPLATE_VERSION_QUESTION}:\n((?:[ \t]+.*\n|\n)*)", text, re.MULTILINE)
    if block is None:
        return None
    default = re.search(
        r"^[ \t]+default:[ \t]*['\"]?([^'\"\n]+?)['\"]?[ \t]*$", block[1], re.MULTILINE
    )
    return default[1] if default else "(no default)"


def changelog_version(root: Path) -> str:
    try:
        return latest((root / "CHANGELOG.md").read_text(encoding="utf-8"))
    except ChangelogError as error:
        return f"({error})"


def recorded_versions(root: Path = ROOT) -> dict[str, str]:
    """Each place (as a user would look for it) and the version it records."""
    places = {
        "pyproject.toml [project] version": package_version(root),
        "src/osmosis_workspace/__init__.py __version__": module_version(root),
        "CHANGELOG.md latest release": changelog_version(root),
    }
    if (template := template_version(root)) is not None:
        places[f"copier.yml {TEMPLATE_VERSION_QUESTION}"] = template
    return places


def problems(root: Path = ROOT, tag: str | None = None) -> list[str]:
    """Why the versions disagree (with each other, or with ``tag``); empty when they agree."""
    places = recorded_versions(root)
    wanted = tag.removeprefix("v") if tag else places["pyproject.toml [project] version"]
    if tag and not re.fullmatch(r"v\d+\.\d+\.\d+", tag):
        return [f"tag {tag!r} is not a release tag vMAJOR.MINOR.PATCH"]
    return [
        f"{place} is {found}, expected {wanted}"
        for place, found in places.items()
        if found != wanted
    ]


def main(argv: list[str]) -> int:
    tag = argv[1] if len(argv) == 2 and argv[0] == "--tag" else None
    if argv and tag is None:
        print("usage: versions.py [--tag vX.Y.Z]", file=sys.stderr)
        return 2
    for place, found in recorded_versions().items():
        print(f"{found:>10}  {place}")
    found_problems = problems(tag=tag)
    for problem in found_problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if found_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
