"""Output of `data columns`: the contract's tables, each column with its type and the rule the importer checks."""

from __future__ import annotations

from shopagent.render.common import print_json_data, stdout
from shopagent.tools.schema import REFERENCES, SPEND_OVERSHOOT, Column, Kind, Table

KIND_HINTS = {
    Kind.TEXT: "text",
    Kind.DATE: "date YYYY-MM-DD",
    Kind.TIMESTAMP: "timestamp YYYY-MM-DD HH:MM:SS",
    Kind.INT: "whole number",
    # the most common rejected export: amounts written as "1,234.50" by a spreadsheet
    Kind.MONEY: "yuan, e.g. 1234.50 (no ¥, no thousands separator)",
    Kind.NUMBER: "number, e.g. 3.5",
    Kind.JSON: "JSON object",
}


def rule(column: Column, table: Table) -> str:
    """What the importer checks on the column beyond its type, in a few words."""
    parts = []
    if column.allowed:
        parts.append("one of " + ", ".join(column.allowed))
    if column.minimum is not None and column.maximum is not None:
        parts.append(f"{column.minimum:g} to {column.maximum:g}")
    elif column.minimum is not None:
        parts.append(f">= {column.minimum:g}")
    elif column.non_negative:
        parts.append(">= 0")
    if table.name == "promotion_daily" and column.name == "spend":
        parts.append(f"at most {SPEND_OVERSHOOT:g}x daily_budget")
    parts += [f"must be in {target}.{target_column}" for source, name, target, target_column in REFERENCES
              if source == table.name and name == column.name]
    return "; ".join(parts)


def print_columns(tables: list[Table], *, json_output: bool) -> None:
    if json_output:
        print_json_data([{"table": table.name, "required": table.required, "key": list(table.key),
                          "columns": [{"name": column.name, "type": column.kind.value, "optional": column.optional,
                                       "rule": rule(column, table)} for column in table.columns]}
                         for table in tables])
        return
    # one line per column, no table frame: it reads the same at 80 columns and in a terminal log
    for table in tables:
        need = "required 必需" if table.required else "optional 可选"
        key = f" · one row per {', '.join(table.key)}" if table.key else ""
        stdout.print(f"[bold]{table.name}[/] ({table.name}.csv or .parquet) · {need}{key}", highlight=False)
        width = max(len(column.name) for column in table.columns)
        for column in table.columns:
            optional = " [dim](optional column)[/]" if column.optional else ""
            checked = rule(column, table)
            stdout.print(f"  {column.name:<{width}}  {KIND_HINTS[column.kind]}" + (f"; {checked}" if checked else "")
                         + optional, highlight=False)
        stdout.print()
    stdout.print("[dim]Other columns are kept as they are. `shopagent data check DIR` checks a folder without "
                 "importing it.[/]", highlight=False)
