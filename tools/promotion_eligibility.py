"""Which SKUs are worth entering in full-site promotion (全站推广), and why each one left out is left out.

The platform only compensates a plan that under-delivers its target ROI, so paid traffic is worth buying only
for items that can convert it: in stock for the plan's horizon, not priced far above a competitor, not in a
rating slide (the platform rewards competitive items: price, quality, heat), not selling at a loss once
refunds come back, in a shop whose store experience score (店铺体验分) the platform still rewards.

Two checks weigh what a problem costs rather than that it exists. A refund jump excludes the SKU only when it
makes promoting it lose money at the plan's target ROI. A competitor's undercut excludes it only when, by the
SKU's own measured response to the competitor's price, the new gap costs most of its conversion; a smaller
undercut is a note, because its curve values every click at the competitor's new price and the optimiser
funds it only as far as it still pays. Without a measured response an undercut excludes, as it cannot be valued.
Trends are judged against the SKU's own history with tests adjusted for the number of SKUs checked, so a quiet
shop's noise does not exclude anything.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.panel import ShopPanel
from shopagent.tools.stats import one_sided_critical_z
from shopagent.tools.wording import Language, say

MIN_COVER_DAYS = 3.0  # stock for fewer days than a typical restock takes: the promotion would sell it out
FAR_ABOVE = 0.15  # our price / competitor's - 1 from which a gap is checked...
NEW_GAP = 0.10  # ...when the gap is this much wider than the SKU's usual one (an undercut, not positioning)
LOST_TO_COMPETITOR = 0.5  # the widened gap costs this share of conversion: most comparing shoppers walk away
EXPERIENCE_FLOOR = 4.0  # below this 店铺体验分 the platform throttles the shop's paid traffic
EXPERIENCE_DROP = 0.2  # a fall this large is reported: conversion usually follows the score
RECENT_DAYS = 28
REFUND_LAG = 7  # refunds arrive about a week after the sale they undo
REFUND_DAYS = 14  # a quality problem shows in two weeks of refunds, before it drowns in a month of normal ones
RATING_WINDOWS = (14, 30)  # days: a fall of the last fortnight shows before a month's mean dilutes it


class SkuEligibility(BaseModel):
    """One SKU's entry check: eligible, or the reasons it is not, with the figures behind them."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    eligible: bool
    reasons: list[str]  # why it is left out (empty when eligible)
    notes: list[str]  # worth knowing but not disqualifying
    price: float | None
    competitor_price: float | None
    price_gap: float | None  # price / competitor price - 1
    usual_price_gap: float | None
    on_hand: float | None
    daily_units: float
    cover_days: float | None
    rating_recent: float | None
    rating_before: float | None
    refund_rate_recent: float | None
    refund_rate_before: float | None
    refund_rate: float  # over the whole history loaded: what the margin is computed with
    gross_margin: float | None  # (1 - refund rate) x (1 - unit cost / price paid)
    break_even_roi: float | None  # 1 / gross_margin: below this ROI every yuan of GMV loses money


class ShopEligibility(BaseModel):
    """The shop-level gate: the store experience score now and before."""

    model_config = ConfigDict(frozen=True)

    experience_score: float | None
    experience_before: float | None
    blocked: bool
    note: str | None


