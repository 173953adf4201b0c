"""Run real ``osmosis`` commands from one warm interpreter: heavy imports once, a fork per command.

Run by the osmosis venv's Python, one per pytest worker (``support.helpers.Osmosis`` starts it
on first use; it exits when its standard input closes, so a worker that dies takes it along)::

    python osmosis_batch.py OSMOSIS_SCRIPT [MODULE ...]

The driver imports ``osmosis_ai.cli.main`` and the MODULEs once (LiteLLM, Strands and the
OpenAI Agents SDK cost about ten CPU seconds per interpreter, most of one ``osmosis eval
submit``), then reads one job per line on standard input::

    {"args": [...], "cwd": "...", "env": {...}, "out": "FILE", "err": "FILE"}

and forks one child per job. The child is a fresh process in every way the CLI can see: its
own working folder, exactly the job's environment (``env`` is the whole environment, not
additions), stdin on /dev/null, stdout and stderr written to the job's files at the file
descriptor level, ``sys.argv[0]`` the ``osmosis`` script's path. It calls the real
``osmosis_ai.cli.main.main``, exactly what the ``osmosis`` console script does, and exits with
its code. Modules the job imports beyond the preload (a rollout's own package, for example) are
imported fresh in the child and die with it, so no job sees another job's state. Preloading only
moves imports earlier; it never changes a result. (The preload reads its environment at import:
the caller starts the driver with the environment its jobs run with, HOME included.)

The driver answers each job with two lines on standard output: ``{"pid": N}`` as soon as the
child exists (so the caller can kill it at its time limit), then ``{"code": C}`` when it exited.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import sys


def run_child(job: dict, script: str) -> None:
    """In the forked child: become the job's ``osmosis`` process, then exit with its code."""
    code = 1
    try:
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        with open(os.devnull, "rb") as devnull:
            os.dup2(devnull.fileno(), 0)
        sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 (the child's for life)
        for fd, path in ((1, job["out"]), (2, job["err"])):
            with open(path, "wb") as stream:
                os.dup2(stream.fileno(), fd)
        sys.argv = [script, *job["args"]]
        from osmosis_ai.cli.main import main

        try:
            returned = main()
            code = returned if isinstance(returned, int) else 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # reported like an uncaught error in a real process
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed stream has nothing left to flush
                stream.flush()
        os._exit(code)


def answer(protocol: int, message: dict) -> None:
    os.write(protocol, (json.dumps(message) + "\n").encode())


def main(script: str, *preload: str) -> int:
    for module in ["osmosis_ai.cli.main", *preload]:
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
            run_child(job, script)
        answer(protocol, {"pid": pid})
        _, status = os.waitpid(pid, 0)
        answer(protocol, {"code": os.waitstatus_to_exitcode(status)})
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
