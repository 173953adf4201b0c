"""The Osmosis dataset contract: one set of rules and one wording for every caller.

What a dataset file must be for the platform to take it (osmosis-ai 0.3.8):

* a ``.jsonl``, ``.csv`` or ``.parquet`` file, not empty, at most 5 GiB, with at least 4 rows;
* prompt mode (no ``metadata`` column): ``user_prompt`` and ``ground_truth`` columns, where
  ``label`` stands in for ``ground_truth``; ``system_prompt`` and other columns are optional;
* metadata mode (a ``metadata`` column): a non-empty JSON object in every row, no empty nested
  object, every integer within the signed 64-bit range (the platform stores metadata in a
  columnar format that cannot hold more), and one JSON type per key path across all rows (null
  is ignored; integers and floats are one number type);
* one mode per file, and in JSONL the same top-level keys on every row.

This module adds the rules that stop what the platform's own validator lets through but a run
then breaks on (an empty prompt or answer, NaN, a 100 MB line, ...); ``docs/dataset-import.md``
lists them and ``docs/decisions/0008-one-dataset-contract.md`` says why there is one copy.

Three callers execute this file by path, so it imports only the standard library (``pyarrow``
for Parquet when it is installed): the template's Jinja filters and import task
(``extensions/datasets.py``), and ``osmosis-workspace check`` (through
``osmosis_workspace.engine.shared_rules``). The entry point is :func:`problems`; the import
streams the checked rows with :func:`iter_dataset`. Both read the file as a stream with a bound
on one row, so memory stays flat however large the file, and both stop at the first problem.
A message never shows a credential: every problem passes through the redaction of
``extensions/secrets.py``.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import decimal
import json
import math
import re
import stat
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

# ---------------------------------------------------------------------------------------------
# The platform's numbers and names
# ---------------------------------------------------------------------------------------------

#: The question that names a dataset file; messages for the template start with it.
FIELD = "dataset_file"
FORMATS = ("jsonl", "csv", "parquet")
MIN_ROWS = 4
MAX_FILE_BYTES = 5 * 1024**3
METADATA = "metadata"
PROMPT_COLUMN = "user_prompt"
LABEL_COLUMNS = ("ground_truth", "label")  # label is the platform's alias of ground_truth
TEXT_COLUMNS = ("system_prompt", PROMPT_COLUMN, *LABEL_COLUMNS)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Bound on one row (a JSONL line, a CSV record): the memory bound of the whole read. Osmosis'
#: own local eval reader caps a CSV field at the same 16 MiB.
MAX_ROW_BYTES = 16 * 1024 * 1024
#: Distinct metadata key paths tracked for the per-key type rule (nested keys included).
MAX_METADATA_PATHS = 10_000
#: Rows per Parquet batch (the Parquet memory bound, with one row group's column chunks).
PARQUET_BATCH_ROWS = 256
#: Bytes per read of a text file.
READ_BYTES = 1 << 16

UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 8192
PYARROW_MISSING = (
    "reading Parquet needs the pyarrow package, which is not installed next to Copier; install "
    "it there (for example `uv tool install copier --with copier-template-extensions --with "
    "pyarrow`) or convert the file to JSONL or CSV"
)


def _load_sibling(name: str) -> types.ModuleType:
    """Execute ``extensions/<name>`` from the same template version as this file.

    A caller that executes this file from elsewhere (a git object, a wheel) provides
    ``__template_reader__`` to read the sibling, or ``__template_sibling__`` to hand over the
    module it already loaded; otherwise the sibling sits beside this file.
    """
    sibling = globals().get("__template_sibling__")
    if sibling is not None:
        return sibling(name)  # type: ignore[no-any-return]
    reader = globals().get("__template_reader__")
    source = reader(f"extensions/{name}") if reader else None
    if source is None:
        source = (Path(__file__).resolve().parent / name).read_text(encoding="utf-8")
    module = types.ModuleType(f"osmosis_template_{Path(name).stem}")
    exec(compile(source, f"extensions/{name}", "exec"), module.__dict__)
    return module


#: The credential table (``secrets.py``): what a message may not echo.
redact = _load_sibling("secrets.py").redact


# ---------------------------------------------------------------------------------------------
# Problems and summaries
# ---------------------------------------------------------------------------------------------


class DatasetError(Exception):
    """The first problem found in a dataset: where (``line 3``, ``row 2``, or "") and what.

    ``field`` names the column or metadata key path when the problem belongs to one.
    """

    def __init__(self, where: str, problem: str, field: str = "") -> None:
        self.where = where
        self.problem = redact(problem)
        self.field = field
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """The place and the problem, as every caller shows it after the file's name."""
        return f"{self.where}: {self.problem}" if self.where else self.problem

    def message(self, display: str) -> str:
        """One line naming the question, the file, the place and the problem."""
        return redact(f"{FIELD} {display}: {self.text}")


