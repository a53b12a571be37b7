"""`offline`: the embedded chat model. Deterministic, no network: a pure function of the messages it is given.

It behaves like a tool-calling LLM so the one agent loop can drive it: on a new question it answers with tool
calls planned from the text (offline_planner), and once the tool results are in it narrates them through the
templates in prompts/ (narration). A grounding correction gets the same narration again: it only ever quotes
tool results, so there is nothing to correct. It speaks the part of LangChain's chat-model interface the loop
uses (bind_tools, invoke, stream) without subclassing BaseChatModel, whose import (tracing, langsmith) alone
cost more than the rest of an offline answer; and its messages are the plain ones of backends.messages, not
LangChain's (the loop asks the model which to use: `messages_module`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from shopagent.backends.base import BackendStatus
from shopagent.backends.messages import AIMessage, AIMessageChunk
from shopagent.grounding import CORRECTION_FLAG
from shopagent.intent.commands import command_line
from shopagent.narration import capabilities, missing, narrate, template, unavailable
from shopagent.offline_planner import Plan, PlannedCall, plan
from shopagent.tool_payload import read_payload, unfence
from shopagent.tools.errors import ShopError

# where a streamed answer is cut: after a sentence's end (。！？!?；, ". " but not "1. ") or a line break, nothing lost
SENTENCE_END = re.compile(r"(?<=[。！？!?；\n])(?!\n)|(?<=[^\d\s][.;])(?= )")
STREAM_PAUSE = 0.015  # seconds between pieces, so the answer reads as it arrives rather than at once


class OfflineChatModel:
    """Plans tool calls from Chinese or English questions and narrates the results; same input, same output."""

    messages_module = "shopagent.backends.messages"  # the agent loop builds its messages from this module

    def __init__(self, tools: Sequence[dict[str, Any]] = ()) -> None:
        self.tools = tools

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any) -> OfflineChatModel:
        """Remember the tools' schemas: the model calls only tools it was given, with the arguments they take.
        The toolbox's lazy schemas stay lazy: only the tool a question calls is imported."""
        if hasattr(tools, "by_name"):
            return OfflineChatModel(tools)
        return OfflineChatModel([tool if isinstance(tool, dict) else _schema(tool) for tool in tools])

    def invoke(self, messages: list[Any], **kwargs: Any) -> AIMessage:
        return respond(messages, self.tools)

    def stream(self, messages: list[Any], **kwargs: Any) -> Iterator[AIMessageChunk]:
        """The reply a sentence at a time, as a streaming LLM's arrives (joined, the same text as `invoke`); tool
        calls come in one chunk."""
        reply = self.invoke(messages)
        content = reply.content if isinstance(reply.content, str) else _text(reply)
        pieces = [] if reply.tool_calls else [piece for piece in SENTENCE_END.split(content) if piece]
        if len(pieces) < 2:
            yield AIMessageChunk(content=reply.content, response_metadata=reply.response_metadata, tool_call_chunks=[
                {"name": call["name"], "args": json.dumps(call["args"], ensure_ascii=False), "id": call["id"],
                 "index": index} for index, call in enumerate(reply.tool_calls)])
            return
        for number, piece in enumerate(pieces):
            if number:
                time.sleep(STREAM_PAUSE)
            yield AIMessageChunk(content=piece, response_metadata=reply.response_metadata if not number else {})


def _schema(tool: Any) -> dict[str, Any]:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return convert_to_openai_tool(tool)


def respond(messages: list[Any], tools: Sequence[dict[str, Any]]) -> AIMessage:
    """The next assistant message: tool calls for a new question, a narration once results are in."""
    questions = [index for index, message in enumerate(messages)
                 if message.type == "human" and not message.additional_kwargs.get(CORRECTION_FLAG)]
    if not questions:
        return AIMessage(content=capabilities("en"))
    today = _data_last_day(messages)
    previous: Plan | None = None
    for index in questions[:-1]:
        previous = plan(_text(messages[index]), previous, today)
    current = plan(_text(messages[questions[-1]]), previous, today)
    language = current.language
    since = messages[questions[-1] + 1:]
    results = {message.tool_call_id: read_payload(_text(message)) for message in since
               if message.type == "tool"}
    calls = [(call["name"], call["args"], results.get(call["id"], {}))
             for message in since if message.type == "ai" for call in message.tool_calls]
    if not calls or (len(calls) < len(current.calls) and all(payload.get("ok") for _, _, payload in calls)):
        # one step at a time: a later step may take what an earlier one found (the SKU to write copy for)
        return _call_tools(current, tools, turn=len(questions), step=len(calls),
                           found=[payload for _, _, payload in calls])
    return AIMessage(content=narrate(language, calls))


