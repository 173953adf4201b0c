"""The rendered workspace as a GitHub project: workflows, pre-commit, template updates, uv, guards.

Real tools throughout: check-jsonschema's GitHub-workflow schema, the pinned osmosis CLI's help
screens, pre-commit installing its hooks from PyPI, Copier updating from a throwaway template
repository with two release tags, git pushing to a local bare `origin`. The one stand-in is the
update script's GitHub REST call (`github_api`), replaced by a recorder. What needs an installed
workspace (uv sync, the root test run, the symlink guard) runs in test_first_push.py, in the
clones its CI run installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from support.doc_commands import HelpTree, command_lines
from support.github_helpers import (
    SKILL_FRESH,
    SKILL_KEPT,
    SKILL_RETIRED,
    V1,
    V2,
    V2_SKILL_LINE,
    GitHubRecorder,
    TemplateRepo,
    cli_command_problem,
    cli_commands,
    load_script,
    load_workflow,
    run_scripts,
    shared_published_template,
    step_script,
    with_bare_origin,
)
from support.helpers import ANSWER_SETS, ROOT, Osmosis, committed_copy, git, git_init_commit, render
from support.shared import shared_root

CI = ".github/workflows/ci.yml"
UPDATE = ".github/workflows/template-update.yml"
SCRIPT = ".github/scripts/template_update.py"
PRE_COMMIT = ".pre-commit-config.yaml"
CLI_HOOK = "osmosis-workspace-check"


def project_version() -> str:
    from osmosis_workspace import __version__  # pyproject.toml reads it from there

    return __version__


# ---------------------------------------------------------------------------------------------
# 1. The files exist per answer, are valid workflows, and run commands that exist
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ci", "updates", "hooks"), [(False, False, False), (True, False, True)])
def test_each_answer_gates_its_files(
    default_workspace: Path, tmp_path: Path, ci: bool, updates: bool, hooks: bool
) -> None:
    for rel in (CI, UPDATE, SCRIPT, PRE_COMMIT, "conftest.py"):
        assert (default_workspace / rel).is_file(), rel
    answers = {
        **ANSWER_SETS["defaults"],
        "github_ci": ci,
        "template_updates": updates,
        "pre_commit": hooks,
    }
    out = render(tmp_path / "demo-task", answers)
    wanted = {CI: ci, UPDATE: updates, SCRIPT: updates, PRE_COMMIT: hooks}
    for rel, present in wanted.items():
        assert (out / rel).is_file() == present, f"{rel}: expected present={present}"
    if not updates:
        assert not (out / ".github" / "scripts").exists(), "an empty .github/scripts/ is left"
    if not (ci or updates):
        assert not (out / ".github").exists(), "an empty .github/ is left behind"
    assert (out / "conftest.py").is_file() and (out / "pyproject.toml").is_file()


def test_workflows_pass_the_github_workflow_schema(renders: dict[str, Path]) -> None:
    files = [str(w / rel) for w in renders.values() for rel in (CI, UPDATE)]
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_workflows_do_what_the_workspace_promises(default_workspace: Path) -> None:
    ci = load_workflow(default_workspace / CI)
    assert {"push", "pull_request"} <= set(ci["on"])
    scripts = "\n".join(script for _, script in run_scripts(ci))
    for needed in (
        "uv sync",
        "uv run pytest",
        "osmosis doctor",
        "osmosis dataset validate",
        "osmosis-workspace check",
        "git grep",
        "*.rej",
    ):
        assert needed in scripts, needed

    update = load_workflow(default_workspace / UPDATE)
    assert {"schedule", "workflow_dispatch"} <= set(update["on"])
    assert update["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
        "issues": "write",
    }
    assert SCRIPT in step_script(update, "Update from the template")
    checkout = update["jobs"]["update"]["steps"][0]
    assert checkout["with"]["persist-credentials"] is False, "the token must not reach Copier"


def checker_requirement(workspace: Path) -> str:
    """The checker CI and pre-commit install: the recorded template source, as git."""
    answers = yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))
    commit = str(answers["_commit"])
    match = re.match(r"^.+-\d+-g([0-9a-f]+)$", commit)
    return f"osmosis-workspace @ git+file://{answers['_src_path']}@{match[1] if match else commit}"


def test_checker_and_resolution_pins_agree(default_workspace: Path) -> None:
    """CI and pre-commit install the checker from the recorded template version (it is not on
    PyPI); ruff's pin and uv's resolution cutoff are the same in every file that has them."""
    requirement = checker_requirement(default_workspace)
    ci = (default_workspace / CI).read_text(encoding="utf-8")
    assert f'checker="${{CHECKER:-{requirement}}}"' in ci
    assert "osmosis-workspace==" not in ci
    hooks = {
        h["id"]: h
        for h in yaml.safe_load((default_workspace / PRE_COMMIT).read_text(encoding="utf-8"))[
            "repos"
        ][0]["hooks"]
    }
    assert hooks[CLI_HOOK]["additional_dependencies"] == [requirement]
    root = tomllib.loads((default_workspace / "pyproject.toml").read_text(encoding="utf-8"))
    ruff_pin = next(d for d in root["dependency-groups"]["dev"] if d.startswith("ruff=="))
    assert hooks["ruff-check"]["additional_dependencies"] == [ruff_pin]
    assert hooks["ruff-format"]["additional_dependencies"] == [ruff_pin]
    cutoff = root["tool"]["uv"]["exclude-newer"]
    assert load_workflow(default_workspace / CI)["env"]["UV_EXCLUDE_NEWER"] == cutoff


def test_checker_requirement_for_each_kind_of_source(tmp_path: Path) -> None:
    """gh:/gl: shorthands, scp-style and local sources, tags and describe-style versions."""
    import jinja2

    macro = jinja2.Environment(loader=jinja2.FileSystemLoader(str(ROOT))).from_string(
        "{% from 'includes/github/tools.jinja' import checker_requirement with context %}"
        "{{ checker_requirement() }}"
    )
    cases = {
        ("gh:acme/tmpl", "v1.2.0"): "osmosis-workspace @ git+https://github.com/acme/tmpl@v1.2.0",
        (
            "gl:acme/tmpl",
            "v1.2.0-3-gabc1234",
        ): "osmosis-workspace @ git+https://gitlab.com/acme/tmpl@abc1234",
        (
            "git@github.com:acme/tmpl.git",
            "v2",
        ): "osmosis-workspace @ git+ssh://git@github.com/acme/tmpl.git@v2",
        (
            "https://example.com/tmpl.git",
            "v2",
        ): "osmosis-workspace @ git+https://example.com/tmpl.git@v2",
        ("/srv/tmpl", "v2"): "osmosis-workspace @ git+file:///srv/tmpl@v2",
        ("/srv/tmpl", ""): "",
    }
    for (src, commit), wanted in cases.items():
        got = macro.render(_copier_answers={"_src_path": src, "_commit": commit})
        assert got == wanted, (src, commit)


@pytest.mark.osmosis
def test_every_osmosis_command_in_the_workflows_exists(
    osmosis: Osmosis, default_workspace: Path, tmp_path: Path
) -> None:
    tree = HelpTree(lambda words: _osmosis_help(osmosis, words, tmp_path))
    problems, seen = [], 0
    for rel in (CI, UPDATE):
        for name, script in run_scripts(load_workflow(default_workspace / rel)):
            for words in command_lines(f"```\n{script}\n```"):
                seen += 1
                if problem := tree.problem(words):
                    problems.append(f"{rel} step {name!r}: osmosis {' '.join(words)} -> {problem}")
    assert seen >= 2, "expected `osmosis doctor` and `osmosis dataset validate`"
    assert not problems, "\n".join(problems)


def test_every_osmosis_workspace_command_exists(default_workspace: Path) -> None:
    found: list[tuple[str, list[str]]] = []
    for rel in (CI, UPDATE):
        for name, script in run_scripts(load_workflow(default_workspace / rel)):
            found += [(f"{rel} step {name!r}", words) for words in cli_commands(script)]
    for hook in yaml.safe_load((default_workspace / PRE_COMMIT).read_text())["repos"][0]["hooks"]:
        found += [(f"{PRE_COMMIT} hook {hook['id']}", w) for w in cli_commands(hook["entry"])]
    # The Markdown the workspace's users and agents read: code blocks and `inline code`.
    for doc in sorted(default_workspace.rglob("*.md")):
        rel = doc.relative_to(default_workspace).as_posix()
        text = doc.read_text(encoding="utf-8")
        code = re.findall(r"```[^\n]*\n(.*?)```", text, re.DOTALL)
        code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.DOTALL))
        # (a bare `osmosis-workspace` names the tool; only commands are checked)
        found += [(rel, words) for snippet in code for words in cli_commands(snippet) if words]
    assert len(found) >= 2, found
    assert any(words[:1] == ["add-rollout"] for _, words in found), "docs never show add-rollout"
    problems = [
        f"{where}: osmosis-workspace {' '.join(words)} -> {problem}"
        for where, words in found
        if (problem := cli_command_problem(words))
    ]
    assert not problems, "\n".join(problems)


def test_command_checkers_reject_invented_commands() -> None:
    assert list(
        cli_commands('uvx --from "osmosis-workspace==1" osmosis-workspace check --fast')
    ) == [["check", "--fast"]]
    assert cli_command_problem(["check", "--fast"]) == ""
    assert "does not exist" in cli_command_problem(["frobnicate"])
    assert "no option --turbo" in cli_command_problem(["check", "--turbo"])


def _osmosis_help(osmosis: Osmosis, words: list[str], cwd: Path) -> tuple[int, str]:
    result = osmosis.run(*words, "--help", cwd=cwd, timeout=60)
    return result.code, result.stdout


# ---------------------------------------------------------------------------------------------
# 2. pre-commit passes on a fresh render, with every hook installed from PyPI
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pre_commit_run(renders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Run pre-commit in one committed copy of the default render, sharing one hook cache."""
    workspace = committed_copy(renders["defaults"], tmp_path_factory.mktemp("pc") / "demo-task")
    home = shared_root(tmp_path_factory) / "pre-commit-home"  # one hook cache per run
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "",
    }
    # pre-commit-uv names a hook env after pre-commit's Python but lets UV_PYTHON choose the
    # interpreter; with dev.py's UV_PYTHON set, installs land in the wrong place.
    for name in ("VIRTUAL_ENV", "UV_PYTHON"):
        env.pop(name, None)
    pre_commit = str(Path(sys.executable).parent / "pre-commit")

    def run(*args: str, skip: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [pre_commit, "run", *args],
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=900,
            env={**env, "SKIP": skip},
        )

    run.workspace = workspace  # type: ignore[attr-defined]
    return run