def read_error(exc: OSError) -> DatasetError:
    """The problem an operating-system error while reading is."""
    return DatasetError("", f"cannot be read ({exc.strerror or exc})")


@dataclass(frozen=True)
class Problem:
    """One problem with a dataset: the file as its caller named it, the place, the column or key
    path (or ""), and the text (place and problem) shown after the file's name."""

    file: str
    where: str
    field: str
    text: str


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
    #: Read the file as it will be uploaded: what the import would normalise is a problem.
    in_place: bool = False

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


# ---------------------------------------------------------------------------------------------
# The file as a whole
# ---------------------------------------------------------------------------------------------


def fmt_bytes(size: float) -> str:
    """``size`` in bytes, KiB, MiB or GiB."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} bytes"  # pragma: no cover


def format_problem(path: Path, size: int, given_is_link: bool = False) -> str:
    """Why a file of this name and size is not a dataset at all, or ""."""
    ext = path.suffix.lower().lstrip(".")
    if ext not in FORMATS and given_is_link:
        return (
            f"is a symbolic link to {path}, which is not a dataset file (.jsonl, .csv or "
            ".parquet); give the path of the dataset itself"
        )
    if ext not in FORMATS:
        hint = (
            " (a .json file holding an array must be converted to JSONL: one object per line)"
            if ext == "json"
            else ""
        )
        shown = f"'.{ext}'" if ext else "(no extension)"
        return (
            f"unsupported file type {shown}; use .jsonl, .csv or .parquet (Parquet needs "
            f"pyarrow){hint}"
        )
    if size == 0:
        return "the file is empty (0 bytes)"
    if size > MAX_FILE_BYTES:
        return (
            f"the file is {fmt_bytes(size)} ({size} bytes); the platform accepts at most "
            f"{fmt_bytes(MAX_FILE_BYTES)} ({MAX_FILE_BYTES} bytes)"
        )
    return ""


def _open_checked(path: Path, given: Path) -> BinaryIO:
    """Open the dataset for reading after the file-level checks (``given``: as typed)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        hint = "" if given.expanduser().is_absolute() else f" (looked for {path})"
        raise DatasetError("", f"file not found{hint}") from None
    except OSError as exc:
        raise read_error(exc) from None
    if stat.S_ISDIR(info.st_mode):
        raise DatasetError("", "is a directory; give the path of a .jsonl, .csv or .parquet file")
    if not stat.S_ISREG(info.st_mode):
        raise DatasetError("", "is not a regular file")
    problem = format_problem(path, info.st_size, given.expanduser().is_symlink())
    if problem:
        raise DatasetError("", problem)
    try:
        return path.open("rb")
    except OSError as exc:
        raise read_error(exc) from None


