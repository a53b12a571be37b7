"""Platform exports -> contract tables: union each layout's files, refuse overlaps, assemble the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from pydantic import BaseModel

from shopagent.tools.errors import Problem, ProblemGroup
from shopagent.tools.platform_formats import Layout
from shopagent.tools.platform_read import SPREADSHEETS, SourceFile, read_source, traced
from shopagent.tools.schema import TABLES_BY_NAME
from shopagent.tools.sources import StagedFile
from shopagent.tools.validation import EXAMPLES_PER_RULE, check_keys, check_rows, held_by_source

# which contract table each dataset fills, and what it needs beside it
FEEDS = {"orders": ("orders",), "order_lines": ("order_items",), "order_rows": ("orders", "order_items"),
         "ad_report": ("promotion_daily",), "plan_settings": (), "refunds": ("refunds",),
         "traffic_sources": ("traffic",), "item_kpis": ("traffic",)}
# a file this close to a layout is that layout with columns missing, not some other download
CLOSE_ENOUGH = 0.5


class PlatformFile(BaseModel):
    """How one platform export was read: its layout and the tables it fills, or the closest layout."""

    file: str
    layout: str | None
    encoding: str
    header_line: int | None
    tables: list[str]
    rows: int
    closest: str | None = None
    missing_columns: list[str] = []


@dataclass
class PlatformRead:
    sources: list[SourceFile]
    staged: dict[str, StagedFile] = field(default_factory=dict)
    groups: list[ProblemGroup] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def tables(self) -> set[str]:
        """Contract tables the recognised files fill."""
        return {table for source in self.sources if source.layout for table in FEEDS[source.layout.dataset]}

    def files(self) -> list[PlatformFile]:
        return [PlatformFile(file=source.path.name, layout=source.layout.title if source.layout else None,
                             encoding=source.encoding, header_line=source.header_line or None,
                             tables=list(FEEDS[source.layout.dataset]) if source.layout else [],
                             rows=source.staged.rows if source.staged else 0,
                             closest=source.closest.title if source.closest else None,
                             missing_columns=source.missing)
                for source in self.sources]


def is_candidate(path: Path) -> bool:
    """A file that may be a platform export (contract files and brand.toml are read elsewhere)."""
    if path.name.startswith(".") or path.suffix.lower() not in (".csv", ".txt", *SPREADSHEETS):
        return False
    return path.stem.lower() not in TABLES_BY_NAME


def read_platform_files(con: duckdb.DuckDBPyConnection, paths: list[Path], workdir: Path) -> PlatformRead:
    """Read and check every platform export at its source; the contract tables are assembled later."""
    read = PlatformRead(sources=[read_source(con, path, workdir, index) for index, path in enumerate(paths)])
    for source in read.sources:
        read.groups.extend(_single(problem) for problem in source.problems)
        if source.layout is None and source.closest is not None and not source.problems:
            share = 1 - len(source.missing) / len(source.closest.required)
            if share >= CLOSE_ENOUGH:
                read.groups.append(_single(Problem(
                    file=source.path.name, rule="missing column", row=source.header_line,
                    column=", ".join(source.missing),
                    reason=f"looks like {source.closest.title} but lacks {', '.join(source.missing)}; "
                           + ("; ".join(source.closest.hints(source.missing))
                              or "download it again with every column (or remove the file)"))))
        if source.staged is not None and not source.problems:
            read.groups.extend(check_rows(con, source.staged))
            read.groups.extend(check_keys(con, source.staged, None))
    if not read.groups:
        for dataset, sources in _by_dataset(read.sources).items():
            _union(con, dataset, sources)
            read.groups.extend(_overlaps(con, dataset, sources))
    return read


def assemble(con: duckdb.DuckDBPyConnection, read: PlatformRead, contract: dict[str, StagedFile]) -> None:
    """Build `raw_<table>` for each table the exports fill, every row traced to its source line."""
    datasets = _by_dataset(read.sources)
    if read.groups or not datasets:
        return
    if "item_kpis" in datasets and ("traffic_sources" in datasets or "traffic" in contract):
        # the per-channel split is the better source; the item sheet's visitors would count them again
        datasets.pop("item_kpis")
        read.notes.append("生意参谋 商品_全部 was not read for traffic: the channel split beside it was")
    filled = {table for dataset in datasets for table in FEEDS[dataset]}
    for table in sorted(filled & set(contract)):
        first = next(source for dataset, sources in datasets.items() if table in FEEDS[dataset]
                     for source in sources)
        read.groups.append(_single(Problem(
            file=first.path.name, rule="ambiguous file",
            reason=f"{contract[table].path.name} and this {first.layout.title} both fill '{table}'; keep one")))
    fed: dict[str, SourceFile] = {}
    for dataset, sources in datasets.items():
        other = next((source for source in sources if source.layout != sources[0].layout), None)
        if other is not None:
            read.groups.append(_single(Problem(
                file=other.path.name, rule="ambiguous file",
                reason=f"this {other.layout.title} and {sources[0].path.name} ({sources[0].layout.title}) hold "
                       "the same kind of rows from different exports; import one platform at a time")))
        for table in FEEDS[dataset]:
            if table in fed and fed[table].layout.dataset != dataset:
                read.groups.append(_single(Problem(
                    file=sources[0].path.name, rule="ambiguous file",
                    reason=f"this {sources[0].layout.title} and {fed[table].path.name} "
                           f"({fed[table].layout.title}) both fill '{table}'; import one platform at a time")))
            fed.setdefault(table, sources[0])
    if read.groups:
        return
    if "order_rows" in datasets:
        _order_rows(con, datasets["order_rows"][0].layout)
        rows = datasets["order_rows"]
        fields = {item.name for item in rows[0].layout.fields}
        read.staged["orders"] = _staged(con, "orders", rows, ("order_id",),
                                        **({} if "channel" in fields else {"channel": "(not in the export)"}))
        read.staged["order_items"] = _staged(con, "order_items", rows, ("order_id", "sku_id", "quantity"))
        # raw_orders groups the very rows the lines are: every line's order is there
        read.staged["order_items"].within["order_id"] = read.staged["orders"]
        buyer = "" if "customer_id" in fields else \
            "no buyer: each order is its own customer (repeat-buyer figures see none)"
        said = [] if "channel" in fields else ["no channel (orders.channel is 'other')"]
        if said or buyer:
            read.notes.append(f"{rows[0].layout.title} names " + " and ".join(said + ([buyer] if buyer else [])))
    if "orders" in datasets:
        layout = datasets["orders"][0].layout
        _orders(con, layout, _in_file_order(datasets["orders"]))
        read.staged["orders"] = _staged(con, "orders", datasets["orders"], ("order_id", "created_at", "province"),
                                        channel="(not in the export)")
        read.notes.append("orders.channel is 'other': 千牛 order reports do not say which channel brought "
                          "the buyer, so channel GMV findings see every order as 'other'")
    if "order_lines" in datasets:
        if "orders" not in datasets:
            source = datasets["order_lines"][0]
            read.groups.append(_single(Problem(
                file=source.path.name, rule="missing file",
                reason="a 宝贝报表 needs its 订单报表 (ExportOrderList) beside it: which orders were paid, and "
                       "what was paid, are in the order report")))
            return
        read.groups.extend(_order_items(con, datasets["orders"][0].layout,
                                        _in_file_order(datasets["order_lines"], joined=True)))
        read.staged["order_items"] = _staged(con, "order_items", datasets["order_lines"],
                                             ("order_id", "sku_id", "quantity"))
        # only the lines of the sold orders are kept, the orders raw_orders holds
        read.staged["order_items"].within["order_id"] = read.staged["orders"]
    if "ad_report" in datasets:
        layout = datasets["ad_report"][0].layout
        problems = _promotion(con, layout, "plan_settings" in datasets)
        read.groups.extend(problems)
        if not all("ad_orders" in source.staged.column_labels for source in datasets["ad_report"]):
            read.notes.append(f"promotion_daily.ad_orders is 0 where {layout.title} has no 成交笔数 column: "
                              "the promotion finding compares ad orders and sees none there; download the "
                              "report with 成交笔数")
        read.staged["promotion_daily"] = _staged(con, "promotion_daily", datasets["ad_report"], ("date", "sku_id"),
                                                 daily_budget="日预算", target_roi="目标投产比")
    if "traffic_sources" in datasets:
        _traffic(con, datasets["traffic_sources"][0].layout)
        read.staged["traffic"] = _staged(con, "traffic", datasets["traffic_sources"], ("date", "sku_id"),
                                         channel="二级流量来源", impressions="(not in the export)")
        read.notes.append("traffic.impressions is the visitors: 生意参谋 流量来源 sheets carry no impressions "
                          "(no analysis reads them)")
    if "item_kpis" in datasets:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE raw_traffic AS
            SELECT date, sku_id, 'other' AS channel, visitors AS impressions, visitors, add_to_cart, _file, _line
            FROM ds_item_kpis WHERE sku_id <> '-' ORDER BY date, sku_id""")
        read.staged["traffic"] = _staged(con, "traffic", datasets["item_kpis"], ("date", "sku_id"),
                                         channel="(one channel: other)", impressions="商品访客数")
        read.notes.append("traffic comes from 生意参谋 商品_全部: one channel ('other') per item and day, "
                          "impressions = visitors; add a 商品流量来源 sheet for the channel split")
    if "refunds" in datasets:
        _refunds(con, datasets["refunds"][0].layout, "order_items" in contract or "order_items" in read.staged,
                 _in_file_order(datasets["refunds"], joined=True))
        read.staged["refunds"] = _staged(con, "refunds", datasets["refunds"],
                                         ("order_id", "sku_id", "refunded_at", "amount"))


