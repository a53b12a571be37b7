"""Price paths: our regular price, festival and coupon discounts, and the competitor's lowest offer."""

import numpy as np

from .catalog import round_price


def regular_prices(rng, list_price: np.ndarray, n_days: int, quiet_from: int) -> np.ndarray:
    """Regular price per day and SKU; some SKUs are repriced once or twice before the quiet window."""
    prices = np.tile(list_price, (n_days, 1)).astype(float)
    for s in range(list_price.size):
        if rng.random() >= 0.4 or quiet_from < 20:
            continue
        for day in np.sort(rng.integers(5, quiet_from, size=rng.integers(1, 3))):
            factor = rng.choice([rng.uniform(0.86, 0.95), rng.uniform(1.05, 1.14)])
            new = round_price(prices[day - 1, s] * factor)
            if new != prices[day - 1, s]:
                prices[day:, s] = new
    return prices


def shop_discounts(rng, festival_tags: list[str], n_skus: int, quiet_from: int) -> tuple[np.ndarray, np.ndarray]:
    """Discount share and promo tag per day and SKU: festival sales and short coupon spells."""
    D = len(festival_tags)
    discount = np.zeros((D, n_skus))
    tags = np.full((D, n_skus), "", dtype=object)
    festival_days = {}
    for day, tag in enumerate(festival_tags):
        if tag:
            festival_days.setdefault(tag, []).append(day)
    for tag, days in sorted(festival_days.items()):
        joins = rng.random(n_skus) < 0.75
        depth = rng.uniform(0.10, 0.25, size=n_skus)
        for s in np.flatnonzero(joins):
            discount[days, s] = depth[s]
            tags[days, s] = tag
    for s in range(n_skus):
        for _ in range(rng.poisson(max(quiet_from - 6, 0) / 45)):
            start = rng.integers(0, quiet_from - 6)
            days = np.arange(start, start + rng.integers(2, 6))
            days = days[tags[days, s] == ""]
            discount[days, s] = rng.uniform(0.05, 0.12)
            tags[days, s] = "coupon"
    return discount, tags


def competitor_prices(rng, list_price, has_comp, ratio, festival_tags, quiet_from):
    """The competitor's lowest comparable offer per day (nan without one) and whether the row was exported."""
    D, S = len(festival_tags), list_price.size
    regular = np.tile(np.round(list_price * ratio) - 0.1, (D, 1))
    for s in np.flatnonzero(has_comp & (rng.random(S) < 0.4)):
        if quiet_from > 15:
            day = rng.integers(10, quiet_from)
            regular[day:, s] = np.round(regular[day - 1, s] * rng.uniform(0.85, 1.15)) - 0.1
    price = regular.copy()
    festival = np.array([bool(t) for t in festival_tags])
    joins = rng.random(S) < 0.7
    cut = rng.uniform(0.08, 0.22, size=S)
    price[np.ix_(festival, joins)] *= 1 - cut[joins]
    # a different seller briefly undercuts, or the cheapest sells out, for a single day
    blips = rng.random((D, S)) < 0.04
    price = np.where(blips, price * rng.uniform(0.97, 1.03, size=(D, S)), price)
    price = np.round(price, 2)
    price[:, ~has_comp] = np.nan
    seen = rng.random((D, S)) > 0.05
    for s in np.flatnonzero(rng.random(S) < 0.3):
        start = rng.integers(0, D - 6)
        seen[start:start + rng.integers(3, 7), s] = False
    return price, seen & has_comp[None, :]


RIVAL_MECHANISMS = ("smooth", "threshold")


def draw_parity_kink(seed: int, n_skus: int, choice: str = "smooth") -> tuple[str, np.ndarray]:
    """The shop's rival-price mechanism and each SKU's kink at parity (0 = smooth choice only).

    "threshold": shoppers who compare see the cheaper offer, so our utility loses kink * log(ours / theirs)
    once we are dearer, on top of the logit's smooth pull of the rival. "draw" lets the seed pick, from its
    own stream (every other draw of the shop stays as it was)."""
    rng = np.random.default_rng([seed, 2302])
    drawn = RIVAL_MECHANISMS[int(rng.random() < 0.5)]
    mechanism = drawn if choice == "draw" else choice
    if mechanism not in RIVAL_MECHANISMS:
        raise ValueError(f"rival_price must be draw or one of {RIVAL_MECHANISMS}, not {choice!r}")
    kink = rng.uniform(1.5, 4.5, size=n_skus)
    return mechanism, (kink if mechanism == "threshold" else np.zeros(n_skus))


def parity_factor(kink, price, comp):
    """exp(-kink * log(price / comp)) while our price is above the rival's; 1 without a rival's price."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(np.isnan(comp), 0.0, np.log(price / np.where(np.isnan(comp), price, comp)))
    return np.exp(-kink * np.maximum(gap, 0.0))
