"""The worked multiply examples (``include_examples``) and the Harbor execution backend.

The examples are rendered from the scaffold's own files with the example answers overridden
(``includes/examples/example.jinja``), so the first tests prove they are byte-identical to a
scaffold rendered with those answers. The osmosis tests then run the real CLI on them: submit
preflights that really import each entrypoint, the dataset and doctor checks, and a local
evaluation of the two local examples against a fake model. The examples' own unit tests are
not run here: tests/acceptance/test_first_push.py runs them on the same default render, in the
workspace's environment and in each example's own, as the generated CI does. Harbor cannot
run a trial here (no Docker engine), so its tests stop one step short: the entrypoint builds
its backend and bundle, materialises a trial's task folder, and Harbor's own task loader
accepts it.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from support.fake_llm import FakeLLM
from support.helpers import (
    ROOT,
    Osmosis,
    committed_copy,
    git_init_commit,
    jinja_leftovers,
    render,
    snapshot_template,
    tree_bytes,
)
from support.scaffold_matrix import TaskPlayer

EXAMPLE_ANSWERS = {"workspace_name": "demo-task"}
#: The Python package of each example rollout.
PACKAGES = {
    "multiply-local-openai": "multiply_local_openai_rollout",
    "multiply-local-strands": "multiply_local_strands_rollout",
    "multiply-harbor-strands": "multiply_harbor_strands_rollout",
}


def names_module() -> Any:
    """includes/examples/names.jinja, the one list of examples, read with plain Jinja."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT))
    return env.get_template("includes/examples/names.jinja").module


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_template(tmp_path_factory.mktemp("template") / "t")


@pytest.fixture(scope="module")
def examples(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Default answers: the user's rollout plus the three examples, committed."""
    dest = tmp_path_factory.mktemp("examples") / "demo-task"
    return git_init_commit(render(dest, EXAMPLE_ANSWERS, src=template, vcs_ref=None))


@pytest.fixture(scope="module")
def harbor_metadata(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Harbor scaffold in metadata mode: the case where Harbor supplies the instruction."""
    answers = {
        "workspace_name": "hb-meta",
        "execution_backend": "harbor",
        "dataset_mode": "metadata",
        "grader": "numeric",
        "include_examples": False,
    }
    dest = tmp_path_factory.mktemp("hb-meta") / "hb-meta"
    return git_init_commit(render(dest, answers, src=template, vcs_ref=None))


# ---------------------------------------------------------------------------------------------
# Rendering (no osmosis CLI)
# ---------------------------------------------------------------------------------------------


def test_examples_are_on_by_default(examples: Path) -> None:
    module = names_module()
    assert list(PACKAGES) == list(module.example_rollouts)
    found = sorted(p.name for p in (examples / "rollouts").iterdir() if p.is_dir())
    assert found == sorted(["demo-task", *PACKAGES])
    for rollout, package in PACKAGES.items():
        folder = examples / "rollouts" / rollout
        for name in ["__init__", "workflow", "grader", "scoring", "tools", "prompts", "task"]:
            assert (folder / package / f"{name}.py").is_file(), (rollout, name)
        assert (folder / "README.md").read_text().startswith(f"# Worked example `{rollout}`")
        for kind in ("eval", "training"):
            config = tomllib.loads((examples / f"configs/{kind}/{rollout}.toml").read_text())
            assert config["experiment"]["rollout"] == rollout
            assert config["experiment"]["dataset"] == module.example_dataset
        task = folder / f"{rollout}-task"
        assert task.is_dir() is rollout.startswith("multiply-harbor-")
    config = tomllib.loads((examples / "pyproject.toml").read_text())
    assert config["dependency-groups"]["rollouts"] == ["demo-task", *PACKAGES]
    for path in examples.rglob("*"):
        if ".git" not in path.parts and path.is_file() and not path.is_symlink():
            assert not jinja_leftovers(path.read_text(encoding="utf-8")), path


def test_example_files_follow_the_list() -> None:
    """The example paths and each file's flavour repeat names.jinja (paths cannot import it)."""
    module = names_module()
    guard = "{% if include_examples %}"
    folders = sorted(p for p in (ROOT / "template/rollouts").iterdir() if guard in p.name)
    assert [p.name.removeprefix(guard).removesuffix("{% endif %}") for p in folders] == sorted(
        module.example_rollouts
    )
    for kind in ("eval", "training"):
        configs = [p.name for p in (ROOT / "template/configs" / kind).iterdir() if guard in p.name]
        assert sorted(configs) == sorted(
            f"{guard}{n}.toml{{% endif %}}.jinja" for n in module.example_rollouts
        ), kind
    files = [
        p
        for p in (ROOT / "template").rglob("*.jinja")
        if guard + "multiply-" in p.relative_to(ROOT).as_posix()
    ]
    assert len(files) == 3 * 16 + 3 + 6  # 16 files per rollout, a Harbor task, two configs each
    for path in files:
        flavour = re.search(r"\{%- set flavour = '([a-z-]+)' -%\}", path.read_text())
        assert flavour and f"multiply-{flavour.group(1)}" in path.relative_to(ROOT).as_posix()


def test_validator_names_the_same_examples() -> None:
    """copier.yml's include_examples validator inlines the names (the CLI has no loader)."""
    module = names_module()
    spec = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))["include_examples"]
    assert spec["default"] is True
    listed = re.search(r"rollout_name in (\[.*?\])", spec["validator"], re.DOTALL)
    assert listed and ast.literal_eval(listed.group(1)) == list(module.example_rollouts)
    assert f"dataset_name == '{module.example_dataset}'" in spec["validator"]