def _by_dataset(sources: list[SourceFile]) -> dict[str, list[SourceFile]]:
    grouped: dict[str, list[SourceFile]] = {}
    for source in sources:
        if source.layout is not None and source.staged is not None:
            grouped.setdefault(source.layout.dataset, []).append(source)
    return grouped


def _union(con: duckdb.DuckDBPyConnection, dataset: str, sources: list[SourceFile]) -> None:
    # a view, not a copy: the staged downloads of a big shop take gigabytes already
    parts = " UNION ALL BY NAME ".join(f"SELECT * FROM {source.staged.staging}" for source in sources)
    con.execute(f"CREATE OR REPLACE TEMP VIEW ds_{dataset} AS {parts}")


def release(con: duckdb.DuckDBPyConnection, read: PlatformRead) -> None:
    """Drop the staged downloads once the contract tables are built from them (memory, on a big shop)."""
    for dataset in _by_dataset(read.sources):
        con.execute(f"DROP VIEW IF EXISTS ds_{dataset}")
    for source in read.sources:
        if source.staged is not None:
            con.execute(f"DROP TABLE IF EXISTS {source.staged.staging}")


def _overlaps(con: duckdb.DuckDBPyConnection, dataset: str, sources: list[SourceFile]) -> list[ProblemGroup]:
    """The same day (or order) in two downloads is refused: summing both would count it twice."""
    key = sources[0].layout.overlap
    if key is None or len(sources) < 2:
        return []
    rows = con.execute(
        f"SELECT {key}, list(DISTINCT _file ORDER BY _file), min(_line) FROM ds_{dataset} WHERE {key} IS NOT NULL "
        f"GROUP BY {key} HAVING count(DISTINCT _file) > 1 ORDER BY {key}").fetchall()
    if not rows:
        return []
    label = sources[0].staged.label(key)
    examples = [Problem(file=files[-1], rule="overlapping exports", column=label, value=str(value),
                        reason=f"{label} {value} is also in {', '.join(files[:-1])}: the downloads overlap "
                               "(a 7-day report beside daily ones, or one range downloaded twice); keep one "
                               "file per period so nothing is counted twice")
                for value, files, _ in rows[:EXAMPLES_PER_RULE]]
    return [ProblemGroup(file=examples[0].file, rule="overlapping exports", count=len(rows), examples=examples)]


