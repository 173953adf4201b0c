"""Bad input to ``new``/``update``: bounded reads, no echo, accurate errors and exit codes.

``--data-file`` is tried with what a careless or hostile caller passes (a FIFO nobody writes,
``/dev/zero``, a sparse multi-GB file, YAML nested far too deep, a credentials file) in a real
process whose peak memory is measured; destinations and names get the misleading cases the
issue lists, each with its exact message.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.data_file_limits import EXPECTED, hostile_files
from support.helpers import committed_copy, git, snapshot_template
from typer.testing import CliRunner

from osmosis_workspace import api
from osmosis_workspace.cli.typer_app import typer_app
from osmosis_workspace.errors import WorkspaceError

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / ".venv" / "bin" / "osmosis-workspace"
KEY = "gh" + "p_" + "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapshot_template(tmp_path_factory.mktemp("bad-input-template"))


#: Forks the CLI and reports that child's own rusage. Needed because Linux keeps, in a process's
#: peak RSS, the memory of the process it was spawned from: measured straight from the pytest
#: worker (hundreds of MiB after a few tests), the CLI's "peak" would be the worker's.
_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump([os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime,
               usage.ru_maxrss], out)
"""


def _run_measured(args: list[str], timeout: float = 30) -> tuple[int, str, float, int]:
    """Run the CLI; ``(exit code, output, CPU seconds, peak RSS in KiB)`` of that very process.

    CPU time rather than wall time: the machine running the suite may be busy, and the
    question is whether the process works through its input or refuses it at once.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "usage.json"
        launcher = [sys.executable, "-c", _LAUNCHER, str(report), str(CLI), *args]
        with subprocess.Popen(
            launcher, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        ) as proc:
            try:
                stdout, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the CLI it forked
                raise AssertionError(f"killed after {timeout} s: the CLI hung on {args}") from None
        code, seconds, peak_kib = json.loads(report.read_text())
    return code, stdout.decode("utf-8", "replace"), seconds, peak_kib


def test_data_file_limits_in_a_real_process(tmp_path: Path, template: Path) -> None:
    """Exit 2 with the reason, no hang, bounded CPU and memory (of the process itself)."""
    hostile = hostile_files(tmp_path)
    del hostile["deep-block"]  # parsed like deep-flow; in-process above
    for name, path in hostile.items():
        dest = tmp_path / f"ws-{name}"
        code, output, seconds, peak_kib = _run_measured(
            [
                "new",
                str(dest),
                "--defaults",
                "--template",
                str(template),
                "--json",
                "--data-file",
                str(path),
            ]
        )
        payload = json.loads(output)
        assert code == 2 and payload["exit_code"] == 2, (name, output)
        assert EXPECTED[name] in payload["error"]["message"], name
        assert "Traceback" not in output
        # Interpreter and Typer start-up take most of a second; the refusal itself is quick.
        assert seconds < 2.5, (name, seconds)
        assert peak_kib < 300 * 1024, (name, peak_kib)
        assert not dest.exists()


def test_credentials_file_is_never_echoed(tmp_path: Path, template: Path) -> None:
    """A credentials file passed by mistake: its keys and values never appear in the output,
    neither in a YAML error (line only) nor in the unknown-key problems."""
    broken = tmp_path / "credentials"
    broken.write_text(
        f"[default]\naws_access_key_id = AKIAZ3Q5X7C9V1B3N5M7\ntoken = {KEY}\ngithub: {KEY}: x\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "creds.yml"
    mapping.write_text(f"{KEY}: value\nOPENAI_API_KEY: {KEY}\n", encoding="utf-8")
    runner = CliRunner()
    for path, code, text in (
        (broken, 2, "is not valid YAML at line 2 (content not shown)"),
        (mapping, 3, "(an unknown key, not shown)"),
    ):
        for extra in ([], ["--json"]):
            result = runner.invoke(
                typer_app,
                [
                    "new",
                    str(tmp_path / "ws"),
                    "--defaults",
                    "--template",
                    str(template),
                    "--data-file",
                    str(path),
                    *extra,
                ],
            )
            assert result.exit_code == code, result.output
            assert text in result.output
            assert KEY not in result.output and "AKIAZ3Q5" not in result.output


def test_malformed_set_is_not_echoed(template: Path) -> None:
    result = CliRunner().invoke(
        typer_app, ["new", "ws", "--defaults", "--template", str(template), "--set", KEY]
    )
    assert result.exit_code == 2
    assert (
        "--set expects KEY=VALUE (argument 1 has no '=' or no key; its text is not shown)"
        in result.output
    )
    assert KEY not in result.output


# ---------------------------------------------------------------------------------------------
# Destinations
# ---------------------------------------------------------------------------------------------


def _new_error(dest: Path, template: Path) -> WorkspaceError:
    with pytest.raises(WorkspaceError) as caught:
        api.create_workspace(
            dest, {"workspace_name": "dest-test"}, api.CreateOptions(template=str(template))
        )
    return caught.value


def test_symlink_destination_says_so(tmp_path: Path, template: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    live, dead = (
        _new_error(tmp_path / "link", template),
        _new_error(tmp_path / "dangling", template),
    )
    assert live.message == (
        f"{tmp_path / 'link'} is a symbolic link: give the real folder path "
        "(workspaces are not created through links)"
    )
    assert dead.message == (
        f"{tmp_path / 'dangling'} is a dangling symbolic link: give the "
        "real folder path (workspaces are not created through links)"
    )
    assert live.exit_code == dead.exit_code == 4 and live.code == "invalid_destination"
    assert not (tmp_path / "nowhere").exists() and list((tmp_path / "real").iterdir()) == []


def test_destination_under_a_file_is_refused_with_exit_4(tmp_path: Path, template: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(
        typer_app,
        ["new", str(tmp_path / "notes.txt" / "ws"), "--defaults", "--template", str(template)],
    )
    assert result.exit_code == 4
    assert (
        f"error: {tmp_path / 'notes.txt'} is a file, so {tmp_path / 'notes.txt' / 'ws'} "
        "cannot be created under it: choose another folder"
    ) in result.output
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"


@pytest.mark.parametrize("name", ["new\nline", "tab\there", "esc\x1b[31m", "cr\rx"])
def test_destination_with_control_characters_is_refused(
    tmp_path: Path, template: Path, name: str
) -> None:
    error = _new_error(tmp_path / name, template)
    assert error.exit_code == 4
    assert error.message == (
        "The destination path contains a control character (a newline, "
        "tab or escape): choose a plain folder name"
    )
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# Names that shadow a package
# ---------------------------------------------------------------------------------------------

SHADOWING = [
    ("rollout_name", "osmosis-ai", "is the name of a package the workspace depends on"),
    ("rollout_name", "pytest", "is the name of a package the workspace depends on"),
    ("rollout_name", "httpx", "is the name of a package the workspace depends on"),
    ("rollout_name", "ruff", "is the name of a package the workspace depends on"),
    ("rollout_name", "setuptools", "is the name of a package the workspace depends on"),
    ("rollout_name", "uv", "is the name of a package the workspace depends on"),
    ("rollout_name", "names-workspace", "is the name of the workspace's own root project"),
    ("rollout_name", "json", "is a Python standard-library module"),
    ("dataset_name", "pytest", "is the name of a package the workspace depends on"),
    ("dataset_name", "email", "is a Python standard-library module"),
    ("workspace_name", "litellm", "is the name of a package the workspace depends on"),
]


@pytest.mark.parametrize(("field", "value", "reason"), SHADOWING)
def test_names_that_shadow_a_package_are_refused(
    template: Path, tmp_path: Path, field: str, value: str, reason: str
) -> None:
    answers = {"workspace_name": "names", field: value}
    with pytest.raises(WorkspaceError) as caught:
        api.create_workspace(tmp_path / "ws", answers, api.CreateOptions(template=str(template)))
    assert caught.value.exit_code == 3
    problem = next(p for p in caught.value.problems if p.question == field)
    assert problem.reason.startswith(f"{field} {value!r} {reason}")


# ---------------------------------------------------------------------------------------------
# Update with a template folder that is gone
# ---------------------------------------------------------------------------------------------


def test_update_names_a_missing_template_folder(default_workspace: Path, tmp_path: Path) -> None:
    ws = committed_copy(default_workspace, tmp_path / "ws")
    answers = ws / ".copier-answers.yml"
    gone = tmp_path / "moved-template"
    text = answers.read_text(encoding="utf-8")
    lines = [
        f"_src_path: {gone}" if line.startswith("_src_path:") else line
        for line in text.splitlines()
    ]
    if not any(line.startswith("_commit:") for line in lines):
        lines.append("_commit: v1.0.0")
    answers.write_text("\n".join(lines) + "\n", encoding="utf-8")
    git("commit", "-qam", "template moved", cwd=ws)
    with pytest.raises(WorkspaceError) as caught:
        api.update_workspace(ws)
    assert caught.value.exit_code == 4
    assert caught.value.message == (
        f".copier-answers.yml records the template at {gone}, a folder that does not exist on "
        "this machine: clone the template back there, or set _src_path to its current location "
        "or URL and commit that change"
    )


def test_update_reads_a_deeply_nested_answers_file_without_crashing(
    default_workspace: Path, tmp_path: Path
) -> None:
    ws = committed_copy(default_workspace, tmp_path / "ws")
    with open(ws / ".copier-answers.yml", "a", encoding="utf-8") as handle:
        handle.write(f"extra: {'[' * 50_000}{']' * 50_000}\nnote: {KEY}\n")
    git("commit", "-qam", "deep answers", cwd=ws)
    result = CliRunner().invoke(typer_app, ["update", str(ws), "--json"])
    payload = json.loads(result.stdout)
    assert result.exit_code == 4 and payload["error"]["code"] == "not_updatable"
    assert payload["error"]["message"] == (
        "Cannot read .copier-answers.yml: NestingError; restore it from git"
    )
    assert KEY not in result.stdout


def test_deeply_nested_set_value_is_an_answer_problem(template: Path, tmp_path: Path) -> None:
    deep = "[" * 20_000 + "]" * 20_000
    result = CliRunner().invoke(
        typer_app,
        [
            "new",
            str(tmp_path / "ws"),
            "--defaults",
            "--json",
            "--template",
            str(template),
            "--set",
            f"skills={deep}",
        ],
    )
    payload = json.loads(result.stdout)
    assert result.exit_code == 3, result.stdout
    assert {"question": "skills", "reason": "must be a list of choices"} in payload["error"][
        "problems"
    ]
