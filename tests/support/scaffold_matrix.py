"""The answer matrix of scaffold choices, and a fake model that plays each combination's task.

Kept apart from the tests so the hardening and benchmark suites can walk the same renders.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.fake_llm import ToolCall, last_user_text

FRAMEWORKS = ["custom", "openai-agents", "strands"]
BACKENDS = ["local", "harbor"]
MODES = ["prompt", "metadata"]
GRADERS = ["exact-match", "numeric", "contains", "regex", "json-match", "llm-judge"]

_SHORT = {
    "custom": "cu",
    "openai-agents": "oa",
    "strands": "st",
    "local": "lo",
    "harbor": "hb",
    "prompt": "p",
    "metadata": "m",
}


@dataclass(frozen=True)
class Combo:
    framework: str
    backend: str
    mode: str
    grader: str

    @property
    def name(self) -> str:
        """A unique, valid workspace and rollout name (unique Python packages across renders)."""
        return "-".join(
            [_SHORT[self.framework], _SHORT[self.backend], _SHORT[self.mode], self.grader]
        )

    @property
    def answers(self) -> dict[str, Any]:
        return {
            "workspace_name": self.name,
            "agent_framework": self.framework,
            "execution_backend": self.backend,
            "dataset_mode": self.mode,
            "grader": self.grader,
            "include_examples": False,
            "skills": ["create-rollouts"],
        }


def pairwise(*factors: list[str]) -> list[tuple[str, ...]]:
    """A small set of rows covering every pair of values of every two factors (greedy)."""
    wanted = {
        (i, a, j, b)
        for i, j in itertools.combinations(range(len(factors)), 2)
        for a in factors[i]
        for b in factors[j]
    }
    rows: list[tuple[str, ...]] = []
    while wanted:
        best = max(
            itertools.product(*factors),
            key=lambda row: sum(
                (i, row[i], j, row[j]) in wanted
                for i, j in itertools.combinations(range(len(row)), 2)
            ),
        )
        rows.append(best)
        wanted -= {(i, best[i], j, best[j]) for i, j in itertools.combinations(range(len(best)), 2)}
    return rows


def all_combos() -> list[Combo]:
    """Full matrix on the local backend, pairwise for the others."""
    combos = [Combo(f, "local", m, g) for f in FRAMEWORKS for m in MODES for g in GRADERS]
    for backend in BACKENDS:
        if backend != "local":
            combos += [Combo(f, backend, m, g) for f, m, g in pairwise(FRAMEWORKS, MODES, GRADERS)]
    return combos


def covering_combos() -> list[Combo]:
    """Rendered combos that hold every framework x backend x mode triple and every pair of any
    two answers (framework, backend, mode, grader): where the expensive checks run.

    Seeded with one combo per triple (the workflow and entrypoint code a rollout runs depend on
    those three), each given the grader that covers the most pairs not yet covered, then topped
    up greedily from the rendered matrix until every pair is in some chosen combo.
    """
    rendered = all_combos()

    def pairs(c: Combo) -> set[tuple[int, str, int, str]]:
        row = (c.framework, c.backend, c.mode, c.grader)
        return {(i, row[i], j, row[j]) for i, j in itertools.combinations(range(4), 2)}

    wanted = set().union(*(pairs(c) for c in rendered))
    chosen: list[Combo] = []
    for f, b, m in itertools.product(FRAMEWORKS, BACKENDS, MODES):
        options = [c for c in rendered if (c.framework, c.backend, c.mode) == (f, b, m)]
        chosen.append(max(options, key=lambda c: len(pairs(c) & wanted)))
        wanted -= pairs(chosen[-1])
    while wanted:
        chosen.append(max(rendered, key=lambda c: len(pairs(c) & wanted)))
        wanted -= pairs(chosen[-1])
    return chosen


def render_matrix(root: Path, template: Path) -> None:
    """Render and commit every combo of :func:`all_combos` into ``root/<name>``.

    Runs Copier with the product's verified speed levers on (``osmosis_workspace.perf``, what
    ``osmosis-workspace new`` renders with), so call it in a process of its own: the levers
    patch Copier and Jinja process-wide. ``test_scaffolds`` checks one render against plain
    Copier byte for byte.
    """
    from osmosis_workspace import perf
    from support.helpers import git_init_commit, render

    perf.enable()
    for combo in all_combos():
        git_init_commit(render(root / combo.name, combo.answers, src=template, vcs_ref=None))


if __name__ == "__main__":
    import sys

    render_matrix(Path(sys.argv[1]), Path(sys.argv[2]))


# ---------------------------------------------------------------------------------------------
# A fake policy (and judge) that knows the sample dataset's answers
# ---------------------------------------------------------------------------------------------


def read_rows(workspace: Path, dataset: str) -> list[dict[str, Any]]:
    text = (workspace / "data" / f"{dataset}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def question_and_answer(row: dict[str, Any], answers: dict[str, Any]) -> tuple[str, int]:
    """The row's question text and the integer its expected answer encodes."""
    if "metadata" in row:
        meta = row["metadata"]
        question = meta[answers.get("metadata_prompt_field", "question")]
        truth = meta[answers.get("metadata_answer_field", "answer")]
    else:
        question, truth = row["user_prompt"], row["ground_truth"]
    number = re.search(r"\d+", json.dumps(truth))
    assert number, f"no number in expected answer {truth!r}"
    return question, int(number.group())


@dataclass
class TaskPlayer:
    """Answers even rows correctly and odd rows wrongly, through one calculator tool call."""

    grader: str
    questions: dict[str, tuple[int, int]]  # question -> (row index, answer)

    @classmethod
    def for_workspace(cls, workspace: Path, answers: dict[str, Any]) -> TaskPlayer:
        rows = read_rows(workspace, answers["dataset_name"])
        table = {}
        for index, row in enumerate(rows):
            question, answer = question_and_answer(row, answers)
            table[question] = (index, answer)
        return cls(answers.get("grader", "exact-match"), table)

    @property
    def expected_pass_rate(self) -> float:
        rows = len(self.questions)
        return sum(1 for index, _ in self.questions.values() if index % 2 == 0) / rows

    def final_reply(self, value: int) -> str:
        if self.grader == "json-match":
            return json.dumps({"answer": value})
        return f"Using the calculator.\n#### {value}"

    def __call__(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> str | ToolCall:
        system = " ".join(str(m.get("content")) for m in messages if m.get("role") == "system")
        if "You are grading" in system:
            return self.judge(last_user_text(messages))
        question = next((q for q in self.questions if q in _all_user_text(messages)), None)
        if question is None:
            return "ready"  # osmosis's model preflight probe
        index, answer = self.questions[question]
        if messages[-1].get("role") != "tool" and tools:
            return ToolCall("calculator", {"expression": f"{answer} * 1"})
        return self.final_reply(answer if index % 2 == 0 else answer + 1000)

    def judge(self, case: str) -> str:
        reference = case.split("Reference answer:", 1)[1].split("Reply to grade:", 1)[0]
        reply = case.split("Reply to grade:", 1)[1]
        wanted = re.search(r"\d+", reference)
        got = re.findall(r"\d+", reply)
        return "SCORE: 10" if wanted and got and got[-1] == wanted.group() else "SCORE: 0"


def _all_user_text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                parts += [str(p.get("text", "")) for p in content if isinstance(p, dict)]
            else:
                parts.append(str(content))
    return "\n".join(parts)
