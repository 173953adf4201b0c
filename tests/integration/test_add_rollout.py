"""``add-rollout``: a second rollout with other choices, refreshed later by its own update.

A throwaway template repository gets one more release (v3) that changes a file every rollout
renders. A workspace created at v2 gains a second rollout (other framework, dataset mode and
grader); then the workspace and the rollout are updated to v3, each on its own, with the real
``copier update`` and with ``osmosis-workspace update --rollout``, and each update must leave
the other's files byte for byte as they were.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from support.helpers import GIT_ENV, VERSION_BEARING, git, tree_bytes
from support.rollout_workspace import (
    SECOND,
    SECOND_ANSWERS,
    SECOND_ANSWERS_FILE,
    STARTER,
    V3,
    V3_LINE,
    TwoRollouts,
    repo_with_v3,
    two_rollout_workspace,
)
from support.workspace_api_helpers import (
    V2,
    TemplateRepo,
    copy_workspace,
)
from typer.testing import CliRunner

from osmosis_workspace.api import (
    AddRolloutOptions,
    CreateOptions,
    UpdateOptions,
    WorkspaceError,
    add_rollout,
    check_workspace,
    create_workspace,
    update_workspace,
)
from osmosis_workspace.cli.typer_app import typer_app

USER_LINE = "# kept: a line the user added to the second rollout's tools\n"


def second_rollout_paths(rel: str) -> bool:
    """Paths owned by the second rollout's answers file."""
    return rel.startswith(f"rollouts/{SECOND}/") or rel in {
        f"configs/eval/{SECOND}.toml",
        f"configs/training/{SECOND}.toml",
        f"data/{SECOND}.jsonl",
        SECOND_ANSWERS_FILE,
    }


def changed_paths(before: dict[str, bytes | str], after: dict[str, bytes | str]) -> set[str]:
    return {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}


