"""Agent Skills and agent contracts in every render pass the spec and our stricter rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import skills_ref
import yaml
from skills_ref.parser import parse_frontmatter

SPEC_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# Claude Code executes or substitutes these when a skill loads.
CLAUDE_ACTIVE = re.compile(r"(^|\s)!`|^```!|\$ARGUMENTS|\$[0-9]\b|\$\{CLAUDE_", re.MULTILINE)


def skill_dirs(workspace: Path) -> list[Path]:
    return sorted(p for p in (workspace / ".agents" / "skills").iterdir() if p.is_dir())


def front_matter(skill: Path) -> tuple[dict, str]:
    return parse_frontmatter((skill / "SKILL.md").read_text(encoding="utf-8"))


def test_skills_ref_accepts_every_skill_through_both_paths(workspace: Path) -> None:
    for skill in skill_dirs(workspace):
        assert skills_ref.validate(skill) == [], skill
        linked = workspace / ".claude" / "skills" / skill.name
        assert skills_ref.validate(linked) == [], linked


def test_front_matter_is_strict_and_consistent(workspace: Path) -> None:
    for skill in skill_dirs(workspace):
        raw = (skill / "SKILL.md").read_text(encoding="utf-8")
        assert raw.startswith("---\n"), skill
        meta, _ = front_matter(skill)
        yaml_meta = yaml.safe_load(raw.split("---\n", 2)[1])
        assert meta == yaml_meta, f"{skill.name}: strictyaml and PyYAML disagree"
        assert set(meta) <= SPEC_KEYS
        assert meta["name"] == skill.name
        assert NAME_RE.match(meta["name"]) and len(meta["name"]) <= 64
        assert "claude" not in meta["name"] and "anthropic" not in meta["name"]


def test_descriptions_say_when_and_are_distinct(workspace: Path) -> None:
    descriptions = {
        skill.name: front_matter(skill)[0]["description"] for skill in skill_dirs(workspace)
    }
    for name, description in descriptions.items():
        assert 50 <= len(description) <= 1024, name
        assert "Use when" in description, name
        assert not set(description) & {"<", ">"}, name
        assert "---" not in description, name
    assert len(set(descriptions.values())) == len(descriptions)
    # Distinct triggers: no two descriptions share their "Use when" clause.
    clauses = [d.split("Use when", 1)[1] for d in descriptions.values()]
    assert len(set(clauses)) == len(clauses)


def test_bodies_within_budget_and_safe(workspace: Path) -> None:
    for skill in skill_dirs(workspace):
        _, body = front_matter(skill)
        assert len(body.splitlines()) < 500, skill.name
        assert len(body) / 4 < 5000, f"{skill.name}: about {len(body) // 4} tokens"
        assert not CLAUDE_ACTIVE.search(body), f"{skill.name}: Claude Code would run or substitute"
        assert "Next" in body or "next" in body, f"{skill.name}: does not route onwards"


def test_relative_links_resolve_inside_the_skill(workspace: Path) -> None:
    for skill in skill_dirs(workspace):
        for doc in [skill / "SKILL.md", *(skill / "references").glob("*.md")]:
            for target in LINK_RE.findall(doc.read_text(encoding="utf-8")):
                if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                    continue
                path = (doc.parent / target.split("#", 1)[0]).resolve()
                assert path.exists(), f"{doc}: broken link {target}"
                assert path.is_relative_to(skill.resolve()), f"{doc}: link leaves the skill"
                if doc.parent.name == "references":
                    assert path.parent == doc.parent or path == skill / "SKILL.md", (
                        f"{doc}: references link at most one level deep"
                    )


def test_no_nested_skill_files_and_long_references_have_contents(workspace: Path) -> None:
    for skill in skill_dirs(workspace):
        nested = [p for p in skill.rglob("*") if p.name.lower() == "skill.md"]
        assert nested == [skill / "SKILL.md"], nested
        for ref in (skill / "references").glob("*.md"):
            lines = ref.read_text(encoding="utf-8").splitlines()
            if len(lines) > 100:
                head = "\n".join(lines[:25]).lower()
                assert "contents" in head, f"{ref} has {len(lines)} lines and no contents"


def test_fallback_configs_are_the_same_text_as_the_defaults(workspace: Path) -> None:
    pairs = [
        ("evaluate-rollouts/references/eval-default.toml", "configs/eval/default.toml"),
        ("submit-training/references/training-default.toml", "configs/training/default.toml"),
    ]
    for reference, config in pairs:
        ref = workspace / ".agents" / "skills" / reference
        if ref.parent.parent.exists():
            assert ref.read_bytes() == (workspace / config).read_bytes()


def test_agents_md_is_the_concise_contract(workspace: Path) -> None:
    answers = yaml.safe_load((workspace / ".copier-answers.yml").read_text(encoding="utf-8"))
    agents = (workspace / "AGENTS.md").read_text(encoding="utf-8")
    assert len(agents.splitlines()) < 200
    assert len(agents.encode()) < 24 * 1024
    assert answers["task_description"].rstrip("\n") in agents
    assert f"rollouts/{answers['rollout_name']}/" in agents
    installed = {p.name for p in skill_dirs(workspace)}
    routed = set(re.findall(r"\| `([a-z-]+)` \|", agents))
    assert routed == installed, "AGENTS.md routes to exactly the installed skills"
    assert (workspace / "configs" / "AGENTS.md").is_file()


def test_claude_md_is_a_regular_file_importing_agents_md(workspace: Path) -> None:
    claude = workspace / "CLAUDE.md"
    assert claude.is_file() and not claude.is_symlink()
    first = next(line for line in claude.read_text().splitlines() if line.strip())
    assert first.strip() == "@AGENTS.md"


@pytest.mark.parametrize(
    ("defect", "expected"),
    [
        (lambda s: s.replace("name: ", "name: Wrong-", 1), "name"),
        (lambda s: s.replace("description: ", "descr: ", 1), "description"),
        (lambda s: "\n" + s, "frontmatter"),
    ],
)
def test_skills_ref_really_rejects_broken_skills(
    tmp_path: Path,
    default_workspace: Path,
    defect,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    """Guard against a validator that accepts anything: break a copy, see it refused."""
    source = skill_dirs(default_workspace)[0]
    broken = tmp_path / source.name
    broken.mkdir()
    (broken / "SKILL.md").write_text(defect((source / "SKILL.md").read_text(encoding="utf-8")))
    problems = skills_ref.validate(broken)
    assert problems and any(expected in p.lower() for p in problems), problems
