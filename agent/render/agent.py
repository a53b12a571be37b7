"""Output of the agent commands: answers (marked where ungrounded), the live chat line, backends, the run log."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from shopagent.agent_loop import ToolCallRecord, TurnEvents, TurnResult
from shopagent.backends.base import BackendStatus
from shopagent.grounding import mark_unsupported
from shopagent.render.common import escape, print_json_data, printable, stderr, stdout
from shopagent.render.progress import Elapsed
from shopagent.run_log import LogEntry


def answer_document(result: TurnResult, *, backend: str, model: str | None, log_id: str | None) -> dict[str, Any]:
    """The `ask --json` document (INTERFACE.md), plus usage and steps.

    Same question, same data, same offline answer, byte for byte: wall-clock facts (how long each tool took,
    the run log's time-based id) stay in the run log, and the id is said on stderr.
    """
    return {"answer": result.answer, "backend": backend, "model": model,
            "tool_calls": [record.model_dump(exclude={"seconds"}) for record in result.tool_calls],
            "unsupported_numbers": result.unsupported_numbers, "corrected": result.corrected,
            "usage": result.usage.model_dump(), "steps": result.steps}


def print_answer(result: TurnResult, *, backend: str, model: str | None, log_id: str | None, json_output: bool,
                 console: Console = stdout) -> None:
    if json_output:
        print_json_data(answer_document(result, backend=backend, model=model, log_id=log_id))
        if log_id:
            stderr.print(f"logged as {log_id} (shopagent logs)", highlight=False)
        return
    console.print(Markdown(printable(mark_unsupported(result.answer, result.unsupported_spans))))
    if result.unsupported_numbers:
        console.print(Text("⚠ 未经工具核实的数字 / numbers no tool result supports: "
                           + ", ".join(result.unsupported_numbers), style="bold yellow"))
    console.print(Text(footer(result, backend=backend, model=model), style="dim"))


def footer(result: TurnResult, *, backend: str, model: str | None) -> str:
    """Tools called, tokens used, model calls: shown after every answer."""
    tools = ", ".join(_call_label(record) for record in result.tool_calls) or "no tools"
    usage = result.usage
    tokens = (f"tokens {usage.input_tokens:,} in / {usage.output_tokens:,} out" if usage.total_tokens
              else "tokens: none (offline)" if backend == "offline" else "tokens: not reported")
    who = backend + (f" · {model}" if model else "")
    corrected = " · numbers corrected once" if result.corrected else ""
    return f"{who} · {tools} · {tokens} · {usage.model_calls} model call(s){corrected}"


def _call_label(record: ToolCallRecord) -> str:
    arguments = ", ".join(f"{key}={value}" for key, value in record.arguments.items())
    label = f"{record.name}({arguments})"
    return label if record.ok else f"{label} ✗"


class LiveAnswer(TurnEvents):
    """The chat's live view: a line naming the running tool, and the answer as it streams, as markdown."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.status: Text | Elapsed = Text("…", style="dim")
        self.text = ""
        self.live = Live(self._view(), console=console, transient=True, refresh_per_second=12)

    def __enter__(self) -> LiveAnswer:
        self.live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.live.stop()

    def tool_started(self, name: str, arguments: dict[str, Any]) -> None:
        # the time so far ticks at every refresh: a 7-second tool is visibly working, not stuck
        self.status = Elapsed(f"⚙ {_call_label(ToolCallRecord(name=name, arguments=arguments))} …")
        self._refresh()

    def tool_finished(self, record: ToolCallRecord) -> None:
        mark = "✓" if record.ok else "✗"
        self.status = Text(f"{mark} {_call_label(record)} {record.seconds:.2f}s", style="dim")
        self._refresh()

    def token(self, text: str) -> None:
        self.text += text
        self._refresh()

    def correcting(self, unsupported: list[str]) -> None:
        self.status = Text("checking numbers: asking for a correction of " + ", ".join(unsupported), style="yellow")
        self.text = ""
        self._refresh()

    def _view(self) -> Group:
        return Group(self.status, Markdown(printable(self.text))) if self.text else Group(self.status)

    def _refresh(self) -> None:
        self.live.update(self._view())


def print_backends(statuses: list[BackendStatus], *, json_output: bool) -> None:
    if json_output:
        print_json_data([status.model_dump() for status in statuses])
        return
    table = Table("backend", "usable", "model", "endpoint", "detail", box=None)
    for status in statuses:
        table.add_row(status.name, "[green]yes[/]" if status.usable else "[red]no[/]", escape(status.model or "—"),
                      escape(status.base_url or "embedded"), escape(status.detail))
    stdout.print(table)
    listed = [status for status in statuses if status.models]
    for status in listed:
        stdout.print(f"[dim]{status.name} serves: {escape(', '.join(status.models[:20]))}[/]")


def print_logs(entries: list[LogEntry], *, json_output: bool) -> None:
    if json_output:
        print_json_data([entry.model_dump() for entry in entries])
        return
    if not entries:
        stdout.print("No agent turns logged yet; ask something with `shopagent ask \"...\"`.")
        return
    for entry in entries:
        calls = ", ".join(_call_label(ToolCallRecord.model_validate(call)) for call in entry.tool_calls) or "no tools"
        flagged = f" · [yellow]⚠ {len(entry.unsupported_numbers)} unsupported[/]" if entry.unsupported_numbers else ""
        stdout.print(f"[bold]{entry.id}[/] · {entry.time[:16].replace('T', ' ')} · "
                     f"{escape(entry.backend + (' · ' + entry.model if entry.model else ''))} · "
                     f"{entry.usage.get('total_tokens', 0):,} tokens · data {entry.data_fingerprint[:8]}{flagged}")
        stdout.print(f"  {escape(entry.question)}", highlight=False)
        stdout.print(f"  [dim]→ {escape(calls)}[/]", highlight=False)
