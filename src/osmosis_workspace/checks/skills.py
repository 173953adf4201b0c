"""Agent Skills under ``.agents/skills`` and their Claude Code view through ``.claude/skills``.

Rules (the Agent Skills specification, and Claude Code's project skills): a skill is a folder
with ``SKILL.md`` whose YAML front matter has only the spec's six keys, a ``name`` equal to
the folder name, a non-empty ``description``; every relative link in the body exists inside
the skill; no nested ``SKILL.md``; ``.claude/skills`` is a link (whole folder, or one per
skill) that resolves to the same skills, and a link checked out as a text file
(``core.symlinks=false``) is reported with the fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from osmosis_workspace.checks.model import CheckContext, Problem

SKILLS = ".agents/skills"
CLAUDE_SKILLS = ".claude/skills"
SPEC_KEYS = frozenset(
    {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
)
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_NAME, MAX_DESCRIPTION, MAX_COMPATIBILITY, MAX_BODY_LINES = 64, 1024, 500, 500
SYMLINK_FIX = (
    "the checkout has core.symlinks=false (common on Windows): enable Developer Mode, "
    "run `git config core.symlinks true`, then `git checkout -- .claude/skills`"
)
_LINK_RE = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_PATH_RE = re.compile(r"(?<![\w./-])((?:references|scripts|assets)/[\w.\-/]*[\w-])")


def check(ctx: CheckContext) -> Iterator[Problem]:
    folder = ctx.root / SKILLS
    if not folder.is_dir():
        yield Problem(SKILLS + "/", "missing: the workspace has no Agent Skills folder", "skills")
        return
    names = []
    for entry in sorted(folder.iterdir()):
        rel = ctx.rel(entry)
        if entry.is_symlink() and not entry.exists():
            yield Problem(rel, f"dangling link to {os.readlink(entry)}", "skills")
        elif entry.is_symlink():
            yield Problem(
                rel,
                "is a symbolic link: a skill must be a real folder in "
                f"{SKILLS} (links break in clones); replace the link with the "
                "folder itself",
                "skills",
            )
        elif entry.is_dir():
            names.append(entry.name)
            yield from _skill(ctx, entry)
    yield from _claude_view(ctx, names)


def _skill(ctx: CheckContext, skill: Path) -> Iterator[Problem]:
    rel = ctx.rel(skill)
    skill_md = skill / "SKILL.md"
    if not skill_md.is_file():
        hint = (
            " (found skill.md: the name must be exactly SKILL.md)"
            if (skill / "skill.md").is_file()
            else ""
        )
        yield Problem(rel + "/", f"has no SKILL.md{hint}", "skills")
        return
    md_rel = ctx.rel(skill_md)
    raw = skill_md.read_bytes()
    meta, body, problem = _front_matter(raw)
    if problem:
        yield Problem(md_rel, problem, "skills", line=1)
        return
    own = list(_metadata(md_rel, skill.name, meta))
    yield from own
    lines = body.count("\n") + 1
    if lines > MAX_BODY_LINES:
        yield Problem(
            md_rel,
            f"body is {lines} lines; keep it under {MAX_BODY_LINES} and move "
            "details to references/",
            "skills",
        )
    yield from _links(ctx, skill, md_rel, body, raw)
    for nested in sorted(skill.rglob("SKILL.md")):
        if nested != skill_md:
            yield Problem(
                ctx.rel(nested),
                "nested SKILL.md: agents would register it as another skill",
                "skills",
            )
    if not own and not ctx.fast:
        yield from _second_opinion(md_rel, skill)


def _front_matter(raw: bytes) -> tuple[dict[str, Any], str, str]:
    """``(metadata, body, problem)``; ``problem`` is empty when the front matter parses."""
    text, problem = _decoded(raw)
    if problem:
        return {}, "", problem
    if not text.startswith("---\n"):
        return {}, "", "must start with a '---' line opening the YAML front matter"
    end = text.find("\n---\n", 3)
    if end == -1 and text.endswith("\n---"):
        end = len(text) - 4
    if end == -1:
        return {}, "", "front matter is not closed by a '---' line"
    meta, problem = _yaml_mapping(text[4 : end + 1])
    return (meta, text[end + 5 :], "") if not problem else ({}, "", problem)


def _decoded(raw: bytes) -> tuple[str, str]:
    """``(text with \\n line ends, problem)``: a SKILL.md must be UTF-8 without a BOM."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "", "starts with a byte-order mark; save it as UTF-8 without BOM"
    try:
        return raw.decode("utf-8").replace("\r\n", "\n"), ""
    except UnicodeDecodeError:
        return "", "is not UTF-8 text"


