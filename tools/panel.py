"""The shop as daily arrays: one row per SKU, one column per day, loaded from DuckDB in a few grouped queries."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import ClassVar

import duckdb
import numpy as np

from shopagent.tools.schema import CHANNELS
from shopagent.tools.store import Shop


@dataclass
class Catalog:
    """Products, in sku_id order."""

    sku_ids: list[str]
    titles: list[str]
    categories: list[str]
    list_price: np.ndarray
    unit_cost: np.ndarray
    status: list[str]
    launch_date: list[date]

    def index(self) -> dict[str, int]:
        return {sku_id: position for position, sku_id in enumerate(self.sku_ids)}


@dataclass
class ShopPanel:
    """Daily per-SKU facts for days[0]..days[-1]; NaN where a table has no row (e.g. price on a day off sale)."""

    catalog: Catalog
    days: list[date]
    visitors: np.ndarray  # (sku, day, channel)
    orders: np.ndarray  # (sku, day) orders containing the SKU
    sku_channel_orders: np.ndarray  # (sku, day, channel) the same orders by the channel they came through
    units: np.ndarray
    gmv: np.ndarray
    price: np.ndarray  # price shown that day
    promo_day: np.ndarray  # bool: a promo tag that day
    on_hand: np.ndarray
    inbound: np.ndarray
    competitor_price: np.ndarray
    refund_amount: np.ndarray  # by refund date
    refund_units: np.ndarray
    refund_count: np.ndarray  # refund rows: one per refunded order line, however many units it had
    refund_count_by_order_day: np.ndarray  # the same refunds, on the day their order was placed
    refund_amount_by_order_day: np.ndarray
    refund_count_by_reason: np.ndarray  # (sku, order day, reason) refunds split by `refund_reasons`
    refund_amount_by_reason: np.ndarray
    ad_spend: np.ndarray
    ad_gmv: np.ndarray
    ad_orders: np.ndarray
    ad_clicks: np.ndarray
    daily_budget: np.ndarray  # NaN when the SKU is not in the promotion plan that day
    target_roi: np.ndarray
    review_count: np.ndarray
    review_rating_sum: np.ndarray
    review_rating_squares: np.ndarray
    channel_orders: np.ndarray  # (day, channel), shop level
    channel_gmv: np.ndarray  # (day, channel), shop level
    shop_orders: np.ndarray  # (day,) distinct orders (an order with two SKUs counts once)
    experience_score: np.ndarray  # (day,) NaN if shop_scores absent
    logistics_score: np.ndarray
    refund_lag_days: int = 0  # median days from order to refund: refunds now belong to sales that many days ago
    refund_lag_cdf: np.ndarray = field(default_factory=lambda: np.ones(1))  # share of refunds within k days
    tables_present: dict[str, bool] = field(default_factory=dict)
    refund_reasons: tuple[str, ...] = ()  # the shop's most common refund reasons, then OTHER_REASONS
    # results of costly pure functions of these days (`memoised`), so the fits one plan runs on the same days share
    # them; a cut or a replaced panel starts empty
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # arrays that describe the whole shop's history rather than one value per day; cutting days leaves them be
    NOT_BY_DAY: ClassVar[tuple[str, ...]] = ("refund_lag_cdf",)

    @property
    def total_visitors(self) -> np.ndarray:
        return self.visitors.sum(axis=2)

    def day_slice(self, start: date, end: date) -> slice:
        return slice((start - self.days[0]).days, (end - self.days[0]).days + 1)

    def stockout(self) -> np.ndarray:
        """True on days a SKU could not be sold: nothing on hand at the start of the day and nothing arrived."""
        start_stock = np.concatenate([np.full((self.on_hand.shape[0], 1), np.nan), self.on_hand[:, :-1]], axis=1)
        available = start_stock + np.nan_to_num(self.inbound)
        out = (available <= 0) | ((self.on_hand <= 0) & (self.units == 0))
        return out & ~np.isnan(self.on_hand)


SKU_POSITIONS = "(SELECT sku_id, CAST(row_number() OVER (ORDER BY sku_id) - 1 AS INTEGER) AS position FROM products)"
CHANNEL_POSITION = ("CAST(list_position([" + ", ".join(f"'{channel}'" for channel in CHANNELS)
                    + "], channel) - 1 AS INTEGER)")


def _lag_cdf(lags: list[tuple[int, int]]) -> np.ndarray:
    """Share of refunds that arrive within k days of the order, k = 0, 1, ... (1.0 from the longest lag on)."""
    if not lags:
        return np.ones(1)
    longest = max(max(lag for lag, _ in lags), 0)
    counts = np.zeros(longest + 1)
    for lag, count in lags:
        counts[max(lag, 0)] += count
    return np.cumsum(counts) / counts.sum()


NO_REASON, OTHER_REASONS = "(none)", "(other)"  # codes for a blank reason and for the rarer reasons pooled
REASON_CODE = f"coalesce(nullif(lower(trim(r.reason)), ''), '{NO_REASON}')"
MAX_REFUND_REASONS = 6  # reasons tested one by one; rarer ones are pooled as "other"


def _refund_reasons(con: duckdb.DuckDBPyConnection) -> tuple[str, ...]:
    """The shop's most common refund reasons (normalised codes), most common first, then the rest pooled."""
    rows = con.execute(f"SELECT {REASON_CODE} AS code, count(*) FROM refunds r GROUP BY 1 ORDER BY 2 DESC, 1 "
                       "LIMIT ?", [MAX_REFUND_REASONS]).fetchall()
    return (*(code for code, _ in rows), OTHER_REASONS)


