"""The shop's DuckDB database: where it is, its schema, and the one place connections are opened."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from shopagent.tools.errors import ShopError
from shopagent.tools.schema import BRAND_TABLE_SQL, TABLES, create_table_sql


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """DuckDB draws a progress bar on stdout during long queries; stdout belongs to --json output."""
    con.execute("SET enable_progress_bar = false")
    return con


# Tmall/Taobao exports are in China time; instants in Parquet files are read as shop-local time in this zone
SHOP_TIME_ZONE = "Asia/Shanghai"


def staging_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection for validating and loading files (the only writer besides the swap)."""
    con = quiet(duckdb.connect())
    con.execute(f"SET TimeZone = '{SHOP_TIME_ZONE}'")
    return con


def create_schema(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> None:
    """Create every contract table (and the brand profile) if missing."""
    for table in TABLES:
        con.execute(create_table_sql(table, schema))
    prefix = f"{schema}." if schema else ""
    con.execute(BRAND_TABLE_SQL.replace("brand_profile", f"{prefix}brand_profile"))


class Shop:
    """A shop database on disk. Analysis connections are read-only and cannot reach files or the network."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ShopError(f"no shop database at {self.path}; build one with `shopagent data init --sample` "
                            "or `shopagent data import DIR`")
        self._shared: duckdb.DuckDBPyConnection | None = None

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection with file-system and network access from SQL switched off and locked (inside
        `reading()`, a cursor of its one connection: closing it leaves that connection open)."""
        if self._shared is not None:
            return self._shared.cursor()
        return self._open()

    @contextmanager
    def reading(self) -> Iterator[Shop]:
        """One read-only connection for a stretch of work, such as an agent's turn, shared by every `connect()`
        inside it and closed when the stretch ends: opening the file costs ~30 ms a time, and a handle kept past
        the stretch would block a later write to the same file (an import) by this process."""
        if self._shared is not None:  # an inner stretch uses the outer one's connection, which the outer closes
            yield self
            return
        self._shared = self._open()
        try:
            yield self
        finally:
            shared, self._shared = self._shared, None
            shared.close()

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.path), read_only=True,
                                 config={"enable_external_access": False, "autoinstall_known_extensions": False,
                                         "autoload_known_extensions": False, "threads": 2})
        except duckdb.Error as error:
            raise ShopError(f"cannot open the shop database {self.path}: {error}") from error
        quiet(con).execute("SET lock_configuration = true")
        return con

    def row_count(self, table: str) -> int:
        with self.connect() as con:
            return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def last_date(self) -> date:
        """The last day with traffic or orders: analysis periods end here, never at the wall clock."""
        with self.connect() as con:
            last = con.execute("SELECT max(date) FROM traffic").fetchone()[0]
        if last is None:
            raise ShopError(f"the shop database {self.path} has no traffic rows yet; import a shop first")
        return last

    def fingerprint(self) -> str:
        """A short hash of the data (row counts and last dates) that changes whenever an import changes it."""
        parts = []
        with self.connect() as con:
            for table in TABLES:
                parts.append(f"{table.name}:{con.execute(f'SELECT count(*) FROM {table.name}').fetchone()[0]}")
            parts.append(str(con.execute("SELECT max(date) FROM traffic").fetchone()[0]))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
