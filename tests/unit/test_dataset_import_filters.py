"""Dataset import without Copier: the template's filters and import step on small files.

``extensions/datasets.py`` is loaded by path and its filters and import step are called on
files written here (``tests/data/datasets/`` holds the small text ones): what the questionnaire
infers, how files are normalised, Parquet, and the exact message for each bad file. The rules
themselves are tested against ``check`` in ``test_dataset_contract.py``; Copier round trips are
in ``tests/integration/test_dataset_import.py`` and ``tests/acceptance/``.
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.dataset_files import (
    DATA,
    EXTENSION,
    M,
    P,
    assert_clean_jsonl,
    csv_rows,
    excel_csv,
    jsonl,
    load_datasets,
    meta_row,
    read_rows,
)

ds = load_datasets("dataset_import_under_test")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    ds._CACHE.clear()


# ---------------------------------------------------------------------------------------------
# Filters on small files
# ---------------------------------------------------------------------------------------------


def test_prompt_file_filters() -> None:
    path = str(DATA / "prompt.jsonl")
    assert ds.dataset_file_problem(path) == ""
    assert ds.infer_dataset_mode(path) == "prompt"
    assert ds.dataset_mode_mismatch(path, "prompt") == ""
    assert ds.dataset_mode_mismatch(path, "metadata") == (
        f"dataset_mode 'metadata' does not match dataset_file {path}, which is in prompt mode "
        f"(it has no metadata column); choose prompt"
    )
    # Metadata questions are not asked in prompt mode: their defaults stay, nothing complains.
    assert ds.guess_metadata_field(path, "prompt") == "question"
    assert ds.guess_metadata_field(path, "answer") == "answer"
    assert ds.metadata_field_missing(path, "anything") == ""


def test_metadata_file_filters() -> None:
    path = str(DATA / "metadata.jsonl")
    assert ds.dataset_file_problem(path) == ""
    assert ds.infer_dataset_mode(path) == "metadata"
    assert ds.dataset_mode_mismatch(path, "metadata") == ""
    assert ds.dataset_mode_mismatch(path, "prompt") == (
        f"dataset_mode 'prompt' does not match dataset_file {path}, which is in metadata mode "
        f"(it has a metadata column); choose metadata"
    )
    assert ds.guess_metadata_field(path, "prompt") == "question"
    assert ds.guess_metadata_field(path, "answer") == "expected_answer"
    assert ds.metadata_field_missing(path, "expected_answer") == ""
    assert ds.metadata_field_missing(path, "questoin") == (
        f"no row of dataset_file {path} has the metadata key 'questoin' (its metadata keys: "
        f"question, expected_answer, priority, tags, customer)"
    )


def test_unusable_files_leave_the_other_answers_alone(tmp_path: Path) -> None:
    """Only dataset_file reports a broken or missing file: one error, not four."""
    for path in (tmp_path / "missing.jsonl", tmp_path / "broken.jsonl"):
        if path.name == "broken.jsonl":
            path.write_text("{not json\n")
        assert ds.dataset_file_problem(str(path))
        assert ds.infer_dataset_mode(str(path)) == "prompt"
        assert ds.dataset_mode_mismatch(str(path), "metadata") == ""
        assert ds.guess_metadata_field(str(path), "answer") == "answer"
        assert ds.metadata_field_missing(str(path), "x") == ""
    assert ds.dataset_file_problem("") == ""
    assert ds.dataset_file_problem("   ") == (
        "dataset_file is blank: give the path of a .jsonl, .csv or .parquet file, or leave it "
        "empty to start with sample rows"
    )


@pytest.mark.parametrize(
    ("keys", "prompt", "answer"),
    [
        ({"question": "string", "answer": "string"}, "question", "answer"),
        ({"input": "string", "output": "string"}, "input", "output"),
        ({"text": "string", "label": "string"}, "text", "label"),
        ({"id": "number", "problem": "string", "solution": "string"}, "problem", "solution"),
        ({"gold_label": "string", "prompt_text": "string"}, "prompt_text", "gold_label"),
        ({"userQuestion": "string", "expectedAnswer": "string"}, "userQuestion", "expectedAnswer"),
        ({"messages": "array", "query": "string", "target": "number"}, "query", "target"),
        ({"title": "string", "body": "string", "team": "string"}, "title", "body"),
        ({"only": "string"}, "only", "only"),
    ],
)
def test_guess_metadata_field(
    tmp_path: Path, keys: dict[str, str], prompt: str, answer: str
) -> None:
    sample = {"string": "x", "number": 1, "array": ["x"]}
    rows = [{"metadata": {k: sample[t] for k, t in keys.items()}} for _ in range(4)]
    path = tmp_path / "m.jsonl"
    path.write_bytes(jsonl(*rows))
    assert ds.guess_metadata_field(str(path), "prompt") == prompt
    assert ds.guess_metadata_field(str(path), "answer") == answer


def test_relative_home_and_quoted_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my data.jsonl").write_bytes(jsonl(*P[:4]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    resolved = str((tmp_path / "my data.jsonl").resolve())
    for spelling in (
        "my data.jsonl",
        "./my data.jsonl",
        "~/my data.jsonl",
        "'my data.jsonl'",
        ' "my data.jsonl" ',
    ):
        assert ds.dataset_file_problem(spelling) == "", spelling
        assert ds.dataset_import_source(spelling) == resolved
    assert ds.dataset_file_problem("nope.jsonl") == (
        f"dataset_file nope.jsonl: file not found (looked for {tmp_path.resolve()}/nope.jsonl)"
    )


def test_results_are_cached_by_path_size_and_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.jsonl"
    path.write_bytes(jsonl(*M[:4]))
    reads = []
    real = ds.iter_dataset
    monkeypatch.setattr(ds, "iter_dataset", lambda *a, **k: (reads.append(1), real(*a, **k))[1])
    for _ in range(5):  # what Copier does: validators and defaults rendered again and again
        ds.dataset_file_problem(str(path))
        ds.infer_dataset_mode(str(path))
        ds.guess_metadata_field(str(path), "prompt")
        ds.metadata_field_missing(str(path), "answer")
        ds.dataset_mode_mismatch(str(path), "metadata")
    assert len(reads) == 1
    path.write_bytes(jsonl(*M[:3]))  # the user fixes or breaks the file between two prompts
    assert ds.dataset_file_problem(str(path)).endswith("has 3 rows; the platform needs at least 4")
    assert len(reads) == 2


def test_filters_are_pure_apart_from_reading_the_named_file() -> None:
    """No subprocess, network or writes: an audit hook watches every filter call."""
    events: list[tuple[str, Any]] = []
    watched = {
        "subprocess.Popen",
        "os.system",
        "os.posix_spawn",
        "os.fork",
        "os.exec",
        "socket.connect",
        "socket.getaddrinfo",
        "os.remove",
        "os.rename",
        "os.mkdir",
        "shutil.rmtree",
        "os.truncate",
    }
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if not _AUDIT["on"]:
            return
        if event in watched:
            events.append((event, args))
        elif event == "open":
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else None
            if (isinstance(mode, str) and set(mode) & set("wax+")) or (
                isinstance(flags, int) and flags & writing
            ):
                events.append((event, args))

    if not _AUDIT["installed"]:
        sys.addaudithook(lambda e, a: _AUDIT["hook"](e, a))
        _AUDIT["installed"] = True
    _AUDIT["hook"] = hook
    _AUDIT["on"] = True
    try:
        for name in ("prompt.jsonl", "metadata.jsonl", "prompt.csv", "metadata.csv", "nope.csv"):
            path = str(DATA / name)
            for filter_ in ds.FILTERS.values():
                filter_(path, "answer") if filter_.__code__.co_argcount == 2 else filter_(path)
    finally:
        _AUDIT["on"] = False
    assert events == []
    sources = (EXTENSION, EXTENSION.parent / "dataset_contract.py")  # the rules it runs, too
    imported = {
        name.split(".")[0]
        for path in sources
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert not imported & {"subprocess", "socket", "urllib", "http", "requests", "shutil"}


_AUDIT: dict[str, Any] = {"installed": False, "on": False, "hook": None}


def test_filters_are_inert_during_copier_update(tmp_path: Path) -> None:
    """On update the stored path may be gone: nothing is read and nothing complains."""
    from copier._main import _operation  # the context variable Copier 9.19 sets per operation

    gone = str(tmp_path / "gone.csv")
    token = _operation.set("update")
    try:
        assert ds.dataset_file_problem(gone) == ""
        assert ds.infer_dataset_mode(gone) == "prompt"
        assert ds.metadata_field_missing(gone, "x") == ""
        assert ds.dataset_mode_mismatch(gone, "metadata") == ""
    finally:
        _operation.reset(token)
    assert ds.dataset_file_problem(gone).startswith(f"dataset_file {gone}: file not found")


# ---------------------------------------------------------------------------------------------
# Conversion: normalisation of good files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected_notes"),
    [
        (b"\xef\xbb\xbf" + jsonl(*P[:4]), ["removed the UTF-8 byte-order mark"]),
        (jsonl(*P[:4], newline="\r\n"), ["converted CRLF line endings to LF"]),
        (jsonl(*P[:4], newline="\r"), ["converted CR line endings to LF"]),  # classic Mac
        (
            b"\n" + jsonl(*P[:2]) + b"  \n\n" + jsonl(*P[2:4]).rstrip(b"\n"),
            [],
        ),  # blank lines, no EOL
    ],
)
def test_bom_crlf_and_blank_lines_are_normalised(
    tmp_path: Path, source: bytes, expected_notes: list[str]
) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "data" / "out.jsonl"
    src.write_bytes(source)
    summary = ds.import_dataset(src, out)
    assert summary.notes == expected_notes and summary.rows == 4
    assert out.read_bytes() == jsonl(*P[:4])


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {
                "user_prompt": st.text(min_size=1, max_size=40),
                "ground_truth": st.text(min_size=1, max_size=8),
            }
        ),
        min_size=4,
        max_size=8,
    ),
    endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=8, max_size=8),
    blank=st.sampled_from(["", "\n", "\r\n", " \r"]),
    chunk=st.integers(1, 9),
)
def test_any_line_endings_and_read_sizes_give_the_same_rows(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[dict[str, str]],
    endings: list[str],
    blank: str,
    chunk: int,
) -> None:
    """Lines split across reads (a CRLF cut in two included) never change the rows."""
    monkeypatch.setattr(ds.CONTRACT, "READ_BYTES", chunk)
    text = blank.join(
        json.dumps(r, ensure_ascii=False) + e for r, e in zip(rows, endings, strict=False)
    )
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(text, encoding="utf-8", newline="")
    ds.import_dataset(src, out)
    assert read_rows(out) == rows


@pytest.mark.parametrize("chunk", range(1, 10))
def test_lone_cr_right_after_a_trimmed_long_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Regression (found by the property test above): after a line longer than the read size
    ended with a lone CR, the next lone CR was missed and two rows were read as one line."""
    monkeypatch.setattr(ds.CONTRACT, "READ_BYTES", chunk)
    rows = [{"user_prompt": "0", "ground_truth": "\x1f" * 4}] + [
        {"user_prompt": "0", "ground_truth": "0"}
    ] * 3
    text = "".join(
        json.dumps(r, ensure_ascii=False) + e
        for r, e in zip(rows, ["\r", "\r", "\n", "\n"], strict=True)
    )
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(text, encoding="utf-8", newline="")
    ds.import_dataset(src, out)
    assert read_rows(out) == rows


