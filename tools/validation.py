"""The contract's integrity rules as SQL over staged text: types, ranges, keys, references."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from shopagent.tools.errors import Problem, ProblemGroup
from shopagent.tools.schema import REFERENCES, SPEND_OVERSHOOT, Column, Kind, Table
from shopagent.tools.sources import StagedFile

EXAMPLES_PER_RULE = 5


@dataclass(frozen=True)
class Rule:
    """A row-level rule: `bad` is a SQL condition over the staging table that is true for offending rows."""

    name: str
    column: str
    bad: str
    reason: str
    show: str | None = None  # SQL for the value shown in the message; defaults to the column


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def typed(column: Column, alias: str = "") -> str:
    """SQL casting a staged text value to the column's contract type (NULL if it does not cast)."""
    ref = f"{alias}{_q(column.name)}"
    if column.kind in (Kind.TEXT, Kind.JSON):
        return f"trim({ref})" if column.name.endswith("_id") or column.allowed else ref
    if column.kind == Kind.INT:
        return f"TRY_CAST({ref} AS BIGINT)"
    if column.kind == Kind.MONEY:
        return f"TRY_CAST({ref} AS DECIMAL(18,2))"
    if column.kind == Kind.NUMBER:
        return f"TRY_CAST({ref} AS DOUBLE)"
    return f"TRY_CAST({ref} AS {column.kind.value.upper()})"


def _number(name: str) -> str:
    return f"TRY_CAST({_q(name)} AS DOUBLE)"


def _empty(ref: str) -> str:
    """SQL true when a text is NULL, empty or only spaces, as `IS NULL OR trim() = ''` says, without trimming
    every value: trim removes the ASCII space and Unicode spaces (U+00A0 and up) only, so a value whose first byte
    is another ASCII character is not empty. A CASE, because DuckDB evaluates both sides of an OR on every row
    (trimming each value of each column was a quarter of a big file's row checks)."""
    return (f"CASE WHEN prefix({ref}, ' ') OR {ref} >= chr(128) THEN trim({ref}) = '' "
            f"ELSE {ref} IS NULL OR {ref} = '' END")


def column_rules(column: Column) -> list[Rule]:
    """Rules every value of one column must satisfy: present, right type, in range."""
    ref = _q(column.name)
    rules: list[Rule] = []
    if not column.optional:
        rules.append(Rule("empty value", column.name, _empty(ref),
                          f"is empty; '{column.name}' is required"))
    present = f"NOT ({_empty(ref)})"
    kind = column.kind
    if kind == Kind.INT:
        rules.append(Rule("not a whole number", column.name,
                          f"{present} AND (TRY_CAST({ref} AS BIGINT) IS NULL "
                          f"OR {_number(column.name)} <> TRY_CAST({ref} AS BIGINT))",
                          "is not a whole number"))
    elif kind in (Kind.MONEY, Kind.NUMBER):
        rules.append(Rule("not a number", column.name,
                          f"{present} AND ({_number(column.name)} IS NULL OR NOT isfinite({_number(column.name)}))",
                          "is not a number (write 1234.50: no currency sign, no thousands separator)"))
    elif kind == Kind.DATE:
        rules.append(Rule("not a date", column.name, f"{present} AND TRY_CAST({ref} AS DATE) IS NULL",
                          "is not a date; write YYYY-MM-DD"))
    elif kind == Kind.TIMESTAMP:
        rules.append(Rule("not a timestamp", column.name, f"{present} AND TRY_CAST({ref} AS TIMESTAMP) IS NULL",
                          "is not a timestamp; write YYYY-MM-DD HH:MM:SS"))
    elif kind == Kind.JSON:
        rules.append(Rule("not a JSON object", column.name,
                          # CASE, not AND: DuckDB may evaluate json_type on text that is not JSON and fail
                          f"{present} AND NOT CASE WHEN json_valid({ref}) THEN json_type({ref}) = 'OBJECT' "
                          "ELSE false END",
                          "is not a JSON object such as {\"material\": \"棉\"}"))
    if column.allowed:
        listed = ", ".join("'" + value + "'" for value in column.allowed)
        rules.append(Rule("unknown value", column.name, f"{present} AND trim({ref}) NOT IN ({listed})",
                          f"must be one of {', '.join(column.allowed)}"))
    if column.non_negative:
        rules.append(Rule("negative", column.name, f"{_number(column.name)} < 0", "is negative; must be >= 0"))
    if column.minimum is not None:
        # a negative value is already reported as negative; say it once
        floor = f" AND {_number(column.name)} >= 0" if column.non_negative else ""
        rules.append(Rule("out of range", column.name, f"{_number(column.name)} < {column.minimum}{floor}",
                          f"must be >= {column.minimum:g}"))
    if column.maximum is not None:
        rules.append(Rule("out of range", column.name, f"{_number(column.name)} > {column.maximum}",
                          f"must be <= {column.maximum:g}"))
    return rules


