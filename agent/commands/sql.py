"""`shopagent sql`: a read-only query."""

from __future__ import annotations

from typing import Annotated

import typer

from shopagent.commands.options import DbOption, JsonOption


def sql(
    query: Annotated[str, typer.Argument(help="One read-only SELECT statement.")],
    db: DbOption = None,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, max=100_000, help="Row cap.")] = 1000,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Seconds before the query is stopped.")] = 10.0,
    json_output: JsonOption = False,
) -> None:
    """Run a read-only query over the shop's tables.

    Example: shopagent sql "SELECT sku_id, title FROM products LIMIT 5"
    """
    from shopagent.location import open_shop
    from shopagent.render.data import print_query_result
    from shopagent.tools.sql import run_readonly_sql

    result = run_readonly_sql(open_shop(db), query, max_rows=max_rows, timeout_seconds=timeout)
    print_query_result(result, json_output=json_output)