def test_csv_with_cr_only_line_endings(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_bytes(b'user_prompt,ground_truth\rq1,1\r"two\rlines",2\rq3,3\rq4,4\r')
    assert ds.import_dataset(src, out).notes == [
        "converted CR line endings to LF",
        "converted CRLF and CR line breaks inside CSV values to LF",
    ]
    assert [r["user_prompt"] for r in read_rows(out)] == ["q1", "two\nlines", "q3", "q4"]


def test_excel_csv_with_bom_crlf_and_multiline_cells(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_bytes(excel_csv((DATA / "prompt.csv").read_text(encoding="utf-8")))
    summary = ds.import_dataset(src, out)
    assert summary.notes == [
        "removed the UTF-8 byte-order mark",
        "converted CRLF line endings to LF",
        "converted CRLF and CR line breaks inside CSV values to LF",
    ]
    assert read_rows(out) == csv_rows(DATA / "prompt.csv")
    assert read_rows(out)[3]["user_prompt"] == "A poem line:\nRoses are red,\nwhat comes next?"
    assert_clean_jsonl(out)


def test_values_keys_and_metadata_text_are_kept(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "metadata": {"question": "q", "answer": 7, "big": 2**63 - 1, "ratio": 0.5}},
        {
            "metadata": json.dumps(
                {"question": "é 😀 \u2028", "answer": 8, "big": -(2**63), "ratio": 1}
            ),
            "id": 2,
        },  # JSON text, keys in another order
        {
            "id": 3,
            "metadata": {"question": "lone \udc00 surrogate", "answer": 9, "big": 0, "ratio": None},
        },
        {"id": 4, "metadata": {"question": 'tab\tquote"', "answer": 10, "big": 1, "ratio": 2}},
    ]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds.import_dataset(src, out)
    got = read_rows(out)
    assert [list(r) for r in got] == [["id", "metadata"]] * 4  # the first row's column order
    assert got[1]["metadata"] == json.loads(rows[1]["metadata"])
    assert got[2]["metadata"]["question"] == "lone \udc00 surrogate"
    assert got[0] == rows[0] and got[3] == rows[3]
    assert "é 😀" in out.read_text(encoding="utf-8")  # written as UTF-8, not \u escapes
    assert_clean_jsonl(out)


def test_label_alias_and_numbers_in_prompt_mode(tmp_path: Path) -> None:
    rows = [{"user_prompt": f"q{i}", "label": i, "system_prompt": None} for i in range(4)]
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(jsonl(*rows))
    assert ds.infer_dataset_mode(str(src)) == "prompt"
    ds.import_dataset(src, out)
    assert read_rows(out) == rows


# ---------------------------------------------------------------------------------------------
# Parquet
# ---------------------------------------------------------------------------------------------


def write_parquet(path: Path, rows: list[dict[str, Any]]) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_parquet_both_modes(tmp_path: Path) -> None:
    prompt = write_parquet(tmp_path / "p.parquet", read_rows(DATA / "prompt.jsonl"))
    meta = write_parquet(tmp_path / "m.parquet", read_rows(DATA / "metadata.jsonl"))
    assert ds.infer_dataset_mode(str(prompt)) == "prompt"
    assert ds.infer_dataset_mode(str(meta)) == "metadata"
    assert ds.guess_metadata_field(str(meta), "answer") == "expected_answer"
    for src in (prompt, meta):
        out = tmp_path / f"{src.stem}.jsonl"
        ds.import_dataset(src, out)
        assert read_rows(out) == read_rows(
            DATA / ("prompt.jsonl" if src == prompt else "metadata.jsonl")
        )
    few = write_parquet(tmp_path / "few.parquet", P[:3])
    assert ds.dataset_file_problem(str(few)) == (
        f"dataset_file {few}: has 3 rows; the platform needs at least 4"
    )
    bad = write_parquet(tmp_path / "bad.parquet", [{"metadata": 1}] * 4)
    assert ds.dataset_file_problem(str(bad)) == (
        f"dataset_file {bad}: the metadata column has type int64; it must be a struct or JSON text"
    )


def test_parquet_without_pyarrow_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 16 + b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert ds.dataset_file_problem(str(path)) == (
        f"dataset_file {path}: reading Parquet needs the pyarrow package, which is not installed "
        f"next to Copier; install it there (for example `uv tool install copier --with "
        f"copier-template-extensions --with pyarrow`) or convert the file to JSONL or CSV"
    )


# ---------------------------------------------------------------------------------------------
# The import step as the task runs it
# ---------------------------------------------------------------------------------------------


def test_import_step_writes_reports_and_keeps_existing_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "in.csv"
    src.write_bytes(excel_csv((DATA / "metadata.csv").read_text(encoding="utf-8")))
    assert ds.main(["import", str(src), "data/d.jsonl", "in.csv", "verbose"]) == 0
    assert capsys.readouterr().err == (
        "Imported in.csv into data/d.jsonl: 4 rows, metadata mode; removed the UTF-8 "
        "byte-order mark; converted CRLF line endings to LF; parsed metadata JSON text into "
        "objects\n"
    )
    assert read_rows(tmp_path / "data" / "d.jsonl") == csv_rows(DATA / "metadata.csv")

    before = (tmp_path / "data" / "d.jsonl").read_bytes()
    src.write_bytes(b"not even read")
    assert ds.main(["import", str(src), "data/d.jsonl", "in.csv", "quiet"]) == 0
    assert capsys.readouterr().err == (
        "data/d.jsonl already exists: kept it, in.csv was not imported\n"
    )
    assert (tmp_path / "data" / "d.jsonl").read_bytes() == before


def test_import_step_failure_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl(*P[:5]) + b"{oops\n")  # the file broke between the prompt and the task
    assert ds.main(["import", str(src), "data/d.jsonl", "in.jsonl", "quiet"]) == 1
    assert capsys.readouterr().err == (
        "dataset_file in.jsonl: line 6: not valid JSON (Expecting property name enclosed in "
        "double quotes at column 2)\n"
    )
    assert list((tmp_path / "data").iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Bad files: exact messages (the filter; the Copier table below runs the list end to end)
# ---------------------------------------------------------------------------------------------


def _gzip() -> bytes:
    import gzip

    return gzip.compress(jsonl(*P[:4]))


UNIT_BAD: list[tuple[str, str, bytes, str]] = [
    (
        "json-array",
        "x.json",
        b"[]",
        "unsupported file type '.json'; use .jsonl, .csv or .parquet "
        "(Parquet needs pyarrow) (a .json file holding an array must be converted to JSONL: one "
        "object per line)",
    ),
    (
        "txt",
        "x.txt",
        b"hello",
        "unsupported file type '.txt'; use .jsonl, .csv or .parquet (Parquet needs pyarrow)",
    ),
    ("gzip", "x.jsonl", _gzip(), "is gzip-compressed; decompress it first"),
    (
        "xlsx",
        "x.csv",
        b"PK\x03\x04" + b"\x14\x00" * 20,
        "is a ZIP archive (an Excel workbook?), not CSV text; export it as CSV or JSONL",
    ),
    (
        "parquet-named-csv",
        "x.csv",
        b"PAR1\x15\x04",
        "is a Parquet file; give it the .parquet extension",
    ),
    (
        "utf32",
        "x.jsonl",
        "\ufeff{}".encode("utf-32"),
        "is UTF-32 text (it starts with a UTF-32 byte-order mark); save it as UTF-8",
    ),
    (
        "nul-later",
        "x.jsonl",
        jsonl(*P[:2]) + b" " * 9000 + b'{"a": "\x00"}\n',
        "line 3: contains a NUL byte (binary data); the file must be UTF-8 text",
    ),
    (
        "bom-mid-file",
        "x.jsonl",
        jsonl(*P[:2]) + b"\xef\xbb\xbf" + jsonl(*P[2:5]),
        "line 3: "
        "starts with a byte-order mark (U+FEFF); only the very start of the file may have one "
        "(were two files joined?)",
    ),
    (
        "top-level-array",
        "x.jsonl",
        jsonl(*P[:2]) + b'["q", "a"]\n',
        "line 3: is a JSON array, not an object; each line must be one JSON object",
    ),
    (
        "nan",
        "x.jsonl",
        jsonl(*M[:2]) + b'{"metadata": {"question": "q", "answer": NaN}}\n',
        "line 3: not valid JSON (NaN is not a JSON number)",
    ),
    (
        "only-blank-lines",
        "x.jsonl",
        b"\n  \n\n",
        "has 0 rows (only blank lines); the platform needs at least 4",
    ),
    (
        "metadata-not-object",
        "x.jsonl",
        jsonl(M[0], {"metadata": ["a"]}),
        "line 2: metadata is a JSON array, not an object",
    ),
    (
        "metadata-null",
        "x.jsonl",
        jsonl(M[0], {"metadata": None}),
        "line 2: metadata is empty; metadata mode needs a non-empty JSON object in every row",
    ),
    (
        "nested-empty-object",
        "x.jsonl",
        jsonl(M[0], meta_row(2, extra={"a": {}})),
        "line 2: "
        "metadata.extra.a is an empty object {}, which the platform cannot store; remove it or "
        "give it a key",
    ),
    (
        "type-changes",
        "x.jsonl",
        jsonl(meta_row(1, n=1), meta_row(2, n="1")),
        "line 2: metadata.n "
        "is a string here but a number in line 1; each metadata key needs one JSON type in every "
        "row",
    ),
    (
        "array-item-types",
        "x.jsonl",
        jsonl(meta_row(1, t=[1, "a"])),
        "line 1: metadata.t[] is a "
        "string here but a number earlier in this row; each metadata key needs one JSON type in "
        "every row",
    ),
    (
        "int-too-big",
        "x.jsonl",
        jsonl(meta_row(1, n=2**63)),
        "line 1: metadata.n is an integer too large to store (it must fit in 64 bits)",
    ),
    (
        "empty-user-prompt",
        "x.jsonl",
        jsonl(P[0], {"user_prompt": "", "ground_truth": "2"}),
        "line 2: user_prompt is empty; every prompt-mode row needs one",
    ),
    (
        "null-ground-truth",
        "x.jsonl",
        jsonl(P[0], {"user_prompt": "q", "ground_truth": None}),
        "line 2: ground_truth is empty; every prompt-mode row needs the expected answer",
    ),
    (
        "object-ground-truth",
        "x.jsonl",
        jsonl({"user_prompt": "q", "ground_truth": {"a": 1}}),
        "line 1: ground_truth is a JSON object; it must be text",
    ),
    (
        "csv-semicolons",
        "x.csv",
        b"user_prompt;ground_truth\nq;1\n",
        "row 1: the header is one "
        "column 'user_prompt;ground_truth': the file seems to separate values with semicolons; "
        "Osmosis reads comma-separated values",
    ),
    (
        "csv-ragged",
        "x.csv",
        b"user_prompt,ground_truth\nq1,1\nWhat is 1,000 + 1?,1001\n",
        "row 3: has 3 values but the header has 2 columns (a value containing a comma must be in "
        "double quotes)",
    ),
    (
        "csv-duplicate-header",
        "x.csv",
        b"user_prompt,ground_truth,user_prompt\n",
        "row 1: the header names column 'user_prompt' twice",
    ),
    (
        "csv-header-only",
        "x.csv",
        b"user_prompt,ground_truth\n",
        "has 0 rows; the platform needs at least 4",
    ),
    (
        "csv-metadata-not-json",
        "x.csv",
        b'metadata\n"{""q"": 1}"\n{q: 1}\n',
        "row 3: metadata is "
        "not valid JSON (Expecting property name enclosed in double quotes at column 2)",
    ),
    (
        "csv-mixed-modes",
        "x.csv",
        b'user_prompt,ground_truth,metadata\nq,1,"{""q"": 1}"\nq,2,\n',
        "row 3: metadata is empty; "
        "a file with a metadata column is in metadata mode: every row needs a non-empty JSON "
        "object there",
    ),
    (
        "csv-multiline-cell-error-names-its-line",
        "x.csv",
        b'user_prompt,ground_truth\n"a\nb",1\n"c\nd",\n',
        "row 3 (line 4): ground_truth is empty; every prompt-mode row needs the expected answer",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [(f, c, e) for _, f, c, e in UNIT_BAD],
    ids=[c[0] for c in UNIT_BAD],
)
def test_bad_file_messages(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert ds.dataset_file_problem(str(path)) == f"dataset_file {path}: {expected}"


def test_directory_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "d.jsonl"
    folder.mkdir()
    assert ds.dataset_file_problem(str(folder)) == (
        f"dataset_file {folder}: is a directory; give the path of a .jsonl, .csv or .parquet file"
    )
    assert ds.dataset_file_problem(str(tmp_path / "x.csv")) == (
        f"dataset_file {tmp_path / 'x.csv'}: file not found"
    )
