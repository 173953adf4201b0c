"""Run a console script's commands from one warm interpreter: heavy imports once, a fork each.

Started by ``support.helpers`` with the Python of the script's venv, one per pytest worker and
script (it exits when its standard input closes, so a worker that dies takes it along)::

    python fork_driver.py SCRIPT ENTRY [MODULE ...]

``SCRIPT`` is the console script (``osmosis``, ``osmosis-workspace``), ``ENTRY`` the
``module:function`` it calls. The driver imports the MODULEs once (LiteLLM, Strands and the
OpenAI Agents SDK cost about ten CPU seconds per ``osmosis`` process; Copier and its prompt
toolkit most of a second per ``osmosis-workspace`` process), then reads one job per line on
standard input::

    {"args": [...], "cwd": "...", "env": {...}, "out": "FILE", "err": "FILE"}

(optionally also ``"entry"`` and ``"argv0"``, another function and program name, such as
``pytest:main`` for ``python -m pytest``, whose ``sys.path`` then starts at ``cwd``),
and forks one child per job. The child is a fresh process in every way the command can see:

* its own working folder and exactly the job's environment (``env`` is the whole environment,
  not additions). A preloaded module that copied the environment at import gets the job's
  (``fresh_environment``), ``tempfile`` asks ``TMPDIR`` again, and ``PYTHONPATH`` goes on
  ``sys.path`` where an interpreter puts it;
* stdin on /dev/null, stdout and stderr written to the job's files at the descriptor level;
* ``sys.argv[0]`` the script's path; it calls ``ENTRY`` exactly as the script does, and exits
  as an interpreter does: exit handlers run, streams are flushed, the exit code is the one the
  command chose (or 1 after an uncaught error, printed as Python prints it).

Modules a job imports beyond the preload are imported fresh in the child and die with it, so no
job sees another job's state. Preloading only moves imports earlier; it never changes a result.
Nothing in the preloaded modules reads the environment to decide anything at import (the
levers, for example, are decided at the first Copier operation, in the child).

The driver answers each job with two lines on standard output: ``{"pid": N}`` as soon as the
child exists (so the caller can kill it at its time limit), then ``{"code": C}`` when it exited
(negative: killed by that signal, as ``subprocess`` reports it).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import sys
import tempfile


def fresh_environment(env: dict[str, str]) -> None:
    """Make the forked child see ``env`` everywhere a fresh process would read it."""
    os.environ.clear()
    os.environ.update(env)
    sys.path[1:1] = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    tempfile.tempdir = None  # gettempdir() caches TMPDIR's answer: ask again
    if "plumbum" in sys.modules:  # Copier runs git through plumbum, which copied os.environ
        from plumbum import local

        local.env.clear()
        local.env.update(env)


def run_child(job: dict, script: str, entry: str) -> None:
    """In the forked child: become the job's process, then exit with its code."""
    code = 1
    try:
        os.chdir(job["cwd"])
        if "entry" in job:  # ``python -m``: the program is the module, sys.path starts at cwd
            entry, script, sys.path[0] = job["entry"], job["argv0"], job["cwd"]
        fresh_environment(job["env"])
        with open(os.devnull, "rb") as devnull:
            os.dup2(devnull.fileno(), 0)
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (the child's for life)
        for fd, path in ((1, job["out"]), (2, job["err"])):
            with open(path, "wb") as stream:
                os.dup2(stream.fileno(), fd)
        sys.argv = [script, *job["args"]]
        module, function = entry.split(":")
        main = getattr(importlib.import_module(module), function)
        try:
            returned = main()
            code = returned if isinstance(returned, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # reported like an uncaught error in a real process
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()  # as the interpreter does at exit
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream has nothing left to flush
                stream.flush()
        os._exit(code)


def answer(protocol: int, message: dict) -> None:
    os.write(protocol, (json.dumps(message) + "\n").encode())


def main(script: str, entry: str, *preload: str) -> int:
    for module in preload:
        importlib.import_module(module)
    # What was preloaded lives as long as the driver: out of the collector's reach, no child's
    # garbage collection walks (and so copies) the frameworks' millions of shared objects.
    gc.freeze()
    protocol = os.dup(1)  # the children get fd 1 pointed at their own output file
    for line in sys.stdin.buffer:
        job = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.close(protocol)
            run_child(job, script, entry)
        answer(protocol, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        answer(protocol, {"code": os.waitstatus_to_exitcode(status)})
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