def _yaml_mapping(text: str) -> tuple[dict[str, Any], str]:
    """``(mapping, problem)`` of the front matter's YAML."""
    import yaml

    from osmosis_workspace.engine.yamlload import load_yaml  # libyaml, with safe_load's own errors

    try:
        meta = load_yaml(text)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        return {}, f"front matter is not valid YAML ({detail}); quote values containing ': '"
    if not isinstance(meta, dict):
        return {}, "front matter must be a YAML mapping (name: ..., description: ...)"
    return meta, ""


def _metadata(rel: str, folder: str, meta: dict[str, Any]) -> Iterator[Problem]:
    """The front matter against the Agent Skills spec, one key at a time."""
    extra = sorted(str(k) for k in meta if k not in SPEC_KEYS)
    if extra:
        yield Problem(
            rel,
            f"front matter has keys outside the Agent Skills spec: "
            f"{', '.join(extra)} (allowed: {', '.join(sorted(SPEC_KEYS))})",
            "skills",
        )
    for problem in [
        *_name_problems(meta.get("name"), folder),
        *_description_problems(meta.get("description")),
        *_optional_key_problems(meta),
    ]:
        yield Problem(rel, problem, "skills")


def _name_problems(name: Any, folder: str) -> list[str]:
    if not isinstance(name, str) or not name:
        return ["front matter needs a 'name' (the folder name)"]
    problems = []
    if len(name) > MAX_NAME or not NAME_RE.match(name):
        problems.append(
            f"name {name!r} must be 1-{MAX_NAME} lowercase letters, digits "
            "and single hyphens, not starting or ending with '-'"
        )
    if name != folder:
        problems.append(f"name {name!r} differs from its folder {folder!r}")
    if "anthropic" in name or "claude" in name:
        problems.append(f"name {name!r} contains a reserved word (anthropic, claude)")
    return problems


def _description_problems(description: Any) -> list[str]:
    if not isinstance(description, str) or not description.strip():
        return [
            "front matter needs a non-empty 'description' (what the skill does and when to use it)"
        ]
    problems = []
    if len(description) > MAX_DESCRIPTION:
        problems.append(
            f"description is {len(description)} characters; the limit is {MAX_DESCRIPTION}"
        )
    if "<" in description or ">" in description:
        problems.append("description contains '<' or '>', which skill uploads reject")
    return problems


