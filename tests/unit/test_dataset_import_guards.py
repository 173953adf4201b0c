"""The dataset import refuses links to system files, duplicate keys and too-deep rows.

Moved from tests/integration/test_check_blind_spots.py (whose other tests check a render)."""

from __future__ import annotations

import sys
from pathlib import Path

from support.helpers import ROOT, load_by_path


def _template_datasets():
    try:
        return load_by_path("tmpl_datasets", ROOT / "extensions/datasets.py")
    finally:
        del sys.modules["tmpl_datasets"]


def test_dataset_import_of_a_link_to_a_system_file(tmp_path: Path) -> None:
    datasets = _template_datasets()
    link = tmp_path / "rows.jsonl"
    link.symlink_to("/etc/passwd")
    assert datasets.dataset_file_problem(str(link)) == (
        f"dataset_file {link}: is a symbolic link to /etc/passwd, which is not a dataset file "
        "(.jsonl, .csv or .parquet); give the path of the dataset itself"
    )


def test_dataset_import_refuses_duplicate_keys_and_deep_rows(tmp_path: Path) -> None:
    datasets = _template_datasets()
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"prompt": "a", "answer": "1", "prompt": "b"}\n', encoding="utf-8")
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"prompt": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    assert datasets.dataset_file_problem(str(dup)) == (
        f"dataset_file {dup}: line 1: not valid JSON (duplicate key 'prompt' in one object)"
    )
    assert datasets.dataset_file_problem(str(deep)) == (
        f"dataset_file {deep}: line 1: not valid JSON (nested too deeply to read (hundreds of "
        "levels))"
    )