def _statuses(layout: Layout) -> str:
    return ", ".join(_lit(status) for status in layout.rules.get("not_sales", [])) or "NULL"


def _sales(layout: Layout) -> str:
    return f"paid_at IS NOT NULL AND coalesce(status, '') NOT IN ({_statuses(layout)})"


def _in_file_order(sources: list[SourceFile], joined: bool = False) -> str:
    """The ORDER BY that puts rows in their downloads' order. A filter keeps one download's rows in file order
    (DuckDB preserves insertion order) and needs none; a join does not keep it, and for one download sorts by
    the line alone (cheaper than by file name and line: millions of rows)."""
    if len(sources) > 1:
        return "ORDER BY _file, _line"
    return "ORDER BY _line" if joined else ""


def _orders(con: duckdb.DuckDBPyConnection, layout: Layout, ordered: str) -> None:
    con.execute(
        # the 2026 xlsx with chosen columns may leave out 买家会员名: each such order is its own customer
        "CREATE OR REPLACE TEMP TABLE raw_orders AS SELECT order_id, created_at, coalesce(customer_id, order_id) "
        "AS customer_id, "
        f"'other' AS channel, province, _file, _line FROM ds_orders WHERE {_sales(layout)} {ordered}")


def _order_rows(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    """One row per order and item (拼多多, 千牛 子订单 export): orders and their lines from the same rows."""
    fields = {item.name for item in layout.fields}
    paid = "paid_at IS NOT NULL AND " if "paid_at" in fields else ""
    buyer = "coalesce(min(customer_id), order_id)" if "customer_id" in fields else "order_id"
    province = "min(province)" if "province" in fields else "NULL"
    postage = "coalesce(CAST(postage AS DOUBLE), 0)" if "postage" in fields else "0"
    # an export that says where each order came from (抖店 流量体裁) maps it like the traffic sources
    channel = f"first({_channel(layout, 'channel')} ORDER BY _line)" if "channel" in fields else "'other'"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE sold_rows AS
        SELECT *, coalesce(created_at, strftime(try_strptime(left(order_id, 6), '%y%m%d'), '%Y-%m-%d %H:%M:%S'))
                  AS placed_at
        FROM ds_order_rows WHERE {paid}coalesce(status, '') NOT IN ({_statuses(layout)})""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_orders AS
        SELECT order_id, min(placed_at) AS created_at, {buyer} AS customer_id, {channel} AS channel,
               {province} AS province, min(_file) AS _file, min(_line) AS _line
        FROM sold_rows GROUP BY order_id ORDER BY _file, _line""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_order_items AS
        SELECT order_id, sku_id, quantity,
               CAST(CAST(round((CAST(paid AS DOUBLE) - {postage})
                               / nullif(CAST(quantity AS DOUBLE), 0), 2) AS DECIMAL(18,2)) AS VARCHAR) AS unit_price,
               _file, _line
        FROM sold_rows ORDER BY _file, _line""")
    con.execute("DROP TABLE sold_rows")


def _order_items(con: duckdb.DuckDBPyConnection, orders: Layout, ordered: str) -> list[ProblemGroup]:
    """Lines of sold orders; the paid unit price from the line, or the order's goods amount shared by list price."""
    groups = []
    orphans = con.execute("SELECT order_id, _file, _line FROM ds_order_lines WHERE order_id NOT IN "
                          "(SELECT order_id FROM ds_orders) ORDER BY _file, _line").fetchall()
    if orphans:
        examples = [Problem(file=file, rule="unknown order", row=line, column="订单编号", value=order_id,
                            reason="is in no 订单报表 of the folder; download both reports for the same period")
                    for order_id, file, line in orphans[:EXAMPLES_PER_RULE]]
        groups.append(ProblemGroup(file=examples[0].file, rule="unknown order", count=len(orphans),
                                   examples=examples))
    sold = f"SELECT order_id FROM ds_orders WHERE {_sales(orders)}"
    if not con.execute("SELECT count_if(paid IS NULL) FROM ds_order_lines").fetchone()[0]:
        # every line says what was paid for it (the usual 宝贝报表): no share of the order's amount to work out
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE raw_order_items AS
            SELECT order_id, sku_id, quantity,
                   CAST(CAST(round(CAST(paid AS DOUBLE) / nullif(CAST(quantity AS DOUBLE), 0), 2) AS DECIMAL(18,2))
                        AS VARCHAR) AS unit_price, _file, _line
            FROM ds_order_lines WHERE order_id IN ({sold}) {ordered}""")
        return groups
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_order_items AS
        WITH sold AS (
            SELECT order_id, CAST(paid AS DECIMAL(18,2)) - coalesce(CAST(postage AS DECIMAL(18,2)), 0) AS goods
            FROM ds_orders WHERE {_sales(orders)}),
        lines AS (
            SELECT l.*, s.goods, CAST(l.quantity AS DOUBLE) AS units,
                   CAST(l.list_price AS DOUBLE) * CAST(l.quantity AS DOUBLE) AS listed,
                   sum(CAST(l.list_price AS DOUBLE) * CAST(l.quantity AS DOUBLE)) OVER (PARTITION BY l.order_id)
                       AS order_listed
            FROM ds_order_lines l JOIN sold s USING (order_id))
        SELECT order_id, sku_id, quantity,
               CAST(CAST(round(CASE WHEN paid IS NOT NULL THEN CAST(paid AS DOUBLE) / nullif(units, 0)
                                    ELSE CAST(goods AS DOUBLE) * listed / nullif(order_listed, 0) / nullif(units, 0)
                               END, 2) AS DECIMAL(18,2)) AS VARCHAR) AS unit_price,
               _file, _line
        FROM lines {ordered}""")
    return groups


