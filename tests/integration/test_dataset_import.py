"""Dataset import (issue #3): the filters, the import step, Copier round trips, bad files.

* Unit tests load ``extensions/datasets.py`` by path and call the filters on small files.
* Round trips render real workspaces with Copier (``helpers.render``) from a tagged copy of this
  repository's template files, import JSONL, CSV and Parquet files in both modes, and check the
  imported file, the stored answers and ``osmosis dataset validate`` on the result.
* The bad-file table renders each broken file through Copier and asserts the exact validator
  message, that the destination was never created and that Copier left no temp directory.
* Memory is measured in a subprocess streaming a ~200 MB file and one with a 100 MB line.
* An update after the source file vanished must succeed and leave the imported data alone.

Big and binary files are generated here; ``tests/data/datasets/`` only holds small text files.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from copier.errors import TaskError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.helpers import (
    ROOT,
    VERSION_BEARING,
    Osmosis,
    OsmosisResult,
    git,
    git_init_commit,
    render,
)
from support.workspace_api_helpers import commit_all, copy_template_files

DATA = Path(__file__).resolve().parents[1] / "data" / "datasets"
EXTENSION = ROOT / "extensions" / "datasets.py"
V1, V2 = "v1.0.0", "v1.1.0"


def _load_extension() -> Any:
    spec = importlib.util.spec_from_file_location("dataset_import_under_test", EXTENSION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ds = _load_extension()


# ---------------------------------------------------------------------------------------------
# Builders and helpers
# ---------------------------------------------------------------------------------------------


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


VALIDATE_DRIVER = """
import contextlib, io, json, sys
from osmosis_ai.cli.main import main  # what the `osmosis` console script calls
results = []
for path in sys.argv[1:]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--json", "dataset", "validate", path])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    results.append([code, out.getvalue(), err.getvalue()])
sys.__stdout__.write(json.dumps(results))
"""


def validate_many(osmosis: Osmosis, files: list[Path]) -> list[OsmosisResult]:
    """`osmosis --json dataset validate FILE` for each file, in one osmosis process.

    The CLI's own ``main(argv)`` runs once per file: the code the console script runs, without
    paying its ~2 s start-up per file.
    """
    done = osmosis.python("-c", VALIDATE_DRIVER, *map(str, files), cwd=files[0].parent)
    assert done.returncode == 0, done.stderr
    return [OsmosisResult(*result) for result in json.loads(done.stdout)]


def assert_osmosis_valid(result: OsmosisResult) -> None:
    assert result.code == 0, result.stdout + result.stderr
    assert result.payload["data"]["valid"] is True
    assert result.payload["data"]["warnings"] == []


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
                    if isinstance(target, ast.Name) and target.id in ("PROMPT_FIELD",
                                                                      "ANSWER_FIELD"):
                        found[target.id] = node.value.value
    return found


def answers_of(workspace: Path) -> dict[str, Any]:
    return yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    ds._CACHE.clear()


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's template files, committed and tagged v1.0.0 (clean: quick to clone)."""
    repo = copy_template_files(tmp_path_factory.mktemp("dataset-template") / "tpl")
    git("init", "-q", "-b", "main", cwd=repo)
    commit_all(repo, "Template v1", V1)
    return repo


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
        f"(it has no metadata column); choose prompt")
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
        f"(it has a metadata column); choose metadata")
    assert ds.guess_metadata_field(path, "prompt") == "question"
    assert ds.guess_metadata_field(path, "answer") == "expected_answer"
    assert ds.metadata_field_missing(path, "expected_answer") == ""
    assert ds.metadata_field_missing(path, "questoin") == (
        f"no row of dataset_file {path} has the metadata key 'questoin' (its metadata keys: "
        f"question, expected_answer, priority, tags, customer)")


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
        "empty to start with sample rows")


