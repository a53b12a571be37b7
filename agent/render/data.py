"""Rendering of import reports, rejected folders and query results."""

from __future__ import annotations

from rich.table import Column, Table

from shopagent.render.common import escape, print_json_data, print_json_model, printable, stderr, stdout
from shopagent.tools.errors import ImportRejected
from shopagent.tools.importer import ImportReport
from shopagent.tools.sql import QueryResult


def print_import_report(report: ImportReport, *, json_output: bool) -> None:
    if json_output:
        print_json_model(report)
        return
    verb = {"check": "is valid", "append": "appended to", "replace": "imported into"}[report.mode]
    target = f" {report.database}" if report.database else ""
    stdout.print(f"[green]✓[/] {escape(report.folder)} {verb}{escape(target)}")
    table = Table("table", "rows", "file encoding", "extra columns kept", box=None)
    for name, rows in report.rows.items():
        file = next((file for file in report.encodings if file.startswith(name + ".")), "")
        downloads = any(name in item.tables for item in report.platform_files)
        table.add_row(name, f"{rows:,}", report.encodings.get(file, "(platform downloads)" if downloads else ""),
                      ", ".join(report.extra_columns.get(name, [])))
    stdout.print(table)
    if report.platform_files:
        _print_platform_files(report)
    if report.absent_optional_tables:
        stdout.print("Optional tables not in the folder (the analyses that need them will say so): "
                      + ", ".join(report.absent_optional_tables))
    for table_name, disabled in report.disabled_analyses.items():
        stdout.print(f"  {table_name}: {escape(disabled)}")
    for note in report.notes:
        stdout.print(f"Note: {escape(note)}")
    if report.brand_profile:
        stdout.print("brand.toml read: creative drafts will use the brand's voice.")


def _print_platform_files(report: ImportReport) -> None:
    """Per platform export: the layout it was read as and the tables it fills, or why it was not read."""
    # a file name is what the merchant looks for: fold it over lines rather than cut it
    table = Table(Column("platform file", overflow="fold"), Column("read as", overflow="fold"), "header line",
                  "encoding", "rows", "fills", box=None)
    for item in report.platform_files:
        if item.layout:
            table.add_row(escape(item.file), escape(item.layout), str(item.header_line or ""), item.encoding,
                          f"{item.rows:,}", ", ".join(item.tables) or "(plan settings)")
        else:
            why = (f"not read: closest is {item.closest}, which lacks {', '.join(item.missing_columns)}"
                   if item.closest else "not read: no known layout")
            table.add_row(escape(item.file), escape(why), "", item.encoding, "", "")
    stdout.print(table)


def print_rejection(rejected: ImportRejected, *, json_output: bool) -> None:
    if json_output:
        print_json_data({"ok": False, "folder": rejected.folder, "problems": rejected.total,
                         "groups": [group.model_dump() for group in rejected.groups]})
    stderr.print(f"[bold red]Error:[/] {escape(rejected.render())}", highlight=False)


def print_query_result(result: QueryResult, *, json_output: bool) -> None:
    if json_output:
        print_json_data(result.rows)
    else:
        table = Table(*result.columns)
        for row in result.rows:
            table.add_row(*("" if value is None else escape(printable(str(value))) for value in row.values()))
        stdout.print(table)
    if result.truncated:
        stderr.print(f"(showing the first {result.max_rows} rows; raise --max-rows to see more)")
    if result.values_clipped:
        stderr.print("(very long text values were cut; select a substring to see a part of one)")
