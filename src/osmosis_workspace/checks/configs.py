"""Configs under ``configs/{eval,training,benchmark}`` against osmosis-ai 0.3.8's schemas.

Ported from ``osmosis_ai.platform.cli`` (``shared_config``, ``training_config``,
``eval_config``, ``benchmark_config``, the rollout path rules, and ``eval run``'s number checks)
with stdlib ``tomllib``, keeping osmosis' wording (``experiment.foo: Unrecognized key``) so the
two read alike. Beyond the schema, each rollout and entrypoint a config names must exist, as the
submit preflight requires. ``default.toml`` files are fallbacks meant to be copied: their
``<your-...>`` placeholders are allowed there (and only there), and their paths are not checked.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from osmosis_workspace.checks.model import CheckContext, Problem

ENV_VAR_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
SECRET_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
COMMIT_SHA_RE = re.compile(r"^[0-9a-fA-F]{7,40}$")
RESERVED_ENV_PREFIX = "_OSMOSIS_"
PLACEHOLDER = "<your-"
EXPERIMENT_KEYS = ("rollout", "entrypoint", "model_path", "dataset", "branch", "commit_sha")
REQUIRED_EXPERIMENT = ("rollout", "entrypoint", "model_path", "dataset")
#: Kind -> (folder, label used in messages, its own tables with their allowed keys).
KINDS: dict[str, tuple[str, str, dict[str, tuple[str, ...]]]] = {
    "eval": (
        "configs/eval",
        "eval",
        {
            "evaluation": (
                "limit",
                "n",
                "batch_size",
                "pass_threshold",
                "agent_workflow_timeout_s",
                "grader_timeout_s",
            ),
        },
    ),
    "training": (
        "configs/training",
        "training",
        {
            "training": (
                "lr",
                "total_epochs",
                "n_samples_per_prompt",
                "rollout_batch_size",
                "max_prompt_length",
                "max_response_length",
                "agent_workflow_timeout_s",
                "grader_timeout_s",
            ),
            "sampling": ("rollout_temperature", "rollout_top_p"),
            "checkpoints": ("eval_interval", "checkpoint_save_freq"),
        },
    ),
}


class ConfigError(Exception):
    """A fatal config error (osmosis stops at the first of these)."""


def check(ctx: CheckContext) -> Iterator[Problem]:
    rollouts_seen: set[str] = set()
    for kind, (folder, _label, _tables) in KINDS.items():
        for rel in ctx.under(folder, (".toml",)):
            for message, rollout in check_submit_config(ctx.root, rel, kind):
                if message:
                    yield Problem(rel, message, "configs")
                if rollout and rollout not in rollouts_seen:
                    rollouts_seen.add(rollout)
                    yield from _rollout(ctx, rollout, rel)
    for rel in ctx.under("configs/benchmark", (".toml",)):
        for message in check_benchmark_config(ctx.root / rel):
            yield Problem(rel, message, "configs")


#: A config is a few kilobytes; a bigger "config" (or a link to a device) is not read.
MAX_CONFIG_BYTES = 1 << 20


def _read_toml(path: Path) -> dict[str, Any]:
    import stat
    import tomllib

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError("Cannot read config file: not a regular file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"Config file too large ({info.st_size} bytes; the limit is {MAX_CONFIG_BYTES})"
            )
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Invalid TOML: {exc}") from exc
    except RecursionError:
        raise ConfigError(
            "Invalid TOML: nested too deeply to read (hundreds of levels of arrays or tables)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read config file: {exc}") from exc


def _table(raw: dict[str, Any], name: str, *, required: bool = False) -> dict[str, Any]:
    if name not in raw:
        if required:
            raise ConfigError(f"Missing [{name}] section")
        return {}
    table = raw[name]
    if not isinstance(table, dict):
        raise ConfigError(f"[{name}] must be a table")
    return table


def _type_label(value: Any) -> str:
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Training and evaluation configs
# ---------------------------------------------------------------------------------------------


def check_submit_config(root: Path, rel: str, kind: str) -> Iterator[tuple[str, str | None]]:
    """``(message, rollout)`` pairs: a problem message, or a rollout to check (message "")."""
    parsed = yield from _parsed_config(root, rel, kind)
    if parsed is None:
        return
    raw, experiment = parsed
    if kind == "eval":
        for message in _eval_run_numbers(raw.get("evaluation") or {}):
            yield message, None
    rollout, entrypoint = str(experiment["rollout"]), str(experiment["entrypoint"])
    problem = _rollout_target_problem(root, rollout, entrypoint, kind)
    if problem:
        yield problem, None
        return
    yield "", f"{rollout}\0{entrypoint}"


def _parsed_config(
    root: Path, rel: str, kind: str
) -> Generator[tuple[str, str | None], None, tuple[dict[str, Any], dict[str, Any]] | None]:
    """The config and its ``[experiment]``, or None after yielding why osmosis would refuse it
    before looking at the rollout: unreadable, off the schema, bad names, or placeholders
    still in place (silently for ``default.toml``, which is a template for the others)."""
    _folder, label, tables = KINDS[kind]
    try:
        raw = _read_toml(root / rel)
        issues, experiment, env, secrets = _schema(raw, label, tables, kind)
    except ConfigError as exc:
        yield str(exc), None
        return None
    if issues:
        for key, message in issues:
            yield f"Invalid {label} config: {key}: {message}", None
        return None
    try:
        _names(env, secrets)
    except ConfigError as exc:
        yield str(exc), None
        return None
    placeholders = [k for k in REQUIRED_EXPERIMENT if PLACEHOLDER in str(experiment.get(k))]
    if placeholders:
        if Path(rel).name != "default.toml":
            for key in placeholders:
                yield (
                    f"experiment.{key} still holds a placeholder ({experiment[key]}): replace it",
                    None,
                )
        return None
    return raw, experiment


def _rollout_target_problem(root: Path, rollout: str, entrypoint: str, kind: str) -> str:
    """Why the rollout folder and entrypoint a config names cannot be run, or ``""``."""
    problem = rollout_path_problem(
        root, rollout, entrypoint, "Evaluation" if kind == "eval" else "Training"
    )
    if problem:
        return problem
    if not (root / "rollouts" / rollout).is_dir():
        return f"rollout {rollout!r} not found: rollouts/{rollout}/ does not exist"
    if not (root / "rollouts" / rollout / entrypoint).is_file():
        return f"entrypoint not found: rollouts/{rollout}/{entrypoint}"
    return ""


def _schema(
    raw: dict[str, Any], label: str, tables: dict[str, tuple[str, ...]], kind: str
) -> tuple[list[tuple[str, str]], dict[str, Any], dict[str, Any], list[str]]:
    experiment = _table(raw, "experiment", required=True)
    for key in REQUIRED_EXPERIMENT:
        if key not in experiment:
            raise ConfigError(f"Missing '{key}' in [experiment] section")
    extra = {name: _table(raw, name) for name in tables}
    _table(raw, "advanced")
    env = _table(raw, "env")
    secrets = _secrets(raw, required=kind == "eval")
    allowed = {"experiment", "advanced", "env", "secrets", *tables}
    issues: list[tuple[str, str]] = [(k, "Unrecognized section") for k in raw if k not in allowed]
    issues += _experiment_issues(experiment)
    for name, keys in tables.items():
        issues += [(f"{name}.{k}", "Unrecognized key") for k in extra[name] if k not in keys]
    issues += [
        (f"env.{k}", f"must be a string, got {_type_label(v)}")
        for k, v in env.items()
        if not isinstance(v, str)
    ]
    return issues, experiment, {k: v for k, v in env.items() if isinstance(v, str)}, secrets


def _secrets(raw: dict[str, Any], *, required: bool) -> list[str]:
    if "secrets" not in raw:
        if required:
            raise ConfigError(
                "Missing [secrets] section (evaluation configs need it; required = [] is allowed)"
            )
        return []
    value = raw["secrets"]
    if not isinstance(value, dict):
        raise ConfigError("[secrets] must be a table")
    unknown = sorted(set(value) - {"required"})
    if unknown:
        raise ConfigError(
            f"[secrets] only supports the 'required' field; unknown key(s): {', '.join(unknown)}."
        )
    if "required" not in value:
        raise ConfigError("Missing 'required' in [secrets] section")
    names = value["required"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(
            "'required' in [secrets] must be a list of strings, e.g. "
            'required = ["OPENAI_API_KEY"].'
        )
    return names


def _experiment_issues(experiment: dict[str, Any]) -> list[tuple[str, str]]:
    issues = [
        (f"experiment.{k}", "Unrecognized key") for k in experiment if k not in EXPERIMENT_KEYS
    ]
    typed = True
    for key in EXPERIMENT_KEYS:
        if key in experiment and not isinstance(experiment[key], str):
            issues.append(
                (f"experiment.{key}", f"must be a string, got {_type_label(experiment[key])}")
            )
            typed = False
    branch, sha = experiment.get("branch"), experiment.get("commit_sha")
    if isinstance(branch, str) and (not branch or any(c.isspace() for c in branch)):
        issues.append(
            (
                "experiment.branch",
                "is invalid: Value error, must not be empty or contain whitespace",
            )
        )
        typed = False
    if isinstance(sha, str) and not COMMIT_SHA_RE.fullmatch(sha):
        issues.append(
            (
                "experiment.commit_sha",
                "is invalid: Value error, must be a hexadecimal "
                f"Git commit SHA (7-40 hex characters), e.g. a full 40-character SHA; "
                f"got {sha!r}",
            )
        )
        typed = False
    if typed and not issues and branch is not None and sha is not None:
        issues.append(
            ("experiment", "is invalid: Value error, Provide either branch or commit_sha, not both")
        )
    return issues


def _names(env: dict[str, str], secrets: list[str], label: str = "[env]") -> None:
    for key in env:
        if not ENV_VAR_NAME_RE.match(key):
            raise ConfigError(
                f"Invalid env var name '{key}' in {label}: must match ^[A-Z_][A-Z0-9_]*$"
            )
        if key.startswith(RESERVED_ENV_PREFIX):
            raise ConfigError(
                f"'{key}' in {label}: env var names starting with "
                f"{RESERVED_ENV_PREFIX} are reserved by the platform"
            )
    duplicates = sorted({n for n in secrets if secrets.count(n) > 1})
    if duplicates:
        raise ConfigError(
            f"Duplicate secret name(s) in [secrets].required: "
            f"{', '.join(duplicates)}. Each name must appear once."
        )
    for name in secrets:
        if not SECRET_NAME_RE.match(name):
            raise ConfigError(
                f"Invalid secret name '{name}': use uppercase letters, digits, and "
                "underscores, starting with a letter (^[A-Z][A-Z0-9_]*$)"
            )
    overlap = sorted(set(env) & set(secrets))
    if overlap:
        raise ConfigError(
            f"Name(s) appear in both [env] and [secrets]: {', '.join(overlap)}. "
            "Each env var name must come from exactly one place."
        )


def _eval_run_numbers(evaluation: dict[str, Any]) -> Iterator[str]:
    """``osmosis eval run`` rejects these before running anything."""
    for key in ("pass_threshold", "agent_workflow_timeout_s", "grader_timeout_s"):
        value = evaluation.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"evaluation.{key} must be a number, got {value!r} (osmosis eval run)"
        elif not math.isfinite(value):
            yield f"evaluation.{key} must be finite, got {value!r} (osmosis eval run)"
    for key in ("n", "batch_size", "limit"):
        value = evaluation.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            yield f"evaluation.{key} must be an integer, got {value!r} (osmosis eval run)"
        elif key == "n" and value <= 0:
            yield f"evaluation.n must be a positive integer, got {value!r} (osmosis eval run)"


def rollout_path_problem(root: Path, rollout: str, entrypoint: str, label: str) -> str:
    """osmosis' ``validate_workspace_rollout_paths``: one folder name, entrypoint inside it."""
    if Path(rollout).is_absolute():
        return f"{label} rollout must be a logical rollout name."
    if rollout in ("", ".", ".."):
        return f"{label} rollout {rollout!r} is not a valid rollout name."
    if "/" in rollout or "\\" in rollout:
        return f"{label} rollout {rollout!r} must be a single-segment name (no path separators)."
    base = (root / "rollouts").resolve()
    folder = (root / "rollouts" / rollout).resolve()
    if not folder.is_relative_to(base):
        return f"{label} rollout must resolve under the workspace's rollouts directory."
    if not (folder / entrypoint).resolve().is_relative_to(folder):
        return f"{label} entrypoint must resolve under rollouts/<rollout>/."
    return ""