def _call_tools(current: Plan, tools: Sequence[dict[str, Any]], *, turn: int, step: int = 0,
                found: list[dict[str, Any]] | None = None) -> AIMessage:
    language = current.language
    if current.intent in ("refused", "hostile", "fraud", "false_compliance"):
        return AIMessage(content=template("offline_messages", language)[current.intent])
    if current.intent == "unsure":
        return AIMessage(content=not_sure(language, current))
    if not current.calls:
        return AIMessage(content=capabilities(language))
    if current.missing:
        return AIMessage(content=missing(language, current.calls[0].tool, current.missing))
    tool_calls = []
    for number, call in enumerate(current.calls[step:step + 1], start=step + 1):
        call = _with_found_copy(_with_found_sku(call, found or []), found or [])
        parameters = _parameters(tools, call.tool)
        if parameters is None:
            return AIMessage(content=unavailable(language, call.tool, available=sorted(_names(tools))))
        # only what the tool takes: the planner's vocabulary may be wider than one tool's signature
        arguments = {key: value for key, value in call.arguments.items() if key in parameters.get("properties", {})}
        absent = [name for name in parameters.get("required", []) if arguments.get(name) in (None, "", [], {})]
        if absent:
            return AIMessage(content=missing(language, call.tool, absent))
        tool_calls.append({"name": call.tool, "args": arguments, "id": f"call_{turn}_{number}", "type": "tool_call"})
    return AIMessage(content="", tool_calls=tool_calls, response_metadata={"intent": current.intent})


def _parameters(tools: Sequence[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The JSON-schema parameters of the tool called `name`, None if the model was not given it."""
    if hasattr(tools, "by_name"):
        schema = tools.by_name(name)
        return None if schema is None else schema["function"].get("parameters", {})
    return next((tool["function"].get("parameters", {}) for tool in tools if tool["function"]["name"] == name), None)


def _names(tools: Sequence[dict[str, Any]]) -> list[str]:
    return tools.names() if hasattr(tools, "names") else [tool["function"]["name"] for tool in tools]


def not_sure(language: str, current: Plan) -> str:
    """The closest readings of a question the model could not place, as commands the merchant can run."""
    parts = template("offline_messages", language)
    lines = [parts["unsure"]]
    lines += [parts["unsure.option"].format(what=parts[f"unsure.{call.tool}"],
                                            command=command_line(call.tool, call.arguments))
              for call in current.alternatives]
    return "\n".join(lines)


def _with_found_sku(call: PlannedCall, found: list[dict[str, Any]]) -> PlannedCall:
    """A step that needs one SKU and names none takes the first SKU an earlier step's result names."""
    if call.tool != "creative_draft" or call.arguments.get("sku_id"):
        return call
    sku = next((value for payload in found for value in _sku_values(payload.get("result"))), None)
    return call if sku is None else call.model_copy(update={"arguments": {**call.arguments, "sku_id": sku}})


def _with_found_copy(call: PlannedCall, found: list[dict[str, Any]]) -> PlannedCall:
    """"写完顺便查下合不合规": a check naming no copy checks the drafts an earlier step wrote, one a line."""
    if call.tool != "creative_check" or call.arguments.get("text"):
        return call
    drafts = [unfence(str(draft.get("text", ""))) for payload in found
              for draft in (payload.get("result") or {}).get("drafts", []) if isinstance(draft, dict)]
    drafts = [draft for draft in drafts if draft.strip()]
    return call.model_copy(update={"arguments": {**call.arguments, "text": "\n".join(drafts)}}) if drafts else call


def _sku_values(value: Any):  # noqa: ANN202 - a generator of strings
    if isinstance(value, dict):
        if isinstance(value.get("sku_id"), str) and re.fullmatch(r"S\d+", value["sku_id"]):
            yield value["sku_id"]
        for inner in value.values():
            if isinstance(inner, dict | list):
                yield from _sku_values(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _sku_values(inner)


def _data_last_day(messages: list[Any]) -> date | None:
    """The data's last day, as the system prompt states it ("The shop's data runs from A to B")."""
    for message in messages:
        if message.type == "system":
            found = re.search(r"runs from \d{4}-\d{2}-\d{2} to (\d{4}-\d{2}-\d{2})", _text(message))
            if found:
                return date.fromisoformat(found.group(1))
    return None


def _text(message: Any) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


class OfflineBackend:
    """The default backend: embedded, deterministic, works without a network."""

    name = "offline"
    description = "embedded and deterministic, no network: plans tool calls from the question, narrates results"

    def status(self, model: str | None = None) -> BackendStatus:
        return BackendStatus(name=self.name, usable=True, detail="embedded; needs no network, key or model")

    def chat_model(self, model: str | None = None) -> OfflineChatModel:
        if model:
            raise ShopError(f"the offline backend has one built-in model; drop --model {model} "
                            "(or use --backend openai)")
        return OfflineChatModel()