def _not_above(name: str, smaller: str, larger: str, factor: float = 1.0, why: str = "") -> Rule:
    limit = f"{_number(larger)} * {factor}" if factor != 1.0 else _number(larger)
    reason = f"{smaller} is larger than {larger}" + (f" x {factor:g}" if factor != 1.0 else "") + why
    return Rule(name, smaller, f"{_number(smaller)} > {limit}", reason,
                show=f"{_q(smaller)} || ' > ' || {_q(larger)}")


TABLE_RULES: dict[str, list[Rule]] = {
    "products": [Rule("cost not below price", "unit_cost",
                      f"{_number('unit_cost')} >= {_number('list_price')}",
                      "unit_cost must be below list_price", show="unit_cost || ' >= ' || list_price")],
    "traffic": [_not_above("visitors above impressions", "visitors", "impressions"),
                _not_above("add_to_cart above visitors", "add_to_cart", "visitors")],
    "promotion_daily": [
        _not_above("clicks above impressions", "clicks", "impressions"),
        _not_above("spend above budget", "spend", "daily_budget", SPEND_OVERSHOOT,
                   "; platforms overshoot the daily cap by at most 10%"),
    ],
}


def rules_for(table: Table) -> list[Rule]:
    rules = [rule for column in table.columns for rule in column_rules(column)]
    return rules + TABLE_RULES.get(table.name, [])


def held_by_source(table: Table, source: Table, copied: tuple[str, ...]) -> frozenset[str]:
    """The row rules of `table` that cannot fail on its columns `copied`: each is copied unchanged from the field of
    that name of `source`, into a subset of its rows, and `source` passed the very same predicate on that field
    (a Rule's `bad` names its column, so an equal predicate is the same test of the same values)."""
    checked = {rule.bad for rule in rules_for(source)}
    return frozenset(rule.bad for name in copied for rule in column_rules(table.column(name)) if rule.bad in checked)


