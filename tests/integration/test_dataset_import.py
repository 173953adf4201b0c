"""Dataset import through Copier (issue #3): bad files, a file broken after the prompt, update.

* The bad-file table renders each broken file through Copier and asserts the exact validator
  message, that the destination was never created and that Copier left no temp directory.
* Memory is measured in a subprocess streaming a 128 MiB file (twice the bound the test allows
  peak memory to grow by) and one with a 100 MB line.
* An update after the source file vanished must succeed and leave the imported data alone.

The filters and the import step on small files are unit tests
(``tests/unit/test_dataset_import_filters.py``); round trips checked by ``osmosis dataset
validate`` are acceptance tests (``tests/acceptance/test_dataset_import_osmosis.py``). Big and
binary files are generated here; ``tests/data/datasets/`` only holds small text files.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest
from copier.errors import TaskError
from support.dataset_files import (
    DATA,
    EXTENSION,
    V1,
    V2,
    M,
    P,
    answers_of,
    copy_file,
    dataset_template_repo,
    jsonl,
)
from support.helpers import VERSION_BEARING, git, git_init_commit, render
from support.workspace_api_helpers import commit_all


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dataset_template_repo(tmp_path_factory)


# ---------------------------------------------------------------------------------------------
# Huge files: bounded memory, first error only
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BigFiles:
    huge: Path  # ~128 MiB of valid rows, then one broken last line
    huge_last_line: int
    enormous: Path  # a 100 MB line


@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigFiles]:
    folder = tmp_path_factory.mktemp("big-datasets")
    line = (json.dumps({"user_prompt": "x" * 4000, "ground_truth": "1"}) + "\n").encode()
    count = 128 * 1024 * 1024 // len(line)
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
        (
            big_files.huge,
            f"line {big_files.huge_last_line}",
            "not valid JSON (Expecting property name enclosed in double quotes at column 42)",
        ),
        (
            big_files.enormous,
            "line 2",
            "the line is longer than 16 MiB, the most one row may hold here",
        ),
    ):
        out = tmp_path / "data" / "out.jsonl"
        probe = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(EXTENSION.parent), str(path), str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        checked, converted, grown_mib = probe.stdout.splitlines()
        assert checked == f"dataset_file {path}: {where}: {problem}"
        assert converted == f"{where}: {problem}"
        assert int(grown_mib) < 64, f"peak memory grew by {grown_mib} MiB reading {path.name}"
        assert list(out.parent.iterdir()) == []  # the partial output was removed


# ---------------------------------------------------------------------------------------------
# Copier: bad files give one clear error and leave nothing behind
# ---------------------------------------------------------------------------------------------

CRLF_BAD = (
    jsonl(*P[:2], newline="\r\n")
    + b'{"user_prompt": "q" "ground_truth": "3"}\r\n'
    + jsonl(*P[3:5], newline="\r\n")
)

#: (case, file name, content or a BigFiles attribute, question, expected validator message)
COPIER_BAD: list[tuple[str, str, bytes | str, str, str]] = [
    (
        "invalid-json-line",
        "bad.jsonl",
        jsonl(*P[:2]) + b'{"user_prompt": "q3" "ground_truth": "3"}\n' + jsonl(*P[3:5]),
        "dataset_file",
        "line 3: not valid JSON (Expecting ',' delimiter at column 22)",
    ),
    (
        "mixed-modes",
        "mixed.jsonl",
        jsonl(M[0], M[1], P[2], M[3]),
        "dataset_file",
        "line 3: this row is in prompt mode but line 1 is in metadata mode; use one mode per file",
    ),
    (
        "three-rows",
        "three.jsonl",
        jsonl(*P[:3]),
        "dataset_file",
        "has 3 rows; the platform needs at least 4",
    ),
    (
        "missing-label-column",
        "nolabel.csv",
        b"user_prompt,answer\nq1,1\nq2,2\nq3,3\nq4,4\n",
        "dataset_file",
        "row 1: no ground_truth (or its alias label) column; a prompt-mode dataset "
        "needs user_prompt and ground_truth, a metadata-mode dataset needs a metadata column "
        "(columns found: user_prompt, answer)",
    ),
    (
        "empty-metadata",
        "emptymeta.jsonl",
        jsonl(M[0], {"metadata": {}}, M[2], M[3]),
        "dataset_file",
        "line 2: metadata is an empty object {}; metadata mode needs a non-empty "
        "JSON object in every row",
    ),
    (
        "inconsistent-keys",
        "keys.jsonl",
        jsonl(*P[:3], {**P[3], "id": 4}, P[4]),
        "dataset_file",
        "line 4: keys differ from line 1 (extra id); every row must have the same keys",
    ),
    (
        "binary",
        "image.jsonl",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "dataset_file",
        "is a binary file, not JSONL text (it contains NUL bytes; UTF-16 text "
        "looks like this too: save it as UTF-8)",
    ),
    ("empty-file", "empty.csv", b"", "dataset_file", "the file is empty (0 bytes)"),
    (
        "bom-utf16",
        "powershell.jsonl",
        "\ufeff".encode("utf-16-le") + jsonl(*P[:4]).decode().encode("utf-16-le"),
        "dataset_file",
        "is UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8",
    ),
    (
        "crlf-bad-row",
        "crlf.jsonl",
        CRLF_BAD,
        "dataset_file",
        "line 3: not valid JSON (Expecting ',' delimiter at column 21)",
    ),
    ("huge-file", "", "huge", "dataset_file", ""),  # message built from the generated file
    (
        "enormous-line",
        "",
        "enormous",
        "dataset_file",
        "line 2: the line is longer than 16 MiB, the most one row may hold here",
    ),
    (
        "non-utf8",
        "latin1.jsonl",
        jsonl(*P[:2])
        + '{"user_prompt": "café", "ground_truth": "3"}\n'.encode("latin-1")
        + jsonl(P[3]),
        "dataset_file",
        "line 3: is not valid UTF-8 (byte 0xe9 at byte 21 of the line); save the file as UTF-8",
    ),
    (
        "mode-mismatch",
        "meta.jsonl",
        jsonl(*M[:4]),
        "dataset_mode",
        "dataset_mode 'prompt' does not match dataset_file meta.jsonl, which is in metadata mode "
        "(it has a metadata column); choose metadata",
    ),
    (
        "metadata-field-missing",
        "fields.jsonl",
        jsonl(*M[:4]),
        "metadata_prompt_field",
        "no row of dataset_file fields.jsonl has the metadata key 'questoin' (its metadata keys: "
        "question, answer)",
    ),
]
EXTRA_ANSWERS = {
    "mode-mismatch": {"dataset_mode": "prompt"},
    "metadata-field-missing": {"dataset_mode": "metadata", "metadata_prompt_field": "questoin"},
}


@pytest.mark.parametrize("bad", COPIER_BAD, ids=[c[0] for c in COPIER_BAD])
def test_copier_rejects_bad_file_and_writes_nothing(
    bad: tuple[str, str, bytes | str, str, str],
    tmp_path: Path,
    template_repo: Path,
    big_files: BigFiles,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case, name, content, question, expected = bad
    if isinstance(content, str):  # a generated big file, named by its absolute path
        name = str(getattr(big_files, content))
        if content == "huge":
            expected = (
                f"line {big_files.huge_last_line}: not valid JSON (Expecting property "
                f"name enclosed in double quotes at column 42)"
            )
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
    tmp_path: Path,
    template_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The import step checks every row again: a file changed since the prompt fails the task,
    and Copier (cleanup_on_error) removes the new workspace."""
    source = copy_file(DATA / "prompt.jsonl", tmp_path / "rows.jsonl")
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
        render(
            dest,
            {"workspace_name": "demo", "dataset_file": str(source)},
            src=template_repo,
            vcs_ref=V1,
        )

    assert capfd.readouterr().err.endswith(
        f"dataset_file {source}: line 6: not valid JSON (Expecting property name enclosed in "
        f"double quotes at column 2)\n"
    )
    assert not dest.exists()
    assert list(scratch.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Update: the stored path is gone, the data is the user's
# ---------------------------------------------------------------------------------------------


def test_update_after_import_never_touches_the_data(tmp_path: Path, template_repo: Path) -> None:
    template = tmp_path / "template"
    git("clone", "-q", str(template_repo), str(template), cwd=tmp_path)
    source = copy_file(DATA / "metadata.jsonl", tmp_path / "tickets.jsonl")
    ws = render(
        tmp_path / "ws",
        {"workspace_name": "demo", "dataset_file": str(source)},
        src=template,
        vcs_ref=V1,
    )
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
