"""`plan assortment`: push, fix, restock, delist or keep each active SKU, with the numbers behind the call.

One call per SKU, in this order of urgency:
- delist: it loses money before any advertising (GMV - refunds - unit cost <= 0 over the last 8 weeks), or
  its stock would last more than half a year at the pace it sells (dead stock);
- restock: it sells profitably and its stock covers fewer days than a reorder takes to arrive plus a
  safety buffer (or it is out now);
- fix: something fixable costs it sales or profit: rating or refunds worse than its own history (tested
  against noise, Bonferroni across SKUs), a price well above the competitor's, or ads that lose money;
- push: healthy and among the shop's best contributors per unit of GMV, with stock to sell more;
- keep: the rest.
Contribution = GMV - refunds - unit cost of the units kept - ad spend. Lead time cannot be read from an
export without purchase-order dates: `lead_time_days` is used, lengthened when the shop's empty shelves took
longer to refill (that gap is a lower bound: an order may have gone out before the shelf emptied).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import NormalDist
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.elasticity import load_promo_tags
from shopagent.tools.panel import ShopPanel, data_dates, load_panel
from shopagent.tools.stats import critical_z
from shopagent.tools.store import Shop
from shopagent.tools.whatif_baseline import RunRates, run_rates
from shopagent.tools.whatif_changes import RequestError
from shopagent.tools.wording import Language, say

Action = Literal["push", "fix", "restock", "delist", "keep"]
PRIORITY: tuple[Action, ...] = ("restock", "delist", "fix", "push", "keep")
WINDOW_DAYS = 28
RECENT_DAYS = 14
HISTORY_DAYS = 182
LEAD_TIME_DAYS = 7
REVIEW_DAYS = 14  # a reorder should cover the lead time plus two weeks until the next review
SERVICE_LEVEL = 0.95
DEAD_STOCK_DAYS = 180
COMPETITOR_GAP = 0.10  # 10% above the cheapest comparable offer is where shoppers start to leave
NEW_SKU_DAYS = 28  # a SKU younger than four weeks is too new to judge


class SkuCall(BaseModel):
    """The call for one SKU and every number it rests on (money in yuan over the last `window_days`)."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    title: str
    category: str
    action: Action
    reasons: list[str]
    gmv: float
    units: float
    ad_spend: float
    refund_amount: float
    contribution: float  # GMV - refunds - unit cost x units kept - ad spend
    contribution_margin: float | None  # contribution / GMV
    contribution_before_ads_56d: float  # over the last 8 weeks, before ad spend
    ad_roi: float | None
    break_even_roi: float | None  # the ROI at which ads pay for themselves at this SKU's margin
    units_per_day: float  # in-stock run rate
    on_hand: float | None
    days_of_cover: float | None
    lead_time_days: float
    lead_time_source: str
    reorder_point: float
    reorder_quantity: int
    sell_through: float | None  # units sold / (stock at the start + units received), over the window
    in_stock_share: float  # share of the window's days it could be bought
    refund_rate: float | None
    refund_rate_before: float | None
    refund_rate_trend: Literal["up", "down", "flat"] | None
    rating: float | None
    rating_before: float | None
    rating_trend: Literal["up", "down", "flat"] | None
    price: float
    competitor_price: float | None
    price_gap: float | None  # our price / competitor's - 1


