"""The pinned `osmosis dataset validate` accepts what the workspace's split helper writes.

Split from tests/integration/test_split.py (the helper's own behaviour); the four validations
run as one batch (``Osmosis.run_many``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.helpers import Osmosis, osmosis_job
from support.split_script import labelled_rows, outputs, split


@pytest.mark.osmosis
def test_outputs_pass_osmosis_dataset_validate(
    default_workspace: Path, osmosis: Osmosis, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(default_workspace / "data" / "multiply.jsonl", data)
    (data / "tickets.jsonl").write_text(labelled_rows(), encoding="utf-8")
    assert split(default_workspace, data / "multiply.jsonl").returncode == 0
    stratified = split(default_workspace, data / "tickets.jsonl", "--stratify", "ground_truth")
    assert stratified.returncode == 0
    paths = [*outputs(data / "multiply.jsonl"), *outputs(data / "tickets.jsonl")]
    jobs = [osmosis_job(tmp_path, "dataset", "validate", f"data/{path.name}") for path in paths]
    for path, result in zip(paths, osmosis.run_many(jobs), strict=True):
        assert result.code == 0, (path.name, result.stdout[-2000:], result.stderr[-2000:])
