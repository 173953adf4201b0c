"""Update this workspace from its Copier template and propose the result as a pull request.

The template-update workflow runs this script; you can run it yourself from a clean checkout:

    python .github/scripts/template_update.py --local      # branch and commit only
    python .github/scripts/template_update.py              # also push and open the PR

What it does:

1. runs `copier update --defaults --conflict inline` for .copier-answers.yml and then for the
   answers file of every rollout added with `osmosis-workspace add-rollout`
   (.copier-answers.rollout-<name>.yml): your answers are reused and your own edits are
   merged with the template's changes. Paths listed in .osmosis-workspace-ignore (gitignore
   patterns) are put back exactly as they were after each run; a committed uv.lock is
   refreshed with `uv lock` when uv is installed;
2. stops quietly when the template has no newer version, or when the branch
   `template-update/<version>` already exists on origin (that version was already proposed;
   closing its pull request skips the version);
3. commits everything on that branch as one commit, conflicts included, pushes it and opens
   a pull request
   whose body lists the Agent Skills added, changed or removed and the other files changed.

Conflicts are never committed silently: files Copier could not merge keep their conflict
markers so that you can resolve them on the branch, and the pull request is opened as a draft
with the label `template-conflicts` and the files listed at the top of its body. The CI
workflow fails while conflict markers or *.rej files are committed.

Standard library only. Copier (with copier-template-extensions) must be on PATH, or named by
the COPIER variable. On GitHub the token comes from GITHUB_TOKEN and the repository from
GITHUB_REPOSITORY; the token is never passed to Copier.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANSWERS_FILE = ".copier-answers.yml"
ROLLOUT_ANSWERS_GLOB = ".copier-answers.rollout-*.yml"
OPTOUT_FILE = ".osmosis-workspace-ignore"
SKILLS_DIR = ".agents/skills"
BRANCH_PREFIX = "template-update/"
LABEL = "template-update"
CONFLICT_LABEL = "template-conflicts"
#: Environment variables that must not reach template code run by Copier.
SECRET_VARIABLES = (
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "TEMPLATE_UPDATE_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)
#: Lines Copier's inline conflict mode writes (built here so this file never contains them).
MARKERS = ("<" * 7 + " ", ">" * 7 + " ")
MAX_LISTED_FILES = 60
#: How the template's migration steps announce themselves in Copier's output.
MIGRATION_LINE = re.compile(r"^Template migration (\S+): (.+)$", re.MULTILINE)


class UpdateError(Exception):
    """Something the user must fix; printed without a traceback."""


class GitHubError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"GitHub API error {status}: {message}")
        self.status = status
        self.message = message


@dataclass
class Update:
    """What one template update changed, as the pull request describes it."""

    source: str
    old_version: str
    new_version: str
    branch: str
    base: str
    skills_added: list[str] = field(default_factory=list)
    skills_changed: list[str] = field(default_factory=list)
    skills_removed: list[str] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (status letter, path)
    conflicts: list[str] = field(default_factory=list)
    rejects: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)  # "v1.2.0: moved a to b"

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicts or self.rejects)


# ---------------------------------------------------------------------------------------------
# git and Copier
# ---------------------------------------------------------------------------------------------


def run(
    args: list[str], *, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise UpdateError(f"`{shlex.join(args)}` failed:\n{result.stderr or result.stdout}")
    return result


def git(*args: str, check: bool = True) -> str:
    return run(["git", "-c", "core.quotePath=false", *args], check=check).stdout.strip()


def remote_git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """git talking to origin, authenticated with GITHUB_TOKEN inside GitHub Actions."""
    config: list[str] = []
    token = os.environ.get("GITHUB_TOKEN")
    if token and os.environ.get("GITHUB_ACTIONS") == "true":
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        config = ["-c", f"http.{server}/.extraheader=AUTHORIZATION: basic {basic}"]
    return run(["git", "-c", "core.quotePath=false", *config, *args], check=check)


def report(text: str) -> None:
    """Print, and add to the job summary when running in GitHub Actions."""
    print(text)
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def answer(name: str, answers_file: str = ANSWERS_FILE) -> str:
    """A top-level scalar of an answers file (no YAML library needed for these keys)."""
    text = Path(answers_file).read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(name)}:[ \t]*(.+?)[ \t]*$", text, re.MULTILINE)
    if not match:
        raise UpdateError(f"{answers_file} has no {name}: was this workspace made by Copier?")
    return match.group(1).strip("'\"")


def answers_files() -> list[str]:
    """The workspace's answers file, then those of rollouts added with add-rollout."""
    return [ANSWERS_FILE, *sorted(str(p) for p in Path(".").glob(ROLLOUT_ANSWERS_GLOB))]


