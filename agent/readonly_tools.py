"""The agent's own read-only tools: a row-capped `sql`, `list_tables` for writing it, and `diagnose` that can
focus on some SKUs (a follow-up like "那 S012 呢?" after a shop-wide diagnosis)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shopagent.tools.diagnose import Diagnosis, Language
from shopagent.tools.diagnose import diagnose as diagnose_shop
from shopagent.tools.errors import unknown_skus
from shopagent.tools.periods import Compare
from shopagent.tools.schema import TABLES
from shopagent.tools.sql import QueryResult, run_readonly_sql
from shopagent.tools.store import Shop

AGENT_MAX_ROWS = 50  # a model reads every row it gets; more than this wastes its context without helping it


class TableInfo(BaseModel):
    """One table the sql tool can read."""

    model_config = ConfigDict(frozen=True)

    name: str
    rows: int
    columns: list[str]


class SchemaListing(BaseModel):
    """The shop's tables, their columns and row counts, and the days the data covers."""

    model_config = ConfigDict(frozen=True)

    tables: list[TableInfo]
    first_date: date | None
    last_date: date | None


def sql(shop: Shop, *, query: str, max_rows: Annotated[int, Field(ge=1, le=AGENT_MAX_ROWS)] = 20) -> QueryResult:
    """Run one read-only SELECT over the shop's tables (at most 50 rows); call list_tables first for the columns.

    Args:
        query: One DuckDB SELECT statement over products, orders, order_items, traffic, price_history,
            promotion_daily, inventory_daily, refunds, competitor_prices, shop_scores, reviews.
        max_rows: Rows to return, 1-50.
    """
    return run_readonly_sql(shop, query, max_rows=max_rows, timeout_seconds=10.0)


def list_tables(shop: Shop) -> SchemaListing:
    """List the shop's tables with their columns and row counts, and the first and last day of data."""
    columns = run_readonly_sql(
        shop, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
              "ORDER BY table_name, ordinal_position", max_rows=5000)
    by_table: dict[str, list[str]] = {}
    for row in columns.rows:
        by_table.setdefault(str(row["table_name"]), []).append(str(row["column_name"]))
    known = [table.name for table in TABLES]
    tables = [TableInfo(name=name, rows=shop.row_count(name), columns=by_table[name])
              for name in known + sorted(set(by_table) - set(known) - {"brand_profile"}) if name in by_table]
    span = run_readonly_sql(shop, "SELECT min(date) AS first, max(date) AS last FROM traffic", max_rows=1).rows[0]
    return SchemaListing(tables=tables, first_date=span["first"], last_date=span["last"])


def diagnose(shop: Shop, *, days: int | None = None, start: date | None = None, end: date | None = None,
             compare: Compare = "previous", sku_ids: list[str] | None = None, lang: Language = "en") -> Diagnosis:
    """Explain why GMV moved between two periods, largest cause first; with sku_ids, only those SKUs' causes and
    GMV changes (the shop's KPIs stay).

    Args:
        sku_ids: SKU ids to focus on, e.g. ["S012"]; empty = the whole shop.
    """
    diagnosis = diagnose_shop(shop, days=days, start=start, end=end, compare=compare, lang=lang)
    if not sku_ids:
        return diagnosis
    wanted = list(dict.fromkeys(sku_ids))
    known = {str(row["sku_id"]) for row in run_readonly_sql(shop, "SELECT sku_id FROM products", max_rows=100_000).rows}
    unknown = [sku for sku in wanted if sku not in known]
    if unknown:
        raise unknown_skus(unknown)
    tree = diagnosis.kpi_tree.model_copy(update={"skus": [branch for branch in diagnosis.kpi_tree.skus
                                                           if branch.name in wanted]})
    findings = [finding for finding in diagnosis.findings if finding.sku_id in wanted]
    return diagnosis.model_copy(update={"kpi_tree": tree, "findings": findings})
