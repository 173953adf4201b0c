"""Update scenarios through the real Copier and git, on a template repository with two tags.

``support.template_repo.build_template_repo`` makes v1.0.0 and v2.0.0 of the template (v2 adds a
skill, removes one, edits AGENTS.md, renames one file and deletes another). Every test copies a
workspace created at v1 and updates it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.helpers import ROOT, git, tree_bytes
from support.workspace_api_helpers import (
    AGENTS_V2_SECTION,
    DEFAULT_ANSWERS,
    V1,
    V2,
    TemplateRepo,
    add_release,
    commit_all,
    copy_workspace,
    run_entry_point,
    shared_workspace,
)
from typer.testing import CliRunner

from osmosis_workspace.api import (
    CreateOptions,
    UpdateOptions,
    WorkspaceError,
    create_workspace,
    update_workspace,
)
from osmosis_workspace.cli.typer_app import typer_app
from osmosis_workspace.exit_codes import ExitCode


@pytest.fixture(scope="module")
def v1_workspace(tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    return shared_workspace(tmp_path_factory, repo, V1)


@pytest.fixture(scope="module")
def v2_workspace(tmp_path_factory: pytest.TempPathFactory, repo: TemplateRepo) -> Path:
    return shared_workspace(tmp_path_factory, repo, V2)


@pytest.fixture
def ws(tmp_path: Path, v1_workspace: Path) -> Path:
    """A private copy of the v1 workspace (``.git`` included)."""
    return copy_workspace(v1_workspace, tmp_path / v1_workspace.name)


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory, v1_workspace: Path):  # type: ignore[no-untyped-def]
    """The v1 workspace updated to the latest version, untouched by the user (read-only)."""
    path = copy_workspace(v1_workspace, tmp_path_factory.mktemp("updated") / v1_workspace.name)
    return path, update_workspace(path)


def dangling_links(root: Path) -> list[str]:
    return [
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if ".git" not in p.relative_to(root).parts and p.is_symlink() and not p.exists()
    ]


def state(root: Path) -> dict[str, object]:
    """Everything an update could change: files (ignored ones too), HEAD, index, status."""
    return {
        "tree": tree_bytes(root),
        "head": git("rev-parse", "HEAD", cwd=root).stdout,
        "index": git("ls-files", "-s", cwd=root).stdout,
        "status": git("status", "--porcelain", "--ignored", cwd=root).stdout,
    }


def commit(root: Path, message: str = "user work") -> None:
    git("add", "-A", cwd=root)
    git("commit", "-q", "-m", message, cwd=root)


def without_commit_line(tree: dict[str, bytes | str]) -> dict[str, bytes | str]:
    answers = tree[".copier-answers.yml"]
    assert isinstance(answers, bytes)
    return {**tree, ".copier-answers.yml": re.sub(rb"(?m)^_commit: .*\n", b"", answers)}


# ---------------------------------------------------------------------------------------------


@pytest.mark.smoke  # part of `dev.py test --fast`
def test_clean_update_reports_skills_and_files(updated) -> None:  # type: ignore[no-untyped-def]
    path, result = updated
    assert (result.from_version, result.to_version) == (V1, V2)
    assert result.ok and result.conflicts == () and result.kept == ()
    assert result.changes.skills.added == ("fixture-fresh",)
    assert result.changes.skills.removed == ("fixture-retired",)
    assert "AGENTS.md" in result.changes.modified
    assert "data/DATASETS.md" in result.changes.added
    assert {"data/README.md", "rollouts/README.md"} <= set(result.changes.deleted)
    assert "_commit: v2.0.0" in (path / ".copier-answers.yml").read_text()
    assert AGENTS_V2_SECTION.strip() in (path / "AGENTS.md").read_text()


def test_skill_added_upstream_appears_with_its_link(updated) -> None:  # type: ignore[no-untyped-def]
    path, _result = updated
    link = path / ".claude" / "skills"
    assert link.is_symlink() and os.readlink(link) == "../.agents/skills"
    assert (link / "fixture-fresh" / "SKILL.md").is_file()
    assert (path / ".agents" / "skills" / "fixture-fresh" / "references" / "notes.md").is_file()


def test_skill_removed_upstream_leaves_no_dangling_link(updated) -> None:  # type: ignore[no-untyped-def]
    path, _result = updated
    assert not (path / ".agents" / "skills" / "fixture-retired").exists()
    assert not (path / ".claude" / "skills" / "fixture-retired").exists()
    assert dangling_links(path) == []


def test_golden_v1_updated_equals_fresh_v2(updated, v2_workspace: Path) -> None:  # type: ignore[no-untyped-def]
    path, _result = updated
    assert without_commit_line(tree_bytes(path)) == without_commit_line(tree_bytes(v2_workspace))


def test_user_edits_are_kept(ws: Path) -> None:
    agents = ws / "AGENTS.md"
    lines = agents.read_text().splitlines(keepends=True)
    agents.write_text("# My own title for the agents file\n" + "".join(lines[1:]))
    readme = ws / "README.md"
    readme.write_text(readme.read_text() + "\nTeam notes: ask Dana before training.\n")
    (ws / "data" / "README.md").write_text("# Data\n\nOur labelling guide lives here.\n")
    mine = ws / ".agents" / "skills" / "team-conventions"
    mine.mkdir()
    (mine / "SKILL.md").write_text(
        "---\nname: team-conventions\ndescription: Team rules. "
        "Use when writing code here.\n---\n\nBe kind.\n"
    )
    (ws / "configs" / "benchmark" / "default.toml").unlink()  # a file the user deleted
    commit(ws)

    result = update_workspace(ws)

    assert result.ok, result.conflicts
    text = agents.read_text()
    assert text.startswith("# My own title for the agents file\n")
    assert AGENTS_V2_SECTION.strip() in text
    assert "Team notes: ask Dana" in readme.read_text()
    assert (mine / "SKILL.md").is_file() and (ws / ".claude/skills/team-conventions").exists()
    assert "team-conventions" not in result.changes.skills.removed
    assert not (ws / "configs" / "benchmark" / "default.toml").exists()
    # Edited here, renamed upstream: kept as the user left it, reported, new name added.
    assert result.kept == ("data/README.md",)
    assert "labelling guide" in (ws / "data" / "README.md").read_text()
    assert (ws / "data" / "DATASETS.md").is_file()
    assert dangling_links(ws) == []


def test_conflicting_edit_is_reported_with_nonzero_exit(ws: Path) -> None:
    agents = ws / "AGENTS.md"
    agents.write_text(agents.read_text() + "\n## Our section\n\nWritten by the team.\n")
    commit(ws)

    proc = run_entry_point("update", "--json", cwd=ws)

    assert proc.returncode == ExitCode.CONFLICTS, proc.stdout + proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["ok"] is False and payload["exit_code"] == 6
    assert payload["result"]["conflicts"] == ["AGENTS.md"]
    text = agents.read_text()
    assert "<<<<<<<" in text and ">>>>>>>" in text
    assert "Written by the team." in text and "arrived with template v2" in text
    human = run_entry_point("check", "--fast", cwd=ws)
    assert human.returncode == ExitCode.PROBLEMS
    assert "AGENTS.md: contains merge-conflict markers" in human.stdout


def test_rej_mode_reports_rej_files(ws: Path) -> None:
    agents = ws / "AGENTS.md"
    agents.write_text(agents.read_text() + "\n## Our section\n")
    commit(ws)
    result = update_workspace(ws, UpdateOptions(conflict="rej"))
    assert not result.ok
    assert "AGENTS.md.rej" in result.conflicts


def test_failure_in_copier_restores_the_exact_state(
    tmp_path: Path, repo: TemplateRepo, ws: Path
) -> None:
    broken = add_release(repo, tmp_path / "template-v3", "v3.0.0", '_tasks:\n  - "exit 3"\n')
    answers = ws / ".copier-answers.yml"
    answers.write_text(answers.read_text().replace(str(repo.path), str(broken.path)))
    commit(ws, "point at the v3 template")
    (ws / ".env").write_text("OPENAI_API_KEY=sk-local-only\n")  # ignored by .gitignore
    before = state(ws)

    result = CliRunner().invoke(typer_app, ["update", str(ws), "--ref", "v3.0.0", "--json"])

    assert result.exit_code == ExitCode.ERROR
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "update_failed"
    assert error["details"]["exception"] == "TaskError"  # files were written, then it failed
    assert error["details"]["from"] == V1 and error["details"]["to"] == "v3.0.0"
    assert "restored" in error["message"]
    assert state(ws) == before
    assert "_commit: v1.0.0" in answers.read_text()


def test_failure_after_copier_restores_the_exact_state(ws: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from osmosis_workspace.operations import update

    def boom(root: Path, before: set[str]) -> list[str]:
        assert "_commit: v2.0.0" in (root / ".copier-answers.yml").read_text()
        raise RuntimeError("injected failure after Copier wrote the update")

    monkeypatch.setattr(update, "prune_dangling_links", boom)
    before = state(ws)
    with pytest.raises(WorkspaceError) as caught:
        update_workspace(ws)
    assert caught.value.code == "update_failed" and caught.value.exit_code == ExitCode.ERROR
    assert state(ws) == before


def test_updating_to_the_same_version_changes_nothing(tmp_path: Path, v2_workspace: Path) -> None:
    path = copy_workspace(v2_workspace, tmp_path / "same")
    readme = path / "README.md"
    readme.write_text(readme.read_text() + "\nLocal note.\n")
    commit(path)
    before = state(path)
    result = update_workspace(path, UpdateOptions(ref=V2))
    assert result.changes.empty and result.ok and result.kept == ()
    assert state(path) == before


def test_plain_copier_update_gives_the_same_result(tmp_path: Path, v1_workspace: Path) -> None:
    ours = copy_workspace(v1_workspace, tmp_path / "ours" / "demo-task")
    plain = copy_workspace(v1_workspace, tmp_path / "plain" / "demo-task")
    copier_exe = Path(sys.executable).with_name("copier")
    env = {**os.environ, "COPIER_SETTINGS_PATH": str(tmp_path / "no-settings.yml")}
    proc = subprocess.run(
        [str(copier_exe), "update", "--trust", "--defaults", "--quiet"],
        cwd=plain,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    mine = run_entry_point("update", cwd=ours)
    assert mine.returncode == 0, mine.stderr
    assert tree_bytes(ours) == tree_bytes(plain)
    status = [git("status", "--porcelain", cwd=p).stdout for p in (ours, plain)]
    assert status[0] == status[1]


def test_dirty_tree_is_refused_with_the_files_listed(ws: Path) -> None:
    (ws / "README.md").write_text("changed\n")
    (ws / "scratch.txt").write_text("untracked\n")
    before = tree_bytes(ws)
    proc = run_entry_point("update", cwd=ws)
    assert proc.returncode == ExitCode.REFUSED
    assert "uncommitted changes" in proc.stderr
    assert "README.md" in proc.stderr and "scratch.txt" in proc.stderr
    assert tree_bytes(ws) == before


def test_downgrade_and_non_workspaces_are_refused(tmp_path: Path, v2_workspace: Path) -> None:
    path = copy_workspace(v2_workspace, tmp_path / "v2")
    with pytest.raises(WorkspaceError) as caught:
        update_workspace(path, UpdateOptions(ref=V1))
    assert caught.value.code == "downgrade" and caught.value.exit_code == ExitCode.REFUSED
    with pytest.raises(WorkspaceError) as caught:
        update_workspace(tmp_path)
    assert caught.value.code == "not_a_workspace"


#: copier.yml folds the multi-line skill ``_exclude`` entry with ``>-`` (lines joined by spaces),
#: so a skill selection renders every skill; reported to the template's owner. This test passes
#: by itself once the entry is a literal block (``|-``).
SELECTION_BUG = ">-\n    {% if 'all' not in skills %}" in (ROOT / "copier.yml").read_text()


@pytest.mark.xfail(
    SELECTION_BUG, reason="copier.yml _exclude folds the skill patterns (>-)", strict=True
)
def test_skill_selection_does_not_receive_new_skills(tmp_path: Path, repo: TemplateRepo) -> None:
    answers = {**DEFAULT_ANSWERS, "skills": ["update-workspace", "debug-rollouts"]}
    path = tmp_path / "picked"
    create_workspace(path, answers, CreateOptions(template=repo.location, ref=V1))
    assert sorted(p.name for p in (path / ".agents" / "skills").iterdir()) == [
        "debug-rollouts",
        "update-workspace",
    ]
    result = update_workspace(path)
    assert result.ok and result.changes.skills.added == ()
    assert sorted(p.name for p in (path / ".agents" / "skills").iterdir()) == [
        "debug-rollouts",
        "update-workspace",
    ]
    assert dangling_links(path) == []


# ---------------------------------------------------------------------------------------------
# A template with one link per skill (the design Copier handles worst): removed skill's link
# ---------------------------------------------------------------------------------------------

PER_SKILL_COPIER_YML = """\
_subdirectory: template
_preserve_symlinks: true
name:
  type: str
  default: demo
