"""Deliberately broken workspaces: how to break each, what ``check`` must say, who else judges.

Each case copies the default render, breaks one thing, and names the file and message ``check``
must report. Cases with a ``judge`` are also run through the real ``osmosis`` CLI (``doctor``,
``dataset validate``, the submit dry-run), which must reject them too. Shared by
tests/integration/test_check.py (our verdicts) and
tests/acceptance/test_check_agrees_with_osmosis.py (osmosis' verdicts on the same cases).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from support.helpers import committed_copy

RO = "demo-task"  # rollout and dataset name of the default render
EVAL, TRAIN, BENCH = (
    f"configs/eval/{RO}.toml",
    f"configs/training/{RO}.toml",
    "configs/benchmark/default.toml",
)
DATA = f"data/{RO}.jsonl"
ROW = {"system_prompt": "Be brief.", "user_prompt": "2+2?", "ground_truth": "4"}


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text)


def append(root: Path, rel: str, text: str) -> None:
    write(root, rel, (root / rel).read_text() + text)


def replace(root: Path, rel: str, old: str, new: str) -> None:
    text = (root / rel).read_text()
    assert old in text, f"{old!r} not in {rel}"
    write(root, rel, text.replace(old, new, 1))


def remove(root: Path, rel: str) -> None:
    path = root / rel
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def rows(*objs: dict) -> str:
    return "".join(json.dumps(o) + "\n" for o in objs)


def relink(root: Path, rel: str, target: str) -> None:
    remove(root, rel)
    (root / rel).symlink_to(target)


def skill_md(
    name: str,
    description: str = "Does a thing. Use when testing.",
    body: str = "Body.\n",
    extra: str = "",
) -> str:
    return f"---\nname: {name}\ndescription: {description}\n{extra}---\n\n{body}"


@dataclass(frozen=True)
class Case:
    """A deliberately broken workspace: how to break it, what check must say, who else judges."""

    id: str
    breaks: Callable[[Path], None]
    file: str
    message: str
    judge: tuple[str, ...] = ()
    shared: str = ""  # text both our message and osmosis' error contain

    @property
    def submit(self) -> bool:
        return "submit" in self.judge


CASES = [
    # Layout: what osmosis doctor requires
    Case(
        "missing-eval-folder",
        lambda r: remove(r, "configs/eval"),
        "configs/eval/",
        "missing required folder",
        ("doctor",),
        "configs/eval/",
    ),
    Case(
        "missing-data-folder",
        lambda r: remove(r, "data"),
        "data/",
        "missing required folder",
        ("doctor",),
        "data/",
    ),
    Case(
        "missing-claude-md",
        lambda r: remove(r, "CLAUDE.md"),
        "CLAUDE.md",
        "missing (osmosis doctor requires it)",
        ("doctor",),
        "CLAUDE.md",
    ),
    Case(
        "missing-configs-agents-md",
        lambda r: remove(r, "configs/AGENTS.md"),
        "configs/AGENTS.md",
        "missing (osmosis doctor requires it)",
        ("doctor",),
        "configs/AGENTS.md",
    ),
    Case(
        "claude-md-symlink",
        lambda r: relink(r, "CLAUDE.md", "AGENTS.md"),
        "CLAUDE.md",
        "is a symbolic link",
        ("doctor", "--fix"),
        "CLAUDE.md",
    ),
    Case(
        "claude-md-without-import",
        lambda r: write(r, "CLAUDE.md", "# Notes\n\nRead AGENTS.md.\n"),
        "CLAUDE.md",
        "does not import @AGENTS.md",
    ),
    Case("agents-md-empty", lambda r: write(r, "AGENTS.md", "\n"), "AGENTS.md", "is empty"),
    Case(
        "not-a-git-repo",
        lambda r: remove(r, ".git"),
        ".",
        "not the top level of a git repository",
        ("doctor",),
    ),
    # Skills
    Case(
        "skill-name-differs",
        lambda r: replace(
            r, ".agents/skills/plan-eval/SKILL.md", "name: plan-eval", "name: plan-evals"
        ),
        ".agents/skills/plan-eval/SKILL.md",
        "differs from its folder 'plan-eval'",
    ),
    Case(
        "skill-bad-yaml",
        lambda r: write(
            r,
            ".agents/skills/plan-eval/SKILL.md",
            skill_md("plan-eval", "Plans evals. Use when: the user asks"),
        ),
        ".agents/skills/plan-eval/SKILL.md",
        "front matter is not valid YAML",
    ),
    Case(
        "skill-without-skill-md",
        lambda r: remove(r, ".agents/skills/deploy-models/SKILL.md"),
        ".agents/skills/deploy-models/",
        "has no SKILL.md",
    ),
    Case(
        "skill-extra-key",
        lambda r: write(
            r, ".agents/skills/my-skill/SKILL.md", skill_md("my-skill", extra="version: 2\n")
        ),
        ".agents/skills/my-skill/SKILL.md",
        "keys outside the Agent Skills spec: version",
    ),
    Case(
        "skill-broken-link",
        lambda r: write(
            r,
            ".agents/skills/my-skill/SKILL.md",
            skill_md("my-skill", body="Read [the guide](references/guide.md) first.\n"),
        ),
        ".agents/skills/my-skill/SKILL.md",
        "link 'references/guide.md' does not exist",
    ),
    Case(
        "skill-reserved-name",
        lambda r: write(r, ".agents/skills/claude-helper/SKILL.md", skill_md("claude-helper")),
        ".agents/skills/claude-helper/SKILL.md",
        "contains a reserved word",
    ),
    Case(
        "claude-skills-dangling",
        lambda r: relink(r, ".claude/skills", "../.agents/skillz"),
        ".claude/skills",
        "dangling link to ../.agents/skillz",
    ),
    Case(
        "claude-skills-copied",
        lambda r: (
            remove(r, ".claude/skills"),
            shutil.copytree(r / ".agents/skills", r / ".claude/skills"),
        ),
        ".claude/skills/plan-eval",
        "is a copy, not a link",
    ),
    # Configs (osmosis-ai 0.3.8 schemas and the rollouts they name)
    Case(
        "eval-unknown-key",
        lambda r: replace(r, EVAL, "[experiment]\n", "[experiment]\nfoo = 1\n"),
        EVAL,
        "experiment.foo: Unrecognized key",
        ("eval", "submit", EVAL),
        "experiment.foo: Unrecognized key",
    ),
    Case(
        "eval-missing-secrets",
        lambda r: replace(r, EVAL, "[secrets]", "[secretz]"),
        EVAL,
        "Missing [secrets] section",
        ("eval", "submit", EVAL),
        "Missing [secrets] section",
    ),
    Case(
        "eval-branch-and-sha",
        lambda r: replace(
            r, EVAL, "[experiment]\n", '[experiment]\nbranch = "main"\ncommit_sha = "abc1234"\n'
        ),
        EVAL,
        "Provide either branch or commit_sha, not both",
        ("eval", "submit", EVAL),
        "Provide either branch or commit_sha, not both",
    ),
    Case(
        "eval-rollout-path",
        lambda r: replace(r, EVAL, f'rollout = "{RO}"', 'rollout = "../x"'),
        EVAL,
        "must be a single-segment name",
        ("eval", "submit", EVAL),
        "single-segment name",
    ),
    Case(
        "eval-unknown-rollout",
        lambda r: replace(r, EVAL, f'rollout = "{RO}"', 'rollout = "ghost"'),
        EVAL,
        "rollout 'ghost' not found",
        ("eval", "submit", EVAL),
    ),
    Case(
        "eval-n-zero",
        lambda r: replace(r, EVAL, "[evaluation]\n", "[evaluation]\nn = 0\n"),
        EVAL,
        "evaluation.n must be a positive integer",
    ),
    Case(
        "training-missing-entrypoint",
        lambda r: replace(r, TRAIN, 'entrypoint = "main.py"', 'entrypoint = "serve.py"'),
        TRAIN,
        f"entrypoint not found: rollouts/{RO}/serve.py",
        ("train", "submit", TRAIN),
    ),
    Case(
        "training-unknown-section",
        lambda r: append(r, TRAIN, "\n[trainer]\nlr = 1\n"),
        TRAIN,
        "trainer: Unrecognized section",
        ("train", "submit", TRAIN),
        "trainer: Unrecognized section",
    ),
    Case(
        "training-env-not-string",
        lambda r: append(r, TRAIN, "\n[env]\nLOG_LEVEL = 3\n"),
        TRAIN,
        "env.LOG_LEVEL: must be a string, got 3",
        ("train", "submit", TRAIN),
        "env.LOG_LEVEL: must be a string, got 3",
    ),
    Case(
        "training-env-secret-overlap",
        lambda r: append(
            r, TRAIN, '\n[env]\nOPENAI_API_KEY = "x"\n[secrets]\nrequired = ["OPENAI_API_KEY"]\n'
        ),
        TRAIN,
        "appear in both [env] and [secrets]",
        ("train", "submit", TRAIN),
        "appear in both [env] and [secrets]",
    ),
    Case(
        "training-placeholder",
        lambda r: replace(r, TRAIN, 'model_path = "', 'model_path = "<your-model-path>" #"'),
        TRAIN,
        "experiment.model_path still holds a placeholder",
    ),
    Case(
        "benchmark-task-set-full",
        lambda r: replace(r, BENCH, "[execution]", '[tasks]\ntask_set = "full"\n\n[execution]'),
        BENCH,
        "tasks.task_set: is invalid",
        ("benchmark", "submit", BENCH),
        "tasks.task_set",
    ),
    # A key meant for [execution], written last, lands in the last [agents.model] table.
    Case(
        "benchmark-key-after-agents",
        lambda r: append(r, BENCH, "max_retries = 3\n"),
        BENCH,
        "agents.0.model.provider.max_retries: Unrecognized key",
        ("benchmark", "submit", BENCH),
        "agents.0.model.provider.max_retries",
    ),
    # Datasets (platform rules)
    Case(
        "dataset-too-small",
        lambda r: write(r, DATA, rows(ROW, ROW, ROW)),
        DATA,
        "has 3 rows; the platform needs at least 4",
        ("dataset", "validate", DATA),
        "3 rows",
    ),
    Case(
        "dataset-fields-differ",
        lambda r: write(r, DATA, rows(ROW, ROW, ROW, {**ROW, "x": 1})),
        DATA,
        "line 4: keys differ from line 1 (extra x); every row must have the same keys",
        ("dataset", "validate", DATA),
        "extra",
    ),
    Case(
        "dataset-missing-ground-truth",
        lambda r: write(r, DATA, rows(*[{"user_prompt": "q"}] * 4)),
        DATA,
        "line 1: no ground_truth (or its alias label) column",
        ("dataset", "validate", DATA),
        "ground_truth",
    ),
    Case(
        "dataset-empty-metadata",
        lambda r: write(r, DATA, rows(*[{"metadata": {}}] * 4)),
        DATA,
        "line 1: metadata is an empty object {}; metadata mode needs a non-empty JSON object",
        ("dataset", "validate", DATA),
        "non-empty JSON object in every row",
    ),
    Case(
        "dataset-bad-json",
        lambda r: write(r, DATA, rows(ROW, ROW, ROW, ROW) + "{oops\n"),
        DATA,
        "line 5: not valid JSON",
        ("dataset", "validate", DATA),
        "JSON",
    ),
    Case(
        "dataset-csv-columns",
        lambda r: write(r, "data/extra.csv", "user_prompt,ground_truth\na,1\nb,2\nc\nd,4\ne,5\n"),
        "data/extra.csv",
        "row 4: has 1 values but the header has 2 columns",
        ("dataset", "validate", "data/extra.csv"),
        "2 columns",
    ),
    # Update leftovers and the answers file
    Case(
        "rej-file",
        lambda r: write(r, "AGENTS.md.rej", "@@ -1 +1 @@\n-a\n+b\n"),
        "AGENTS.md.rej",
        "rejected hunk left by an update",
    ),
    Case(
        "conflict-markers",
        lambda r: append(
            r,
            "README.md",
            "<<<<<<< before updating\nmine\n=======\ntheirs\n>>>>>>> after updating\n",
        ),
        "README.md",
        "contains merge-conflict markers",
    ),
    Case(
        "answers-credential-url",
        lambda r: replace(
            r, ".copier-answers.yml", "_src_path: ", "_src_path: https://bob:s3cret@example.com/x#"
        ),
        ".copier-answers.yml",
        "_src_path would leak a credential",
    ),
    Case(
        "answers-missing",
        lambda r: remove(r, ".copier-answers.yml"),
        ".copier-answers.yml",
        "missing: the workspace records no template version",
    ),
]
assert len({c.id for c in CASES}) == len(CASES) >= 20


def broken_copy(base: Path, dest: Path, case: Case) -> Path:
    committed_copy(base, dest)
    case.breaks(dest)
    return dest


def found(problems: list, case: Case) -> bool:
    return any(p.file == case.file and case.message in p.message for p in problems)
