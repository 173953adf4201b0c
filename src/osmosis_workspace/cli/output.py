"""How commands report: one JSON object on stdout (``--json``), or short human text.

With ``--json`` stdout carries exactly one object, success or failure, so a caller parses one
stream; human text goes to stdout for results and stderr for notes, so ``check``'s problem
lines can be piped.

Redaction: every line and every JSON string (keys too) goes through
:func:`~osmosis_workspace.engine.redaction.redact` on the way out, so a credential that reached a
message by any path (a file name, an exception text) is printed as ``[redacted]``. The messages
themselves quote only what is known to be safe: question names, paths the user gave, row and
line numbers; never a value read from a user's file.

    {"schema_version": 1, "command": "update", "ok": false, "exit_code": 6,
     "result": {...}, "error": null}
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any

from osmosis_workspace.engine.redaction import redact, redact_tree
from osmosis_workspace.exit_codes import ExitCode

SCHEMA_VERSION = 1


def envelope(
    command: str, code: int, result: dict[str, Any] | None, error: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "ok": code == ExitCode.OK,
        "exit_code": int(code),
        "result": result,
        "error": error,
    }


def emit_json(payload: dict[str, Any]) -> None:
    safe = redact_tree(payload)
    sys.stdout.write(json.dumps(safe, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def out(line: str = "") -> None:
    sys.stdout.write(redact(line) + "\n")


def err(line: str = "") -> None:
    sys.stdout.flush()  # keep the order of interleaved stdout/stderr lines on a terminal
    sys.stderr.write(redact(line) + "\n")


def bullet_list(title: str, items: Iterable[str], *, stream: Any = None) -> None:
    items = list(items)
    if not items:
        return
    write = stream or out
    write(f"{title}:")
    for item in items:
        write(f"  {item}")


def next_steps(
    path: str, answers: dict[str, Any], files: Iterable[str], *, committed: bool
) -> list[str]:
    """What to do after ``new``, named for this task's rollout, dataset and configs."""
    files = set(files)
    steps = [f"cd {path}"]
    if not committed:
        steps.append(
            'git init && git add -A && git commit -m "Start workspace"  '
            "(osmosis needs the workspace to be a git repository)"
        )
    dataset = answers.get("dataset_name")
    data_file = f"data/{dataset}.jsonl" if dataset else None
    if data_file in files:
        steps.append(
            f"Replace the starter rows in {data_file} with real examples of the task, "
            f"then: osmosis dataset validate {data_file}"
        )
    steps.append(
        "Open the folder with your coding agent (Claude Code, Codex, Cursor...) and "
        "describe what you want; AGENTS.md routes it to the skills in .agents/skills"
    )
    rollout = answers.get("rollout_name")
    eval_config = f"configs/eval/{rollout}.toml" if rollout else None
    if eval_config in files:
        run = f"osmosis eval run {eval_config}"
        if data_file in files:
            run += f" --dataset-file {data_file}"
        steps.append(f"Try the starter rollout rollouts/{rollout}/ locally: {run}")
    steps.append(
        "Connect it to the Osmosis platform: push it to the GitHub repository linked "
        "to your Osmosis workspace (git remote add origin ...; git push -u origin main)"
    )
    steps.append("Check it any time, offline: osmosis-workspace check")
    return steps