# (pre-commit run --all-files on fresh workspaces: tests/acceptance/test_first_push.py)


@pytest.mark.slow
def test_pre_commit_stops_conflict_leftovers(pre_commit_run) -> None:  # type: ignore[no-untyped-def]
    workspace: Path = pre_commit_run.workspace
    marked, reject = workspace / "notes.md", workspace / "README.md.rej"
    marked.write_text(
        "<" * 7 + " before updating\nmine\n=======\ntheirs\n" + ">" * 7 + " after updating\n",
        encoding="utf-8",
    )
    reject.write_text("@@ -1 +1 @@\n-a\n+b\n", encoding="utf-8")
    try:
        result = pre_commit_run("check-merge-conflict", "--files", "notes.md")
        assert result.returncode == 1 and "Merge conflict string" in result.stdout, result.stdout
        result = pre_commit_run("no-rej-files", "--files", "README.md.rej")
        assert result.returncode == 1 and "README.md.rej" in result.stdout, result.stdout
    finally:
        marked.unlink()
        reject.unlink()


# ---------------------------------------------------------------------------------------------
# 3. The template-update script: branch, commit and pull request text, with and without conflicts
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    return shared_published_template(tmp_path_factory)


@pytest.fixture(scope="module")
def v1_render(template_repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace rendered from v1.0.0 and committed, once (read-only: tests copy it)."""
    dest = render(
        tmp_path_factory.mktemp("v1") / "demo-task",
        ANSWER_SETS["defaults"],
        src=template_repo.path,
        vcs_ref=V1,
    )
    return git_init_commit(dest, origin=None)


@pytest.fixture
def v1_workspace(v1_render: Path, tmp_path: Path) -> Path:
    """A copy of the v1.0.0 render, its git history included, with a bare repository as origin."""
    workspace = shutil.copytree(v1_render, tmp_path / "demo-task", symlinks=True)
    return with_bare_origin(workspace, tmp_path / "origin.git")


@pytest.fixture
def run_update(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run the workspace's own script in-process, as the workflow does, GitHub replaced."""
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_TOKEN", "test-token-never-sent")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/demo-task")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("COPIER", str(Path(sys.executable).parent / "copier"))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)

    def run(workspace: Path, *args: str) -> tuple[int, GitHubRecorder]:
        module = load_script(workspace / SCRIPT)
        recorder = GitHubRecorder()
        monkeypatch.setattr(module, "github_api", recorder)
        monkeypatch.chdir(workspace)
        return module.main(list(args)), recorder

    run.summary = summary  # type: ignore[attr-defined]
    return run


