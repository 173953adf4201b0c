"""The scripted model every rollout ships (rollouts/<name>/tests/scripted_model.py), on its own.

Loaded from a render and spoken to over real HTTP on 127.0.0.1: plain and streamed completions,
tool calls, malformed replies, stalls, the request budget and the time limit.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="module")
def scripted(default_workspace: Path) -> ModuleType:
    path = default_workspace / "rollouts" / "demo-task" / "tests" / "scripted_model.py"
    spec = importlib.util.spec_from_file_location("rendered_scripted_model", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def post(base_url: str, body: dict[str, Any], timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(
        base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def test_replays_turns_by_conversation_position(scripted: ModuleType) -> None:
    script = scripted.replay(
        scripted.CallTool("calculator", {"expression": "6 * 7"}), scripted.Reply("#### 42")
    )
    with scripted.ScriptedModel(script) as model:
        assert model.base_url.startswith("http://127.0.0.1:")
        status, body = post(model.base_url, {"messages": [user("q")]})
        first = json.loads(body)["choices"][0]
        call = first["message"]["tool_calls"][0]
        assert status == 200 and first["finish_reason"] == "tool_calls"
        assert call["function"] == {"name": "calculator", "arguments": '{"expression": "6 * 7"}'}
        answered = [
            user("q"),
            first["message"],
            {"role": "tool", "tool_call_id": call["id"], "content": "42"},
        ]
        _, body = post(model.base_url, {"messages": answered})
        assert json.loads(body)["choices"][0]["message"]["content"] == "#### 42"
        assert model.conversations()[1][-1]["role"] == "tool"


def test_streams_server_sent_events_when_asked(scripted: ModuleType) -> None:
    with scripted.ScriptedModel(scripted.replay(scripted.Reply("hello"))) as model:
        status, body = post(model.base_url, {"messages": [user("q")], "stream": True})
    events = [line.removeprefix("data: ") for line in body.decode().split("\n\n") if line]
    assert status == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["content"] == "hello"
    assert chunks[1]["choices"][0]["finish_reason"] == "stop"


def test_malformed_stall_and_budget(scripted: ModuleType) -> None:
    turns = iter([scripted.Malformed(), scripted.Stall(0.5, scripted.Reply("late"))])
    with scripted.ScriptedModel(lambda messages, tools: next(turns), max_requests=2) as model:
        status, body = post(model.base_url, {"messages": [user("q")]})
        assert status == 200 and body == b"this is not JSON"
        started = time.monotonic()
        _, body = post(model.base_url, {"messages": [user("q")]})
        assert time.monotonic() - started >= 0.5
        assert json.loads(body)["choices"][0]["message"]["content"] == "late"
        status, body = post(model.base_url, {"messages": [user("q")]})
        assert status == 400 and b"budget" in body


def test_stops_by_itself_after_max_seconds(scripted: ModuleType) -> None:
    model = scripted.ScriptedModel(scripted.replay(scripted.Reply("x")), max_seconds=0.3)
    with model:
        url = model.base_url
        time.sleep(1.0)
        with pytest.raises(OSError):
            post(url, {"messages": [user("q")]}, timeout=2)
