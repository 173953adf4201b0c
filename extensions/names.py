"""Names that would shadow a package: one rule for the template's validators and ``check``.

Loaded by path (stdlib only) by ``extensions/osmosis_jinja.py`` and by the ``osmosis-workspace``
CLI (``osmosis_workspace.engine.shared_rules``).
A rollout is a uv project named after its folder and
installed into the workspace's environment next to the workspace's own dependencies, so a
rollout called ``pytest`` or ``osmosis-ai`` stands in for the real package and ``uv lock``
fails; a name that is a standard-library module, used as a package, hides that module.
"""

from __future__ import annotations

import re
import sys

#: Distributions a workspace installs (root ``pyproject.toml``, rollout ``pyproject.toml`` and the
#: tools that build them). A rollout project with one of these names stands in for the real
#: package in uv's resolution, so ``uv lock`` fails; compared after PEP 503 normalisation.
WORKSPACE_DEPENDENCIES = frozenset(
    {
        "osmosis-ai",
        "pytest",
        "httpx",
        "ruff",
        "setuptools",
        "uv",
        "litellm",
        "strands-agents",
        "openai-agents",
        "openai",
        "anthropic",
        "harbor",
        "pydantic",
        "wheel",
        "pip",
        "hatchling",
        "pyyaml",
        "tomlkit",
        "typer",
        "rich",
        "click",
        "requests",
        "fastapi",
        "uvicorn",
    }
)


def _normalised_project(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def collision_problem(value: object, field: str, workspace_name: object = "") -> str:
    """Why ``value`` would shadow something when it names a rollout, dataset or workspace.

    A dependency of the workspace or the root project (``<workspace>-workspace``) would be
    replaced by the rollout project in uv's resolution, and a standard-library module name used
    as a package would hide the real module from every import.
    """
    if not isinstance(value, str) or not value:
        return ""
    project = _normalised_project(value)
    if project in WORKSPACE_DEPENDENCIES:
        return (
            f"{field} {value!r} is the name of a package the workspace depends on; uv would "
            "install the rollout in its place. Choose another name"
        )
    if (
        isinstance(workspace_name, str)
        and workspace_name
        and project == _normalised_project(f"{workspace_name}-workspace")
    ):
        return (
            f"{field} {value!r} is the name of the workspace's own root project; choose "
            "another name"
        )
    if value.replace("-", "_") in STDLIB_MODULES:
        return (
            f"{field} {value!r} is a Python standard-library module; a package of that name "
            "would hide it. Choose another name"
        )
    return ""


#: Standard-library module names (``sys.stdlib_module_names`` of the running Python).
STDLIB_MODULES = frozenset(getattr(sys, "stdlib_module_names", ())) - {"__future__"}
