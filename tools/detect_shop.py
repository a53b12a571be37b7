"""Shop-wide causes and paid traffic: channel traffic drops, store experience score, full-site promotion ROI."""

from __future__ import annotations

import math

import numpy as np

from shopagent.tools.detect_context import ORGANIC, DetectContext
from shopagent.tools.findings import Candidate
from shopagent.tools.schema import CHANNELS
from shopagent.tools.stats import critical_z, log_ratio_se

TRAFFIC_DROP = 0.10
SCORE_DROP = 0.1
MIN_POST_DAYS = 5  # a collapse must have lasted this many days to be told apart from a bad day or two
REFERENCE_DAYS = 28


def detect_traffic_drops(ctx: DetectContext) -> list[Candidate]:
    """An organic channel losing visitors relative to the other organic channels (its share of traffic fell)."""
    visitors = ctx.panel.visitors.sum(axis=0)  # (day, channel)
    threshold = critical_z(len(ORGANIC))
    found = []
    for channel in ORGANIC:
        others = [index for index in ORGANIC if index != channel]
        own_now, own_before = visitors[ctx.current, channel], visitors[ctx.previous, channel]
        rest_now = visitors[ctx.current][:, others].sum(axis=1)
        rest_before = visitors[ctx.previous][:, others].sum(axis=1)
        if own_before.sum() < 200 or rest_before.sum() <= 0 or rest_now.sum() <= 0:
            continue
        rest_ratio = rest_now.sum() / rest_before.sum()
        shift = math.log(max(own_now.sum(), 1.0) / own_before.sum()) - math.log(rest_ratio)
        se = math.hypot(log_ratio_se(own_now, rest_now), log_ratio_se(own_before, rest_before))
        z = shift / se if se > 0 else 0.0
        if math.exp(shift) > 1 - TRAFFIC_DROP or z > -threshold:
            continue
        channel_gmv_now = ctx.panel.channel_gmv[ctx.current, channel].sum()
        gmv_per_visitor = channel_gmv_now / own_now.sum() if own_now.sum() > 0 else 0.0
        lost_visitors = own_before.sum() * rest_ratio - own_now.sum()
        found.append(Candidate(
            kind="traffic_drop", row=None, channel=CHANNELS[channel],
            impact_gmv=-round(float(lost_visitors * gmv_per_visitor), 2), z_score=round(z, 2),
            evidence={"visitors_before": int(own_before.sum()), "visitors_after": int(own_now.sum()),
                      "other_channels_change_pct": round(100 * (rest_ratio - 1), 1),
                      "change_vs_other_channels_pct": round(100 * (math.exp(shift) - 1), 1),
                      "visitors_lost": int(round(lost_visitors))},
        ))
    return found


def detect_experience_drop(ctx: DetectContext) -> list[Candidate]:
    """The store experience score (店铺体验分) falling below its own history, valued by the shop-wide
    conversion change that came with it."""
    scores = ctx.panel.experience_score
    now = scores[ctx.current][np.isfinite(scores[ctx.current])]
    before = scores[ctx.history][np.isfinite(scores[ctx.history])]
    if now.size < 3 or before.size < 7:
        return []
    drop = float(now.mean() - before.mean())
    se = math.sqrt(now.var(ddof=1) / now.size + before.var(ddof=1) / before.size)
    z = drop / se if se > 0 else -math.inf
    if drop > -SCORE_DROP or z > -critical_z(1):
        return []
    _, shop_ratio = ctx.gmv_per_visitor_ratio()
    gmv_now = float(ctx.panel.gmv[:, ctx.current].sum())
    impact = gmv_now * (1 - 1 / shop_ratio) if shop_ratio < 1 else 0.0
    logistics = ctx.panel.logistics_score
    evidence = {"score_before": round(float(before.mean()), 2), "score_after": round(float(now.mean()), 2),
                "lowest_day": ctx.days(ctx.current)[int(np.nanargmin(scores[ctx.current]))],
                "shop_gmv_per_visitor_change_pct": round(100 * (shop_ratio - 1), 1)}
    if np.isfinite(logistics[ctx.current]).any() and np.isfinite(logistics[ctx.history]).any():
        evidence["logistics_score_before"] = round(float(np.nanmean(logistics[ctx.history])), 2)
        evidence["logistics_score_after"] = round(float(np.nanmean(logistics[ctx.current])), 2)
    return [Candidate(kind="experience_score_drop", row=None, impact_gmv=round(impact, 2), z_score=round(z, 2),
                      evidence=evidence)]


