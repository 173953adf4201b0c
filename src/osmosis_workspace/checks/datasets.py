"""Datasets under ``data/`` against the Osmosis platform rules (osmosis-ai 0.3.8).

A faithful port of ``osmosis_ai.platform.cli.dataset`` (``_check_file_basics`` and the JSONL/CSV
validators) with the same messages, so ``osmosis dataset validate`` and this check agree file by
file (the tests compare them). Parquet content needs pyarrow, like osmosis; without it the file
is listed as skipped, as osmosis warns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from osmosis_workspace.checks.model import CheckContext, Problem

VALID_EXTENSIONS = ("csv", "jsonl", "parquet")
MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024
REQUIRED_COLUMNS = {"user_prompt", "ground_truth"}
MIN_ROW_COUNT = 4
METADATA_COLUMN = "metadata"
MAX_ERRORS = 5
#: ``--fast`` skips datasets above this size (a pre-commit hook must stay quick).
FAST_MAX_BYTES = 4 * 1024 * 1024
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def check(ctx: CheckContext) -> Iterator[Problem]:
    for rel in ctx.under("data", tuple(f".{e}" for e in VALID_EXTENSIONS)):
        path = ctx.root / rel
        if problem := _not_a_plain_file(ctx, path):
            yield Problem(rel, problem, "datasets")
            continue
        if ctx.fast and path.is_file() and path.stat().st_size > FAST_MAX_BYTES:
            ctx.skipped.append(f"{rel}: larger than {FAST_MAX_BYTES >> 20} MB (--fast)")
            continue
        errors, skipped = validate_file(path)
        if skipped:
            ctx.skipped.append(f"{rel}: {skipped}")
        for error in errors:
            yield Problem(rel, error, "datasets")


def _not_a_plain_file(ctx: CheckContext, path: Path) -> str:
    """Why a dataset is not read at all: a link out of the workspace (every clone lacks it, and
    it may point at a device or a system file) or not a regular file (a FIFO would block)."""
    import stat

    try:
        info = path.stat()
    except OSError:
        return ("is a dangling symbolic link: restore the file or delete the link"
                if path.is_symlink() else "cannot be read")
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(ctx.root.resolve()):
            return ("is a symbolic link to a file outside the workspace, which clones do not "
                    "have: copy the dataset into data/ instead of linking it")
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a folder, device, FIFO or socket): replace it with the file"
    return ""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members; a key given twice is an error (parsers keep only the last)."""
    row: dict[str, Any] = {}
    for key, value in pairs:
        if key in row:
            raise _DuplicateKey(key)
        row[key] = value
    return row


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def validate_file(path: Path) -> tuple[list[str], str]:
    """``(errors, skipped reason)`` for one dataset file, as ``osmosis dataset validate``."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return [f"File not found: {path}"], ""
    ext = path.suffix.lstrip(".").lower()
    if ext not in VALID_EXTENSIONS:
        return [f"Unsupported file type '.{ext}'. Supported: {', '.join(VALID_EXTENSIONS)}"], ""
    if size == 0:
        return ["File is empty."], ""
    if size > MAX_FILE_SIZE:
        return ["File too large. Maximum: 5 GB"], ""
    if ext == "jsonl":
        return validate_jsonl(path), ""
    if ext == "csv":
        return validate_csv(path), ""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return [], "parquet content not checked (pyarrow is not installed)"
    return _validate_parquet(path), ""


def check_required_columns(columns: Iterable[str]) -> list[str]:
    normalized = set(columns)
    if "label" in normalized:
        normalized.add("ground_truth")
    if METADATA_COLUMN in normalized:
        return []
    missing = REQUIRED_COLUMNS - normalized
    if missing:
        return [
            f"Missing required columns: {', '.join(sorted(missing))}. Datasets without a "
            "metadata column must include user_prompt and ground_truth (label is accepted as "
            "an alias)."
        ]
    return []


def _nested_empty(value: Any, *, root: bool = True) -> bool:
    if isinstance(value, dict):
        if not value:
            return not root
        return any(_nested_empty(child, root=False) for child in value.values())
    if isinstance(value, list):
        return any(_nested_empty(child, root=False) for child in value)
    return False


def _oversized_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not _INT64_MIN <= value <= _INT64_MAX
    if isinstance(value, dict):
        return any(_oversized_int(child) for child in value.values())
    if isinstance(value, list):
        return any(_oversized_int(child) for child in value)
    return False


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


class _TypeTracker:
    """Each metadata key's JSON type must agree across rows (the platform's normaliser rule)."""

    def __init__(self) -> None:
        self.types: dict[str, str] = {}

    def observe(self, value: Any, path: str, location: str) -> list[str]:
        if value is None:
            return []
        current = _type_name(value)
        previous = self.types.setdefault(path, current)
        if previous != current:
            return [f"{location}: invalid metadata - value type at {path} is inconsistent "
                    f"across rows ({previous} vs {current})"]
        errors: list[str] = []
        if isinstance(value, dict):
            for key, child in value.items():
                errors += self.observe(child, f"{path}.{key}", location)
        elif isinstance(value, list):
            for child in value:
                errors += self.observe(child, f"{path}[]", location)
        return errors


def check_metadata(value: Any, location: str, tracker: _TypeTracker) -> list[str]:
    empty = (f"{location}: invalid metadata - metadata mode requires a non-empty JSON object "
             "in every row")
    if value is None or (isinstance(value, str) and not value.strip()):
        return [empty]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            return [f"{location}: invalid metadata - not valid JSON ({exc})"]
        except RecursionError:
            return [f"{location}: invalid metadata - nested too deeply to read"]
    if not isinstance(value, dict):
        return [f"{location}: invalid metadata - must be a JSON object, got "
                f"{type(value).__name__}"]
    if not value:
        return [empty]
    if _nested_empty(value):
        return [f"{location}: invalid metadata - contains an empty nested object ({{}}), which "
                "cannot be stored. Remove that key or add at least one nested key."]
    if _oversized_int(value):
        return [f"{location}: invalid metadata - contains an integer too large to store (must "
                "fit in 64 bits)"]
    return tracker.observe(value, "$", location)


def _capped(errors: list[str]) -> bool:
    if len(errors) >= MAX_ERRORS:
        errors.append("... (showing first 5 errors)")
        return True
    return False


def validate_jsonl(path: Path) -> list[str]:
    errors: list[str] = []
    expected: frozenset[str] | None = None
    metadata_mode = False
    tracker = _TypeTracker()
    rows = 0
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                stripped = line.strip()
                if not stripped:
                    continue
                rows += 1
                try:
                    obj = json.loads(stripped, object_pairs_hook=_unique_keys)
                except json.JSONDecodeError as exc:
                    errors.append(f"Line {number}: invalid JSON - {exc}")
                except _DuplicateKey as exc:
                    errors.append(f"Line {number}: duplicate key {exc.key!r} in one object "
                                  "(JSON readers keep only the last value): remove one")
                except RecursionError:
                    errors.append(f"Line {number}: nested too deeply to read (hundreds of "
                                  "levels of arrays or objects)")
                else:
                    if not isinstance(obj, dict):
                        errors.append(f"Line {number}: invalid JSONL row - top-level value "
                                      "must be an object")
                    elif expected is None:
                        expected = frozenset(obj)
                        errors += check_required_columns(obj)
                        metadata_mode = METADATA_COLUMN in expected
                    elif frozenset(obj) != expected:
                        errors.append(f"Line {number}: top-level fields differ from the first "
                                      f"row ({_field_diff(expected, frozenset(obj))})")
                    if isinstance(obj, dict) and metadata_mode:
                        errors += check_metadata(obj.get(METADATA_COLUMN), f"Line {number}",
                                                 tracker)
                if _capped(errors):
                    return errors
    except UnicodeDecodeError as exc:
        return [*errors, f"File encoding error: {exc}"]
    if rows < MIN_ROW_COUNT:
        errors.append(f"Dataset too small: {rows} rows. A minimum of {MIN_ROW_COUNT} rows is "
                      "required.")
    return errors


def _field_diff(expected: frozenset[str], got: frozenset[str]) -> str:
    details = []
    if missing := sorted(expected - got):
        details.append(f"missing: {', '.join(missing)}")
    if extra := sorted(got - expected):
        details.append(f"extra: {', '.join(extra)}")
    return "; ".join(details)


def validate_csv(path: Path) -> list[str]:
    import csv

    errors: list[str] = []
    rows = 0
    tracker = _TypeTracker()
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return ["File has no header row"]
            errors += check_required_columns(header)
            width = len(header)
            meta_index = header.index(METADATA_COLUMN) if METADATA_COLUMN in header else None
            for number, row in enumerate(reader, 2):
                rows += 1
                if len(row) != width:
                    errors.append(f"Row {number}: expected {width} columns, got {len(row)}")
                    if _capped(errors):
                        return errors
                    continue
                if meta_index is not None:
                    errors += check_metadata(row[meta_index], f"Row {number}", tracker)
                    if _capped(errors):
                        return errors
    except UnicodeDecodeError as exc:
        return [*errors, f"File encoding error: {exc}"]
    except csv.Error as exc:
        return [*errors, f"CSV parse error: {exc}"]
    if rows < MIN_ROW_COUNT:
        errors.append(f"Dataset too small: {rows} rows. A minimum of {MIN_ROW_COUNT} rows is "
                      "required.")
    return errors


def _validate_parquet(path: Path) -> list[str]:  # pragma: no cover - needs pyarrow
    import pyarrow.parquet as pq

    errors: list[str] = []
    try:
        with pq.ParquetFile(path) as pf:
            if len(pf.schema) == 0:
                return ["Parquet file has no columns"]
            if pf.metadata.num_rows == 0:
                return ["Parquet file has no rows"]
            errors += check_required_columns(pf.schema_arrow.names)
            if pf.metadata.num_rows < MIN_ROW_COUNT:
                errors.append(f"Dataset too small: {pf.metadata.num_rows} rows. A minimum of "
                              f"{MIN_ROW_COUNT} rows is required.")
            if METADATA_COLUMN in pf.schema_arrow.names:
                tracker = _TypeTracker()
                index = 0
                for batch in pf.iter_batches(columns=[METADATA_COLUMN]):
                    for value in batch.column(0).to_pylist():
                        index += 1
                        errors += check_metadata(value, f"metadata row {index}", tracker)
                        if _capped(errors):
                            return errors
    except Exception as exc:  # osmosis reports any reader error the same way
        errors.append(f"Invalid parquet file: {exc}")
    return errors
