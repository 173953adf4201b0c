"""Where the template comes from, which version is used, and whether that is safe to record.

Copier writes the source string verbatim into ``.copier-answers.yml`` (``_src_path``) next to the
version it rendered (``_commit``); a later ``copier update`` trusts both. So this module:

* picks the default source when none is given (``$OSMOSIS_WORKSPACE_TEMPLATE``, else the source
  checkout this package is installed from), so ``new`` works offline;
* picks a *committed* version (latest PEP 440 tag, else the HEAD commit) so ``_commit`` names
  something the source really contains; uncommitted template edits are only used when asked
  for with ``--ref HEAD``, and then the workspace is marked not updatable;
* refuses sources that would store a credential (``https://user:token@host/...``, a token in
  any scheme or anywhere in the string) before anything is cloned or cached.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from osmosis_workspace.engine.git import (
    dirty_paths,
    git_out,
    has_commit,
    ls_remote_tags,
    run_git,
    toplevel,
)
from osmosis_workspace.errors import WorkspaceError

#: Environment variable naming the default template source (a path, URL or ``gh:org/repo``).
TEMPLATE_ENV = "OSMOSIS_WORKSPACE_TEMPLATE"
#: Where the template is published; the default when this package is not run from a checkout.
CANONICAL_TEMPLATE = "gh:osmosis-ai/osmosis-workspace"
#: Query parameters that carry credentials in signed or tokenised URLs.
SECRET_QUERY_KEYS = re.compile(
    r"token|secret|password|passwd|key|signature|sig|credential|auth", re.IGNORECASE
)
_SCP_RE = re.compile(r"^(?P<user>[^@/:]+)@(?P<host>[^:/]+):(?P<path>.+)$")


def package_checkout() -> Path | None:
    """The repository this package runs from (editable install), if it holds the template."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "copier.yml").is_file() else None


def default_location() -> str:
    """The template used when ``--template`` is not given.

    ``$OSMOSIS_WORKSPACE_TEMPLATE``, else the source checkout this package runs from (offline),
    else the published repository (needs the network).
    """
    configured = os.environ.get(TEMPLATE_ENV, "").strip()
    if configured:
        return configured
    checkout = package_checkout()
    return str(checkout) if checkout is not None else CANONICAL_TEMPLATE


def offline_hint(location: str) -> str:
    """What to do when a remote template cannot be fetched (offline, or the host unreachable).

    An installed wheel carries the CLI, not the template: without ``--template`` it clones
    the published repository, which needs the network. A local clone works offline.
    """
    return (
        f"The template {location} could not be fetched (offline?). Pass --template with a "
        "local clone of the template (git clone "
        "https://github.com/osmosis-ai/osmosis-workspace.git), or set "
        f"{TEMPLATE_ENV} to one."
    )


def credential_problem(location: str) -> str:
    """Why ``location`` must not be recorded in an answers file, or ``""`` when it is safe.

    Every scheme counts (``git+https``, ``ssh``, ``file``...): Copier records the string as given
    and clones it into its cache before anything is rendered. SSH may carry a plain user name
    (``git@host``, ``ssh://git@host``); any other user info is a token.
    """
    from osmosis_workspace.engine.redaction import find_secret

    if label := find_secret(location):
        return f"the source contains what looks like {label}"
    scp = _SCP_RE.match(location)
    if scp and "://" not in location:
        return ""  # git@github.com:org/repo.git: a user name, never a secret
    parts = urlsplit(location)
    if parts.scheme and parts.netloc:
        if parts.password is not None or ":" in (parts.username or ""):
            return "the URL contains a password or token (user:secret@host)"
        if parts.username and not parts.scheme.endswith("ssh"):
            return (
                f"the URL contains user info (token@host) in a {parts.scheme}:// URL; "
                "tokens must not be stored"
            )
        for key, _value in parse_qsl(parts.query, keep_blank_values=True):
            if SECRET_QUERY_KEYS.search(key):
                return f"the URL query contains a credential parameter ({key}=...)"
    return ""


def check_location(location: str) -> None:
    """Raise ``unsafe_template`` when the source would leak a credential into the answers file."""
    if problem := credential_problem(location):
        raise WorkspaceError(
            "unsafe_template",
            f"Refusing template source: {problem}. Copier records the source in "
            ".copier-answers.yml, which is committed. Configure git credentials (a credential "
            "helper or SSH key) and pass the plain URL instead.",
        )


def check_recorded_source(src: str, answers_file: str) -> None:
    """Refuse an update whose recorded ``_src_path`` cannot be used, with the real reason.

    A credential is refused as in :func:`check_location`; a local folder that no longer exists
    (the template checkout moved or was deleted) is named as such, instead of Copier's
    "only supported in git-tracked templates".
    """
    check_location(src)
    remote = "://" in src or _SCP_RE.match(src) or re.match(r"^g[hl]:", src)
    if not remote and not Path(src).expanduser().is_dir():
        raise WorkspaceError(
            "not_updatable",
            f"{answers_file} records the template at {src}, a folder that does not exist on "
            "this machine: clone the template back there, or set _src_path to its current "
            "location or URL and commit that change",
        )


