"""Answer data files over the limits are refused in process, quickly and without echoing them.

Moved from tests/integration/test_bad_input.py, which keeps the same limits in a real process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.data_file_limits import EXPECTED, hostile_files

from osmosis_workspace.engine.questions import load_data_file
from osmosis_workspace.errors import WorkspaceError


def test_data_file_limits_in_process_are_quick(tmp_path: Path) -> None:
    for name, path in hostile_files(tmp_path).items():
        start = time.monotonic()
        with pytest.raises(WorkspaceError) as caught:
            load_data_file(path)
        assert time.monotonic() - start < 1.0, name
        assert caught.value.code == "usage" and EXPECTED[name] in caught.value.message, name
