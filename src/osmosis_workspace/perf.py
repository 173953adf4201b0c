"""Opt-in speed levers for long-lived worker processes (issue #6; measured by ``bench/``).

Nothing here runs unless called. A backend worker calls :func:`enable` once per process
(for example in a process-pool initializer or Celery's ``worker_process_init``)::

    from osmosis_workspace import perf
    perf.enable()            # warm_up() + the render levers below

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

``fast_copier_yaml()`` (wraps one Copier 9.19.1 function; needs libyaml)
    Copier parses ``copier.yml`` with PyYAML's pure-Python loader (~40 ms for this template on
    an idle core, once per operation). The wrapper runs Copier's own ``load_template_config``
    with libyaml's parser (``CSafeLoader``: same constructors and resolver, so the same data);
    if libyaml rejects the file, the original function runs, so a broken ``copier.yml`` gives
    exactly the error it gives without the lever.

``constant_answers_relpath()`` (patches one Copier 9.19.1 property)
    ``Worker.answers_relpath`` renders the answers-file name with Jinja each time it is read,
    ~460 times per workspace (once per rendered path part). When the name contains none of the
    environment's Jinja delimiters and the environment cannot change plain text (no line
    statement/comment prefixes, extensions' ``preprocess`` leaves it unchanged, no extension
    ``filter_stream``, no context hooks, no autoescape), Jinja renders it to itself, so the
    property returns ``Path(name)`` without parsing and rendering it. The ``preprocess`` hooks
    still run (Copier's ``yield`` extension resets its state there, as on every
    ``from_string``). Otherwise the original property runs.

All patches are idempotent and reversible with :func:`disable`. A short-lived CLI process uses
``enable(on_import=True)``: nothing is imported up front, and each patch is installed when its
module (Jinja, Copier) is first imported, so commands that never render pay nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "COPIER_VERSION",
    "JINJA_MAJOR_MINOR",
    "cache_jinja_compiles",
    "constant_answers_relpath",
    "disable",
    "enable",
    "fast_copier_yaml",
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
_stats = {"compile_hits": 0, "compile_misses": 0, "filemode_calls": 0, "filemode_git": 0,
          "relpath_constant": 0, "relpath_rendered": 0, "yaml_fallbacks": 0}


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


def fast_copier_yaml() -> bool:
    """Copier's ``copier.yml`` loader on libyaml, falling back to the original (docstring)."""
    import types

    import copier
    import yaml
    from copier import _template
    from copier.errors import InvalidConfigFileError

    if getattr(copier, "__version__", None) != COPIER_VERSION or not hasattr(yaml, "CSafeLoader"):
        return False
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
        fast = types.FunctionType(original.__code__, {**original.__globals__, "yaml": c_yaml},
                                  original.__name__, original.__defaults__,
                                  original.__closure__)
        fast.__kwdefaults__ = original.__kwdefaults__

        def load_template_config(conf_path: Any, quiet: bool = False) -> Any:
            try:
                return fast(conf_path, quiet)
            except InvalidConfigFileError:
                _stats["yaml_fallbacks"] += 1
                return original(conf_path, quiet)  # the pure-Python parser's verdict and error

        load_template_config.__wrapped__ = original  # type: ignore[attr-defined]
        _originals["copier_yaml"] = original
        _template.load_template_config = load_template_config
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
        "\n" not in text and "\r" not in text
        and env.context_class is Context and env.autoescape is False
        and env.line_statement_prefix is None and env.line_comment_prefix is None
        and not any(s in text for s in (env.block_start_string, env.variable_start_string,
                                        env.comment_start_string))
        and all(type(e).filter_stream is Extension.filter_stream
                for e in env.extensions.values())
    )