@pytest.mark.parametrize(("keys", "prompt", "answer"), [
    ({"question": "string", "answer": "string"}, "question", "answer"),
    ({"input": "string", "output": "string"}, "input", "output"),
    ({"text": "string", "label": "string"}, "text", "label"),
    ({"id": "number", "problem": "string", "solution": "string"}, "problem", "solution"),
    ({"gold_label": "string", "prompt_text": "string"}, "prompt_text", "gold_label"),
    ({"userQuestion": "string", "expectedAnswer": "string"}, "userQuestion", "expectedAnswer"),
    ({"messages": "array", "query": "string", "target": "number"}, "query", "target"),
    ({"title": "string", "body": "string", "team": "string"}, "title", "body"),
    ({"only": "string"}, "only", "only"),
])
def test_guess_metadata_field(tmp_path: Path, keys: dict[str, str], prompt: str,
                              answer: str) -> None:
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
    for spelling in ("my data.jsonl", "./my data.jsonl", "~/my data.jsonl", "'my data.jsonl'",
                     ' "my data.jsonl" '):
        assert ds.dataset_file_problem(spelling) == "", spelling
        assert ds.dataset_import_source(spelling) == resolved
    assert ds.dataset_file_problem("nope.jsonl") == (
        f"dataset_file nope.jsonl: file not found (looked for {tmp_path.resolve()}/nope.jsonl)")


def test_results_are_cached_by_path_size_and_mtime(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
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
    watched = {"subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.exec",
               "socket.connect", "socket.getaddrinfo", "os.remove", "os.rename", "os.mkdir",
               "shutil.rmtree", "os.truncate"}
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if not _AUDIT["on"]:
            return
        if event in watched:
            events.append((event, args))
        elif event == "open":
            mode = args[1] if len(args) > 1 else None
            flags = args[2] if len(args) > 2 else None
            if (isinstance(mode, str) and set(mode) & set("wax+")) or \
                    (isinstance(flags, int) and flags & writing):
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
    tree = ast.parse(EXTENSION.read_text(encoding="utf-8"))
    imported = {name.split(".")[0] for node in ast.walk(tree)
                for name in ([a.name for a in node.names] if isinstance(node, ast.Import) else
                             [node.module or ""] if isinstance(node, ast.ImportFrom) else [])}
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


@pytest.mark.parametrize(("source", "expected_notes"), [
    (b"\xef\xbb\xbf" + jsonl(*P[:4]), ["removed the UTF-8 byte-order mark"]),
    (jsonl(*P[:4], newline="\r\n"), ["converted CRLF line endings to LF"]),
    (jsonl(*P[:4], newline="\r"), ["converted CR line endings to LF"]),  # classic Mac
    (b"\n" + jsonl(*P[:2]) + b"  \n\n" + jsonl(*P[2:4]).rstrip(b"\n"), []),  # blank lines, no EOL
])
def test_bom_crlf_and_blank_lines_are_normalised(tmp_path: Path, source: bytes,
                                                 expected_notes: list[str]) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "data" / "out.jsonl"
    src.write_bytes(source)
    summary = ds.import_dataset(src, out)
    assert summary.notes == expected_notes and summary.rows == 4
    assert out.read_bytes() == jsonl(*P[:4])


@settings(max_examples=50, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.fixed_dictionaries({"user_prompt": st.text(min_size=1, max_size=40),
                                            "ground_truth": st.text(min_size=1, max_size=8)}),
                     min_size=4, max_size=8),
       endings=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=8, max_size=8),
       blank=st.sampled_from(["", "\n", "\r\n", " \r"]), chunk=st.integers(1, 9))
def test_any_line_endings_and_read_sizes_give_the_same_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[dict[str, str]],
        endings: list[str], blank: str, chunk: int) -> None:
    """Lines split across reads (a CRLF cut in two included) never change the rows."""
    monkeypatch.setattr(ds, "READ_BYTES", chunk)
    text = blank.join(json.dumps(r, ensure_ascii=False) + e for r, e in zip(rows, endings,
                                                                             strict=False))
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(text, encoding="utf-8", newline="")
    ds.import_dataset(src, out)
    assert read_rows(out) == rows


@pytest.mark.parametrize("chunk", range(1, 10))
def test_lone_cr_right_after_a_trimmed_long_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 chunk: int) -> None:
    """Regression (found by the property test above): after a line longer than the read size
    ended with a lone CR, the next lone CR was missed and two rows were read as one line."""
    monkeypatch.setattr(ds, "READ_BYTES", chunk)
    rows = [{"user_prompt": "0", "ground_truth": "\x1f" * 4}] + [
        {"user_prompt": "0", "ground_truth": "0"}] * 3
    text = "".join(json.dumps(r, ensure_ascii=False) + e
                   for r, e in zip(rows, ["\r", "\r", "\n", "\n"], strict=True))
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(text, encoding="utf-8", newline="")
    ds.import_dataset(src, out)
    assert read_rows(out) == rows


