"""``dev.py`` puts the test run's temporary files in memory only when that is safe (decision 0020).

The folder is the run's own (named by its process id), a passing run gives the memory back, a
failed run keeps its files and says how to free them, and the next run removes the folders of
runs that have ended, never one whose run is still going.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest
from support.helpers import ROOT, load_by_path

#: Above the largest process id Linux hands out (pid_max is at most 2**22): never running.
ENDED_PID = 2**22 + 1


@pytest.fixture
def dev() -> ModuleType:
    return load_by_path("dev_under_test", ROOT / "dev.py")


def test_a_tmpdir_the_user_set_is_left_alone(dev: ModuleType) -> None:
    env = {"TMPDIR": "/somewhere/else"}
    assert dev.memory_scratch(env) is None
    assert env == {"TMPDIR": "/somewhere/else"}


def test_a_folder_that_is_not_a_memory_file_system_means_the_disk(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev, "MEMORY_DIR", tmp_path)
    env: dict[str, str] = {}
    assert dev.memory_scratch(env) is None
    assert env == {} and list(tmp_path.iterdir()) == []


def test_too_little_room_means_the_disk(dev: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dev, "SCRATCH_NEEDS", 2**62)
    env: dict[str, str] = {}
    assert dev.memory_scratch(env) is None
    assert env == {}


def test_a_run_in_memory_gets_its_own_folder_and_a_pass_frees_it(dev: ModuleType) -> None:
    if not dev._memory_has_room():
        pytest.skip("this machine has no tmpfs /dev/shm with 8 GB free")
    env: dict[str, str] = {}
    scratch = dev.memory_scratch(env)
    try:
        assert scratch == Path("/dev/shm") / f"osmosis-workspace-tests-{os.getpid()}"
        assert env == {"TMPDIR": str(scratch)}
        assert scratch.is_dir() and scratch.stat().st_mode & 0o777 == 0o700
        (scratch / "file").write_text("x", encoding="utf-8")
    finally:
        dev.release_scratch(scratch, kept=False)
    assert not scratch.exists()


def test_ended_runs_folders_go_and_running_ones_stay(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev, "MEMORY_DIR", tmp_path)
    ended = tmp_path / f"osmosis-workspace-tests-{ENDED_PID}"
    running = tmp_path / f"osmosis-workspace-tests-{os.getpid()}"
    unrelated = [tmp_path / "osmosis-workspace-tests-notes", tmp_path / "someone-elses"]
    for folder in (ended, running, *unrelated):
        (folder / "inside").mkdir(parents=True)
    dev._remove_finished_scratches()
    assert not ended.exists()
    assert running.is_dir() and all(folder.is_dir() for folder in unrelated)


def test_a_failed_run_keeps_its_files_and_says_how_to_free_them(
    dev: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = tmp_path / "osmosis-workspace-tests-1"
    scratch.mkdir()
    dev.release_scratch(scratch, kept=True)
    assert scratch.is_dir()
    assert f"rm -rf {scratch}" in capsys.readouterr().out