def _rollout(ctx: CheckContext, key: str, config: str) -> Iterator[Problem]:
    rollout, entrypoint = key.split("\0")
    folder = ctx.root / "rollouts" / rollout
    if not (folder / "pyproject.toml").is_file():
        yield Problem(
            f"rollouts/{rollout}/",
            "has no pyproject.toml (osmosis eval run installs "
            f"the rollout from it; named by {config})",
            "configs",
        )
    if ctx.fast:
        return
    if sys.version_info < (3, 12):
        if "entrypoints not compiled (needs Python >= 3.12)" not in ctx.skipped:
            ctx.skipped.append("entrypoints not compiled (needs Python >= 3.12)")
        return
    source = folder / entrypoint
    try:
        compile(source.read_bytes(), os.fspath(source), "exec", dont_inherit=True)
    except SyntaxError as exc:
        yield Problem(
            f"rollouts/{rollout}/{entrypoint}",
            f"does not compile: {exc.msg}",
            "configs",
            exc.lineno,
        )


# ---------------------------------------------------------------------------------------------
# Benchmark configs
# ---------------------------------------------------------------------------------------------

_HARNESS_KEYS = {"cursor-cli": "CURSOR_API_KEY"}
_RESERVED_MODEL_SECRETS = frozenset({"DAYTONA_API_KEY", "DAYTONA_API_URL"})
_MODEL_FIELDS = {
    "provider": ({"model", "api_key_secret"}, set()),
    "endpoint": ({"base_url", "model", "api_key_secret"}, {"extra_headers"}),
    "hosted": ({"base_model", "lora_model_name"}, set()),
}
_EXECUTION_KEYS = {
    "attempts_per_task",
    "max_concurrent_attempts",
    "timeout_multiplier",
    "max_retries",
    "pass_threshold",
    "judge_model",
    "judge_api_key_secret",
}
_BENCHMARK_TABLES = {"experiment", "tasks", "agents", "execution", "verifier", "secrets", "env"}


