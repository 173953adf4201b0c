"""Speed levers: patches of Copier and Jinja internals that verify the code they replace.

Each lever replaces one private function of Copier or Jinja with a faster one that gives
byte-identical output (``tests/integration/test_perf_levers.py``,
``bench/verify_levers.py``). Private code changes without notice, so a lever installs only
when the code it replaces, and the code its
correctness argument relies on, is exactly the code it was written and verified against: the
sha256 of that source text (``inspect.getsource``, so the same on every Python version) must
equal a pinned digest in :data:`PINNED`. Otherwise the lever stays off, the reason is logged
(logger ``osmosis_workspace.levers``) and shown by ``osmosis-workspace --version --verbose``.
Any other Copier or Jinja version therefore works, only slower. ``tests/unit/test_lever_digests.py``
pins the digests, so a dependency upgrade that changes the code fails there first.

Who decides (one place, :func:`decide`):

1. ``OSMOSIS_WORKSPACE_PERF=0`` (or ``false``/``no``/``off``) turns every lever off, ``=1``
   (``true``/``yes``/``on``) on, for the CLI and the API alike;
2. otherwise the caller: the CLI asks for all levers for ``new``, ``update`` and
   ``add-rollout``; an API caller (the platform backend) asks with :func:`enable` once per
   worker process, or gets none;
3. a requested lever whose digest does not match stays off (reason recorded).

The levers (measured in docs/benchmarks.md; decision in docs/decisions/0002-speed-levers.md):

``compile_cache`` (replaces ``jinja2.Environment.compile``)
    Copier compiles every path segment, the answers-file name and every templated string with
    ``Environment.from_string``, ~1,250 compiles per workspace, mostly the same few dozen
    strings; template files are compiled again in every operation because Copier clones the
    template to a new path each time. The patch memoises Jinja's generated Python code, keyed
    by the source, the name and every environment setting that reaches the compiler
    (delimiters, whitespace options, ``optimized``, ``autoescape``, ``finalize``,
    ``is_async``, the sandbox's intercepted operators, each filter and test, the environment
    class, each extension's class and a hash of its file). On a hit the extensions'
    ``preprocess`` hooks still run (Copier's ``yield`` extension resets state there);
    extensions that rewrite the token stream bypass the cache. Files are still compiled by
    Python for their own file name, so tracebacks and ``Template.filename`` are unchanged.
    Pinned: ``Environment.compile``/``_parse``/``_generate``/``_compile``/``preprocess`` and
    the modules ``jinja2.compiler``, ``jinja2.lexer``, ``jinja2.parser`` (the key lists what
    they read). Bounded (LRU, 4096 entries).

``filemode`` (replaces ``copier._main.Worker._sync_git_index_executable_bit``)
    Copier runs ``git config --get core.fileMode`` once per rendered file and acts only when
    the answer is ``false``. The patch asks once per operation and destination and otherwise
    runs the original unchanged; the setting cannot change while files render.

``copier_yaml`` (replaces ``copier._template.load_template_config``; needs libyaml)
    The same function (code, defaults, closure) run with globals in which ``yaml.SafeLoader``
    is libyaml's ``CSafeLoader`` (same constructors and resolver); if libyaml rejects the file,
    the original runs, so errors are unchanged. ~40 ms -> ~5 ms per operation.

``answers_relpath`` (replaces the property ``copier._main.Worker.answers_relpath``)
    Rendered ~460 times per workspace; when the name provably renders to itself (no Jinja
    delimiters or line prefixes, ``preprocess`` leaves it unchanged and still runs, no
    ``filter_stream``, no context hooks, no autoescape) the patch returns ``Path(name)``,
    otherwise the original runs.

All patches are idempotent and reversible with :func:`disable`.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "ENV",
    "LEVERS",
    "PINNED",
    "before_operation",
    "current_digest",
    "decide",
    "disable",
    "enable",
    "install",
    "report",
    "status",
    "warm_up",
]

#: Environment variable that turns every lever off (``0``) or on (``1``), CLI and API alike.
ENV = "OSMOSIS_WORKSPACE_PERF"
#: The levers, in the order they are reported.
LEVERS = ("compile_cache", "filemode", "copier_yaml", "answers_relpath")

#: sha256 of the source of the code each lever replaces or relies on, as verified with
#: copier 9.19.1 and Jinja 3.1.6 (several entries allowed: each a verified version).
PINNED: dict[str, frozenset[str]] = {
    "compile_cache": frozenset(
        {"e45929706db763d1256e34de562182e042bce86b74536d6ae889977b0e38eb23"}
    ),
    "filemode": frozenset({"88af4d75b2793322ac5a233bf0b0f6a5f0076865a4beba4dcb593020b8a93fd9"}),
    "copier_yaml": frozenset({"dd7da18ee4d6795cdbe0a4372cb905b00e2c8fa6756b92e7192fdc3f49d37852"}),
    "answers_relpath": frozenset(
        {"bc7cd583fab7327b90c5f071a6ee3bd4824964f85d27182618c43311815d096d"}
    ),
}

_log = logging.getLogger("osmosis_workspace.levers")
_lock = threading.RLock()
_originals: dict[str, Any] = {}
_requested: set[str] = set()
_refused: dict[str, str] = {}
_code_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_env_keys: weakref.WeakKeyDictionary[Any, tuple[Any, ...]] = weakref.WeakKeyDictionary()
_stats = {
    "compile_hits": 0,
    "compile_misses": 0,
    "filemode_calls": 0,
    "filemode_git": 0,
    "relpath_constant": 0,
    "relpath_rendered": 0,
    "yaml_fallbacks": 0,
}
#: lever -> key in ``_originals`` once installed
_ORIGINAL_KEY = {
    "compile_cache": "compile",
    "filemode": "filemode",
    "copier_yaml": "copier_yaml",
    "answers_relpath": "answers_relpath",
}


def _covered(lever: str) -> list[tuple[str, Any]]:
    """(label, object) of the code ``lever`` replaces or relies on: what its digest covers."""
    if lever == "compile_cache":
        import jinja2.compiler
        import jinja2.lexer
        import jinja2.parser
        from jinja2 import Environment

        return [
            ("Environment.compile", Environment.compile),
            ("Environment._parse", Environment._parse),
            ("Environment._generate", Environment._generate),
            ("Environment._compile", Environment._compile),
            ("Environment.preprocess", Environment.preprocess),
            ("jinja2.compiler", jinja2.compiler),
            ("jinja2.lexer", jinja2.lexer),
            ("jinja2.parser", jinja2.parser),
        ]
    from copier import _main, _template

    if lever == "filemode":
        return [
            ("Worker._sync_git_index_executable_bit", _main.Worker._sync_git_index_executable_bit)
        ]
    if lever == "copier_yaml":
        return [("load_template_config", _template.load_template_config)]
    prop = _main.Worker.__dict__.get("answers_relpath")
    return [("Worker.answers_relpath", getattr(prop, "fget", prop))]


@functools.cache
def current_digest(lever: str) -> str:
    """sha256 of the installed source of everything ``lever`` covers (see :data:`PINNED`);
    computed once per process (~10-40 ms for all four, most of it ``inspect.getsource``)."""
    parts = _covered(lever)
    if len(parts) == 1:
        return hashlib.sha256(inspect.getsource(parts[0][1]).encode()).hexdigest()
    digest = hashlib.sha256()
    for label, obj in parts:
        digest.update(label.encode() + b"\0" + inspect.getsource(obj).encode() + b"\0")
    return digest.hexdigest()


def _refusal(lever: str) -> str:
    """Why ``lever`` must not be installed here, or ``""``."""
    try:
        digest = current_digest(lever)
    except (ImportError, OSError, TypeError, AttributeError) as exc:
        return f"cannot read the code it replaces ({type(exc).__name__}: {exc})"
    if digest not in PINNED[lever]:
        labels = ", ".join(label for label, _ in _covered(lever))
        return (
            f"the installed code of {labels} is not the verified code "
            f"(sha256 {digest[:12]}...; {_versions()})"
        )
    if lever == "copier_yaml":
        import yaml

        if not hasattr(yaml, "CSafeLoader"):
            return "PyYAML has no libyaml (CSafeLoader)"
    return ""


def _versions() -> str:
    import copier
    import jinja2

    return f"copier {copier.__version__}, jinja2 {jinja2.__version__}"


def _env_choice() -> bool | None:
    value = os.environ.get(ENV, "").strip().lower()
    if value in {"0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    return None


def decide(requested: Iterable[str]) -> dict[str, tuple[bool, str]]:
    """For each lever: (install it?, why). The one place that decides (module docstring)."""
    wanted = set(requested)
    forced = _env_choice()
    decision: dict[str, tuple[bool, str]] = {}
    for lever in LEVERS:
        if forced is False:
            decision[lever] = (False, f"turned off by {ENV}={os.environ[ENV].strip()}")
            continue
        if forced is None and lever not in wanted:
            decision[lever] = (
                False,
                "not requested (the CLI requests all levers for new, "
                "update and add-rollout; the API with perf.enable())",
            )
            continue
        refusal = _refusal(lever)
        why = f"turned on by {ENV}" if forced else "requested"
        decision[lever] = (
            (False, refusal)
            if refusal
            else (True, f"{why}; the code it replaces matches the verified digest")
        )
    return decision


def install(requested: Iterable[str]) -> dict[str, bool]:
    """Install what :func:`decide` allows; refusals are logged and kept for :func:`status`."""
    installers: dict[str, Callable[[], bool]] = {
        "compile_cache": _install_compile_cache,
        "filemode": _install_filemode,
        "copier_yaml": _install_copier_yaml,
        "answers_relpath": _install_answers_relpath,
    }
    requested = set(requested)
    result = {}
    with _lock:
        for lever, (on, why) in decide(requested).items():
            if on:
                result[lever] = installers[lever]()
                _refused.pop(lever, None)
            else:
                result[lever] = False
                if lever in requested and _env_choice() is not False:
                    if _refused.get(lever) != why:
                        _log.warning("speed lever %s stays off: %s", lever, why)
                    _refused[lever] = why
    return result


def before_operation() -> None:
    """Install the requested levers not installed yet; called by the adapter before every
    Copier operation. ``OSMOSIS_WORKSPACE_PERF=1`` requests them all, also for API callers
    that never called :func:`enable`. Cheap when there is nothing to do."""
    with _lock:
        if _env_choice():
            _requested.update(LEVERS)
        pending = {
            lever
            for lever in _requested
            if _ORIGINAL_KEY[lever] not in _originals and lever not in _refused
        }
        if pending and _env_choice() is not False:
            install(_requested)


def enable(
    *,
    compile_cache: bool = True,
    filemode: bool = True,
    copier_yaml: bool = True,
    answers_relpath: bool = True,
    on_import: bool = False,
) -> dict[str, bool]:
    """Ask for the levers (once per process) and install those :func:`decide` allows.

    Returns, per lever, whether it is installed; :func:`report` says why not.
    ``on_import=True`` (the CLI) imports nothing now: the levers are installed by the adapter
    right before the first Copier operation (:func:`before_operation`), so a usage error costs
    nothing extra. The result then says which levers were requested.
    """
    flags = {
        "compile_cache": compile_cache,
        "filemode": filemode,
        "copier_yaml": copier_yaml,
        "answers_relpath": answers_relpath,
    }
    with _lock:
        _requested.update(lever for lever, on in flags.items() if on)
        if on_import:
            return {"warm_up": False, **{lever: lever in _requested for lever in LEVERS}}
        warm_up()
        return {"warm_up": True, **install(_requested)}


def report() -> list[tuple[str, bool, str]]:
    """(lever, on, why) for every lever as the CLI's rendering commands would get them."""
    installed = status()
    return [
        (lever, on or bool(installed[lever]), why) for lever, (on, why) in decide(LEVERS).items()
    ]