"""


def _per_skill_template(root: Path) -> Path:
    tpl = root / "template"
    for skill in ("alpha", "beta"):
        folder = tpl / ".agents" / "skills" / skill
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(
            f"---\nname: {skill}\ndescription: {skill}. Use when testing.\n---\n\nBody.\n"
        )
        links = tpl / ".claude" / "skills"
        links.mkdir(parents=True, exist_ok=True)
        (links / skill).symlink_to(f"../../.agents/skills/{skill}")
    (root / "copier.yml").write_text(PER_SKILL_COPIER_YML)
    (tpl / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers | to_nice_yaml -}}\n"
    )
    git("init", "-q", "-b", "main", cwd=root)
    commit_all(root, "v1", "v1.0.0")
    shutil.rmtree(tpl / ".agents" / "skills" / "beta")
    (tpl / ".claude" / "skills" / "beta").unlink()
    commit_all(root, "v2", "v2.0.0")
    return root


def test_per_skill_links_of_removed_skills_are_pruned(tmp_path: Path) -> None:
    template = _per_skill_template(tmp_path / "per-skill-template")
    path = tmp_path / "ws"
    create_workspace(path, {}, CreateOptions(template=str(template), ref="v1.0.0"))
    assert os.readlink(path / ".claude" / "skills" / "beta") == "../../.agents/skills/beta"
    result = update_workspace(path)
    assert result.changes.skills.removed == ("beta",)
    assert result.pruned_links == (".claude/skills/beta",)
    assert not (path / ".claude" / "skills" / "beta").is_symlink()
    assert (path / ".claude" / "skills" / "alpha" / "SKILL.md").is_file()
    assert dangling_links(path) == []
