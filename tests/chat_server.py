"""A real HTTP server on 127.0.0.1 that speaks the chat-completions wire format, for the openai backend's tests.

Replies are scripted (or computed from the request by a function); every request is recorded with its
headers and JSON body, so tests assert the API key sent, the tool schemas and the tool results sent back.
Streamed requests get server-sent events: content in pieces, tool calls with their arguments split across
chunks, then a usage chunk and [DONE], as OpenAI, vLLM and Ollama send them.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: a message (content and/or tool calls) or an HTTP error."""

    content: str | None = None
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: str = "scripted error"
    delay: float = 0.0
    usage: tuple[int, int] = (11, 7)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class ChatServer:
    """Start with `start()`; `url` is the OpenAI-style base URL (ending in /v1)."""

    def __init__(self, models: tuple[str, ...] = ("shop-model",), api_key: str | None = None) -> None:
        self.models = list(models)
        self.api_key = api_key
        self.replies: deque[Reply | Callable[[dict[str, Any]], Reply]] = deque()
        self.requests: list[Recorded] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reply(self, reply: Reply | Callable[[dict[str, Any]], Reply]) -> None:
        self.replies.append(reply)

    def chat_requests(self) -> list[Recorded]:
        return [request for request in self.requests if request.path.endswith("/chat/completions")]


def _handler(server: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass  # keep pytest output clean

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._record({})
            if not self._authorised():
                return
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": name, "object": "model", "created": 0,
                                                              "owned_by": "test"} for name in server.models]})
            else:
                self._error(404, "not found")

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            self._record(body)
            if not self._authorised():
                return
            if not self.path.endswith("/chat/completions"):
                self._error(404, "not found")
                return
            if body.get("model") not in server.models:
                self._error(404, f"model '{body.get('model')}' not found", code="model_not_found")
                return
            if not server.replies:
                self._error(500, "the test script has no reply left")
                return
            scripted = server.replies.popleft()
            reply = scripted(body) if callable(scripted) else scripted
            if reply.delay:
                time.sleep(reply.delay)
            if reply.status != 200:
                self._error(reply.status, reply.error, headers=reply.headers)
            elif body.get("stream"):
                self._stream(body, reply)
            else:
                self._json(200, _completion(body["model"], reply))

        def _record(self, body: dict[str, Any]) -> None:
            headers = {key.lower(): value for key, value in self.headers.items()}
            server.requests.append(Recorded(self.command, self.path, headers, body))

        def _authorised(self) -> bool:
            if server.api_key and self.headers.get("authorization") != f"Bearer {server.api_key}":
                self._error(401, "Incorrect API key provided", code="invalid_api_key")
                return False
            return True

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, *, code: str | None = None,
                   headers: dict[str, str] | None = None) -> None:
            self._json(status, {"error": {"message": message, "type": "invalid_request_error", "code": code}},
                       headers)

        def _stream(self, body: dict[str, Any], reply: Reply) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for chunk in _chunks(body, reply):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")

    return Handler


def _completion(model: str, reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [{"id": f"call_{index}", "type": "function",
                                  "function": {"name": name, "arguments": json.dumps(arguments)}}
                                 for index, (name, arguments) in enumerate(reply.tool_calls)]
    prompt, completion = reply.usage
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if reply.tool_calls else "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}}


def _chunks(body: dict[str, Any], reply: Reply) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    text = reply.content or ""
    step = max(1, len(text) // 3)
    chunks += [chunk({"content": text[start:start + step]}) for start in range(0, len(text), step)]
    for index, (name, arguments) in enumerate(reply.tool_calls):
        encoded = json.dumps(arguments)
        half = len(encoded) // 2
        chunks.append(chunk({"tool_calls": [{"index": index, "id": f"call_{index}", "type": "function",
                                             "function": {"name": name, "arguments": ""}}]}))
        chunks += [chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
                   for part in (encoded[:half], encoded[half:])]
    chunks.append(chunk({}, "tool_calls" if reply.tool_calls else "stop"))
    if body.get("stream_options", {}).get("include_usage"):
        prompt, completion = reply.usage
        chunks.append({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                       "choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                                                "total_tokens": prompt + completion}})
    return chunks
