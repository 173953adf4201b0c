"""A workspace made from a release records that release: the package's version, tag ``vX.Y.Z``.

The version is written once (``osmosis_workspace.__version__``; docs/decisions/0014-one-version.md).
The template carries no copy of it: its version is the release tag, which Copier records as
``_commit`` and the workspace's CI and pre-commit hook pin. So a workspace rendered from the tag
of this package's version must name exactly that version, in the answers file and in every pin.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from support.helpers import git, rendered_text_files
from support.workspace_api_helpers import TemplateRepo

from osmosis_workspace import CreateOptions, __version__, create_workspace

#: A pin of this package in a generated file: ``osmosis-workspace==X`` or a git ref ``@vX``.
PIN = re.compile(r"osmosis[-_]workspace\s*(?:==\s*|@\s*git\+\S+@)v?(\d+\.\d+\.\d+[^\s\"',;\]}]*)")


def test_a_workspace_made_from_the_release_tag_names_the_package_version(
    repo: TemplateRepo, tmp_path: Path
) -> None:
    release = tmp_path / "template"
    git("clone", "-q", str(repo.path), str(release), cwd=tmp_path)
    git("tag", f"v{__version__}", repo.v1, cwd=release)
    dest = tmp_path / "ws"
    create_workspace(
        dest,
        {"workspace_name": "version-ws", "include_examples": False},
        CreateOptions(template=str(release), ref=f"v{__version__}"),
    )

    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_commit"] == f"v{__version__}"
    pins = {
        (path.relative_to(dest).as_posix(), found)
        for path in rendered_text_files(dest)
        for found in PIN.findall(path.read_text(encoding="utf-8", errors="replace"))
    }
    assert {where for where, _ in pins} >= {".github/workflows/ci.yml", ".pre-commit-config.yaml"}
    assert {found for _, found in pins} == {__version__}, pins
