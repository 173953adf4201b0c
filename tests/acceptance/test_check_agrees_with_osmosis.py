"""``check`` and the real osmosis CLI agree: same verdicts on every good render and every broken
case that names a ``judge``, the same words where we port osmosis' messages, and, for datasets,
the same place (line or row): our dataset words are the contract's, one wording for ``check``
and the import (docs/decisions/0008-one-dataset-contract.md).

Split from tests/integration/test_check.py (which checks our verdicts alone). One batch
(``Osmosis.run_many``) runs every job: the good renders (doctor, every submit dry-run, dataset
validate) and the judged broken cases, whose ``dataset validate`` answers also serve the
line-for-line comparison (once two tests, each paying for its own batch).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.check_cases import BENCH, CASES, broken_copy, found
from support.helpers import Osmosis, OsmosisJob, OsmosisResult, committed_copy, osmosis_job
from support.workspace_api_helpers import error_text, submit_passed

from osmosis_workspace.checks import check_workspace, datasets
from osmosis_workspace.checks.model import CheckContext

JUDGED = [c for c in CASES if c.judge]


def _good_jobs(
    renders: dict[str, Path], work: Path
) -> tuple[list[OsmosisJob], list[tuple[str, str]]]:
    """Every osmosis command a good render must pass, with (render, judge) labels."""
    jobs, labels = [], []
    for name, render in renders.items():
        good = committed_copy(render, work / f"good-{name}")
        assert check_workspace(good).ok
        jobs += [
            osmosis_job(good, "doctor"),
            osmosis_job(good, "benchmark", "submit", BENCH, submit=True),
        ]
        labels += [(name, "doctor"), (name, "benchmark")]
        for kind, folder in (("eval", "eval"), ("train", "training")):
            for config in sorted((good / "configs" / folder).glob("*.toml")):
                if config.name != "default.toml":
                    rel = config.relative_to(good).as_posix()
                    jobs.append(osmosis_job(good, kind, "submit", rel, submit=True))
                    labels.append((name, kind))
        for data in sorted((good / "data").glob("*.jsonl")):
            jobs.append(osmosis_job(good, "dataset", "validate", data.relative_to(good).as_posix()))
            labels.append((name, "dataset"))
    return jobs, labels


def _osmosis_passed(judge: str, result: OsmosisResult) -> bool:
    if judge in ("eval", "train", "benchmark"):
        return submit_passed(result)
    if judge == "doctor":
        return result.code == 0 and bool(result.payload.get("resource", {}).get("valid", True))
    return result.code == 0


@pytest.mark.osmosis
def test_osmosis_agrees_on_good_and_broken_workspaces(
    osmosis: Osmosis,
    renders: dict[str, Path],
    default_workspace: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    work = tmp_path_factory.mktemp("agreement")
    jobs, labels = _good_jobs(renders, work)
    broken = [broken_copy(default_workspace, work / case.id, case) for case in JUDGED]
    jobs += [
        osmosis_job(path, *case.judge, submit=case.submit)
        for path, case in zip(broken, JUDGED, strict=True)
    ]
    results = osmosis.run_many(jobs)
    good, judged = results[: len(labels)], results[len(labels) :]

    for (name, judge), result in zip(labels, good, strict=True):
        assert _osmosis_passed(judge, result), (
            f"good {name}: osmosis {judge} said {error_text(result)[:1500]}"
        )
    for path, case, result in zip(broken, JUDGED, judged, strict=True):
        assert not _osmosis_passed(case.judge[0], result), f"broken {case.id}: osmosis passed it"
        ours = check_workspace(path)
        assert found(ours.problems, case)
        if case.shared:
            assert case.shared in error_text(result), f"{case.id}: {error_text(result)[:800]}"
            assert any(case.shared in p.message or case.shared == p.file for p in ours.problems), (
                case.id
            )
        if case.judge[:2] == ("dataset", "validate"):  # the place osmosis names is ours too
            first = result.payload["error"]["message"].splitlines()[1].strip()[2:]
            [mine] = [p.message for p in datasets.check(CheckContext(path))]
            place = re.match(r"(line|row) [0-9]+:", first, re.IGNORECASE)
            assert mine.startswith(place.group(0).lower()) if place else mine, (case.id, first)
