"""After the sale: refunds and reviews of order items, including the planted spikes and untrusted text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import Catalog
from .events import EventPlan
from .orders import OrderBook
from .texts import (
    PROMPT_INJECTION_REVIEW,
    REVIEWS_EN,
    REVIEWS_QUALITY,
    REVIEWS_SIZE,
    REVIEWS_ZH,
    SQL_REVIEW,
    group_of,
)

REASONS = ("size", "quality", "late_delivery", "changed_mind")
REASON_MIX = {"apparel": (0.55, 0.15, 0.10, 0.20), "beauty": (0.0, 0.35, 0.25, 0.40)}
REFUND_DELAY = (2, 12)
REVIEW_DELAY = (3, 10)
REVIEW_SHARE = 0.03
QUALITY = REASONS.index("quality")
SIZE = REASONS.index("size")
NO_REFUND = -1


@dataclass
class Refunds:
    """One refund per refunded order item (index into the items of the OrderBook)."""

    item: np.ndarray
    day: np.ndarray
    second: np.ndarray
    reason: np.ndarray
    reason_of_item: np.ndarray


@dataclass
class Reviews:
    """Reviews sorted by time; ids follow that order."""

    sku: np.ndarray
    day: np.ndarray
    second: np.ndarray
    rating: np.ndarray
    text: list[str]


def draw_refunds(book: OrderBook, catalog: Catalog, plan: EventPlan, n_days: int, rng: np.random.Generator) -> Refunds:
    """Each item is refunded with its SKU's rate (higher after a planted spike), 2-12 days later."""
    sku, day = book.item_sku, book.item_day
    size = sku.size
    u = rng.random(size)
    base = catalog.refund_rate[sku]
    hit = u < base
    spike = np.zeros(size, dtype=bool)
    for e in plan.of_kind("refund_spike"):
        spike |= (sku == e.sku) & (day >= e.start) & (day <= e.end) & ~hit & (u < e.magnitude["refund_rate"])
    apparel = catalog.is_apparel[sku]
    cum = {g: np.cumsum(mix) for g, mix in REASON_MIX.items()}
    v = rng.random(size)
    reason = np.where(
        apparel,
        np.searchsorted(cum["apparel"], v, side="right"),
        np.searchsorted(cum["beauty"], v, side="right"),
    ).clip(0, len(REASONS) - 1)
    reason = np.where(spike, QUALITY, reason)
    refund_day = day + rng.integers(REFUND_DELAY[0], REFUND_DELAY[1] + 1, size)
    second = rng.integers(9 * 3600, 23 * 3600, size)
    refunded = hit | spike
    reason_of_item = np.where(refunded, reason, NO_REFUND)
    # refunds due after the last day have not happened yet
    shown = np.flatnonzero(refunded & (refund_day < n_days))
    order = shown[np.lexsort((sku[shown], book.item_order[shown], second[shown], refund_day[shown]))]
    return Refunds(order, refund_day[order], second[order], reason[order], reason_of_item)


def rating_probabilities(mean: np.ndarray) -> np.ndarray:
    """P(rating = 1..5) proportional to exp(beta * rating), with beta set so the mean matches."""
    stars = np.arange(1, 6, dtype=np.float64)
    lo, hi = np.full(mean.shape, -10.0), np.full(mean.shape, 10.0)
    for _ in range(60):
        beta = 0.5 * (lo + hi)
        w = np.exp(beta[:, None] * stars[None, :])
        m = (w * stars).sum(axis=1) / w.sum(axis=1)
        lo, hi = np.where(m < mean, beta, lo), np.where(m < mean, hi, beta)
    w = np.exp(lo[:, None] * stars[None, :])
    return w / w.sum(axis=1, keepdims=True)


def draw_reviews(
    book: OrderBook,
    refunds: Refunds,
    catalog: Catalog,
    plan: EventPlan,
    n_days: int,
    rng: np.random.Generator,
) -> Reviews:
    """~3% of items get a review 3-10 days later; quality refunds leave angry ones."""
    sku = book.item_sku
    reason = refunds.reason_of_item
    share = np.where(reason == QUALITY, 0.12, np.where(reason == SIZE, 0.04, REVIEW_SHARE))
    for e in plan.of_kind("rating_drop"):
        # unhappy buyers write more reviews
        share = np.where((sku == e.sku) & (book.item_day >= e.start - 3), 2.5 * share, share)
    chosen = np.flatnonzero(rng.random(sku.size) < share)
    day = book.item_day[chosen] + rng.integers(REVIEW_DELAY[0], REVIEW_DELAY[1] + 1, chosen.size)
    chosen, day = chosen[day < n_days], day[day < n_days]
    s = sku[chosen]
    probs = rating_probabilities(catalog.rating)
    for e in plan.of_kind("rating_drop"):
        probs = np.vstack([probs, rating_probabilities(np.array([e.magnitude["review_mean"]]))])
    row = s.copy()
    for k, e in enumerate(plan.of_kind("rating_drop")):
        row = np.where((s == e.sku) & (day >= e.start), catalog.n + k, row)
    cum = np.cumsum(probs, axis=1)[row]
    rating = 1 + (rng.random(s.size)[:, None] > cum[:, :4]).sum(axis=1)
    why = reason[chosen]
    rating = np.where(why == QUALITY, rng.integers(1, 3, s.size), rating)
    rating = np.where(why == SIZE, rng.integers(2, 4, s.size), rating)
    second = rng.integers(8 * 3600, 24 * 3600, s.size)
    english = rng.random(s.size) < 0.1
    pick = rng.random(s.size)
    text = [
        _review_text(catalog, int(i), int(r), int(w), bool(en), float(p), rng_value)
        for i, r, w, en, p, rng_value in zip(s, rating, why, english, pick, rng.random(s.size), strict=True)
    ]

    # untrusted text on a low-volume SKU, so agents meet it in recent reviews
    quiet = plan.untrusted_sku
    extra_day = np.array([n_days - 6, n_days - 4])
    s = np.r_[s, quiet, quiet]
    day = np.r_[day, extra_day]
    rating = np.r_[rating, 5, 2]
    second = np.r_[second, 21 * 3600 + 1234, 22 * 3600 + 2345]
    text += [PROMPT_INJECTION_REVIEW, SQL_REVIEW]
    order = np.lexsort((np.arange(s.size), second, day))
    return Reviews(s[order], day[order], second[order], rating[order], [text[k] for k in order])


def review_ids(count: int) -> list[str]:
    """Review ids R000001.. in time order."""
    width = max(6, len(str(count)))
    return [f"R{k + 1:0{width}d}" for k in range(count)]


def _review_text(catalog: Catalog, i: int, rating: int, why: int, english: bool, pick: float, other: float) -> str:
    group = group_of(catalog.category[i])
    if why == QUALITY:
        options: tuple[str, ...] = REVIEWS_QUALITY[group]
    elif why == SIZE:
        options = REVIEWS_SIZE
    else:
        mood = "positive" if rating >= 4 else "neutral" if rating == 3 else "negative"
        options = (REVIEWS_EN if english else REVIEWS_ZH)[(group, mood)]
    template = options[int(pick * len(options))]
    attrs = catalog.attributes[i]
    colors = attrs["colors"]
    assert isinstance(colors, list)
    color = colors[int(other * len(colors))] if colors else ""
    return template.format(material=catalog.materials[i], color=color)
