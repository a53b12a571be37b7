"""The true demand model as dense numpy arrays: the one place its formulas live.

The simulator samples from these expectations and `TrueModel` answers counterfactuals from them, so the
data and the benchmarks' truth cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

import numpy as np

from .models import CHANNELS, ShopTruth, Steps

PROMOTION = CHANNELS.index("promotion")
RECOMMEND = CHANNELS.index("recommend")
LAUNCH_RAMP_DAYS = 21
EXPLORATION_SHARE = 0.05


def steps_dense(steps: Steps, start: date, n_days: int) -> np.ndarray:
    """Expand a Steps series to one value per day from `start`."""
    offsets = np.array([(d - start).days for d in steps.dates], dtype=np.int64)
    k = np.searchsorted(offsets, np.arange(n_days), side="right") - 1
    return np.asarray(steps.values, dtype=np.float64)[np.clip(k, 0, None)]


def steps_from_dense(values: np.ndarray, start: date, first: int = 0) -> Steps:
    """Compress daily values (from day index `first` on) into change points."""
    tail = values[first:]
    change = np.flatnonzero(np.r_[True, tail[1:] != tail[:-1]])
    return Steps(
        dates=[start + timedelta(days=int(first + k)) for k in change],
        values=[float(v) for v in tail[change]],
    )


def hill_clicks(spend: np.ndarray, c_max: np.ndarray, half: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Expected clicks of full-site promotion at a daily spend (Hill curve)."""
    s = np.maximum(np.asarray(spend, dtype=np.float64), 0.0) / half
    sk = s**shape
    return c_max * sk / (sk + 1.0)