def listed(*args: str) -> set[str]:
    return set(filter(None, git("ls-files", "-z", *args).split("\0")))


def opted_out(which: str) -> set[str]:
    """Files matching .osmosis-workspace-ignore (git's own gitignore-style matching)."""
    if not Path(OPTOUT_FILE).is_file():
        return set()
    return listed(which, "--ignored", f"--exclude-from={OPTOUT_FILE}")


def hold_opted_out() -> list[str]:
    """Committed paths the user opted out of (and the opt-out file itself), before updating."""
    held = opted_out("--cached") | listed("--cached", "--", OPTOUT_FILE)
    return sorted(held)


def restore_opted_out(held: list[str]) -> None:
    """Put opted-out paths back as HEAD has them; delete matching files the update created."""
    if held:
        git("checkout", "HEAD", "--", *held)
    for path in opted_out("--others") & listed("--others", "--exclude-standard"):
        Path(path).unlink()
        folder = Path(path).parent
        while folder != Path(".") and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def copier_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRET_VARIABLES}
    env.setdefault("NO_COLOR", "1")
    return env


def migrations_in(output: str) -> list[str]:
    """The template's migration steps that ran, from Copier's output ("version: what")."""
    return [f"{version}: {what}" for version, what in MIGRATION_LINE.findall(output)]


def run_copier(version: str | None, answers_file: str = ANSWERS_FILE) -> list[str]:
    """`copier update` in place; returns the migration steps that ran (see migrations_in).

    --trust: the template's Jinja extensions and migrations are Python code.
    """
    command = shlex.split(os.environ.get("COPIER", "copier"))
    args = [
        *command,
        "update",
        "--trust",
        "--defaults",
        "--conflict",
        "inline",
        "--answers-file",
        answers_file,
    ]
    if version:
        args += ["--vcs-ref", version]
    result = run(args, env=copier_env(), check=False)
    if result.returncode != 0:
        raise UpdateError(
            f"copier update of {answers_file} failed; nothing was changed.\n{result.stderr}"
        )
    return migrations_in(result.stdout + result.stderr)


def refresh_lock() -> str:
    """`uv lock` when a uv.lock is committed and uv is installed; a warning line, or ""."""
    if not listed("--cached", "--", "uv.lock"):
        return ""
    if not shutil.which("uv"):
        return "uv is not installed here: run `uv lock` on this branch and commit uv.lock."
    result = run(["uv", "lock", "--quiet"], env=copier_env(), check=False)
    if result.returncode != 0:
        return f"`uv lock` failed; run it on this branch and commit uv.lock:\n{result.stderr}"
    return ""


def restore_clean_tree() -> None:
    git("reset", "--hard", "--quiet", "HEAD")
    git("clean", "-d", "--force", "--quiet")


def skills_in(tree: str | None) -> set[str]:
    """Skill folders in HEAD (tree="HEAD") or in the index (tree=None)."""
    if tree:
        listing = git("ls-tree", "-r", "--name-only", tree, "--", SKILLS_DIR)
    else:
        listing = git("ls-files", "--", SKILLS_DIR)
    depth = SKILLS_DIR.count("/") + 1
    return {
        parts[depth] for line in listing.splitlines() if len(parts := line.split("/")) > depth + 1
    }