def test_examples_are_the_scaffold_byte_for_byte(
    template: Path, examples: Path, tmp_path: Path
) -> None:
    """Each example equals the starter rollout a workspace gets with the example's answers."""
    task = (ROOT / "includes/examples/task.txt.jinja").read_text().strip()
    for flavour, (framework, backend) in names_module().examples.items():
        rollout = f"multiply-{flavour}"
        answers = {
            "workspace_name": rollout,
            "agent_framework": framework,
            "execution_backend": backend,
            "dataset_mode": "prompt",
            "grader": "numeric",
            "dataset_name": "multiply",
            "task_description": task,
            "include_examples": False,
        }
        scaffold = render(tmp_path / rollout, answers, src=template, vcs_ref=None)
        want = tree_bytes(scaffold / "rollouts" / rollout)
        got = tree_bytes(examples / "rollouts" / rollout)
        assert want.pop("README.md") != got.pop("README.md")  # the one file of their own
        assert got == want, rollout
        for kind in ("eval", "training"):
            rel = f"configs/{kind}/{rollout}.toml"
            assert (examples / rel).read_bytes() == (scaffold / rel).read_bytes(), rel


def test_no_examples_when_answered_no(template: Path, tmp_path: Path) -> None:
    workspace = render(
        tmp_path / "w", {**EXAMPLE_ANSWERS, "include_examples": False}, src=template, vcs_ref=None
    )
    leftovers = [p for p in workspace.rglob("*multiply*")]
    assert leftovers == []
    config = tomllib.loads((workspace / "pyproject.toml").read_text())
    assert config["dependency-groups"]["rollouts"] == ["demo-task"]


@pytest.mark.parametrize(
    "answers",
    [
        {"workspace_name": "multiply-harbor-strands"},
        {"workspace_name": "w", "rollout_name": "multiply-local-openai"},
        {"workspace_name": "w", "dataset_name": "multiply"},
    ],
)
def test_names_of_examples_are_refused_while_examples_are_on(
    template: Path, tmp_path: Path, answers: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="include_examples"):
        render(tmp_path / "on", answers, src=template, vcs_ref=None)
    assert not (tmp_path / "on" / "rollouts").exists()
    off = render(
        tmp_path / "off", {**answers, "include_examples": False}, src=template, vcs_ref=None
    )
    rollout = answers.get("rollout_name", answers["workspace_name"])
    assert (off / "rollouts" / rollout / "main.py").is_file()
    assert not (off / "rollouts" / "multiply-local-strands").exists()


