"""The tables of DATA_CONTRACT.md as data: columns, types, keys; the DuckDB DDL is generated from them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    TIMESTAMP = "timestamp"
    INT = "int"
    MONEY = "money"
    NUMBER = "number"
    JSON = "json"


# Money is exact (DECIMAL) so sums are the same to the cent on every run and machine;
# DOUBLE sums over parallel scans can differ in the last bit, which would break byte-identical reports.
SQL_TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.INT: "BIGINT",
    Kind.MONEY: "DECIMAL(18,2)",
    Kind.NUMBER: "DOUBLE",
    Kind.JSON: "VARCHAR",
}

CHANNELS = ("search", "recommend", "promotion", "live", "other")
PRODUCT_STATUSES = ("active", "delisted")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    # optional columns may be absent from the file; present or not, their values may be empty
    optional: bool = False
    allowed: tuple[str, ...] = ()
    non_negative: bool = False
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = True

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _money(name: str) -> Column:
    return Column(name, Kind.MONEY, non_negative=True)


def _count(name: str) -> Column:
    return Column(name, Kind.INT, non_negative=True)


TABLES: tuple[Table, ...] = (
    Table("products", (
        Column("sku_id", Kind.TEXT),
        Column("title", Kind.TEXT),
        Column("category", Kind.TEXT),
        Column("launch_date", Kind.DATE),
        _money("list_price"),
        _money("unit_cost"),
        Column("status", Kind.TEXT, allowed=PRODUCT_STATUSES),
        Column("attributes", Kind.JSON, optional=True),
    ), key=("sku_id",)),
    Table("price_history", (
        Column("date", Kind.DATE),
        Column("sku_id", Kind.TEXT),
        _money("price"),
        Column("promo", Kind.TEXT, optional=True),
    ), key=("date", "sku_id")),
    Table("traffic", (
        Column("date", Kind.DATE),
        Column("sku_id", Kind.TEXT),
        Column("channel", Kind.TEXT, allowed=CHANNELS),
        _count("impressions"),
        _count("visitors"),
        _count("add_to_cart"),
    ), key=("date", "sku_id", "channel")),
    Table("orders", (
        Column("order_id", Kind.TEXT),
        Column("created_at", Kind.TIMESTAMP),
        Column("customer_id", Kind.TEXT),
        Column("channel", Kind.TEXT, allowed=CHANNELS),
        Column("province", Kind.TEXT, optional=True),
    ), key=("order_id",)),
    Table("order_items", (
        Column("order_id", Kind.TEXT),
        Column("sku_id", Kind.TEXT),
        Column("quantity", Kind.INT, non_negative=True, minimum=1),
        _money("unit_price"),
    )),
    Table("promotion_daily", (
        Column("date", Kind.DATE),
        Column("sku_id", Kind.TEXT),
        _money("daily_budget"),
        Column("target_roi", Kind.NUMBER, non_negative=True),
        _money("spend"),
        _count("impressions"),
        _count("clicks"),
        _count("ad_orders"),
        _money("ad_gmv"),
    ), key=("date", "sku_id")),
    Table("inventory_daily", (
        Column("date", Kind.DATE),
        Column("sku_id", Kind.TEXT),
        _count("on_hand"),
        _count("inbound"),
    ), key=("date", "sku_id")),
    Table("refunds", (
        Column("order_id", Kind.TEXT),
        Column("sku_id", Kind.TEXT),
        Column("refunded_at", Kind.TIMESTAMP),
        Column("quantity", Kind.INT, non_negative=True, minimum=1),
        _money("amount"),
        Column("reason", Kind.TEXT, optional=True),
    ), required=False),
    Table("competitor_prices", (
        Column("date", Kind.DATE),
        Column("sku_id", Kind.TEXT),
        _money("competitor_price"),
    ), key=("date", "sku_id"), required=False),
    Table("shop_scores", (
        Column("date", Kind.DATE),
        Column("experience_score", Kind.NUMBER, minimum=0, maximum=5),
        Column("product_score", Kind.NUMBER, minimum=0, maximum=5),
        Column("logistics_score", Kind.NUMBER, minimum=0, maximum=5),
        Column("service_score", Kind.NUMBER, minimum=0, maximum=5),
    ), key=("date",), required=False),
    Table("reviews", (
        Column("review_id", Kind.TEXT),
        Column("sku_id", Kind.TEXT),
        Column("created_at", Kind.TIMESTAMP),
        Column("rating", Kind.INT, minimum=1, maximum=5),
        Column("text", Kind.TEXT, optional=True),
    ), key=("review_id",), required=False),
)

TABLES_BY_NAME = {table.name: table for table in TABLES}

# (table, column) -> (referenced table, referenced column); checked against the folder and the database
REFERENCES: tuple[tuple[str, str, str, str], ...] = tuple(
    (table.name, "sku_id", "products", "sku_id")
    for table in TABLES if table.name != "products" and "sku_id" in table.column_names
) + (("order_items", "order_id", "orders", "order_id"),)

# platforms let spend overshoot the daily cap by up to 10%; a larger overshoot is bad data
SPEND_OVERSHOOT = 1.10


def create_table_sql(table: Table, schema: str | None = None) -> str:
    """The CREATE TABLE statement for one contract table (typed, keys as PRIMARY KEY where stated)."""
    qualified = f"{schema}.{table.name}" if schema else table.name
    columns = [f'"{column.name}" {SQL_TYPES[column.kind]}' for column in table.columns]
    return f"CREATE TABLE IF NOT EXISTS {qualified} ({', '.join(columns)})"


BRAND_TABLE_SQL = "CREATE TABLE IF NOT EXISTS brand_profile (toml VARCHAR NOT NULL)"