def find_conflicts() -> tuple[list[str], list[str]]:
    """(files with conflict markers, *.rej files) left by the update, before staging."""
    conflicted = set(git("diff", "--name-only", "--diff-filter=U").splitlines())
    changed = git("diff", "--name-only", "HEAD").splitlines()
    untracked = git("ls-files", "--others", "--exclude-standard").splitlines()
    rejects = sorted(path for path in untracked if path.endswith(".rej"))
    for path in [*changed, *untracked]:
        file = Path(path)
        if path in conflicted or not file.is_file() or file.is_symlink():
            continue
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        if any(line.startswith(MARKERS) for line in lines):
            conflicted.add(path)
    return sorted(conflicted), rejects


def remote_branch_exists(branch: str) -> bool:
    result = remote_git(
        "ls-remote", "--exit-code", "--heads", "origin", f"refs/heads/{branch}", check=False
    )
    if result.returncode not in (0, 2):
        raise UpdateError(f"cannot read branches of origin:\n{result.stderr}")
    return result.returncode == 0


def current_branch() -> str:
    branch = git("rev-parse", "--abbrev-ref", "HEAD")
    if branch == "HEAD":
        branch = os.environ.get("GITHUB_REF_NAME", "")
    if not branch:
        raise UpdateError("HEAD is detached: check out the branch to update (usually main)")
    return branch


def branch_name(version: str) -> str:
    return BRANCH_PREFIX + re.sub(r"[^A-Za-z0-9._-]+", "-", version).strip("-.")


def repository_slug() -> str:
    if slug := os.environ.get("GITHUB_REPOSITORY"):
        return slug
    url = git("remote", "get-url", "origin", check=False)
    match = re.search(r"github\.com[:/]([^/]+/[^/]+?)(?:\.git)?/?$", url)
    if not match:
        raise UpdateError("set GITHUB_REPOSITORY=owner/name: origin is not a github.com URL")
    return match.group(1)


# ---------------------------------------------------------------------------------------------
# The pull request
# ---------------------------------------------------------------------------------------------


def describe(update: Update, changes: list[tuple[str, str]], skills_before: set[str]) -> None:
    """Sort the staged changes into skills added/changed/removed and other files."""
    skills_after = skills_in(None)
    prefix = SKILLS_DIR + "/"
    touched: set[str] = set()
    for status, path in changes:
        skill, _, inside = path.removeprefix(prefix).partition("/")
        if path.startswith(prefix) and inside:
            touched.add(skill)
        else:
            update.files.append((status, path))
    update.skills_added = sorted(touched - skills_before)
    update.skills_removed = sorted(touched - skills_after)
    update.skills_changed = sorted(touched & skills_before & skills_after)


def compare_url(source: str, old: str, new: str) -> str | None:
    match = re.match(
        r"^(?:gh:|https://github\.com/|git@github\.com:)([^/]+/[^/]+?)(?:\.git)?/?$", source
    )
    return f"https://github.com/{match.group(1)}/compare/{old}...{new}" if match else None


def pr_title(update: Update) -> str:
    title = f"Update workspace template to {update.new_version}"
    return title + " (conflicts to resolve)" if update.has_conflicts else title