def platform_spend(
    value_per_click: np.ndarray,
    c_max: np.ndarray,
    half: np.ndarray,
    shape: np.ndarray,
    target_roi: np.ndarray,
    budget: np.ndarray,
    value_slope: np.ndarray | float = 0.0,
    value_ref: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Spend the platform chooses: the most that still holds target ROI, capped by the budget.

    ROI(s) = value * c_max * s^(k-1) / (s^k + h^k) x (s / value_ref)^-value_slope (the paid clicks of a
    larger spend convert worse when value_slope > 0). With u = s/h it is A * u^(k-1-b) / (1 + u^k) up to a
    constant, which falls for u beyond its peak (u^k = (k-1-b)/(1+b), 0 for k <= 1+b), so the target spend is
    found by bisection there. When even the best spend misses the target the platform explores with 5% of
    the budget.
    """
    a = value_per_click * c_max / half
    shape = np.broadcast_to(shape, a.shape)
    slope = np.broadcast_to(np.asarray(value_slope, dtype=np.float64), a.shape)
    ref = np.broadcast_to(np.asarray(value_ref, dtype=np.float64), a.shape)
    rise = np.maximum(shape - 1.0 - slope, 1e-12) / (1.0 + slope)
    u_lo = np.where(shape > 1.0 + slope, rise ** (1.0 / shape), 1e-9)

    def roi_u(u: np.ndarray) -> np.ndarray:
        return a * u ** (shape - 1.0) / (1.0 + u**shape) * paid_value_factor(u * half, slope, ref)

    feasible = (roi_u(u_lo) >= target_roi) & (a > 0)
    lo = np.log(u_lo)
    hi = np.full_like(lo, np.log(1e7))
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        ok = roi_u(np.exp(mid)) >= target_roi
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    s_target = half * np.exp(lo)
    return np.where(feasible, np.minimum(budget, s_target), EXPLORATION_SHARE * budget)


def paid_value_factor(spend: np.ndarray, slope: np.ndarray | float, ref: np.ndarray | float) -> np.ndarray:
    """GMV per paid click at a daily spend relative to its value at `ref`: (spend / ref)^-slope, 1 when slope is 0
    (the marginal clicks a larger spend buys have less purchase intent)."""
    spend = np.maximum(np.asarray(spend, dtype=np.float64), 1e-9)
    return np.where(np.asarray(slope) == 0.0, 1.0, (spend / ref) ** -np.asarray(slope, dtype=np.float64))


class World:
    """Expected visitors, conversion, platform spend and GMV for every SKU and day.

    `without` names event ids to remove: the world is then the counterfactual in which those planted
    causes never happened and everything else stayed as it was.
    """

    def __init__(self, truth: ShopTruth, without: Collection[str] = ()) -> None:
        self.truth = truth
        skus = truth.skus
        n, n_days = len(skus), truth.n_days
        self.n_skus, self.n_days = n, n_days
        self.index = {s.sku_id: i for i, s in enumerate(skus)}
        start = truth.start
        day = np.arange(n_days)

        launch = np.array([(s.launch_date - start).days for s in skus], dtype=np.int64)
        delist = np.array([(s.delist_date - start).days if s.delist_date else n_days + 1 for s in skus], dtype=np.int64)
        self.on_sale = (day >= launch[:, None]) & (day < delist[:, None])
        self.price = np.stack([steps_dense(s.price, start, n_days) for s in skus])
        self.ref_price = np.array([s.ref_price for s in skus])
        self.elasticity = np.array([s.elasticity for s in skus])
        self.cross = np.array([s.cross_elasticity for s in skus])
        self.hinge = np.array([s.rival_hinge for s in skus])
        self.comp_ref = np.array([s.competitor_ref or np.nan for s in skus])
        comp_ratio = np.ones((n, n_days))
        for i, s in enumerate(skus):
            if s.competitor_price is not None and s.competitor_ref:
                comp_ratio[i] = steps_dense(s.competitor_price, start, n_days) / s.competitor_ref
        self.cr0 = np.array([s.cr0.as_tuple() for s in skus])
        base = np.array([s.base_visitors.as_tuple() for s in skus])
        base[:, PROMOTION] = 0.0

        days = truth.days
        season = np.array([days.season[s.category] for s in skus])
        since_launch = (day[None, :] - launch[:, None]).clip(0, None)
        ramp = np.minimum(1.0, 0.4 + 0.6 * since_launch / LAUNCH_RAMP_DAYS)
        boost = np.ones((len(CHANNELS), n_days))
        for c, channel in enumerate(CHANNELS):
            if channel in days.channel_boost:
                boost[c] = days.channel_boost[channel]
        shop_day = season * ramp * np.asarray(days.weekday)[None, :]
        self.visit = base[:, None, :] * shop_day[:, :, None] * boost.T[None, :, :]
        self.comp_ratio = comp_ratio
        self.conv_mult = np.broadcast_to(np.asarray(days.conversion), (n, n_days)).copy()
        self.in_stock = self.on_sale.copy()
        for i, s in enumerate(skus):
            for r in s.out_of_stock:
                self.in_stock[i, (r.start - start).days : (r.end - start).days + 1] = False
        self.collapse = np.ones((n, n_days))
        stuck = self._apply_events(set(without))
        # the rival's price in yuan (NaN where untracked), after the events: parity is where ours equals it
        self.rival = self.comp_ratio * self.comp_ref[:, None]
        self.visit *= self.on_sale[:, :, None]
        self.cr = self.conversion(self.price)
        self._build_promotion(stuck)

    def _apply_events(self, removed: set[str]) -> np.ndarray:
        """Put each planted event in (or take a removed one out); returns where the platform is stuck."""
        stuck = np.zeros((self.n_skus, self.n_days), dtype=bool)
        for event in self.truth.events:
            active = event.event_id not in removed
            a, b = self.truth.day_index(event.start), self.truth.day_index(event.end) + 1
            i = self.index[event.sku_id] if event.sku_id else None
            m = event.magnitude
            # the factual paths (price, competitor price, stock) already contain these three events
            if event.kind == "stockout" and not active:
                self.in_stock[i, a:b] = self.on_sale[i, a:b]
            elif event.kind == "price_increase" and not active:
                self.price[i, a:b] *= m["old_price"] / m["new_price"]
            elif event.kind == "price_above_competitor" and not active:
                self.comp_ratio[i, a:b] = m["old_price"] / (self.truth.skus[i or 0].competitor_ref or m["old_price"])
            elif event.kind == "promotion_below_target_roi" and active:
                self.collapse[i, a:b] *= m["curve_multiplier"]
                stuck[i, a:b] = True
            elif event.kind == "traffic_drop" and active:
                rows = slice(None) if i is None else i  # a shop-wide channel drop, or one SKU's
                self.visit[rows, a:b, CHANNELS.index(event.channel or "search")] *= m["visitor_multiplier"]
            elif event.kind == "demand_surge" and active:
                self.visit[i, a:b, RECOMMEND] *= m["visitor_multiplier"]
            elif event.kind in ("rating_drop", "experience_score_drop") and active:
                rows = slice(None) if i is None else i
                self.conv_mult[rows, a:b] *= m["conversion_multiplier"]
        return stuck

    def conversion(self, price: np.ndarray) -> np.ndarray:
        """Conversion rate by channel (last axis) at the given [sku, day] prices."""
        price_term = (price / self.ref_price[:, None]) ** self.elasticity[:, None]
        comp_term = self.comp_ratio ** self.cross[:, None] * self.parity_term(price)
        raw = self.cr0[:, None, :] * (price_term * comp_term * self.conv_mult)[..., None]
        return np.minimum(raw, self.truth.conversion_cap)

    def parity_term(self, price: np.ndarray | float, rows: slice | int = slice(None),
                    days: slice | int = slice(None)) -> np.ndarray:
        """The threshold mechanism's factor on conversion: exp(hinge * log(ours / rival's)) while ours is dearer."""
        rival = self.rival[rows, days]
        with np.errstate(divide="ignore", invalid="ignore"):
            gap = np.log(np.where(np.isfinite(rival), price / np.nan_to_num(rival, nan=1.0), 1.0))
        return np.exp(np.broadcast_to(self.hinge[:, None], self.rival.shape)[rows, days] * np.maximum(gap, 0.0))

    def _build_promotion(self, stuck: np.ndarray) -> None:
        truth, n, n_days = self.truth, self.n_skus, self.n_days
        self.in_plan = np.zeros((n, n_days), dtype=bool)
        self.budget = np.zeros((n, n_days))
        self.target_roi = np.zeros((n, n_days))
        self.c_max = np.zeros(n)
        self.half = np.ones(n)
        self.shape = np.ones(n)
        self.value_slope = np.zeros(n)
        self.value_ref = np.ones(n)
        delivery = np.ones((n, n_days))
        for i, s in enumerate(truth.skus):
            p = s.promo
            if p is None:
                continue
            a, b = (p.plan_start - truth.start).days, (p.plan_end - truth.start).days + 1
            self.in_plan[i, a:b] = True
            self.budget[i] = steps_dense(p.daily_budget, truth.start, n_days)
            self.target_roi[i] = steps_dense(p.target_roi, truth.start, n_days)
            self.c_max[i], self.half[i], self.shape[i] = p.c_max, p.half_spend, p.shape
            self.value_slope[i], self.value_ref[i] = p.value_slope, p.value_ref or 1.0
            if p.delivery is not None:
                delivery[i] = steps_dense(p.delivery, truth.start, n_days)
        self.in_plan &= self.on_sale
        rows = np.flatnonzero(self.in_plan.any(axis=1))
        self.spend = np.zeros((n, n_days))
        self.clicks = np.zeros((n, n_days))
        if rows.size == 0:
            return
        value = self.value_per_click(self.price[rows], self.cr[rows, :, PROMOTION])
        c_max = self.c_max[rows, None] * self.collapse[rows]
        half, shape = self.half[rows, None], self.shape[rows, None]
        slope, ref = self.value_slope[rows, None], self.value_ref[rows, None]
        rule = platform_spend(value, c_max, half, shape, self.target_roi[rows], self.budget[rows], slope, ref)
        # a planted collapse: the platform's model is stale and it keeps spending the whole budget
        rule = np.where(stuck[rows], self.budget[rows], rule)
        # the "underdelivery" mechanism: on some days the platform spends only part of what its rule would
        self.spend[rows] = rule * self.in_plan[rows] * delivery[rows]
        self.clicks[rows] = hill_clicks(self.spend[rows], c_max, half, shape)
        if slope.any():
            paid = self.cr[rows, :, PROMOTION] * paid_value_factor(self.spend[rows], slope, ref)
            self.cr[rows, :, PROMOTION] = np.minimum(paid, self.truth.conversion_cap)

    def value_per_click(self, price: np.ndarray, cr_promotion: np.ndarray) -> np.ndarray:
        """Expected paid GMV per promotion click."""
        return cr_promotion * price * self.truth.mean_quantity * self.truth.paid_price_factor

    def expected_orders(self) -> np.ndarray:
        """Expected order lines per SKU and day by channel, as if always in stock."""
        orders = self.visit * self.cr
        orders[:, :, PROMOTION] = self.clicks * self.cr[:, :, PROMOTION]
        return orders

    def expected_units(self, factual_stock: bool = True) -> np.ndarray:
        """Expected units per SKU and day, all channels."""
        units = self.expected_orders().sum(axis=2) * self.truth.mean_quantity
        return units * self.in_stock if factual_stock else units

    def expected_gmv(self, factual_stock: bool = True) -> np.ndarray:
        """Expected paid GMV in yuan per SKU and day."""
        gmv = self.expected_units(factual_stock) * self.price * self.truth.paid_price_factor
        return gmv
