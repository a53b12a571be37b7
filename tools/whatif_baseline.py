"""The baseline of a what-if: each SKU's recent run rate, how far run rates drift, and stockout demotion.

A run rate is a SKU's average day over its in-stock days of the last four weeks. How much such a rate
strays over the coming days is back-tested on the shop's own history (`run_rate_drift`), and how hard the
platform cuts organic traffic once a shelf is empty is read from the shop's own stockout days
(`stockout_traffic_factor`). The pricing and assortment planners start from the same run rates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from shopagent.tools.elasticity import PromoTags
from shopagent.tools.errors import ShopError
from shopagent.tools.panel import ShopPanel
from shopagent.tools.schema import CHANNELS

RUN_RATE_DAYS = 28
HISTORY_DAYS = 365
PROMOTION = CHANNELS.index("promotion")
ORGANIC = [index for index, channel in enumerate(CHANNELS) if channel != "promotion"]


@dataclass
class RunRates:
    """Each SKU's recent daily averages over its in-stock days: the baseline of every what-if."""

    as_of: date
    days_in_stock: np.ndarray  # (sku,)
    units: np.ndarray  # per day
    orders: np.ndarray
    gmv: np.ndarray
    visitors: np.ndarray  # (sku, channel) per day
    ad_spend: np.ndarray
    ad_gmv: np.ndarray
    log_se: np.ndarray  # standard error of log(units per day) from day-to-day variation
    price: np.ndarray  # the regular (untagged) price now
    paid_factor: np.ndarray  # price paid / price shown (extra coupons), per SKU
    on_hand: np.ndarray  # units at the end of as_of (NaN without inventory rows)
    daily_budget: np.ndarray  # promotion budget on as_of, NaN if not in the plan
    target_roi: np.ndarray
    on_sale: np.ndarray  # (sku,) bool: active and priced on as_of
    basket: float  # shop orders / SKU order lines: a two-SKU order is one order
    refund_share: np.ndarray  # (sku,) share of GMV refunded, from orders old enough to have all their refunds


def regular_price(panel: ShopPanel, tags: PromoTags, end: int) -> np.ndarray:
    """Each SKU's latest price on a day without a promotion tag, up to day index `end` (exclusive)."""
    price = panel.price[:, :end]
    plain = np.isfinite(price) & (tags.codes[:, :end] == 0)
    seen = np.isfinite(price)
    pick = np.where(plain.any(axis=1)[:, None], plain, seen)
    last = end - 1 - np.argmax(pick[:, ::-1], axis=1)
    return np.where(pick.any(axis=1), price[np.arange(price.shape[0]), last], np.nan)


def run_rates(panel: ShopPanel, tags: PromoTags, *, as_of: date, days: int = RUN_RATE_DAYS) -> RunRates:
    """Daily run rates over the in-stock days of the last `days` days up to `as_of`."""
    end = (as_of - panel.days[0]).days + 1
    if not 0 < end <= len(panel.days):
        raise ShopError(f"{as_of} is outside the loaded data ({panel.days[0]}..{panel.days[-1]})")
    start = max(0, end - days)
    out = panel.stockout()
    window = np.zeros(panel.units.shape, dtype=bool)
    window[:, start:end] = True
    selling = window & ~out & np.isfinite(panel.price)
    # a SKU that was out most of the window: its last in-stock weeks say more than a handful of days
    thin = selling.sum(axis=1) < 7
    if thin.any():
        wide = np.zeros_like(window)
        wide[:, max(0, end - 3 * days):end] = True
        selling[thin] = (wide & ~out & np.isfinite(panel.price))[thin]
    count = selling.sum(axis=1)
    n = np.maximum(count, 1)

    def per_day(values: np.ndarray) -> np.ndarray:
        return np.where(selling, values, 0.0).sum(axis=1) / n

    units = per_day(panel.units)
    daily = np.where(selling, panel.units, 0.0)
    spread = np.sqrt(np.maximum(((daily - units[:, None]) ** 2 * selling).sum(axis=1) / np.maximum(count - 1, 1),
                                units))  # never below Poisson noise
    log_se = np.where((units > 0) & (count > 1), spread / np.sqrt(n) / np.maximum(units, 1e-9), 0.0)
    shown = np.where(selling, np.nan_to_num(panel.price) * panel.units, 0.0).sum(axis=1)
    gmv = per_day(panel.gmv)
    paid_factor = np.where(shown > 0, gmv * n / np.where(shown > 0, shown, 1.0), 1.0)
    visitors = np.where(selling[:, :, None], panel.visitors, 0.0).sum(axis=1) / n[:, None]
    last = end - 1
    sku_orders = panel.orders[:, start:end].sum()
    basket = float(panel.shop_orders[start:end].sum() / sku_orders) if sku_orders > 0 else 1.0
    active = np.array([status == "active" for status in panel.catalog.status])
    # refunds trail sales by days: only orders placed at least the longest refund delay ago count fully
    matured = max(end - len(panel.refund_lag_cdf), 0)
    sold = panel.gmv[:, :matured].sum(axis=1)
    refunded = panel.refund_amount_by_order_day[:, :matured].sum(axis=1)
    refund_share = np.where(sold > 0, refunded / np.where(sold > 0, sold, 1.0), 0.0)
    return RunRates(
        as_of=as_of, days_in_stock=count, units=units, orders=per_day(panel.orders), gmv=gmv, visitors=visitors,
        ad_spend=per_day(panel.ad_spend), ad_gmv=per_day(panel.ad_gmv), log_se=log_se,
        price=regular_price(panel, tags, end), paid_factor=np.clip(paid_factor, 0.5, 1.0),
        on_hand=panel.on_hand[:, last], daily_budget=panel.daily_budget[:, last],
        target_roi=panel.target_roi[:, last], on_sale=active & np.isfinite(panel.price[:, last]), basket=basket,
        refund_share=refund_share)


