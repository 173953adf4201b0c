"""Dataset import: check a user's JSONL, CSV or Parquet file against the Osmosis dataset rules.

Two callers share this one file (see ``docs/dataset-import.md``):

* **Jinja filters** for ``copier.yml`` (loaded by ``copier_template_extensions`` and by the
  ``osmosis-workspace`` CLI, which execs this module by path): ``dataset_file_problem``,
  ``infer_dataset_mode``, ``dataset_mode_mismatch``, ``guess_metadata_field``,
  ``metadata_field_missing`` and ``dataset_import_source``. They are pure apart from *reading* the
  file the user named: no writes, no subprocess, no network. Results are cached per
  (resolved path, size, mtime_ns, inode) because Copier renders validators and defaults many
  times per run.
* **The import step**: ``python extensions/datasets.py import SOURCE DEST DISPLAY [quiet]``, run
  by the ``_tasks`` entry of ``copier.yml`` on the first copy only. It streams the file once more,
  re-checking every row, into ``DEST`` (``data/<dataset_name>.jsonl``) through a temporary file
  that is renamed into place only when the whole file passed.

Both read the file as a stream with a bound on the size of one row, so memory stays flat however
large the dataset is, and both stop at the first problem. Standard library only (plus Jinja for
the extension class, and ``pyarrow`` for Parquet when it is installed).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import decimal
import json
import math
import os
import re
import stat
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

try:  # The import step runs without Jinja being needed; the filters always have it.
    from jinja2.ext import Extension
except ImportError:  # pragma: no cover - Copier always installs Jinja
    Extension = object  # type: ignore[assignment,misc]

# ---------------------------------------------------------------------------------------------
# The platform contract (osmosis-ai 0.3.8, platform/constants.py and platform/cli/dataset.py)
# ---------------------------------------------------------------------------------------------

FIELD = "dataset_file"
FORMATS = ("jsonl", "csv", "parquet")
MIN_ROWS = 4
MAX_FILE_BYTES = 5 * 1024**3
METADATA = "metadata"
PROMPT_COLUMN = "user_prompt"
LABEL_COLUMNS = ("ground_truth", "label")  # label is the platform's alias of ground_truth
TEXT_COLUMNS = ("system_prompt", PROMPT_COLUMN, *LABEL_COLUMNS)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Bound on one row (a JSONL line, a CSV record): the memory bound of the whole import. Osmosis'
#: own local eval reader caps a CSV field at the same 16 MiB.
MAX_ROW_BYTES = 16 * 1024 * 1024
#: Distinct metadata key paths tracked for the per-key type rule (nested keys included).
MAX_METADATA_PATHS = 10_000
#: Rows per Parquet batch (the Parquet memory bound, with one row group's column chunks).
PARQUET_BATCH_ROWS = 256

UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 8192

#: Defaults the questionnaire uses when there is no file to guess from.
DEFAULT_FIELDS = {"prompt": "question", "answer": "answer"}
#: Metadata key names, most plausible first, for ``guess_metadata_field``.
FIELD_NAMES = {
    "prompt": ("question", "prompt", "user_prompt", "input", "query", "problem", "instruction",
               "text", "task", "request", "message", "content", "context", "passage", "source"),
    "answer": ("answer", "expected_answer", "expected", "expected_output", "ground_truth",
               "label", "target", "output", "solution", "correct_answer", "final_answer",
               "reference", "gold", "result", "response", "completion", "truth"),
}


class DatasetError(Exception):
    """The first problem found in a dataset file: where (``line 3``, ``row 2``, or "") and what."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem

    def message(self, display: str) -> str:
        """One line naming the question, the file, the place and the problem."""
        place = f"{self.where}: " if self.where else ""
        return f"{FIELD} {display}: {place}{self.problem}"


@dataclass
class Summary:
    """What a valid file holds: enough to wire the questionnaire and to report the import."""

    format: str
    mode: str = "prompt"
    columns: tuple[str, ...] = ()
    rows: int = 0
    #: Top-level metadata keys in first-seen order, with their JSON type (``null`` if only null).
    metadata_keys: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------


