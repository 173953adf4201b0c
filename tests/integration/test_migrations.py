"""Copier migrations: a workspace made by an older release updates across breaking releases.

A throwaway copy of this repository gets three releases:

* ``v0.1.0``: as today, plus a question ``team_name`` (rendered into ``TEAM.md``) and a
  user-editable ``data/README.md``;
* ``v0.2.0``: renames the question to ``owner_team`` and moves the file to
  ``data/DATASETS.md`` (changing one of its lines), with a migration for each;
* ``v0.3.0``: moves ``data/DATASETS.md`` to the workspace's ``./docs/DATASETS.md``, with a
  migration.

The migrations are this repository's own ``migrations/migrate.py`` steps, listed in
``copier.yml``'s ``_migrations`` the way docs/releasing.md says to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from support.helpers import ROOT, git
from support.workspace_api_helpers import commit_all, copy_template_files

V1, V2, V3 = "v0.1.0", "v0.2.0", "v0.3.0"
README = "".join(f"Line {n} of the data notes.\n" for n in range(1, 13))
USER_LINE = "Line 3 of the data notes, as our team rewrote it.\n"
TEMPLATE_LINE = "Line 11 of the data notes, improved by the template.\n"
SCRIPT = ".github/scripts/template_update.py"
MIGRATE = '["{{ _copier_python }}", "{{ _copier_conf.src_path }}/migrations/migrate.py", '
SRC = "{{ _copier_conf.src_path }}"


def migration(version: str, *step: str) -> str:
    """An entry as docs/releasing.md writes it (a moved workspace file skips rollout updates)."""
    args = ", ".join(f'"{part}"' for part in step)
    workspace_only = "{{ _copier_conf.answers_file | string == '.copier-answers.yml' }}"
    when = workspace_only if step[0] == "move" else "{{ true }}"
    return f'  - version: {version}\n    when: "{when}"\n    command: {MIGRATE}{args}]\n'


def set_migrations(template: Path, entries: list[str]) -> None:
    config = template / "copier.yml"
    text = config.read_text(encoding="utf-8")
    start = text.index("_migrations:")
    end = text.index("\n\n", start)
    config.write_text(
        text[:start] + "_migrations:\n" + "".join(entries).rstrip("\n") + text[end:],
        encoding="utf-8",
    )


def build_releases(dest: Path) -> Path:
    """The three releases described in the module docstring."""
    copy_template_files(dest)
    config = dest / "copier.yml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + ("\nteam_name:\n  type: str\n  help: Team that owns this workspace.\n  default: ''\n"),
        encoding="utf-8",
    )
    (dest / "template" / "TEAM.md.jinja").write_text("Team: {{ team_name }}\n")
    (dest / "template" / "data" / "README.md").write_text(README)
    git("init", "-q", "-b", "main", cwd=dest)
    commit_all(dest, "Release 0.1.0", V1)

    config.write_text(
        config.read_text(encoding="utf-8").replace("\nteam_name:", "\nowner_team:"),
        encoding="utf-8",
    )
    (dest / "template" / "TEAM.md.jinja").write_text("Team: {{ owner_team }}\n")
    git("mv", "template/data/README.md", "template/data/DATASETS.md", cwd=dest)
    (dest / "template" / "data" / "DATASETS.md").write_text(
        README.replace("Line 11 of the data notes.\n", TEMPLATE_LINE)
    )
    v2_steps = [
        migration(V2, "move", SRC, "data/README.md", "data/DATASETS.md"),
        migration(
            V2, "rename-answer", "{{ _copier_conf.answers_file }}", "team_name", "owner_team"
        ),
    ]
    set_migrations(dest, v2_steps)
    commit_all(dest, "Release 0.2.0", V2)

    (dest / "template" / "docs").mkdir()
    git("mv", "template/data/DATASETS.md", "template/docs/DATASETS.md", cwd=dest)
    set_migrations(
        dest, [*v2_steps, migration(V3, "move", SRC, "data/DATASETS.md", "docs/DATASETS.md")]
    )
    commit_all(dest, "Release 0.3.0", V3)
    return dest


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_releases(tmp_path_factory.mktemp("releases") / "osmosis-workspace")


@pytest.fixture(scope="module")
def v1_workspace(releases: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace made from v0.1.0 whose user rewrote a line of data/README.md (committed)."""
    from osmosis_workspace.api import CreateOptions, create_workspace

    dest = tmp_path_factory.mktemp("v1") / "demo-task"
    # Few files (one skill, no examples): three renders per update stay quick.
    create_workspace(
        dest,
        {
            "workspace_name": "demo-task",
            "team_name": "ml-platform",
            "include_examples": False,
            "skills": ["update-workspace"],
        },
        CreateOptions(template=str(releases), ref=V1),
    )
    notes = dest / "data" / "README.md"
    notes.write_text(notes.read_text().replace("Line 3 of the data notes.\n", USER_LINE))
    git("commit", "-q", "-am", "Our own data notes", cwd=dest)
    return dest