_CACHE_SIZE = 4096


def warm_up() -> None:
    """Import what every operation needs, once per process (no behaviour change)."""
    import copier
    import copier._main
    import copier._template
    import copier._vcs  # noqa: F401
    import copier_template_extensions  # noqa: F401
    import jinja2.sandbox  # noqa: F401
    import jinja2_ansible_filters  # noqa: F401
    import packaging.version  # noqa: F401
    import yaml  # noqa: F401

    from osmosis_workspace.operations import update  # noqa: F401


def _extension_key(ext: Any) -> tuple[str, str, str]:
    import inspect

    cls = type(ext)
    digest = ""
    try:
        path = inspect.getsourcefile(cls)
        if path:
            with open(path, "rb") as handle:
                digest = hashlib.sha256(handle.read()).hexdigest()
    except (OSError, TypeError):
        digest = f"id:{id(cls)}"  # unknown origin: never shared with another class
    return (cls.__module__, cls.__qualname__, digest)


def _callable_key(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    return (
        "callable",
        getattr(value, "__module__", None),
        getattr(value, "__qualname__", None),
        id(value),
    )


def _function_key(func: Any) -> tuple[Any, ...]:
    """Module and name of a filter/test (through ``functools.partial``), stable across operations
    for library code; template extensions are covered by their file hash."""
    inner = getattr(func, "func", func)
    name = getattr(inner, "__qualname__", type(inner).__name__)
    return (
        getattr(inner, "__module__", None),
        name,
        tuple(map(repr, getattr(func, "args", ()))),
        tuple(
            sorted(
                (k, repr(v))
                for k, v in (getattr(func, "keywords", None) or {}).items()
                if not callable(v)
            )
        ),
    )


def _env_key(env: Any) -> tuple[Any, ...] | None:
    """Everything about ``env`` that reaches Jinja's parser and code generator; None when an
    extension rewrites the token stream (its side effects could not be replayed on a hit)."""
    from jinja2.ext import Extension

    if any(type(e).filter_stream is not Extension.filter_stream for e in env.extensions.values()):
        return None
    key = _env_keys.get(env)
    filters, tests = frozenset(env.filters), frozenset(env.tests)
    if key is None or key[-2] != filters or key[-1] != tests:
        key = (
            type(env).__module__,
            type(env).__qualname__,
            type(env).code_generator_class,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            _callable_key(env.autoescape),
            _callable_key(env.finalize),
            env.is_async,
            tuple(sorted(_extension_key(e) for e in env.extensions.values())),
            getattr(env, "sandboxed", False),
            frozenset(getattr(env, "intercepted_binops", ())),
            frozenset(getattr(env, "intercepted_unops", ())),
            # constant folding may call filters and tests at compile time: their identity
            tuple(sorted((n, _function_key(f)) for n, f in env.filters.items())),
            tuple(sorted((n, _function_key(f)) for n, f in env.tests.items())),
            filters,
            tests,
        )
        _env_keys[env] = key
    return key


def _replace(owner: Any, name: str, new: Any) -> None:
    """Put ``new`` in place of ``owner.<name>``: every install and undo goes through here.
    ``setattr`` because replacing a method is exactly what a lever does, and what a type
    checker rightly refuses in ordinary code."""
    setattr(owner, name, new)


def _wrapping(new: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``new`` as wrapping ``original`` (``__wrapped__``, as ``functools.wraps`` does,
    nothing else copied), so ``inspect.unwrap`` still finds the code a lever replaced."""
    return functools.update_wrapper(new, original, assigned=(), updated=())


def _install_compile_cache() -> bool:
    """Memoise ``Environment.compile`` for unnamed string sources (module docstring)."""
    from jinja2 import Environment

    with _lock:
        if "compile" in _originals:
            return True
        # Callable[..., Any]: calls pass ``raw`` through as a plain bool (Jinja's overloads
        # want a literal).
        original: Callable[..., Any] = Environment.compile

        def compile(
            self: Any,
            source: Any,
            name: Any = None,
            filename: Any = None,
            raw: bool = False,
            defer_init: bool = False,
        ) -> Any:
            key = _env_key(self) if isinstance(source, str) else None
            if key is None:  # a node tree, or an extension with a custom filter_stream
                return original(self, source, name, filename, raw, defer_init)
            key = (key, source, name, defer_init)
            with _lock:
                entry = _code_cache.get(key)
                if entry is not None:
                    _code_cache.move_to_end(key)
            if entry is None:
                _stats["compile_misses"] += 1
                python = original(self, source, name, filename, True, defer_init)
                code = None
            else:
                _stats["compile_hits"] += 1
                self.preprocess(source, name, filename)  # keep the extensions' side effects
                python, code = entry
            if raw:
                result = python
            elif filename is None:  # from_string: the code object itself is reusable
                code = result = code or self._compile(python, "<template>")
            else:  # a file: compile for *this* file name (tracebacks, Template.filename)
                result = self._compile(python, filename)
            with _lock:
                _code_cache[key] = (python, code)
                while len(_code_cache) > _CACHE_SIZE:
                    _code_cache.popitem(last=False)
            return result

        _originals["compile"] = original
        _replace(Environment, "compile", _wrapping(compile, original))
        return True


def _install_filemode() -> bool:
    """Ask ``git config core.fileMode`` once per Copier operation (module docstring)."""
    from copier import _main
    from copier._vcs import get_git  # the objects _main imports, under their own names
    from plumbum import ProcessExecutionError

    with _lock:
        if "filemode" in _originals:
            return True
        original: Callable[..., None] = _main.Worker._sync_git_index_executable_bit
        # Worker is an unhashable dataclass: key by id, dropped when the Worker is collected.
        answers: dict[int, dict[str, str]] = {}

        def _sync_git_index_executable_bit(self: Any, dst_relpath: Any, src_mode: int) -> None:
            _stats["filemode_calls"] += 1
            root = str(self.subproject.local_abspath)
            seen = answers.get(id(self))
            if seen is None:
                seen = answers[id(self)] = {}
                weakref.finalize(self, answers.pop, id(self), None)
            if root not in seen:
                _stats["filemode_git"] += 1
                git = get_git(context_dir=root)
                try:
                    seen[root] = git("config", "--type=bool", "--get", "core.fileMode").strip()
                except ProcessExecutionError:
                    seen[root] = ""  # not a repo or unset: the original returns here too
            if seen[root] != "false":
                return  # exactly the original's early return
            original(self, dst_relpath, src_mode)

        _originals["filemode"] = original
        _replace(
            _main.Worker,
            "_sync_git_index_executable_bit",
            _wrapping(_sync_git_index_executable_bit, original),
        )
        return True


def _install_copier_yaml() -> bool:
    """Copier's ``copier.yml`` loader on libyaml, falling back to the original (docstring)."""
    import types

    import yaml
    from copier import _template
    from copier.errors import InvalidConfigFileError

    with _lock:
        if "copier_yaml" in _originals:
            return True
        original = _template.load_template_config
        c_yaml = types.ModuleType(yaml.__name__)
        c_yaml.__dict__.update(yaml.__dict__)
        c_yaml.SafeLoader = yaml.CSafeLoader  # type: ignore[attr-defined]
        # The same function (code, defaults, closure), reading ``yaml`` from globals in which
        # ``yaml.SafeLoader`` is libyaml's loader: Copier's ``!include`` constructor and merge
        # rules are unchanged.
        fast = types.FunctionType(
            original.__code__,
            {**original.__globals__, "yaml": c_yaml},
            original.__name__,
            original.__defaults__,
            original.__closure__,
        )
        fast.__kwdefaults__ = original.__kwdefaults__

        def load_template_config(conf_path: Any, quiet: bool = False) -> Any:
            try:
                return fast(conf_path, quiet)
            except InvalidConfigFileError:
                _stats["yaml_fallbacks"] += 1
                return original(conf_path, quiet)  # the pure-Python parser's verdict and error

        _originals["copier_yaml"] = original
        _replace(_template, "load_template_config", _wrapping(load_template_config, original))
        return True


def _renders_to_itself(env: Any, text: str) -> bool:
    """True when Jinja provably renders ``text`` to ``text`` in ``env``: after the extensions'
    ``preprocess`` hooks (run here exactly as ``from_string`` runs them, for their side effects:
    Copier's ``yield`` extension resets its state there) it is one data token without
    newlines (no delimiter or line prefix), no extension filters the token stream, and the
    context class is Jinja's own (no context hooks)."""
    from jinja2.ext import Extension
    from jinja2.runtime import Context

    if env.preprocess(text, None, None) != text:
        return False
    return (
        "\n" not in text
        and "\r" not in text
        and env.context_class is Context
        and env.autoescape is False
        and env.line_statement_prefix is None
        and env.line_comment_prefix is None
        and not any(
            s in text
            for s in (env.block_start_string, env.variable_start_string, env.comment_start_string)
        )
        and all(type(e).filter_stream is Extension.filter_stream for e in env.extensions.values())
    )


def _install_answers_relpath() -> bool:
    """Skip rendering a constant answers-file name (module docstring)."""
    from copier import _main

    with _lock:
        if "answers_relpath" in _originals:
            return True
        original = _main.Worker.__dict__["answers_relpath"]
        if not isinstance(original, property) or original.fget is None:
            return False
        render: Callable[[Any], Path] = original.fget

        def answers_relpath(self: Any) -> Path:
            path = str(self.answers_file or self.template.answers_relpath)
            if _renders_to_itself(self.jinja_env, path):
                _stats["relpath_constant"] += 1
                return Path(path)
            _stats["relpath_rendered"] += 1
            return render(self)

        _wrapping(answers_relpath, render)
        answers_relpath.__doc__ = render.__doc__
        _originals["answers_relpath"] = original
        _replace(_main.Worker, "answers_relpath", property(answers_relpath))
        return True


def disable() -> None:
    """Remove every patch, forget the requests and empty the caches."""
    with _lock:
        if "compile" in _originals:
            from jinja2 import Environment

            _replace(Environment, "compile", _originals.pop("compile"))
        if "filemode" in _originals:
            from copier import _main

            _replace(_main.Worker, "_sync_git_index_executable_bit", _originals.pop("filemode"))
        if "copier_yaml" in _originals:
            from copier import _template

            _replace(_template, "load_template_config", _originals.pop("copier_yaml"))
        if "answers_relpath" in _originals:
            from copier import _main

            _replace(_main.Worker, "answers_relpath", _originals.pop("answers_relpath"))
        _requested.clear()
        _refused.clear()
        _code_cache.clear()


def status() -> dict[str, Any]:
    """Which patches are installed, why requested ones are not, cache size and counters."""
    return {
        **{lever: _ORIGINAL_KEY[lever] in _originals for lever in LEVERS},
        "refused": dict(_refused),
        "cached_codes": len(_code_cache),
        **_stats,
    }
