"""A conversation with the shop: one backend and model, the tools, the history, and the run log."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from shopagent.agent_loop import MAX_STEPS, TurnEvents, TurnResult, run_turn
from shopagent.agent_tools import ToolContext, build_toolbox
from shopagent.backends.base import get_backend
from shopagent.planner_slots import cjk
from shopagent.prompts import load_prompt
from shopagent.run_log import LogEntry, append_entry, new_id
from shopagent.tools.sql import run_readonly_sql
from shopagent.tools.store import Shop

HISTORY_TURNS = 6  # older turns are dropped whole, so a tool call is never separated from its result


class AgentSession:
    """Ask questions in turn; each answer is grounded, remembered for follow-ups and logged."""

    def __init__(self, shop: Shop, *, backend: str, model: str | None = None, max_steps: int = MAX_STEPS,
                 log: bool = True) -> None:
        self.shop = shop
        self.backend = backend
        self.chat_model = get_backend(backend).chat_model(model)
        self.model: str | None = getattr(self.chat_model, "model", None)
        self.toolbox = build_toolbox()
        self.max_steps = max_steps
        self.log = log
        self.turns: list[list[Any]] = []
        self._system: str | None = None
        self.last_log_id: str | None = None

    def ask(self, question: str, *, stream: bool = False, events: TurnEvents | None = None) -> TurnResult:
        """One turn: answer, remember, log."""
        started = time.perf_counter()
        context = ToolContext(shop=self.shop, lang="zh" if cjk(question) else "en")
        history = [message for turn in self.turns for message in turn]
        with self.shop.reading():  # the turn's queries share one connection, closed before the next turn
            result = run_turn(self.chat_model, self.toolbox, context, question, system=self.system(),
                              history=history, max_steps=self.max_steps, stream=stream, events=events)
            self.turns = [*self.turns, result.history][-HISTORY_TURNS:]
            self.last_log_id = self._log(result, time.perf_counter() - started) if self.log else None
        return result

    def reset(self) -> None:
        """Forget the conversation (the log keeps it)."""
        self.turns = []

    def system(self) -> str:
        if self._system is None:
            span = run_readonly_sql(self.shop, "SELECT min(date) AS first, max(date) AS last FROM traffic",
                                    max_rows=1).rows[0]
            self._system = load_prompt("system_agent.md").format(first_date=span["first"], last_date=span["last"])
        return self._system

    def _log(self, result: TurnResult, seconds: float) -> str:
        now = datetime.now().astimezone()
        entry = LogEntry(
            id=new_id(result.question, now), time=now.isoformat(timespec="seconds"), question=result.question,
            backend=self.backend, model=self.model,
            tool_calls=[record.model_dump() for record in result.tool_calls], usage=result.usage.model_dump(),
            data_fingerprint=self.shop.fingerprint(), database=str(self.shop.path), answer=result.answer,
            unsupported_numbers=result.unsupported_numbers, corrected=result.corrected, seconds=round(seconds, 3))
        append_entry(entry)
        return entry.id