def constant_answers_relpath() -> bool:
    """Skip rendering a constant answers-file name (module docstring)."""
    import copier
    from copier import _main

    if getattr(copier, "__version__", None) != COPIER_VERSION:
        return False
    with _lock:
        if "answers_relpath" in _originals:
            return True
        original = _main.Worker.__dict__["answers_relpath"]
        if not isinstance(original, property) or original.fget is None:
            return False
        render = original.fget

        def answers_relpath(self: Any) -> Path:
            path = str(self.answers_file or self.template.answers_relpath)
            if _renders_to_itself(self.jinja_env, path):
                _stats["relpath_constant"] += 1
                return Path(path)
            _stats["relpath_rendered"] += 1
            return render(self)

        answers_relpath.__wrapped__ = render  # type: ignore[attr-defined]
        answers_relpath.__doc__ = render.__doc__
        _originals["answers_relpath"] = original
        _main.Worker.answers_relpath = property(answers_relpath)  # type: ignore[method-assign]
        return True


_COPIER_LEVERS = ("filemode", "copier_yaml", "answers_relpath")


def _copier_levers(filemode: bool, copier_yaml: bool, answers_relpath: bool) -> dict[str, bool]:
    return {
        "filemode": skip_redundant_filemode_checks() if filemode else False,
        "copier_yaml": fast_copier_yaml() if copier_yaml else False,
        "answers_relpath": constant_answers_relpath() if answers_relpath else False,
    }


class _AfterImport:
    """A ``sys.meta_path`` entry that runs callbacks once a module has been executed.

    It finds the module with the finders after it (so the import itself is unchanged) and
    wraps the exec_module of that module's own loader instance.
    """

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callable[[], Any]]] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.callbacks:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        exec_module = getattr(loader, "exec_module", None)
        if exec_module is None:
            return spec

        def run(module: Any) -> None:
            try:
                exec_module(module)
            finally:
                with contextlib.suppress(AttributeError):
                    del loader.exec_module  # back to the loader class's method
            for callback in self.callbacks.pop(fullname, ()):
                # a lever that cannot install leaves Copier/Jinja unpatched: same output
                with contextlib.suppress(Exception):
                    callback()

        # a loader without an instance dict cannot be wrapped: the levers stay off
        with contextlib.suppress(AttributeError, TypeError):
            loader.exec_module = run
        return spec


_after_import = _AfterImport()


def _when_imported(module: str, callback: Callable[[], Any]) -> None:
    if module in sys.modules:
        callback()
        return
    _after_import.callbacks.setdefault(module, []).append(callback)
    if _after_import not in sys.meta_path:
        sys.meta_path.insert(0, _after_import)


def enable(*, compile_cache: bool = True, filemode: bool = True, copier_yaml: bool = True,
           answers_relpath: bool = True, on_import: bool = False) -> dict[str, bool]:
    """Call once per worker process: imports, then the chosen levers. Returns what is active.

    ``on_import=True`` (short-lived CLI processes): no ``warm_up()``; each patch is installed
    when Jinja or Copier is first imported (at once if it already is). The result then says
    which levers were requested; :func:`status` says which are installed.
    """
    if on_import:
        with _lock:
            if compile_cache:
                _when_imported("jinja2", cache_jinja_compiles)
            if filemode or copier_yaml or answers_relpath:
                _when_imported("copier", lambda: _copier_levers(filemode, copier_yaml,
                                                                answers_relpath))
        return {"warm_up": False, "compile_cache": compile_cache, "filemode": filemode,
                "copier_yaml": copier_yaml, "answers_relpath": answers_relpath}
    warm_up()
    return {
        "warm_up": True,
        "compile_cache": cache_jinja_compiles() if compile_cache else False,
        **_copier_levers(filemode, copier_yaml, answers_relpath),
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
        if "copier_yaml" in _originals:
            from copier import _template

            _template.load_template_config = _originals.pop("copier_yaml")
        if "answers_relpath" in _originals:
            from copier import _main

            _main.Worker.answers_relpath = _originals.pop("answers_relpath")
        _after_import.callbacks.clear()
        if _after_import in sys.meta_path:
            sys.meta_path.remove(_after_import)
        _code_cache.clear()


def status() -> dict[str, Any]:
    """Which patches are installed, cache size and hit counters (for the bench and logs)."""
    return {"compile_cache": "compile" in _originals, "filemode": "filemode" in _originals,
            "copier_yaml": "copier_yaml" in _originals,
            "answers_relpath": "answers_relpath" in _originals,
            "cached_codes": len(_code_cache), **_stats}
