"""Choosing the planted causes: kinds, SKUs (high- and low-volume), start days and sizes."""

import numpy as np

from .catalog import round_price
from .effects import Cause
from .history import Shop
from .model import simulate
from .prices import parity_factor

MANDATORY = ("stockout", "price_increase", "price_above_competitor", "promotion_below_target_roi",
             "traffic_drop", "refund_spike", "rating_drop")
EXTRA = ("stockout", "price_increase", "price_above_competitor", "promotion_below_target_roi",
         "refund_spike", "rating_drop", "demand_surge", "traffic_drop")
# start = last day + 1 - x, x drawn from this range (x = 14 is the first day of the last 14)
START_BACK = {
    "stockout": (5, 12), "price_increase": (4, 14), "price_above_competitor": (4, 14),
    "promotion_below_target_roi": (5, 14), "traffic_drop": (4, 13), "refund_spike": (10, 17),
    "rating_drop": (12, 18), "demand_surge": (4, 12), "experience_score_drop": (4, 13),
}
EARLY_BACK = (15, 17)   # some causes start a few days before the last 14
MIN_ORDERS = {"stockout": 3.0, "price_increase": 1.5, "price_above_competitor": 1.5,
              "promotion_below_target_roi": 0.0, "refund_spike": 8.0, "rating_drop": 10.0, "demand_surge": 1.0}


class _Picker:
    """Hands out SKUs, alternating between the high-volume third and the rest."""

    def __init__(self, rng, gmv, orders_per_day, steady):
        self.rng, self.orders, self.steady = rng, orders_per_day, steady
        ranked = np.argsort(-np.where(steady, gmv, -1.0), kind="stable")
        n_high = int(np.ceil(0.35 * steady.sum()))
        self.high = np.zeros(gmv.size, bool)
        self.high[ranked[:n_high]] = True
        self.used = np.zeros(gmv.size, bool)
        self.want_high = bool(rng.random() < 0.5)

    def pick(self, kind: str, allowed: np.ndarray) -> int | None:
        base = self.steady & ~self.used & allowed
        pool = base & (self.orders >= MIN_ORDERS[kind])
        if not pool.any():
            pool = base & (self.orders >= 0.5)
        if not pool.any():
            return None
        tier = pool & (self.high if self.want_high else ~self.high)
        chosen = tier if tier.any() else pool
        sku = int(self.rng.choice(np.flatnonzero(chosen)))
        self.used[sku] = True
        self.want_high = not self.want_high
        return sku


def _start(rng, kind: str, n_days: int) -> int:
    lo, hi = START_BACK[kind]
    if kind not in ("stockout", "rating_drop", "demand_surge") and rng.random() < 0.2:
        lo, hi = EARLY_BACK
    return n_days - int(rng.integers(lo, hi + 1))


def _conversion_share(cat, s, price, comp):
    own = np.exp(cat.alpha[s] - cat.price_sensitivity[s] * np.log(price / cat.list_price[s]))
    rival = cat.rival_weight[s] * (comp / cat.list_price[s]) ** (-cat.rival_sensitivity[s])
    if cat.parity_kink is not None:
        own = own * parity_factor(cat.parity_kink[s], price, comp)
    return own / (1 + own + rival)