def detect_promotion_shortfalls(ctx: DetectContext) -> list[Candidate]:
    """Full-site promotion delivering an ROI below the merchant's target, beyond noise.

    A campaign that collapses mid-period can sit only modestly under target on average yet far under its own
    earlier ROI from the day it broke. So each promoted SKU is scanned for the day its ROI fell (every split in
    the period is a test, and the threshold counts them all), and the shortfall is valued as the GMV the same
    spend would have brought at the ROI it delivered before.
    """
    panel, current = ctx.panel, ctx.current
    rules = ctx.rules["compensation"]
    spend_now = panel.ad_spend[:, current].sum(axis=1)
    promoted_days = (panel.ad_spend[:, current] > 0).sum(axis=1)
    eligible = np.flatnonzero((spend_now > 0) & (promoted_days >= rules["min_days"]))
    splits = range(current.start, current.stop - MIN_POST_DAYS + 1)
    threshold = critical_z(len(eligible) * len(splits))
    found = []
    for row in eligible:
        best = None
        for split in splits:
            post = slice(split, current.stop)
            reference = slice(max(0, split - REFERENCE_DAYS), split)
            spend_post, spend_ref = panel.ad_spend[row, post].sum(), panel.ad_spend[row, reference].sum()
            if spend_post <= 0 or spend_ref <= 0 or panel.ad_gmv[row, reference].sum() <= 0:
                continue
            roi_post = panel.ad_gmv[row, post].sum() / spend_post
            roi_ref = panel.ad_gmv[row, reference].sum() / spend_ref
            z = math.log(max(roi_post, 1e-6) / roi_ref) / math.hypot(_roi_se(panel, row, post),
                                                                     _roi_se(panel, row, reference))
            if best is None or z < best[0]:
                best = (z, split, roi_post, roi_ref)
        if best is None:
            continue
        z, split, roi_post, roi_ref = best
        post = slice(split, current.stop)
        target = float(np.nansum(panel.target_roi[row, post] * panel.ad_spend[row, post])
                       / panel.ad_spend[row, post].sum())
        if roi_post >= target or z > -threshold:
            continue
        spend, ad_gmv = float(panel.ad_spend[row, post].sum()), float(panel.ad_gmv[row, post].sum())
        compensation_line = rules["roi_ratio"] * target
        found.append(Candidate(
            kind="promotion_below_target_roi", row=int(row), channel="promotion",
            impact_gmv=round(ad_gmv - spend * roi_ref, 2), z_score=round(z, 2),
            evidence={"delivered_roi": round(roi_post, 2), "target_roi": round(target, 2),
                      "roi_before": round(float(roi_ref), 2), "since": panel.days[split].isoformat(),
                      "spend": round(spend, 2), "ad_gmv": round(ad_gmv, 2),
                      "shortfall_vs_target_gmv": round(target * spend - ad_gmv, 2),
                      "compensation_threshold_roi": round(compensation_line, 2),
                      "compensation_may_apply": bool(roi_post < compensation_line)},
        ))
    return found


def _roi_se(panel, row: int, days: slice) -> float:
    """SE of log ROI over some days: the larger of the day-to-day and the order-count error."""
    orders = panel.ad_orders[row, days].sum()
    return max(log_ratio_se(panel.ad_gmv[row, days], panel.ad_spend[row, days]), 1 / math.sqrt(max(orders, 1)))