def load_catalog(con: duckdb.DuckDBPyConnection) -> Catalog:
    rows = con.execute("SELECT sku_id, title, category, CAST(list_price AS DOUBLE), CAST(unit_cost AS DOUBLE), "
                       "status, launch_date FROM products ORDER BY sku_id").fetchall()
    return Catalog(
        sku_ids=[row[0] for row in rows], titles=[row[1] for row in rows], categories=[row[2] for row in rows],
        list_price=np.array([row[3] for row in rows], dtype=float),
        unit_cost=np.array([row[4] for row in rows], dtype=float),
        status=[row[5] for row in rows], launch_date=[row[6] for row in rows],
    )


def data_dates(shop: Shop) -> tuple[date, date]:
    """First and last day of traffic: the range every analysis period must fall in."""
    with shop.connect() as con:
        first, last = con.execute("SELECT min(date), max(date) FROM traffic").fetchone()
    if first is None:
        from shopagent.tools.errors import ShopError

        raise ShopError(f"{shop.path} has no traffic rows; import a shop first")
    return first, last


def load_panel(shop: Shop, start: date, end: date, *, order_day_refunds: bool = True) -> ShopPanel:
    """Load every daily fact from `start` to `end` (inclusive) into arrays.

    order_day_refunds=False skips the two joins of refunds to their orders (the refunds by order day and reason, and
    the refund lag; ~0.3 s of a 1,000-SKU shop's 2.2 s) for a caller that never reads them (the promotion plan):
    those arrays are then NaN, the lag CDF too, and the shop has no refund reasons.
    """
    with shop.connect() as con:
        catalog = load_catalog(con)
        n_days = (end - start).days + 1
        shape = (len(catalog.sku_ids), n_days)
        channel_position = {channel: index for index, channel in enumerate(CHANNELS)}
        args = [start, end]

        def grid(fill: float = 0.0) -> np.ndarray:
            return np.full(shape, fill, dtype=float)

        def fetch(sql: str, params: list) -> dict[str, np.ndarray]:
            """Run a query whose first two columns are sku_id and a date `d`; SKU and day come back as
            integer positions (DuckDB maps them, which is far cheaper than a Python dict over 1M+ rows)."""
            wrapped = (f"SELECT k.position AS sku, CAST(date_diff('day', ?::DATE, q.d) AS INTEGER) AS day, "
                       f"q.* EXCLUDE (sku_id, d) FROM ({sql}) q JOIN {SKU_POSITIONS} k USING (sku_id)")
            return con.execute(wrapped, [start, *params]).fetchnumpy()

        def scatter(sql: str, targets: list[np.ndarray], params: list | None = None) -> None:
            result = fetch(sql, params if params is not None else args)
            values = [key for key in result if key not in ("sku", "day")]
            for target, key in zip(targets, values, strict=True):
                target[result["sku"], result["day"]] = np.asarray(result[key], dtype=float)

        visitors = np.zeros((*shape, len(CHANNELS)))
        # one row per (date, sku_id, channel), the table's key (the import rejects a repeated one), so no grouping:
        # it was ~0.12 s of a 1,000-SKU shop's load
        result = fetch(f"SELECT sku_id, date AS d, {CHANNEL_POSITION} AS channel, visitors AS v FROM traffic "
                       "WHERE date BETWEEN ? AND ?", args)
        visitors[result["sku"], result["day"], result["channel"]] = result["v"].astype(float)

        # one pass over order lines, grouped by channel too: an order has exactly one channel, so per-SKU
        # totals are sums over channels and the shop's channel GMV is a sum over SKUs
        # counting distinct orders is twice the cost of counting lines; it is only needed when some order
        # lists the same SKU on two lines, which one cheap aggregate can rule out: distinct hashes of the pair
        # (a third cheaper than distinct pairs) are fewer than the lines whenever a pair repeats, and a hash
        # collision only sends a shop down the exact path
        repeats = con.execute("SELECT count(*) - count(DISTINCT hash(order_id, sku_id)) FROM order_items").fetchone()[0]
        order_count = "count(DISTINCT i.order_id)" if repeats else "count(*)"
        lines = fetch(
            f"SELECT i.sku_id, CAST(o.created_at AS DATE) AS d, {CHANNEL_POSITION} AS channel, {order_count} AS n, "
            "sum(i.quantity) AS q, CAST(sum(i.quantity * i.unit_price) AS DOUBLE) AS g "
            "FROM order_items i JOIN orders o USING (order_id) "
            "WHERE o.created_at >= ? AND o.created_at < ? GROUP BY ALL", [start, end + timedelta(days=1)])
        # one row per (SKU, day, channel): each lands in its own cell, in whatever order DuckDB returns them, and the
        # totals are sums over a fixed axis, so the float sums are the same on every run without sorting the rows
        by_channel = {key: np.zeros((*shape, len(CHANNELS))) for key in ("n", "q", "g")}
        for key, target in by_channel.items():
            target[lines["sku"], lines["day"], lines["channel"]] = lines[key].astype(float)
        orders, units, gmv = (by_channel[key].sum(axis=2) for key in ("n", "q", "g"))
        sku_channel_orders = by_channel["n"]
        channel_gmv = by_channel["g"].sum(axis=0)
        price, promo_day = grid(np.nan), grid()
        scatter("SELECT sku_id, date AS d, CAST(price AS DOUBLE), CAST(promo IS NOT NULL AND promo <> '' AS DOUBLE) "
                "FROM price_history WHERE date BETWEEN ? AND ?", [price, promo_day])
        on_hand, inbound = grid(np.nan), grid(np.nan)
        scatter("SELECT sku_id, date AS d, on_hand, inbound FROM inventory_daily WHERE date BETWEEN ? AND ?",
                [on_hand, inbound])
        competitor_price = grid(np.nan)
        scatter("SELECT sku_id, date AS d, CAST(competitor_price AS DOUBLE) FROM competitor_prices "
                "WHERE date BETWEEN ? AND ?", [competitor_price])
        refund_amount, refund_units, refund_count = grid(), grid(), grid()
        scatter("SELECT sku_id, CAST(refunded_at AS DATE) AS d, CAST(sum(amount) AS DOUBLE), sum(quantity), "
                "count(*) FROM refunds WHERE refunded_at >= ? AND refunded_at < ? GROUP BY ALL",
                [refund_amount, refund_units, refund_count], [start, end + timedelta(days=1)])
        if order_day_refunds:
            refund_reasons = _refund_reasons(con)
            refund_count_by_reason = np.zeros((*shape, len(refund_reasons)))
            refund_amount_by_reason = np.zeros((*shape, len(refund_reasons)))
            refunds = fetch(
                f"SELECT r.sku_id, CAST(o.created_at AS DATE) AS d, "
                f"CAST(coalesce(list_position(?::VARCHAR[], {REASON_CODE}), ?) - 1 AS INTEGER) AS reason, "
                "count(*) AS n, CAST(sum(r.amount) AS DOUBLE) AS amount "
                "FROM refunds r JOIN orders o USING (order_id) WHERE o.created_at >= ? AND o.created_at < ? "
                "GROUP BY ALL", [list(refund_reasons[:-1]), len(refund_reasons), start, end + timedelta(days=1)])
            for target, key in ((refund_count_by_reason, "n"), (refund_amount_by_reason, "amount")):
                target[refunds["sku"], refunds["day"], refunds["reason"]] = np.asarray(refunds[key], dtype=float)
            refund_count_by_order_day = refund_count_by_reason.sum(axis=2)
            refund_amount_by_order_day = refund_amount_by_reason.sum(axis=2)
            lags = con.execute(
                "SELECT date_diff('day', CAST(o.created_at AS DATE), CAST(r.refunded_at AS DATE)) AS lag, count(*) "
                "FROM refunds r JOIN orders o USING (order_id) GROUP BY ALL ORDER BY lag").fetchall()
            lag_cdf = _lag_cdf(lags)
            lag = int(np.searchsorted(lag_cdf, 0.5)) if lags else None
        else:  # not loaded: NaN, so a reader that should have asked for them cannot miss it
            refund_reasons = ()
            refund_count_by_reason, refund_amount_by_reason = np.zeros((*shape, 0)), np.zeros((*shape, 0))
            refund_count_by_order_day, refund_amount_by_order_day = grid(np.nan), grid(np.nan)
            lag_cdf, lag = np.full(1, np.nan), None
        ad_spend, ad_gmv, ad_orders, ad_clicks = grid(), grid(), grid(), grid()
        daily_budget, target_roi = grid(np.nan), grid(np.nan)
        scatter("SELECT sku_id, date AS d, CAST(spend AS DOUBLE), CAST(ad_gmv AS DOUBLE), ad_orders, clicks, "
                "CAST(daily_budget AS DOUBLE), target_roi FROM promotion_daily WHERE date BETWEEN ? AND ?",
                [ad_spend, ad_gmv, ad_orders, ad_clicks, daily_budget, target_roi])
        review_count, review_rating_sum, review_rating_squares = grid(), grid(), grid()
        scatter("SELECT sku_id, CAST(created_at AS DATE) AS d, count(*), sum(rating), sum(rating * rating) "
                "FROM reviews WHERE created_at >= ? AND created_at < ? GROUP BY ALL",
                [review_count, review_rating_sum, review_rating_squares], [start, end + timedelta(days=1)])

        channel_orders = np.zeros((n_days, len(CHANNELS)))
        for d, channel, n in con.execute(
            "SELECT CAST(created_at AS DATE), channel, count(*) FROM orders "
            "WHERE created_at >= ? AND created_at < ? GROUP BY ALL", [start, end + timedelta(days=1)]
        ).fetchall():
            channel_orders[(d - start).days, channel_position[channel]] = n
        shop_orders = channel_orders.sum(axis=1)
        experience_score = np.full(n_days, np.nan)
        logistics_score = np.full(n_days, np.nan)
        for d, experience, logistics in con.execute(
            "SELECT date, experience_score, logistics_score FROM shop_scores WHERE date BETWEEN ? AND ?", args
        ).fetchall():
            experience_score[(d - start).days] = experience
            logistics_score[(d - start).days] = logistics
        present = {table: con.execute(f"SELECT count(*) > 0 FROM {table}").fetchone()[0]
                   for table in ("refunds", "competitor_prices", "shop_scores", "reviews", "promotion_daily")}
    return ShopPanel(
        catalog=catalog, days=[start + timedelta(days=offset) for offset in range(n_days)],
        visitors=visitors, orders=orders, sku_channel_orders=sku_channel_orders,
        units=units, gmv=gmv, price=price, promo_day=promo_day.astype(bool),
        on_hand=on_hand, inbound=inbound, competitor_price=competitor_price, refund_amount=refund_amount,
        refund_units=refund_units, refund_count=refund_count,
        ad_spend=ad_spend, ad_gmv=ad_gmv, ad_orders=ad_orders, ad_clicks=ad_clicks,
        daily_budget=daily_budget, target_roi=target_roi, review_count=review_count,
        review_rating_sum=review_rating_sum, review_rating_squares=review_rating_squares,
        channel_orders=channel_orders, channel_gmv=channel_gmv,
        shop_orders=shop_orders, experience_score=experience_score, logistics_score=logistics_score,
        refund_count_by_order_day=refund_count_by_order_day, refund_amount_by_order_day=refund_amount_by_order_day,
        refund_count_by_reason=refund_count_by_reason, refund_amount_by_reason=refund_amount_by_reason,
        refund_lag_days=lag if lag is not None else 0, refund_lag_cdf=lag_cdf, tables_present=present,
        refund_reasons=refund_reasons,
    )