_SIGNATURES = (
    ((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"), "is UTF-32 text (it starts with a UTF-32 "
     "byte-order mark); save it as UTF-8"),
    ((b"\xff\xfe", b"\xfe\xff"), "is UTF-16 text (it starts with a UTF-16 byte-order mark); "
     "save it as UTF-8"),
    ((b"\x1f\x8b",), "is gzip-compressed; decompress it first"),
    ((b"PK\x03\x04",), "is a ZIP archive (an Excel workbook?), not {EXT} text; export it as CSV "
     "or JSONL"),
    ((b"PAR1",), "is a Parquet file; give it the .parquet extension"),
)  # fmt: skip


def _sniff(head: bytes, ext: str, in_place: bool) -> None:
    """Reject files that are not UTF-8 text at all, with the likely reason."""
    for prefixes, problem in _SIGNATURES:
        if head.startswith(prefixes):
            raise DatasetError("", problem.replace("{EXT}", ext.upper()))
    if b"\x00" in head:
        raise DatasetError(
            "",
            f"is a binary file, not {ext.upper()} text (it contains NUL bytes; UTF-16 text "
            "looks like this too: save it as UTF-8)",
        )
    if in_place and head.startswith(UTF8_BOM):
        raise DatasetError(
            "",
            "starts with a UTF-8 byte-order mark, which the platform's validator refuses; save "
            "it as UTF-8 without one (a workspace import removes it for you)",
        )


# ---------------------------------------------------------------------------------------------
# Reading: physical lines with a size bound, then JSONL, CSV and Parquet rows
# ---------------------------------------------------------------------------------------------


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

    def _line_end(self) -> int:
        """End of the next line in ``_buf`` (with its ending), or -1 when more must be read."""
        buf = self._buf
        lf = buf.find(b"\n", self._scan)
        if self._cr != -1 and self._cr < self._scan:
            self._cr = buf.find(b"\r", self._scan)
        cr = self._cr
        if cr != -1 and (lf == -1 or cr < lf - 1):  # a lone CR ends this line
            if cr + 1 < len(buf) or self._eof:
                return cr + 1
            return -1  # it may be the first half of a CRLF: read on
        return lf + 1 if lf != -1 else -1

    def _raw(self) -> bytes | None:
        """The next line with its ending, or None at the end of the file."""
        while True:
            end = self._line_end()
            if end != -1:
                return self._take(end)
            pending = len(self._buf) - self._pos
            if self._eof:
                return self._take(len(self._buf)) if pending else None
            if pending > MAX_ROW_BYTES:
                raise DatasetError(f"line {self.lineno + 1}", self._too_long())
            # Read at least as much as is pending (linear time for long lines), never much past
            # the limit (bounded memory).
            chunk = self.handle.read(min(max(READ_BYTES, pending), MAX_ROW_BYTES + 2 - pending))
            self._eof = not chunk
            self._scan = max(len(self._buf) - 1 - self._pos, 0)
            self._buf = self._buf[self._pos :] + chunk
            self._pos = 0
            self._cr = self._buf.find(b"\r", self._scan)

    def _take(self, end: int) -> bytes:
        line = self._buf[self._pos : end]
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
        limit = MAX_ROW_BYTES // 2**20
        return f"the {unit} is longer than {limit} MiB, the most one row may hold here"

    def __next__(self) -> str:
        raw = self._raw()
        if raw is None:
            raise StopIteration
        self.lineno += 1
        self.record_bytes += len(raw)
        if self.record_bytes > MAX_ROW_BYTES + 2:
            raise DatasetError(f"line {self.lineno}", self._too_long())
        if self.lineno == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
            self.summary.note("removed the UTF-8 byte-order mark")
        return self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        where = f"line {self.lineno}"
        if b"\x00" in raw:
            raise DatasetError(
                where, "contains a NUL byte (binary data); the file must be UTF-8 text"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DatasetError(
                where,
                f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the "
                "line); save the file as UTF-8",
            ) from None
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


def json_loads(text: str) -> Any:
    """Parse JSON the strict way: no NaN, no key twice, a bound on nesting."""
    try:
        return json.loads(text, parse_constant=_reject_nan, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ValueError("nested too deeply to read (hundreds of levels)") from None


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return str(exc)


def json_type(value: Any) -> str:
    """The JSON type of ``value``; int and float are one "number" (the platform promotes
    int + float to double)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    kinds = ((int | float, "number"), (str, "string"), (dict, "object"), (list | tuple, "array"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def _jsonl_rows(handle: BinaryIO, summary: Summary) -> Iterator[tuple[str, dict[str, Any]]]:
    lines = _Lines(handle, summary)
    for text in lines:
        lines.record_bytes = 0
        where = f"line {lines.lineno}"
        if text.isspace():
            continue  # blank lines are skipped, as `osmosis dataset validate` does
        if text.startswith("\ufeff"):
            raise DatasetError(
                where,
                "starts with a byte-order mark (U+FEFF); only the very start of the file may "
                "have one (were two files joined?)",
            )
        try:
            obj = json_loads(text)  # the line ending is JSON whitespace
        except ValueError as exc:
            raise DatasetError(where, f"not valid JSON ({_json_problem(exc)})") from None
        if not isinstance(obj, dict):
            raise DatasetError(
                where,
                f"is a JSON {json_type(obj)}, not an object; each line must be one JSON object",
            )
        yield where, obj


def _csv_place(row_no: int, start: int) -> str:
    return f"row {row_no}" + (f" (line {start})" if start != row_no else "")


def _csv_records(lines: _Lines) -> Iterator[tuple[str, list[str]]]:
    """Each CSV record with its place; blank lines skipped (refused when read in place)."""
    reader = csv.reader(lines)
    row_no = 0
    while True:
        lines.record_bytes = 0
        start = lines.lineno + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DatasetError(_csv_place(row_no + 1, start), f"not valid CSV ({exc})") from None
        row_no += 1
        where = _csv_place(row_no, start)
        if not record or (len(record) == 1 and not record[0].strip()):
            if lines.summary.in_place:
                raise DatasetError(
                    where,
                    "is a blank line, which the platform's validator counts as a row without "
                    "values; delete it",
                )
            continue
        yield where, record


def _csv_rows(
    handle: BinaryIO, summary: Summary, checker: _Checker
) -> Iterator[tuple[str, dict[str, Any]]]:
    header: list[str] | None = None
    crlf_values = False
    for where, record in _csv_records(_Lines(handle, summary)):
        if header is None:
            header = _csv_header(record, where)
            checker.columns(where, header)
            continue
        if len(record) != len(header):
            hint = (
                " (a value containing a comma must be in double quotes)"
                if len(record) > len(header)
                else ""
            )
            raise DatasetError(
                where, f"has {len(record)} values but the header has {len(header)} columns{hint}"
            )
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
            raise DatasetError(where, f"the header names column {name!r} twice", name)
        seen.add(name)
    if len(record) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs")):
            if sep in record[0]:
                raise DatasetError(
                    where,
                    f"the header is one column {record[0]!r}: the file seems to separate values "
                    f"with {label}; Osmosis reads comma-separated values",
                )
    return record


def parquet_readable() -> bool:
    """Whether Parquet content can be read here (pyarrow is importable)."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def _parquet_file(path: Path) -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DatasetError("", PYARROW_MISSING) from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise DatasetError("", f"not a valid Parquet file ({exc})") from None
    schema = parquet.schema_arrow
    if METADATA in schema.names:
        kind = schema.field(METADATA).type
        if not (
            pa.types.is_struct(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind)
        ):
            parquet.close()
            raise DatasetError(
                "",
                f"the metadata column has type {kind}; it must be a struct or JSON text",
                METADATA,
            )
    return parquet


def _parquet_rows(path: Path, checker: _Checker) -> Iterator[tuple[str, dict[str, Any]]]:
    parquet = _parquet_file(path)
    with contextlib.closing(parquet):
        checker.columns("", list(parquet.schema_arrow.names))
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
            raise DatasetError(
                where, f"column {column!r} holds {value}, which JSON cannot hold", column
            )
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v, where, column) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, where, column) for v in value]
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    raise DatasetError(
        where,
        f"column {column!r} holds a {type(value).__name__} value, which JSON cannot hold",
        column,
    )


# ---------------------------------------------------------------------------------------------
# The rules, row by row
# ---------------------------------------------------------------------------------------------


def _key_path(parent: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def missing_columns(names: Iterable[str]) -> list[str]:
    """The prompt-mode columns a file without a metadata column lacks (the alias counted)."""
    keys = set(names)
    missing = [] if PROMPT_COLUMN in keys else [PROMPT_COLUMN]
    if not keys & set(LABEL_COLUMNS):
        missing.append("ground_truth (or its alias label)")
    return missing


class _Checker:
    """The platform rules, row by row, keeping only small cross-row state."""

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.first_where = ""
        self.keys: frozenset[str] | None = None
        self.order: tuple[str, ...] = ()
        #: metadata key path -> (JSON type, where first seen) for the per-key type rule
        self.types: dict[str, tuple[str, str]] = {}

    def row(self, where: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Check one row; return it normalised (columns in first-row order, metadata parsed)."""
        if self.keys is None:
            self.columns(where, list(row))
        elif frozenset(row) != self.keys:
            self._keys_differ(where, row)
        if self.summary.mode == METADATA:
            row = {**row, METADATA: self._metadata(where, row.get(METADATA))}
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
        self.summary.mode = METADATA if METADATA in self.keys else "prompt"
        missing = [] if METADATA in self.keys else missing_columns(names)
        if missing:
            found = ", ".join(self.order) or "none"
            raise DatasetError(
                where,
                f"no {' and no '.join(missing)} column; a prompt-mode dataset needs user_prompt "
                "and ground_truth, a metadata-mode dataset needs a metadata column (columns "
                f"found: {found})",
                missing[0].split()[0],
            )

    def _keys_differ(self, where: str, row: Mapping[str, Any]) -> None:
        assert self.keys is not None
        has_meta = METADATA in row
        if has_meta != (METADATA in self.keys):
            this, first = ("metadata", "prompt") if has_meta else ("prompt", "metadata")
            raise DatasetError(
                where,
                f"this row is in {this} mode but {self.first_where} is in {first} mode; use one "
                "mode per file",
                METADATA,
            )
        missing = sorted(self.keys - frozenset(row))
        extra = sorted(frozenset(row) - self.keys)
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"extra {', '.join(extra)}"] if extra else []
        raise DatasetError(
            where,
            f"keys differ from {self.first_where} ({'; '.join(parts)}); every row must have the "
            "same keys",
            (missing or extra)[0],
        )

    def _prompt(self, where: str, row: Mapping[str, Any]) -> None:
        for name in TEXT_COLUMNS:
            value = row.get(name)
            if isinstance(value, dict | list):
                raise DatasetError(
                    where, f"{name} is a JSON {json_type(value)}; it must be text", name
                )
        if _blank(row.get(PROMPT_COLUMN)):
            raise DatasetError(
                where, "user_prompt is empty; every prompt-mode row needs one", PROMPT_COLUMN
            )
        if all(_blank(row.get(name)) for name in LABEL_COLUMNS):
            column = next(name for name in LABEL_COLUMNS if name in row)
            raise DatasetError(
                where, f"{column} is empty; every prompt-mode row needs the expected answer", column
            )

    def _metadata(self, where: str, value: Any) -> dict[str, Any]:
        hint = (
            "metadata mode needs a non-empty JSON object in every row"
            if self.summary.format in ("jsonl", "rows")
            else "a file with a metadata column is in metadata mode: every row needs a non-empty "
            "JSON object there"
        )
        value = _metadata_object(where, value, hint, self.summary)
        for key, child in value.items():
            known = self.summary.metadata_keys.get(key)
            if known is None or (known == "null" and child is not None):
                self.summary.metadata_keys[key] = json_type(child)
            self._walk(where, _key_path(METADATA, key), child)
        return value

    def _walk(self, where: str, path: str, value: Any) -> None:
        if value is None:
            return
        kind = json_type(value)
        self._same_type(where, path, kind)
        if isinstance(value, dict):
            if not value:
                raise DatasetError(
                    where,
                    f"{path} is an empty object {{}}, which the platform cannot store; remove it "
                    "or give it a key",
                    path,
                )
            for key, child in value.items():
                self._walk(where, _key_path(path, key), child)
        elif isinstance(value, list):
            for child in value:
                self._walk(where, f"{path}[]", child)
        elif kind == "number" and isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise DatasetError(
                where, f"{path} is an integer too large to store (it must fit in 64 bits)", path
            )

    def _same_type(self, where: str, path: str, kind: str) -> None:
        seen = self.types.get(path)
        if seen is None:
            if len(self.types) >= MAX_METADATA_PATHS:
                raise DatasetError(
                    where,
                    f"metadata has more than {MAX_METADATA_PATHS} distinct keys (nested keys "
                    "included)",
                    METADATA,
                )
            self.types[path] = (kind, where)
        elif seen[0] != kind:
            before = "earlier in this row" if seen[1] == where else f"in {seen[1]}"
            raise DatasetError(
                where,
                f"{path} is {_article(kind)} here but {_article(seen[0])} {before}; each metadata "
                "key needs one JSON type in every row",
                path,
            )


def _metadata_object(where: str, value: Any, hint: str, summary: Summary) -> dict[str, Any]:
    """The metadata cell as a non-empty object (JSON text parsed), or the problem with it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DatasetError(where, f"metadata is empty; {hint}", METADATA)
    if isinstance(value, str):
        try:
            value = json_loads(value)
        except ValueError as exc:
            problem = f"metadata is not valid JSON ({_json_problem(exc)})"
            raise DatasetError(where, problem, METADATA) from None
        summary.note("parsed metadata JSON text into objects")
    if not isinstance(value, dict):
        raise DatasetError(where, f"metadata is a JSON {json_type(value)}, not an object", METADATA)
    if not value:
        raise DatasetError(where, f"metadata is an empty object {{}}; {hint}", METADATA)
    return value


def _enough_rows(summary: Summary) -> None:
    if summary.rows < MIN_ROWS:
        blank = " (only blank lines)" if summary.rows == 0 and summary.format == "jsonl" else ""
        raise DatasetError(
            "", f"has {summary.rows} rows{blank}; the platform needs at least {MIN_ROWS}"
        )


# ---------------------------------------------------------------------------------------------
# The entry points
# ---------------------------------------------------------------------------------------------


def iter_dataset(
    path: Path,
    display: str,
    summary_out: list[Summary] | None = None,
    *,
    in_place: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every row of the file, checked and normalised, in order; raises :class:`DatasetError`.

    ``display`` is the path as the user typed it (it decides whether "file not found" says where
    it looked). The summary (mode, columns, metadata keys, notes) is appended to ``summary_out``
    at once and complete when the iterator is exhausted (the row count is checked last).
    ``in_place``: the file is checked as it will be uploaded, so what the import would normalise
    (a UTF-8 byte-order mark, blank CSV lines) is a problem.
    """
    handle = _open_checked(path, Path(display))
    summary = Summary(format=path.suffix.lower().lstrip("."), in_place=in_place)
    if summary_out is not None:
        summary_out.append(summary)
    checker = _Checker(summary)
    with handle:
        if summary.format == "parquet":
            rows = _parquet_rows(path, checker)
        else:
            _sniff(handle.read(SNIFF_BYTES), summary.format, in_place)
            handle.seek(0)
            rows = (
                _jsonl_rows(handle, summary)
                if summary.format == "jsonl"
                else _csv_rows(handle, summary, checker)
            )
        with _csv_field_limit() if summary.format == "csv" else contextlib.nullcontext():
            for where, row in rows:
                yield checker.row(where, row)
    _enough_rows(summary)


@contextlib.contextmanager
def _csv_field_limit() -> Iterator[None]:
    previous = csv.field_size_limit(MAX_ROW_BYTES)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def check_rows(rows: Iterable[Mapping[str, Any]], summary: Summary | None = None) -> Summary:
    """Apply the row rules to rows already parsed (``row 1`` is the first); raises
    :class:`DatasetError`. Returns the summary (mode, metadata keys, row count)."""
    summary = summary or Summary(format="rows")
    checker = _Checker(summary)
    for number, row in enumerate(rows, 1):
        where = f"row {number}"
        if not isinstance(row, Mapping):
            raise DatasetError(where, f"is a JSON {json_type(row)}, not an object")
        checker.row(where, row)
    _enough_rows(summary)
    return summary


def problems(
    path: Path | str | None = None,
    *,
    rows: Iterable[Mapping[str, Any]] | None = None,
    display: str = "",
    in_place: bool = False,
) -> list[Problem]:
    """The first problem of a dataset against the platform's contract, or ``[]`` when it passes.

    Give ``path`` (a file, read as a stream; ``display`` is how to name it) or ``rows`` (already
    parsed, named ``display`` or "rows"). One problem at most: every later row's verdict depends
    on the ones before it (mode, keys, types), so what follows a problem is noise.
    """
    name = display or (str(path) if path is not None else "rows")
    try:
        if path is not None:
            for _row in iter_dataset(Path(path), name, in_place=in_place):
                pass
        else:
            check_rows(rows or ())
    except DatasetError as exc:
        return [Problem(redact(name), exc.where, redact(exc.field), exc.text)]
    except OSError as exc:
        return [Problem(redact(name), "", "", read_error(exc).text)]
    return []
