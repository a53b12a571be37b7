"""Orders from order lines: paid prices, two-line baskets, order ids, customers and provinces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .demand import Lines
from .texts import PROVINCES

EXTRA_COUPON_SHARE = 0.10
EXTRA_COUPON_DEPTHS = (0.03, 0.05, 0.08)
ONE_TIME_SHARE = 0.6
LOYAL_POOL = 0.2
PAIR_SHARE = 0.2  # pairs this share of lines' slots, giving ~10% two-line orders
PAID_PRICE_FACTOR = round(1.0 - EXTRA_COUPON_SHARE * float(np.mean(EXTRA_COUPON_DEPTHS)), 6)


@dataclass
class OrderBook:
    """Orders (sorted by order_id) and their items (sorted by order, then SKU)."""

    order_id: np.ndarray
    order_day: np.ndarray
    order_second: np.ndarray
    order_channel: np.ndarray
    customer: np.ndarray
    province: np.ndarray
    customer_width: int
    item_order: np.ndarray
    item_sku: np.ndarray
    item_day: np.ndarray
    item_channel: np.ndarray
    item_quantity: np.ndarray
    item_cents: np.ndarray

    @property
    def n_orders(self) -> int:
        """Number of orders."""
        return int(self.order_day.size)


def paid_cents(lines: Lines, price_cents: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Price paid per unit: the shown price, minus an extra cross-store coupon on some lines."""
    cents = price_cents[lines.sku, lines.day].astype(np.int64)
    coupon = rng.random(len(lines)) < EXTRA_COUPON_SHARE
    depth = np.asarray(EXTRA_COUPON_DEPTHS)[rng.integers(0, len(EXTRA_COUPON_DEPTHS), len(lines))]
    discount = np.round(cents * depth).astype(np.int64)
    return np.where(coupon, cents - discount, cents)


def build_orders(lines: Lines, cents: np.ndarray, dates: list[date], rng: np.random.Generator) -> OrderBook:
    """Group lines into orders: ~10% of orders join two same-day, same-channel lines of different SKUs."""
    n = len(lines)
    by_slot = np.lexsort((rng.random(n), lines.channel, lines.day))
    a, b = by_slot[0 : n - 1 : 2], by_slot[1:n:2]
    pair = (
        (lines.day[a] == lines.day[b])
        & (lines.channel[a] == lines.channel[b])
        & (lines.sku[a] != lines.sku[b])
        & (rng.random(a.size) < PAIR_SHARE)
    )
    head = np.arange(n)
    head[b[pair]] = a[pair]
    heads = np.flatnonzero(head == np.arange(n))
    # orders in time order; the order number within its day becomes part of the id
    order_rank = np.lexsort((heads, lines.second[heads], lines.day[heads]))
    heads = heads[order_rank]
    rank_of_head = np.empty(n, dtype=np.int64)
    rank_of_head[heads] = np.arange(heads.size)
    day = lines.day[heads]
    first_of_day = np.searchsorted(day, day, side="left")
    seq = np.arange(heads.size) - first_of_day + 1
    prefix = np.array([f"O{d:%y%m%d}" for d in dates])
    order_id = np.strings.add(prefix[day], np.strings.zfill(seq.astype(str), 6))

    n_orders = heads.size
    # 60% of orders come from one-time shoppers, the rest from a loyal pool that buys again and again
    loyal = max(50, int(LOYAL_POOL * n_orders))
    loyalty = rng.lognormal(0.0, 0.6, loyal)
    one_time = rng.random(n_orders) < ONE_TIME_SHARE
    slot = np.where(one_time, loyal + np.arange(n_orders), rng.choice(loyal, size=n_orders, p=loyalty / loyalty.sum()))
    pool = loyal + n_orders
    customer = rng.permutation(pool)[slot]
    weights = np.array([w for _, w in PROVINCES])
    home = rng.choice(len(PROVINCES), size=pool, p=weights / weights.sum())

    item_order = rank_of_head[head]
    items = np.lexsort((lines.sku, item_order))
    return OrderBook(
        order_id=order_id,
        order_day=day,
        order_second=lines.second[heads],
        order_channel=lines.channel[heads],
        customer=customer,
        province=home[customer],
        customer_width=max(7, len(str(pool))),
        item_order=item_order[items],
        item_sku=lines.sku[items],
        item_day=lines.day[items],
        item_channel=lines.channel[items],
        item_quantity=lines.quantity[items],
        item_cents=cents[items],
    )
