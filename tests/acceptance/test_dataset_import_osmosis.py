"""Dataset import round trips judged by the real ``osmosis dataset validate``.

Real workspaces are rendered with Copier (``helpers.render``) from a tagged copy of this
repository's template files; JSONL, CSV and Parquet files are imported in both modes, and the
imported file, the stored answers and ``osmosis dataset validate`` on the result are checked.
The CLI's own verdict on raw BOM and CRLF files shows why the import normalises them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.dataset_files import (
    DATA,
    V1,
    answers_of,
    assert_clean_jsonl,
    chdir,
    copy_file,
    csv_rows,
    dataset_template_repo,
    excel_csv,
    read_rows,
    wired_fields,
    write_file,
)
from support.helpers import Osmosis, OsmosisResult, render


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dataset_template_repo(tmp_path_factory)


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
ROUND_TRIPS: dict[
    str,
    tuple[
        Callable[[Path], Path | None],
        Callable[[Path], str],
        Callable[[], list[dict[str, Any]]],
        str,
        tuple[str, str] | None,
    ],
] = {
    "jsonl-prompt": (
        lambda d: copy_file(DATA / "prompt.jsonl", d / "gsm.jsonl"),
        lambda p: p.name,
        lambda: read_rows(DATA / "prompt.jsonl"),
        "prompt",
        None,
    ),
    "jsonl-metadata": (
        lambda d: copy_file(DATA / "metadata.jsonl", d / "tickets.jsonl"),
        lambda p: f"./{p.name}",
        lambda: read_rows(DATA / "metadata.jsonl"),
        "metadata",
        ("question", "expected_answer"),
    ),
    "csv-prompt-excel": (
        lambda d: write_file(
            d / "Export (Excel).csv", excel_csv((DATA / "prompt.csv").read_text(encoding="utf-8"))
        ),
        lambda p: p.name,
        lambda: csv_rows(DATA / "prompt.csv"),
        "prompt",
        None,
    ),
    "csv-metadata": (
        lambda d: copy_file(DATA / "metadata.csv", d / "arith.csv"),
        lambda p: p.name,
        lambda: csv_rows(DATA / "metadata.csv"),
        "metadata",
        ("input", "output"),
    ),
    "parquet-metadata": (
        _parquet_source,
        str,
        lambda: read_rows(DATA / "metadata.jsonl"),
        "metadata",
        ("question", "expected_answer"),
    ),
}


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
def validated(
    tmp_path_factory: pytest.TempPathFactory, template_repo: Path, osmosis: Osmosis
) -> Validated:
    """Every round trip rendered once; then one osmosis process validates all the files."""
    done: dict[str, Imported] = {}
    for case, (make, answer, rows, mode, fields) in ROUND_TRIPS.items():
        folder = tmp_path_factory.mktemp(f"import-{case}")
        source = make(folder)
        if source is None:
            continue  # Parquet without pyarrow
        dest = folder / "out" / "workspace"
        with chdir(folder):
            render(
                dest,
                {
                    "workspace_name": "demo",
                    "dataset_name": "my_data",
                    "dataset_file": answer(source),
                    "include_examples": False,
                },
                src=template_repo,
                vcs_ref=V1,
            )
        done[case] = Imported(dest, answer(source), answers_of(dest), rows(), mode, fields)
    raw_dir = tmp_path_factory.mktemp("raw-datasets")
    raw = [write_file(raw_dir / name, make()) for name, make in RAW_FILES.items()]
    results = validate_many(
        osmosis, [*(i.workspace / "data" / "my_data.jsonl" for i in done.values()), *raw]
    )
    return Validated(
        imports={
            case: (item, result)
            for (case, item), result in zip(done.items(), results, strict=False)
        },
        raw={path.name: result for path, result in zip(raw, results[len(done) :], strict=True)},
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
        assert (
            item.answers["metadata_prompt_field"],
            item.answers["metadata_answer_field"],
        ) == item.fields
        # ...and the workflow and the grader read those keys.
        assert wired_fields(item.workspace) == {
            "PROMPT_FIELD": item.fields[0],
            "ANSWER_FIELD": item.fields[1],
        }
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
