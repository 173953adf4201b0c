"""Dataset files for the dataset-import tests (unit, integration and acceptance levels).

Builders of JSONL and CSV bytes, readers of the imported file, the template's
``extensions/datasets.py`` loaded by path, and the template repository the Copier tests render
from (built once per run and shared: read-only, clone it before changing it).
"""

from __future__ import annotations

import ast
import contextlib
import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.helpers import ROOT, git, load_by_path
from support.shared import shared_build
from support.workspace_api_helpers import commit_all, copy_template_files

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
EXTENSION = ROOT / "extensions" / "datasets.py"
V1, V2 = "v1.0.0", "v1.1.0"


def load_datasets(name: str) -> Any:
    """``extensions/datasets.py`` executed by path as a module called ``name``."""
    return load_by_path(name, EXTENSION)


def dataset_template_repo(factory: pytest.TempPathFactory) -> Path:
    """This repository's template files, committed and tagged v1.0.0 (clean: quick to clone)."""

    def build(path: Path) -> None:
        repo = copy_template_files(path / "tpl")
        git("init", "-q", "-b", "main", cwd=repo)
        commit_all(repo, "Template v1", V1)

    return shared_build(factory, "dataset-template", build) / "tpl"


def jsonl(*rows: dict[str, Any], newline: str = "\n") -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + newline for r in rows).encode()


def prompt_row(i: int) -> dict[str, Any]:
    return {"user_prompt": f"question {i}", "ground_truth": str(i)}


def meta_row(i: int, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"question": f"question {i}", "answer": str(i), **extra}}


P = [prompt_row(i) for i in range(1, 7)]
M = [meta_row(i) for i in range(1, 7)]


def read_rows(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")  # not splitlines(): U+2028 is data inside a line
    return [json.loads(line) for line in text.split("\n") if line]


def csv_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if "metadata" in row:
            row["metadata"] = json.loads(row["metadata"])
    return rows


def excel_csv(text: str) -> bytes:
    """What Excel's "CSV UTF-8" export writes: a BOM, and CRLF everywhere (inside cells too)."""
    return b"\xef\xbb\xbf" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode()


def assert_clean_jsonl(path: Path) -> None:
    """UTF-8 without BOM, LF only, one JSON object per line."""
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and raw.endswith(b"\n")
    for line in raw.decode("utf-8").split("\n")[:-1]:
        assert isinstance(json.loads(line), dict)


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    """Run like a user who typed a relative path in ``path`` (module fixtures can't monkeypatch)."""
    saved = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(saved)


def wired_fields(workspace: Path) -> dict[str, str]:
    """``PROMPT_FIELD = ...`` and ``ANSWER_FIELD = ...`` constants in the rendered rollout."""
    found = {}
    for path in (workspace / "rollouts").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id in (
                        "PROMPT_FIELD",
                        "ANSWER_FIELD",
                    ):
                        found[target.id] = node.value.value
    return found


def answers_of(workspace: Path) -> dict[str, Any]:
    return yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))


def copy_file(src: Path, dest: Path) -> Path:
    dest.write_bytes(src.read_bytes())
    return dest


def write_file(dest: Path, content: bytes) -> Path:
    dest.write_bytes(content)
    return dest
