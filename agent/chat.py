"""`shopagent chat`: the terminal conversation loop (slash commands, line editing, Ctrl-C handling)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from shopagent.agent_loop import TurnResult
from shopagent.render.agent import LiveAnswer, print_answer
from shopagent.render.common import print_error
from shopagent.session import AgentSession
from shopagent.tools.errors import ShopError

HELP = """\
/help         this list
/reset        forget the conversation so far (the run log keeps it)
/save FILE    write the conversation to FILE as markdown
/exit         leave (Ctrl-D works too)
Ctrl-C cancels the answer being written, not the chat. ↑/↓ recall earlier questions."""
HISTORY_FILE = "chat_history"


def run_chat(session: AgentSession, *, console: Console, read: Callable[[str], str] = input) -> None:
    """Read questions until /exit or end of input; answer each with streaming and a live tool line."""
    history_path = _line_editing()
    model = f" · {session.model}" if session.model else ""
    console.print(f"[bold]shopagent chat[/] · {session.backend}{escape(model)} · {escape(str(session.shop.path))}\n"
                  "Ask about your shop (为什么这周 GMV 掉了?). /help for commands.")
    transcript: list[TurnResult] = []
    while True:
        try:
            line = read("› ").strip()
        except EOFError:
            console.print()
            break
        except KeyboardInterrupt:
            console.print()
            continue
        if not line:
            continue
        if line.startswith("/"):
            if not _command(line, session, transcript, console):
                break
            continue
        try:
            with LiveAnswer(console) as live:
                result = session.ask(line, stream=True, events=live)
        except KeyboardInterrupt:
            console.print("[dim](answer cancelled; ask again or go on)[/]")
            continue
        except ShopError as error:
            print_error(error)
            continue
        transcript.append(result)
        print_answer(result, backend=session.backend, model=session.model, log_id=None, json_output=False,
                     console=console)
    _save_line_history(history_path)


def _command(line: str, session: AgentSession, transcript: list[TurnResult], console: Console) -> bool:
    """Run a slash command; False means leave."""
    name, _, argument = line.partition(" ")
    if name in ("/exit", "/quit"):
        return False
    if name == "/help":
        console.print(escape(HELP))
    elif name == "/reset":
        session.reset()
        transcript.clear()
        console.print("[dim]Conversation cleared.[/]")
    elif name == "/save":
        if not argument.strip():
            console.print("[red]/save needs a file name, e.g. /save chat.md[/]")
        else:
            path = Path(argument.strip()).expanduser()
            path.write_text(transcript_markdown(session, transcript), encoding="utf-8")
            console.print(f"[dim]Saved {len(transcript)} answer(s) to {escape(str(path))}[/]")
    else:
        console.print(f"[red]Unknown command {escape(name)}[/]; /help lists them.")
    return True


def transcript_markdown(session: AgentSession, transcript: list[TurnResult]) -> str:
    """The conversation as markdown: each question, its answer, and the tools that produced the numbers."""
    parts = [f"# shopagent chat ({session.backend}{' · ' + session.model if session.model else ''})\n"]
    for result in transcript:
        tools = ", ".join(f"`{record.name}({record.arguments})`" for record in result.tool_calls) or "none"
        parts.append(f"## {result.question}\n\n{result.answer}\n\n_tools: {tools}_\n")
        if result.unsupported_numbers:
            parts.append(f"_⚠ not supported by any tool result: {', '.join(result.unsupported_numbers)}_\n")
    return "\n".join(parts)


def _line_editing() -> Path | None:
    """Arrow-key editing and history for input() where the terminal allows it."""
    if not sys.stdin.isatty():
        return None
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input still works
        return None
    from shopagent.location import data_dir

    path = data_dir() / HISTORY_FILE
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(500)
    return path


def _save_line_history(path: Path | None) -> None:
    if path is None:
        return
    import readline

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(path)
    except OSError:
        pass
