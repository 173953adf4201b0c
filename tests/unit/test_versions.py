"""One version, written once: ``__version__``; pyproject.toml, copier.yml and the changelog agree.

``scripts/versions.py`` (run by CI on every push, and by the release workflow against the tag)
and ``scripts/changelog.py`` (the release notes) are tested here too. That a workspace made from
a release records that release is shown in ``tests/integration/test_version_workspace.py``.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from support.helpers import ROOT

import osmosis_workspace

sys.path.insert(0, str(ROOT / "scripts"))
import changelog
import versions

VERSION = osmosis_workspace.__version__


def test_the_version_is_written_once_and_everything_reads_it() -> None:
    assert versions.problems(ROOT) == []
    assert versions.module_version(ROOT) == VERSION
    assert importlib.metadata.version("osmosis-workspace") == VERSION, (
        "the installed metadata is stale: rerun `python3 dev.py setup`"
    )
    assert set(versions.recorded_versions(ROOT).values()) == {VERSION}


def test_copier_yml_holds_no_copy_of_the_version() -> None:
    """The template's version is its release tag; no question's default repeats it."""
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    defaults = {
        name: q.get("default")
        for name, q in config.items()
        if isinstance(q, dict) and not name.startswith("_")
    }
    assert VERSION not in {str(d) for d in defaults.values()}, defaults
    assert versions.TEMPLATE_VERSION_QUESTION not in defaults


def tree_copy(tmp_path: Path) -> Path:
    for rel in ("pyproject.toml", "copier.yml", "CHANGELOG.md", versions.VERSION_FILE):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("rel", "old", "new", "problem"),
    [
        (
            "pyproject.toml",
            'dynamic = ["version"]',
            'version = "9.9.9"',
            "pyproject.toml writes [project] version; declare it dynamic instead",
        ),
        (
            "pyproject.toml",
            'path = "src/osmosis_workspace/__init__.py"',
            'path = "VERSION"',
            "pyproject.toml [tool.hatch.version] path is 'VERSION', expected "
            "'src/osmosis_workspace/__init__.py'",
        ),
        (
            "copier.yml",
            "\nmodel_secret:",
            "\nosmosis_workspace_version:\n  type: str\n"
            '  when: false\n  default: "{v}"\n\nmodel_secret:',
            "copier.yml defines osmosis_workspace_version, a second copy of the version; "
            "the template's version is its release tag",
        ),
        (
            "CHANGELOG.md",
            "## [{v}]",
            "## [9.9.9]",
            "CHANGELOG.md latest release is 9.9.9, expected {v}",
        ),
        (
            versions.VERSION_FILE,
            '__version__ = "{v}"',
            '__version__ = "9.9.9"',
            "CHANGELOG.md latest release is {v}, expected 9.9.9",
        ),
    ],
    ids=["static-version", "hatch-path", "copier-question", "changelog", "bump-alone"],
)
def test_a_second_copy_or_a_version_left_behind_is_named(
    tmp_path: Path, rel: str, old: str, new: str, problem: str
) -> None:
    root = tree_copy(tmp_path)
    assert versions.problems(root) == []
    edit(root / rel, old.format(v=VERSION), new.format(v=VERSION))
    assert problem.format(v=VERSION) in versions.problems(root)


def test_a_tag_must_name_the_version(tmp_path: Path) -> None:
    root = tree_copy(tmp_path)
    assert versions.problems(root, tag=f"v{VERSION}") == []
    assert versions.problems(root, tag="v99.0.0") == [
        f"{place} is {VERSION}, expected 99.0.0" for place in versions.recorded_versions(root)
    ]
    assert versions.problems(root, tag="release-1") == [
        "tag 'release-1' is not a release tag vMAJOR.MINOR.PATCH"
    ]


CHANGELOG = """# Changelog

## [Unreleased]

### Added

- Something new.

## [0.2.0] - 2026-12-01

### Changed

- **Skill** `plan-eval`: clearer.

## [0.1.0] - 2026-11-30

- First.

[Unreleased]: https://example.invalid/compare/v0.2.0...HEAD
[0.2.0]: https://example.invalid/compare/v0.1.0...v0.2.0
[0.1.0]: https://example.invalid/releases/tag/v0.1.0
"""


def test_changelog_section_and_latest_release() -> None:
    assert changelog.latest(CHANGELOG) == "0.2.0"
    assert (
        changelog.section(CHANGELOG, "v0.2.0")
        == "### Changed\n\n- **Skill** `plan-eval`: clearer.\n"
    )
    assert changelog.section(CHANGELOG, "0.1.0") == "- First.\n", "link definitions are left out"
    with pytest.raises(changelog.ChangelogError, match=r"no section '## \[0\.3\.0\]"):
        changelog.section(CHANGELOG, "v0.3.0")
    with pytest.raises(changelog.ChangelogError, match="is empty"):
        changelog.section("## [1.0.0] - 2026-01-01\n\n## [0.9.0]\n\n- x\n", "1.0.0")
    with pytest.raises(changelog.ChangelogError, match="no released version"):
        changelog.latest("# Changelog\n\n## [Unreleased]\n\n- x\n")


def test_changelog_has_unreleased_and_names_every_skill() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert re.search(rf"^## \[{re.escape(VERSION)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)
    skills = sorted(
        p.name for p in (ROOT / "template" / ".agents" / "skills").iterdir() if p.is_dir()
    )
    missing = [name for name in skills if f"**Skill** `{name}`" not in text]
    assert not missing, f"CHANGELOG.md does not name these skills: {missing}"
