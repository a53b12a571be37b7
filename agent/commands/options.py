"""Options every command shares (--db, --json, --lang) and small parsers; typer and stdlib only."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

DbOption = Annotated[Path | None, typer.Option("--db", envvar="SHOPAGENT_DB", dir_okay=False,
                                               help="Shop database file (default: the sample shop).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
TopOption = Annotated[int, typer.Option("--top", min=0, metavar="N",
                                        help="List the N most valuable rows (0: all); --json always has all.")]
LangOption = Annotated[str | None, typer.Option("--lang", help="Summary language: zh or en (default: locale).")]


def language(lang: str | None) -> str:
    """--lang, or zh when the locale is Chinese, else en."""
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    chosen = lang or ("zh" if locale.lower().startswith("zh") else "en")
    if chosen not in ("zh", "en"):
        raise typer.BadParameter(f"--lang must be zh or en, not {chosen!r}")
    return chosen


PROGRESS_STEPS = ("report", "load", "diagnose", "promotion", "pricing", "assortment", "render", "diagnose_command",
                  "plan_command", "whatif_command")


def progress_of(lang: str, title: str, *, json_output: bool):  # noqa: ANN201 - a context manager of steps
    """`render.progress.progress` with its title and step names in the merchant's language."""
    from shopagent.render.progress import progress
    from shopagent.tools.wording import say

    labels = {step: say(lang, "progress", step) for step in PROGRESS_STEPS}
    return progress(labels.get(title, title), json_output=json_output, labels=labels)


def parse_date(text: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option} must be a date like 2026-09-30, not {text!r}") from None
