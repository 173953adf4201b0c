"""Contract of the speed levers: each one patches only the exact code it was verified against.

The digests in ``levers.PINNED`` are the sha256 of the source of the Copier and Jinja code each
lever replaces or relies on. ``test_every_lever_digest_is_pinned`` fails as soon as an upgrade of
Copier or Jinja changes that code: then re-verify the lever (``bench/verify_levers.py``,
``tests/integration/test_perf_levers.py``) and add the new digest, or let the lever stay off.
The other tests show that a lever whose code differs refuses to install, says why, and that
``--version --verbose`` reports it. Lever code runs in subprocesses so that patches never leak
into this process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from osmosis_workspace.engine.copier_adapter import levers, render_plan

#: What each lever was verified against, written out here so that a change to PINNED is a
#: visible change to this test too.
EXPECTED = {
    "compile_cache": "e45929706db763d1256e34de562182e042bce86b74536d6ae889977b0e38eb23",
    "filemode": "88af4d75b2793322ac5a233bf0b0f6a5f0076865a4beba4dcb593020b8a93fd9",
    "copier_yaml": "dd7da18ee4d6795cdbe0a4372cb905b00e2c8fa6756b92e7192fdc3f49d37852",
    "answers_relpath": "bc7cd583fab7327b90c5f071a6ee3bd4824964f85d27182618c43311815d096d",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != levers.ENV} | env
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environ
    )


@pytest.mark.parametrize("lever", levers.LEVERS)
def test_every_lever_digest_is_pinned(lever: str) -> None:
    assert EXPECTED[lever] in levers.PINNED[lever]
    assert levers.current_digest(lever) == EXPECTED[lever], (
        f"the code behind lever {lever} changed: re-verify it before pinning the new digest"
    )


def test_a_lever_whose_code_differs_refuses_to_install_and_says_why() -> None:
    code = r"""
import logging, sys
from osmosis_workspace.engine.copier_adapter import levers, render_plan
logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(message)s")
levers.PINNED["filemode"] = frozenset({"0" * 64})     # as if Copier had changed the method
from copier import _main
original = _main.Worker._sync_git_index_executable_bit
active = levers.enable()
assert active["compile_cache"] and not active["filemode"], active
assert _main.Worker._sync_git_index_executable_bit is original   # not patched
reason = levers.status()["refused"]["filemode"]
assert "Worker._sync_git_index_executable_bit" in reason and "verified" in reason, reason
print("REPORT", [r for r in levers.report() if r[0] == "filemode"])
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    assert (
        "speed lever filemode stays off: the installed code of "
        "Worker._sync_git_index_executable_bit is not the verified code" in proc.stdout
    )
    assert "REPORT [('filemode', False," in proc.stdout


def test_version_verbose_says_which_levers_are_on_and_why() -> None:
    code = f"""
import os, sys
from osmosis_workspace.cli import app
try:
    app(["--version", "--verbose"])
except SystemExit:
    pass
print("---")
os.environ["{levers.ENV}"] = "0"
app(["-v", "--version"])
"""
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    on, off = proc.stdout.split("---\n")
    lines = on.splitlines()
    assert lines[0].startswith("osmosis-workspace ") and lines[1].startswith("copier ")
    for lever in levers.LEVERS:
        assert any(line.startswith(f"  {lever}: on (") for line in lines), on
    assert f"  filemode: off (turned off by {levers.ENV}=0)" in off.splitlines()
    assert "update preflight: hook (Copier's render code matches the verified digest)" in lines


def test_env_var_turns_levers_on_for_api_callers_too(tmp_path: Path) -> None:
    template = tmp_path / "tpl"
    (template / "t").mkdir(parents=True)
    (template / "copier.yml").write_text("_subdirectory: t\nname: x\n")
    (template / "t" / "{{ name }}.txt.jinja").write_text("{{ name }}\n")
    code = f"""
from pathlib import Path
from osmosis_workspace.engine.copier_adapter import CopyOptions, copy, levers
assert not levers.status()["compile_cache"]
copy(CopyOptions(src={str(template)!r}, dst=Path({str(tmp_path / "out")!r})))
status = levers.status()
assert all(status[lever] for lever in levers.LEVERS), status
"""
    proc = run_python(code, **{levers.ENV: "1"})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "x.txt").read_text() == "x\n"


#: What the update's render-plan hook (copier_adapter/render_plan.py) was verified against.
RENDER_PLAN_DIGEST = "0db3b5c14847d829e0740d21c9bcb33ac06018b8db9bec34d34ed17324a8f2ac"


def test_render_plan_hook_digest_is_pinned() -> None:
    assert RENDER_PLAN_DIGEST in render_plan.PINNED
    assert render_plan.current_digest() == RENDER_PLAN_DIGEST, (
        "Copier's render code the update preflight hooks changed: re-verify the hook "
        "(tests/integration/test_update_safety.py) before pinning the new digest"
    )
    assert render_plan.mode()[0] == "hook"


def test_render_plan_falls_back_to_copiers_public_api_when_the_digest_differs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from copier import _main

    monkeypatch.setattr(render_plan, "PINNED", frozenset({"0" * 64}))  # another Copier 9.x
    how, why = render_plan.mode()
    assert how == "public" and "not the verified code" in why
    original = _main.Worker._render_template
    seen: list[render_plan.Plan] = []
    inputs = render_plan.PlanInputs("unused", "v1", "v2", ".copier-answers.yml", {}, {})
    monkeypatch.setattr(
        render_plan, "public_plan", lambda root, inputs: render_plan.Plan((), (), ())
    )
    with render_plan.checked(Path("."), inputs, seen.append) as used:
        assert used == "public" and _main.Worker._render_template is original  # never hooked
        assert seen == [render_plan.Plan((), (), ())]  # checked before Copier's update runs
