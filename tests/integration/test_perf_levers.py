"""The speed levers of ``osmosis_workspace.perf`` as the CLI uses them (issue #6).

The console script turns the levers on for ``new``, ``update`` and ``add-rollout``
(``perf.enable(on_import=True)``), and so does the suite for its own process (tests/conftest.py,
decision 0018). These tests hold the other side: the CLI's output with the levers is
byte-identical to the API's with them off, and each command's output is the same with
``OSMOSIS_WORKSPACE_PERF=0``; the levers really are installed where asked for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.helpers import git, tree_bytes
from support.lever_cli import cli
from support.workspace_api_helpers import (
    DEFAULT_ANSWERS,
    V1,
    V2,
    TemplateRepo,
    copy_workspace,
    shared_workspace,
)

from osmosis_workspace import perf
from osmosis_workspace.api import CreateOptions, create_workspace

#: The Copier levers install only on the code they were verified against (digests pinned).
COPIER_PATCHES = all(
    perf.current_digest(lever) in perf.PINNED[lever]
    for lever in ("filemode", "copier_yaml", "answers_relpath")
)


def index_and_modes(path: Path) -> tuple[str, str]:
    """The git index (modes and blob ids) and the executable files of the working tree."""
    executables = sorted(
        p.relative_to(path).as_posix()
        for p in path.rglob("*")
        if ".git" not in p.parts and p.is_file() and not p.is_symlink() and os.access(p, os.X_OK)
    )
    return git("ls-files", "-s", cwd=path).stdout, "\n".join(executables)


@contextmanager
def levers_off() -> Iterator[None]:
    """This process without the levers the suite turns on (tests/conftest.py), then back."""
    perf.disable()
    try:
        yield
    finally:
        perf.enable(on_import=True)


def test_cli_new_with_levers_matches_the_api_without(tmp_path: Path, repo: TemplateRepo) -> None:
    name = DEFAULT_ANSWERS["workspace_name"]
    with levers_off():
        plain = create_workspace(
            tmp_path / "api" / name, DEFAULT_ANSWERS, CreateOptions(template=repo.location, ref=V1)
        ).path
        assert not perf.status()["compile_cache"]
    dest = tmp_path / name
    code, err, status = cli(
        "new",
        str(dest),
        "--defaults",
        "--template",
        repo.location,
        "--ref",
        V1,
        "--set",
        f"workspace_name={plain.name}",
        cwd=tmp_path,
    )
    assert code == 0, err
    assert status["compile_cache"] and status["compile_hits"] > status["compile_misses"]
    if COPIER_PATCHES:
        assert status["filemode"] and status["copier_yaml"] and status["answers_relpath"]
        assert status["relpath_constant"] > 0 and status["relpath_rendered"] == 0
    assert tree_bytes(dest) == tree_bytes(plain)
    assert index_and_modes(dest) == index_and_modes(plain)


@pytest.mark.parametrize(
    "args",
    [("update", "--ref", V2), ("add-rollout", "second-one", "--grader", "numeric")],
    ids=["update", "add-rollout"],
)
def test_cli_command_with_and_without_levers_is_identical(
    args: tuple[str, ...],
    tmp_path: Path,
    repo: TemplateRepo,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    base = shared_workspace(tmp_path_factory, repo, V1)
    results = {}
    for perf_env in ("0", None):
        ws = copy_workspace(base, tmp_path / f"perf-{perf_env}" / base.name)
        code, err, status = cli(*args, cwd=ws, perf_env=perf_env)
        assert code == 0, err
        assert status["compile_cache"] is (perf_env is None)
        results[perf_env] = (
            tree_bytes(ws),
            index_and_modes(ws),
            git("status", "--porcelain", cwd=ws).stdout,
        )
    assert results["0"] == results[None]
