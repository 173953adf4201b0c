"""The uv projects: the root ``pyproject.toml`` and each rollout's, as ``uv sync`` reads them.

The root project installs every rollout as an editable path dependency: one entry in the
``rollouts`` dependency group and one line in ``[tool.uv.sources]`` per folder in ``rollouts/``
(see the template's ``pyproject.toml``). A rollout missing there is never installed (its tests
fail to import); an entry without its folder makes ``uv sync`` fail in every clone. Each rollout
project must parse, ship its package folder (``[tool.setuptools.packages.find]``), and not be
named like a dependency, the root project or a standard-library module (the name rules of
``extensions/names.py``, loaded by path, so ``check`` and the template agree).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from osmosis_workspace.checks.model import CheckContext, Problem

ROOT = "pyproject.toml"
MAX_BYTES = 1 << 20


def check(ctx: CheckContext) -> Iterator[Problem]:
    folders = _rollout_folders(ctx.root)
    root = ctx.root / ROOT
    data: dict[str, Any] | None = None
    if root.exists() or root.is_symlink():
        data = yield from _parse(root, ROOT)
    if data is not None:
        yield from _registration(data, folders)
    root_name = str((data or {}).get("project", {}).get("name", "")) if data else ""
    for name in folders:
        yield from _rollout(ctx, name, root_name)


def _rollout_folders(root: Path) -> list[str]:
    rollouts = root / "rollouts"
    if not rollouts.is_dir() or rollouts.is_symlink():
        return []
    return sorted(
        p.name for p in rollouts.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )


def _parse(path: Path, rel: str) -> Generator[Problem, None, dict[str, Any] | None]:
    """The TOML document at ``path``; yields one problem (with the line) when it cannot be read."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            yield Problem(
                rel, "is not a regular file of at most 1 MB: restore it from git", "project"
            )
            return None
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        yield Problem(
            rel,
            f"is not valid TOML ({str(exc).split(' (at ')[0]}); uv cannot read "
            "it: fix the line or restore the file from git",
            "project",
            line=int(line[1]) if line else None,
        )
        return None
    except (OSError, UnicodeDecodeError, RecursionError) as exc:
        yield Problem(rel, f"cannot be read ({type(exc).__name__}): restore it from git", "project")
        return None
    return data


def _registration(data: dict[str, Any], folders: list[str]) -> Iterator[Problem]:
    groups = data.get("dependency-groups")
    sources = data.get("tool", {}).get("uv", {}).get("sources")
    if (
        not isinstance(groups, dict)
        or not isinstance(sources, dict)
        or not isinstance(groups.get("rollouts"), list)
    ):
        return  # not the template's layout (an older or hand-made root project)
    grouped = {_project(str(r)) for r in groups["rollouts"] if isinstance(r, str)}
    sourced = {
        _project(k): v
        for k, v in sources.items()
        if isinstance(v, dict) and str(v.get("path", "")).startswith("rollouts/")
    }
    for name in folders:
        if _project(name) not in grouped or _project(name) not in sourced:
            yield Problem(
                ROOT,
                f'does not install rollout {name}: add "{name}" to the '
                f"`rollouts` list of [dependency-groups] and `{name} = {{ path = "
                f'"rollouts/{name}", editable = true }}` to [tool.uv.sources]',
                "project",
            )
    present = {_project(n) for n in folders}
    for key, source in sorted(sourced.items()):
        folder = str(source.get("path", ""))
        if key not in present:
            yield Problem(
                ROOT,
                f"installs rollout {key} from {folder}, which does not exist "
                "(uv sync fails): remove its entries from [dependency-groups] "
                "rollouts and [tool.uv.sources]",
                "project",
            )


def _project(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _rollout(ctx: CheckContext, name: str, root_name: str) -> Iterator[Problem]:
    rel = f"rollouts/{name}/pyproject.toml"
    path = ctx.root / rel
    if not path.exists():
        return  # reported by the configs check when a config names the rollout
    data = yield from _parse(path, rel)
    if data is None:
        return
    raw = data.get("project")
    project: dict[str, Any] = raw if isinstance(raw, dict) else {}
    project_name = str(project.get("name") or name)
    workspace = root_name.removesuffix("-workspace") if root_name.endswith("-workspace") else ""
    if problem := _name_rules().collision_problem(
        project_name, "the rollout's project name", workspace
    ):
        yield Problem(rel, f"{problem} (rename the folder and the project)", "project")
    for package in _packages(data, name):
        if not (ctx.root / "rollouts" / name / package).is_dir():
            yield Problem(
                f"rollouts/{name}/",
                f"has no package folder {package}/ (named in "
                f"{rel}): the rollout installs no code; restore "
                "it from git",
                "project",
            )


def _packages(data: dict[str, Any], name: str) -> list[str]:
    """Package folders the rollout declares (``packages.find`` includes), else the template's
    ``<name>_rollout``."""
    setuptools = data.get("tool", {}).get("setuptools", {})
    find = setuptools.get("packages", {}) if isinstance(setuptools, dict) else {}
    includes = find.get("find", {}).get("include") if isinstance(find, dict) else None
    if isinstance(includes, list) and includes:
        return [
            p.rstrip("*").rstrip(".")
            for p in includes
            if isinstance(p, str)
            and p.rstrip("*")
            and "/" not in p
            and "." not in p.rstrip("*").rstrip(".")
        ]
    return [name.replace("-", "_") + "_rollout"]


def _name_rules() -> Any:
    """The template's name rules (``extensions/names.py``)."""
    from osmosis_workspace.engine.shared_rules import load

    return load("names.py")
