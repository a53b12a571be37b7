"""Shared output helpers: JSON on stdout, errors on stderr, one console each."""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Sequence

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape as escape_markup

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True)
NARROW_REASON = 30  # the free-text column needs this many columns beside the figures, or rows are stacked


def fit_terminal() -> int:
    """The width to lay out for: $COLUMNS when set now (the console read it once, at import), else the console's."""
    columns = os.environ.get("COLUMNS", "")
    # None: the console measures the terminal again (a width left over from an earlier call must not stick)
    stdout.width = int(columns) if columns.isdigit() and int(columns) > 0 else None  # type: ignore[assignment]
    return stdout.width


def print_rows(headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str | None = None, heading: int = 2,
               free_text: bool = True) -> None:
    """A table when its figures fit the terminal (beside a readable last column when it is free text); otherwise
    each row stacked: its first `heading` cells as a heading line, the figures as `header value` pairs, the free
    text on its own line. At 80 columns a 10-column table would squeeze every cell to `S04…`, `¥2,…`; stacked
    rows stay whole."""
    from rich.columns import Columns
    from rich.measure import Measurement
    from rich.padding import Padding
    from rich.table import Table

    width = fit_terminal()
    figures = Table(*(headers[:-1] if free_text else headers), show_lines=True)
    for row in rows:
        figures.add_row(*(row[:-1] if free_text else row))
    # measured without the terminal's limit: clamped to it, every table would seem to fit
    natural = Measurement.get(stdout, stdout.options.update_width(10_000), figures).maximum
    needed = natural + (NARROW_REASON if free_text else 0)
    if needed <= width:
        table = Table(*headers, show_lines=free_text, title=title, title_justify="left")
        for row in rows:
            table.add_row(*row)
        stdout.print(table)
        return
    if title:
        stdout.print(f"[bold]{title}[/]")
    last = len(headers) - 1 if free_text else len(headers)
    for row in rows:
        # each `header value` pair is kept whole (a figure never splits from its label) and wraps as a unit
        pairs = [f"[dim]{header}[/] {cell}".strip() for header, cell in zip(headers[heading:last], row[heading:last],
                                                                             strict=True) if cell]
        stdout.print("[bold]" + " ".join(row[:heading]) + "[/]")
        if pairs:
            stdout.print(Padding(Columns(pairs, padding=(0, 2)), (0, 0, 0, 2)))
        if free_text and row[-1]:
            stdout.print(Padding(row[-1], (0, 0, 0, 2)))


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
