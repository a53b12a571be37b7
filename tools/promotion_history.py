"""The promotion history a response curve learns from, in today's terms.

Each SKU's promoted, in-stock days; its prices relative to the last shown one; how its conversion responds to its
own price, so a past day can be re-priced to today's; and how much a day counts for by how long ago it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopagent.tools.detect_context import ORGANIC
from shopagent.tools.panel import ShopPanel, carried_forward, memoised

CURVE_HALF_LIFE = 90.0  # days: the curve's shape needs the spend variation of a long history
VALUE_HALF_LIFE = 28.0  # days: GMV per click follows price, rating and competitor moves quickly
DEMAND_WINDOW = 7  # days of organic visitors that say how many shoppers wanted the item at the time
DEFAULT_ELASTICITY = -1.5  # conversion elasticity assumed when no SKU in the shop ever changed its price


@dataclass
class PromotedDays:
    """The promoted, in-stock days of the SKUs being fitted (rows), as (row, day) arrays."""

    rows: np.ndarray  # panel row of each fitted SKU
    usable: np.ndarray
    spend: np.ndarray
    clicks: np.ndarray
    gmv: np.ndarray
    orders: np.ndarray
    log_price: np.ndarray  # log(price on the day / price now)
    log_competitor: np.ndarray  # log(competitor's price on the day / competitor's price now); 0 when not tracked
    age: np.ndarray  # days before as_of
    log_demand: np.ndarray  # log(the SKU's organic visitors over the week to the day / over the last week)


def promoted_days(panel: ShopPanel, end: int) -> PromotedDays:
    """The promoted, in-stock, priced days up to `end` of every SKU that has any."""
    spend = panel.ad_spend[:, :end]
    out = panel.stockout()[:, :end]
    usable = (spend > 0) & ~np.isnan(panel.daily_budget[:, :end]) & ~out & ~np.isnan(panel.price[:, :end])
    rows = np.flatnonzero(usable.any(axis=1))
    price_now = last_price(panel, end)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_price = np.nan_to_num(np.log(panel.price[rows, :end] / price_now[rows, None]))
    return PromotedDays(rows=rows, usable=usable[rows], spend=spend[rows], clicks=panel.ad_clicks[rows, :end],
                        gmv=panel.ad_gmv[rows, :end], orders=panel.ad_orders[rows, :end], log_price=log_price,
                        log_competitor=competitor_moves(panel, end)[rows],
                        age=np.broadcast_to(np.arange(end)[::-1], (rows.size, end)),
                        log_demand=demand_moves(panel, end)[rows])


def subset_rows(data: PromotedDays, keep: np.ndarray) -> PromotedDays:
    """The promoted days of the fitted SKUs at positions `keep` only."""
    return PromotedDays(rows=data.rows[keep], usable=data.usable[keep], spend=data.spend[keep],
                        clicks=data.clicks[keep], gmv=data.gmv[keep], orders=data.orders[keep],
                        log_price=data.log_price[keep], log_competitor=data.log_competitor[keep], age=data.age[keep],
                        log_demand=data.log_demand[keep])


def competitor_moves(panel: ShopPanel, end: int) -> np.ndarray:
    """log(competitor's price on each day / the competitor's price now) up to `end`, per SKU.

    "Now" is the median of the last 7 days, as the eligibility check reads it, so one odd scrape (a flash
    coupon) does not re-value a SKU's every click. A day without a scrape carries the last seen offer forward
    (and the first one back); a SKU whose competitor was never seen gets zeros, so nothing is re-priced for it.
    """
    filled = np.log(carried_forward(panel.competitor_price[:, :end]))
    seen = np.isfinite(filled[:, 0])
    moves = np.zeros(filled.shape)
    moves[seen] = filled[seen] - np.median(filled[seen, -7:], axis=1, keepdims=True)
    return moves


def demand_moves(panel: ShopPanel, end: int, window: int = DEMAND_WINDOW) -> np.ndarray:
    """log(the SKU's organic visitors per in-stock day over the `window` days to each day / the same over the
    last `window` days), per SKU: how many shoppers wanted the item then against now (season, trend, a viral
    week). Zero where the SKU had no organic visitors to compare."""
    organic = panel.visitors[:, :end, :][:, :, ORGANIC].sum(axis=2)
    in_stock = ~panel.stockout()[:, :end]
    visitors = np.cumsum(np.where(in_stock, organic, 0.0), axis=1)
    days = np.cumsum(in_stock, axis=1, dtype=float)

    def window_sum(running: np.ndarray) -> np.ndarray:
        # the running total `window` days earlier (0 before the data starts; a shop younger than the window
        # has no earlier total at all)
        earlier = np.concatenate([np.zeros((running.shape[0], window)), running], axis=1)[:, : running.shape[1]]
        return running - earlier

    per_day = window_sum(visitors) / np.maximum(window_sum(days), 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        moves = np.log(np.maximum(per_day, 0.5) / np.maximum(per_day[:, -1:], 0.5))
    return np.where(organic.sum(axis=1, keepdims=True) > 0, moves, 0.0)


def last_price(panel: ShopPanel, end: int) -> np.ndarray:
    """Each SKU's last shown price up to `end` (the curve's reference price)."""
    price = panel.price[:, :end]
    seen = ~np.isnan(price)
    last = np.where(seen.any(axis=1), end - 1 - np.argmax(seen[:, ::-1], axis=1), 0)
    return np.where(seen.any(axis=1), price[np.arange(price.shape[0]), last], np.nan)


def recency(age: np.ndarray, half_life: float) -> np.ndarray:
    """Weights that halve every `half_life` days back from as_of."""
    return 0.5 ** (age / half_life)


def price_elasticity(panel: ShopPanel, end: int, days: int = 180) -> np.ndarray:
    """Each SKU's conversion elasticity to its own price, shrunk toward its category's.

    log conversion is regressed on log price with SKU and day effects (weighted by expected orders), so a
    festival that moves every SKU's conversion at once is not read as a price response.
    """
    # a plan asks for it four times on the same days (its fit, the self-check's low-spend refit and conditions,
    # the warnings' conversion check)
    return memoised(panel, ("price_elasticity", end, days), lambda: _price_elasticity(panel, end, days))


def _price_elasticity(panel: ShopPanel, end: int, days: int) -> np.ndarray:
    part = slice(max(0, end - days), end)
    units, visitors, price = panel.units[:, part], panel.total_visitors[:, part], panel.price[:, part]
    ok = ~panel.stockout()[:, part] & ~np.isnan(price) & (visitors >= 5) & (price > 0)
    rate = np.where(ok, units, 0).sum(1) / np.maximum(np.where(ok, visitors, 0).sum(1), 1.0)
    expected = visitors * rate[:, None]
    weight = np.where(ok, expected / (1.0 + expected / 25.0), 0.0)  # Poisson noise plus ~20% day-level noise
    y = np.where(ok, np.log((units + 0.5) / (visitors + 0.5)), 0.0)
    x = np.where(ok, np.log(np.where(ok, price, 1.0)), 0.0)
    for _ in range(12):
        for axis in (1, 0):
            total = np.maximum(weight.sum(axis, keepdims=True), 1e-12)
            y = np.where(ok, y - (weight * y).sum(axis, keepdims=True) / total, 0.0)
            x = np.where(ok, x - (weight * x).sum(axis, keepdims=True) / total, 0.0)
    sxx, sxy = (weight * x * x).sum(1), (weight * x * y).sum(1)
    slope = np.where(sxx > 0, sxy / np.maximum(sxx, 1e-12), np.nan)
    residual = np.where(ok, y - np.nan_to_num(slope)[:, None] * x, 0.0)
    sigma2 = max(float((weight * residual**2).sum() / max(ok.sum() - 2 * ok.shape[0], 1)), 1e-6)
    se2 = np.where(sxx > 0, sigma2 / np.maximum(sxx, 1e-12), np.inf)
    informative = sxx > 1e-5 * np.maximum(weight.sum(1), 1.0)  # the price moved by more than ~0.3%
    if not informative.any():
        return np.full(panel.price.shape[0], DEFAULT_ELASTICITY)
    shop_slope = float(sxy[informative].sum() / sxx[informative].sum())
    categories = np.array(panel.catalog.categories)
    centre = np.full(slope.shape, shop_slope)
    for category in np.unique(categories):
        members = informative & (categories == category)
        if members.any():
            # a category's pooled slope, itself shrunk toward the shop's by a prior worth a few SKUs' data
            prior = 3.0 * float(np.median(sxx[informative]))
            centre[categories == category] = (sxy[members].sum() + prior * shop_slope) / (sxx[members].sum() + prior)
    spread = max(float(np.mean((slope[informative] - centre[informative]) ** 2 - se2[informative])), 0.04)
    precision = np.where(informative, 1.0 / se2, 0.0)
    shrunk = (np.nan_to_num(slope) * precision + centre / spread) / (precision + 1.0 / spread)
    return np.clip(shrunk, -6.0, 0.0)