def test_multiply_dataset_rows(examples: Path) -> None:
    text = (examples / "data/multiply.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) >= 20
    questions = [row["user_prompt"] for row in rows]
    assert len(set(questions)) == len(questions)
    assert not [(a, b) for a in questions for b in questions if a != b and a in b]
    for row in rows:
        assert set(row) == {"system_prompt", "user_prompt", "ground_truth"}
        assert "####" in row["system_prompt"]
        factors = [int(n) for n in re.findall(r"\d+", row["user_prompt"])]
        product = 1
        for factor in factors:
            product *= factor
        assert len(factors) >= 2 and row["ground_truth"] == str(product), row


def test_examples_are_ruff_clean(examples: Path) -> None:
    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command], cwd=examples, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------
# The real osmosis CLI
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples_copy(examples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed copy for the CLI's local state (.osmosis/, rollout virtualenvs)."""
    return committed_copy(examples, tmp_path_factory.mktemp("osm-examples") / "demo-task")


@pytest.mark.osmosis
def test_example_configs_pass_the_submit_preflight(osmosis: Osmosis, examples_copy: Path) -> None:
    """Eval and training submit of each example, in one batch (``Osmosis.submit_dry_runs``:
    the frameworks are imported once, each command is its own forked process)."""
    jobs = [
        (kind, f"configs/{folder}/{rollout}.toml", examples_copy)
        for rollout in PACKAGES
        for kind, folder in (("eval", "eval"), ("train", "training"))
    ]
    for job, result in zip(jobs, osmosis.submit_dry_runs(jobs), strict=True):
        assert result.error_code == "INTERACTIVE_REQUIRED", (job[:2], result.stdout, result.stderr)
        details = json.dumps(result.payload["error"].get("details", ""))
        assert "preflight skipped" not in details.lower(), (job[:2], details)


@pytest.mark.osmosis
def test_dataset_validates_and_doctor_is_happy(osmosis: Osmosis, examples_copy: Path) -> None:
    result = osmosis.run("--json", "dataset", "validate", "data/multiply.jsonl", cwd=examples_copy)
    assert result.code == 0, result.stderr
    assert result.payload["data"]["warnings"] == [], result.payload
    doctor = osmosis.run("--json", "doctor", cwd=examples_copy)
    assert doctor.code == 0, doctor.stderr
    assert doctor.payload["resource"]["valid"] is True, doctor.payload


def uv_cache() -> str:
    """The machine's uv cache: rollout venvs then install from it instead of downloading."""
    return os.environ.get("UV_CACHE_DIR") or str(Path.home() / ".cache" / "uv")


@pytest.mark.osmosis
@pytest.mark.slow
def test_local_examples_evaluate_with_a_tool_round_trip(
    osmosis: Osmosis, examples: Path, tmp_path: Path
) -> None:
    """A real `osmosis eval run` of rows 0-1 of each local example (both at once): one
    calculator call per row, then the fake model answers row 0 right and row 1 wrong."""
    rows = range(2)

    def evaluate(rollout: str) -> tuple[str, Any, int]:
        workspace = committed_copy(examples, tmp_path / rollout / "demo-task")
        player = TaskPlayer.for_workspace(
            workspace, {"dataset_name": "multiply", "grader": "numeric"}
        )
        with FakeLLM(player, max_requests=100, max_seconds=400) as fake:
            result = osmosis.eval_run(
                f"configs/eval/{rollout}.toml",
                "data/multiply.jsonl",
                cwd=workspace,
                model_base_url=fake.base_url,
                name="example",
                extra=("--rows", f"{rows[0]}-{rows[-1]}"),
                UV_CACHE_DIR=uv_cache(),
            )
            tool_rounds = [
                r
                for r in fake.completion_requests()
                if any(m.get("role") == "tool" for m in r["messages"])
            ]
        return rollout, result, len(tool_rounds)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(evaluate, ["multiply-local-openai", "multiply-local-strands"]))
    for rollout, result, tool_rounds in outcomes:
        assert result.code == 0, (rollout, result.stderr[-3000:])
        resource = result.payload["resource"]
        assert resource["succeeded"] == len(rows) and resource["failed"] == 0, resource
        expected = sum(1 for row in rows if row % 2 == 0) / len(rows)
        assert resource["metrics"]["pass_rate"] == pytest.approx(expected), rollout
        assert tool_rounds >= len(rows), f"{rollout}: every row made one calculator call"