def check_benchmark_config(path: Path) -> list[str]:
    try:
        raw = _read_toml(path)
        _table(raw, "experiment", required=True)
        if "agents" not in raw:
            raise ConfigError("Missing [[agents]] section")
        if not isinstance(raw["agents"], list):
            raise ConfigError("[[agents]] must be an array of tables")
    except ConfigError as exc:
        return [str(exc)]
    issues = _benchmark_issues(raw)
    if issues:
        return [f"Invalid benchmark config: {key}: {message}" for key, message in issues]
    try:
        _benchmark_names(raw)
    except ConfigError as exc:
        return [str(exc)]
    return []


def _strict(table: Any, prefix: str, allowed: set[str], issues: list[tuple[str, str]]) -> bool:
    if not isinstance(table, dict):
        issues.append((prefix, "must be a table, got " + _type_label(table)))
        return False
    issues += [(f"{prefix}.{k}", "Unrecognized key") for k in table if k not in allowed]
    return True


def _str_list(
    value: Any,
    key: str,
    issues: list[tuple[str, str]],
    *,
    max_len: int | None = None,
    nonblank: bool = False,
) -> None:
    if not isinstance(value, list):
        issues.append((key, f"is invalid: Input should be a valid list, got {value!r}"))
        return
    if max_len is not None and len(value) > max_len:
        issues.append((key, f"is invalid: List should have at most {max_len} items"))
    for index, item in enumerate(value):
        if not isinstance(item, str):
            issues.append((f"{key}.{index}", f"must be a string, got {item!r}"))
        elif nonblank and not re.search(r"\S", item):
            issues.append((f"{key}.{index}", "is invalid: String should match pattern '\\S'"))


