"""Unit tests run in this process only: ``support.unit_guard`` fails any that starts git,
Copier or the osmosis CLI, or connects a socket to anything but 127.0.0.1.

The guard is on during the setup, call and teardown of each test collected here (these hooks
only see items under this folder), so fixtures a unit test asks for are held to it too.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest
from support import unit_guard

HERE = Path(__file__).parent

unit_guard.install()


def _guarded(item: pytest.Item) -> Generator[None, None, None]:
    if not item.path.is_relative_to(HERE):
        yield
        return
    with unit_guard.guarding() as violations:
        yield
    if violations:
        pytest.fail("unit test isolation: " + "; ".join(violations), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    return (yield from _guarded(item))