def answers(workspace: Path, ref: str = "HEAD") -> dict[str, object]:
    return yaml.safe_load(git("show", f"{ref}:.copier-answers.yml", cwd=workspace).stdout)


@pytest.mark.slow
def test_template_update_runs_the_migration_keeps_edits_and_says_so(
    v1_workspace: Path, tmp_path: Path
) -> None:
    workspace = shutil.copytree(v1_workspace, tmp_path / "demo-task", symlinks=True)
    env = {**os.environ, "COPIER": str(Path(sys.executable).parent / "copier")}
    env.pop("GITHUB_TOKEN", None)
    done = subprocess.run(
        [sys.executable, SCRIPT, "--local", "--version", V2],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # The pull request text says which migration steps ran.
    body = done.stdout.split("Pull request text:", 1)[1]
    assert "### Migrations" in body
    assert f"- {V2}: moved data/README.md to data/DATASETS.md" in body
    assert f"- {V2}: answer team_name renamed to owner_team in .copier-answers.yml" in body

    branch = f"template-update/{V2}"
    moved = git("show", f"{branch}:data/DATASETS.md", cwd=workspace).stdout
    assert USER_LINE in moved and TEMPLATE_LINE in moved, "the user's edit and the template's"
    assert "<<<<<<<" not in moved
    listed = git("ls-tree", "-r", "--name-only", branch, cwd=workspace).stdout.split()
    assert "data/README.md" not in listed
    recorded = answers(workspace, branch)
    assert recorded["_commit"] == V2
    assert recorded["owner_team"] == "ml-platform" and "team_name" not in recorded
    assert git("show", f"{branch}:TEAM.md", cwd=workspace).stdout == "Team: ml-platform\n"


@pytest.mark.slow
def test_a_workspace_two_releases_behind_replays_every_migration_in_one_update(
    v1_workspace: Path, tmp_path: Path
) -> None:
    workspace = shutil.copytree(v1_workspace, tmp_path / "demo-task", symlinks=True)
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "copier"),
            "update",
            "--trust",
            "--defaults",
            "--conflict",
            "inline",
            "--vcs-ref",
            V3,
        ],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    steps = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.startswith("Template migration")
    ]
    assert steps == [
        f"Template migration {V2}: moved data/README.md to data/DATASETS.md",
        f"Template migration {V2}: answer team_name renamed to owner_team in .copier-answers.yml",
        f"Template migration {V3}: moved data/DATASETS.md to docs/DATASETS.md",
    ]
    moved = (workspace / "docs" / "DATASETS.md").read_text()
    assert USER_LINE in moved and TEMPLATE_LINE in moved
    assert not (workspace / "data" / "README.md").exists()
    assert not (workspace / "data" / "DATASETS.md").exists()
    recorded = yaml.safe_load((workspace / ".copier-answers.yml").read_text())
    assert recorded["_commit"] == V3 and recorded["owner_team"] == "ml-platform"


