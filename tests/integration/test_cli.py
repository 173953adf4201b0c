"""The ``osmosis-workspace`` commands: help, ``--json`` envelopes and exit codes.

Most calls go through Typer's ``CliRunner`` in-process (Copier is imported once); a few run the
installed console script to cover the real entry point.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.helpers import git
from support.safety_helpers import small_workspace
from support.workspace_api_helpers import (
    V1,
    V2,
    TemplateRepo,
    add_release,
    copy_workspace,
    run_entry_point,
)
from typer.testing import CliRunner

from osmosis_workspace.cli.typer_app import typer_app
from osmosis_workspace.exit_codes import ExitCode

runner = CliRunner()


#: Renders without the worked examples (fewer files) where a test does not read them.
LEAN = ("--set", "include_examples=false")


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(typer_app, list(args), env=env)


def payload(result: Any) -> dict[str, Any]:
    data = json.loads(result.stdout)
    assert set(data) == {"schema_version", "command", "ok", "exit_code", "result", "error"}
    assert data["exit_code"] == result.exit_code
    return data


# ---------------------------------------------------------------------------------------------
# Help and version
# ---------------------------------------------------------------------------------------------


def test_add_rollout_outside_a_workspace_is_refused(tmp_path: Path) -> None:
    result = invoke("add-rollout", "second", "--path", str(tmp_path), "--json")
    assert result.exit_code == ExitCode.REFUSED
    assert payload(result)["error"]["code"] == "not_a_workspace"
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_the_rollout_scope(tmp_path: Path) -> None:
    result = invoke("new", str(tmp_path / "ws"), "--defaults", "--set", "scope=rollout", "--json")
    assert result.exit_code == ExitCode.USAGE
    assert "add-rollout" in payload(result)["error"]["message"]
    assert not (tmp_path / "ws").exists()


# ---------------------------------------------------------------------------------------------
# new
# ---------------------------------------------------------------------------------------------


def test_new_with_defaults_names_the_workspace_after_the_folder(
    tmp_path: Path, repo: TemplateRepo
) -> None:
    dest = tmp_path / "Support_Triage"
    result = invoke("new", str(dest), "--defaults", "--template", repo.location, "--json")
    assert result.exit_code == 0, result.stdout
    data = payload(result)["result"]
    assert data["answers"]["workspace_name"] == "support-triage"
    assert data["version"] == V2 and data["template"] == repo.location  # latest tag
    assert data["updatable"] is True and data["commit"]
    recorded = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert (recorded["_src_path"], recorded["_commit"]) == (repo.location, V2)
    git("cat-file", "-e", f"{recorded['_commit']}^{{commit}}", cwd=repo.path)  # a real commit
    assert git("log", "--format=%s", cwd=dest).stdout.count("\n") == 1
    assert git("status", "--porcelain", cwd=dest).stdout == ""
    steps = "\n".join(data["next_steps"])
    assert "data/support-triage.jsonl" in steps and "configs/eval/support-triage.toml" in steps
    assert sorted(data["files"]) == data["files"] and ".copier-answers.yml" in data["files"]


def test_new_human_output_ends_with_next_steps(tmp_path: Path, repo: TemplateRepo) -> None:
    """What ``python3 dev.py demo`` runs: new DEST --defaults --set workspace_name=NAME."""
    proc = run_entry_point(
        "new",
        "demo",
        "--defaults",
        "--set",
        "workspace_name=demo-run",
        "--template",
        repo.location,
        "--ref",
        V1,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Created Osmosis workspace demo-run" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].lstrip().startswith("6. ")
    assert (
        "Next steps:" in proc.stdout
        and "osmosis eval run configs/eval/demo-run.toml" in proc.stdout
    )


def test_new_answers_from_data_file_and_set(tmp_path: Path, repo: TemplateRepo) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text(
        "workspace_name: ticket-desk\npython_version: '3.13'\n"
        "_src_path: ignored\n_commit: ignored\n"
    )
    dest = tmp_path / "out"
    result = invoke(
        "new",
        str(dest),
        "--data-file",
        str(answers),
        "--set",
        "rollout_name=router",
        "--set",
        "skills=plan-eval,create-rollouts",
        "--template",
        repo.location,
        "--json",
        *LEAN,
    )
    assert result.exit_code == 0, result.stdout
    recorded = payload(result)["result"]["answers"]
    assert recorded["workspace_name"] == "ticket-desk" and recorded["rollout_name"] == "router"
    assert recorded["python_version"] == "3.13" and recorded["skills"] == [
        "plan-eval",
        "create-rollouts",
    ]
    assert (dest / ".python-version").read_text().strip() == "3.13"
    assert (dest / "rollouts" / "router" / "main.py").is_file()


def test_new_reports_every_bad_answer_and_leaves_nothing(
    tmp_path: Path, repo: TemplateRepo
) -> None:
    dest = tmp_path / "bad"
    result = invoke(
        "new",
        str(dest),
        "--template",
        repo.location,
        "--json",
        "--set",
        "workspace_name=Bad Name",
        "--set",
        "python_version=3.99",
        "--set",
        "eval_model=openai/sk-abcdefghijklmnopqrstuvwxyz",
        "--set",
        "nope=1",
    )
    assert result.exit_code == ExitCode.INVALID_ANSWERS
    error = payload(result)["error"]
    assert error["code"] == "invalid_answers"
    named = {p["question"]: p["reason"] for p in error["problems"]}
    assert set(named) == {"workspace_name", "python_version", "eval_model", "nope"}
    assert "lowercase letters" in named["workspace_name"]
    assert "sk-abcdefghijklmnop" not in result.stdout  # a secret is never echoed back
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_new_usage_and_refusals(tmp_path: Path, repo: TemplateRepo) -> None:
    malformed = invoke(
        "new", str(tmp_path / "a"), "--set", "workspace_name", "--json", "--template", repo.location
    )
    assert malformed.exit_code == ExitCode.USAGE
    assert payload(malformed)["error"]["code"] == "usage"

    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine\n")
    refused = invoke("new", str(occupied), "--defaults", "--template", repo.location, "--json")
    assert refused.exit_code == ExitCode.REFUSED
    assert payload(refused)["error"]["code"] == "destination_not_empty"

    leaky = invoke(
        "new",
        str(tmp_path / "b"),
        "--defaults",
        "--json",
        "--template",
        "https://user:ghp_secret@github.com/acme/template.git",
    )
    assert leaky.exit_code == ExitCode.REFUSED
    assert payload(leaky)["error"]["code"] == "unsafe_template"
    assert "ghp_secret" not in leaky.stdout


def test_new_force_keeps_other_files_and_no_git(tmp_path: Path, repo: TemplateRepo) -> None:
    dest = tmp_path / "existing-work"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine\n")
    result = invoke(
        "new",
        str(dest),
        "--defaults",
        "--force",
        "--no-git",
        "--template",
        repo.location,
        "--json",
        *LEAN,
    )
    assert result.exit_code == 0, result.stdout
    data = payload(result)["result"]
    assert data["commit"] is None and not (dest / ".git").exists()
    assert (dest / "notes.txt").read_text() == "mine\n" and (dest / "AGENTS.md").is_file()
    assert any(step.startswith("git init") for step in data["next_steps"])


def test_new_failure_inside_copier_leaves_nothing_behind(
    tmp_path: Path, repo: TemplateRepo
) -> None:
    broken = add_release(repo, tmp_path / "broken-template", "v3.0.0", '_tasks:\n  - "exit 3"\n')
    parent = tmp_path / "fresh" / "nested"
    result = invoke(
        "new", str(parent / "ws"), "--defaults", "--template", str(broken.path), "--json"
    )
    assert result.exit_code == ExitCode.ERROR
    assert payload(result)["error"]["code"] == "copier_failed"
    assert not (tmp_path / "fresh").exists()  # parents it created are gone too


def test_new_uses_the_configured_default_template(tmp_path: Path, repo: TemplateRepo) -> None:
    result = invoke(
        "new",
        str(tmp_path / "env-default"),
        "--defaults",
        "--json",
        *LEAN,
        env={"OSMOSIS_WORKSPACE_TEMPLATE": repo.location},
    )
    assert result.exit_code == 0, result.stdout
    assert payload(result)["result"]["template"] == repo.location


# ---------------------------------------------------------------------------------------------
# update (the scenario suite is in test_update.py)
# ---------------------------------------------------------------------------------------------


def test_update_human_output_and_answer_change(
    tmp_path: Path, repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The small workspace (no worked examples) shared with the safety tests: an update renders
    # the template twice, and the examples add nothing to what this test reads.
    ws = copy_workspace(small_workspace(tmp_path_factory, repo, V2), tmp_path / "ws")
    result = invoke("update", str(ws), "--set", "python_version=3.13")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"Updated from {V2} to {V2}." in result.stdout
    assert "Files modified:\n  .copier-answers.yml\n  .python-version" in result.stdout
    assert "Review with `git diff`" in result.stderr
    assert (ws / ".python-version").read_text().strip() == "3.13"

    again = invoke("update", str(ws), "--json")
    assert again.exit_code == ExitCode.REFUSED
    error = payload(again)["error"]
    assert error["code"] == "dirty" and ".python-version" in error["paths"]


def test_update_outside_a_workspace(tmp_path: Path) -> None:
    result = invoke("update", str(tmp_path), "--json")
    assert result.exit_code == ExitCode.REFUSED
    assert payload(result)["error"]["code"] == "not_a_workspace"


def test_new_passes_file_answers_as_absolute_paths(tmp_path: Path, repo: TemplateRepo) -> None:
    """A relative ``dataset_file`` means the user's file, not one in the new workspace."""
    rows = "".join(
        json.dumps({"user_prompt": f"q{i}", "ground_truth": str(i)}) + "\n" for i in range(5)
    )
    (tmp_path / "mine.jsonl").write_text(rows)
    proc = run_entry_point(
        "new",
        "imported",
        "--defaults",
        "--set",
        "dataset_file=mine.jsonl",
        "--template",
        repo.location,
        "--json",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answers = json.loads(proc.stdout)["result"]["answers"]
    assert answers["dataset_file"] == str(tmp_path / "mine.jsonl")
    assert (tmp_path / "imported" / "data" / "imported.jsonl").read_text() == rows
