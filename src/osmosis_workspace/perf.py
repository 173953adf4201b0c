"""Speed levers for long-lived worker processes: the public names of
:mod:`osmosis_workspace.engine.copier_adapter.levers`, where the levers, their verified-code digests
and the decision which ones are on live (see its docstring).

A backend worker calls :func:`enable` once per process (for example in a process-pool
initializer or Celery's ``worker_process_init``)::

    from osmosis_workspace import perf
    perf.enable()            # warm_up() + every lever whose replaced code is the verified one

``OSMOSIS_WORKSPACE_PERF=0`` turns them off everywhere; :func:`report` says which are on and why
the others are off (``osmosis-workspace --version --verbose`` prints it).
"""

from __future__ import annotations

from osmosis_workspace.engine.copier_adapter import levers
from osmosis_workspace.engine.copier_adapter.levers import *  # noqa: F403  (the one list)

__all__ = levers.__all__
