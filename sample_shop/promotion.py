"""Full-site promotion plans (全站推广): which SKUs, their budgets, target ROIs and true response curves."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from .catalog import Catalog
from .events import EventPlan
from .models import PromoCurve
from .pricing import QUIET_DAYS
from .world import steps_from_dense

BUDGET_MIN, BUDGET_MAX = 100.0, 1500.0
TARGET_MIN, TARGET_MAX = 2.0, 4.5
# how a shop's attributed GMV bends with spend (truth.mechanisms["ad"]): "clicks" saturate (a Hill curve at a steady
# GMV per click, the original world); "value": clicks grow almost linearly and the marginal clicks convert worse;
# "both"; "cpc": each click costs more as spend rises (clicks a power of spend); "underdelivery": clicks saturate
# and on some days the platform spends only part of what its rule would
AD_MECHANISMS = ("clicks", "value", "both", "cpc", "underdelivery")


def round_budget(amount: np.ndarray | float) -> np.ndarray:
    """Budgets as merchants type them: tens below 300 yuan, fifties above, within 100-1500."""
    x = np.clip(np.asarray(amount, dtype=np.float64), BUDGET_MIN, BUDGET_MAX)
    return np.where(x < 300, np.round(x / 10) * 10, np.round(x / 50) * 50)


def c_max_for_roi(roi: float, value: float, budget: float, half: float, shape: float) -> float:
    """The curve height at which spending `budget` returns `roi`."""
    return roi * (budget**shape + half**shape) / (value * budget ** (shape - 1.0))


def build_promotions(
    catalog: Catalog,
    start: date,
    n_days: int,
    plan: EventPlan,
    organic_gmv: np.ndarray,
    value_ref: np.ndarray,
    value_now: np.ndarray,
    rng: np.random.Generator,
    ad_mechanism: str = "clicks",
    mechanism_rng: np.random.Generator | None = None,
) -> list[PromoCurve | None]:
    """Choose ~40% of SKUs (bigger ones more often) and draw their plans and true curves.

    organic_gmv: mean daily organic GMV per SKU; value_ref / value_now: expected GMV per promotion
    click at the everyday price and on the last day. ad_mechanism: one of AD_MECHANISMS; what it adds to the
    original "clicks" world is drawn from mechanism_rng, so the "clicks" shop is the same with or without it.
    """
    extra = mechanism_rng if mechanism_rng is not None else np.random.default_rng(0)
    n = catalog.n
    first = np.maximum(catalog.launch, 0)
    stop = np.where(catalog.delist < 0, n_days, catalog.delist)
    long_enough = (stop - first) >= 30
    collapse = plan.sku_event("promotion_below_target_roi")
    rank = np.argsort(np.argsort(organic_gmv, kind="stable"), kind="stable") + 1.0
    weight = np.where(long_enough, rank, 0.0)
    n_promo = min(int(long_enough.sum()), max(1, round(0.4 * n)))
    forced = [collapse.sku] if collapse is not None and collapse.sku is not None else []
    weight[forced] = 0.0
    rest = n_promo - len(forced)
    picked = rng.choice(n, size=rest, replace=False, p=weight / weight.sum()) if rest > 0 else []
    chosen = sorted(set(forced) | {int(i) for i in picked})

    curves: list[PromoCurve | None] = [None] * n
    for i in chosen:
        is_collapse = collapse is not None and i == collapse.sku
        plan_start = int(first[i])
        if not is_collapse and rng.random() < 0.3:
            plan_start += int(rng.integers(0, max(1, int(0.4 * (stop[i] - first[i])))))
        target = round(float(rng.uniform(2.5, 4.0) if is_collapse else rng.uniform(TARGET_MIN, TARGET_MAX)), 1)
        budget = float(round_budget(rng.uniform(0.05, 0.15) * organic_gmv[i]))
        shape = round(float(rng.uniform(0.7, 1.6)), 3)
        half = round(budget * float(rng.uniform(0.4, 2.0)), 2)
        slope, delivery = 0.0, None
        if not is_collapse and ad_mechanism in ("value", "both", "cpc"):
            if ad_mechanism == "value":
                shape, half = round(float(extra.uniform(0.9, 1.15)), 3), round(budget * float(extra.uniform(5, 15)), 2)
            elif ad_mechanism == "cpc":
                shape, half = round(float(extra.uniform(0.5, 0.8)), 3), round(budget * float(extra.uniform(8, 25)), 2)
            if ad_mechanism != "cpc":
                low, high = (0.3, 0.6) if ad_mechanism == "value" else (0.15, 0.4)
                slope = round(float(extra.uniform(low, high)), 3)
        if not is_collapse and ad_mechanism == "underdelivery":
            short = extra.random(n_days) < 0.12
            short[-7:] = False  # the planning day and its week are ordinary
            delivery = steps_from_dense(np.where(short, np.round(extra.uniform(0.3, 0.8, n_days), 2), 1.0), start,
                                        plan_start)
        budgets = np.full(n_days, budget)
        targets = np.full(n_days, target)
        last_change = n_days - (45 if is_collapse else QUIET_DAYS)
        lo = plan_start + 10
        if last_change - lo > 5:
            for day in np.sort(rng.integers(lo, last_change, int(rng.integers(2, 5)))):
                budgets[day:] = round_budget(budgets[day] * np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
                if rng.random() < 0.5:
                    step = rng.uniform(0.2, 0.8) * (1 if rng.random() < 0.5 else -1)
                    targets[day:] = round(float(np.clip(targets[day] + step, TARGET_MIN, TARGET_MAX)), 1)
        if is_collapse and collapse is not None:
            m = collapse.magnitude
            # budget-capped before the collapse, so delivered ROI after it is roi_ratio x target
            roi_needed = m["roi_ratio"] / m["curve_multiplier"] * targets[-1]
            c_max = c_max_for_roi(roi_needed, float(value_now[i]), float(budgets[-1]), half, shape)
            m.update(daily_budget=float(budgets[-1]), target_roi=float(targets[-1]))
        else:
            # ROI at the first budget is 0.6-1.6x target: some plans are capped by budget, some by target
            roi_at_budget = float(rng.uniform(0.6, 1.6)) * target
            c_max = c_max_for_roi(roi_at_budget, float(value_ref[i]), budget, half, shape)
        curves[i] = PromoCurve(
            c_max=round(c_max, 3),
            half_spend=half,
            shape=shape,
            ref_price=float(catalog.ref_price[i]),
            ctr=round(float(rng.uniform(0.02, 0.04)), 4),
            plan_start=_day(start, plan_start),
            plan_end=_day(start, int(stop[i]) - 1),
            daily_budget=steps_from_dense(budgets, start, plan_start),
            target_roi=steps_from_dense(targets, start, plan_start),
            collapse_multiplier=collapse.magnitude["curve_multiplier"] if is_collapse and collapse else None,
            collapse_start=_day(start, collapse.start) if is_collapse and collapse else None,
            value_slope=slope,
            value_ref=budget if slope else None,
            delivery=delivery,
        )
    return curves


def _day(start: date, index: int) -> date:
    return start + timedelta(days=index)
