"""The one agent loop: model -> tool calls -> tool results -> ... -> answer, then the grounding guard.

Both backends speak LangChain's chat-model interface, so this loop cannot tell them apart (the offline model
brings its own light message classes, named by its `messages_module`, to spare the LangChain import): it
binds the tool schemas, runs whatever tools the model calls (read-only, arguments checked against the
signatures), feeds the compact results back, and stops at the model's answer or the step limit. The
answer's numbers are then checked against this turn's tool results; if some are unsupported the model gets
one correction round.
"""

from __future__ import annotations

import importlib
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from shopagent.agent_tools import Toolbox, ToolContext
from shopagent.grounding import CORRECTION_FLAG, Evidence, check_answer
from shopagent.prompts import load_prompt
from shopagent.tool_payload import error_payload, tool_payload
from shopagent.tools.errors import ShopError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

MAX_STEPS = 6
STEP_LIMIT_NOTE = "You have used every tool step of this turn. Answer now from the tool results you have."


class ToolCallRecord(BaseModel):
    """One tool call of a turn, as logged and as `ask --json` reports it."""

    name: str
    arguments: dict[str, Any]
    ok: bool = True
    error: str | None = None
    seconds: float = 0.0


class Usage(BaseModel):
    """Tokens the model reported over a turn (zeros for the offline model, which has none to bill)."""

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    model_calls: int = 0

    def add(self, message: AIMessage) -> None:
        """Count one model call and its tokens."""
        self.model_calls += 1
        metadata = message.usage_metadata or {}
        self.input_tokens += metadata.get("input_tokens", 0)
        self.output_tokens += metadata.get("output_tokens", 0)
        self.total_tokens += metadata.get("total_tokens", 0)


class TurnEvents:
    """What a live display hears about; every method is optional to override."""

    def tool_started(self, name: str, arguments: dict[str, Any]) -> None: ...

    def tool_finished(self, record: ToolCallRecord) -> None: ...

    def token(self, text: str) -> None: ...

    def correcting(self, unsupported: list[str]) -> None: ...


