"""`shopagent ask`, `chat`, `backends`, `logs`: the agent, over the same tools as the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from shopagent.commands.options import DbOption, JsonOption

if TYPE_CHECKING:
    from pathlib import Path

    from shopagent.session import AgentSession

BackendOption = Annotated[str | None, typer.Option("--backend", help="offline (default) or openai; "
                                                                      "`shopagent backends` lists them.")]
ModelOption = Annotated[str | None, typer.Option("--model", help="Model name for the openai backend.")]
StepsOption = Annotated[int, typer.Option("--max-steps", min=1, max=20, help="Model calls allowed per answer.")]


def ask(
    question: Annotated[str, typer.Argument(help="Your question, in Chinese or English.")],
    backend: BackendOption = None,
    model: ModelOption = None,
    max_steps: StepsOption = 6,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Ask the shop one question; every number in the answer comes from a tool.

    Example: shopagent ask "为什么这周 GMV 掉了?" --json
    """
    session = _session(db, backend, model, max_steps)
    from shopagent.render.agent import print_answer

    result = session.ask(question)
    print_answer(result, backend=session.backend, model=session.model, log_id=session.last_log_id,
                 json_output=json_output)


def chat(
    backend: BackendOption = None,
    model: ModelOption = None,
    max_steps: StepsOption = 6,
    db: DbOption = None,
) -> None:
    """Talk with the shop in the terminal: streamed answers, /help, /reset, /save FILE.

    Example: shopagent chat --backend openai --model qwen2.5:7b-instruct
    """
    session = _session(db, backend, model, max_steps)
    from shopagent.chat import run_chat
    from shopagent.render.common import stdout

    run_chat(session, console=stdout)


def backends(
    model: ModelOption = None,
    json_output: JsonOption = False,
) -> None:
    """List the model backends and whether each can answer now (reachable, key present, model listed).

    Example: shopagent backends --json
    """
    from shopagent.backends.base import backend_names, get_backend
    from shopagent.render.agent import print_backends

    print_backends([get_backend(name).status(model) for name in backend_names()], json_output=json_output)


def logs(
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many recent turns.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """List recent agent turns: question, backend, model, tool calls, tokens and the data fingerprint.

    Example: shopagent logs --limit 5 --json
    """
    from shopagent.render.agent import print_logs
    from shopagent.run_log import recent_entries

    print_logs(recent_entries(limit), json_output=json_output)


def _session(db: Path | None, backend: str | None, model: str | None, max_steps: int) -> AgentSession:
    from shopagent.backends.base import backend_names
    from shopagent.backends.config import default_backend

    chosen = backend or default_backend()
    if chosen not in backend_names():
        raise typer.BadParameter(f"unknown backend {chosen!r}; choose one of: {', '.join(backend_names())}",
                                 param_hint="--backend")
    from shopagent.location import open_shop
    from shopagent.session import AgentSession

    return AgentSession(open_shop(db), backend=chosen, model=model, max_steps=max_steps)