def carried_forward(prices: np.ndarray) -> np.ndarray:
    """Each row's days without a price (NaN or <= 0: a missed scrape) given the last price seen before them,
    or the first one seen when none came before; a row with no price at all stays NaN."""
    seen = np.isfinite(prices) & (np.nan_to_num(prices) > 0)
    days = prices.shape[1]
    index = np.maximum.accumulate(np.where(seen, np.arange(days), -1), axis=1)
    index = np.where(index < 0, np.argmax(seen, axis=1)[:, None], index)
    filled = np.take_along_axis(prices, index, axis=1)
    return np.where(seen.any(axis=1)[:, None], filled, np.nan)


def memoised(panel: ShopPanel, key: tuple, compute):  # noqa: ANN001, ANN201 - any pure function of the panel
    """`compute()`'s result, computed once per panel and key; arrays come back read-only, as callers share them."""
    if key not in panel.memo:
        value = compute()
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        panel.memo[key] = value
    return panel.memo[key]


def cut_days(panel: ShopPanel, start: int, stop: int) -> ShopPanel:
    """Days [start, stop) of a panel, equal to loading just those days (a back-test cuts its history this way);
    all of its days are the panel itself, whose memo the caller then shares."""
    n_skus, n_days = len(panel.catalog.sku_ids), len(panel.days)
    if start == 0 and stop == n_days:
        return panel
    cut = {}
    for item in dataclasses.fields(panel):
        value = getattr(panel, item.name)
        if not isinstance(value, np.ndarray) or item.name in ShopPanel.NOT_BY_DAY:
            continue
        if value.ndim >= 2 and value.shape[:2] == (n_skus, n_days):
            cut[item.name] = value[:, start:stop]  # (sku, day[, channel])
        elif value.shape[0] == n_days:
            cut[item.name] = value[start:stop]  # (day[, channel]), shop level
        else:
            raise ValueError(f"ShopPanel.{item.name} has shape {value.shape}, with no day axis to cut")
    return dataclasses.replace(panel, days=panel.days[start:stop], **cut)
