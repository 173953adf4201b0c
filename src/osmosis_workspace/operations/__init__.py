"""The operations the API offers: create, update, update --all, add-rollout, check-update, abort.

Each takes its options as one frozen dataclass and returns a result from
:mod:`osmosis_workspace.results`; none of them prints.
"""
