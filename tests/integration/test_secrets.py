"""Credentials are refused wherever they come in, and leave no trace anywhere afterwards.

Each shape is tried as an API answer, a ``--set`` answer, a ``--data-file`` answer and inside a
template URL; after each refusal the destination, the temp dir, the git objects next to it and
Copier's cache are scanned for the secret, and so is everything printed. Keys are assembled
from pieces so this file is not itself a leak for secret scanners.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from support.helpers import snapshot_template
from typer.testing import CliRunner

from osmosis_workspace import api
from osmosis_workspace.cli.app import typer_app
from osmosis_workspace.errors import WorkspaceError

ROOT = Path(__file__).resolve().parents[2]
R = "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90"  # random-looking filler

#: (name, text holding a credential). At least 30, across every provider family in the table.
SHAPES: list[tuple[str, str]] = [
    ("openai-legacy", "sk-" + R[:48]),
    ("openai-project", "sk-" + "proj-" + R + "_x-Y"),
    ("openai-svcacct", "sk-" + "svcacct-" + R),
    ("openrouter", "sk-" + "or-v1-" + "0a1b2c3d" * 8),
    ("deepseek-hex", "sk-" + "0a1b2c3d4e5f6a7b" * 2),
    ("anthropic", "sk-" + "ant-api03-" + R + "-AA"),
    ("groq", "gsk" + "_" + R + "Zz9"),
    ("xai", "xai" + "-" + R + R),
    ("google", "AI" + "za" + "SyD" + R[:32]),
    ("huggingface", "hf" + "_" + R[:34]),
    ("github-classic", "gh" + "p_" + R[:36]),
    ("github-oauth", "gh" + "o_" + R[:36]),
    ("github-server", "gh" + "s_" + R[:36]),
    ("github-fine", "github" + "_pat_" + "11ABCDEFG0" + "_" + R),
    ("gitlab", "gl" + "pat-" + R[:20]),
    ("slack-bot", "xo" + "xb-" + "123456789012-1234567890123-" + R[:24]),
    ("slack-user", "xo" + "xp-" + "123456789012-" + R[:24]),
    ("stripe-live", "sk" + "_live_" + R[:24]),
    ("stripe-restricted", "rk" + "_live_" + R[:24]),
    ("stripe-test", "sk" + "_test_" + R[:24]),
    ("fireworks", "fw" + "_" + R[:24]),
    ("together", "tgp" + "_v1_" + R),
    ("aws-access-key", "AK" + "IA" + "Z3Q5X7C9V1B3N5M7"),
    ("aws-session-key", "AS" + "IA" + "Z3Q5X7C9V1B3N5M7"),
    ("aws-secret", "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + R[:10]),
    ("jwt-bearer", "Authorization: Bearer ey" + "JhbGciOiJIUzI1NiJ9.ey"
     + "JzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("pem", "-----BEGIN " + "OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END"),
    ("env-openai", "OPENAI_API" + "_KEY=" + "q8w7e6r5t4y3u2i1"),
    ("env-model-secret", "export TOGETHERAI_API" + "_KEY=\"" + "z9x8c7v6b5n4m3l2\""),
    ("env-token", "HF_TOK" + "EN: " + "plainlowercasevalue"),
    ("env-password", "DB_PASS" + "WORD=" + "correcthorsebattery"),
    ("url-password", "https://deploy:" + "s3cr3tPassw0rd" + "@example.com/org/repo.git"),
    ("url-token-param", "https://example.com/org/repo.git?private_" + "token=" + R[:20]),
    ("git-x-access", "git+https://x-access-" + "token:" + R[:20] + "@github.com/o/r.git"),
    ("ssh-password", "ssh://bob:" + "hunter2hunter2" + "@git.example.com/r.git"),
    ("zero-width-inside", "sk-" + "proj-" + R[:10] + "\u200b" + R[10:]),
    ("look-alike", "\u0455k-" + "proj-" + R),
    ("fullwidth", "\uff53\uff4b-" + "proj-" + R),
    ("word-before", "mykey" + "gh" + "p_" + R[:36]),
]

#: Text that looks close but holds no credential: none of it may be refused.
SAFE = [
    "Ask the user for the invoice number, then answer with the total.",
    "task-2024-summary of the ticket queue",
    "Put OPENAI_API_KEY=<your key> in .env",
    "Models: openai/gpt-5-mini, anthropic/claude-sonnet-4-5",
    "Clone https://github.com/org/repo.git or git@github.com:org/repo.git",
    "The answer is on the last line in the form '#### <number>'.",
]


def _secrets_module():
    spec = importlib.util.spec_from_file_location("tmpl_secrets", ROOT / "extensions/secrets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SECRETS = _secrets_module()


def test_the_table_covers_thirty_shapes_and_spares_prose() -> None:
    assert len(SHAPES) >= 30
    missed = [name for name, text in SHAPES if not SECRETS.find_secret(f"see {text} here")]
    assert missed == []
    assert [text for text in SAFE if SECRETS.find_secret(text)] == []
    for _name, text in SHAPES:
        assert SECRETS.find_secret(SECRETS.redact(f"note: {text} !")) == ""


def _needles(text: str) -> list[bytes]:
    """What must not appear anywhere: the longest run without spaces, as stored bytes."""
    longest = max(text.split(), key=len)
    return [longest.encode(), json.dumps(longest)[1:-1].encode()]


def _scan(roots: list[Path], needles: list[bytes]) -> list[str]:
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")] if root.exists() else []:
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                found += [f"{path}" for n in needles if n in data]
    return found


def _git_objects(repo: Path) -> bytes:
    return subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo,
                          capture_output=True, check=True).stdout


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """TMPDIR, Copier's cache and a git repository holding the destinations, all scanned."""
    places = {name: tmp_path / name for name in ("tmp", "cache", "parent")}
    for place in places.values():
        place.mkdir()
    subprocess.run(["git", "init", "-q", str(places["parent"])], check=True)
    monkeypatch.setenv("TMPDIR", str(places["tmp"]))
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setenv("COPIER_CACHE_DIR", str(places["cache"]))
    return places


