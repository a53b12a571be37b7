"""Daily shown prices (everyday changes, festivals, weekend coupons) and competitor prices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import Catalog, round9
from .events import EventPlan
from .schedule import NO_TAG, TAG_618, TAG_COUPON, TAG_DOUBLE11, Calendar

QUIET_DAYS = 28  # no ordinary structural change (price change, budget change, launch) in the last 28 days
RIVAL_MECHANISMS = ("smooth", "threshold")
HINGE_RANGE = (1.5, 4.0)  # threshold shops: extra loss of log conversion per unit of log(our / rival's) above parity


@dataclass
class PricePaths:
    """Shown price and promo tag per SKU and day."""

    regular: np.ndarray
    shown: np.ndarray
    tag: np.ndarray


def build_prices(catalog: Catalog, cal: Calendar, plan: EventPlan, rng: np.random.Generator) -> PricePaths:
    """Everyday price with 2-4 ordinary changes, festival discounts, weekend coupons, planted rises."""
    n, n_days = catalog.n, cal.n_days
    last_free = n_days - QUIET_DAYS
    multiplier = np.ones((n, n_days))
    for i in range(n):
        first = max(int(catalog.launch[i]), 0)
        stop = n_days if catalog.delist[i] < 0 else int(catalog.delist[i])
        # every ordinary change, temporary ones included, is over a week before the quiet days start
        stop = min(stop, last_free - 7)
        for _ in range(int(rng.integers(2, 5))):
            if stop - first < 10:
                break
            factor = 1.0 + (-1.0 if rng.random() < 0.6 else 1.0) * rng.uniform(0.05, 0.15)
            permanent = rng.random() < 0.4
            length = 0 if permanent else int(rng.integers(3, 22))
            begin = int(rng.integers(first + 1, max(first + 2, stop - length)))
            if permanent:
                multiplier[i, begin:] *= factor
            else:
                multiplier[i, begin : min(begin + length, stop)] *= factor
    regular = np.minimum(round9(catalog.ref_price[:, None] * multiplier), catalog.list_price[:, None])

    rise = plan.sku_event("price_increase")
    if rise is not None and rise.sku is not None:
        i = rise.sku
        old = float(regular[i, rise.start - 1])
        new = float(round9(old * (1.0 + rise.magnitude["increase"])))
        regular[i, rise.start :] = new
        # a SKU already at its list price gets a new list price: capping the rise there planted a rise of 0%
        catalog.list_price[i] = max(float(catalog.list_price[i]), new)
        rise.magnitude.update(old_price=old, new_price=new, increase=round(new / old - 1.0, 4))

    shown = regular.copy()
    tag = np.zeros((n, n_days), dtype=np.int8)
    for festival, share, lo, hi in ((TAG_618, 0.7, 0.10, 0.30), (TAG_DOUBLE11, 0.8, 0.15, 0.35)):
        days = np.flatnonzero(cal.festival == festival)
        if days.size == 0:
            continue
        joins = rng.random(n) < share
        depth = rng.uniform(lo, hi, n)
        for t in days:
            d = depth + np.where(cal.festival_final[t], 0.05, 0.0)
            shown[joins, t] = round9(regular[joins, t] * (1.0 - d[joins]))
            tag[joins, t] = festival

    coupon_days = np.flatnonzero(cal.coupon_day)
    protected = [rise.sku] if rise is not None else []
    for weekend in np.unique(cal.weekend_id[coupon_days]):
        days = coupon_days[cal.weekend_id[coupon_days] == weekend]
        joins = rng.random(n) < 0.25
        depth = rng.uniform(0.05, 0.12, n)
        if days[0] >= last_free:
            joins[protected] = False
        for t in days:
            shown[joins, t] = np.floor(regular[joins, t] * (1.0 - depth[joins]))
            tag[joins, t] = TAG_COUPON
    shown = np.round(np.maximum(shown, 1.0), 2)
    return PricePaths(regular=regular, shown=shown, tag=tag)


def build_competitors(
    catalog: Catalog, cal: Calendar, plan: EventPlan, rng: np.random.Generator, regular: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Competitor reference prices and daily lowest offers (NaN rows for untracked SKUs)."""
    n, n_days = catalog.n, cal.n_days
    gap = rng.normal(0.0, 0.08, n)
    comp_ref = round9(catalog.ref_price * (1.0 + gap))
    steps = rng.random((n, n_days)) < 0.1
    shocks = rng.normal(0.0, 0.04, (n, n_days)) * steps
    walk = np.zeros((n, n_days))
    level = np.zeros(n)
    for t in range(n_days):
        # mean-reverting walk in log price: competitors drift but come back to their usual price
        level = np.where(steps[:, t], 0.85 * level + shocks[:, t], level)
        walk[:, t] = level
    price = round9(comp_ref[:, None] * np.exp(walk))
    festival = cal.festival != NO_TAG
    cut = rng.uniform(0.10, 0.25, n)
    price[:, festival] = round9(price[:, festival] * (1.0 - cut[:, None]))

    event = plan.sku_event("price_above_competitor")
    if event is not None and event.sku is not None:
        # the competitor drops to a new everyday price and holds it
        i, s = event.sku, event.start
        old = float(price[i, s - 1])
        # the cut lands below our regular price, so ours ends above theirs as the event's name says; cut from
        # the rival's own price alone, a rival far above us could cut 20% and still be dearer than us
        new = float(round9(min(old, float(regular[i, s])) * (1.0 - event.magnitude["competitor_cut"])))
        price[i, s:] = new
        event.magnitude.update(old_price=old, new_price=new, competitor_cut=round(1.0 - new / old, 4))
    price[~catalog.tracked] = np.nan
    return np.where(catalog.tracked, comp_ref, np.nan), price


def rival_mechanism(seed: int, tracked: np.ndarray, choice: str = "smooth") -> tuple[str, np.ndarray]:
    """How shoppers weigh the rival's price in this shop, and each SKU's kink at price parity.

    "smooth": conversion follows (rival / usual rival) ** cross_elasticity only. "threshold": on top of
    that, once our price is above the rival's, conversion falls by exp(hinge * log(ours / theirs)) (hinge < 0):
    shoppers who compare see the cheaper offer. choice "draw" lets the seed pick (even odds), from its own
    stream so every other draw of the shop stays as it was.
    """
    rng = np.random.default_rng([seed, 2301])
    drawn = RIVAL_MECHANISMS[int(rng.random() < 0.5)]
    mechanism = drawn if choice == "draw" else choice
    if mechanism not in RIVAL_MECHANISMS:
        raise ValueError(f"rival_price must be draw or one of {RIVAL_MECHANISMS}, not {choice!r}")
    hinge = -rng.uniform(*HINGE_RANGE, tracked.size)
    if mechanism == "smooth":
        return mechanism, np.zeros(tracked.size)
    return mechanism, np.round(np.where(tracked, hinge, 0.0), 3)
