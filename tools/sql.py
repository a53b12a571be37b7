"""`shopagent sql`: one read-only SELECT over the shop, with a row cap and a timeout."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import duckdb
from pydantic import BaseModel

from shopagent.tools.errors import ShopError
from shopagent.tools.store import Shop

JsonValue = str | int | float | bool | None | list | dict
MAX_TEXT = 20_000  # characters kept of one text value


class QueryResult(BaseModel):
    """Rows of a read-only query, capped; `truncated` says rows were left out."""

    columns: list[str]
    rows: list[dict[str, JsonValue]]
    truncated: bool  # rows beyond max_rows were left out
    max_rows: int
    values_clipped: bool = False  # a text value longer than MAX_TEXT characters was cut


def run_readonly_sql(shop: Shop, query: str, *, max_rows: int = 1000, timeout_seconds: float = 10.0) -> QueryResult:
    """Run one read-only SELECT against the shop and return at most `max_rows` rows."""
    with shop.connect() as con:
        statement = _single_select(con, query)
        timer = threading.Timer(timeout_seconds, con.interrupt)
        timer.start()
        try:
            cursor = con.execute(statement)
            columns = [column[0] for column in cursor.description]
            fetched = cursor.fetchmany(max_rows + 1)
        except duckdb.InterruptException as error:
            raise ShopError(f"the query ran longer than {timeout_seconds:g} s and was stopped; "
                            "narrow it with WHERE or LIMIT") from error
        except duckdb.PermissionException as error:
            raise ShopError("SQL cannot read files or reach the network here; query the shop's tables "
                            f"(products, orders, traffic, ...). DuckDB said: {_first_line(error)}") from error
        except duckdb.Error as error:
            raise ShopError(f"the query failed: {_first_line(error)}") from error
        finally:
            timer.cancel()
    clipped = False
    rows = []
    for row in fetched[:max_rows]:
        values = {}
        for name, value in zip(columns, row, strict=True):
            # rows are capped, and so is each value: one string_agg over a big table must not flood stdout
            if isinstance(value, str) and len(value) > MAX_TEXT:
                value = f"{value[:MAX_TEXT]}… ({len(value) - MAX_TEXT:,} more characters)"
                clipped = True
            values[name] = _jsonable(value)
        rows.append(values)
    return QueryResult(columns=columns, rows=rows, truncated=len(fetched) > max_rows, max_rows=max_rows,
                       values_clipped=clipped)


def _single_select(con: duckdb.DuckDBPyConnection, query: str) -> str:
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as error:
        raise ShopError(f"the query does not parse: {_first_line(error)}") from error
    if not statements:
        raise ShopError("the query is empty; write one SELECT, e.g. \"SELECT * FROM products LIMIT 5\"")
    if len(statements) != 1:
        raise ShopError(f"one statement at a time, please ({len(statements)} found); drop the extra ';' parts")
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise ShopError(f"only read-only SELECT queries are allowed here, not {statement.type.name}; "
                        "the shop is changed only by `shopagent data import`")
    return statement.query


def _jsonable(value: object) -> JsonValue:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray):
        return value.hex()
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]
