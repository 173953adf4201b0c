"""One version everywhere: the package, the CLI, copier.yml, the generated pins, the changelog.

``scripts/versions.py`` (run by CI on every push, and by the release workflow against the tag)
and ``scripts/changelog.py`` (the release notes) are tested here too.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
from support.helpers import ROOT, rendered_text_files

sys.path.insert(0, str(ROOT / "scripts"))
import changelog
import versions

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
#: A pin of this package in a generated file: ``osmosis-workspace==X`` or a git tag ``@vX``.
PIN = re.compile(
    r"osmosis[-_]workspace(?:\s*==\s*|\S*?\.git@v)(\d+\.\d+\.\d+\S*?)(?=[\"'\s,;\]]|$)",
    re.MULTILINE,
)


def test_version_is_the_same_everywhere(default_workspace: Path) -> None:
    import osmosis_workspace

    places = versions.recorded_versions(ROOT)
    assert set(places.values()) == {VERSION}, places
    assert osmosis_workspace.__version__ == VERSION
    assert importlib.metadata.version("osmosis-workspace") == VERSION
    pins = {
        (path.relative_to(default_workspace).as_posix(), found)
        for path in rendered_text_files(default_workspace)
        for found in PIN.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert all(found == VERSION for _, found in pins), pins
    assert versions.problems(ROOT) == []


def tree_copy(tmp_path: Path) -> Path:
    for rel in (
        "pyproject.toml",
        "copier.yml",
        "CHANGELOG.md",
        "src/osmosis_workspace/__init__.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, tmp_path / rel)
    return tmp_path


@pytest.mark.parametrize(
    ("rel", "line", "place"),
    [
        ("pyproject.toml", 'version = "{}"', "pyproject.toml [project] version"),
        ("src/osmosis_workspace/__init__.py", '__version__ = "{}"',
         "src/osmosis_workspace/__init__.py __version__"),
        ("copier.yml", 'default: "{}"', "copier.yml osmosis_workspace_version"),
        ("CHANGELOG.md", "## [{}]", "CHANGELOG.md latest release"),
    ],
)
def test_a_version_left_behind_is_named(tmp_path: Path, rel: str, line: str, place: str) -> None:
    if rel == "copier.yml" and versions.template_version(ROOT) is None:
        pytest.skip("the template records no version of its own")
    path = tree_copy(tmp_path) / rel
    text = path.read_text(encoding="utf-8")
    old, new = line.format(VERSION), line.format("9.9.9")
    if rel == "copier.yml":  # only the version question's default
        start = text.index(f"{versions.TEMPLATE_VERSION_QUESTION}:")
        text = text[:start] + text[start:].replace(old, new, 1)
    else:
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    found = versions.problems(tmp_path)
    if rel == "pyproject.toml":  # the package's version is the reference: the others lag
        others = [p for p in versions.recorded_versions(tmp_path) if p != place]
        assert found == [f"{other} is {VERSION}, expected 9.9.9" for other in others]
    else:
        assert found == [f"{place} is 9.9.9, expected {VERSION}"]


def test_a_tag_must_name_the_recorded_version(tmp_path: Path) -> None:
    root = tree_copy(tmp_path)
    assert versions.problems(root, tag=f"v{VERSION}") == []
    mismatched = versions.problems(root, tag="v99.0.0")
    assert len(mismatched) == len(versions.recorded_versions(root))
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