def pr_body(update: Update) -> str:
    lines = [f"## Workspace template: `{update.old_version}` → `{update.new_version}`", ""]
    link = compare_url(update.source, update.old_version, update.new_version)
    origin = f"[`{update.source}`]({link})" if link else f"`{update.source}`"
    lines += [
        f"`copier update` brought this workspace to version `{update.new_version}` of its "
        f"template ({origin}). Your answers in `.copier-answers.yml` were reused and your own "
        "edits were merged with the template's changes.",
        "",
    ]
    if update.has_conflicts:
        lines += [
            "### ⚠️ Conflicts to resolve before merging",
            "",
            "Copier could not merge the template's changes with your edits in the files below. "
            "They are committed on this branch **with their conflict markers** "
            "(`<<<<<<< before updating` … `>>>>>>> after updating`) so that you can resolve "
            "them here; this pull request stays a draft and CI fails until they are gone.",
            "",
        ]
        lines += [f"- `{path}`: conflict markers" for path in update.conflicts]
        lines += [
            f"- `{path}`: hunks Copier could not place; apply them by hand, then delete the file"
            for path in update.rejects
        ]
        lines += [
            "",
            f"To resolve: `git fetch origin && git switch {update.branch}`, edit each file "
            "(keep the lines you want, delete the markers), commit, push, then mark the pull "
            "request ready for review. The `update-workspace` skill guides a coding agent "
            "through it.",
            "",
        ]
    if update.migrations:
        lines += [
            "### Migrations",
            "",
            "This update crossed template releases that move files or rename questions; "
            "these steps carried your files (with your edits) and answers along:",
            "",
        ]
        lines += [f"- {step}" for step in update.migrations]
        lines += ["", "The template's CHANGELOG.md explains each release.", ""]
    lines += ["### Agent Skills", ""]
    skill_rows = [
        ("Added", update.skills_added),
        ("Changed", update.skills_changed),
        ("Removed", update.skills_removed),
    ]
    listed = [(label, names) for label, names in skill_rows if names]
    if listed:
        lines += [
            f"- **{label}:** " + ", ".join(f"`{name}`" for name in names) for label, names in listed
        ]
        lines += [
            "",
            f"Skills live in `{SKILLS_DIR}/` (linked from `.claude/skills`); they "
            "steer your coding agent, so read their changes.",
        ]
    else:
        lines += ["No skill was added, changed or removed."]
    lines += ["", "### Other files", ""]
    words = {"A": "added", "M": "modified", "D": "deleted", "T": "type changed"}
    if update.files:
        shown = update.files[:MAX_LISTED_FILES]
        lines += [f"- {words.get(status, status)}: `{path}`" for status, path in shown]
        if len(update.files) > len(shown):
            lines += [f"- … and {len(update.files) - len(shown)} more (see the diff)"]
    else:
        lines += ["None."]
    if any(status == "D" for status, _ in update.files):
        lines += [
            "",
            "Copier deletes files the template no longer has, even if you had edited "
            "them: restore anything you still need from the history.",
        ]
    lines += [
        "",
        "---",
        f"Opened by the template-update workflow. Close this pull request to skip "
        f"`{update.new_version}`; the next template version opens a new one.",
    ]
    return "\n".join(lines) + "\n"