def plant_causes(shop: Shop, rng: np.random.Generator, traffic: str = "shop") -> list[Cause]:
    """Draw 7 to 12 causes, at least one of each mandatory kind, at most one per SKU.

    traffic: the mandatory traffic drop hits a channel of every SKU ("shop") or one SKU's channel ("sku");
    "draw" lets the seed pick (see traffic_mechanism)."""
    cat, d, D = shop.catalog, shop.drivers, shop.n_days
    pre = simulate(shop, d)
    window = slice(D - 28, D)
    orders_per_day = pre.orders[window].sum(axis=(0, 2)) / 28
    steady = d.on_sale[shop.quiet_from:].all(axis=0) & (cat.launch_day < D - 60)
    picker = _Picker(rng, pre.gmv[window].sum(axis=(0, 2)), orders_per_day, steady)

    n_total = int(rng.integers(7, 13))
    kinds = list(MANDATORY)
    for optional, chance in (("demand_surge", 0.7), ("experience_score_drop", 0.5)):
        if len(kinds) < n_total and rng.random() < chance:
            kinds.append(optional)
    while len(kinds) < n_total:
        kind = str(rng.choice(EXTRA))
        if kind != "traffic_drop" or kinds.count("traffic_drop") < 2:
            kinds.append(kind)

    causes = []
    channels = [str(c) for c in rng.permutation(["search", "recommend"])]
    for kind in kinds:
        large = bool(rng.random() < 0.5)
        start = _start(rng, kind, D)
        cause = Cause(kind, None, None, start, D - 1, magnitude={"size": "large" if large else "small"})
        u = rng.uniform
        if kind == "traffic_drop":
            cause.channel = channels.pop(0)
            cause.params["drop"] = u(0.3, 0.45) if large else u(0.15, 0.25)
            if rng.random() < 0.3:
                cause.end = min(D - 1, start + int(rng.integers(5, 9)))
        elif kind == "experience_score_drop":
            cause.params.update(drop=u(0.3, 0.5) if large else u(0.15, 0.25), sub_score=int(rng.integers(1, 3)))
        else:
            allowed = np.ones(len(cat.sku_ids), bool)
            if kind == "promotion_below_target_roi":
                ad_orders = pre.orders[window, :, 2].sum(axis=0) / 28
                allowed = ((d.daily_budget[shop.quiet_from:] > 0).all(axis=0)
                           & (pre.spend[window].mean(axis=0) >= 30) & (ad_orders >= 0.8))
                # enough paid orders a day that the ROI fall shows through the noise
                busy = allowed & (ad_orders >= 3.0)
                allowed = busy if (busy & picker.steady & ~picker.used).any() else allowed
            elif kind == "stockout":
                # a supplier failure empties the shelf within weeks only where cover is not huge
                cover = pre.on_hand[D - 15] / np.maximum(pre.units[window].sum(axis=(0, 2)) / 28, 1e-9)
                allowed = cover <= 30
            elif kind == "price_above_competitor":
                comp_low = np.nan_to_num(d.competitor_price[shop.quiet_from:start], nan=0.0).min(axis=0)
                allowed = cat.has_competitor & (comp_low >= d.price[start - 1])
                # prefer a plausible undercut: the competitor is not far above us to begin with
                near = allowed & (d.competitor_price[start - 1] <= 1.25 * d.price[start - 1])
                allowed = near if (near & picker.steady & ~picker.used).any() else allowed
            cause.sku = picker.pick(kind, allowed)
            if cause.sku is None:
                continue
            _size_sku_cause(cause, shop, pre, large, rng)
        causes.append(cause)
    traffic_mechanism(shop, causes, orders_per_day, picker.steady & ~picker.used, traffic)
    return causes


TRAFFIC_MECHANISMS = ("shop", "sku")