def check_rows(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> list[ProblemGroup]:
    """Every row-level rule over one staged file: one scan to count, one query per failing rule for examples
    (a rule the file's construction already guarantees is not run again)."""
    rules = [rule for rule in rules_for(staged.table) if rule.bad not in staged.held_rules]
    if staged.rows == 0 or not rules:
        return []
    counts = con.execute(
        "SELECT " + ", ".join(f"count_if({rule.bad})" for rule in rules) + f" FROM {staged.staging}"
    ).fetchone()
    groups: list[ProblemGroup] = []
    for rule, count in zip(rules, counts, strict=True):
        if count:
            groups.append(_group(con, staged, rule.name, rule.column, count, rule.bad, rule.reason,
                                 rule.show or _q(rule.column)))
    return groups


def _group(con: duckdb.DuckDBPyConnection, staged: StagedFile, rule: str, column: str, count: int,
           bad: str, reason: str, show: str, source: str | None = None) -> ProblemGroup:
    rows = con.execute(
        f"SELECT rowid, CAST({show} AS VARCHAR) FROM {source or staged.staging} WHERE {bad} "
        f"ORDER BY rowid LIMIT {EXAMPLES_PER_RULE}"
    ).fetchall()
    where = staged.locate(con, [rowid for rowid, _ in rows])
    examples = [Problem(file=where[rowid][0], rule=rule, reason=reason, row=where[rowid][1],
                        column=staged.label(column), value=value) for rowid, value in rows]
    file = examples[0].file if examples else staged.path.name
    return ProblemGroup(file=file, rule=rule, count=count, examples=examples)


def check_keys(con: duckdb.DuckDBPyConnection, staged: StagedFile, existing: str | None) -> list[ProblemGroup]:
    """One row per key: no duplicates inside the file, nor (when appending) against rows already imported."""
    table = staged.table
    if not table.key or staged.rows == 0:
        return []
    keys = [typed(table.column(name)) for name in table.key]
    key_list = ", ".join(keys)
    names = ", ".join(table.key)
    groups: list[ProblemGroup] = []
    # counting distinct keys is one cheap aggregation; the window that locates duplicates runs only if needed
    rows_with_key, distinct = con.execute(
        f"SELECT count(*), count(DISTINCT ({key_list})) FROM {staged.staging} "
        f"WHERE {' AND '.join(f'{key} IS NOT NULL' for key in keys)}").fetchone()
    if rows_with_key == distinct:
        return groups + _existing_overlaps(con, staged, keys, existing)
    duplicates = f"dup_{table.name}"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {duplicates} AS SELECT rowid AS rowid_, first_rowid FROM ("
        f"SELECT rowid, min(rowid) OVER (PARTITION BY {key_list}) AS first_rowid FROM {staged.staging} "
        f"WHERE {' AND '.join(f'{key} IS NOT NULL' for key in keys)}) WHERE rowid <> first_rowid"
    )
    count = con.execute(f"SELECT count(*) FROM {duplicates}").fetchone()[0]
    if count:
        rows = con.execute(f"SELECT rowid_, first_rowid FROM {duplicates} ORDER BY rowid_ "
                           f"LIMIT {EXAMPLES_PER_RULE}").fetchall()
        shown = " || ', ' || ".join(f"CAST({key} AS VARCHAR)" for key in keys)
        values = dict(con.execute(f"SELECT rowid, {shown} FROM {staged.staging} WHERE rowid IN "
                                  f"({', '.join(str(row) for row, _ in rows)})").fetchall())
        where = staged.locate(con, [row for pair in rows for row in pair])
        label = staged.label(names)
        examples = [Problem(file=where[row][0], rule="duplicate key", row=where[row][1], column=label,
                            value=values.get(row),
                            reason=f"repeats line {where[first][1]}"
                                   + (f" of {where[first][0]}" if where[first][0] != where[row][0] else "")
                                   + f": one row per ({label})")
                    for row, first in rows]
        groups.append(ProblemGroup(file=examples[0].file, rule="duplicate key", count=count, examples=examples))
    con.execute(f"DROP TABLE {duplicates}")
    return groups + _existing_overlaps(con, staged, keys, existing)


def _existing_overlaps(con: duckdb.DuckDBPyConnection, staged: StagedFile, keys: list[str],
                       existing: str | None) -> list[ProblemGroup]:
    """Keys already in the database (appending): overlapping exports are refused."""
    table = staged.table
    names = ", ".join(table.key)
    # the catalog is re-sent with every export: existing SKUs are updated, not refused as overlaps
    if not existing or table.name == "products":
        return []
    outer = [typed(table.column(name), alias=f"{staged.staging}.") for name in table.key]
    match = " AND ".join(f"{key} = e.{_q(name)}" for key, name in zip(outer, table.key, strict=True))
    bad = f"EXISTS (SELECT 1 FROM {existing}.{table.name} e WHERE {match})"
    count = con.execute(f"SELECT count(*) FROM {staged.staging} WHERE {bad}").fetchone()[0]
    if not count:
        return []
    return [_group(con, staged, "already imported", names, count, bad,
                   f"this ({names}) is already in the database; overlapping exports are refused "
                   "(import only the new days, or use --replace to load the whole shop again)",
                   " || ', ' || ".join(f"CAST({key} AS VARCHAR)" for key in keys))]


def check_references(con: duckdb.DuckDBPyConnection, staged_by_table: dict[str, StagedFile],
                     existing: str | None) -> list[ProblemGroup]:
    """Every sku_id exists in products and every order_items.order_id in orders (folder or database)."""
    groups: list[ProblemGroup] = []
    for table_name, column_name, target_table, target_column in REFERENCES:
        staged = staged_by_table.get(table_name)
        if staged is None or staged.rows == 0 or not staged.usable:
            continue
        sources = []
        target = staged_by_table.get(target_table)
        if target is not None and not target.usable:
            continue  # its own problems are listed; every reference to it failing would only bury them
        if target is not None and staged.within.get(column_name) is target and column_name == target_column:
            continue  # built from that very table's rows: every value is in it
        if target is not None:
            sources.append(f"SELECT trim({_q(target_column)}) AS k FROM {target.staging}")
        if existing:
            sources.append(f"SELECT {_q(target_column)} AS k FROM {existing}.{target_table}")
        known = " UNION ALL ".join(sources) if sources else "SELECT NULL::VARCHAR AS k WHERE false"
        ref = f"trim({_q(column_name)})"
        bad = f"{ref} IS NOT NULL AND {ref} NOT IN (SELECT k FROM known_keys WHERE k IS NOT NULL)"
        con.execute(f"CREATE OR REPLACE TEMP TABLE known_keys AS SELECT DISTINCT k FROM ({known})")
        count = con.execute(f"SELECT count(*) FROM {staged.staging} WHERE {bad}").fetchone()[0]
        if count:
            groups.append(_group(con, staged, "unknown reference", column_name, count, bad,
                                 f"is not an {target_column} found in {target_table}" if target_column[0] in "aeiou"
                                 else f"is not a {target_column} found in {target_table}", _q(column_name)))
        con.execute("DROP TABLE known_keys")
    return groups


def check_appended_order_lines(con: duckdb.DuckDBPyConnection, staged_by_table: dict[str, StagedFile],
                               existing: str | None) -> list[ProblemGroup]:
    """When appending, order lines for an order that is already in the database are refused: they would
    silently change a past day's GMV (orders and their lines arrive together in one export)."""
    staged = staged_by_table.get("order_items")
    if not existing or staged is None or not staged.usable or staged.rows == 0:
        return []
    bad = f"trim({_q('order_id')}) IN (SELECT order_id FROM {existing}.orders)"
    count = con.execute(f"SELECT count(*) FROM {staged.staging} WHERE {bad}").fetchone()[0]
    if not count:
        return []
    return [_group(con, staged, "already imported", "order_id", count, bad,
                   "this order is already in the database; its lines were imported with it "
                   "(import only new orders, or use --replace to load the whole shop again)", _q("order_id"))]
