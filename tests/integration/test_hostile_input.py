"""Hostile and careless answers: free text is carried exactly, bad names are refused cleanly.

Renders here come from a plain snapshot of the template (no clone per render), so hypothesis
can afford many of them.
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.helpers import render, snapshot_template
from support.scaffold_matrix import all_combos

TRICKY = [
    "quote \" and ' and \"\"\" and '''",
    "back\\slash \\n \\u0041 \\x00",
    "{{ 7 * 7 }} {% if x %}",
    "{# comment #}",
    "---\nname: injected\n---",
    "$ARGUMENTS $1 ${CLAUDE_PROJECT_DIR}",
    "!`rm -rf /`",
    "```\n```! echo hi\n````",
    "@/etc/passwd @AGENTS.md",
    "<script>x</script>",
    "\u202eevil\u202c rtl \u200f mark",
    "emoji 😀🧪 zwj 👩‍💻",
    "tab\tcr\rcrlf\r\nlf\n",
    "\x1b[31mred\x1b[0m bell\x07 del\x7f",
    "# heading\n- list\n> quote\n| a | b |",
    "line\u2028sep\u2029para\x85nel",
    "\ufeffbom start",
    "trailing spaces   \n\n\n",
    'key = "toml"\n[table]\n[[array]]',
    "a: b\n- c\n? d\n& anchor *alias !tag",
]

free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=300,
).filter(lambda s: s.strip()) | st.sampled_from(TRICKY)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_template(tmp_path_factory.mktemp("template") / "t")


def fenced_blocks(markdown: str) -> list[str]:
    """Contents of every fenced code block (any backtick fence length)."""
    blocks, lines, fence, current = [], markdown.split("\n"), None, []
    for line in lines:
        if fence is None:
            match = re.match(r"^(`{3,})", line)
            if match:
                fence, current = match.group(1), []
        elif line == fence:
            blocks.append("\n".join(current))
            fence = None
        else:
            current.append(line)
    return blocks


def markdown_form(text: str) -> str:
    """What a Markdown code block can hold: line endings become \\n, the final one is implied."""
    return text.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n")


def check_free_text_round_trip(workspace: Path, task: str, rubric: str | None) -> None:
    answers = yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["task_description"] == task
    pyproject = tomllib.loads((workspace / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["tool"]["osmosis-workspace"]["task"] == task
    rollout = answers["rollout_name"]
    package = workspace / "rollouts" / rollout / (rollout.replace("-", "_") + "_rollout")
    task_module = ast.parse((package / "task.py").read_text(encoding="utf-8"))
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in task_module.body
        if isinstance(node, ast.Assign)
    }
    assert values["TASK_DESCRIPTION"] == task
    if rubric is not None:
        scoring = ast.parse((package / "scoring.py").read_text(encoding="utf-8"))
        rubrics = [
            ast.literal_eval(n.value)
            for n in scoring.body
            if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "RUBRIC"
        ]
        assert rubrics == [rubric]
    for doc in ("AGENTS.md", "README.md"):
        assert markdown_form(task) in fenced_blocks((workspace / doc).read_text(encoding="utf-8"))
    for path in workspace.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".py":
            compile(text, str(path), "exec")
        elif path.name == "SKILL.md":
            front = text.split("---\n", 2)[1]
            assert set(yaml.safe_load(front)) == {"name", "description"}
            # Skills never carry free text: Claude Code would act on `$ARGUMENTS` or "!`".
            assert task not in text or len(task) < 4
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(text)


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(task=free_text, rubric=free_text)
@example(task="x" * 100_000 + "\n" + "y" * 100, rubric="r")
@example(task="\n".join(TRICKY), rubric="\n".join(reversed(TRICKY)))
def test_free_text_is_carried_exactly_into_every_format(
    template: Path, tmp_path_factory: pytest.TempPathFactory, task: str, rubric: str
) -> None:
    """The template applies the right filter in every format a free-text answer reaches.

    The filters themselves (``toml_str``, ``py_str``, ``md_block``) are property-tested with
    hypothesis' full budget in tests/unit/test_extensions.py, where an example costs
    microseconds; a render costs seconds, so here the two worst cases (every tricky string at
    once; 100,000 characters) plus a few random examples show the wiring.
    """
    dest = tmp_path_factory.mktemp("free") / "ws"
    render(
        dest,
        {
            "workspace_name": "free-text",
            "task_description": task,
            "grader": "llm-judge",
            "judge_rubric": rubric,
            "include_examples": False,
        },
        src=template,
        vcs_ref=None,
    )
    check_free_text_round_trip(dest, task, rubric)


# ---------------------------------------------------------------------------------------------
# Bad answers: one clear error naming the field, and nothing written anywhere
# ---------------------------------------------------------------------------------------------

NAME_RULE = "use lowercase letters, digits and single hyphens"
BAD_ANSWERS: list[tuple[dict, str]] = [
    ({"workspace_name": "../escape"}, "workspace_name '../escape' is not allowed: " + NAME_RULE),
    ({"workspace_name": "a/b"}, "workspace_name 'a/b' is not allowed"),
    ({"workspace_name": "/etc/passwd"}, "workspace_name '/etc/passwd' is not allowed"),
    ({"workspace_name": "~"}, "workspace_name '~' is not allowed"),
    ({"workspace_name": "~root"}, "workspace_name '~root' is not allowed"),
    ({"workspace_name": "Upper"}, "workspace_name 'Upper' is not allowed"),
    ({"workspace_name": "has space"}, "workspace_name 'has space' is not allowed"),
    ({"workspace_name": ""}, "workspace_name is required"),
    ({"workspace_name": "a" * 65}, "workspace_name is 65 characters long; the limit is 64"),
    # Look-alikes: fullwidth letters, and a Cyrillic "a" inside Latin letters.
    (
        {"workspace_name": "\uff54\uff41\uff53\uff4b"},
        "workspace_name '\uff54\uff41\uff53\uff4b' is not allowed",
    ),
    ({"workspace_name": "t\u0430sk"}, "workspace_name 't\u0430sk' is not allowed"),
    ({"workspace_name": "con"}, "workspace_name 'con' is a name Windows reserves"),
    ({"workspace_name": "aux"}, "workspace_name 'aux' is a name Windows reserves"),
    ({"workspace_name": "com1"}, "workspace_name 'com1' is a name Windows reserves"),
    ({"workspace_name": "-x"}, "workspace_name '-x' is not allowed"),
    ({"workspace_name": "x-"}, "workspace_name 'x-' is not allowed"),
    ({"workspace_name": "a--b"}, "workspace_name 'a--b' is not allowed"),
    ({"workspace_name": "a.b"}, "workspace_name 'a.b' is not allowed"),
    ({"workspace_name": "{{x}}"}, "workspace_name '{{x}}' is not allowed"),
    ({"workspace_name": "ok", "rollout_name": "default"}, "rollout_name 'default' is reserved"),
    ({"workspace_name": "ok", "rollout_name": "../../x"}, "rollout_name '../../x' is not allowed"),
    ({"workspace_name": "ok", "rollout_name": "nul"}, "rollout_name 'nul' is a name Windows"),
    ({"workspace_name": "ok", "rollout_name": "My Rollout"}, "rollout_name 'My Rollout'"),
    ({"workspace_name": "ok", "rollout_name": "r" * 70}, "rollout_name is 70 characters long"),
    ({"workspace_name": "ok", "dataset_name": "../data"}, "dataset_name '../data' is not allowed"),
    ({"workspace_name": "ok", "dataset_name": "data.jsonl"}, "dataset_name 'data.jsonl'"),
    ({"workspace_name": "ok", "dataset_name": "lpt9"}, "dataset_name 'lpt9' is a name Windows"),
    (
        {"workspace_name": "ok", "eval_model": "gpt-5-mini"},
        "eval_model 'gpt-5-mini' must look like",
    ),
    (
        {"workspace_name": "ok", "eval_model": "openai/a b"},
        "eval_model 'openai/a b' must look like",
    ),
    ({"workspace_name": "ok", "eval_model": "openai/../../x"}, "eval_model 'openai/../../x'"),
    ({"workspace_name": "ok", "base_model": "Qwen"}, "base_model 'Qwen' must look like"),
    ({"workspace_name": "ok", "task_description": "   "}, "task_description is required"),
    ({"workspace_name": "ok", "task_description": "a\x00b"}, "task_description contains a NUL"),
    (
        {"workspace_name": "ok", "task_description": "x" * 200_001},
        "task_description is 200001 characters long; the limit is 200000",
    ),
    (
        {"workspace_name": "ok", "task_description": "key sk-proj-abcdefghijklmnopqrstuv"},
        "task_description contains what looks like an OpenAI-style API key",
    ),
    (
        {"workspace_name": "ok", "task_description": "AKIAABCDEFGHIJKLMNOP"},
        "task_description contains what looks like an AWS access key id",
    ),
    (
        {"workspace_name": "ok", "task_description": "-----BEGIN RSA PRIVATE KEY-----"},
        "task_description contains what looks like a private key block",
    ),
    (
        {"workspace_name": "ok", "eval_model": "openai/sk-abcdefghijklmnopqrstuvwxyz"},
        "eval_model contains what looks like an OpenAI-style API key",
    ),
    (
        {"workspace_name": "ok", "grader": "llm-judge", "judge_rubric": "use ghp_" + "a" * 36},
        "judge_rubric contains what looks like a GitHub token",
    ),
    (
        {"workspace_name": "ok", "python_version": "3.11"},
        "Invalid choice for 'python_version': '3.11' is not in ['3.12', '3.13']",
    ),
    (
        {"workspace_name": "ok", "agent_framework": "langchain"},
        "Invalid choice for 'agent_framework': 'langchain'",
    ),
    ({"workspace_name": "ok", "grader": "vibes"}, "Invalid choice for 'grader': 'vibes'"),
    ({"workspace_name": "ok", "skills": ["../../etc"]}, "Invalid choice for 'skills': '../../etc'"),
    ({"workspace_name": "ok", "skills": []}, "skills: select at least one skill"),
    (
        {"workspace_name": "ok", "dataset_mode": "metadata", "metadata_prompt_field": "a b"},
        "metadata_prompt_field 'a b' is not allowed",
    ),
    (
        {"workspace_name": "ok", "dataset_mode": "metadata", "metadata_answer_field": "x}}"},
        "metadata_answer_field 'x}}' is not allowed",
    ),
    (
        {"workspace_name": "ok", "grader": "llm-judge", "judge_model": "judge"},
        "judge_model 'judge' must look like",
    ),
]


@contextmanager
def isolated_tempdir(root: Path) -> Iterator[Path]:
    """Point every temporary file and folder of this process (Copier's too) into ``root``."""
    root.mkdir()
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(root), str(root)
    try:
        yield root
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]


