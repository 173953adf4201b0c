"""Opt-in speed levers for long-lived worker processes (issue #6; measured by ``bench/``).

Nothing here runs unless called. A backend worker calls :func:`enable` once per process
(for example in a process-pool initializer or Celery's ``worker_process_init``)::

    from osmosis_workspace import perf
    perf.enable()            # warm_up() + the two render caches below

Levers (see docs/benchmarks.md for the measured gain of each):

``warm_up()``
    Imports Copier, Jinja and the modules Copier loads lazily, once per process, so the first
    operation of a worker does not pay ~0.3-1 s of imports. No behaviour change.

``cache_jinja_compiles()`` (patches ``jinja2.Environment.compile``; Jinja 3.1 only)
    Copier compiles every path segment, the answers-file name (hundreds of times per render)
    and every templated string with ``Environment.from_string``; a default workspace costs
    ~1,250 compiles, most of them of the same few dozen strings, again in every operation.
    Template files (``{% include %}``, every ``*.jinja`` file) are parsed and compiled again in
    every operation too, because Copier clones the template to a new temporary path each time.
    The patch memoises Jinja's generated Python code for string sources, keyed by the source,
    the template name and every environment
    setting that reaches the compiler: delimiters and whitespace options, ``optimized``,
    ``autoescape``, ``finalize``, ``is_async``, the sandbox's intercepted operators, each filter
    and test (name, module, function; constant folding may call them), the environment
    class, and each extension's class plus a hash of the file that defines it (so two
    template versions with different extension code never share entries). On a cache hit
    the extensions' ``preprocess`` hooks still run, because Copier's ``yield`` extension
    resets per-environment state there; environments with an extension that rewrites the
    token stream (``filter_stream``) bypass the cache. Only Python's final ``compile`` still
    runs for files, with the real file name, so tracebacks and ``Template.filename`` are
    unchanged; unnamed sources (``from_string``) reuse the code object. Rendering then runs
    the code the compiler would have produced, so the output is identical; the bench
    compares rendered trees byte for byte. Risk: a future Jinja whose code generation reads
    another environment attribute; hence the version guard. Bounded (LRU, 4096 entries).

``skip_redundant_filemode_checks()`` (patches one Copier 9.19.1 method)
    Copier 9.19.1 runs ``git config --get core.fileMode`` in the destination once per rendered
    file (``Worker._sync_git_index_executable_bit``) and does something only when the answer
    is ``false``. The patch asks git once per operation and destination (per ``Worker``
    object) and reuses the answer; when it is ``false`` the original method runs unchanged
    (it then updates the index). The setting cannot change while Copier renders files (tasks
    run after rendering, and ``Worker`` objects are per operation), so behaviour is identical.
    Only installed for copier==9.19.1 (the method is private); otherwise a no-op that says so.

All patches are idempotent and reversible with :func:`disable`.
"""

from __future__ import annotations

import hashlib
import inspect
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = [
    "COPIER_VERSION",
    "JINJA_MAJOR_MINOR",
    "cache_jinja_compiles",
    "disable",
    "enable",
    "skip_redundant_filemode_checks",
    "status",
    "warm_up",
]

#: The only Copier version whose private method the fileMode lever patches.
COPIER_VERSION = "9.19.1"
#: Jinja versions whose compiler inputs the compile cache key was written against.
JINJA_MAJOR_MINOR = ("3.1",)
_CACHE_SIZE = 4096

_lock = threading.RLock()
_originals: dict[str, Any] = {}
_code_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_env_keys: weakref.WeakKeyDictionary[Any, tuple[Any, ...]] = weakref.WeakKeyDictionary()
_stats = {"compile_hits": 0, "compile_misses": 0, "filemode_calls": 0, "filemode_git": 0}


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

    from . import create, questions, session, source, update  # noqa: F401


def _extension_key(ext: Any) -> tuple[str, str, str]:
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
    return ("callable", getattr(value, "__module__", None), getattr(value, "__qualname__", None),
            id(value))