def test_csv_with_cr_only_line_endings(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_bytes(b'user_prompt,ground_truth\rq1,1\r"two\rlines",2\rq3,3\rq4,4\r')
    assert ds.import_dataset(src, out).notes == ["converted CR line endings to LF",
                                                 "converted CRLF and CR line breaks inside CSV "
                                                 "values to LF"]
    assert [r["user_prompt"] for r in read_rows(out)] == ["q1", "two\nlines", "q3", "q4"]


def test_excel_csv_with_bom_crlf_and_multiline_cells(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_bytes(excel_csv((DATA / "prompt.csv").read_text(encoding="utf-8")))
    summary = ds.import_dataset(src, out)
    assert summary.notes == ["removed the UTF-8 byte-order mark",
                             "converted CRLF line endings to LF",
                             "converted CRLF and CR line breaks inside CSV values to LF"]
    assert read_rows(out) == csv_rows(DATA / "prompt.csv")
    assert read_rows(out)[3]["user_prompt"] == "A poem line:\nRoses are red,\nwhat comes next?"
    assert_clean_jsonl(out)


def test_values_keys_and_metadata_text_are_kept(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "metadata": {"question": "q", "answer": 7, "big": 2**63 - 1, "ratio": 0.5}},
        {"metadata": json.dumps({"question": "é 😀 \u2028", "answer": 8, "big": -(2**63),
                                 "ratio": 1}), "id": 2},  # JSON text, keys in another order
        {"id": 3, "metadata": {"question": "lone \udc00 surrogate", "answer": 9, "big": 0,
                               "ratio": None}},
        {"id": 4, "metadata": {"question": "tab\tquote\"", "answer": 10, "big": 1, "ratio": 2}},
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
        assert read_rows(out) == read_rows(DATA / ("prompt.jsonl" if src == prompt
                                                   else "metadata.jsonl"))
    few = write_parquet(tmp_path / "few.parquet", P[:3])
    assert ds.dataset_file_problem(str(few)) == (
        f"dataset_file {few}: has 3 rows; the platform needs at least 4")
    bad = write_parquet(tmp_path / "bad.parquet", [{"metadata": 1}] * 4)
    assert ds.dataset_file_problem(str(bad)) == (
        f"dataset_file {bad}: the metadata column has type int64; it must be a struct or JSON "
        f"text")


def test_parquet_without_pyarrow_says_what_to_install(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 16 + b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert ds.dataset_file_problem(str(path)) == (
        f"dataset_file {path}: reading Parquet needs the pyarrow package, which is not installed "
        f"next to Copier; install it there (for example `uv tool install copier --with "
        f"copier-template-extensions --with pyarrow`) or convert the file to JSONL or CSV")


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
        "objects\n")
    assert read_rows(tmp_path / "data" / "d.jsonl") == csv_rows(DATA / "metadata.csv")

    before = (tmp_path / "data" / "d.jsonl").read_bytes()
    src.write_bytes(b"not even read")
    assert ds.main(["import", str(src), "data/d.jsonl", "in.csv", "quiet"]) == 0
    assert capsys.readouterr().err == (
        "data/d.jsonl already exists: kept it, in.csv was not imported\n")
    assert (tmp_path / "data" / "d.jsonl").read_bytes() == before


def test_import_step_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "in.jsonl"
    src.write_bytes(jsonl(*P[:5]) + b"{oops\n")  # the file broke between the prompt and the task
    assert ds.main(["import", str(src), "data/d.jsonl", "in.jsonl", "quiet"]) == 1
    assert capsys.readouterr().err == (
        "dataset_file in.jsonl: line 6: not valid JSON (Expecting property name enclosed in "
        "double quotes at column 2)\n")
    assert list((tmp_path / "data").iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Bad files: exact messages (the filter; the Copier table below runs the list end to end)
# ---------------------------------------------------------------------------------------------


def _gzip() -> bytes:
    import gzip

    return gzip.compress(jsonl(*P[:4]))


UNIT_BAD: list[tuple[str, str, bytes, str]] = [
    ("json-array", "x.json", b"[]", "unsupported file type '.json'; use .jsonl, .csv or .parquet "
     "(Parquet needs pyarrow) (a .json file holding an array must be converted to JSONL: one "
     "object per line)"),
    ("txt", "x.txt", b"hello", "unsupported file type '.txt'; use .jsonl, .csv or .parquet "
     "(Parquet needs pyarrow)"),
    ("gzip", "x.jsonl", _gzip(), "is gzip-compressed; decompress it first"),
    ("xlsx", "x.csv", b"PK\x03\x04" + b"\x14\x00" * 20, "is a ZIP archive (an Excel workbook?), "
     "not CSV text; export it as CSV or JSONL"),
    ("parquet-named-csv", "x.csv", b"PAR1\x15\x04", "is a Parquet file; give it the .parquet "
     "extension"),
    ("utf32", "x.jsonl", "\ufeff{}".encode("utf-32"), "is UTF-32 text (it starts with a UTF-32 "
     "byte-order mark); save it as UTF-8"),
    ("nul-later", "x.jsonl", jsonl(*P[:2]) + b" " * 9000 + b'{"a": "\x00"}\n', "line 3: "
     "contains a NUL byte (binary data); the file must be UTF-8 text"),
    ("bom-mid-file", "x.jsonl", jsonl(*P[:2]) + b"\xef\xbb\xbf" + jsonl(*P[2:5]), "line 3: "
     "starts with a byte-order mark (U+FEFF); only the very start of the file may have one "
     "(were two files joined?)"),
    ("top-level-array", "x.jsonl", jsonl(*P[:2]) + b'["q", "a"]\n', "line 3: is a JSON array, "
     "not an object; each line must be one JSON object"),
    ("nan", "x.jsonl", jsonl(*M[:2]) + b'{"metadata": {"question": "q", "answer": NaN}}\n',
     "line 3: not valid JSON (NaN is not a JSON number)"),
    ("only-blank-lines", "x.jsonl", b"\n  \n\n", "has 0 rows (only blank lines); the platform "
     "needs at least 4"),
    ("metadata-not-object", "x.jsonl", jsonl(M[0], {"metadata": ["a"]}), "line 2: metadata is a "
     "JSON array, not an object"),
    ("metadata-null", "x.jsonl", jsonl(M[0], {"metadata": None}), "line 2: metadata is empty; "
     "metadata mode needs a non-empty JSON object in every row"),
    ("nested-empty-object", "x.jsonl", jsonl(M[0], meta_row(2, extra={"a": {}})), "line 2: "
     "metadata.extra.a is an empty object {}, which the platform cannot store; remove it or give "
     "it a key"),
    ("type-changes", "x.jsonl", jsonl(meta_row(1, n=1), meta_row(2, n="1")), "line 2: metadata.n "
     "is a string here but a number in line 1; each metadata key needs one JSON type in every "
     "row"),
    ("array-item-types", "x.jsonl", jsonl(meta_row(1, t=[1, "a"])), "line 1: metadata.t[] is a "
     "string here but a number earlier in this row; each metadata key needs one JSON type in "
     "every row"),
    ("int-too-big", "x.jsonl", jsonl(meta_row(1, n=2**63)), "line 1: metadata.n is an integer too "
     "large to store (it must fit in 64 bits)"),
    ("empty-user-prompt", "x.jsonl", jsonl(P[0], {"user_prompt": "", "ground_truth": "2"}),
     "line 2: user_prompt is empty; every prompt-mode row needs one"),
    ("null-ground-truth", "x.jsonl", jsonl(P[0], {"user_prompt": "q", "ground_truth": None}),
     "line 2: ground_truth is empty; every prompt-mode row needs the expected answer"),
    ("object-ground-truth", "x.jsonl", jsonl({"user_prompt": "q", "ground_truth": {"a": 1}}),
     "line 1: ground_truth is a JSON object; it must be text"),
    ("csv-semicolons", "x.csv", b"user_prompt;ground_truth\nq;1\n", "row 1: the header is one "
     "column 'user_prompt;ground_truth': the file seems to separate values with semicolons; "
     "Osmosis reads comma-separated values"),
    ("csv-ragged", "x.csv", b"user_prompt,ground_truth\nq1,1\nWhat is 1,000 + 1?,1001\n",
     "row 3: has 3 values but the header has 2 columns (a value containing a comma must be in "
     "double quotes)"),
    ("csv-duplicate-header", "x.csv", b"user_prompt,ground_truth,user_prompt\n", "row 1: the "
     "header names column 'user_prompt' twice"),
    ("csv-header-only", "x.csv", b"user_prompt,ground_truth\n", "has 0 rows; the platform needs "
     "at least 4"),
    ("csv-metadata-not-json", "x.csv", b'metadata\n"{""q"": 1}"\n{q: 1}\n', "row 3: metadata is "
     "not valid JSON (Expecting property name enclosed in double quotes at column 2)"),
    ("csv-mixed-modes", "x.csv",
     b'user_prompt,ground_truth,metadata\nq,1,"{""q"": 1}"\nq,2,\n', "row 3: metadata is empty; "
     "a file with a metadata column is in metadata mode: every row needs a non-empty JSON object "
     "there"),
    ("csv-multiline-cell-error-names-its-line", "x.csv",
     b'user_prompt,ground_truth\n"a\nb",1\n"c\nd",\n', "row 3 (line 4): ground_truth is empty; "
     "every prompt-mode row needs the expected answer"),
]


@pytest.mark.parametrize(("name", "content", "expected"),
                         [(f, c, e) for _, f, c, e in UNIT_BAD], ids=[c[0] for c in UNIT_BAD])
def test_bad_file_messages(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert ds.dataset_file_problem(str(path)) == f"dataset_file {path}: {expected}"


def test_directory_and_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "d.jsonl"
    folder.mkdir()
    assert ds.dataset_file_problem(str(folder)) == (
        f"dataset_file {folder}: is a directory; give the path of a .jsonl, .csv or .parquet file")
    assert ds.dataset_file_problem(str(tmp_path / "x.csv")) == (
        f"dataset_file {tmp_path / 'x.csv'}: file not found")


# ---------------------------------------------------------------------------------------------
# Huge files: bounded memory, first error only
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BigFiles:
    huge: Path  # ~200 MB of valid rows, then one broken last line
    huge_last_line: int
    enormous: Path  # a 100 MB line


@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigFiles]:
    folder = tmp_path_factory.mktemp("big-datasets")
    line = (json.dumps({"user_prompt": "x" * 4000, "ground_truth": "1"}) + "\n").encode()
    count = 200 * 1024 * 1024 // len(line)
    huge = folder / "huge.jsonl"
    with huge.open("wb") as out:
        for _ in range(count // 1000):
            out.write(line * 1000)
        out.write(b'{"user_prompt": "x", "ground_truth": "1",}\n')
    enormous = folder / "enormous.jsonl"
    with enormous.open("wb") as out:
        out.write(jsonl(P[0]) + b'{"user_prompt": "')
        for _ in range(100):
            out.write(b"y" * 1024 * 1024)
        out.write(b'", "ground_truth": "1"}\n')
    yield BigFiles(huge, count // 1000 * 1000 + 1, enormous)
    huge.unlink()
    enormous.unlink()


MEMORY_PROBE = """
import resource, sys
sys.path.insert(0, sys.argv[1])
import datasets
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
problem = datasets.dataset_file_problem(sys.argv[2])
try:
    datasets.import_dataset(sys.argv[2], sys.argv[3])
except datasets.DatasetError as exc:
    converted = str(exc)
grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(problem, converted, grown // 1024, sep="\\n")
"""


def test_huge_files_stream_with_bounded_memory(big_files: BigFiles, tmp_path: Path) -> None:
    for path, where, problem in (
        (big_files.huge, f"line {big_files.huge_last_line}",
         "not valid JSON (Expecting property name enclosed in double quotes at column 42)"),
        (big_files.enormous, "line 2",
         "the line is longer than 16 MiB, the most one row may hold here"),
    ):
        out = tmp_path / "data" / "out.jsonl"
        probe = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(EXTENSION.parent), str(path), str(out)],
            capture_output=True, text=True, timeout=120, check=True)
        checked, converted, grown_mib = probe.stdout.splitlines()
        assert checked == f"dataset_file {path}: {where}: {problem}"
        assert converted == f"{where}: {problem}"
        assert int(grown_mib) < 64, f"peak memory grew by {grown_mib} MiB reading {path.name}"
        assert list(out.parent.iterdir()) == []  # the partial output was removed


# ---------------------------------------------------------------------------------------------
# Copier: bad files give one clear error and leave nothing behind
# ---------------------------------------------------------------------------------------------

CRLF_BAD = jsonl(*P[:2], newline="\r\n") + b'{"user_prompt": "q" "ground_truth": "3"}\r\n' + \
    jsonl(*P[3:5], newline="\r\n")

#: (case, file name, content or a BigFiles attribute, question, expected validator message)
COPIER_BAD: list[tuple[str, str, bytes | str, str, str]] = [
    ("invalid-json-line", "bad.jsonl",
     jsonl(*P[:2]) + b'{"user_prompt": "q3" "ground_truth": "3"}\n' + jsonl(*P[3:5]),
     "dataset_file", "line 3: not valid JSON (Expecting ',' delimiter at column 22)"),
    ("mixed-modes", "mixed.jsonl", jsonl(M[0], M[1], P[2], M[3]), "dataset_file",
     "line 3: this row is in prompt mode but line 1 is in metadata mode; use one mode per file"),
    ("three-rows", "three.jsonl", jsonl(*P[:3]), "dataset_file",
     "has 3 rows; the platform needs at least 4"),
    ("missing-label-column", "nolabel.csv", b"user_prompt,answer\nq1,1\nq2,2\nq3,3\nq4,4\n",
     "dataset_file", "row 1: no ground_truth (or its alias label) column; a prompt-mode dataset "
     "needs user_prompt and ground_truth, a metadata-mode dataset needs a metadata column "
     "(columns found: user_prompt, answer)"),
    ("empty-metadata", "emptymeta.jsonl", jsonl(M[0], {"metadata": {}}, M[2], M[3]),
     "dataset_file", "line 2: metadata is an empty object {}; metadata mode needs a non-empty "
     "JSON object in every row"),
    ("inconsistent-keys", "keys.jsonl", jsonl(*P[:3], {**P[3], "id": 4}, P[4]), "dataset_file",
     "line 4: keys differ from line 1 (extra id); every row must have the same keys"),
    ("binary", "image.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
     "dataset_file", "is a binary file, not JSONL text (it contains NUL bytes; UTF-16 text "
     "looks like this too: save it as UTF-8)"),
    ("empty-file", "empty.csv", b"", "dataset_file", "the file is empty (0 bytes)"),
    ("bom-utf16", "powershell.jsonl", "\ufeff".encode("utf-16-le") + jsonl(*P[:4]).decode()
     .encode("utf-16-le"), "dataset_file",
     "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8"),
    ("crlf-bad-row", "crlf.jsonl", CRLF_BAD, "dataset_file",
     "line 3: not valid JSON (Expecting ',' delimiter at column 21)"),
    ("huge-file", "", "huge", "dataset_file", ""),  # message built from the generated file
    ("enormous-line", "", "enormous", "dataset_file",
     "line 2: the line is longer than 16 MiB, the most one row may hold here"),
    ("non-utf8", "latin1.jsonl", jsonl(*P[:2]) + '{"user_prompt": "café", "ground_truth": "3"}\n'
     .encode("latin-1") + jsonl(P[3]), "dataset_file",
     "line 3: is not valid UTF-8 (byte 0xe9 at byte 21 of the line); save the file as UTF-8"),
    ("mode-mismatch", "meta.jsonl", jsonl(*M[:4]), "dataset_mode",
     "dataset_mode 'prompt' does not match dataset_file meta.jsonl, which is in metadata mode "
     "(it has a metadata column); choose metadata"),
    ("metadata-field-missing", "fields.jsonl", jsonl(*M[:4]), "metadata_prompt_field",
     "no row of dataset_file fields.jsonl has the metadata key 'questoin' (its metadata keys: "
     "question, answer)"),
]
EXTRA_ANSWERS = {"mode-mismatch": {"dataset_mode": "prompt"},
                 "metadata-field-missing": {"dataset_mode": "metadata",
                                            "metadata_prompt_field": "questoin"}}


@pytest.mark.parametrize(("case", "name", "content", "question", "expected"), COPIER_BAD,
                         ids=[c[0] for c in COPIER_BAD])
def test_copier_rejects_bad_file_and_writes_nothing(
        case: str, name: str, content: bytes | str, question: str, expected: str,
        tmp_path: Path, template_repo: Path, big_files: BigFiles,
        monkeypatch: pytest.MonkeyPatch) -> None:
    if isinstance(content, str):  # a generated big file, named by its absolute path
        name = str(getattr(big_files, content))
        if content == "huge":
            expected = (f"line {big_files.huge_last_line}: not valid JSON (Expecting property "
                        f"name enclosed in double quotes at column 42)")
    else:
        (tmp_path / name).write_bytes(content)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(tmp_path)  # relative answers are relative to where the user runs copier
    dest = tmp_path / "workspace"
    answers = {"workspace_name": "demo", "dataset_file": name, **EXTRA_ANSWERS.get(case, {})}

    with pytest.raises(ValueError) as caught:
        render(dest, answers, src=template_repo, vcs_ref=V1)

    message = expected if question != "dataset_file" else f"dataset_file {name}: {expected}"
    assert str(caught.value) == f"Validation error for question '{question}': {message}"
    assert not dest.exists()
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_file_broken_after_the_prompt_fails_the_task_and_writes_nothing(
        tmp_path: Path, template_repo: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """The import step checks every row again: a file changed since the prompt fails the task,
    and Copier (cleanup_on_error) removes the new workspace."""
    source = _copy(DATA / "prompt.jsonl", tmp_path / "rows.jsonl")
    python = tmp_path / "python-that-breaks-the-file"  # `_copier_python` is sys.executable
    python.write_text(f'#!/bin/sh\nprintf \'{{oops\\n\' >> "$3"\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(sys, "executable", str(python))
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    dest = tmp_path / "workspace"

    with pytest.raises(TaskError):
        render(dest, {"workspace_name": "demo", "dataset_file": str(source)}, src=template_repo,
               vcs_ref=V1)

    assert capfd.readouterr().err.endswith(
        f"dataset_file {source}: line 6: not valid JSON (Expecting property name enclosed in "
        f"double quotes at column 2)\n")
    assert not dest.exists()
    assert list(scratch.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Copier round trips: good files in both modes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Imported:
    workspace: Path
    answer: str
    answers: dict[str, Any]
    expected_rows: list[dict[str, Any]]
    mode: str
    fields: tuple[str, str] | None


def _parquet_source(folder: Path) -> Path | None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    path = folder / "tickets.parquet"
    pq.write_table(pa.Table.from_pylist(read_rows(DATA / "metadata.jsonl")), path)
    return path


#: case -> (how to make the source in a folder; the answer; expected rows; mode; fields)
ROUND_TRIPS: dict[str, tuple[Callable[[Path], Path | None], Callable[[Path], str], Callable[[],
                  list[dict[str, Any]]], str, tuple[str, str] | None]] = {
    "jsonl-prompt": (lambda d: _copy(DATA / "prompt.jsonl", d / "gsm.jsonl"),
                     lambda p: p.name, lambda: read_rows(DATA / "prompt.jsonl"), "prompt", None),
    "jsonl-metadata": (lambda d: _copy(DATA / "metadata.jsonl", d / "tickets.jsonl"),
                       lambda p: f"./{p.name}", lambda: read_rows(DATA / "metadata.jsonl"),
                       "metadata", ("question", "expected_answer")),
    "csv-prompt-excel": (lambda d: _write(d / "Export (Excel).csv", excel_csv(
                             (DATA / "prompt.csv").read_text(encoding="utf-8"))),
                         lambda p: p.name, lambda: csv_rows(DATA / "prompt.csv"), "prompt", None),
    "csv-metadata": (lambda d: _copy(DATA / "metadata.csv", d / "arith.csv"), lambda p: p.name,
                     lambda: csv_rows(DATA / "metadata.csv"), "metadata", ("input", "output")),
    "parquet-metadata": (_parquet_source, str, lambda: read_rows(DATA / "metadata.jsonl"),
                         "metadata", ("question", "expected_answer")),
}


def _copy(src: Path, dest: Path) -> Path:
    dest.write_bytes(src.read_bytes())
    return dest


def _write(dest: Path, content: bytes) -> Path:
    dest.write_bytes(content)
    return dest


@dataclass(frozen=True)
class Validated:
    imports: dict[str, tuple[Imported, OsmosisResult]]
    raw: dict[str, OsmosisResult]  # the CLI's own opinion on unconverted BOM and CRLF files


#: Unconverted files for `osmosis dataset validate` itself: BOM (JSONL, Excel CSV), CRLF, CR.
RAW_FILES: dict[str, Callable[[], bytes]] = {
    "bom.jsonl": lambda: b"\xef\xbb\xbf" + (DATA / "prompt.jsonl").read_bytes(),
    "bom-crlf.csv": lambda: excel_csv((DATA / "prompt.csv").read_text(encoding="utf-8")),
    "crlf.jsonl": lambda: (DATA / "prompt.jsonl").read_bytes().replace(b"\n", b"\r\n"),
    "cr.csv": lambda: (DATA / "metadata.csv").read_bytes().replace(b"\n", b"\r"),
}


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory, template_repo: Path,
              osmosis: Osmosis) -> Validated:
    """Every round trip rendered once; then one osmosis process validates all the files."""
    done: dict[str, Imported] = {}
    for case, (make, answer, rows, mode, fields) in ROUND_TRIPS.items():
        folder = tmp_path_factory.mktemp(f"import-{case}")
        source = make(folder)
        if source is None:
            continue  # Parquet without pyarrow
        dest = folder / "out" / "workspace"
        with chdir(folder):
            render(dest, {"workspace_name": "demo", "dataset_name": "my_data",
                          "dataset_file": answer(source), "include_examples": False},
                   src=template_repo, vcs_ref=V1)
        done[case] = Imported(dest, answer(source), answers_of(dest), rows(), mode, fields)
    raw_dir = tmp_path_factory.mktemp("raw-datasets")
    raw = [_write(raw_dir / name, make()) for name, make in RAW_FILES.items()]
    results = validate_many(osmosis, [*(i.workspace / "data" / "my_data.jsonl"
                                        for i in done.values()), *raw])
    return Validated(
        imports={case: (item, result) for (case, item), result in zip(done.items(), results,
                                                                      strict=False)},
        raw={path.name: result for path, result in zip(raw, results[len(done):], strict=True)},
    )


@pytest.mark.osmosis
@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
def test_round_trip(case: str, validated: Validated) -> None:
    if case not in validated.imports:
        pytest.skip("pyarrow is not installed")
    item, validation = validated.imports[case]
    data = item.workspace / "data"
    target = data / "my_data.jsonl"
    assert sorted(p.name for p in data.iterdir()) == [".gitkeep", "my_data.jsonl"]
    assert read_rows(target) == item.expected_rows
    assert_clean_jsonl(target)
    assert item.answers["dataset_mode"] == item.mode
    assert item.answers["dataset_file"] == item.answer  # stored as given
    if item.fields:
        assert (item.answers["metadata_prompt_field"],
                item.answers["metadata_answer_field"]) == item.fields
        # ...and the workflow and the grader read those keys.
        assert wired_fields(item.workspace) == {"PROMPT_FIELD": item.fields[0],
                                                "ANSWER_FIELD": item.fields[1]}
    else:
        assert "metadata_prompt_field" not in item.answers
    assert_osmosis_valid(validation)


@pytest.mark.osmosis
def test_osmosis_rejects_raw_bom_and_accepts_crlf_and_cr(validated: Validated) -> None:
    """Why the import strips a BOM: `osmosis dataset validate` rejects it (CRLF, CR it accepts).

    The converted copies of such files pass: see the csv-prompt-excel round trip.
    """
    bom_jsonl, bom_csv = validated.raw["bom.jsonl"], validated.raw["bom-crlf.csv"]
    assert bom_jsonl.error_code == "VALIDATION"
    assert "Unexpected UTF-8 BOM" in bom_jsonl.payload["error"]["message"]
    assert bom_csv.error_code == "VALIDATION"  # the BOM sticks to the first column's name
    assert "Missing required columns: user_prompt" in bom_csv.payload["error"]["message"]
    assert_osmosis_valid(validated.raw["crlf.jsonl"])
    assert_osmosis_valid(validated.raw["cr.csv"])


# ---------------------------------------------------------------------------------------------
# Update: the stored path is gone, the data is the user's
# ---------------------------------------------------------------------------------------------


def test_update_after_import_never_touches_the_data(tmp_path: Path, template_repo: Path) -> None:
    template = tmp_path / "template"
    git("clone", "-q", str(template_repo), str(template), cwd=tmp_path)
    source = _copy(DATA / "metadata.jsonl", tmp_path / "tickets.jsonl")
    ws = render(tmp_path / "ws", {"workspace_name": "demo", "dataset_file": str(source)},
                src=template, vcs_ref=V1)
    git_init_commit(ws, origin=None)
    imported_bytes = (ws / "data" / "demo.jsonl").read_bytes()
    source.unlink()  # the original file is long gone when the template updates

    # The starter rows change upstream (the sample-row file may or may not end in .jinja).
    (starter,) = (template / "template" / "data").glob("{{dataset_name}}.jsonl*")
    starter.write_text(starter.read_text() + '{"user_prompt": "new", "ground_truth": "1"}\n')
    commit_all(template, "Template v1.1: more starter rows", V2)
    copier.run_update(str(ws), overwrite=True, defaults=True, unsafe=True, vcs_ref=V2, quiet=True)

    assert (ws / "data" / "demo.jsonl").read_bytes() == imported_bytes
    status = git("status", "--porcelain", cwd=ws).stdout.splitlines()
    assert sorted(status) == sorted(f" M {p}" for p in (".copier-answers.yml", *VERSION_BEARING))
    answers = answers_of(ws)
    assert answers["_commit"] == V2 and answers["dataset_file"] == str(source)
    assert answers["dataset_mode"] == "metadata"
    assert answers["metadata_answer_field"] == "expected_answer"
    assert not list(ws.rglob("*.rej"))