def origin_branches(workspace: Path) -> set[str]:
    out = git("ls-remote", "--heads", "origin", cwd=workspace).stdout
    return {line.split("refs/heads/", 1)[1] for line in out.splitlines()}


def show(workspace: Path, ref: str, path: str) -> str:
    return git("show", f"{ref}:{path}", cwd=workspace).stdout


@pytest.mark.slow
def test_update_opens_a_pull_request_listing_skill_changes(
    v1_workspace: Path, template_repo: TemplateRepo, run_update, capsys: pytest.CaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    code, github = run_update(v1_workspace)
    assert code == 0, capsys.readouterr().err
    branch = f"template-update/{V2}"
    assert origin_branches(v1_workspace) == {"main", branch}
    ref = f"origin/{branch}"
    git("fetch", "-q", "origin", cwd=v1_workspace)
    assert f"_commit: {V2}" in show(v1_workspace, ref, ".copier-answers.yml")
    assert V2_SKILL_LINE in show(v1_workspace, ref, template_repo.skill_file(SKILL_KEPT))
    assert show(v1_workspace, ref, template_repo.skill_file(SKILL_FRESH))
    tree = git("ls-tree", "-r", "--name-only", ref, cwd=v1_workspace).stdout
    assert SKILL_RETIRED not in tree
    assert git("status", "--porcelain", cwd=v1_workspace).stdout == ""

    pull = github.pull_request()
    assert pull["head"] == branch and pull["base"] == "main" and pull["draft"] is False
    assert pull["title"] == f"Update workspace template to {V2}"
    body = pull["body"]
    assert f"`{V1}` → `{V2}`" in body
    assert f"- **Added:** `{SKILL_FRESH}`" in body
    assert f"- **Changed:** `{SKILL_KEPT}`" in body
    assert f"- **Removed:** `{SKILL_RETIRED}`" in body
    assert "Conflicts" not in body
    assert github.labels() == ["template-update"]
    assert github.calls[0][1] == "/repos/acme/demo-task/pulls"
    assert body in run_update.summary.read_text(encoding="utf-8")

    # The next scheduled run finds the version already proposed: nothing pushed or opened.
    code, again = run_update(v1_workspace)
    assert code == 0 and again.calls == []
    assert "already proposed" in capsys.readouterr().out
    assert git("status", "--porcelain", cwd=v1_workspace).stdout == ""


@pytest.mark.slow
def test_update_with_a_conflict_is_a_labelled_draft_that_ci_refuses(
    v1_workspace: Path, template_repo: TemplateRepo, run_update, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    kept = v1_workspace / template_repo.skill_file(SKILL_KEPT)
    kept.write_text(kept.read_text(encoding="utf-8") + "My own last line.\n", encoding="utf-8")
    git("commit", "-q", "-am", "Edit a skill where the template edits it too", cwd=v1_workspace)

    code, github = run_update(v1_workspace)
    assert code == 0
    pull = github.pull_request()
    assert pull["draft"] is True
    assert pull["title"].endswith("(conflicts to resolve)")
    assert sorted(github.labels()) == ["template-conflicts", "template-update"]
    body = pull["body"]
    conflicts = body.split("### ⚠️ Conflicts to resolve before merging", 1)[1].split("###", 1)[0]
    assert f"- `{template_repo.skill_file(SKILL_KEPT)}`: conflict markers" in conflicts
    assert body.index("Conflicts to resolve") < body.index("### Agent Skills")

    # Committed with the markers, and said so in the commit too: never silently.
    branch = f"template-update/{V2}"
    git("fetch", "-q", "origin", cwd=v1_workspace)
    committed = show(v1_workspace, f"origin/{branch}", template_repo.skill_file(SKILL_KEPT))
    assert "<" * 7 + " before updating" in committed and V2_SKILL_LINE in committed
    message = git("log", "-1", "--format=%B", f"origin/{branch}", cwd=v1_workspace).stdout
    assert "unresolved conflicts" in message and SKILL_KEPT in message

    # CI's own leftover check fails on that branch and names the file.
    check = step_script(load_workflow(v1_workspace / CI), "No unresolved template-update")
    clone = tmp_path / "branch-checkout"
    git("clone", "-q", "--branch", branch, str(tmp_path / "origin.git"), str(clone), cwd=tmp_path)
    ci = subprocess.run(["bash", "-e", "-c", check], cwd=clone, capture_output=True, text=True)
    assert ci.returncode == 1
    assert template_repo.skill_file(SKILL_KEPT) in ci.stdout and "::error::" in ci.stdout


@pytest.mark.slow
def test_update_when_up_to_date_changes_nothing(
    template_repo: TemplateRepo, run_update, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    dest = render(
        tmp_path / "demo-task", ANSWER_SETS["defaults"], src=template_repo.path, vcs_ref=V2
    )
    workspace = with_bare_origin(git_init_commit(dest, origin=None), tmp_path / "origin.git")
    code, github = run_update(workspace)
    assert code == 0 and github.calls == []
    assert "Already up to date" in capsys.readouterr().out
    assert origin_branches(workspace) == {"main"}
    assert git("status", "--porcelain", cwd=workspace).stdout == ""


def test_update_refuses_a_dirty_tree(
    default_workspace: Path, run_update, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    workspace = committed_copy(default_workspace, tmp_path / "demo-task")
    (workspace / "scratch.txt").write_text("not committed\n", encoding="utf-8")
    code, github = run_update(workspace)
    assert code == 1 and github.calls == []
    assert "uncommitted changes" in capsys.readouterr().err


def test_update_keeps_tokens_away_from_copier(
    default_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = load_script(default_workspace / SCRIPT)
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    monkeypatch.setenv("TEMPLATE_UPDATE_TOKEN", "secret")
    env = module.copier_env()
    assert "GITHUB_TOKEN" not in env and "TEMPLATE_UPDATE_TOKEN" not in env


# ---------------------------------------------------------------------------------------------
# 4. The root pyproject installs every rollout
# ---------------------------------------------------------------------------------------------


def rollouts_in(workspace: Path) -> dict[str, str]:
    """{folder name: project name} of every rollouts/*/pyproject.toml."""
    return {
        p.parent.name: tomllib.loads(p.read_text(encoding="utf-8"))["project"]["name"]
        for p in sorted(workspace.glob("rollouts/*/pyproject.toml"))
    }


def test_root_pyproject_installs_every_rendered_rollout(workspace: Path) -> None:
    config = tomllib.loads((workspace / "pyproject.toml").read_text(encoding="utf-8"))
    group = config["dependency-groups"]["rollouts"]
    sources = config["tool"]["uv"]["sources"]
    assert "workspace" not in config["tool"]["uv"], "rollouts must stay standalone projects"
    rollouts = rollouts_in(workspace)
    assert rollouts
    for folder, name in rollouts.items():
        assert name in group
        assert sources[name] == {"path": f"rollouts/{folder}", "editable": True}
    answers = yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert config["project"]["requires-python"] == f">={answers['python_version']}"


# Installing and testing every rollout, offline after CI's one resolution, a rollout folder
# pyproject.toml does not list, each rollout's own environment, and a checkout with
# core.symlinks=false: tests/acceptance/test_first_push.py, in the clones its CI run installed.