class AssortmentPlan(BaseModel):
    """Every active SKU's call, most urgent first."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    window_days: int
    counts: dict[str, int]
    skus: list[SkuCall]
    method: dict[str, str | float]


def plan_assortment(shop: Shop, *, as_of: date | None = None, lead_time_days: int = LEAD_TIME_DAYS,
                    lang: Language = "en") -> AssortmentPlan:
    """Classify each active SKU as push, fix, restock, delist or keep, with contribution, stock cover and trends.

    Args:
        as_of: Last day of data to judge (default: the data's last day).
        lead_time_days: Days from placing a reorder to receiving it, used when the history cannot tell.
        lang: Language of the reasons, zh or en.
    """
    if lead_time_days < 0:
        raise RequestError(f"lead_time_days cannot be negative (got {lead_time_days})")
    first, last = data_dates(shop)
    as_of = as_of or last
    panel = load_panel(shop, max(first, as_of - timedelta(days=HISTORY_DAYS - 1)), as_of)
    rates = run_rates(panel, load_promo_tags(shop, panel), as_of=as_of)
    return assess(panel, rates, lead_time_days=lead_time_days, lang=lang)


def assess(panel: ShopPanel, rates: RunRates, *, lead_time_days: int = LEAD_TIME_DAYS,
           lang: Language = "en") -> AssortmentPlan:
    """The calls from an already-loaded panel."""
    end = (rates.as_of - panel.days[0]).days + 1
    window = slice(max(0, end - WINDOW_DAYS), end)
    eight_weeks = slice(max(0, end - 2 * WINDOW_DAYS), end)
    out = panel.stockout()
    rows = [row for row in range(len(panel.catalog.sku_ids)) if rates.on_sale[row]]
    tests = max(len(rows), 1)
    lead, lead_source = _lead_times(panel, lead_time_days, lang)
    # trends compare the last two weeks with the eight before them: a problem that began ten days ago
    # would be diluted in a four-week window
    recent = slice(max(0, end - RECENT_DAYS), end)
    earlier = slice(max(0, end - RECENT_DAYS - 2 * WINDOW_DAYS), recent.start)
    refunds = {row: _trend_refunds(panel, row, recent, earlier, tests) for row in rows}
    ratings = {row: _trend_rating(panel, row, recent, earlier, tests) for row in rows}
    margins = {row: _contribution(panel, row, window)[1] for row in rows}
    healthy = [m for m in margins.values() if m is not None]
    push_margin = float(np.quantile(healthy, 2 / 3)) if len(healthy) >= 3 else math.inf
    calls = [_call(panel, rates, row, window, eight_weeks, out, lead[row], lead_source[row], refunds[row],
                   ratings[row], push_margin, lang) for row in rows]
    calls.sort(key=lambda call: (PRIORITY.index(call.action), -call.contribution, call.sku_id))
    counts = {action: sum(call.action == action for call in calls) for action in PRIORITY}
    return AssortmentPlan(
        as_of=rates.as_of, window_days=WINDOW_DAYS, counts=counts, skus=calls,
        method={"contribution": "GMV - refunds - unit cost x (units - units refunded) - ad spend",
                "lead_time": f"{lead_time_days} days, or longer when empty shelves took longer to refill "
                             "(median of >= 3 gaps; the export has no purchase-order dates)",
                "reorder": f"order up to lead time + {REVIEW_DAYS} days of run rate + safety stock "
                           f"({SERVICE_LEVEL:.0%} service level); units already on order are not in the export",
                "trend_tests": f"refund rate and rating of the last {RECENT_DAYS} days vs the 8 weeks before, "
                               "Bonferroni across SKUs",
                "push": "contribution margin in the shop's top third, healthy trends, stock to sell more"},
    )


def _contribution(panel: ShopPanel, row: int, part: slice) -> tuple[float, float | None]:
    cost = float(panel.catalog.unit_cost[row])
    gmv = float(panel.gmv[row, part].sum())
    kept = float(panel.units[row, part].sum() - panel.refund_units[row, part].sum())
    value = gmv - float(panel.refund_amount[row, part].sum()) - cost * kept - float(panel.ad_spend[row, part].sum())
    return value, (value / gmv if gmv > 0 else None)


def _call(panel: ShopPanel, rates: RunRates, row: int, window: slice, eight_weeks: slice, out: np.ndarray,
          lead: float, lead_source: str, refunds: dict, ratings: dict, push_margin: float,
          lang: Language) -> SkuCall:
    catalog = panel.catalog
    cost = float(catalog.unit_cost[row])
    contribution, margin = _contribution(panel, row, window)
    before_ads = _contribution(panel, row, eight_weeks)[0] + float(panel.ad_spend[row, eight_weeks].sum())
    daily = float(rates.units[row])
    on_hand = float(rates.on_hand[row]) if np.isfinite(rates.on_hand[row]) else None
    cover = on_hand / daily if on_hand is not None and daily > 0 else None
    units_days = np.where(out[row, window], np.nan, panel.units[row, window])
    sd = float(np.nanstd(units_days, ddof=1)) if np.sum(np.isfinite(units_days)) > 2 else math.sqrt(max(daily, 0))
    z = NormalDist().inv_cdf(SERVICE_LEVEL)
    safety = z * sd * math.sqrt(max(lead, 1.0))
    reorder_point = daily * lead + safety
    order_up_to = daily * (lead + REVIEW_DAYS) + safety
    reorder = int(math.ceil(max(order_up_to - (on_hand or 0.0), 0.0) / 10) * 10) if daily > 0 else 0
    received = float(np.nan_to_num(panel.inbound[row, window]).sum())
    start_stock = panel.on_hand[row, window.start - 1] if window.start > 0 else np.nan
    available = (float(start_stock) if np.isfinite(start_stock) else 0.0) + received
    sell_through = float(panel.units[row, window].sum()) / available if available > 0 else None
    in_stock = float(1 - out[row, window].mean())
    price = float(rates.price[row])
    rival = panel.competitor_price[row, max(window.stop - 7, 0):window.stop]
    rival_price = float(np.nanmedian(rival)) if np.isfinite(rival).any() else None
    gap = price / rival_price - 1 if rival_price else None
    usual_gap = _usual_gap(panel, row, eight_weeks.start)
    ad_spend = float(panel.ad_spend[row, window].sum())
    ad_gmv = float(panel.ad_gmv[row, window].sum())
    roi = ad_gmv / ad_spend if ad_spend > 0 else None
    unit_margin = 1 - cost / (price * float(rates.paid_factor[row])) if price > 0 else 0.0
    break_even = 1 / unit_margin if unit_margin > 0 else None
    age = (rates.as_of - catalog.launch_date[row]).days

    reasons: dict[Action, list[str]] = {action: [] for action in PRIORITY}
    if age >= NEW_SKU_DAYS and before_ads <= 0:
        reasons["delist"].append(say(lang, "assortment", "delist_loss", loss=-before_ads))
    if age >= NEW_SKU_DAYS and on_hand and (cover is None or cover > DEAD_STOCK_DAYS):
        pace = say(lang, "assortment", "pace_none") if daily <= 0 else say(lang, "assortment", "pace", units=daily)
        reasons["delist"].append(say(lang, "assortment", "delist_dead_stock", on_hand=on_hand, pace=pace,
                                     days=DEAD_STOCK_DAYS))
    if contribution > 0 and daily > 0 and (on_hand is None or on_hand <= reorder_point):
        reasons["restock"].append(say(lang, "assortment", "restock_out") if not on_hand else
                                  say(lang, "assortment", "restock_cover", cover=cover, lead=lead, reorder=reorder))
    if refunds.get("worse"):
        reasons["fix"].append(say(lang, "assortment", "fix_refunds", before=refunds["before"], now=refunds["now"]))
    if ratings.get("worse"):
        reasons["fix"].append(say(lang, "assortment", "fix_rating", before=ratings["before"], now=ratings["now"]))
    # a SKU that has always sold 15% above its rival is not broken; one whose gap just opened up is
    if gap is not None and gap > COMPETITOR_GAP and (usual_gap is None or gap - usual_gap > COMPETITOR_GAP / 2):
        was = say(lang, "assortment", "usual_gap", gap=usual_gap) if usual_gap is not None else ""
        reasons["fix"].append(say(lang, "assortment", "fix_competitor", price=price, gap=gap, rival=rival_price) + was)
    if roi is not None and break_even is not None and roi < break_even and ad_spend >= 0.05 * max(
            float(panel.gmv[row, window].sum()), 1.0):
        reasons["fix"].append(say(lang, "assortment", "fix_ads", roi=roi, break_even=break_even))
    healthy = not reasons["fix"] and not reasons["restock"] and not reasons["delist"]
    if (healthy and margin is not None and margin >= push_margin and contribution > 0
            and (cover is None or cover >= lead + REVIEW_DAYS)):
        reasons["push"].append(say(lang, "assortment", "push_stocked", margin=margin, cover=cover)
                               if cover is not None else say(lang, "assortment", "push", margin=margin))
    action = next((action for action in PRIORITY[:-1] if reasons[action]), "keep")
    explained = [text for key in PRIORITY for text in reasons[key]] or [
        say(lang, "assortment", "keep", contribution=contribution, days=WINDOW_DAYS)]
    return SkuCall(
        sku_id=catalog.sku_ids[row], title=catalog.titles[row], category=catalog.categories[row], action=action,
        reasons=explained, gmv=round(float(panel.gmv[row, window].sum()), 2),
        units=float(panel.units[row, window].sum()),
        ad_spend=round(ad_spend, 2), refund_amount=round(float(panel.refund_amount[row, window].sum()), 2),
        contribution=round(contribution, 2), contribution_margin=_round(margin, 4),
        contribution_before_ads_56d=round(before_ads, 2), ad_roi=_round(roi, 3), break_even_roi=_round(break_even, 3),
        units_per_day=round(daily, 2), on_hand=on_hand, days_of_cover=_round(cover, 1), lead_time_days=lead,
        lead_time_source=lead_source, reorder_point=round(reorder_point, 1), reorder_quantity=reorder,
        sell_through=_round(sell_through, 4), in_stock_share=round(in_stock, 3),
        refund_rate=_round(refunds.get("now"), 4), refund_rate_before=_round(refunds.get("before"), 4),
        refund_rate_trend=refunds.get("trend"), rating=_round(ratings.get("now"), 2),
        rating_before=_round(ratings.get("before"), 2), rating_trend=ratings.get("trend"), price=price,
        competitor_price=rival_price, price_gap=_round(gap, 4))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def _usual_gap(panel: ShopPanel, row: int, end: int) -> float | None:
    """The SKU's median price gap to its competitor before `end` (its normal position)."""
    ours, theirs = panel.price[row, :end], panel.competitor_price[row, :end]
    both = np.isfinite(ours) & np.isfinite(theirs) & (np.nan_to_num(theirs) > 0)
    return float(np.median(ours[both] / theirs[both] - 1)) if both.sum() >= 14 else None


def _lead_times(panel: ShopPanel, default: int, lang: Language) -> tuple[np.ndarray, list[str]]:
    """Per SKU: days from an empty shelf to the next delivery (own median, else the shop's), else the default."""
    n = len(panel.catalog.sku_ids)
    gaps: list[list[int]] = [[] for _ in range(n)]
    on_hand = np.nan_to_num(panel.on_hand, nan=1.0)
    received = np.nan_to_num(panel.inbound) > 0
    for row in range(n):
        empty = on_hand[row] <= 0
        starts = np.flatnonzero(empty & np.r_[False, ~empty[:-1]])
        for start in starts:
            later = np.flatnonzero(received[row, start + 1:])
            if later.size:
                gaps[row].append(int(later[0]) + 1)
    pooled = [gap for sku in gaps for gap in sku]
    lead = np.full(n, float(default))
    source = [say(lang, "assortment", "lead_assumed", days=default)] * n
    for row in range(n):
        own = gaps[row] if len(gaps[row]) >= 3 else pooled if len(pooled) >= 3 else []
        # a gap is a lower bound on the lead time (the order may have gone out before the shelf emptied),
        # so the history can only lengthen the assumed lead time, never shorten it
        if own and float(np.median(own)) > default:
            lead[row] = float(np.median(own))
            source[row] = say(lang, "assortment", "lead_own" if own is gaps[row] else "lead_shop", gaps=len(own))
    return lead, source


def _trend_refunds(panel: ShopPanel, row: int, recent: slice, before: slice, tests: int) -> dict:
    """Refunded units per unit sold, recently vs before, and whether the rise is beyond noise (Poisson z).

    Refunds arrive days after the sale, so each window's refunds are set against the units sold one median
    refund lag earlier; otherwise a SKU whose sales just fell would look like a refund spike.
    """
    lag = getattr(panel, "refund_lag_days", 0)

    def sold(part: slice) -> float:
        return float(panel.units[row, max(part.start - lag, 0):max(part.stop - lag, 0)].sum())

    units_now, units_before = sold(recent), sold(before)
    refunds_now = float(panel.refund_units[row, recent].sum())
    refunds_before = float(panel.refund_units[row, before].sum())
    if units_now < 20 or units_before < 20:
        return {}
    now, earlier = refunds_now / units_now, refunds_before / units_before
    expected = max(earlier, 0.5 / units_before) * units_now
    z = (refunds_now - expected) / math.sqrt(max(expected, 1.0))
    worse = z >= critical_z(tests) and now >= 1.5 * earlier
    better = z <= -critical_z(tests)
    return {"now": now, "before": earlier, "worse": worse,
            "trend": "up" if worse else "down" if better else "flat"}


def _trend_rating(panel: ShopPanel, row: int, recent: slice, before: slice, tests: int) -> dict:
    """Mean star rating of new reviews now vs before; a drop is tested with a one-star spread per review."""
    count_now, count_before = float(panel.review_count[row, recent].sum()), float(panel.review_count[row, before].sum())
    if count_now < 3 or count_before < 5:
        if count_now + count_before > 0:
            mean = float((panel.review_rating_sum[row, recent].sum() + panel.review_rating_sum[row, before].sum())
                         / (count_now + count_before))
            return {"now": mean, "before": None, "trend": None}
        return {}
    now = float(panel.review_rating_sum[row, recent].sum()) / count_now
    earlier = float(panel.review_rating_sum[row, before].sum()) / count_before
    z = (now - earlier) / math.sqrt(1 / count_now + 1 / count_before)
    worse = z <= -critical_z(tests)
    return {"now": now, "before": earlier, "worse": worse,
            "trend": "down" if worse else "up" if z >= critical_z(tests) else "flat"}