def _optional_key_problems(meta: dict[str, Any]) -> list[str]:
    """``compatibility``, ``metadata`` and ``allowed-tools``, when present."""
    problems = []
    compatibility = meta.get("compatibility")
    if compatibility is not None and (
        not isinstance(compatibility, str)
        or not compatibility
        or len(compatibility) > MAX_COMPATIBILITY
    ):
        problems.append(f"compatibility must be text of 1-{MAX_COMPATIBILITY} characters")
    metadata = meta.get("metadata")
    if metadata is not None and (
        not isinstance(metadata, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    ):
        problems.append('metadata must map strings to strings (quote numbers: version: "1.0")')
    tools = meta.get("allowed-tools")
    if tools is not None and not isinstance(tools, str):
        problems.append("allowed-tools must be one space-separated string")
    return problems


def _links(ctx: CheckContext, skill: Path, rel: str, body: str, raw: bytes) -> Iterator[Problem]:
    """Relative links and ``references/``/``scripts/``/``assets/`` paths must exist."""
    offset = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").count("\n") - body.count(
        "\n"
    )
    fenced = False
    seen: set[str] = set()
    for number, line in enumerate(body.split("\n"), start=offset + 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced:
            continue
        targets = [m for m in _LINK_RE.findall(line)]
        targets += _PATH_RE.findall(re.sub(_LINK_RE, "", line))
        for target in targets:
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith(("#", "/")):
                continue
            path_part = target.split("#", 1)[0]
            if not path_part or path_part in seen:
                continue
            seen.add(path_part)
            if "\\" in path_part:
                yield Problem(
                    rel, f"link {path_part!r} uses backslashes; use '/'", "skills", number
                )
                continue
            resolved = Path(os.path.normpath(skill / path_part))
            if not str(resolved).startswith(str(skill) + os.sep) and resolved != skill:
                yield Problem(
                    rel, f"link {path_part!r} points outside the skill folder", "skills", number
                )
            elif not resolved.exists():
                yield Problem(
                    rel, f"link {path_part!r} does not exist in the skill", "skills", number
                )


def _second_opinion(rel: str, skill: Path) -> Iterator[Problem]:
    """``skills-ref`` (strictyaml) catches YAML the spec's reference parser reads differently."""
    try:
        from skills_ref import validate
    except ImportError:
        return
    for message in validate(skill):
        yield Problem(rel, f"skills-ref: {message}", "skills")


def _committed_as_file(ctx: CheckContext) -> Iterator[Problem]:
    """A link committed from a ``core.symlinks=false`` checkout is stored as a plain file, and
    then every clone lacks it. git records links with mode 120000."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "ls-files", "-s", "--", CLAUDE_SKILLS],
            cwd=ctx.root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return
    for line in out.splitlines():
        mode, _obj, _stage_path = line.split(" ", 2)
        path = line.split("\t", 1)[-1]
        if mode != "120000" and path.count("/") <= 2 and not (ctx.root / path).is_dir():
            yield Problem(
                path,
                f"is committed as a regular file (mode {mode}), so every clone "
                "lacks the link: with core.symlinks=true (Windows: Developer "
                f"Mode) run `rm {path} && ln -s {_link_target(path)} {path}`, "
                f"then `git add {path}` and commit",
                "skills",
            )


def _link_target(path: str) -> str:
    """The relative target a link at ``path`` needs to reach its skills."""
    if path == CLAUDE_SKILLS:
        return f"../{SKILLS}"
    return f"../../{SKILLS}/{path.rsplit('/', 1)[-1]}"


def _claude_view(ctx: CheckContext, names: list[str]) -> Iterator[Problem]:
    """``.claude/skills`` shows Claude Code the same skills: one relative link to the skills
    folder, or a folder holding one relative link per skill (never copies, which drift)."""
    view = ctx.root / CLAUDE_SKILLS
    target = (ctx.root / SKILLS).resolve()
    if not ctx.fast:
        yield from _committed_as_file(ctx)
    if view.is_symlink():
        fix = f"run `rm .claude/skills && ln -s ../{SKILLS} .claude/skills`"
        if problem := _link_problem(view, target, fix, f"../{SKILLS}"):
            yield Problem(CLAUDE_SKILLS, problem, "skills")
        return
    if view.is_file():
        yield Problem(CLAUDE_SKILLS, f"is a text file, not a link: {SYMLINK_FIX}", "skills")
        return
    if not view.is_dir():
        yield Problem(
            CLAUDE_SKILLS,
            f"missing: Claude Code only reads skills from .claude/"
            f"skills; link it with `ln -s ../{SKILLS} {CLAUDE_SKILLS}`",
            "skills",
        )
        return
    for entry in sorted(view.iterdir()):
        rel = ctx.rel(entry)
        if problem := _entry_problem(rel, entry, target):
            yield Problem(rel, problem, "skills")
    visible = {e.name for e in view.iterdir()}
    for name in names:
        if name not in visible:
            yield Problem(
                f"{CLAUDE_SKILLS}/{name}",
                f"missing: skill {name!r} is not linked for Claude Code",
                "skills",
            )


def _entry_problem(rel: str, entry: Path, skills: Path) -> str:
    """What is wrong with one entry of a ``.claude/skills`` folder, or ``""``."""
    if entry.is_symlink():
        return _link_problem(
            entry,
            (skills / entry.name).resolve(),
            f"link it to {_link_target(rel)}",
            f"its skill in {SKILLS}/{entry.name}",
        )
    if entry.is_file():
        return f"is a text file, not a link: {SYMLINK_FIX}"
    if entry.is_dir():
        return f"is a copy, not a link to {SKILLS}/{entry.name}: copies drift"
    return ""


def _link_problem(link: Path, target: Path, fix: str, expected: str) -> str:
    """Why ``link`` does not reach ``target`` in every clone (``fix`` says how to relink an
    absolute one, ``expected`` names the target), or ``""``."""
    if os.path.isabs(os.readlink(link)):
        return (
            f"is an absolute link ({os.readlink(link)}), which breaks in every other clone: {fix}"
        )
    if not link.exists():
        return f"dangling link to {os.readlink(link)}"
    if link.resolve() != target:
        return f"links to {os.readlink(link)}, not to {expected}"
    return ""
