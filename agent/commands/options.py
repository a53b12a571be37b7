"""Options every command shares (--db, --json, --lang) and small parsers; typer and stdlib only."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from shopagent.tools.store import Shop

DbOption = Annotated[Path | None, typer.Option("--db", envvar="SHOPAGENT_DB", dir_okay=False,
                                               help="Shop database file (default: the sample shop).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
TopOption = Annotated[int, typer.Option("--top", min=0, metavar="N",
                                        help="How many of the most valuable to list (0: all).")]
LangOption = Annotated[str | None, typer.Option("--lang", help=(
    "zh or en (default: $SHOPAGENT_LANG, then lang in config.toml, then the shop's own language)."))]


def language(lang: str | None, shop: Shop | None = None) -> str:
    """The merchant's language: --lang, else $SHOPAGENT_LANG, else `lang` in config.toml, else the shop's own
    (zh when most product titles are Chinese), else zh for a Chinese locale, else en.

    The shop's data comes before the locale: a Tmall merchant on an English-language laptop (or a server with the
    C locale) still reads Chinese advice about a Chinese shop."""
    chosen = lang or os.environ.get("SHOPAGENT_LANG") or _configured_language()
    if chosen is None and shop is not None:
        chosen = shop_language(shop)
    if chosen is None:
        locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
        chosen = "zh" if locale.lower().startswith("zh") else "en"
    if chosen not in ("zh", "en"):
        raise typer.BadParameter(f"--lang must be zh or en, not {chosen!r} (from --lang, $SHOPAGENT_LANG or "
                                 "`lang` in config.toml)")
    return chosen


def _configured_language() -> str | None:
    from shopagent.backends.config import load_config

    value = load_config().get("lang")
    return str(value) if value else None


def shop_language(shop: Shop) -> str | None:
    """zh when most product titles hold Chinese characters, en when most do not, None for a shop with no products."""
    with shop.connect() as con:
        titles = [title for (title,) in con.execute("SELECT title FROM products ORDER BY sku_id LIMIT 200").fetchall()]
    if not titles:
        return None
    chinese = sum(any("\u4e00" <= char <= "\u9fff" for char in title or "") for title in titles)
    return "zh" if chinese * 2 > len(titles) else "en"


PROGRESS_STEPS = ("report", "load", "diagnose", "promotion", "pricing", "assortment", "render", "diagnose_command",
                  "plan_command", "whatif_command", "import_command", "import_files")


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
