"""Credentials are refused wherever they come in, and leave no trace anywhere afterwards.

Each shape is tried as an API answer, a ``--set`` answer, a ``--data-file`` answer and inside a
template URL; after each refusal the destination, the temp dir, the git objects next to it and
Copier's cache are scanned for the secret, and so is everything printed. Keys are assembled
from pieces so this file is not itself a leak for secret scanners.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from support.helpers import snapshot_template
from support.secret_shapes import ROOT, SHAPES
from typer.testing import CliRunner

from osmosis_workspace import api
from osmosis_workspace.cli.typer_app import typer_app
from osmosis_workspace.errors import WorkspaceError


def _needles(text: str) -> list[bytes]:
    """What must not appear anywhere: the longest run without spaces, as stored bytes."""
    longest = max(text.split(), key=len)
    return [longest.encode(), json.dumps(longest)[1:-1].encode()]


def _scan(roots: list[Path], needles: list[bytes]) -> list[str]:
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")] if root.exists() else []:
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                found += [f"{path}" for n in needles if n in data]
    return found


def _git_objects(repo: Path) -> bytes:
    return subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=repo,
        capture_output=True,
        check=True,
    ).stdout


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """TMPDIR, Copier's cache and a git repository holding the destinations, all scanned."""
    places = {name: tmp_path / name for name in ("tmp", "cache", "parent")}
    for place in places.values():
        place.mkdir()
    subprocess.run(["git", "init", "-q", str(places["parent"])], check=True)
    monkeypatch.setenv("TMPDIR", str(places["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setenv("COPIER_CACHE_DIR", str(places["cache"]))
    return places


VECTORS = ("api-answer", "--set", "--data-file", "template-url")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder: no clone, no git lookups, so refusals are quick."""
    return snapshot_template(tmp_path_factory.mktemp("secrets-template"))


def _attempt(vector: str, text: str, dest: Path, work: Path, template: Path) -> tuple[int, str]:
    """One refusal attempt; returns the exit code and everything printed."""
    answer = f"Route tickets. {text}"
    if vector == "api-answer":
        with pytest.raises(WorkspaceError) as caught:
            api.create_workspace(
                dest,
                {"workspace_name": "leak-test", "task_description": answer},
                api.CreateOptions(template=str(template)),
            )
        return int(caught.value.exit_code), str(caught.value) + json.dumps(caught.value.to_dict())
    args = ["new", str(dest), "--defaults", "--json", "--set", "workspace_name=leak-test"]
    if vector != "template-url":
        args += ["--template", str(template)]
    if vector == "--set":
        args += ["--set", f"task_description={answer}"]
    elif vector == "--data-file":
        data = work / "answers.yml"
        data.write_text(json.dumps({"task_description": answer}), encoding="utf-8")
        args += ["--data-file", str(data)]
    else:
        url = text if "://" in text else f"https://example.com/{text}/repo.git"
        args += ["--template", url]
    result = CliRunner().invoke(typer_app, args)
    return result.exit_code, result.output


@pytest.mark.parametrize(("name", "text"), SHAPES, ids=[name for name, _ in SHAPES])
def test_credential_is_refused_everywhere_and_stored_nowhere(
    name: str, text: str, sandbox: dict[str, Path], tmp_path: Path, template: Path
) -> None:
    needles = _needles(text)
    for vector in VECTORS:
        dest = sandbox["parent"] / f"ws-{VECTORS.index(vector)}"
        code, printed = _attempt(vector, text, dest, tmp_path, template)
        expected = 4 if vector == "template-url" else 3
        assert code == expected, (vector, printed)
        assert not dest.exists() and not dest.is_symlink(), vector
        assert [n for n in needles if n in printed.encode()] == [], (vector, printed)
    assert _scan([sandbox["tmp"], sandbox["cache"], sandbox["parent"]], needles) == []
    objects = _git_objects(sandbox["parent"])
    assert [n for n in needles if n in objects] == []


def test_refusal_names_the_question_and_the_shape_not_the_value(template: Path) -> None:
    text = SHAPES[5][1]
    with pytest.raises(WorkspaceError) as caught:
        api.create_workspace(
            Path(tempfile.gettempdir()) / "never",
            {"workspace_name": "leak-test", "task_description": text},
            api.CreateOptions(template=str(template)),
        )
    problem = caught.value.problems[0]
    assert problem.question == "task_description"
    assert problem.reason.startswith(
        "task_description contains what looks like an Anthropic API key (sk-ant-...)."
    )


def test_every_printed_line_is_redacted(tmp_path: Path, template: Path) -> None:
    """A credential that reaches a message by another path (here: the destination folder's
    name) is printed as [redacted], in human and JSON output, by a real process."""
    key = SHAPES[7][1]
    (tmp_path / key).write_text("in the way", encoding="utf-8")
    cli = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "osmosis-workspace"
    cli = cli if cli.exists() else ROOT / ".venv" / "bin" / "osmosis-workspace"
    args = ["new", str(tmp_path / key), "--defaults", "--template", str(template)]
    result = subprocess.run(
        [str(cli), *args, "--json"], capture_output=True, text=True, timeout=120
    )
    human = CliRunner().invoke(typer_app, args)
    assert result.returncode == human.exit_code == 4
    for printed in (result.stdout + result.stderr, human.output):
        assert key not in printed and "[redacted]" in printed