@pytest.mark.slow
def test_update_does_not_restore_a_file_a_migration_moved(
    v1_workspace: Path, tmp_path: Path
) -> None:
    """The moved file's content (edits included) is carried to its new place: the update must
    not also restore it at the old path as a "user-edited file the new version deleted"."""
    from osmosis_workspace.api import UpdateOptions, update_workspace

    workspace = shutil.copytree(v1_workspace, tmp_path / "demo-task", symlinks=True)
    result = update_workspace(workspace, UpdateOptions(ref=V3))
    assert result.kept == ()
    assert not (workspace / "data" / "README.md").exists(), "a duplicate of the moved file"
    assert not (workspace / "data" / "DATASETS.md").exists()
    moved = (workspace / "docs" / "DATASETS.md").read_text()
    assert USER_LINE in moved and TEMPLATE_LINE in moved
    record = workspace / ".git" / "osmosis-template-migrations" / "moved"
    assert not record.exists(), "the record is consumed by the update"


# ---------------------------------------------------------------------------------------------
# migrate.py on its own: idempotent, and refuses to overwrite
# ---------------------------------------------------------------------------------------------


def migrate(*args: str, cwd: Path, stage: str = "before") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "migrations" / "migrate.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "VERSION_CURRENT": "v9.0.0", "VERSION_FROM": "", "STAGE": stage},
    )


def test_move_never_overwrites_and_keeps_an_edited_copy_without_its_original(
    tmp_path: Path,
) -> None:
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "old.md").write_text("mine\n")
    (tmp_path / "new.md").write_text("also mine\n")
    git("add", "-A", cwd=tmp_path)
    refused = migrate("move", str(tmp_path), "old.md", "new.md", cwd=tmp_path)
    assert refused.returncode == 1 and "new.md already exists" in refused.stderr
    assert (tmp_path / "old.md").read_text() == "mine\n"
    assert (tmp_path / "new.md").read_text() == "also mine\n"

    (tmp_path / "new.md").unlink()
    moved = migrate("move", str(tmp_path), "old.md", "sub/new.md", cwd=tmp_path)
    assert moved.stderr == "Template migration v9.0.0: moved old.md to sub/new.md\n"
    assert moved.stdout == "", "stdout stays free for the caller's own output (JSON)"
    (tmp_path / "old.md").unlink()  # what Copier does to a file the new release lacks
    merged = migrate("move", str(tmp_path), "old.md", "sub/new.md", cwd=tmp_path, stage="after")
    assert merged.returncode == 0, merged.stderr
    assert (tmp_path / "sub" / "new.md").read_text() == "mine\n"
    again = migrate("move", str(tmp_path), "old.md", "sub/new.md", cwd=tmp_path)
    assert again.returncode == 0 and again.stderr == "", "a done step does nothing"
    kept = tmp_path / ".git" / "osmosis-template-migrations"
    # Only the record of what moved is left, for the updater (it consumes it).
    assert [p.name for p in kept.iterdir()] == ["moved"]
    assert (kept / "moved").read_text() == "old.md\n"


def test_rename_answer_keeps_every_other_byte(tmp_path: Path) -> None:
    answers_file = tmp_path / ".copier-answers.yml"
    original = "# header\n_commit: v1\nteam_name: a\nteam_name_extra: b\n"
    answers_file.write_text(original)
    renamed = migrate("rename-answer", ".copier-answers.yml", "team_name", "owner", cwd=tmp_path)
    assert renamed.returncode == 0
    assert answers_file.read_text() == original.replace("team_name:", "owner:")
    answers_file.write_text("team_name: a\nowner: b\n")
    clash = migrate("rename-answer", ".copier-answers.yml", "team_name", "owner", cwd=tmp_path)
    assert clash.returncode == 1 and "both team_name and owner" in clash.stderr
    assert answers_file.read_text() == "team_name: a\nowner: b\n"
    unknown = migrate("rename", "a", cwd=tmp_path)
    assert unknown.returncode == 2 and "steps: rename-answer" in unknown.stderr


def test_repository_migrations_are_listed_in_release_order() -> None:
    """Copier runs matching entries in list order: the list must follow the releases."""
    from packaging.version import Version

    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    entries = config["_migrations"]
    versions = [Version(entry["version"]) for entry in entries]
    assert versions == sorted(versions)
    for entry in entries:
        assert "migrations/migrate.py" in " ".join(entry["command"])
        assert entry["command"][2] in {"move", "rename-answer"}
