"""Offline eval smoke: `osmosis eval run` of each rollout on a few rows against a scripted model.

    uv run python tools/eval_smoke.py                 every local-backend rollout, 3 rows each
    uv run python tools/eval_smoke.py my-rollout --rows 5

It proves, without a key, a network or a bill, that each rollout installs, loads, calls the
model, round-trips a tool call and grades every row, exactly as a paid `osmosis eval run` would:
the model is the rollout's own scripted model (rollouts/<name>/tests/scripted_model.py) on
127.0.0.1, reached through the CLI's LiteLLM bridge (``OPENAI_API_BASE``). On each row the model
first calls the first tool the agent offers, then answers with the row's ground truth as
``#### <answer>``; a request without tools (an LLM judge) gets ``SCORE: 10``.

`osmosis eval run` exits 0 even when rows fail, so this reads its JSON and exits 1 when any row
errored or went ungraded. Rollouts on the Harbor backend need Docker or a sandbox and are
skipped. The configs/eval/<rollout>.toml of each rollout is used with its model switched to the
scripted one (a temporary copy next to it, removed afterwards) and every required secret set to
a dummy value, so no real key is ever sent anywhere.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPTED_MODEL = "openai/scripted-model"


def load_scripted_model(rollout: Path) -> ModuleType:
    """The rollout's own tests/scripted_model.py, loaded by path."""
    path = rollout / "tests" / "scripted_model.py"
    if not path.is_file():
        sys.exit(f"error: {path.relative_to(ROOT)} is missing (a template update restores it)")
    spec = importlib.util.spec_from_file_location(f"scripted_model_{rollout.name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def read_rows(path: Path, count: int) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append(json.loads(line))
        if len(rows) == count:
            break
    return rows


def dummy_arguments(tool: dict[str, Any]) -> dict[str, Any]:
    """Arguments of the right JSON types for a tool schema (the tool may well reject them)."""
    samples = {"integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
    properties = tool.get("function", {}).get("parameters", {}).get("properties", {})
    return {name: samples.get(spec.get("type"), "1 + 1") for name, spec in properties.items()}


def make_script(scripted: ModuleType, rows: list[dict[str, Any]]) -> Any:
    """Call a tool once, then answer each row with its ground truth; judge calls get 10/10."""
    answers = {str(r.get("user_prompt", "")).strip(): r.get("ground_truth") for r in rows}

    def script(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Any:
        if not tools:
            return scripted.Reply("SCORE: 10")
        if not any(message.get("role") == "tool" for message in messages):
            return scripted.CallTool(tools[0]["function"]["name"], dummy_arguments(tools[0]))
        truth = answers.get(scripted.last_user_text(messages).strip())
        return scripted.Reply(f"#### {truth}" if truth is not None else "#### 42")

    return script


def smoke_config(config: Path) -> tuple[Path, list[str]]:
    """A temporary copy of ``config`` whose model is the scripted one; and its secret names."""
    text = config.read_text(encoding="utf-8")
    secrets = tomllib.loads(text).get("secrets", {}).get("required", [])
    text = re.sub(r"(?m)^model_path\s*=.*$", f'model_path = "{SCRIPTED_MODEL}"', text)
    copy = config.with_name(f"{config.stem}.eval-smoke.toml")
    if copy.exists():
        sys.exit(f"error: {copy.relative_to(ROOT)} exists; remove it (it is this script's)")
    copy.write_text(text, encoding="utf-8")
    return copy, list(secrets)


def run_eval(rollout: str, rows: int, scratch: Path) -> list[str]:
    """One `osmosis eval run`; returns the problems found (empty when every row graded)."""
    config = ROOT / "configs" / "eval" / f"{rollout}.toml"
    dataset = tomllib.loads(config.read_text(encoding="utf-8"))["experiment"]["dataset"]
    data = ROOT / "data" / f"{dataset}.jsonl"
    if not data.is_file():
        return [f"{data.relative_to(ROOT)} (the dataset of {config.relative_to(ROOT)}) is missing"]
    sample = scratch / f"{rollout}.jsonl"
    picked = read_rows(data, rows)
    sample.write_text("".join(json.dumps(row) + "\n" for row in picked), encoding="utf-8")
    scripted = load_scripted_model(ROOT / "rollouts" / rollout)
    copy, secrets = smoke_config(config)
    try:
        with scripted.ScriptedModel(make_script(scripted, picked), max_seconds=900) as model:
            env = os.environ | {name: "scripted-model-no-key" for name in secrets}
            env |= {"OPENAI_API_BASE": model.base_url, "OPENAI_API_KEY": "scripted-model-no-key"}
            command = ["osmosis", "--json", "eval", "run", str(copy.relative_to(ROOT))]
            command += ["--dataset-file", str(sample), "--output", str(scratch / "runs")]
            command += ["--name", f"smoke-{rollout}", "--fresh", "--yes"]
            done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        copy.unlink(missing_ok=True)
    return problems(done, len(picked))


def problems(done: subprocess.CompletedProcess[str], rows: int) -> list[str]:
    """What went wrong in an `osmosis --json eval run`, read from its exit code and JSON."""
    try:
        payload = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return [f"osmosis exited {done.returncode} without a JSON result:\n{done.stderr[-3000:]}"]
    resource = payload.get("resource") or {}
    metrics = resource.get("metrics") or {}
    found = []
    if done.returncode != 0 or payload.get("status") != "success":
        found.append(f"status {payload.get('status')!r}, exit code {done.returncode}")
    if resource.get("failed"):
        found.append(f"{resource['failed']} of {rows} rows failed (see the run's logs)")
    if metrics.get("graded") != rows:
        found.append(f"{metrics.get('graded')} of {rows} rows graded")
    return found


def local_rollouts() -> list[str]:
    """Rollouts with an eval config whose main.py does not use the Harbor backend."""
    names = []
    for folder in sorted((ROOT / "rollouts").iterdir()):
        main = folder / "main.py"
        if not main.is_file() or not (ROOT / "configs" / "eval" / f"{folder.name}.toml").is_file():
            continue
        if "from harbor" in main.read_text(encoding="utf-8"):
            print(f"skip {folder.name}: Harbor backend (needs Docker or a sandbox)")
            continue
        names.append(folder.name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rollouts", nargs="*", help="rollouts to smoke (default: every local one)")
    parser.add_argument("--rows", type=int, default=3, help="rows per rollout (default 3)")
    args = parser.parse_args(argv)
    status = 0
    with tempfile.TemporaryDirectory(prefix="eval-smoke-") as scratch:
        for rollout in args.rollouts or local_rollouts():
            found = run_eval(rollout, args.rows, Path(scratch))
            print(f"{'FAIL' if found else 'ok'}   {rollout}", *found, sep="\n  ", flush=True)
            status |= bool(found)
    return status


if __name__ == "__main__":
    sys.exit(main())