def _promotion(con: duckdb.DuckDBPyConnection, layout: Layout, have_settings: bool) -> list[ProblemGroup]:
    """Full-site rows summed per item and day; budget and target ROI from the plan settings."""
    scenes = ", ".join(_lit(scene) for scene in layout.rules.get("full_site_scenes", []))
    # a report without a scene column (拼多多 商品数据) is promotion of its goods on every row
    promoted = f"r.scene IN ({scenes or 'NULL'})" if "scene" in {item.name for item in layout.fields} else "true"
    settings = ("SELECT plan_id, date, CAST(daily_budget AS DECIMAL(18,2)) AS budget, "
                "CAST(target_roi AS DOUBLE) AS roi FROM ds_plan_settings") if have_settings else \
        "SELECT NULL::VARCHAR AS plan_id, NULL::VARCHAR AS date, NULL::DECIMAL(18,2) AS budget, NULL::DOUBLE AS roi"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE ad_rows AS
        WITH s AS ({settings})
        SELECT r.*, coalesce(d.budget, a.budget) AS budget, coalesce(d.roi, a.roi) AS roi
        FROM ds_ad_report r
        LEFT JOIN s d ON d.plan_id = r.plan_id AND d.date = r.date
        LEFT JOIN s a ON a.plan_id = r.plan_id AND a.date IS NULL
        WHERE {promoted}""")
    unset = con.execute("SELECT plan_id, first(sku_id ORDER BY _file, _line), first(_file ORDER BY _file, _line), "
                        "min(_line), count(*) FROM ad_rows WHERE budget IS NULL OR roi IS NULL "
                        "GROUP BY plan_id ORDER BY plan_id").fetchall()
    groups = []
    if unset:
        examples = [Problem(file=file, rule="missing plan settings", row=line, column="计划ID", value=plan,
                            reason=f"full-site plan (item {sku}, {rows} day(s)) has no 日预算 / 目标投产比: "
                                   f"the {layout.title} does not carry them; add the plan settings (a file with "
                                   "计划ID, 日预算, 目标投产比 and optionally 日期) to the folder")
                    for plan, sku, file, line, rows in unset[:EXAMPLES_PER_RULE]]
        groups.append(ProblemGroup(file=examples[0].file, rule="missing plan settings", count=len(unset),
                                   examples=examples))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_promotion_daily AS
        SELECT date, sku_id, CAST(sum(budget) AS VARCHAR) AS daily_budget,
               CAST(CASE WHEN count(DISTINCT roi) = 1 THEN min(roi)
                         ELSE sum(roi * CAST(spend AS DOUBLE)) / nullif(sum(CAST(spend AS DOUBLE)), 0) END
                    AS VARCHAR) AS target_roi,
               CAST(sum(CAST(spend AS DECIMAL(18,2))) AS VARCHAR) AS spend,
               {_count_sum('impressions')} AS impressions, {_count_sum('clicks')} AS clicks,
               {_count_sum("coalesce(ad_orders, '0')")} AS ad_orders,
               CAST(sum(CAST(ad_gmv AS DECIMAL(18,2))) AS VARCHAR) AS ad_gmv,
               min(_file) AS _file, min(_line) AS _line
        FROM ad_rows GROUP BY date, sku_id ORDER BY date, sku_id""")
    con.execute("DROP TABLE ad_rows")
    return groups