# ---------------------------------------------------------------------------------------------
# Harbor, as far as it goes without Docker
# ---------------------------------------------------------------------------------------------

HARBOR_PROBE = r'''
import json, os, runpy, sys, tempfile, tomllib, zipfile
from pathlib import Path

from pydantic import BaseModel

from osmosis_ai.packaging import BUNDLES_DIR

rollout = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(rollout))
report = {}
main = runpy.run_path(str(rollout / "main.py"), run_name="imported_by_the_probe")
report["bundle_built_at_import"] = BUNDLES_DIR.exists()

keys = ("OPENSANDBOX_API_KEY", "DAYTONA_API_KEY")
chosen = {}
for label, env in [("none", {}), ("daytona", {"DAYTONA_API_KEY": "k"}),
                   ("both", {"DAYTONA_API_KEY": "k", "OPENSANDBOX_API_KEY": "k"})]:
    for key in keys:
        os.environ.pop(key, None)
    os.environ.update(env)
    config = main["environment_config"]()
    chosen[label] = [config.type.value, config.force_build]
for key in keys:
    os.environ.pop(key, None)
report["environments"] = chosen

backend = main["build_backend"]()
report["health"] = backend.health()
report["task_mode"] = str(backend.task_mode)
report["scripts"] = [backend.bundle.agent_script, backend.bundle.grader_script]
report["wheel"] = sorted(zipfile.ZipFile(backend.bundle.wheel).namelist())

from harbor.models.task.config import TaskConfig
from harbor.models.task.task import Task
from osmosis_ai.rollout.backend.harbor.tasks import HarborTask
from osmosis_ai.rollout.container.files import ContainerInput


def unknown_keys(model, raw, prefix=""):
    """Keys of task.toml that Harbor's pydantic models would silently ignore."""
    found = []
    for key, value in raw.items():
        field = model.model_fields.get(key)
        if field is None:
            found.append(prefix + key)
            continue
        options = getattr(field.annotation, "__args__", None) or (field.annotation,)
        sub = next((o for o in options if isinstance(o, type) and issubclass(o, BaseModel)), None)
        if sub is not None and isinstance(value, dict):
            found += unknown_keys(sub, value, prefix + key + ".")
    return found


raw = tomllib.loads((backend.tasks_dir / "task.toml").read_text())
report["unknown_keys"] = unknown_keys(TaskConfig, raw)
row = ContainerInput(rollout_id="probe-1", label="6",
                     prompt=[{"role": "user", "content": "What is 2 * 3?"}])
task_dir = backend.materialize_task(HarborTask(backend.tasks_dir), "probe-1", row)
task = Task(task_dir)  # Harbor's own loader, with the verifier checks
report["task"] = {
    "instruction": json.loads(task.instruction),
    "agent_timeout": task.config.agent.timeout_sec,
    "verifier_timeout": task.config.verifier.timeout_sec,
    "image": task.config.environment.docker_image,
    "network": task.config.environment.network_mode.value,
    "test_sh": (task_dir / "tests" / "test.sh").read_text(),
    "dockerfile": (task_dir / "environment" / "Dockerfile").read_text(),
}
print("PROBE " + json.dumps(report))
'''