def _function_key(func: Any) -> tuple[Any, ...]:
    """Module and name of a filter/test (through ``functools.partial``), stable across operations
    for library code; template extensions are covered by their file hash."""
    inner = getattr(func, "func", func)
    name = getattr(inner, "__qualname__", type(inner).__name__)
    return (getattr(inner, "__module__", None), name,
            tuple(map(repr, getattr(func, "args", ()))),
            tuple(sorted((k, repr(v)) for k, v in (getattr(func, "keywords", None) or {}).items()
                         if not callable(v))))


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
            type(env).__module__, type(env).__qualname__, type(env).code_generator_class,
            env.block_start_string, env.block_end_string, env.variable_start_string,
            env.variable_end_string, env.comment_start_string, env.comment_end_string,
            env.line_statement_prefix, env.line_comment_prefix, env.trim_blocks,
            env.lstrip_blocks, env.newline_sequence, env.keep_trailing_newline, env.optimized,
            _callable_key(env.autoescape), _callable_key(env.finalize), env.is_async,
            tuple(sorted(_extension_key(e) for e in env.extensions.values())),
            getattr(env, "sandboxed", False), frozenset(getattr(env, "intercepted_binops", ())),
            frozenset(getattr(env, "intercepted_unops", ())),
            # constant folding may call filters and tests at compile time: their identity
            tuple(sorted((n, _function_key(f)) for n, f in env.filters.items())),
            tuple(sorted((n, _function_key(f)) for n, f in env.tests.items())),
            filters, tests,
        )
        _env_keys[env] = key
    return key


def cache_jinja_compiles() -> bool:
    """Memoise ``Environment.compile`` for unnamed string sources (module docstring)."""
    import jinja2
    from jinja2 import Environment

    if ".".join(jinja2.__version__.split(".")[:2]) not in JINJA_MAJOR_MINOR:
        return False
    with _lock:
        if "compile" in _originals:
            return True
        original = Environment.compile

        def compile(self: Any, source: Any, name: Any = None, filename: Any = None,
                    raw: bool = False, defer_init: bool = False) -> Any:
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

        compile.__wrapped__ = original  # type: ignore[attr-defined]
        _originals["compile"] = original
        Environment.compile = compile  # type: ignore[method-assign]
        return True


def skip_redundant_filemode_checks() -> bool:
    """Ask ``git config core.fileMode`` once per Copier operation (module docstring)."""
    import copier
    from copier import _main

    if getattr(copier, "__version__", None) != COPIER_VERSION:
        return False
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
                git = _main.get_git(context_dir=root)
                try:
                    seen[root] = git("config", "--type=bool", "--get", "core.fileMode").strip()
                except _main.ProcessExecutionError:
                    seen[root] = ""  # not a repo or unset: the original returns here too
            if seen[root] != "false":
                return  # exactly the original's early return
            original(self, dst_relpath, src_mode)

        _sync_git_index_executable_bit.__wrapped__ = original  # type: ignore[attr-defined]
        _originals["filemode"] = original
        _main.Worker._sync_git_index_executable_bit = _sync_git_index_executable_bit
        return True


def enable(*, compile_cache: bool = True, filemode: bool = True) -> dict[str, bool]:
    """Call once per worker process: imports, then the chosen levers. Returns what is active."""
    warm_up()
    return {
        "warm_up": True,
        "compile_cache": cache_jinja_compiles() if compile_cache else False,
        "filemode": skip_redundant_filemode_checks() if filemode else False,
    }


def disable() -> None:
    """Remove every patch and empty the caches."""
    with _lock:
        if "compile" in _originals:
            from jinja2 import Environment

            Environment.compile = _originals.pop("compile")  # type: ignore[method-assign]
        if "filemode" in _originals:
            from copier import _main

            _main.Worker._sync_git_index_executable_bit = _originals.pop("filemode")
        _code_cache.clear()


def status() -> dict[str, Any]:
    """Which patches are installed, cache size and hit counters (for the bench and logs)."""
    return {"compile_cache": "compile" in _originals, "filemode": "filemode" in _originals,
            "cached_codes": len(_code_cache), **_stats}
