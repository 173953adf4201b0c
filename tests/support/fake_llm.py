"""A fake OpenAI-compatible chat-completions server for local evaluation tests.

It binds 127.0.0.1 on an ephemeral port, answers through a test-supplied function, and stops by
itself after ``max_requests`` requests or ``max_seconds`` seconds, whichever comes first; tests
also stop it explicitly (it is a context manager). It speaks the non-streaming
``chat.completion`` shape that LiteLLM and the OpenAI SDK expect, including tool calls: a
responder returns either a string (the assistant's text) or a :class:`ToolCall`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: How often a test server's loop checks whether it was stopped. ``stop()`` waits for it, and
#: ``serve_forever``'s default (half a second) would be added to every test that stops one.
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class ToolCall:
    """Ask the agent to call ``name`` with ``arguments`` (a JSON-serialisable dict)."""

    name: str
    arguments: dict[str, Any]


Responder = Callable[[list[dict[str, Any]], list[dict[str, Any]]], "str | ToolCall"]


@dataclass
class FakeLLM:
    """Serve ``responder(messages, tools)`` as a chat-completions endpoint on 127.0.0.1."""

    responder: Responder
    max_requests: int = 500
    max_seconds: float = 600.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _timer: threading.Timer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    _base_url: str = ""

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``, the value for ``OPENAI_API_BASE``."""
        return self._base_url

    def __enter__(self) -> FakeLLM:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self._base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )
        self._thread.start()
        self._timer = threading.Timer(self.max_seconds, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        server, self._server = self._server, None
        if server is not None:
            threading.Thread(target=server.shutdown, daemon=True).start()
            if self._thread is not None and self._thread is not threading.current_thread():
                self._thread.join(timeout=10)
            server.server_close()

    def completion_requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self.requests if "messages" in r]

    def _record(self, body: dict[str, Any]) -> bool:
        with self._lock:
            self.requests.append(body)
            return len(self.requests) <= self.max_requests

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if not fake._record({"path": self.path}):
                    self._send(503, {"error": {"message": "request budget exhausted"}})
                    return
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": "fake-model", "object": "model", "owned_by": "tests"}],
                    },
                )

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self._send(400, {"error": {"message": "invalid JSON"}})
                    return
                if not fake._record(body):
                    self._send(503, {"error": {"message": "request budget exhausted"}})
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                answer = fake.responder(body.get("messages") or [], body.get("tools") or [])
                self._send(200, completion(answer, str(body.get("model") or "fake-model")))

        return Handler


def completion(answer: str | ToolCall, model: str) -> dict[str, Any]:
    """A ``chat.completion`` object carrying ``answer`` as text or as one tool call."""
    if isinstance(answer, ToolCall):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{abs(hash((answer.name, time.time_ns()))) % 10**10}",
                    "type": "function",
                    "function": {"name": answer.name, "arguments": json.dumps(answer.arguments)},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message, finish = {"role": "assistant", "content": answer}, "stop"
    return {
        "id": f"chatcmpl-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def last_user_text(messages: list[dict[str, Any]]) -> str:
    """Text of the last user message (content may be a string or a list of parts)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""
