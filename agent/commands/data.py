"""`shopagent data ...`: build the sample shop, import and check export folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shopagent.commands.data_columns import data_columns
from shopagent.commands.options import DbOption, JsonOption, language, progress_of

data_app = typer.Typer(no_args_is_help=True, help="Build, import and check shop data.")
data_app.command("columns")(data_columns)


@data_app.command("init")
def data_init(
    sample: Annotated[bool, typer.Option("--sample", help="Build the seeded sample shop.")] = False,
    db: DbOption = None,
    seed: Annotated[int, typer.Option(help="Simulator seed: same seed, same shop.")] = 7,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a shop already at --db.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Build the sample shop database.

    Example: shopagent data init --sample --db shop.duckdb --seed 7
    """
    if not sample:
        raise typer.BadParameter("only the sample shop can be built; pass --sample (or use `data import DIR`)")
    from shopagent.location import build_sample_shop, sample_db_path
    from shopagent.render.data import print_import_report

    target = db or sample_db_path()
    # a real shop behind SHOPAGENT_DB must never be wiped by a sample build typed in the wrong shell
    if db is not None and db.exists() and not replace:
        from shopagent.tools.errors import ShopError

        raise ShopError(f"{db} already holds a shop; pass --replace to overwrite it with the sample shop, "
                        "or choose another --db")
    report = build_sample_shop(target, seed=seed)
    print_import_report(report, json_output=json_output)


@data_app.command("import")
def data_import(
    folder: Annotated[Path, typer.Argument(help="Folder of <table>.csv/.parquet files, platform downloads "
                                                "(千牛, 万相台, 售后) and brand.toml.")],
    db: DbOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace the whole shop instead of appending.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Import an export folder (DATA_CONTRACT.md files and platform downloads), all or nothing.

    Example: shopagent data import exports/2026-09-30 --db shop.duckdb
    """
    from shopagent.location import sample_db_path
    from shopagent.render.data import print_import_report, print_rejection
    from shopagent.tools.errors import ImportRejected
    from shopagent.tools.importer import import_folder

    try:
        # a 3.5M-line import takes tens of seconds: the terminal shows it is working (never under --json)
        with progress_of(language(None), "import_command", json_output=json_output) as step:
            step("import_files")
            report = import_folder(folder, db or sample_db_path(), replace=replace)
    except ImportRejected as rejected:
        print_rejection(rejected, json_output=json_output)
        raise typer.Exit(1) from None
    print_import_report(report, json_output=json_output)


@data_app.command("check")
def data_check(
    folder: Annotated[Path, typer.Argument(help="Folder to validate.")],
    db: Annotated[Path | None, typer.Option("--db", envvar="SHOPAGENT_DB", dir_okay=False,
                                            help="Also check it as an append into this shop (overlaps, SKUs).")]
    = None,
    json_output: JsonOption = False,
) -> None:
    """Validate a folder without importing: each file's layout, every problem; exit 1 if anything is wrong.

    Example: shopagent data check exports/2026-09-30
    """
    from shopagent.render.data import print_import_report, print_rejection
    from shopagent.tools.errors import ImportRejected
    from shopagent.tools.importer import check_folder

    try:
        report = check_folder(folder, db)
    except ImportRejected as rejected:
        print_rejection(rejected, json_output=json_output)
        raise typer.Exit(1) from None
    print_import_report(report, json_output=json_output)
