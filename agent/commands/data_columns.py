"""`shopagent data columns [TABLE]`: the columns an export folder must have, straight from the data contract."""

from __future__ import annotations

from typing import Annotated

import typer

from shopagent.commands.options import JsonOption


def data_columns(
    table: Annotated[str | None, typer.Argument(metavar="TABLE", help="One table (default: all of them).",
                                                show_default=False)] = None,
    json_output: JsonOption = False,
) -> None:
    """The tables and columns an export folder must have, with each column's type and rule.

    Example: shopagent data columns order_items
    """
    from shopagent.render.columns import print_columns
    from shopagent.tools.schema import TABLES, TABLES_BY_NAME

    if table is not None and table not in TABLES_BY_NAME:
        raise typer.BadParameter(f"no table {table!r} in the data contract; the tables are "
                                 f"{', '.join(TABLES_BY_NAME)}", param_hint="TABLE")
    print_columns([TABLES_BY_NAME[table]] if table else list(TABLES), json_output=json_output)
