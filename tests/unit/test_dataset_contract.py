"""One dataset contract: the import task and ``check`` give the same verdict and the same words.

Every file of the corpus goes through the three adapters of ``extensions/dataset_contract.py``:
the import step as ``copier.yml``'s task runs it (``datasets.py import``), the questionnaire's
filter (``dataset_file_problem``) and ``osmosis-workspace check`` (``checks.datasets``). Each rule
is tested on both sides of its boundary. No git, no Copier, no osmosis venv.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.helpers import ROOT, load_by_path

from osmosis_workspace.checks.datasets import check
from osmosis_workspace.checks.model import CheckContext

SECRET = "sk-proj-" + "Q7xZ" * 8  # shaped like an OpenAI project key
GITHUB = "ghp_" + "a1B2" * 9


def _load() -> Any:
    return load_by_path("contract_under_test", ROOT / "extensions" / "datasets.py")


ds = _load()
C = ds.CONTRACT


def jsonl(*rows: Any) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


def prompt(i: int, **extra: Any) -> dict[str, Any]:
    return {"user_prompt": f"q{i}", "ground_truth": str(i), **extra}


def meta(i: int, **keys: Any) -> dict[str, Any]:
    return {"metadata": {"question": f"q{i}", "answer": str(i), **keys}}


def four_meta(n: Any, m: Any = None) -> bytes:
    """Four metadata rows; the first holds ``n`` under key ``n``, the second ``m`` if given."""
    second = meta(2, n=m) if m is not None else meta(2)
    return jsonl(meta(1, n=n), second, meta(3), meta(4))


BIG = "x" * 2100  # four rows of this fill the 8 KiB a reader sniffs first

#: (case, file name, content, the problem after the file's name; "" = the file passes)
CORPUS: list[tuple[str, str, bytes, str]] = [
    ("rows-4", "a.jsonl", jsonl(*map(prompt, range(4))), ""),
    ("rows-3", "a.jsonl", jsonl(*map(prompt, range(3))), "has 3 rows; the platform needs at "
     "least 4"),
    ("csv-rows-4", "a.csv", b"user_prompt,ground_truth\nq1,1\nq2,2\nq3,3\nq4,4\n", ""),
    ("csv-rows-3", "a.csv", b"user_prompt,ground_truth\nq1,1\nq2,2\nq3,3\n", "has 3 rows; the "
     "platform needs at least 4"),
    ("int64-max", "a.jsonl", four_meta(2**63 - 1), ""),
    ("int64-min", "a.jsonl", four_meta(-(2**63)), ""),
    ("int64-max-plus-1", "a.jsonl", four_meta(2**63), "line 1: metadata.n is an integer too "
     "large to store (it must fit in 64 bits)"),
    ("int64-min-minus-1", "a.jsonl", four_meta([-(2**63) - 1]), "line 1: metadata.n[] is an "
     "integer too large to store (it must fit in 64 bits)"),
    ("label-alias", "a.jsonl", jsonl(*({"user_prompt": f"q{i}", "label": "1"} for i in range(4))),
     ""),
    ("no-label-column", "a.jsonl", jsonl(*({"user_prompt": "q", "answer": "1"},) * 4), "line 1: "
     "no ground_truth (or its alias label) column; a prompt-mode dataset needs user_prompt and "
     "ground_truth, a metadata-mode dataset needs a metadata column (columns found: "
     "user_prompt, answer)"),
    ("empty-label", "a.jsonl", jsonl(*({"user_prompt": "q", "label": ""},) * 4), "line 1: label "
     "is empty; every prompt-mode row needs the expected answer"),
    ("int-then-float", "a.jsonl", four_meta(1, 2.5), ""),
    ("null-then-string", "a.jsonl", four_meta("a", None), ""),
    ("int-then-string", "a.jsonl", four_meta(1, "1"), "line 2: metadata.n is a string here but "
     "a number in line 1; each metadata key needs one JSON type in every row"),
    ("bad-json", "a.jsonl", jsonl(*map(prompt, range(4))) + b'{"user_prompt": "q",}\n', "line 5: "
     "not valid JSON (Expecting property name enclosed in double quotes at column 21)"),
    ("nested-empty", "a.jsonl", four_meta({"a": {}}), "line 1: metadata.n.a is an empty object "
     "{}, which the platform cannot store; remove it or give it a key"),
    ("keys-differ", "a.jsonl", jsonl(prompt(1), prompt(2), prompt(3, id=3), prompt(4)), "line 3: "
     "keys differ from line 1 (extra id); every row must have the same keys"),
    ("empty-file", "a.csv", b"", "the file is empty (0 bytes)"),
    ("secret-column-twice", "a.csv", f"user_prompt,{SECRET},{SECRET}\n".encode(), "row 1: the "
     "header names column [redacted] twice"),
    ("secret-metadata-key", "a.jsonl", jsonl({"metadata": {GITHUB: 1}},
                                             {"metadata": {GITHUB: "x"}}),
     "line 2: [redacted] is a string here but a number in line 1; each metadata key needs one "
     "JSON type in every row"),
]  # fmt: skip


def _check(root: Path) -> list[str]:
    return [f"{p.file}: {p.message}" for p in check(CheckContext(root))]


def _import(src: Path, dest: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = ds.main(["import", str(src), str(dest), str(src), "quiet"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS]
)
def test_import_filter_and_check_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, expected: str
) -> None:
    src = tmp_path / "ws" / "data" / name
    src.parent.mkdir(parents=True)
    src.write_bytes(content)
    dest = tmp_path / "out" / "x.jsonl"
    code, err = _import(src, dest, capsys)
    checked = _check(tmp_path / "ws")
    if expected:
        line = f"dataset_file {src}: {expected}"
        assert (code, err) == (1, line + "\n")
        assert ds.dataset_file_problem(str(src)) == line
        assert checked == [f"data/{name}: {expected}"]
        assert not dest.exists() and not list(dest.parent.iterdir())
    else:
        assert (code, err, checked) == (0, "", [])
        assert ds.dataset_file_problem(str(src)) == ""
        assert dest.exists()
    assert SECRET not in err + "".join(checked) and GITHUB not in err + "".join(checked)


def test_size_cap_boundary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """At the cap the file is read (its fifth line is refused); one byte over, it is not."""
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    at_cap, over = ws / "data" / "at.jsonl", ws / "data" / "over.jsonl"
    for path, size in ((at_cap, C.MAX_FILE_BYTES), (over, C.MAX_FILE_BYTES + 1)):
        with path.open("wb") as out:
            out.write(jsonl(*(prompt(i, pad=BIG) for i in range(4))) + b"{oops\n")
            out.truncate(size)  # sparse: no disk is used
    too_long = (
        "line 5: not valid JSON (Expecting property name enclosed in double quotes at column 2)"
    )
    too_big = (
        "the file is 5.0 GiB (5368709121 bytes); the platform accepts at most 5.0 GiB "
        "(5368709120 bytes)"
    )
    for path, expected in ((at_cap, too_long), (over, too_big)):
        code, err = _import(path, tmp_path / "out.jsonl", capsys)
        assert (code, err) == (1, f"dataset_file {path}: {expected}\n")
    assert sorted(_check(ws)) == [f"data/at.jsonl: {too_long}", f"data/over.jsonl: {too_big}"]


def test_rows_give_the_same_problems_as_a_file(tmp_path: Path) -> None:
    """The entry point takes parsed rows too (the platform backend's case): same rules, words."""
    rows = [meta(1, n=1), meta(2, n="1"), meta(3), meta(4)]
    assert C.problems(rows=rows, display="upload") == [
        C.Problem(
            "upload",
            "row 2",
            "metadata.n",
            "row 2: metadata.n is a string here but a number in "
            "row 1; each metadata key needs one JSON type in every row",
        )
    ]
    assert C.problems(rows=rows[2:]) == [
        C.Problem("rows", "", "", "has 2 rows; the platform needs at least 4")
    ]
    assert C.problems(rows=[prompt(i) for i in range(4)]) == []
    path = tmp_path / "a.jsonl"
    path.write_bytes(jsonl(*rows))
    [problem] = C.problems(path, display="data/a.jsonl")
    assert (problem.file, problem.where, problem.field) == ("data/a.jsonl", "line 2", "metadata.n")


@pytest.mark.parametrize(
    ("name", "content", "in_place", "note"),
    [
        (
            "bom.jsonl",
            b"\xef\xbb\xbf" + jsonl(*map(prompt, range(4))),
            "starts with a UTF-8 byte-order mark, which the platform's validator refuses; save it "
            "as UTF-8 without one (a workspace import removes it for you)",
            "removed the UTF-8 byte-order mark",
        ),
        (
            "blank.csv",
            b"user_prompt,ground_truth\nq1,1\n\nq2,2\nq3,3\nq4,4\n",
            "row 3: is a blank line, which the platform's validator counts as a row without "
            "values; delete it",
            None,
        ),
    ],
)
def test_what_the_import_normalises_check_reports(
    tmp_path: Path, name: str, content: bytes, in_place: str, note: str | None
) -> None:
    """The one deliberate difference: the import rewrites the file, ``check`` reads the file
    that will be uploaded as it is."""
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / name).write_bytes(content)
    summary = ds.import_dataset(ws / "data" / name, tmp_path / "out.jsonl")
    assert summary.rows == 4 and summary.notes == ([note] if note else [])
    assert _check(ws) == [f"data/{name}: {in_place}"]


def test_check_and_the_template_load_one_contract() -> None:
    """No rule lives in the adapters: their source holds none of the contract's numbers."""
    for rel in ("extensions/datasets.py", "src/osmosis_workspace/checks/datasets.py"):
        text = (ROOT / rel).read_text(encoding="utf-8")
        for fact in ("2**63", "1024**3", "at least", "64 bits", "one JSON type", "alias"):
            assert fact not in text, (rel, fact)


def test_questionnaire_messages_never_echo_a_credential(tmp_path: Path) -> None:
    """The filters that list a file's metadata keys redact them like every contract message."""
    path = tmp_path / "m.jsonl"
    path.write_bytes(jsonl(*({"metadata": {"question": "q", GITHUB: "a"}} for _ in range(4))))
    assert ds.metadata_field_missing(str(path), "answer") == (
        f"no row of dataset_file {path} has the metadata key 'answer' (its metadata keys: "
        "question, [redacted]"
    )