def _pep440(tag: str):  # type: ignore[no-untyped-def]
    from packaging.version import InvalidVersion, Version

    try:
        return Version(tag)
    except InvalidVersion:
        return None


def latest_tag(tags: list[str], *, prereleases: bool = False) -> str | None:
    """The highest PEP 440 tag, skipping pre-releases unless asked (Copier's own rule)."""
    versions = [
        (v, t)
        for t in tags
        if (v := _pep440(t)) is not None and (prereleases or not v.is_prerelease)
    ]
    return max(versions)[1] if versions else None


def version_of(commit: str | None):  # type: ignore[no-untyped-def]
    """PEP 440 version of a recorded ``_commit`` (``v1.2.0`` or ``v1.2.0-3-gabc1234``)."""
    if not commit:
        return None
    if match := re.match(r"^(.+)-(\d+)-g([0-9a-f]+)$", commit):
        return _pep440(f"{match[1]}.post{match[2]}+{match[3]}")
    return _pep440(commit)


@dataclass(frozen=True)
class TemplateSource:
    """A resolved template: what Copier gets and what ends up in ``.copier-answers.yml``."""

    location: str
    ref: str | None
    local_repo: Path | None = None
    local_dir: Path | None = None
    updatable: bool = True
    notes: tuple[str, ...] = ()

    @property
    def reads_worktree(self) -> bool:
        """True when Copier renders the files on disk (uncommitted changes included)."""
        return self.local_dir is not None and (self.local_repo is None or self.ref == "HEAD")

    def read_file(self, rel: str) -> str | None:
        """A template file at the version that will be rendered (for answer pre-validation).

        None when it cannot be read cheaply (remote sources): Copier still validates then.
        """
        if self.reads_worktree:
            path = self.local_dir / rel  # type: ignore[operator]
            return path.read_text(encoding="utf-8") if path.is_file() else None
        if self.local_repo is not None and self.ref:
            result = run_git(["show", f"{self.ref}:{rel}"], self.local_repo, check=False)
            return result.stdout if result.returncode == 0 else None
        return None


def resolve(template: str | None = None, ref: str | None = None) -> TemplateSource:
    """Decide the source and version (see the module docstring for the rules)."""
    location = template or default_location()
    check_location(location)
    path = Path(location).expanduser()
    if not path.exists():
        if "://" in location or _SCP_RE.match(location) or re.match(r"^g[hl]:", location):
            return TemplateSource(location=location, ref=ref)
        raise WorkspaceError("template_not_found", f"Template not found: {location}")
    path = path.resolve()
    if not (path / "copier.yml").is_file() and not (path / "copier.yaml").is_file():
        raise WorkspaceError("template_not_found", f"No copier.yml in template {path}")
    repo = toplevel(path)
    if repo is None or repo.resolve() != path:
        return TemplateSource(
            location=str(path),
            ref=ref,
            local_dir=path,
            updatable=False,
            notes=(
                f"{path} is not a git repository: the workspace records no template "
                "version and cannot be updated with `copier update`",
            ),
        )
    return _resolve_git(path, ref)


def _resolve_git(repo: Path, ref: str | None) -> TemplateSource:
    notes: list[str] = []
    if ref is not None and ref != "HEAD":
        return TemplateSource(location=str(repo), ref=ref, local_repo=repo, local_dir=repo)
    dirty = bool(dirty_paths(repo)) if has_commit(repo) else True
    if ref == "HEAD" or not has_commit(repo):
        if dirty:
            notes.append(
                "the template has uncommitted changes; they are rendered, but the recorded "
                "version is not a commit of the template, so this workspace cannot be updated "
                "until it is re-created from a committed version"
            )
        return TemplateSource(
            location=str(repo),
            ref="HEAD",
            local_repo=repo,
            local_dir=repo,
            updatable=not dirty,
            notes=tuple(notes),
        )
    tag = latest_tag(ls_remote_tags(str(repo)))
    chosen = tag or git_out(["rev-parse", "HEAD"], repo).strip()
    if dirty:
        notes.append(
            f"uncommitted template changes are not included (rendering {chosen}); "
            "pass --ref HEAD to include them"
        )
    return TemplateSource(
        location=str(repo), ref=chosen, local_repo=repo, local_dir=repo, notes=tuple(notes)
    )


def commit_exists(repo: Path, recorded: str) -> bool:
    """Whether a recorded ``_commit`` names a commit of ``repo`` (false for Copier's WIP ones)."""
    match = re.match(r"^.+-\d+-g([0-9a-f]+)$", recorded)
    rev = match[1] if match else recorded
    try:
        return has_commit(repo, rev)
    except (OSError, subprocess.SubprocessError):
        return False