def traffic_mechanism(shop: Shop, causes: list[Cause], orders_per_day: np.ndarray, free: np.ndarray,
                      choice: str = "shop") -> str:
    """How this shop loses traffic: "shop" (the mandatory traffic drop hits every SKU's channel) or "sku"
    (one SKU no other cause touches loses 25-45% of its search or recommend impressions, 单品降权).

    Drawn from its own stream ("draw": even odds), so the other causes of the shop stay as they were."""
    rng = np.random.default_rng([shop.seed, 2302])
    drawn = TRAFFIC_MECHANISMS[int(rng.random() < 0.5)]
    mechanism = drawn if choice == "draw" else choice
    if mechanism not in TRAFFIC_MECHANISMS:
        raise ValueError(f"traffic must be draw or one of {TRAFFIC_MECHANISMS}, not {choice!r}")
    drop = next((cause for cause in causes if cause.kind == "traffic_drop"), None)
    pool = np.flatnonzero(free & (orders_per_day >= 1.0))
    if mechanism == "shop" or drop is None or not pool.size:
        return "shop"
    # a merchant notices (and asks about) a penalty on an item that sells: the busier half of the free SKUs
    pool = pool[np.argsort(-orders_per_day[pool], kind="stable")][: max(1, (pool.size + 1) // 2)]
    drop.sku = int(rng.choice(pool))
    drop.start, drop.end = shop.n_days - int(rng.integers(11, 15)), shop.n_days - 1
    drop.channel = "search" if rng.random() < 0.7 else "recommend"
    drop.params["drop"] = float(rng.uniform(0.25, 0.45))
    drop.magnitude["scope"] = "sku"
    return mechanism


def _size_sku_cause(cause: Cause, shop: Shop, pre, large: bool, rng) -> None:
    cat, d, D, s, start = shop.catalog, shop.drivers, shop.n_days, cause.sku, cause.start
    u = rng.uniform
    if cause.kind == "stockout":
        cause.params.update(fail_from=start - 3, fail_to=D - 1, to_end=bool(rng.random() < 0.5),
                            out_days=int(rng.integers(3, 7)))
    elif cause.kind == "price_increase":
        old = float(d.regular_price[start - 1, s])
        new = round_price(old * (1 + (u(0.15, 0.30) if large else u(0.06, 0.10))))
        new = max(new, old + 10.0)
        cause.params["new_price"] = new
        cause.magnitude.update(old_price=old, new_price=new, change=round(new / old - 1, 4))
    elif cause.kind == "price_above_competitor":
        ours = float(d.price[start - 1, s])
        before = float(d.competitor_price[start - 1, s])
        factor = u(0.72, 0.85) if large else u(0.90, 0.95)
        # deepen the cut until our conversion visibly suffers (at least 8%)
        while factor > 0.6 and (_conversion_share(cat, s, ours, ours * factor)
                                / _conversion_share(cat, s, ours, before)) > 0.92:
            factor -= 0.03
        after = float(np.round(ours * factor) - 0.1)
        cause.params["competitor_price"] = after
        cause.magnitude.pop("size")
        cause.magnitude.update(our_price=ours, competitor_before=before, competitor_after=after,
                               cut=round(1 - after / before, 4))
    elif cause.kind == "promotion_below_target_roi":
        window = slice(D - 28, D)
        roi_before = pre.gmv[window, s, 2].sum() / max(pre.spend[window, s].sum(), 1e-9)
        target = float(d.target_roi[-1, s])
        factor = min(u(0.15, 0.35) if large else u(0.5, 0.65), 0.6 * target / roi_before)
        cause.params["paid_conversion_factor"] = factor
        cause.magnitude.update(paid_conversion_factor=round(factor, 4), target_roi=target,
                               daily_budget=float(d.daily_budget[-1, s]))
    elif cause.kind == "refund_spike":
        rate = u(0.2, 0.35) if large else u(0.12, 0.18)
        cause.params["quality_refund_rate"] = rate
        cause.magnitude.update(quality_refund_rate_before=round(float(cat.refund_quality[s]), 4),
                               quality_refund_rate_after=round(rate, 4))
    elif cause.kind == "rating_drop":
        cause.params["unhappy_share"] = u(0.55, 0.75) if large else u(0.35, 0.45)
    elif cause.kind == "demand_surge":
        cause.params.update(peak_multiplier=u(3.5, 6.0) if large else u(2.0, 3.0), half_life_days=u(4, 12))
        cause.magnitude.update(peak_multiplier=round(cause.params["peak_multiplier"], 3),
                               half_life_days=round(cause.params["half_life_days"], 2))