def _traffic(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    """Visitors by source mapped to channels and summed per item, day and channel (二级 totals only)."""
    channel = _channel(layout, "source")
    totals = ", ".join(_lit(name) for name in layout.rules.get("totals", [])) or "NULL"
    detail = f"(detail IS NULL OR detail IN ({totals}))" if "detail" in {item.name for item in layout.fields} \
        else "true"
    cart = "add_to_cart" if "add_to_cart" in {item.name for item in layout.fields} else "'0'"
    # min(_file) is the first download by name, as first(_file ORDER BY _file, _line) is, without the sort per
    # group an ordered aggregate costs (a fifth of this query on a big shop); so in the other sums
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_traffic AS
        SELECT date, sku_id, {channel} AS channel, {_count_sum('visitors')} AS impressions,
               {_count_sum('visitors')} AS visitors, {_count_sum(f"coalesce({cart}, '0')")} AS add_to_cart,
               min(_file) AS _file, min(_line) AS _line
        FROM ds_traffic_sources WHERE {detail} GROUP BY ALL ORDER BY date, sku_id, channel""")


def _channel(layout: Layout, column: str) -> str:
    """The contract channel of a source name in `column`, as the format file maps them (unlisted: other)."""
    mapped = " ".join(f"WHEN {column} IN ({', '.join(_lit(name) for name in names)}) THEN {_lit(channel)}"
                      for channel, names in layout.channels.items())
    return f"CASE {mapped} ELSE 'other' END" if mapped else "'other'"


def _refunds(con: duckdb.DuckDBPyConnection, layout: Layout, have_lines: bool, ordered: str) -> None:
    success = ", ".join(_lit(status) for status in layout.rules.get("success", []))
    coded = " ".join(f"WHEN {' OR '.join(f'contains(reason, {_lit(word)})' for word in words)} THEN {_lit(code)}"
                     for code, words in layout.reasons.items())
    reason = f"CASE {coded} ELSE reason END" if coded else "reason"
    if have_lines:
        # the prices of refunded orders' lines only (a tenth of a big shop's lines): the same match for every refund
        prices = ("SELECT order_id, sku_id, min(CAST(unit_price AS DOUBLE)) AS unit_price FROM raw_order_items "
                  "WHERE order_id IN (SELECT order_id FROM ds_refunds) GROUP BY ALL")
    else:
        prices = "SELECT NULL::VARCHAR AS order_id, NULL::VARCHAR AS sku_id, NULL::DOUBLE AS unit_price"
    price = f"LEFT JOIN ({prices}) p USING (order_id, sku_id)"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE raw_refunds AS
        SELECT order_id, sku_id, refunded_at,
               CAST(greatest(1, CAST(round(CAST(amount AS DOUBLE) / nullif(unit_price, 0)) AS BIGINT)) AS VARCHAR)
                   AS quantity,
               amount, {reason} AS reason, _file, _line
        FROM ds_refunds {price}
        WHERE status IN ({success or 'NULL'}) {ordered}""")


def _staged(con: duckdb.DuckDBPyConnection, table: str, sources: list[SourceFile], copied: tuple[str, ...] = (),
            **labels: str) -> StagedFile:
    """The built `raw_<table>`; `copied` are its columns that hold their source field's checked text unchanged
    (a filter, a join or a GROUP BY key), so the contract rules that field already passed are not run again."""
    contract = TABLES_BY_NAME[table]
    known = {**sources[0].staged.column_labels, **labels}
    staged = traced(con, contract, sources[0], {name: known.get(name, name) for name in contract.column_names})
    # the sources were checked (assemble runs only when they all passed) and share one layout's fields
    staged.held_rules = held_by_source(contract, sources[0].staged.table, copied)
    return staged


def _count_sum(column: str) -> str:
    total = f"sum(CAST({column} AS DOUBLE))"
    return (f"CASE WHEN {total} = floor({total}) THEN CAST(CAST({total} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({total} AS VARCHAR) END")


def _single(problem: Problem) -> ProblemGroup:
    return ProblemGroup(file=problem.file, rule=problem.rule, count=1, examples=[problem])


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