def stockout_traffic_factor(panel: ShopPanel) -> float:
    """Organic visitors on stockout days / on in-stock days of the same SKUs: how hard the platform demotes."""
    out = panel.stockout() & np.isfinite(panel.price)
    organic = panel.visitors[:, :, ORGANIC].sum(axis=2)
    rows = np.flatnonzero(out.any(axis=1) & (~out & np.isfinite(panel.price)).any(axis=1))
    if rows.size == 0:
        return 1.0  # the shop never ran out: no evidence of a demotion, so none is assumed
    expected = actual = 0.0
    for row in rows:
        days = np.flatnonzero(out[row])
        selling = np.flatnonzero(~out[row] & np.isfinite(panel.price[row]))
        # compare with the in-stock days closest in time (the SKU's level drifts over a season)
        near = selling[np.argsort(np.abs(selling[:, None] - days[None, :]).min(axis=1), kind="stable")[:28]]
        expected += organic[row, near].mean() * days.size
        actual += organic[row, days].sum()
    return float(np.clip(actual / expected, 0.0, 1.0)) if expected > 0 else 1.0


@dataclass(frozen=True)
class Drift:
    """How far a run rate strays over the next `horizon` days: a shop-wide part and a SKU's own part (log sd)."""

    common: float = 0.0
    own: float = 0.0


def run_rate_drift(panel: ShopPanel, *, end: int, horizon: int, days: int = RUN_RATE_DAYS) -> Drift:
    """Back-test the run rate on the shop's own history: log(next `horizon` days / trailing `days` days).

    The part shared by all SKUs on the same date (season, platform traffic) and each SKU's own part are
    separated, and the Poisson-like noise of both means is subtracted, so what is left is real drift.
    """
    selling = ~panel.stockout()[:, :end] & np.isfinite(panel.price[:, :end])
    units = np.where(selling, panel.units[:, :end], 0.0)
    shared, own_parts = [], []
    for origin in range(days, end - horizon + 1, 7):
        before, after = slice(origin - days, origin), slice(origin, origin + horizon)
        n1, n2 = selling[:, before].sum(axis=1), selling[:, after].sum(axis=1)
        s1, s2 = units[:, before].sum(axis=1), units[:, after].sum(axis=1)
        ok = (n1 >= 14) & (n2 >= max(horizon // 2, 1)) & (s1 >= 20)
        if ok.sum() < 3:
            continue
        m1, m2 = s1[ok] / n1[ok], (s2[ok] + 0.5) / n2[ok]
        daily = units[ok][:, before]
        spread = np.where(selling[ok][:, before], (daily - m1[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(
            n1[ok] - 1, 1)
        dispersion = np.maximum(spread / np.maximum(m1, 1e-9), 1.0)  # variance / mean of daily units
        noise = dispersion * (1 / (m1 * n1[ok]) + 1 / (m2 * n2[ok]))
        ratio = np.log(m2 / m1)
        weight = 1 / noise
        centre = float(np.sum(weight * ratio) / weight.sum())
        shared.append((centre, 1 / float(weight.sum())))
        own_parts.extend(((ratio - centre) ** 2 - noise).tolist())
    if len(shared) < 3:
        return Drift()
    centres = np.array([c for c, _ in shared])
    common = max(float(np.var(centres, ddof=1)) - float(np.mean([v for _, v in shared])), 0.0)
    return Drift(common=math.sqrt(common), own=math.sqrt(max(float(np.mean(own_parts)), 0.0)))