def test_there_are_at_least_forty_bad_answers() -> None:
    assert len(BAD_ANSWERS) >= 40


@pytest.mark.parametrize(
    ("answers", "message"), BAD_ANSWERS, ids=[f"bad{i}" for i in range(len(BAD_ANSWERS))]
)
def test_bad_answer_gives_its_error_and_writes_nothing(
    template: Path, tmp_path: Path, answers: dict, message: str
) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    dest = parent / "ws"
    with isolated_tempdir(tmp_path / "tmp") as scratch, pytest.raises(ValueError) as caught:
        render(dest, answers, src=template, vcs_ref=None)
    assert message in str(caught.value)
    assert list(parent.iterdir()) == [], "nothing may be written next to the destination"
    assert list(scratch.iterdir()) == [], "no temporary file or folder may be left behind"


def test_every_render_of_the_matrix_stays_inside_its_destination(matrix_root: Path) -> None:
    """No symlink resolves outside its workspace, and no render wrote beside itself."""
    combos = all_combos()
    assert sorted(p.name for p in matrix_root.iterdir()) == sorted(c.name for c in combos)
    for combo in combos:
        root = (matrix_root / combo.name).resolve()
        links = [p for p in root.rglob("*") if p.is_symlink()]
        assert links, "every render has the .claude/skills link"
        for path in links:
            assert not os.path.isabs(os.readlink(path)), path
            target = (path.parent / os.readlink(path)).resolve()
            assert target.is_relative_to(root), f"{path} -> {target}"
