"""The workspace's held-out split helper (tools/split_dataset.py), run as users run it.

Deterministic (same seed, same bytes), every row exactly once, stratified when asked, and clear
errors that leave nothing behind. That the pinned `osmosis dataset validate` accepts the outputs
is tests/acceptance/test_split_osmosis.py.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from support.split_script import SCRIPT, labelled_rows, outputs, split


def test_the_script_is_shipped_in_every_workspace(default_workspace: Path) -> None:
    assert (default_workspace / SCRIPT).is_file()
    config = default_workspace / "configs" / "eval" / "demo-task-heldout.toml"
    assert 'dataset = "demo-task-heldout"' in config.read_text(encoding="utf-8")


def test_same_seed_same_files_and_every_row_exactly_once(
    default_workspace: Path, tmp_path: Path
) -> None:
    runs = {}
    for name, seed in [("a", "7"), ("b", "7"), ("c", "8")]:
        folder = tmp_path / name
        folder.mkdir()
        dataset = Path(shutil.copy(default_workspace / "data" / "multiply.jsonl", folder))
        done = split(default_workspace, dataset, "--seed", seed, "--held-out", "0.25")
        assert done.returncode == 0, done.stderr
        runs[name] = [path.read_bytes() for path in outputs(dataset)]

    assert runs["a"] == runs["b"], "same seed, same bytes"
    assert runs["a"] != runs["c"], "another seed, another split"
    source = (default_workspace / "data" / "multiply.jsonl").read_bytes().splitlines()
    train, held_out = (part.splitlines() for part in runs["a"])
    assert Counter(train + held_out) == Counter(source), "every row exactly once"
    assert len(held_out) == round(len(source) * 0.25)
    assert train == [line for line in source if line in set(train)], "original order kept"


def test_stratified_split_keeps_each_class_share(default_workspace: Path, tmp_path: Path) -> None:
    dataset = tmp_path / "tickets.jsonl"
    dataset.write_text(labelled_rows(), encoding="utf-8")
    done = split(default_workspace, dataset, "--stratify", "ground_truth", "--held-out", "0.25")
    assert done.returncode == 0, done.stderr
    _, held_out = outputs(dataset)
    labels = Counter(json.loads(line)["ground_truth"] for line in held_out.read_text().splitlines())
    assert labels == {"billing": 5, "shipping": 3, "technical": 2}


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ('{"user_prompt": "a", "ground_truth": "1"}\n{oops\n', (), "line 2: not valid JSON"),
        (labelled_rows(), ("--stratify", "metadata.label"), "line 1: the row has no field"),
        (labelled_rows(6), (), "needs at least 4 rows"),
        (labelled_rows(), ("--held-out", "1.5"), "--held-out must be between 0 and 1"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    default_workspace: Path, tmp_path: Path, content: str, args: tuple[str, ...], message: str
) -> None:
    dataset = tmp_path / "rows.jsonl"
    dataset.write_text(content, encoding="utf-8")
    done = split(default_workspace, dataset, *args)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.jsonl"]


def test_existing_outputs_are_kept_without_force(default_workspace: Path, tmp_path: Path) -> None:
    dataset = tmp_path / "tickets.jsonl"
    dataset.write_text(labelled_rows(), encoding="utf-8")
    train, _ = outputs(dataset)
    train.write_text("mine\n", encoding="utf-8")
    done = split(default_workspace, dataset)
    assert done.returncode == 1 and "--force" in done.stderr
    assert train.read_text() == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tickets-train.jsonl", "tickets.jsonl"]
    assert split(default_workspace, dataset, "--force").returncode == 0
    assert train.read_text() != "mine\n"
