"""Run many real ``osmosis`` commands from one interpreter: heavy imports once, a fork per command.

Run by the osmosis venv's Python (not imported by the tests)::

    python osmosis_batch.py JOBS.json RESULTS.json

``JOBS.json`` holds ``{"preload": [module, ...], "jobs": [{"args", "cwd", "env"}, ...]}``.
The driver imports the ``preload`` modules once (LiteLLM, Strands and the OpenAI Agents SDK cost
about ten CPU seconds per interpreter, which is most of one ``osmosis eval submit``), then forks
one child per job. The child is a fresh process in every way the CLI can see (its own working
folder, environment, exit code, stdin on /dev/null, stdout and stderr captured at the file
descriptor level) and calls the real ``osmosis_ai.cli.main.main`` with the job's arguments,
exactly what the ``osmosis`` console script does. Modules the job imports beyond ``preload``
(a rollout's own package, for example) are imported fresh in the child and die with it, so no
job sees another job's state. Preloading only moves imports earlier; it never changes a result.

``RESULTS.json`` receives one ``{"code", "stdout", "stderr"}`` per job, in order.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
from pathlib import Path


def run_child(job: dict, out: Path, err: Path) -> None:
    """In the forked child: become the job's ``osmosis`` process, then exit with its code."""
    code = 1
    try:
        os.chdir(job["cwd"])
        os.environ.update(job.get("env", {}))
        with open(os.devnull, "rb") as devnull:
            os.dup2(devnull.fileno(), 0)
        for fd, path in ((1, out), (2, err)):
            with open(path, "wb") as stream:
                os.dup2(stream.fileno(), fd)
        sys.argv = ["osmosis", *job["args"]]
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


def run_job(job: dict, scratch: Path, index: int) -> dict:
    out, err = scratch / f"{index}.out", scratch / f"{index}.err"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        run_child(job, out, err)
    _, status = os.waitpid(pid, 0)
    return {
        "code": os.waitstatus_to_exitcode(status),
        "stdout": out.read_text(encoding="utf-8", errors="replace"),
        "stderr": err.read_text(encoding="utf-8", errors="replace"),
    }


def main(jobs_file: str, results_file: str) -> int:
    spec = json.loads(Path(jobs_file).read_text(encoding="utf-8"))
    for module in ["osmosis_ai.cli.main", *spec.get("preload", [])]:
        importlib.import_module(module)
    with tempfile.TemporaryDirectory(prefix="osmosis-batch-") as scratch:
        results = [run_job(job, Path(scratch), i) for i, job in enumerate(spec["jobs"])]
    Path(results_file).write_text(json.dumps(results), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
