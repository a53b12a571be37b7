"""Chat messages for the offline model: the part of LangChain's message interface the agent loop uses.

Importing langchain_core.messages costs about 0.35 s (pydantic v1 shims, serialisation maps, urllib3 via
langsmith), a quarter of an offline answer. The offline model needs none of it, so it speaks these plain
classes instead; the OpenAI backend keeps LangChain's. Each message has the same `type` ("system", "human",
"ai", "tool") as LangChain's, so code reading messages may ask `message.type` and work with both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass
class _Message:
    content: Any = ""
    additional_kwargs: dict[str, Any] = field(default_factory=dict)
    response_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class SystemMessage(_Message):
    type: str = field(default="system", init=False)


@dataclass
class HumanMessage(_Message):
    type: str = field(default="human", init=False)


@dataclass
class AIMessage(_Message):
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    invalid_tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage_metadata: dict[str, int] | None = None
    type: str = field(default="ai", init=False)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> AIMessage:
        """A copy with some fields replaced (as pydantic's, which LangChain's messages are)."""
        return replace(self, **(update or {}))


@dataclass
class ToolMessage(_Message):
    tool_call_id: str = ""
    name: str | None = None
    type: str = field(default="tool", init=False)


@dataclass
class AIMessageChunk(AIMessage):
    tool_call_chunks: list[dict[str, Any]] = field(default_factory=list)

    def __add__(self, other: AIMessageChunk) -> AIMessageChunk:
        return AIMessageChunk(content=str(self.content) + str(other.content),
                              response_metadata={**self.response_metadata, **other.response_metadata},
                              tool_call_chunks=[*self.tool_call_chunks, *other.tool_call_chunks])


def message_chunk_to_message(chunk: AIMessageChunk) -> AIMessage:
    """The streamed chunks, gathered, as one message; tool-call chunks carry their arguments as JSON text."""
    calls = [{"name": part["name"], "args": json.loads(part.get("args") or "{}"), "id": part.get("id"),
              "type": "tool_call"} for part in chunk.tool_call_chunks]
    return AIMessage(content=chunk.content, response_metadata=chunk.response_metadata, tool_calls=calls,
                     usage_metadata=chunk.usage_metadata)