def github_api(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """The one call to GitHub's REST API (the test suite replaces this function)."""
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    request = urllib.request.Request(
        api + path,
        method=method,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "osmosis-workspace-template-update",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        raise GitHubError(error.code, error.read().decode("utf-8", "replace")) from error
    return json.loads(body) if body else None


def open_pull_request(repo: str, update: Update, body: str) -> str:
    """Open the pull request (a draft when there are conflicts), label it, return its URL."""
    payload = {
        "title": pr_title(update),
        "head": update.branch,
        "base": update.base,
        "body": body,
        "draft": update.has_conflicts,
        "maintainer_can_modify": True,
    }
    try:
        pull = github_api("POST", f"/repos/{repo}/pulls", payload)
    except GitHubError as error:
        if not (update.has_conflicts and error.status == 422 and "draft" in error.message.lower()):
            raise
        # Some private repositories cannot have drafts: the title and label still warn.
        pull = github_api("POST", f"/repos/{repo}/pulls", {**payload, "draft": False})
    labels = [LABEL, CONFLICT_LABEL] if update.has_conflicts else [LABEL]
    github_api("POST", f"/repos/{repo}/issues/{pull['number']}/labels", {"labels": labels})
    return pull["html_url"]


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--version", default="", help="template version (git tag) to update to; default: the newest"
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="create the branch and commit only: push nothing, open no PR",
    )
    args = parser.parse_args(argv)
    try:
        return update_workspace(args.version or None, local=args.local)
    except (UpdateError, GitHubError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def update_workspace(version: str | None, *, local: bool) -> int:
    os.chdir(git("rev-parse", "--show-toplevel"))
    if git("status", "--porcelain"):
        raise UpdateError("the working tree has uncommitted changes: commit or stash them first")
    repo = "" if local else repository_slug()
    if not local and not os.environ.get("GITHUB_TOKEN"):
        raise UpdateError("GITHUB_TOKEN is not set (or use --local to only commit)")
    base = current_branch()
    old_version, source = answer("_commit"), answer("_src_path")
    skills_before = skills_in("HEAD")
    try:
        found = update_all(version, held=hold_opted_out())
    except BaseException:
        restore_clean_tree()
        raise
    new_version = answer("_commit")
    if not git("status", "--porcelain"):
        report(f"Already up to date with {source} at {old_version}.")
        return 0
    branch = branch_name(new_version)
    exists = git("branch", "--list", branch) if local else remote_branch_exists(branch)
    if exists:
        restore_clean_tree()
        report(f"{new_version} was already proposed on branch {branch}: nothing to do.")
        return 0

    update = Update(source, old_version, new_version, branch, base, migrations=found[2])
    update.conflicts, update.rejects = found[0], found[1]
    git("add", "--all")  # stages conflicted files too (git refuses to switch branches before)
    git("switch", "--quiet", "--create", branch)
    changes = [
        (line[0], line.split("\t", 1)[1])
        for line in git("diff", "--cached", "--name-status", "--no-renames", "HEAD").splitlines()
    ]
    describe(update, changes, skills_before)
    git("commit", "--quiet", "--no-verify", "--message", commit_message(update))
    body = pr_body(update)
    return publish(update, body, repo, local=local)


def update_all(version: str | None, *, held: list[str]) -> tuple[list[str], list[str], list[str]]:
    """`copier update` of every answers file, in one tree.

    Returns (conflicted files, *.rej files, migration steps that ran).

    Copier refuses a dirty tree, so after each answers file the result is staged into a
    temporary commit, undone (`git reset --soft`, everything staged) once all are done.
    """
    conflicts: set[str] = set()
    rejects: set[str] = set()
    migrations: list[str] = []
    start = git("rev-parse", "HEAD")
    files = answers_files()
    try:
        for index, answers_file in enumerate(files):
            migrations += run_copier(version, answers_file)
            restore_opted_out(held)
            found = find_conflicts()
            conflicts.update(found[0])
            rejects.update(found[1])
            if index + 1 < len(files) and git("status", "--porcelain"):
                git("add", "--all")
                git("commit", "--quiet", "--no-verify", "--message", "template update (temporary)")
        if warning := refresh_lock():
            print(f"::warning::{warning}")
    finally:
        if git("rev-parse", "HEAD") != start:
            git("add", "--all")  # unmerged entries would stop the reset
            git("reset", "--quiet", "--soft", start)
    return sorted(conflicts), sorted(rejects), migrations


def commit_message(update: Update) -> str:
    message = (
        f"Update workspace template to {update.new_version}\n\n"
        f"From {update.source}, {update.old_version} -> {update.new_version}."
    )
    if update.has_conflicts:
        message += "\n\nCommitted with unresolved conflicts in:\n" + "\n".join(
            f"  {path}" for path in [*update.conflicts, *update.rejects]
        )
    return message


def publish(update: Update, body: str, repo: str, *, local: bool) -> int:
    """Report (--local), or push the branch and open the pull request."""
    if update.has_conflicts:
        print(
            f"::warning::Template update {update.new_version} has conflicts in "
            f"{len(update.conflicts) + len(update.rejects)} file(s); see the pull request."
        )
    if local:
        report(
            f"Committed on branch {update.branch} (nothing pushed). Pull request text:\n\n{body}"
        )
        return 0
    branch = update.branch
    pushed = remote_git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", check=False)
    if pushed.returncode != 0:
        hint = ""
        if any(path.startswith(".github/workflows/") for _, path in update.files):
            hint = (
                "\nThis update changes files in .github/workflows/, which GITHUB_TOKEN may "
                "not push: add the TEMPLATE_UPDATE_TOKEN secret (see the workflow file)."
            )
        raise UpdateError(f"git push failed:\n{pushed.stderr}{hint}")
    git("switch", "--quiet", update.base)  # leave a local checkout where it was
    url = open_pull_request(repo, update, body)
    report(f"Opened {url}\n\n{body}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
