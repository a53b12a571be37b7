"""The `shopagent` command: parse, call one tool, render, exit. Heavy modules are imported inside commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup


class _ShopGroup(TyperGroup):
    """Turns a ShopError anywhere below into `Error: ...` on stderr and exit code 1, without a traceback."""

    def invoke(self, ctx):  # noqa: ANN001, ANN201 - click's signature
        try:
            return super().invoke(ctx)
        except Exception as error:
            from shopagent.tools.errors import ShopError

            if isinstance(error, ShopError):
                from shopagent.render.common import print_error

                print_error(error)
                raise typer.Exit(1) from None
            raise


app = typer.Typer(cls=_ShopGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="shopagent: your shop's analyst and planner (诊断, 全站推广, 定价, 文案).")
data_app = typer.Typer(no_args_is_help=True, help="Build, import and check shop data.")
app.add_typer(data_app, name="data")

DbOption = Annotated[Path | None, typer.Option("--db", envvar="SHOPAGENT_DB", dir_okay=False,
                                               help="Shop database file (default: the sample shop).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


@data_app.command("init")
def data_init(
    sample: Annotated[bool, typer.Option("--sample", help="Build the seeded sample shop.")] = False,
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Simulator seed: same seed, same shop.")] = 7,
    json_output: JsonOption = False,
) -> None:
    """Build the sample shop database.

    Example: shopagent data init --sample --db shop.duckdb --seed 7
    """
    if not sample:
        raise typer.BadParameter("only the sample shop can be built; pass --sample (or use `data import DIR`)")
    from shopagent.location import build_sample_shop, sample_db_path
    from shopagent.render.data import print_import_report

    report = build_sample_shop(db or sample_db_path(), seed=seed)
    print_import_report(report, json_output=json_output)


@data_app.command("import")
def data_import(
    folder: Annotated[Path, typer.Argument(help="Folder of <table>.csv/.parquet files and brand.toml.")],
    db: DbOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the whole shop instead of appending.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Import an export folder that follows DATA_CONTRACT.md, all or nothing.

    Example: shopagent data import exports/2026-09-30 --db shop.duckdb
    """
    from shopagent.location import sample_db_path
    from shopagent.render.data import print_import_report, print_rejection
    from shopagent.tools.errors import ImportRejected
    from shopagent.tools.importer import import_folder

    try:
        report = import_folder(folder, db or sample_db_path(), replace=replace)
    except ImportRejected as rejected:
        print_rejection(rejected, json_output=json_output)
        raise typer.Exit(1) from None
    print_import_report(report, json_output=json_output)


@data_app.command("check")
def data_check(
    folder: Annotated[Path, typer.Argument(help="Folder to validate.")],
    json_output: JsonOption = False,
) -> None:
    """Validate a folder against the data contract without importing; exit 1 if anything is wrong.

    Example: shopagent data check exports/2026-09-30
    """
    from shopagent.render.data import print_import_report, print_rejection
    from shopagent.tools.errors import ImportRejected
    from shopagent.tools.importer import check_folder

    try:
        report = check_folder(folder)
    except ImportRejected as rejected:
        print_rejection(rejected, json_output=json_output)
        raise typer.Exit(1) from None
    print_import_report(report, json_output=json_output)


@app.command("sql")
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


def main() -> None:
    """Console-script entry point."""
    app()
