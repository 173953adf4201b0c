"""Split a dataset into a training file and a held-out file, deterministically.

    uv run python tools/split_dataset.py data/<dataset>.jsonl
    uv run python tools/split_dataset.py data/<dataset>.jsonl --held-out 0.2 --seed 7
    uv run python tools/split_dataset.py data/<dataset>.jsonl --stratify metadata.label

writes data/<dataset>-train.jsonl and data/<dataset>-heldout.jsonl. Train on the first, and
evaluate the trained model on the second: rows it never saw, so the score measures the task, not
memory. The same file, fraction and seed always give the same two files; every row lands in
exactly one of them, copied byte for byte, in its original order. With ``--stratify FIELD``
(a top-level field such as ``ground_truth``, or ``metadata.<key>``) each value of the field
is split on its own, so both files keep the dataset's mix of answers or labels.

Existing output files are never overwritten unless ``--force`` is given; both files are written
completely or not at all. Check them with `osmosis dataset validate FILE` before uploading.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The fewest rows `osmosis dataset validate` accepts in a dataset file.
MIN_ROWS = 4


class SplitError(Exception):
    """A problem with the input or the options, worded for the user."""


@dataclass(frozen=True)
class SplitOptions:
    held_out: float = 0.2
    seed: int = 0
    stratify: str = ""


def read_lines(path: Path, stratify: str) -> list[tuple[str, str]]:
    """Each non-blank line with its stratum ('' without ``stratify``); errors name the line."""
    lines = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SplitError(f"{path}, line {number}: not valid JSON ({error.msg})") from None
            stratum = field_value(row, stratify, f"{path}, line {number}") if stratify else ""
            lines.append((line if line.endswith("\n") else line + "\n", stratum))
    return lines


def field_value(row: Any, field: str, where: str) -> str:
    """The value of ``field`` (dots go into nested objects) as a string key."""
    value = row
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            raise SplitError(f"{where}: the row has no field {field!r} to stratify on")
        value = value[part]
    return json.dumps(value, sort_keys=True)


def held_out_indices(strata: list[str], options: SplitOptions) -> set[int]:
    """Which rows go to the held-out file: a seeded sample of each stratum."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, stratum in enumerate(strata):
        groups[stratum].append(index)
    rng = random.Random(options.seed)
    chosen: set[int] = set()
    for stratum in sorted(groups):
        members = groups[stratum]
        rng.shuffle(members)
        chosen.update(members[: round(len(members) * options.held_out)])
    return chosen


def split(source: Path, options: SplitOptions) -> tuple[list[str], list[str]]:
    """The training lines and the held-out lines of ``source``."""
    if not 0 < options.held_out < 1:
        raise SplitError(f"--held-out must be between 0 and 1, not {options.held_out}")
    lines = read_lines(source, options.stratify)
    chosen = held_out_indices([stratum for _, stratum in lines], options)
    train = [line for i, (line, _) in enumerate(lines) if i not in chosen]
    held_out = [line for i, (line, _) in enumerate(lines) if i in chosen]
    if min(len(train), len(held_out)) < MIN_ROWS:
        raise SplitError(
            f"{source}: {len(lines)} rows give {len(train)} to train and {len(held_out)} "
            f"held out; Osmosis needs at least {MIN_ROWS} rows in a dataset (add rows or "
            "change --held-out)"
        )
    return train, held_out


def write_all(files: dict[Path, list[str]], force: bool) -> None:
    """Write every file or none: temporary files first, then renamed into place."""
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        raise SplitError(f"{', '.join(existing)} already exist; pass --force to replace them")
    staged: dict[Path, str] = {}
    try:
        for path, lines in files.items():
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged[path] = temporary
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                out.writelines(lines)
        for path, temporary in staged.items():
            os.replace(temporary, path)
    finally:
        for temporary in staged.values():
            Path(temporary).unlink(missing_ok=True)


def output_paths(source: Path) -> tuple[Path, Path]:
    return source.with_name(f"{source.stem}-train.jsonl"), source.with_name(
        f"{source.stem}-heldout.jsonl"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset", type=Path, help="data/<dataset>.jsonl")
    parser.add_argument("--held-out", type=float, default=0.2, help="fraction held out (0.2)")
    parser.add_argument("--seed", type=int, default=0, help="shuffle seed (0)")
    parser.add_argument("--stratify", default="", help="field to stratify on, e.g. metadata.label")
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    args = parser.parse_args(argv)
    options = SplitOptions(args.held_out, args.seed, args.stratify)
    try:
        if not args.dataset.is_file():
            raise SplitError(f"{args.dataset}: no such file")
        train, held_out = split(args.dataset, options)
        train_path, held_out_path = output_paths(args.dataset)
        write_all({train_path: train, held_out_path: held_out}, args.force)
    except (SplitError, OSError, UnicodeDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{train_path}: {len(train)} rows\n{held_out_path}: {len(held_out)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
