"""Stock: a reorder-point / order-up-to policy per SKU, planted stockouts and sales capped by stock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import EventPlan

SAFETY = 1.3
REORDER_COVER_DAYS = 3
ORDER_UP_TO_DAYS = 21
LEAN_DAYS = 60


@dataclass
class Stock:
    """Daily stock per SKU: available = sellable during the day, on_hand = left at its end."""

    available: np.ndarray
    on_hand: np.ndarray
    inbound: np.ndarray
    sold: np.ndarray


def _ceil10(x: np.ndarray) -> np.ndarray:
    return (np.ceil(np.maximum(x, 0.0) / 10.0) * 10.0).astype(np.int64)


def simulate_inventory(
    demand: np.ndarray,
    forecast: np.ndarray,
    lead: np.ndarray,
    on_sale: np.ndarray,
    plan: EventPlan,
    guard_from: int,
    rng: np.random.Generator,
) -> Stock:
    """Run the daily stock loop; sold = min(demand, available).

    The merchant forecasts with a per-SKU bias, so a few natural stockouts happen early on. From
    `guard_from` on, stock is expedited whenever it would run short, except for planted stockouts,
    whose last shipment is sized to the exact demand up to the planned day and whose restock is held.
    """
    n, n_days = demand.shape
    rows = np.arange(n)
    f = forecast * rng.lognormal(0.0, 0.15, n)[:, None]
    pad = np.concatenate([f, np.repeat(f[:, -14:].mean(axis=1, keepdims=True), 60, axis=1)], axis=1)
    cum_f = np.concatenate([np.zeros((n, 1)), np.cumsum(pad, axis=1)], axis=1)
    cum_d = np.concatenate([np.zeros((n, 1), dtype=np.int64), np.cumsum(demand, axis=1)], axis=1)

    def cover(t: int, days: np.ndarray) -> np.ndarray:
        """Forecast demand over days t+1 .. t+days."""
        return cum_f[rows, t + 1 + days] - cum_f[rows, t + 1]

    rop_days, out_days = lead + REORDER_COVER_DAYS, lead + ORDER_UP_TO_DAYS
    first = np.argmax(on_sale, axis=1)
    never = ~on_sale.any(axis=1)
    arrivals = np.zeros((n, n_days + int(lead.max()) + 2), dtype=np.int64)
    initial = _ceil10(SAFETY * rng.uniform(0.6, 1.0, n) * (cum_f[rows, first + out_days] - cum_f[rows, first]))
    on_hand = np.where((first == 0) & ~never, initial, 0)
    late = (first > 0) & ~never
    arrivals[rows[late], first[late]] = initial[late]
    pipeline = np.where(late, initial, 0)

    lean_start = np.full(n, n_days + 1)
    out_start = np.full(n, n_days + 1)
    out_end = np.full(n, n_days + 1)
    for e in plan.of_kind("stockout"):
        i = int(e.sku or 0)
        out_start[i], out_end[i] = e.start, e.end
        lean_start[i] = max(0, e.start - LEAN_DAYS)
        if lean_start[i] == 0:
            on_hand[i] = min(on_hand[i], int(0.5 * (cum_d[i, e.start] - cum_d[i, 0])))
    guard = np.ones(n, dtype=bool)
    planned_days = out_end - out_start + 1
    been_out = np.zeros(n, dtype=bool)  # a planted SKU has run out (from 3 days before its planned day)
    overdue = np.zeros(n, dtype=bool)  # its planned days passed with stock left (sales lost earlier saved some)

    available = np.zeros((n, n_days), dtype=np.int64)
    inbound = np.zeros((n, n_days), dtype=np.int64)
    stock_end = np.zeros((n, n_days), dtype=np.int64)
    sold = np.zeros((n, n_days), dtype=np.int64)
    for t in range(n_days):
        arriving = arrivals[:, t].copy()
        pipeline -= arriving
        # still stocked when the planted days are over: hold the restock until it runs out, then for as many days
        late = (out_end + 1 == t) & ~been_out
        out_end, overdue = np.where(late, t, out_end), overdue | late
        restock = out_end + 1 == t
        arriving[restock] += _ceil10(SAFETY * cover(t - 1, out_days))[restock]
        avail = on_hand + arriving
        now_out = (avail == 0) & on_sale[:, t] & (t >= out_start - 3) & (t <= out_end)
        out_end = np.where(now_out & ~been_out & overdue, t + planned_days - 1, out_end)
        been_out |= now_out
        planted_now = (t >= lean_start) & (t <= out_end)
        if t >= guard_from:
            short = guard & ~planted_now & on_sale[:, t] & (avail < demand[:, t])
            extra = np.where(short, _ceil10(demand[:, t] - avail + SAFETY * cover(t, rop_days)), 0)
            arriving += extra
            avail = avail + extra
        today = np.where(on_sale[:, t], np.minimum(demand[:, t], avail), 0)
        on_hand = avail - today
        available[:, t], inbound[:, t], stock_end[:, t], sold[:, t] = avail, arriving, on_hand, today

        position = on_hand + pipeline
        normal = on_sale[:, t] & ~planted_now & (position < SAFETY * cover(t, rop_days))
        qty = np.where(normal, _ceil10(SAFETY * cover(t, out_days) - position), 0)
        # planted: order exactly what sells up to the day before the planned stockout, then nothing
        lean = planted_now & (t + lead < out_start)
        remaining = cum_d[rows, np.minimum(out_start, n_days)] - cum_d[rows, min(t + 1, n_days)]
        qty = np.where(lean, np.maximum(remaining - position, 0), qty)
        if qty.any():
            arrivals[rows, t + lead] += qty
            pipeline += qty
    return Stock(available=available, on_hand=stock_end, inbound=inbound, sold=sold)
