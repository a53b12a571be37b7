"""`shopagent diagnose`: why GMV moved."""

from __future__ import annotations

from typing import Annotated

import typer

from shopagent.commands.options import DbOption, JsonOption, LangOption, language, parse_date, progress_of


def diagnose(
    days: Annotated[int | None, typer.Option("--days", min=1, help="The last N days vs the N before.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last day, YYYY-MM-DD.")] = None,
    compare: Annotated[str, typer.Option("--compare", help="previous or yoy.")] = "previous",
    lang: LangOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Explain why GMV moved: the KPI tree and each cause with the GMV it cost or brought.

    Example: shopagent diagnose --days 14 --json
    """
    if compare not in ("previous", "yoy"):
        raise typer.BadParameter(f"--compare must be previous or yoy, not {compare!r}")
    language(lang)  # a bad --lang is a usage error before any work
    from shopagent.location import open_shop
    from shopagent.tools.diagnose import diagnose as run_diagnose

    shop = open_shop(db)
    chosen = language(lang, shop)
    with progress_of(chosen, "diagnose_command", json_output=json_output):
        diagnosis = run_diagnose(shop, days=days, start=parse_date(start, "--start"),
                                 end=parse_date(end, "--end"), compare=compare, lang=chosen)
    if json_output:
        from shopagent.render.common import print_json_model

        print_json_model(diagnosis)
    else:
        from shopagent.render.diagnose import print_diagnosis

        print_diagnosis(diagnosis)
