"""The starter rollout really runs: `osmosis eval run` against a fake model on 127.0.0.1.

The fake answers a known subset of the dataset rows correctly and the rest wrongly, so the test
predicts the pass rate from the data before the run, and the run must match it exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from support.fake_llm import FakeLLM, last_user_text
from support.helpers import Osmosis, committed_copy

pytestmark = [pytest.mark.osmosis, pytest.mark.slow]


def dataset_rows(workspace: Path, dataset: str) -> list[dict]:
    lines = (workspace / "data" / f"{dataset}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


#: Rows 0 and 1 of the dataset: one answered right, one wrong.
ROWS = range(2)


def test_local_eval_grades_every_row_as_predicted(
    osmosis: Osmosis, renders: dict[str, Path], tmp_path: Path
) -> None:
    """The ``support`` answer set: every name differs from the defaults, the task description
    carries quotes and braces, and the provider's secret comes from a secrets file. The default
    answers render the same rollout code under other names (``test_scaffolds`` runs a custom
    rollout too); each eval run costs about 45 CPU seconds, so one runs here."""
    workspace = committed_copy(renders["support"], tmp_path / renders["support"].name)
    answers = yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))
    rows = dataset_rows(workspace, answers["dataset_name"])[: len(ROWS)]
    # Right answers for the even rows, a wrong number for the odd ones.
    replies = {
        row["user_prompt"]: f"Working...\n#### {row['ground_truth']}"
        if i % 2 == 0
        else "I think it is\n#### 999999"
        for i, row in enumerate(rows)
    }
    expected_pass_rate = sum(1 for i in range(len(rows)) if i % 2 == 0) / len(rows)

    def responder(messages: list[dict], tools: list[dict]) -> str:
        return replies.get(last_user_text(messages), "ready")

    rollout = answers["rollout_name"]
    # The eval config names the user's provider; route it to the fake through LiteLLM's
    # OpenAI-compatible provider so no real endpoint is ever contacted.
    config = workspace / "configs" / "eval" / f"{rollout}.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(f'model_path = "{answers["eval_model"]}"', 'model_path = "openai/fake-model"'),
        encoding="utf-8",
    )
    secrets = tmp_path / "secrets.env"
    secret_names = [line.split('"')[1] for line in text.splitlines() if line.startswith("required")]
    secrets.write_text("".join(f"{name}=sk-fake-not-a-key\n" for name in secret_names))

    with FakeLLM(responder, max_requests=200, max_seconds=300) as fake:
        result = osmosis.eval_run(
            f"configs/eval/{rollout}.toml",
            f"data/{answers['dataset_name']}.jsonl",
            cwd=workspace,
            model_base_url=fake.base_url,
            name="acceptance",
            extra=("--secrets-file", str(secrets), "--rows", f"{ROWS[0]}-{ROWS[-1]}"),
            timeout=400,
        )
        asked = {last_user_text(r["messages"]) for r in fake.completion_requests()}

    assert result.code == 0, result.stderr[-3000:]
    resource = result.payload["resource"]
    assert result.payload["status"] == "success"
    assert resource["total_work_items"] == len(rows)
    assert resource["succeeded"] == len(rows) and resource["failed"] == 0, resource
    metrics = resource["metrics"]
    assert metrics["graded"] == len(rows)
    assert metrics["pass_rate"] == pytest.approx(expected_pass_rate)
    assert metrics["reward_stats"]["mean"] == pytest.approx(expected_pass_rate)
    assert set(replies) <= asked, "every row reached the model"
    assert (workspace / ".osmosis" / "evals" / "acceptance" / "metrics.json").is_file()
