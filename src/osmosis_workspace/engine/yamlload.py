"""YAML parsing on libyaml when PyYAML has it, with ``yaml.safe_load``'s own errors.

A module of its own (PyYAML only) so that ``check --fast`` can use it without importing the
questionnaire code, and ``questions`` can use it with its tag-tolerant loaders.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

#: libyaml's parser when PyYAML was built with it (~10x faster), else pure Python. Both use the
#: same constructors and resolver, so the data is the same.
FAST_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NestingError(yaml.YAMLError):
    """The document nests lists or mappings too deeply for the loader (a ``RecursionError``
    inside PyYAML); a ``YAMLError`` so every caller reports it like any other bad YAML."""

    def __init__(self) -> None:
        super().__init__("nested too deeply to read (hundreds of levels of lists or mappings)")


#: Flow collections (``[`` / ``{``) nested deeper than this are refused before parsing: libyaml
#: builds the whole node tree first, which takes seconds for a megabyte of ``[[[[...``.
MAX_FLOW_DEPTH = 200
_QUOTED_OR_BRACKET = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:[^\']|\'\')*\'|#[^\n]*|[\[\]{}]')


def flow_depth(text: str, stop: int | None = None) -> int:
    """How deeply ``[``/``{`` nest outside quotes and comments; the scan ends as soon as the
    depth passes ``stop``."""
    depth = deepest = 0
    for match in _QUOTED_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop is not None and deepest > stop:
                break
        elif token in "]}":
            depth = max(0, depth - 1)
    return deepest


def load_yaml(text: str, loader: Any = FAST_SAFE_LOADER, fallback: Any = yaml.SafeLoader) -> Any:
    """Parse with ``loader``; YAML it rejects is parsed again with the pure-Python ``fallback``,
    so errors (and their wording, with the offending line) are exactly ``yaml.safe_load``'s.
    Too deep a document raises :class:`NestingError` instead of ``RecursionError``."""
    if (
        text.count("[") + text.count("{") > MAX_FLOW_DEPTH
        and flow_depth(text, MAX_FLOW_DEPTH) > MAX_FLOW_DEPTH
    ):
        raise NestingError()
    try:
        try:
            return yaml.load(text, Loader=loader)
        except yaml.YAMLError:
            if loader is fallback:
                raise
            return yaml.load(text, Loader=fallback)
    except RecursionError:
        raise NestingError() from None