def clean_path(value: object) -> str:
    """The answer as a path string: trimmed, one pair of surrounding quotes removed.

    Terminals add quotes when a file is dragged onto them; nobody names a dataset ``'x.csv'``.
    """
    text = str(value).strip() if value is not None else ""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text


def resolve_path(value: object) -> Path:
    """Absolute path of the answer: ``~`` expanded, relative to the current directory.

    Copier keeps the process's working directory at the directory the user ran it from while it
    asks the questions and renders the task commands (it only changes directory around git calls
    and inside tasks), so relative answers mean what the user meant. The CLI passes absolute paths.
    """
    path = Path(clean_path(value)).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    with contextlib.suppress(OSError, RuntimeError):
        return path.resolve()
    return Path(os.path.abspath(path))


def _fmt_bytes(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"  # pragma: no cover


def _open_checked(path: Path, display: str) -> tuple[BinaryIO, str, os.stat_result]:
    """Open the dataset for reading after the file-level checks; return it with its format."""
    raw = clean_path(display)
    try:
        info = path.stat()
    except FileNotFoundError:
        hint = "" if Path(raw).expanduser().is_absolute() else f" (looked for {path})"
        raise DatasetError("", f"file not found{hint}") from None
    except OSError as exc:
        raise DatasetError("", f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatasetError("", "is a directory; give the path of a .jsonl, .csv or .parquet file")
    if not stat.S_ISREG(info.st_mode):
        raise DatasetError("", "is not a regular file")
    ext = path.suffix.lower().lstrip(".")
    given = Path(raw).expanduser()
    if ext not in FORMATS and given.is_symlink():
        raise DatasetError("", f"is a symbolic link to {path}, which is not a dataset file "
                               "(.jsonl, .csv or .parquet); give the path of the dataset itself")
    if ext not in FORMATS:
        hint = (" (a .json file holding an array must be converted to JSONL: one object per line)"
                if ext == "json" else "")
        shown = f"'.{ext}'" if ext else "(no extension)"
        raise DatasetError("", f"unsupported file type {shown}; use .jsonl, .csv or .parquet "
                               f"(Parquet needs pyarrow){hint}")
    if info.st_size == 0:
        raise DatasetError("", "the file is empty (0 bytes)")
    if info.st_size > MAX_FILE_BYTES:
        raise DatasetError("", f"the file is {_fmt_bytes(info.st_size)}; the platform accepts "
                               f"at most {_fmt_bytes(MAX_FILE_BYTES)}")
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DatasetError("", f"cannot be read ({exc.strerror or exc})") from None
    return handle, ext, info


def _sniff(head: bytes, ext: str) -> None:
    """Reject files that are not UTF-8 text at all, with the likely reason."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise DatasetError("", "is UTF-32 text (it starts with a UTF-32 byte-order mark); "
                               "save it as UTF-8")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DatasetError("", "is UTF-16 text (it starts with a UTF-16 byte-order mark); "
                               "save it as UTF-8")
    if head.startswith(b"\x1f\x8b"):
        raise DatasetError("", "is gzip-compressed; decompress it first")
    if head.startswith(b"PK\x03\x04"):
        raise DatasetError("", f"is a ZIP archive (an Excel workbook?), not {ext.upper()} text; "
                               f"export it as CSV or JSONL")
    if head.startswith(b"PAR1"):
        raise DatasetError("", "is a Parquet file; give it the .parquet extension")
    if b"\x00" in head:
        raise DatasetError("", f"is a binary file, not {ext.upper()} text (it contains NUL "
                               f"bytes; UTF-16 text looks like this too: save it as UTF-8)")


# ---------------------------------------------------------------------------------------------
# Reading: physical lines with a size bound, then JSONL, CSV and Parquet rows
# ---------------------------------------------------------------------------------------------


READ_BYTES = 1 << 16


class _Lines:
    """Decoded physical lines of a binary stream, numbered, each record bounded in size.

    Lines end at LF, CRLF or a lone CR (universal newlines, as Python's text mode and so
    `osmosis dataset validate` read them); each keeps its ending for the CSV reader. No more than
    about ``MAX_ROW_BYTES`` of one line is ever buffered. ``record_bytes`` is reset by the caller
    at the start of each row, so a CSV record spanning many lines is bounded as a whole.
    """

    def __init__(self, handle: BinaryIO, summary: Summary) -> None:
        self.handle = handle
        self.summary = summary
        self.lineno = 0
        self.record_bytes = 0
        self._buf = b""
        self._pos = 0  # start of the next line in _buf
        self._scan = 0  # where to resume looking for its end
        self._cr = -1  # the next CR in _buf at or after _scan, or -1 (found once per read)
        self._eof = False

    def __iter__(self) -> _Lines:
        return self

    def _raw(self) -> bytes | None:
        """The next line with its ending, or None at the end of the file."""
        while True:
            buf = self._buf
            lf = buf.find(b"\n", self._scan)
            if self._cr != -1 and self._cr < self._scan:
                self._cr = buf.find(b"\r", self._scan)
            cr = self._cr
            if cr != -1 and (lf == -1 or cr < lf - 1):  # a lone CR ends this line
                end = cr + 1
                if end == len(buf) and not self._eof:
                    lf = -1  # it may be the first half of a CRLF: read on
                else:
                    return self._take(end)
            if lf != -1:
                return self._take(lf + 1)
            pending = len(buf) - self._pos
            if self._eof:
                return self._take(len(buf)) if pending else None
            if pending > MAX_ROW_BYTES:
                raise DatasetError(f"line {self.lineno + 1}", self._too_long())
            # Read at least as much as is pending (linear time for long lines), never much past
            # the limit (bounded memory).
            chunk = self.handle.read(min(max(READ_BYTES, pending), MAX_ROW_BYTES + 2 - pending))
            self._eof = not chunk
            self._scan = max(len(buf) - 1 - self._pos, 0)
            self._buf = buf[self._pos:] + chunk
            self._pos = 0
            self._cr = self._buf.find(b"\r", self._scan)

    def _take(self, end: int) -> bytes:
        line = self._buf[self._pos:end]
        self._pos = self._scan = end
        if end > 4 * READ_BYTES:  # after a long line, free the buffer instead of keeping a copy
            self._buf = self._buf[end:]
            self._pos = self._scan = 0
            # A CR before ``end`` is used up; shifting it would turn it into -1 ("none left")
            # and hide a CR further on, so look again (only after long lines: cheap).
            self._cr = self._cr - end if self._cr >= end else self._buf.find(b"\r")
        return line

    def _too_long(self) -> str:
        unit = "line" if self.summary.format == "jsonl" else "row"
        return f"the {unit} is longer than {MAX_ROW_BYTES // 2**20} MiB, the most one row may " \
               f"hold here"

    def __next__(self) -> str:
        raw = self._raw()
        if raw is None:
            raise StopIteration
        self.lineno += 1
        self.record_bytes += len(raw)
        if self.record_bytes > MAX_ROW_BYTES + 2:
            raise DatasetError(f"line {self.lineno}", self._too_long())
        if self.lineno == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM):]
            self.summary.note("removed the UTF-8 byte-order mark")
        if b"\x00" in raw:
            raise DatasetError(f"line {self.lineno}", "contains a NUL byte (binary data); the "
                               "file must be UTF-8 text")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetError(
                f"line {self.lineno}",
                f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the "
                f"line); save the file as UTF-8") from None
        if text.endswith("\r\n"):
            self.summary.note("converted CRLF line endings to LF")
        elif text.endswith("\r"):
            self.summary.note("converted CR line endings to LF")
        return text


def _reject_nan(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members, refusing a key given twice (JSON parsers keep only the last one,
    silently, so a row would lose data)."""
    row: dict[str, Any] = {}
    for key, value in pairs:
        if key in row:
            raise ValueError(f"duplicate key {key!r} in one object")
        row[key] = value
    return row


def _json_loads(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_nan, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ValueError("nested too deeply to read (hundreds of levels)") from None


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"  # JSON has one number type; the platform promotes int + float to double
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _jsonl_rows(handle: BinaryIO, summary: Summary) -> Iterator[tuple[str, dict[str, Any]]]:
    lines = _Lines(handle, summary)
    for text in lines:
        lines.record_bytes = 0
        where = f"line {lines.lineno}"
        if text.isspace():
            continue  # blank lines are skipped, as `osmosis dataset validate` does
        if text.startswith("\ufeff"):
            raise DatasetError(where, "starts with a byte-order mark (U+FEFF); only the very start "
                                      "of the file may have one (were two files joined?)")
        try:
            obj = _json_loads(text)  # the line ending is JSON whitespace
        except ValueError as exc:
            raise DatasetError(where, f"not valid JSON ({_json_problem(exc)})") from None
        if not isinstance(obj, dict):
            raise DatasetError(where, f"is a JSON {_json_type(obj)}, not an object; each line "
                                      f"must be one JSON object")
        yield where, obj


def _csv_rows(handle: BinaryIO, summary: Summary, checker: _Checker
              ) -> Iterator[tuple[str, dict[str, Any]]]:
    lines = _Lines(handle, summary)
    reader = csv.reader(lines)
    header: list[str] | None = None
    row_no = 0
    crlf_values = False
    while True:
        lines.record_bytes = 0
        start = lines.lineno + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            where = f"row {row_no + 1}" + (f" (line {start})" if start != row_no + 1 else "")
            raise DatasetError(where, f"not valid CSV ({exc})") from None
        row_no += 1
        where = f"row {row_no}" + (f" (line {start})" if start != row_no else "")
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line
        if header is None:
            header = _csv_header(record, where)
            checker.columns(where, header)
            continue
        if len(record) != len(header):
            hint = (" (a value containing a comma must be in double quotes)"
                    if len(record) > len(header) else "")
            raise DatasetError(where, f"has {len(record)} values but the header has "
                                      f"{len(header)} columns{hint}")
        if any("\r" in value for value in record):  # Excel's multi-line cells
            record = [value.replace("\r\n", "\n").replace("\r", "\n") for value in record]
            crlf_values = True
        yield where, dict(zip(header, record, strict=True))
    if header is None:
        raise DatasetError("", "has no header row and no rows")
    if crlf_values:
        summary.note("converted CRLF and CR line breaks inside CSV values to LF")


def _csv_header(record: list[str], where: str) -> list[str]:
    seen: set[str] = set()
    for index, name in enumerate(record, 1):
        if not name.strip():
            raise DatasetError(where, f"header column {index} has no name")
        if name in seen:
            raise DatasetError(where, f"the header names column {name!r} twice")
        seen.add(name)
    if len(record) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs")):
            if sep in record[0]:
                raise DatasetError(where, f"the header is one column {record[0]!r}: the file "
                                          f"seems to separate values with {label}; Osmosis "
                                          f"reads comma-separated values")
    return record


def _parquet_rows(path: Path, checker: _Checker) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DatasetError("", "reading Parquet needs the pyarrow package, which is not "
                               "installed next to Copier; install it there (for example "
                               "`uv tool install copier --with copier-template-extensions "
                               "--with pyarrow`) or convert the file to JSONL or CSV") from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DatasetError("", f"not a valid Parquet file ({exc})") from None
    with contextlib.closing(parquet):
        schema = parquet.schema_arrow
        if METADATA in schema.names:
            kind = schema.field(METADATA).type
            if not (pa.types.is_struct(kind) or pa.types.is_string(kind)
                    or pa.types.is_large_string(kind)):
                raise DatasetError("", f"the metadata column has type {kind}; it must be a "
                                       f"struct or JSON text")
        checker.columns("", list(schema.names))
        row_no = 0
        try:
            for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                for raw in batch.to_pylist():
                    row_no += 1
                    where = f"row {row_no}"
                    yield where, {key: _plain(value, where, key) for key, value in raw.items()}
        except DatasetError:
            raise
        except Exception as exc:  # any pyarrow failure is a reading problem
            raise DatasetError(f"row {row_no + 1}", f"cannot be read ({exc})") from None


def _plain(value: Any, where: str, column: str) -> Any:
    """A Parquet value as JSON data (dates become ISO text)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DatasetError(where, f"column {column!r} holds {value}, which JSON cannot hold")
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v, where, column) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, where, column) for v in value]
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    raise DatasetError(where, f"column {column!r} holds a {type(value).__name__} value, which "
                              f"JSON cannot hold")


# ---------------------------------------------------------------------------------------------
# Checking rows
# ---------------------------------------------------------------------------------------------


def _key_path(parent: str, key: str) -> str:
    return f"{parent}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else \
        f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


class _Checker:
    """The platform rules, row by row, keeping only small cross-row state."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.first_where = ""
        self.keys: frozenset[str] | None = None
        self.order: tuple[str, ...] = ()
        #: metadata key path -> (JSON type, where first seen) for the per-key type rule
        self.types: dict[str, tuple[str, str]] = {}

    def row(self, where: str, row: dict[str, Any]) -> dict[str, Any]:
        """Check one row; return it normalised (columns in first-row order, metadata parsed)."""
        if self.keys is None:
            self.columns(where, list(row))
        elif frozenset(row) != self.keys:
            self._keys_differ(where, row)
        if self.summary.mode == METADATA:
            meta = self._metadata(where, row.get(METADATA))
            row = {**row, METADATA: meta}
        else:
            self._prompt(where, row)
        self.summary.rows += 1
        return {key: row[key] for key in self.order}

    def columns(self, where: str, names: list[str]) -> None:
        """The columns (CSV header, Parquet schema, first JSONL row): they set the mode."""
        self.first_where = where
        self.keys = frozenset(names)
        self.order = tuple(names)
        self.summary.columns = self.order
        if METADATA in self.keys:
            self.summary.mode = METADATA
            return
        self.summary.mode = "prompt"
        missing = []
        if PROMPT_COLUMN not in self.keys:
            missing.append(PROMPT_COLUMN)
        if not any(name in self.keys for name in LABEL_COLUMNS):
            missing.append("ground_truth (or its alias label)")
        if missing:
            found = ", ".join(self.order) or "none"
            raise DatasetError(
                where,
                f"no {' and no '.join(missing)} column; a prompt-mode dataset needs user_prompt "
                f"and ground_truth, a metadata-mode dataset needs a metadata column "
                f"(columns found: {found})")

    def _keys_differ(self, where: str, row: dict[str, Any]) -> None:
        assert self.keys is not None
        has_meta = METADATA in row
        if has_meta != (METADATA in self.keys):
            this, first = ("metadata", "prompt") if has_meta else ("prompt", "metadata")
            raise DatasetError(where, f"this row is in {this} mode but {self.first_where} is in "
                                      f"{first} mode; use one mode per file")
        missing = sorted(self.keys - frozenset(row))
        extra = sorted(frozenset(row) - self.keys)
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
                ([f"extra {', '.join(extra)}"] if extra else [])
        raise DatasetError(where, f"keys differ from {self.first_where} ({'; '.join(parts)}); "
                                  f"every row must have the same keys")

    def _prompt(self, where: str, row: dict[str, Any]) -> None:
        for name in TEXT_COLUMNS:
            value = row.get(name)
            if isinstance(value, dict | list):
                raise DatasetError(where, f"{name} is a JSON {_json_type(value)}; it must be text")
        if _blank(row.get(PROMPT_COLUMN)):
            raise DatasetError(where, "user_prompt is empty; every prompt-mode row needs one")
        if all(_blank(row.get(name)) for name in LABEL_COLUMNS):
            column = next(name for name in LABEL_COLUMNS if name in row)
            raise DatasetError(where, f"{column} is empty; every prompt-mode row needs the "
                                      f"expected answer")

    def _metadata(self, where: str, value: Any) -> dict[str, Any]:
        hint = ("metadata mode needs a non-empty JSON object in every row"
                if self.summary.format == "jsonl" else
                "a file with a metadata column is in metadata mode: every row needs a non-empty "
                "JSON object there")
        if value is None or (isinstance(value, str) and not value.strip()):
            raise DatasetError(where, f"metadata is empty; {hint}")
        if isinstance(value, str):
            try:
                value = _json_loads(value)
            except ValueError as exc:
                raise DatasetError(where, f"metadata is not valid JSON ({_json_problem(exc)})"
                                   ) from None
            self.summary.note("parsed metadata JSON text into objects")
        if not isinstance(value, dict):
            raise DatasetError(where, f"metadata is a JSON {_json_type(value)}, not an object")
        if not value:
            raise DatasetError(where, f"metadata is an empty object {{}}; {hint}")
        for key, child in value.items():
            if key not in self.summary.metadata_keys or (
                    self.summary.metadata_keys[key] == "null" and child is not None):
                self.summary.metadata_keys[key] = _json_type(child)
            self._walk(where, _key_path(METADATA, key), child)
        return value

    def _walk(self, where: str, path: str, value: Any) -> None:
        if value is None:
            return
        kind = _json_type(value)
        seen = self.types.get(path)
        if seen is None:
            if len(self.types) >= MAX_METADATA_PATHS:
                raise DatasetError(where, f"metadata has more than {MAX_METADATA_PATHS} "
                                          f"distinct keys (nested keys included)")
            self.types[path] = (kind, where)
        elif seen[0] != kind:
            before = "earlier in this row" if seen[1] == where else f"in {seen[1]}"
            raise DatasetError(where, f"{path} is {_article(kind)} here but {_article(seen[0])} "
                                      f"{before}; each metadata key needs one JSON type in every "
                                      f"row")
        if isinstance(value, dict):
            if not value:
                raise DatasetError(where, f"{path} is an empty object {{}}, which the platform "
                                          f"cannot store; remove it or give it a key")
            for key, child in value.items():
                self._walk(where, _key_path(path, key), child)
        elif isinstance(value, list):
            for child in value:
                self._walk(where, f"{path}[]", child)
        elif kind == "number" and isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise DatasetError(where, f"{path} is an integer too large to store (it must fit in "
                                      f"64 bits)")


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def iter_dataset(path: Path, display: str, summary_out: list[Summary] | None = None
                 ) -> Iterator[dict[str, Any]]:
    """Every row of the file, checked and normalised, in order; raises :class:`DatasetError`.

    The summary (mode, columns, metadata keys, notes) is appended to ``summary_out`` at once and
    complete when the iterator is exhausted (the minimum row count is checked last).
    """
    handle, ext, _info = _open_checked(path, display)
    summary = Summary(format=ext)
    if summary_out is not None:
        summary_out.append(summary)
    checker = _Checker(summary)
    with handle:
        if ext == "parquet":
            rows = _parquet_rows(path, checker)
        else:
            _sniff(handle.read(SNIFF_BYTES), ext)
            handle.seek(0)
            rows = (_jsonl_rows(handle, summary) if ext == "jsonl"
                    else _csv_rows(handle, summary, checker))
        with _csv_field_limit() if ext == "csv" else contextlib.nullcontext():
            for where, row in rows:
                yield checker.row(where, row)
    if summary.rows < MIN_ROWS:
        blank = " (only blank lines)" if summary.rows == 0 and ext == "jsonl" else ""
        raise DatasetError("", f"has {summary.rows} rows{blank}; the platform needs at least "
                               f"{MIN_ROWS}")


@contextlib.contextmanager
def _csv_field_limit() -> Iterator[None]:
    previous = csv.field_size_limit(MAX_ROW_BYTES)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


# ---------------------------------------------------------------------------------------------
# Scanning with a cache (the filters) and converting (the import step)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    summary: Summary | None
    error: DatasetError | None


_CACHE: OrderedDict[tuple[Any, ...], Scan] = OrderedDict()
_CACHE_SIZE = 16
_CACHE_LOCK = threading.Lock()


def scan(value: object) -> Scan:
    """Check the whole file once per (path, size, mtime_ns, inode); cached."""
    path = resolve_path(value)
    try:
        info = path.stat()
        key: tuple[Any, ...] | None = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
    except OSError:
        key = None  # missing or unreadable: cheap to re-check, and must not be cached
    if key is not None:
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
    summaries: list[Summary] = []
    try:
        for _row in iter_dataset(path, str(value), summaries):
            pass
        result = Scan(summaries[0], None)
    except DatasetError as exc:
        result = Scan(summaries[0] if summaries else None, exc)
    except OSError as exc:
        result = Scan(None, DatasetError("", f"cannot be read ({exc.strerror or exc})"))
    if key is not None:
        with _CACHE_LOCK:
            _CACHE[key] = result
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return result


def _dumps(row: dict[str, Any]) -> bytes:
    text = json.dumps(row, ensure_ascii=False)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape: keep it escaped
        return json.dumps(row).encode("ascii") + b"\n"


def import_dataset(source: Path | str, dest: Path | str, display: str | None = None) -> Summary:
    """Stream ``source`` into ``dest`` as JSONL (UTF-8, no BOM, LF), checking every row.

    Writes ``dest`` through a temporary file in the same directory and renames it into place only
    when the whole file passed: on any problem :class:`DatasetError` (or ``OSError``) is raised
    and nothing is left behind.
    """
    source, dest = Path(source), Path(dest)
    display = display if display is not None else str(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.importing")
    summaries: list[Summary] = []
    try:
        with tmp.open("wb") as out:
            for row in iter_dataset(source, display, summaries):
                out.write(_dumps(row))
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return summaries[0]


# ---------------------------------------------------------------------------------------------
# Jinja filters
# ---------------------------------------------------------------------------------------------


def _copier_operation() -> str | None:
    """Copier's current operation ("copy" or "update"), or None outside Copier.

    ``_copier_operation`` is not in the context Copier renders questions with, so read the
    context variable Copier 9.19 sets around ``run_copy``/``run_update`` (an update renders its
    old and new copies with "update" too).
    """
    module = sys.modules.get("copier._main")
    var = getattr(module, "_operation", None)
    try:
        return var.get(None) if var is not None else None
    except Exception:  # a Copier without that variable: behave as outside Copier
        return None


def _inert() -> bool:
    """On update the stored path may be gone and the data is the user's: never read it then."""
    return _copier_operation() == "update"


def _valid(value: object) -> Summary | None:
    if _inert() or not clean_path(value):
        return None
    result = scan(value)
    return result.summary if result.error is None else None


def dataset_file_problem(value: object) -> str:
    """Why ``value`` cannot be imported (one line), or "" when it can (or on update)."""
    if _inert():
        return ""
    if not clean_path(value):
        return (f"{FIELD} is blank: give the path of a .jsonl, .csv or .parquet file, or leave "
                f"it empty to start with sample rows") if str(value or "") else ""
    result = scan(value)
    return result.error.message(clean_path(value)) if result.error else ""


def infer_dataset_mode(value: object) -> str:
    """'metadata' when the file has a metadata column, else 'prompt' (also when unreadable)."""
    summary = _valid(value)
    return summary.mode if summary else "prompt"


def dataset_mode_mismatch(value: object, mode: object) -> str:
    """Why ``mode`` does not fit the file, or "" (also when the file itself has a problem)."""
    summary = _valid(value)
    if summary is None or mode == summary.mode:
        return ""
    why = ("it has a metadata column" if summary.mode == METADATA
           else "it has no metadata column")
    return (f"dataset_mode {mode!r} does not match {FIELD} {clean_path(value)}, which is in "
            f"{summary.mode} mode ({why}); choose {summary.mode}")


def guess_metadata_field(value: object, role: object = "prompt") -> str:
    """The metadata key most likely to hold the prompt (role 'prompt') or the answer ('answer')."""
    role = "answer" if role == "answer" else "prompt"
    summary = _valid(value)
    if summary is None or summary.mode != METADATA or not summary.metadata_keys:
        return DEFAULT_FIELDS[role]
    keys = summary.metadata_keys
    prompt = _best_key(keys, "prompt", exclude=None)
    return prompt if role == "prompt" else _best_key(keys, "answer", exclude=prompt)


def _tokens(key: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def _name_score(key: str, names: tuple[str, ...]) -> int | None:
    """Rank of ``key`` among ``names``: exact names first, then keys containing one as a word."""
    tokens = _tokens(key)
    joined = "_".join(tokens)
    if joined in names:
        return names.index(joined)
    ranks = [names.index(token) for token in tokens if token in names]
    return 100 + min(ranks) if ranks else None


def _best_key(keys: dict[str, str], role: str, exclude: str | None) -> str:
    names = FIELD_NAMES[role]
    candidates = [k for k in keys if k != exclude] or list(keys)
    scalar = [k for k in candidates if keys[k] in ("string", "number")] or candidates
    best: tuple[int, int, str] | None = None
    for position, key in enumerate(candidates):
        score = _name_score(key, names)
        if score is None:
            continue
        if key not in scalar:
            score += 1000  # an object or an array makes a poor prompt or answer
        if best is None or (score, position) < best[:2]:
            best = (score, position, key)
    if best is not None:
        return best[2]
    if role == "prompt":
        return scalar[0]
    rest = [k for k in scalar if k != exclude]
    return rest[0] if rest else candidates[0]


def metadata_field_missing(value: object, name: object) -> str:
    """Why no row's metadata has key ``name``, or "" (also outside metadata mode)."""
    summary = _valid(value)
    if summary is None or summary.mode != METADATA or name in summary.metadata_keys:
        return ""
    keys = list(summary.metadata_keys)
    shown = ", ".join(keys[:20]) + (f", ... ({len(keys)} keys)" if len(keys) > 20 else "")
    return (f"no row of {FIELD} {clean_path(value)} has the metadata key {name!r} "
            f"(its metadata keys: {shown})")


def dataset_import_source(value: object) -> str:
    """The absolute path the import step reads (relative answers: to the user's directory)."""
    return str(resolve_path(value)) if clean_path(value) else ""


FILTERS = {
    "dataset_file_problem": dataset_file_problem,
    "infer_dataset_mode": infer_dataset_mode,
    "dataset_mode_mismatch": dataset_mode_mismatch,
    "guess_metadata_field": guess_metadata_field,
    "metadata_field_missing": metadata_field_missing,
    "dataset_import_source": dataset_import_source,
}


class DatasetExtension(Extension):
    """Registers the dataset-import filters the questionnaire and the import task use."""

    def __init__(self, environment):  # type: ignore[no-untyped-def]
        super().__init__(environment)
        environment.filters.update(FILTERS)


# ---------------------------------------------------------------------------------------------
# The import step (run by copier.yml's _tasks on the first copy, in the new workspace)
# ---------------------------------------------------------------------------------------------

USAGE = "usage: datasets.py import SOURCE DEST [DISPLAY] [quiet]"


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "import":
        print(USAGE, file=sys.stderr)
        return 2
    source, dest = Path(argv[1]), Path(argv[2])
    display = argv[3] if len(argv) > 3 and argv[3] else str(source)
    quiet = len(argv) > 4 and argv[4] == "quiet"
    if dest.exists():
        # Data belongs to the user (copier.yml `_skip_if_exists`): a re-copy into an existing
        # workspace keeps it.
        print(f"{dest.as_posix()} already exists: kept it, {display} was not imported",
              file=sys.stderr)
        return 0
    try:
        summary = import_dataset(source, dest, display)
    except DatasetError as exc:
        print(exc.message(display), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{FIELD} {display}: import into {dest.as_posix()} failed ({exc})", file=sys.stderr)
        return 1
    if not quiet:
        notes = "".join(f"; {note}" for note in summary.notes)
        print(f"Imported {display} into {dest.as_posix()}: {summary.rows} rows, {summary.mode} "
              f"mode{notes}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