class TurnResult(BaseModel):
    """One question answered: the answer, what was called, and what the grounding guard found."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    question: str
    answer: str
    tool_calls: list[ToolCallRecord]
    unsupported_numbers: list[str]
    unsupported_spans: list[tuple[int, int]]
    corrected: bool
    usage: Usage
    steps: int
    hit_step_limit: bool
    history: list[Any] = Field(exclude=True)  # LangChain messages: question, tool exchange, answer; for the next turn


def run_turn(model: BaseChatModel, toolbox: Toolbox, context: ToolContext, question: str, *,
             system: str, history: list[BaseMessage] | None = None, max_steps: int = MAX_STEPS,
             stream: bool = False, events: TurnEvents | None = None) -> TurnResult:
    """Answer one question with the model and the tools, then ground the answer."""
    kinds = _message_kinds(model)
    AIMessage, HumanMessage, SystemMessage = kinds.AIMessage, kinds.HumanMessage, kinds.SystemMessage  # noqa: N806

    turn = _Turn(model.bind_tools(toolbox.schemas()), model, toolbox, context, stream, events or TurnEvents())
    messages: list[BaseMessage] = [SystemMessage(system), *(history or []), HumanMessage(question)]
    first = len(messages) - 1
    answer = turn.converse(messages, max_steps)
    exchange = messages[first:]
    grounding = check_answer(answer, turn.evidence)
    corrected = False
    if grounding.unsupported:
        turn.events.correcting(grounding.unsupported)
        request = load_prompt("correction_numbers.md").format(numbers=", ".join(grounding.unsupported))
        messages += [AIMessage(answer), HumanMessage(request, additional_kwargs={CORRECTION_FLAG: True})]
        revised = turn.converse(messages, max(2, max_steps - turn.steps))
        if revised.strip():
            answer, corrected = revised, True
            grounding = check_answer(answer, turn.evidence)
    return TurnResult(question=question, answer=answer, tool_calls=turn.records,
                      unsupported_numbers=grounding.unsupported, unsupported_spans=grounding.spans,
                      corrected=corrected, usage=turn.usage, steps=turn.steps, hit_step_limit=turn.hit_limit,
                      history=[*exchange, AIMessage(answer)])


class _Turn:
    """The state of one turn: tool records, evidence for the guard, token usage, steps taken."""

    def __init__(self, bound: Any, model: BaseChatModel, toolbox: Toolbox, context: ToolContext, stream: bool,
                 events: TurnEvents) -> None:
        self.bound, self.model, self.toolbox, self.context = bound, model, toolbox, context
        self.stream, self.events = stream, events
        self.records: list[ToolCallRecord] = []
        self.evidence = Evidence()
        self.usage = Usage()
        self.steps = 0
        self.hit_limit = False

    def converse(self, messages: list[BaseMessage], max_steps: int) -> str:
        """Call the model until it answers without tools (or the steps run out); appends to `messages`."""
        HumanMessage = _message_kinds(self.model).HumanMessage  # noqa: N806

        for _ in range(max_steps):
            reply, invalid = _with_ids(self._ask(self.bound, messages), self.steps)
            self.steps += 1
            if not reply.tool_calls:
                return _text(reply)
            messages.append(reply)
            messages.extend(self._run_tools(reply, invalid))
        self.hit_limit = True
        messages.append(HumanMessage(STEP_LIMIT_NOTE, additional_kwargs={CORRECTION_FLAG: True}))
        return _text(self._ask(self.model, messages))

    def _ask(self, runnable: Any, messages: list[BaseMessage]) -> AIMessage:
        kinds = _message_kinds(self.model)

        if not self.stream:
            reply = runnable.invoke(messages)
        else:
            gathered = None
            for chunk in runnable.stream(messages):
                gathered = chunk if gathered is None else gathered + chunk
                if chunk.content:
                    self.events.token(_text(chunk))
            reply = kinds.message_chunk_to_message(gathered) if gathered is not None else kinds.AIMessage("")
        self.usage.add(reply)
        return reply

    def _run_tools(self, reply: AIMessage, invalid: dict[str, str]) -> list[ToolMessage]:
        ToolMessage = _message_kinds(self.model).ToolMessage  # noqa: N806

        results = []
        for call in reply.tool_calls:
            name, arguments = call["name"], call["args"]
            self.events.tool_started(name, arguments)
            started = time.perf_counter()
            record = ToolCallRecord(name=name, arguments=arguments)
            if call["id"] in invalid:
                content = error_payload(name, f"the arguments were not valid JSON: {invalid[call['id']]}")
                record.ok, record.error = False, "invalid JSON arguments"
            else:
                try:
                    result = self.toolbox.get(name).run(self.context, arguments)
                    content = tool_payload(name, result)
                except ShopError as error:
                    content = error_payload(name, str(error))
                    record.ok, record.error = False, str(error)
                # a refusal's message is ours too: the answer may repeat the dates and limits it names
                self.evidence.add_payload(content)
                self.evidence.add_arguments(arguments)
            record.seconds = round(time.perf_counter() - started, 3)
            self.records.append(record)
            self.events.tool_finished(record)
            results.append(ToolMessage(content=content, tool_call_id=call["id"], name=name))
        return results


def _message_kinds(model: Any) -> ModuleType:
    """The module whose message classes `model` reads: its own light ones, or LangChain's."""
    return importlib.import_module(getattr(model, "messages_module", None) or "langchain_core.messages")


def _with_ids(reply: AIMessage, step: int) -> tuple[AIMessage, dict[str, str]]:
    """Every tool call with an id (some local servers send none); unparseable calls are kept as calls with no
    arguments, so the model hears why they failed, and returned by id with the reason."""
    if not reply.tool_calls and not reply.invalid_tool_calls:
        return reply, {}
    calls = [{"name": call["name"], "args": call["args"], "id": call.get("id") or f"call_{step}_{number}",
              "type": "tool_call"} for number, call in enumerate(reply.tool_calls, start=1)]
    invalid = {}
    for number, bad in enumerate(reply.invalid_tool_calls, start=1):
        call_id = bad.get("id") or f"invalid_{step}_{number}"
        calls.append({"name": bad.get("name") or "unknown", "args": {}, "id": call_id, "type": "tool_call"})
        invalid[call_id] = str(bad.get("error") or bad.get("args") or "unparseable")
    return reply.model_copy(update={"tool_calls": calls, "invalid_tool_calls": []}), invalid


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)