class Eligibility(BaseModel):
    """Entry checks for every SKU on sale on `as_of`."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    horizon_days: int
    shop: ShopEligibility
    skus: list[SkuEligibility]


def check_eligibility(panel: ShopPanel, *, as_of: date, horizon_days: int = 14,
                      target_roi: float | None = None, competitor_response: dict[str, float] | None = None,
                      lang: Language = "en") -> Eligibility:
    """Check every SKU on sale on `as_of` for full-site promotion: stock, price, rating, refunds, shop score.

    target_roi: the plan's; a SKU whose refunds jumped stays in when it still earns money at that ROI.
    competitor_response: per SKU, its conversion elasticity to the competitor's price (from its curve); an
    undercut SKU with one stays in unless the gap costs most of its conversion.
    """
    end = (as_of - panel.days[0]).days + 1
    shop = _shop_gate(panel, end, lang)
    on_sale = ~np.isnan(panel.price[:, end - 1])
    active = np.array([status == "active" for status in panel.catalog.status])
    rows = np.flatnonzero(on_sale & active)
    out = panel.stockout()[:, :end]
    recent = slice(max(0, end - RECENT_DAYS), end)
    units_in_stock = np.where(out[:, recent], np.nan, panel.units[:, recent])
    # a SKU out of stock on every one of the last 14 days sold nothing it could have: 0 units a day
    recent_in_stock = units_in_stock[:, -14:]
    days_in_stock = np.isfinite(recent_in_stock).sum(axis=1)
    daily_units = np.nansum(recent_in_stock, axis=1) / np.maximum(days_in_stock, 1)
    tests = max(1, rows.size)
    refund_prior = _refund_prior(panel, rows, end)
    skus = []
    for row in rows:
        reasons: list[str] = []
        notes: list[str] = []
        on_hand = panel.on_hand[row, end - 1]
        on_hand = None if np.isnan(on_hand) else float(on_hand)
        cover = None if on_hand is None or daily_units[row] <= 0 else on_hand / daily_units[row]
        if out[row, end - 1] or (on_hand is not None and on_hand <= 0):
            reasons.append(say(lang, "promotion", "out_of_stock", day=as_of))
        elif cover is not None and cover < MIN_COVER_DAYS:
            reasons.append(say(lang, "promotion", "low_stock", on_hand=on_hand, cover=cover))
        elif cover is not None and cover < horizon_days:
            notes.append(say(lang, "promotion", "short_stock", cover=cover, horizon=horizon_days))
        price, competitor, gap, usual = _price_position(panel, row, end)
        if gap is not None and gap >= FAR_ABOVE and (usual is None or gap - usual >= NEW_GAP):
            was = "" if usual is None else say(lang, "promotion", "usual_gap", gap=usual)
            response = (competitor_response or {}).get(panel.catalog.sku_ids[row])
            if response is None:
                reasons.append(say(lang, "promotion", "undercut", gap=gap, competitor=competitor, usual=was))
            else:
                lost = 1.0 - ((1.0 + (usual or 0.0)) / (1.0 + gap)) ** response
                key = "undercut_far" if lost >= LOST_TO_COMPETITOR else "undercut_kept"
                (reasons if lost >= LOST_TO_COMPETITOR else notes).append(
                    say(lang, "promotion", key, gap=gap, competitor=competitor, usual=was, lost=lost))
        elif gap is not None and gap >= FAR_ABOVE:
            notes.append(say(lang, "promotion", "priced_above_as_usual", gap=gap))
        rating_fall = _rating_fall(panel, row, end, tests)
        rating_now, rating_before = (rating_fall[0], rating_fall[1]) if rating_fall else (None, None)
        if rating_fall:
            reasons.append(say(lang, "promotion", "rating_fell", before=rating_before, now=rating_now,
                               days=rating_fall[2]))
        refund_now, refund_before, refund_rate, refund_up = _refund_trend(panel, row, end, tests, refund_prior)
        margin, break_even = _margin(panel, row, end, refund_rate)
        if refund_up:
            _, break_even_now = _margin(panel, row, end, refund_now)
            # 1 / margin at today's refund rate: below that ROI each promoted sale loses money once refunds land
            if target_roi is None or break_even_now is None or break_even_now >= target_roi:
                at = "" if break_even_now is None else say(lang, "promotion", "refund_break_even",
                                                                break_even=break_even_now)
                reasons.append(say(lang, "promotion", "refund_excluded", before=refund_before, now=refund_now,
                                   break_even_note=at))
            else:
                notes.append(say(lang, "promotion", "refund_kept", before=refund_before, now=refund_now,
                                 break_even=break_even_now))
        if margin is not None and margin <= 0:
            reasons.append(say(lang, "promotion", "below_cost"))
        if shop.blocked and shop.note:
            reasons.append(shop.note)
        skus.append(SkuEligibility(
            sku_id=panel.catalog.sku_ids[row], eligible=not reasons, reasons=reasons, notes=notes,
            price=price, competitor_price=competitor, price_gap=_round(gap, 4), usual_price_gap=_round(usual, 4),
            on_hand=on_hand, daily_units=round(float(daily_units[row]), 2), cover_days=_round(cover, 1),
            rating_recent=rating_now, rating_before=rating_before, refund_rate_recent=_round(refund_now, 4),
            refund_rate_before=_round(refund_before, 4), refund_rate=round(refund_rate, 4),
            gross_margin=_round(margin, 4), break_even_roi=_round(break_even, 2)))
    return Eligibility(as_of=as_of, horizon_days=horizon_days, shop=shop, skus=skus)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _shop_gate(panel: ShopPanel, end: int, lang: Language) -> ShopEligibility:
    score = panel.experience_score[:end]
    if np.isnan(score).all():
        return ShopEligibility(experience_score=None, experience_before=None, blocked=False,
                               note=say(lang, "promotion", "no_shop_scores"))
    now = float(np.nanmean(score[-3:])) if not np.isnan(score[-3:]).all() else float("nan")
    before_part = score[max(0, end - 60): max(0, end - 14)]
    before = float(np.nanmean(before_part)) if before_part.size and not np.isnan(before_part).all() else None
    if not np.isfinite(now):
        return ShopEligibility(experience_score=None, experience_before=before, blocked=False, note=None)
    if now < EXPERIENCE_FLOOR:
        note = say(lang, "promotion", "score_blocks", now=now, floor=EXPERIENCE_FLOOR)
        return ShopEligibility(experience_score=round(now, 2), experience_before=_round(before, 2), blocked=True,
                               note=note)
    note = None
    if before is not None and before - now >= EXPERIENCE_DROP:
        note = say(lang, "promotion", "score_fell", before=before, now=now)
    return ShopEligibility(experience_score=round(now, 2), experience_before=_round(before, 2), blocked=False,
                           note=note)


def _price_position(panel: ShopPanel, row: int, end: int) -> tuple[float | None, float | None, float | None,
                                                                   float | None]:
    price = float(panel.price[row, end - 1])
    competitor = panel.competitor_price[row, max(0, end - 7):end]
    if np.isnan(competitor).all():
        return round(price, 2), None, None, None
    now = float(np.nanmedian(competitor))
    history = panel.price[row, max(0, end - 90):max(0, end - 14)] / panel.competitor_price[
        row, max(0, end - 90):max(0, end - 14)]
    history = history[np.isfinite(history)]
    usual = float(np.median(history)) - 1.0 if history.size >= 14 else None
    return round(price, 2), round(now, 2), price / now - 1.0, usual


def _rating_fall(panel: ShopPanel, row: int, end: int, tests: int) -> tuple[float, float, int] | None:
    """Recent and earlier mean rating, and the recent window's days, when the recent one is significantly (and
    materially) lower over the last fortnight or the last month (both windows count in the Bonferroni)."""
    for days in RATING_WINDOWS:
        recent = slice(max(0, end - days), end)
        before = slice(max(0, end - 150), max(0, end - days))
        n_now, n_before = panel.review_count[row, recent].sum(), panel.review_count[row, before].sum()
        if n_now < 5 or n_before < 5:
            continue
        mean_now = panel.review_rating_sum[row, recent].sum() / n_now
        mean_before = panel.review_rating_sum[row, before].sum() / n_before
        # ratings of 1-5 have a variance of at most 4; about 1 is typical of a product people like
        se = np.sqrt(1.0 / n_now + 1.0 / n_before)
        if (mean_before - mean_now >= 0.3
                and (mean_before - mean_now) / se > one_sided_critical_z(tests * len(RATING_WINDOWS))):
            return round(float(mean_now), 2), round(float(mean_before), 2), days
    return None


def _refund_trend(panel: ShopPanel, row: int, end: int, tests: int,
                  prior: tuple[float, float]) -> tuple[float | None, float | None, float, bool]:
    """Refund rate (refunded units / units sold a week earlier) recently and before, whether it jumped, and the
    rate the margin is computed with: the SKU's whole history shrunk toward the shop's (`prior`: the shop's rate
    and its weight in units), so a SKU with a handful of sales is not written off for one refund."""
    refunds_now, sold_now = _refunds_and_sales(panel, row, end, REFUND_DAYS)
    refunds_before, sold_before = _refunds_and_sales(panel, row, end - REFUND_DAYS, 120)
    shop_rate, weight = prior
    overall = (refunds_now + refunds_before + weight * shop_rate) / max(sold_now + sold_before + weight, 1.0)
    if sold_now < 20 or sold_before < 20:
        return None, None, min(overall, 1.0), False
    now, before = refunds_now / sold_now, refunds_before / sold_before
    pooled = (refunds_now + refunds_before) / (sold_now + sold_before)
    se = np.sqrt(max(pooled * (1 - pooled), 1e-6) * (1 / sold_now + 1 / sold_before) * _clumping(panel, row, end))
    jumped = (refunds_now >= 5 and now >= 1.5 * before and now - before >= 0.05
              and (now - before) / se > one_sided_critical_z(tests))
    # the margin uses the rate before a spike too: a spike that got the SKU excluded is not its normal cost
    return now, before, min(before if jumped else overall, 1.0), bool(jumped)


def _refunds_and_sales(panel: ShopPanel, row: int, stop: int, days: int) -> tuple[float, float]:
    """Refunded units over the `days` before `stop`, and the units sold over the days those refunds undo.

    The sales are a week earlier; a history that does not reach back that far pairs the refunds with the same
    days' sales instead (a shop refunding at a steady rate gives the same ratio either way), never with none.
    """
    start = max(0, stop - days)
    if stop <= 0:
        return 0.0, 0.0
    lag = min(REFUND_LAG, start)
    refunds = panel.refund_units[row, start:stop].sum()
    sold = panel.units[row, start - lag:stop - lag].sum()
    return float(refunds), float(sold)


def _clumping(panel: ShopPanel, row: int, end: int) -> float:
    """Units come in orders of 1-3 and are refunded together, so counts vary more than coin flips would:
    the variance is inflated by the square of the units per order."""
    orders = panel.orders[row, max(0, end - 120):end].sum()
    return max((panel.units[row, max(0, end - 120):end].sum() / orders) ** 2 if orders > 0 else 1.0, 1.0)


def _refund_prior(panel: ShopPanel, rows: np.ndarray, end: int) -> tuple[float, float]:
    """The shop's refund rate and how many units of a SKU's own sales it is worth (empirical Bayes, beta-binomial
    by the method of moments): SKUs whose rates differ little beyond their noise borrow the shop's strongly."""
    pairs = [_refunds_and_sales(panel, row, end, REFUND_DAYS + 120) for row in rows]
    refunds = np.array([p[0] for p in pairs])
    sold = np.array([p[1] for p in pairs])
    seen = sold > 0
    if not seen.any() or sold.sum() <= 0:
        return 0.0, 0.0
    refunds, sold = refunds[seen], sold[seen]
    rate = min(float(refunds.sum() / sold.sum()), 1.0)
    noise = rate * (1.0 - rate) * float(np.mean([_clumping(panel, row, end) for row in rows[seen]]))
    spread_units = float(sold.sum() - np.square(sold).sum() / sold.sum())
    between = (float((sold * (refunds / sold - rate) ** 2).sum()) - (seen.sum() - 1) * noise)
    if spread_units <= 0:
        return rate, 0.0
    variance = between / spread_units
    if variance <= 0:
        return rate, float(sold.max())  # no spread beyond noise: the shop's rate is worth a busy SKU's history
    return rate, float(np.clip(rate * (1.0 - rate) / variance - 1.0, 0.0, sold.max()))


def _margin(panel: ShopPanel, row: int, end: int, refund_rate: float) -> tuple[float | None, float | None]:
    part = slice(max(0, end - RECENT_DAYS), end)
    units = panel.units[row, part].sum()
    paid = panel.gmv[row, part].sum() / units if units > 0 else panel.price[row, end - 1]
    cost = panel.catalog.unit_cost[row]
    if not np.isfinite(paid) or paid <= 0:
        return None, None
    margin = (1.0 - refund_rate) * (1.0 - cost / paid)
    return float(margin), (1.0 / margin if margin > 0 else None)