VECTORS = ("api-answer", "--set", "--data-file", "template-url")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a plain folder: no clone, no git lookups, so refusals are quick."""
    return snapshot_template(tmp_path_factory.mktemp("secrets-template"))


def _attempt(vector: str, text: str, dest: Path, work: Path, template: Path) -> tuple[int, str]:
    """One refusal attempt; returns the exit code and everything printed."""
    answer = f"Route tickets. {text}"
    if vector == "api-answer":
        with pytest.raises(WorkspaceError) as caught:
            api.create_workspace(dest, {"workspace_name": "leak-test",
                                        "task_description": answer},
                                 api.CreateOptions(template=str(template)))
        return int(caught.value.exit_code), str(caught.value) + json.dumps(
            caught.value.to_dict())
    args = ["new", str(dest), "--defaults", "--json", "--set", "workspace_name=leak-test"]
    if vector != "template-url":
        args += ["--template", str(template)]
    if vector == "--set":
        args += ["--set", f"task_description={answer}"]
    elif vector == "--data-file":
        data = work / "answers.yml"
        data.write_text(json.dumps({"task_description": answer}), encoding="utf-8")
        args += ["--data-file", str(data)]
    else:
        url = text if "://" in text else f"https://example.com/{text}/repo.git"
        args += ["--template", url]
    result = CliRunner().invoke(typer_app, args)
    return result.exit_code, result.output


@pytest.mark.parametrize(("name", "text"), SHAPES, ids=[name for name, _ in SHAPES])
def test_credential_is_refused_everywhere_and_stored_nowhere(
        name: str, text: str, sandbox: dict[str, Path], tmp_path: Path, template: Path) -> None:
    needles = _needles(text)
    for vector in VECTORS:
        dest = sandbox["parent"] / f"ws-{VECTORS.index(vector)}"
        code, printed = _attempt(vector, text, dest, tmp_path, template)
        expected = 4 if vector == "template-url" else 3
        assert code == expected, (vector, printed)
        assert not dest.exists() and not dest.is_symlink(), vector
        assert [n for n in needles if n in printed.encode()] == [], (vector, printed)
    assert _scan([sandbox["tmp"], sandbox["cache"], sandbox["parent"]], needles) == []
    objects = _git_objects(sandbox["parent"])
    assert [n for n in needles if n in objects] == []


def test_refusal_names_the_question_and_the_shape_not_the_value(template: Path) -> None:
    text = SHAPES[5][1]
    with pytest.raises(WorkspaceError) as caught:
        api.create_workspace(Path(tempfile.gettempdir()) / "never", {
            "workspace_name": "leak-test", "task_description": text},
            api.CreateOptions(template=str(template)))
    problem = caught.value.problems[0]
    assert problem.question == "task_description"
    assert problem.reason.startswith("task_description contains what looks like an Anthropic "
                                     "API key (sk-ant-...).")


def test_every_printed_line_is_redacted(tmp_path: Path, template: Path) -> None:
    """A credential that reaches a message by another path (here: the destination folder's
    name) is printed as [redacted], in human and JSON output, by a real process."""
    key = SHAPES[7][1]
    (tmp_path / key).write_text("in the way", encoding="utf-8")
    cli = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "osmosis-workspace"
    cli = cli if cli.exists() else ROOT / ".venv" / "bin" / "osmosis-workspace"
    args = ["new", str(tmp_path / key), "--defaults", "--template", str(template)]
    result = subprocess.run([str(cli), *args, "--json"], capture_output=True, text=True,
                            timeout=120)
    human = CliRunner().invoke(typer_app, args)
    assert result.returncode == human.exit_code == 4
    for printed in (result.stdout + result.stderr, human.output):
        assert key not in printed and "[redacted]" in printed


def test_api_errors_are_redacted_at_the_source() -> None:
    """A backend that logs ``str(error)`` or ``to_dict()`` gets the same redaction as the CLI."""
    key = SHAPES[10][1]
    error = WorkspaceError("internal", f"unexpected ValueError: bad {key}", paths=(f"x/{key}",),
                           details={"why": key})
    assert key not in str(error) + json.dumps(error.to_dict())
    assert "[redacted]" in error.message