def run_probe(osmosis: Osmosis, script: str, rollout: Path, tmp_path: Path) -> dict[str, Any]:
    probe = tmp_path / "probe.py"
    probe.write_text(script, encoding="utf-8")
    env = osmosis.env(XDG_CACHE_HOME=str(tmp_path / "cache"), UV_CACHE_DIR=uv_cache())
    for key in ("OPENSANDBOX_API_KEY", "DAYTONA_API_KEY"):
        env.pop(key, None)
    result = subprocess.run(
        [str(osmosis.bin_dir / "python"), str(probe), str(rollout)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


@pytest.mark.osmosis
def test_harbor_example_builds_its_backend_and_harbor_loads_its_task(
    osmosis: Osmosis, examples: Path, tmp_path: Path
) -> None:
    rollout = examples / "rollouts" / "multiply-harbor-strands"
    report = run_probe(osmosis, HARBOR_PROBE, rollout, tmp_path)
    assert report["bundle_built_at_import"] is False, "importing main.py must build nothing"
    assert report["environments"] == {
        "none": ["docker", True],
        "daytona": ["daytona", False],
        "both": ["opensandbox", False],
    }
    assert report["health"]["backend"] == "harbor" and report["task_mode"] == "template"
    assert report["health"]["agent"] == (
        "multiply_harbor_strands_rollout.workflow:MultiplyHarborStrandsWorkflow"
    )
    package = PACKAGES["multiply-harbor-strands"]
    assert report["scripts"] == [
        f"{package.replace('_', '-')}-agent",
        f"{package.replace('_', '-')}-grade",
    ]
    packaged = {name.split("/", 1)[0] for name in report["wheel"]}
    assert packaged == {package, "multiply_harbor_strands-0.1.0.dist-info"}, packaged
    assert report["unknown_keys"] == []
    task = report["task"]
    assert task["instruction"] == [{"role": "user", "content": "What is 2 * 3?"}]
    assert task["agent_timeout"] == 600.0 and task["verifier_timeout"] == 120.0
    assert task["image"] == "python:3.12-bookworm" and task["network"] == "public"
    assert f"{package.replace('_', '-')}-grade" in task["test_sh"]
    dockerfile = task["dockerfile"]
    assert dockerfile.startswith("# Task image")
    ours = dockerfile.split("USER root", 1)[0]  # Osmosis appends its own block after it
    instructions = [line for line in ours.splitlines() if line and not line.startswith("#")]
    assert instructions == ["FROM python:3.12-bookworm", 'CMD ["sleep", "infinity"]']


METADATA_PROBE = r"""
import json, sys, tempfile
from pathlib import Path

rollout = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(rollout))
from harbor.models.task.task import Task
from osmosis_ai.rollout import AgentWorkflowContext
from osmosis_ai.rollout.backend.harbor.tasks import HarborTask
from osmosis_ai.rollout.container.files import ContainerInput
from hb_meta_rollout.prompts import conversation

task_dir = next(rollout.glob("*-task"))
row = ContainerInput(rollout_id="m-1", prompt=[], metadata={"question": "What is 6 * 7?",
                                                             "answer": "42"})
copy = HarborTask(task_dir).materialize(Path(tempfile.mkdtemp()), row, grader_script="grade")
instruction = Task(copy).instruction
# What Osmosis' harness gives the workflow when a row has no prompt of its own:
ctx = AgentWorkflowContext(prompt=[{"role": "user", "content": instruction}],
                           metadata=row.metadata)
print("PROBE " + json.dumps(conversation(ctx)))
"""


@pytest.mark.osmosis
def test_harbor_metadata_rows_take_the_question_from_metadata(
    osmosis: Osmosis, harbor_metadata: Path, tmp_path: Path
) -> None:
    messages = run_probe(
        osmosis, METADATA_PROBE, harbor_metadata / "rollouts" / "hb-meta", tmp_path
    )
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == "What is 6 * 7?"
