"""Run a workspace's held-out split helper (tools/split_dataset.py) as users run it.

Shared by tests/integration/test_split.py and tests/acceptance/test_split_osmosis.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path("tools") / "split_dataset.py"


def split(workspace: Path, dataset: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(workspace / SCRIPT), str(dataset), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def outputs(dataset: Path) -> tuple[Path, Path]:
    return (
        dataset.with_name(f"{dataset.stem}-train.jsonl"),
        dataset.with_name(f"{dataset.stem}-heldout.jsonl"),
    )


def labelled_rows(count: int = 40) -> str:
    """Prompt-mode rows whose answers fall in three uneven classes (20 / 12 / 8)."""
    labels = ["billing"] * 20 + ["shipping"] * 12 + ["technical"] * 8
    rows = [
        {"user_prompt": f"Ticket {i}: route me", "ground_truth": labels[i % len(labels)]}
        for i in range(count)
    ]
    return "".join(json.dumps(row) + "\n" for row in rows)
