"""The Python API the platform backend calls: results, the error type, isolation, sources."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from support.helpers import git
from support.workspace_api_helpers import V1, V2, TemplateRepo, commit_all

from osmosis_workspace import api
from osmosis_workspace.engine.source import (
    package_checkout,
    resolve,
)
from osmosis_workspace.errors import WorkspaceError
from osmosis_workspace.exit_codes import ExitCode

ANSWERS = {"workspace_name": "api-task"}


def test_create_returns_paths_answers_and_version(
    tmp_path: Path, repo: TemplateRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Host Copier settings must not leak in: these defaults would change two answers.
    settings = tmp_path / "settings.yml"
    settings.write_text("defaults:\n  python_version: '3.13'\n  eval_model: x/y\n")
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(settings))
    dest = tmp_path / "api-task"
    result = api.create_workspace(dest, ANSWERS, api.CreateOptions(template=repo.location, ref=V1))
    assert result.path == dest and result.version == V1 and result.updatable
    assert result.template == repo.location
    committed = git("ls-files", cwd=dest).stdout.splitlines()
    assert list(result.files) == sorted(committed)
    assert result.answers["workspace_name"] == "api-task"
    assert result.answers["python_version"] == "3.12"  # template defaults, recorded too
    assert result.answers["eval_model"] == "openai/gpt-5-mini"
    assert not any(key.startswith("_") for key in result.answers)
    assert result.commit == git("rev-parse", "HEAD", cwd=dest).stdout.strip()
    assert result.to_dict()["path"] == str(dest)


def test_invalid_answers_name_each_question_and_never_echo_values(
    tmp_path: Path, repo: TemplateRepo
) -> None:
    secret = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
    with pytest.raises(WorkspaceError) as caught:
        api.create_workspace(
            tmp_path / "x",
            {
                "workspace_name": "",
                "rollout_name": "default",
                "task_description": f"use {secret}",
                "include_examples": "maybe",
            },
            api.CreateOptions(template=repo.location),
        )
    error = caught.value
    assert error.code == "invalid_answers" and error.exit_code == ExitCode.INVALID_ANSWERS
    assert [p.question for p in error.problems] == [
        "workspace_name",
        "task_description",
        "rollout_name",
        "include_examples",
    ]
    assert error.question == "workspace_name" and "required" in (error.reason or "")
    assert secret not in str(error) and secret not in repr(error.to_dict())
    assert not (tmp_path / "x").exists()


def test_source_version_rules(tmp_path: Path) -> None:
    """Latest tag; else the HEAD commit; uncommitted changes only with ref HEAD (not updatable)."""
    template = tmp_path / "tpl"
    (template / "template").mkdir(parents=True)
    (template / "copier.yml").write_text("_subdirectory: template\nname:\n  default: x\n")
    (template / "template" / "README.md").write_text("hello\n")
    (template / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers | to_nice_yaml -}}\n"
    )
    git("init", "-q", "-b", "main", cwd=template)
    commit_all(template, "first")
    head = git("rev-parse", "HEAD", cwd=template).stdout.strip()
    assert resolve(str(template)).ref == head
    git("tag", "v0.1.0", cwd=template)
    assert resolve(str(template)).ref == "v0.1.0"
    (template / "template" / "README.md").write_text("work in progress\n")
    clean = resolve(str(template))
    assert clean.ref == "v0.1.0" and clean.updatable and "not included" in clean.notes[0]
    dirty = resolve(str(template), "HEAD")
    assert dirty.ref == "HEAD" and not dirty.updatable

    result = api.create_workspace(
        tmp_path / "wip", {}, api.CreateOptions(template=str(template), ref="HEAD")
    )
    assert (result.path / "README.md").read_text() == "work in progress\n"
    assert result.version is None and not result.updatable
    assert "_commit" not in yaml.safe_load((result.path / ".copier-answers.yml").read_text())
    with pytest.raises(WorkspaceError) as caught:
        api.update_workspace(result.path)
    assert caught.value.code == "not_updatable"


def test_default_template_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, repo: TemplateRepo
) -> None:
    monkeypatch.setenv("OSMOSIS_WORKSPACE_TEMPLATE", repo.location)
    assert resolve().location == repo.location and resolve().ref == V2
    monkeypatch.delenv("OSMOSIS_WORKSPACE_TEMPLATE")
    checkout = package_checkout()
    assert checkout is not None and (checkout / "copier.yml").is_file()


def test_add_rollout_needs_a_workspace(tmp_path: Path) -> None:
    """(The add-rollout scenarios themselves are in test_add_rollout.py.)"""
    with pytest.raises(WorkspaceError) as caught:
        api.add_rollout(tmp_path, "second")
    assert caught.value.code == "not_a_workspace"
    assert list(tmp_path.iterdir()) == []
