"""Shared output helpers: JSON on stdout, errors on stderr, one console each."""

from __future__ import annotations

import sys
import unicodedata

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape as escape_markup

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)


def printable(text: str) -> str:
    """Shop text made safe for a terminal: control characters (escape sequences that could retitle the window,
    clear the screen or fake output) and bidi overrides (which reorder what is shown) are dropped."""
    return "".join(character for character in text
                   if character in "\n\t" or unicodedata.category(character) not in ("Cc", "Cf"))


def escape(text: str) -> str:
    """Shop text (titles, reasons, reviews, summaries quoting them) ready for a rich console: terminal-safe
    (`printable`) and with rich markup made literal."""
    return escape_markup(printable(text))


def print_json_model(model: BaseModel) -> None:
    """One JSON document on stdout, UTF-8, nothing else."""
    sys.stdout.write(model.model_dump_json(indent=2) + "\n")


def print_json_data(data: object) -> None:
    import json

    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def print_error(error: Exception) -> None:
    stderr.print(f"[bold red]Error:[/] {error}", markup=True, highlight=False)
