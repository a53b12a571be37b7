"""How each planted cause edits the shop's daily drivers; removing a cause means not applying it."""

from dataclasses import dataclass, field

import numpy as np

from .history import Drivers
from .timeline import CHANNELS

SURGE_CHANNELS = [0, 1, 4]   # a viral post lifts search, recommendation and outside links


@dataclass
class Cause:
    """One planted cause; dates are day indexes, params drive the edit, magnitude is reported."""
    kind: str
    sku: int | None
    channel: str | None
    start: int
    end: int
    params: dict = field(default_factory=dict)
    magnitude: dict = field(default_factory=dict)


def _stockout(d: Drivers, c: Cause) -> None:
    # the supplier stops delivering; whatever it owes arrives the day after the cause ends
    s, last = c.sku, c.params["fail_to"]
    d.supply_fill[c.params["fail_from"]:last + 1, s] = 0.0
    if last + 1 < d.price.shape[0]:
        d.supply_release[last + 1, s] = True


def _price_increase(d: Drivers, c: Cause) -> None:
    d.regular_price[c.start:, c.sku] = c.params["new_price"]
    d.price[c.start:, c.sku] = c.params["new_price"]
    d.promo_tag[c.start:, c.sku] = ""


def _price_above_competitor(d: Drivers, c: Cause) -> None:
    d.competitor_price[c.start:, c.sku] = c.params["competitor_price"]


def _promotion_below_target(d: Drivers, c: Cause) -> None:
    d.paid_quality[c.start:, c.sku] *= c.params["paid_conversion_factor"]


def _traffic_drop(d: Drivers, c: Cause) -> None:
    ch = CHANNELS.index(c.channel)
    keep = 1.0 - c.params["drop"]
    skus = slice(None) if c.sku is None else c.sku   # a channel of every SKU, or of one SKU (ranking penalty)
    d.organic_impressions[c.start, skus, ch] *= 1.0 - c.params["drop"] / 2   # the change rolls out over a day
    d.organic_impressions[c.start + 1:c.end + 1, skus, ch] *= keep


def _refund_spike(d: Drivers, c: Cause) -> None:
    d.quality_refund[c.start:c.end + 1, c.sku] = c.params["quality_refund_rate"]


def _rating_drop(d: Drivers, c: Cause) -> None:
    d.bad_share[c.start:c.end + 1, c.sku] = c.params["unhappy_share"]


def surge_profile(n_days: int, start: int, peak: float, half_life: float) -> np.ndarray:
    """Traffic multiplier of a viral item: a quick rise, then a slow fade."""
    k = np.arange(n_days - start, dtype=float)
    lift = (peak - 1.0) * np.where(k == 0, 0.6, 0.5 ** ((k - 1) / half_life))
    return 1.0 + lift


def _demand_surge(d: Drivers, c: Cause) -> None:
    lift = surge_profile(d.price.shape[0], c.start, c.params["peak_multiplier"], c.params["half_life_days"])
    for ch in SURGE_CHANNELS:
        d.organic_impressions[c.start:, c.sku, ch] *= lift


def _experience_drop(d: Drivers, c: Cause) -> None:
    n = d.price.shape[0] - c.start
    ramp = np.minimum((np.arange(n) + 1) / 2.0, 1.0) * c.params["drop"]
    part = c.params["sub_score"]
    d.sub_scores[c.start:, part] -= ramp / 0.3    # logistics and service weigh 0.3 in the experience score
    d.experience_score[c.start:] -= ramp


APPLY = {
    "stockout": _stockout, "price_increase": _price_increase, "price_above_competitor": _price_above_competitor,
    "promotion_below_target_roi": _promotion_below_target, "traffic_drop": _traffic_drop,
    "refund_spike": _refund_spike, "rating_drop": _rating_drop, "demand_surge": _demand_surge,
    "experience_score_drop": _experience_drop,
}


def apply_causes(base: Drivers, causes: list[Cause]) -> Drivers:
    """A copy of the drivers with these causes applied."""
    drivers = base.copy()
    for cause in causes:
        APPLY[cause.kind](drivers, cause)
    return drivers
