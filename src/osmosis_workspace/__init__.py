"""Generate, update and check Osmosis workspace repositories."""

__version__ = "0.1.0"