def _benchmark_issues(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Every schema problem of a benchmark config, in the order osmosis reports them."""
    issues: list[tuple[str, str]] = [
        (k, "Unrecognized key") for k in raw if k not in _BENCHMARK_TABLES
    ]
    _benchmark_experiment_issues(raw["experiment"], issues)
    _tasks_issues(raw.get("tasks", {}), issues)
    agents = raw["agents"]
    if not 1 <= len(agents) <= 8:
        issues.append(("agents", "is invalid: between 1 and 8 [[agents]] are allowed"))
    for index, agent in enumerate(agents):
        _agent_issues(agent, f"agents.{index}", issues)
    execution = raw.get("execution", {})
    if _strict(execution, "execution", _EXECUTION_KEYS, issues):
        secret = execution.get("judge_api_key_secret")
        if secret is not None and not isinstance(secret, str):
            issues.append(("execution.judge_api_key_secret", f"must be a string, got {secret!r}"))
    for table in ("verifier", "secrets"):
        value = raw.get(table, {})
        if _strict(value, table, {"required"}, issues) and "required" in value:
            _str_list(value["required"], f"{table}.required", issues, max_len=16)
    _env_issues(raw.get("env", {}), "env", issues)
    return issues


def _benchmark_experiment_issues(experiment: Any, issues: list[tuple[str, str]]) -> None:
    _strict(experiment, "experiment", {"benchmark"}, issues)
    if "benchmark" not in experiment:
        issues.append(("experiment.benchmark", "is invalid: Field required"))
    elif not isinstance(experiment["benchmark"], str):
        issues.append(
            ("experiment.benchmark", f"must be a string, got {experiment['benchmark']!r}")
        )


def _tasks_issues(tasks: Any, issues: list[tuple[str, str]]) -> None:
    if _strict(tasks, "tasks", {"categories", "task_names", "task_set"}, issues):
        for key in ("categories", "task_names"):
            if key in tasks:
                _str_list(tasks[key], f"tasks.{key}", issues, nonblank=True)
        if "task_set" in tasks and tasks["task_set"] != "parity":
            issues.append(("tasks.task_set", "is invalid: Input should be 'parity'"))


def _env_issues(env: Any, key: str, issues: list[tuple[str, str]]) -> None:
    """An ``[env]`` table (the config's or an agent's): a table of strings."""
    if isinstance(env, dict):
        issues += [
            (f"{key}.{k}", f"must be a string, got {v!r}")
            for k, v in env.items()
            if not isinstance(v, str)
        ]
    else:
        issues.append((key, f"must be a table, got {env!r}"))


def _agent_issues(agent: Any, prefix: str, issues: list[tuple[str, str]]) -> None:
    if not _strict(agent, prefix, {"harness", "harness_api_key_secret", "model", "env"}, issues):
        return
    for key in ("harness", "harness_api_key_secret"):
        if agent.get(key) is not None and not isinstance(agent[key], str):
            issues.append((f"{prefix}.{key}", f"must be a string, got {agent[key]!r}"))
    _env_issues(agent.get("env", {}), f"{prefix}.env", issues)
    if "model" not in agent:
        issues.append((f"{prefix}.model", "is invalid: Field required"))
        return
    _model_issues(agent["model"], f"{prefix}.model", issues)


def _model_issues(model: Any, prefix: str, issues: list[tuple[str, str]]) -> None:
    """An agent's ``model`` table: its ``type`` decides which fields it needs and allows."""
    if not isinstance(model, dict):
        issues.append((prefix, f"must be a table, got {model!r}"))
        return
    kind = model.get("type")
    if kind not in _MODEL_FIELDS:
        issues.append(
            (f"{prefix}.type", "is invalid: must be one of 'provider', 'endpoint', 'hosted'")
        )
        return
    required, optional = _MODEL_FIELDS[kind]
    where = f"{prefix}.{kind}"
    _strict(model, where, required | optional | {"type"}, issues)
    for key in sorted(required):
        if key not in model:
            issues.append((f"{where}.{key}", "is invalid: Field required"))
        elif not isinstance(model[key], str):
            issues.append((f"{where}.{key}", f"must be a string, got {model[key]!r}"))
    headers = model.get("extra_headers")
    if headers is None:
        return
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        issues.append((f"{where}.extra_headers", "must be a table of strings"))
    elif any(str(name).casefold() == "authorization" for name in headers):
        issues.append(
            (
                f"{where}.extra_headers",
                "is invalid: Value error, extra_headers "
                "must not include an Authorization header; use api_key_secret for "
                "endpoint authentication",
            )
        )


def _benchmark_names(raw: dict[str, Any]) -> None:
    """osmosis' env-name and secret-reference rules (raised one at a time, like osmosis)."""
    env = raw.get("env", {})
    _names(env, [], "[env]")
    agents = raw["agents"]
    for index, agent in enumerate(agents, start=1):
        _names(agent.get("env", {}), [], f"agent {index}'s [agents.env]")
    execution = raw.get("execution", {})
    verifier = raw.get("verifier", {}).get("required", [])
    names = [
        a["model"]["api_key_secret"]
        for a in agents
        if a["model"]["type"] in ("provider", "endpoint")
    ]
    names += [
        a["harness_api_key_secret"] for a in agents if a.get("harness_api_key_secret") is not None
    ]
    judge = execution.get("judge_api_key_secret")
    if isinstance(judge, str):
        names.append(judge)
    names += verifier + raw.get("secrets", {}).get("required", [])
    for name in dict.fromkeys(names):
        if not SECRET_NAME_RE.match(name):
            raise ConfigError(
                f"Invalid secret name '{name}': use uppercase letters, digits, "
                "and underscores, starting with a letter (^[A-Z][A-Z0-9_]*$)"
            )
    for index, agent in enumerate(agents, start=1):
        _agent_secret_rules(index, agent, env, judge if judge else None, verifier)


def _agent_secret_rules(
    index: int, agent: dict[str, Any], env: dict[str, Any], judge: str | None, verifier: list[str]
) -> None:
    """osmosis' rules for the names one agent's secrets reach the runner under: none may also
    be set in env (the agent's or the config's). Raises the first broken rule, as osmosis."""
    effective = {**env, **agent.get("env", {})}
    model, harness = agent["model"], agent.get("harness") or ""
    if model["type"] in ("provider", "endpoint"):
        _model_secret_rules(index, model["api_key_secret"], effective)
    if judge and judge in effective:
        raise ConfigError(f"'{judge}' appears in env and as judge_api_key_secret")
    for secret in verifier:
        if secret in effective:
            raise ConfigError(f"'{secret}' appears in env and in [verifier].required")
    _harness_secret_rules(index, harness, agent.get("harness_api_key_secret"), effective)
    if harness == "mini-swe-agent" and model["type"] != "hosted" and "MSWEA_API_KEY" in effective:
        raise ConfigError(
            f"'MSWEA_API_KEY' appears in env but the platform injects agent "
            f"{index}'s model key under that name for mini-swe-agent"
        )


def _model_secret_rules(index: int, secret: Any, effective: dict[str, Any]) -> None:
    if secret in _RESERVED_MODEL_SECRETS:
        raise ConfigError(
            f"Agent {index}'s api_key_secret '{secret}' uses a name reserved "
            "by the benchmark runner"
        )
    if secret in effective:
        raise ConfigError(
            f"'{secret}' appears in env and as agent {index}'s api_key_secret:"
            " the platform injects the secret under that name"
        )


def _harness_secret_rules(index: int, harness: str, given: Any, effective: dict[str, Any]) -> None:
    """A harness that reads its own key variable needs ``harness_api_key_secret`` naming exactly
    that variable; any other harness must not set it."""
    required = _HARNESS_KEYS.get(harness)
    if required and required in effective:
        raise ConfigError(
            f"'{required}' appears in env but is managed by agent {index}'s {harness} harness"
        )
    if required and given is None:
        raise ConfigError(
            f"Agent {index}'s {harness} harness requires harness_api_key_secret "
            f"(a secret record named {required})"
        )
    if required and given != required:
        raise ConfigError(
            f"Agent {index}'s harness_api_key_secret '{given}' does not match "
            f"the variable the {harness} harness reads ({required})"
        )
    if not required and given is not None:
        raise ConfigError(f"Agent {index}'s harness does not use harness_api_key_secret; remove it")
