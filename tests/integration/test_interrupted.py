"""`osmosis-workspace new` leaves the complete workspace or nothing: Ctrl-C, full or read-only disk.

These drive the real CLI in a subprocess with its own TMPDIR, then look at the destination's
parent folder and that TMPDIR: both must be exactly as they were before the command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.helpers import ROOT

CLI = str(Path(sys.executable).with_name("osmosis-workspace"))


def new_command(dest: Path, name: str = "interrupted") -> list[str]:
    return [
        CLI,
        "new",
        str(dest),
        "--defaults",
        "--set",
        f"workspace_name={name}",
        "--template",
        str(ROOT),
        "--ref",
        "HEAD",
        "--json",
    ]


def cli_env(tmpdir: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmpdir)}


@pytest.mark.parametrize("delay", [0.0, 0.3, 0.8])
def test_ctrl_c_during_new_leaves_nothing(tmp_path: Path, delay: float) -> None:
    """SIGINT once the render has started (its staging folder exists), at several moments."""
    parent, scratch = tmp_path / "parent", tmp_path / "tmp"
    parent.mkdir()
    scratch.mkdir()
    process = subprocess.Popen(
        new_command(parent / "ws"),
        env=cli_env(scratch),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while process.poll() is None and not any(parent.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.005)
    started = any(parent.iterdir())
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    if process.returncode == 0:
        # It finished before the signal landed: then the workspace must be complete.
        assert (parent / "ws" / "AGENTS.md").is_file() and (parent / "ws" / ".git").is_dir()
        return
    assert started, f"the render never started: {stderr[-2000:]}"
    assert list(parent.iterdir()) == [], "an interrupted `new` must leave nothing behind"
    assert list(scratch.iterdir()) == [], "no temporary folder may be left behind"


@contextmanager
def small_or_readonly_mount(path: Path, *, readonly: bool) -> Iterator[None]:
    """A tiny tmpfs (a disk that fills up) or a read-only one, mounted at ``path``."""
    path.mkdir()
    options = "size=256k" + (",ro" if readonly else "")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): needs root")
    try:
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.mark.parametrize("readonly", [False, True], ids=["full-disk", "read-only"])
def test_full_or_readonly_destination_leaves_nothing(tmp_path: Path, readonly: bool) -> None:
    disk, scratch = tmp_path / "disk", tmp_path / "tmp"
    scratch.mkdir()
    with small_or_readonly_mount(disk, readonly=readonly):
        result = subprocess.run(
            new_command(disk / "ws", "no-room"),
            env=cli_env(scratch),
            capture_output=True,
            text=True,
            timeout=300,
        )
        leftovers = sorted(p.name for p in disk.iterdir())
    assert result.returncode != 0, "writing a workspace cannot succeed here"
    assert leftovers == [], f"left behind on the destination disk: {leftovers}"
    assert list(scratch.iterdir()) == [], "no temporary folder may be left behind"
    message = result.stdout + result.stderr
    assert "Read-only file system" in message or "No space left" in message, message[-2000:]
