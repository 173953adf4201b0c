"""Check that this repository's version is written once, and that a release tag names it.

    python scripts/versions.py                 # the version and where it is read; 1 on a problem
    python scripts/versions.py --tag v0.2.0    # also: the tag being released names that version

The version is written in one place, ``__version__`` in ``src/osmosis_workspace/__init__.py``
(a plain string, so ``osmosis-workspace --version`` never reads package metadata). Everything
else derives it or must agree with it (docs/decisions/0014-one-version.md):

* ``pyproject.toml`` declares the version ``dynamic`` and hatch reads it from that file
  (``[tool.hatch.version] path``), so the package on PyPI cannot differ;
* the template's version is its release tag ``vX.Y.Z``, which Copier records as ``_commit`` in
  every workspace's answers file and the workspace's CI pins; ``copier.yml`` writes no version
  of its own (a copy nothing reads only drifts);
* ``CHANGELOG.md``'s newest release is what the tag's GitHub release publishes.

The CI workflow runs this on every push and the release workflow refuses a tag ``vX.Y.Z``
unless the version is ``X.Y.Z``. Standard library only (it runs before anything is installed).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from changelog import ChangelogError, latest  # noqa: E402

#: Where the version is written, relative to the repository root.
VERSION_FILE = "src/osmosis_workspace/__init__.py"
#: A question that would make copier.yml a second place holding the version (removed).
TEMPLATE_VERSION_QUESTION = "osmosis_workspace_version"


def module_version(root: Path) -> str:
    text = (root / VERSION_FILE).read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    return match[1] if match else "(no __version__ line)"


def pyproject_problems(root: Path) -> list[str]:
    """Why ``pyproject.toml`` could give the package a version of its own; empty when it reads
    ``__version__``."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    found = []
    if "version" in data.get("project", {}):
        found.append("pyproject.toml writes [project] version; declare it dynamic instead")
    if "version" not in data.get("project", {}).get("dynamic", []):
        found.append('pyproject.toml [project] dynamic does not list "version"')
    path = data.get("tool", {}).get("hatch", {}).get("version", {}).get("path")
    if path != VERSION_FILE:
        found.append(
            f"pyproject.toml [tool.hatch.version] path is {path!r}, expected {VERSION_FILE!r}"
        )
    return found


def template_problems(root: Path) -> list[str]:
    """Why ``copier.yml`` holds a version of its own; empty when its version is its tag."""
    text = (root / "copier.yml").read_text(encoding="utf-8")
    if re.search(rf"^{TEMPLATE_VERSION_QUESTION}:", text, re.MULTILINE):
        return [
            f"copier.yml defines {TEMPLATE_VERSION_QUESTION}, a second copy of the version; "
            "the template's version is its release tag"
        ]
    return []


def changelog_version(root: Path) -> str:
    try:
        return latest((root / "CHANGELOG.md").read_text(encoding="utf-8"))
    except ChangelogError as error:
        return f"({error})"


def recorded_versions(root: Path = ROOT) -> dict[str, str]:
    """Each place a user would look for the version, and the version it gives."""
    return {
        f"{VERSION_FILE} __version__": module_version(root),
        "CHANGELOG.md latest release": changelog_version(root),
    }


def problems(root: Path = ROOT, tag: str | None = None) -> list[str]:
    """Why the version is not written once, or disagrees with ``tag``; empty when all is well."""
    if tag and not re.fullmatch(r"v\d+\.\d+\.\d+", tag):
        return [f"tag {tag!r} is not a release tag vMAJOR.MINOR.PATCH"]
    places = recorded_versions(root)
    wanted = tag.removeprefix("v") if tag else places[f"{VERSION_FILE} __version__"]
    return [
        *pyproject_problems(root),
        *template_problems(root),
        *(
            f"{place} is {found}, expected {wanted}"
            for place, found in places.items()
            if found != wanted
        ),
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
