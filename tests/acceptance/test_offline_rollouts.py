"""Every generated rollout's workflow tests pass on a fresh render and catch planted breaks.

For each agent framework (one scaffold-matrix render each) and each worked example, the rollout
folder is copied once as rendered and once per planted break; the copies' generated
``<rollout>/tests/test_workflow.py`` then run with the osmosis venv's Python (osmosis-ai with the
openai-agents and strands extras), directly on the rendered sources, all in ONE runner process
that imports the frameworks once and forks a child per copy
(tests/support/rollout_workflow_runner.py). The fresh copy must pass (exit 0) and every broken
copy must fail its tests (exit 1, not a collection or usage error) at the test written for
that break. Two breaks that touch disjoint tests (an endless tool loop, tool errors escaping)
share one copy, which must fail exactly those two tests: four runs per rollout, not five.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from support.combo_renders import combo_render
from support.helpers import Osmosis, committed_copy

from osmosis_workspace.api import AddRolloutOptions, add_rollout

pytestmark = [pytest.mark.osmosis, pytest.mark.slow]

RUNNER = Path(__file__).resolve().parents[1] / "support" / "rollout_workflow_runner.py"

#: One matrix render per framework (different modes and graders, so the tests' variants run),
#: plus the worked examples of the default render that use that framework.
GROUPS = {
    "custom": (["cu-lo-p-exact-match"], []),
    "openai-agents": (["oa-lo-m-json-match"], ["multiply-local-openai"]),
    "strands": (["st-lo-m-llm-judge"], ["multiply-local-strands", "multiply-harbor-strands"]),
}
#: A rollout added by `osmosis-workspace add-rollout` (scope=rollout renders only its folder),
#: to the custom render, with other choices than the starter's.
ADDED = (
    "added-check",
    {"agent_framework": "custom", "dataset_mode": "metadata", "grader": "numeric"},
)

Plant = Callable[[Path, str], None]


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there, so a plant never silently does nothing)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")


# The agent frameworks build the tool message themselves: the break is a patch of the
# framework's message converter, loaded by the workflow module like any code a user adds.
_WRONG_ROLE = {
    "custom": lambda wf: edit(
        wf, '{"role": "tool", "tool_call_id"', '{"role": "user", "tool_call_id"'
    ),
    "openai-agents": lambda wf: append(
        wf,
        "from agents.models.chatcmpl_converter import Converter as _Converter\n"
        "_original = _Converter.items_to_messages\n"
        "def _user_role(*args, **kwargs):\n"
        "    messages = _original(*args, **kwargs)\n"
        "    return [m | {'role': 'user'} if m.get('role') == 'tool' else m for m in messages]\n"
        "_Converter.items_to_messages = staticmethod(_user_role)\n",
    ),
    "strands": lambda wf: append(
        wf,
        "from strands.models.litellm import LiteLLMModel as _Model\n"
        "_original = _Model.format_request_messages\n"
        "def _user_role(*args, **kwargs):\n"
        "    messages = _original(*args, **kwargs)\n"
        "    return [m | {'role': 'user'} if m.get('role') == 'tool' else m for m in messages]\n"
        "_Model.format_request_messages = staticmethod(_user_role)\n",
    ),
}

_ENDLESS_LOOP = {
    "custom": ("for _ in range(MAX_TURNS):", "while True:"),
    "openai-agents": ("max_turns=MAX_TURNS)", "max_turns=10_000)"),
    "strands": ("hooks=[TurnLimit(MAX_TURNS)],", "hooks=[],"),
}

# The workflow stops turning tool errors into messages for the model.
_ERRORS_ESCAPE = {
    "custom": ("except Exception as error:", "except (TypeError, ValueError) as error:"),
    "openai-agents": (
        "tools=[function_tool(tool) for tool in TOOLS]",
        "tools=[function_tool(tool, failure_error_function=None) for tool in TOOLS]",
    ),
    "strands": ("hooks=[TurnLimit(MAX_TURNS)],", "hooks=[TurnLimit(MAX_TURNS), _Reraise()],"),
}

_STRANDS_RERAISE = (
    "from strands.hooks import AfterToolCallEvent as _AfterToolCall\n"
    "class _Reraise(HookProvider):\n"
    "    def register_hooks(self, registry, **kwargs):\n"
    "        registry.add_callback(_AfterToolCall, self.reraise)\n"
    "    def reraise(self, event):\n"
    "        if event.exception is not None:\n"
    "            raise event.exception\n"
)


#: The endless loop, planted into a strands workflow whose tool errors already escape.
_STRANDS_LOOP_AFTER_ESCAPE = (
    "hooks=[TurnLimit(MAX_TURNS), _Reraise()],",
    "hooks=[_Reraise()],",
)


def plants(framework: str) -> dict[str, Plant]:
    """The breaks planted into a copy of a rollout folder (``package``: its Python package)."""

    def wrong_role(folder: Path, package: str) -> None:
        _WRONG_ROLE[framework](folder / package / "workflow.py")

    def endless_loop(folder: Path, package: str) -> None:
        edit(folder / package / "workflow.py", *_ENDLESS_LOOP[framework])

    def tool_raises(folder: Path, package: str) -> None:
        edit(
            folder / package / "tools.py",
            '    try:\n        value = _evaluate(ast.parse(expression, mode="eval"))',
            '    raise RuntimeError("planted")\n    try:\n'
            '        value = _evaluate(ast.parse(expression, mode="eval"))',
        )

    def errors_escape(folder: Path, package: str) -> None:
        workflow = folder / package / "workflow.py"
        if framework == "strands":
            append(workflow, _STRANDS_RERAISE)
        edit(workflow, *_ERRORS_ESCAPE[framework])

    def loop_and_escape(folder: Path, package: str) -> None:
        errors_escape(folder, package)
        if framework == "strands":  # both breaks edit the hook list: drop the turn limit
            edit(folder / package / "workflow.py", *_STRANDS_LOOP_AFTER_ESCAPE)
        else:
            endless_loop(folder, package)

    return {"wrong-role": wrong_role, "tool-raises": tool_raises, "loop+escape": loop_and_escape}


ROUND_TRIP = "test_tool_call_round_trips_as_a_tool_message"
LOOP = "test_tool_loop_ends_within_max_turns"
RAISES = "test_a_tool_that_raises_becomes_an_error_message"


def caught(plant: str, failed: list[str]) -> bool:
    """Whether a copy's failed tests (in run order) are the ones written for its break.

    The fresh copy fails nothing. ``wrong-role`` and ``tool-raises`` both first fail the
    round-trip test. The endless loop and the escaping tool error each break one test that no
    other break of theirs touches, so they share a copy and must fail exactly those two tests.
    """
    if plant == "fresh":
        return failed == []
    if plant == "loop+escape":
        return failed == [LOOP, RAISES]
    return failed[:1] == [ROUND_TRIP]


def package_of(rollout: Path) -> str:
    return next(p.name for p in rollout.iterdir() if p.name.endswith("_rollout"))


def rollout_sources(
    framework: str, factory: pytest.TempPathFactory, default_workspace: Path, tmp_path: Path
) -> list[Path]:
    """The rollout folders of one framework (plus the added rollout for its framework)."""
    combos, examples = GROUPS[framework]
    matrix = {name: combo_render(factory, name) for name in combos}
    sources = [matrix[name] / "rollouts" / name for name in combos]
    sources += [default_workspace / "rollouts" / name for name in examples]
    if framework == ADDED[1]["agent_framework"]:
        workspace = committed_copy(matrix[combos[0]], tmp_path / "added" / combos[0])
        add_rollout(workspace, ADDED[0], ADDED[1], AddRolloutOptions(commit=True))
        sources.append(workspace / "rollouts" / ADDED[0])
    return sources


def test_workflow_tests_pass_fresh_and_catch_planted_breaks(
    tmp_path_factory: pytest.TempPathFactory,
    default_workspace: Path,
    osmosis: Osmosis,
    tmp_path: Path,
) -> None:
    """Every framework's rollouts in ONE runner process (one import of the frameworks)."""
    cases: dict[str, tuple[str, str]] = {}  # copy -> (rollout, plant or "fresh")
    for framework in GROUPS:
        for source in rollout_sources(framework, tmp_path_factory, default_workspace, tmp_path):
            assert (source / "tests" / "test_workflow.py").is_file(), source
            for plant, apply in {"fresh": None, **plants(framework)}.items():
                copy = shutil.copytree(source, tmp_path / plant / source.name)
                if apply is not None:
                    apply(copy, package_of(copy))
                cases[str(copy)] = (source.name, plant)

    result = subprocess.run(
        [str(osmosis.bin_dir / "python"), str(RUNNER), *cases],
        capture_output=True,
        text=True,
        timeout=900,
        env=osmosis.env(),
    )
    report = [line for line in result.stdout.splitlines() if line.startswith("WORKFLOW-RUNNER ")]
    assert report, result.stdout[-4000:] + result.stderr[-4000:]
    outcomes = json.loads(report[-1].removeprefix("WORKFLOW-RUNNER "))
    wrong = {
        cases[copy]: (code, failed)
        for copy, (code, failed) in outcomes.items()
        if code != (0 if cases[copy][1] == "fresh" else 1) or not caught(cases[copy][1], failed)
    }
    assert set(outcomes) == set(cases)
    assert not wrong, f"{wrong}\n{result.stdout[-6000:]}"
