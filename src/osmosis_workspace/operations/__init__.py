"""The operations the API offers: create, update, update --all, add-rollout, check-update, abort.

Each takes what it works on as arguments and how it runs as one frozen dataclass from
:mod:`.options`, and returns a result from :mod:`osmosis_workspace.results`; none of them
prints. What they share lives below them (:mod:`osmosis_workspace.engine.render` for rendering,
:mod:`.guards` for update's refusals), so no operation reaches into another's helpers.
"""
