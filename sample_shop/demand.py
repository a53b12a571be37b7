"""Sampling traffic, promotion delivery and order lines from the true expectations."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .models import CHANNELS
from .world import PROMOTION, World, hill_clicks

QUANTITY_P = (0.80, 0.15, 0.05)
# share of orders by hour of day: quiet nights, a lunch bump, an evening peak at 20-22h
HOUR_WEIGHTS = (2.2, 1.2, 0.6, 0.3, 0.2, 0.3, 0.6, 1.2, 2.2, 3.2, 3.8, 4.0) + (
    4.2, 3.8, 3.6, 3.6, 3.6, 3.8, 4.0, 5.0, 6.4, 7.4, 7.0, 4.6,
)  # fmt: skip
LIVE_HOUR_WEIGHTS = (1.0, 0.3) + (0.05,) * 10 + (0.5,) * 7 + (3.0, 8.0, 10.0, 9.0, 4.0)
LIVE = CHANNELS.index("live")


@dataclass
class Lines:
    """Order lines before they are grouped into orders; one line = one SKU in one order."""

    sku: np.ndarray
    day: np.ndarray
    channel: np.ndarray
    quantity: np.ndarray
    second: np.ndarray

    def take(self, index: np.ndarray) -> Lines:
        """The lines at `index` (a mask or positions)."""
        return Lines(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def __len__(self) -> int:
        return int(self.sku.size)


@dataclass
class Draws:
    """What the platform and shoppers did, before stock limits are applied."""

    visitors: np.ndarray
    spend: np.ndarray
    click_rate: np.ndarray
    lines: Lines
    demand: np.ndarray


def _hours(rng: np.random.Generator, size: int, weights: tuple[float, ...]) -> np.ndarray:
    cum = np.cumsum(weights) / np.sum(weights)
    return np.searchsorted(cum, rng.random(size), side="right").clip(0, 23)


def draw_demand(world: World, rng: np.random.Generator) -> Draws:
    """Poisson visitors, platform spend with +-8% noise, Poisson clicks and Binomial orders."""
    n, n_days = world.n_skus, world.n_days
    noise = rng.uniform(0.92, 1.08, (n, n_days))
    # platforms let spend overshoot the daily cap by up to 10%; more would be bad data
    spend = np.round(np.minimum(world.spend * noise, 1.1 * world.budget) * world.in_plan, 2)
    c_max = world.c_max[:, None] * world.collapse
    click_rate = hill_clicks(spend, c_max, world.half[:, None], world.shape[:, None]) * world.in_plan
    visitors = rng.poisson(world.visit)
    visitors[:, :, PROMOTION] = rng.poisson(click_rate)
    orders = rng.binomial(visitors, world.cr)

    counts = orders.ravel()
    cell = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    channel = (cell % len(CHANNELS)).astype(np.int8)
    day = ((cell // len(CHANNELS)) % n_days).astype(np.int32)
    sku = (cell // (len(CHANNELS) * n_days)).astype(np.int32)
    u = rng.random(cell.size)
    quantity = 1 + (u > QUANTITY_P[0]).astype(np.int64) + (u > QUANTITY_P[0] + QUANTITY_P[1])
    hour = _hours(rng, cell.size, HOUR_WEIGHTS)
    live = channel == LIVE
    hour[live] = _hours(rng, int(live.sum()), LIVE_HOUR_WEIGHTS)
    second = (hour * 3600 + rng.integers(0, 3600, cell.size)).astype(np.int32)
    lines = Lines(sku=sku, day=day, channel=channel, quantity=quantity, second=second)
    demand = np.bincount(sku.astype(np.int64) * n_days + day, weights=quantity, minlength=n * n_days)
    return Draws(visitors, spend, click_rate, lines, demand.reshape(n, n_days).astype(np.int64))


def cap_lines_by_stock(lines: Lines, available: np.ndarray, out: np.ndarray) -> Lines:
    """Drop lines on out-of-stock days; on sell-out days the latest buyers get what is left or nothing."""
    n_days = available.shape[1]
    key = lines.sku.astype(np.int64) * n_days + lines.day
    keep = ~out.ravel()[key]
    quantity = lines.quantity.copy()
    demand = np.bincount(key, weights=quantity, minlength=available.size).astype(np.int64)
    short = (available.ravel() < demand) & ~out.ravel()
    idx = np.flatnonzero(short[key])
    if idx.size:
        order = idx[np.lexsort((lines.second[idx], key[idx]))]
        k, q = key[order], quantity[order]
        before = np.cumsum(q) - q
        group_first = np.r_[True, k[1:] != k[:-1]]
        starts = np.maximum.accumulate(np.where(group_first, np.arange(k.size), 0))
        before = before - before[starts]
        filled = np.clip(available.ravel()[k] - before, 0, q)
        quantity[order] = filled
        keep[order] &= filled > 0
    capped = lines.take(keep)
    capped.quantity = quantity[keep]
    return capped


def traffic_after_stock(
    world: World,
    draws: Draws,
    out: np.ndarray,
    ctr: np.ndarray,
    promo_ctr: np.ndarray,
    atc_day: np.ndarray,
    atc_ratio: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Visitors (promotion: clicks), impressions, add-to-cart and spend once stockouts are known.

    On a stockout day the platform demotes the item (half the organic visitors), stops paid delivery
    and nobody can add it to the cart.
    """
    visitors = draws.visitors.copy()
    expected = world.visit.copy()
    factor = world.truth.stockout_traffic_factor
    demoted = rng.binomial(visitors, factor)
    visitors = np.where(out[:, :, None], demoted, visitors)
    expected = np.where(out[:, :, None], expected * factor, expected)
    spend = np.where(out, 0.0, draws.spend)
    click_rate = np.where(out, 0.0, draws.click_rate)
    visitors[:, :, PROMOTION] = np.where(out, 0, visitors[:, :, PROMOTION])
    expected[:, :, PROMOTION] = click_rate
    ctr = ctr.copy()
    ctr[:, PROMOTION] = promo_ctr
    impressions = visitors + rng.poisson(expected * (1.0 / ctr[:, None, :] - 1.0))
    p_cart = np.minimum(0.95, atc_ratio[:, None, None] * world.cr * atc_day[None, :, None])
    add_to_cart = np.where(out[:, :, None], 0, rng.binomial(visitors, p_cart))
    return visitors, impressions, add_to_cart, spend