@pytest.fixture(scope="module")
def repo_v3(tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> TemplateRepo:
    return repo_with_v3(tmp_path_factory, repo)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> TwoRollouts:
    """A v2 workspace (committed), then the same with the second rollout added and committed."""
    return two_rollout_workspace(tmp_path_factory, repo)


@pytest.fixture
def ws(tmp_path: Path, base: dict[str, object]) -> Path:
    """A private copy of the workspace with both rollouts (``.git`` included)."""
    return copy_workspace(base.path, tmp_path / base.path.name)


def copier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real ``copier`` CLI of this environment, non-interactive."""
    exe = Path(sys.executable).with_name("copier")
    result = subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV},
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def commit(root: Path, message: str) -> None:
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", message, cwd=root)


# ---------------------------------------------------------------------------------------------
# Adding
# ---------------------------------------------------------------------------------------------


@pytest.mark.smoke  # part of `dev.py test --fast`
def test_adds_only_the_rollout_and_its_registration(base: TwoRollouts) -> None:
    root, files = base.path, base.files
    before, after = tree_bytes(base.before), tree_bytes(root)
    changed = changed_paths(before, after)
    assert changed - {"pyproject.toml"} == set(files)
    assert all(second_rollout_paths(rel) for rel in files)
    assert {
        f"rollouts/{SECOND}/main.py",
        f"configs/eval/{SECOND}.toml",
        f"configs/training/{SECOND}.toml",
        f"data/{SECOND}.jsonl",
        SECOND_ANSWERS_FILE,
    } <= set(files)
    # The root pyproject gains exactly two lines: the group entry and the uv source.
    old_lines = before["pyproject.toml"].decode().splitlines()  # type: ignore[union-attr]
    new_lines = after["pyproject.toml"].decode().splitlines()  # type: ignore[union-attr]
    added = [line for line in new_lines if line not in old_lines]
    assert added == [
        f'    "{SECOND}",',
        f'{SECOND} = {{ path = "rollouts/{SECOND}", editable = true }}',
    ]
    assert [line for line in old_lines if line not in new_lines] == []
    config = tomllib.loads(after["pyproject.toml"].decode())  # type: ignore[union-attr]
    assert config["dependency-groups"]["rollouts"] == [STARTER, SECOND]
    # Committed as one commit on top of the workspace's, with nothing left over.
    head_before = git("rev-parse", "HEAD", cwd=base.before).stdout.strip()
    assert git("rev-parse", "HEAD~1", cwd=root).stdout.strip() == head_before
    assert git("status", "--porcelain", cwd=root).stdout == ""


def test_rollout_answers_record_the_choices_and_the_version(base: TwoRollouts) -> None:
    root = base.path
    answers = yaml.safe_load((root / SECOND_ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == V2
    assert answers["scope"] == "rollout"
    assert answers["rollout_name"] == SECOND
    assert {k: answers[k] for k in SECOND_ANSWERS} == SECOND_ANSWERS
    assert answers["include_examples"] is False
    main = yaml.safe_load((root / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert "scope" not in main  # the workspace's own answers file is unchanged in shape
    for inherited in ("workspace_name", "task_description", "eval_model", "python_version"):
        assert answers[inherited] == main[inherited]
    data = [json.loads(line) for line in (root / "data" / f"{SECOND}.jsonl").open()]
    assert data and all(set(row) >= {"metadata"} for row in data)  # metadata mode rows


def test_workspace_check_accepts_both_rollouts(base: TwoRollouts) -> None:
    root = base.path
    report = check_workspace(root)
    assert report.ok, [str(p) for p in report.problems]


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        (
            lambda ws: (ws / SECOND_ANSWERS_FILE).write_text(
                "_commit: v2.0.0\n[broken", encoding="utf-8"
            ),
            "not valid YAML",
        ),
        (
            lambda ws: (ws / SECOND_ANSWERS_FILE).write_text(
                (ws / SECOND_ANSWERS_FILE)
                .read_text(encoding="utf-8")
                .replace("scope: rollout", "scope: workspace"),
                encoding="utf-8",
            ),
            "scope: rollout",
        ),
        (
            lambda ws: shutil.rmtree(ws / "rollouts" / SECOND),
            f"rollouts/{SECOND}, which is missing",
        ),
    ],
    ids=["unparseable", "wrong-scope", "rollout-deleted"],
)
def test_check_reports_a_broken_rollout_answers_file(ws: Path, damage, needle: str) -> None:  # type: ignore[no-untyped-def]
    damage(ws)
    for fast in (True, False):
        problems = [
            p for p in check_workspace(ws, fast=fast).problems if p.file == SECOND_ANSWERS_FILE
        ]
        assert any(needle in p.message for p in problems), (fast, problems)


# ---------------------------------------------------------------------------------------------
# Updating each rollout on its own
# ---------------------------------------------------------------------------------------------


def test_copier_update_of_each_answers_file_touches_only_its_own_files(ws: Path) -> None:
    tools = ws / "rollouts" / SECOND / f"{SECOND.replace('-', '_')}_rollout" / "tools.py"
    tools.write_text(tools.read_text(encoding="utf-8") + USER_LINE, encoding="utf-8")
    commit(ws, "user work in the second rollout")

    before = tree_bytes(ws)
    copier("update", "--trust", "--defaults", "--vcs-ref", V3, cwd=ws)
    after_main = tree_bytes(ws)
    # The workspace's CI, pre-commit and update skill install the checker from the recorded
    # template version, so they follow the new version too; no rollout file of SECOND moves.
    assert changed_paths(before, after_main) == {
        f"rollouts/{STARTER}/README.md",
        ".copier-answers.yml",
        *VERSION_BEARING,
    }
    assert V3_LINE in (ws / "rollouts" / STARTER / "README.md").read_text(encoding="utf-8")
    commit(ws, "workspace to v3")

    copier("update", "--trust", "--defaults", "--vcs-ref", V3, "-a", SECOND_ANSWERS_FILE, cwd=ws)
    after_rollout = tree_bytes(ws)
    assert changed_paths(after_main, after_rollout) == {
        f"rollouts/{SECOND}/README.md",
        SECOND_ANSWERS_FILE,
    }
    assert V3_LINE in (ws / "rollouts" / SECOND / "README.md").read_text(encoding="utf-8")
    assert tools.read_text(encoding="utf-8").endswith(USER_LINE)
    answers = yaml.safe_load((ws / SECOND_ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == V3 and answers["scope"] == "rollout"


def test_update_rollout_equals_a_fresh_add_at_the_new_version(
    ws: Path, tmp_path: Path, repo_v3: TemplateRepo
) -> None:
    """Golden test: the rollout updated to v3 equals the same rollout added at v3."""
    workspace_update = update_workspace(ws, UpdateOptions(ref=V3))
    assert [n for n in workspace_update.notes if f"--rollout {SECOND}" in n]
    assert not any(second_rollout_paths(p) for p in workspace_update.changes.modified)
    commit(ws, "workspace to v3")
    result = update_workspace(ws, UpdateOptions(ref=V3, rollout=SECOND))
    assert result.ok and result.to_version == V3
    assert set(result.changes.modified) == {f"rollouts/{SECOND}/README.md", SECOND_ANSWERS_FILE}

    fresh = tmp_path / "fresh" / STARTER
    create_workspace(
        fresh,
        {"workspace_name": STARTER, "include_examples": False},
        CreateOptions(template=repo_v3.location, ref=V3),
    )
    add_rollout(fresh, SECOND, SECOND_ANSWERS)
    updated, expected = tree_bytes(ws), tree_bytes(fresh)
    owned = sorted(rel for rel in expected if second_rollout_paths(rel))
    assert owned and {rel: updated.get(rel) for rel in owned} == {
        rel: expected[rel] for rel in owned
    }


def test_update_of_an_unknown_rollout_is_refused(ws: Path) -> None:
    with pytest.raises(WorkspaceError) as raised:
        update_workspace(ws, UpdateOptions(rollout="nope"))
    assert raised.value.code == "not_updatable"
    assert SECOND in raised.value.message


# ---------------------------------------------------------------------------------------------
# Refusals leave the workspace exactly as it was
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "answers", "code", "needle"),
    [
        (SECOND, {}, "rollout_exists", f"rollouts/{SECOND}"),
        (STARTER, {}, "rollout_exists", f"rollouts/{STARTER}"),
        ("Bad_Name", {}, "invalid_answers", "rollout_name"),
        ("third", {"grader": "nope"}, "invalid_answers", "grader"),
        ("third", {"include_examples": True}, "usage", "include_examples"),
        ("third", {"rollout_name": "other"}, "usage", "rollout_name"),
        # An existing dataset is reused, and its mode must match the answers.
        (
            "third",
            {"dataset_name": STARTER, "dataset_mode": "metadata"},
            "invalid_answers",
            "dataset_mode",
        ),
    ],
)
def test_refusals_change_nothing(
    ws: Path, name: str, answers: dict[str, object], code: str, needle: str
) -> None:
    before = tree_bytes(ws)
    with pytest.raises(WorkspaceError) as raised:
        add_rollout(ws, name, answers)
    error = raised.value
    assert error.code == code
    assert needle in error.message + " ".join(f"{p.question} {p.reason}" for p in error.problems)
    assert tree_bytes(ws) == before
    assert git("status", "--porcelain", "--ignored", cwd=ws).stdout == ""


def test_unreadable_root_pyproject_undoes_the_rendered_files(ws: Path) -> None:
    (ws / "pyproject.toml").write_text("[project\nname = 'broken'\n", encoding="utf-8")
    commit(ws, "broken pyproject")
    before = tree_bytes(ws)
    with pytest.raises(WorkspaceError) as raised:
        add_rollout(ws, "third")
    assert raised.value.code == "invalid_workspace"
    assert "pyproject.toml" in raised.value.message
    assert tree_bytes(ws) == before
    assert git("status", "--porcelain", "--ignored", cwd=ws).stdout == ""


def test_commit_refuses_to_sweep_in_uncommitted_pyproject_edits(ws: Path) -> None:
    pyproject = ws / "pyproject.toml"
    pyproject.write_text(pyproject.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    before = tree_bytes(ws)
    with pytest.raises(WorkspaceError) as raised:
        add_rollout(ws, "third", options=AddRolloutOptions(commit=True))
    assert raised.value.code == "dirty" and raised.value.paths == ("pyproject.toml",)
    assert tree_bytes(ws) == before
    add_rollout(ws, "third")  # without --commit the rollout is added beside the user's edit
    assert pyproject.read_text(encoding="utf-8").endswith("# mine\n")


def test_failed_commit_undoes_files_index_and_pyproject(ws: Path) -> None:
    lock = ws / ".git" / "index.lock"  # another git process holds the index: `git add` fails
    lock.write_text("", encoding="utf-8")
    before = tree_bytes(ws)
    with pytest.raises(WorkspaceError) as raised:
        add_rollout(ws, "third", options=AddRolloutOptions(commit=True))
    assert raised.value.code == "git_failed"
    assert tree_bytes(ws) == before
    lock.unlink()
    assert git("status", "--porcelain", "--ignored", cwd=ws).stdout == ""


def test_existing_dataset_is_reused_and_left_as_it_was(ws: Path) -> None:
    data = ws / "data" / f"{STARTER}.jsonl"
    original = data.read_bytes()
    result = add_rollout(ws, "numeric-check", {"dataset_name": STARTER, "grader": "numeric"})
    assert result.reused_dataset == f"data/{STARTER}.jsonl"
    assert f"data/{STARTER}.jsonl" not in result.files
    assert data.read_bytes() == original
    config = tomllib.loads((ws / "configs" / "eval" / "numeric-check.toml").read_text())
    assert STARTER in json.dumps(config)


def test_dataset_import_through_add_rollout(ws: Path, tmp_path: Path) -> None:
    good = tmp_path / "tickets.csv"
    rows = "\n".join(f"Ticket {i}: where is my parcel?,shipping" for i in range(5))
    good.write_text(f"user_prompt,ground_truth\n{rows}\n", encoding="utf-8")
    result = add_rollout(ws, "tickets", {"dataset_file": str(good), "grader": "contains"})
    imported = [json.loads(line) for line in (ws / "data" / "tickets.jsonl").open()]
    assert len(imported) == 5 and imported[0]["ground_truth"] == "shipping"
    assert "data/tickets.jsonl" in result.files

    bad = tmp_path / "bad.csv"
    bad.write_text("user_prompt,ground_truth\nonly one,row\n", encoding="utf-8")
    before = tree_bytes(ws)
    with pytest.raises(WorkspaceError) as raised:
        add_rollout(ws, "bad-import", {"dataset_file": str(bad)})
    assert raised.value.code == "invalid_answers"
    assert "bad.csv" in " ".join(p.reason for p in raised.value.problems)
    assert tree_bytes(ws) == before


# ---------------------------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------------------------


def test_cli_add_rollout_with_choice_options(ws: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        typer_app,
        [
            "add-rollout",
            "sandboxed",
            "--path",
            str(ws),
            "--agent-framework",
            "strands",
            "--execution-backend",
            "harbor",
            "--grader",
            "numeric",
            "--commit",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["ok"] and payload["command"] == "add-rollout"
    answers = payload["result"]["answers"]
    assert (answers["agent_framework"], answers["execution_backend"], answers["grader"]) == (
        "strands",
        "harbor",
        "numeric",
    )
    assert (ws / "rollouts" / "sandboxed" / "sandboxed-task" / "task.toml").is_file()
    assert git("status", "--porcelain", cwd=ws).stdout == ""
    assert any("update --rollout sandboxed" in step for step in payload["result"]["next_steps"])

    again = runner.invoke(typer_app, ["add-rollout", "sandboxed", "--path", str(ws)])
    assert again.exit_code == 4
    assert "already exist" in again.output


def test_cli_update_rollout_flag(ws: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(typer_app, ["update", str(ws), "--rollout", "nope", "--json"])
    assert result.exit_code == 4, result.output
    assert json.loads(result.stdout)["error"]["code"] == "not_updatable"
