"""Where the shop database lives: --db, $SHOPAGENT_DB, or the sample shop built on first use."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopagent.tools.importer import ImportReport
    from shopagent.tools.store import Shop

SAMPLE_SEED = 7


def data_dir() -> Path:
    """The user data directory ($SHOPAGENT_DATA_DIR overrides it, e.g. in tests)."""
    override = os.environ.get("SHOPAGENT_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("shopagent", appauthor=False))


def sample_db_path() -> Path:
    return data_dir() / "sample_shop.duckdb"


def build_sample_shop(database: Path, *, seed: int = SAMPLE_SEED) -> ImportReport:
    """Generate the seeded sample shop and import it into `database`, replacing what was there."""
    import tempfile

    from shopagent.sample_shop.simulator import generate_shop
    from shopagent.tools.importer import import_folder

    with tempfile.TemporaryDirectory(prefix="shopagent-sample-") as folder:
        generate_shop(Path(folder), seed=seed)
        return import_folder(Path(folder), database, replace=True)


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def refuse_non_database(path: Path) -> None:
    """A --db that exists but is not a DuckDB file (a CSV, an export folder's file, a SQLite file) fails with what
    it is and what to do, not with DuckDB's internal message about catalogs and read-only mode."""
    from shopagent.tools.errors import ShopError

    if path.is_dir():
        raise ShopError(f"--db {path} is a folder, not a shop database; to load an export folder run "
                        f"`shopagent data import {path} --db shop.duckdb`, then use --db shop.duckdb")
    if not path.is_file():
        return  # the store says plainly that there is no database there
    with path.open("rb") as file:
        head = file.read(16)
    if head[8:12] != DUCKDB_MAGIC:
        kind = ("an empty file" if not head else "a SQLite database" if head.startswith(b"SQLite format") else
                f"a {path.suffix.lstrip('.').upper()} file" if path.suffix else "not a DuckDB file")
        raise ShopError(f"--db {path} is {kind}, not a shop database. Import your export files with `shopagent "
                        "data import DIR --db shop.duckdb` (`shopagent data columns` lists what DIR must hold), "
                        "then pass --db shop.duckdb")


def open_shop(db: Path | None) -> Shop:
    """The shop the command works on; with no --db the sample shop is built once and reused."""
    from shopagent.tools.store import Shop

    if db is not None:
        refuse_non_database(Path(db))
        return Shop(db)
    path = sample_db_path()
    if not path.exists():
        print(f"Building the sample shop into {path} (first use)...", file=sys.stderr)
        build_sample_shop(path)
    return Shop(path)
