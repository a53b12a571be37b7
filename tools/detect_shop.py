"""Shop-wide causes: channel traffic drops and the store experience score."""

from __future__ import annotations

import math

import numpy as np

from shopagent.tools.detect_context import ORGANIC, DetectContext
from shopagent.tools.findings import Candidate
from shopagent.tools.schema import CHANNELS
from shopagent.tools.stats import critical_z, log_ratio_se

TRAFFIC_DROP = 0.10
MIN_STEADY = 10  # SKUs measured in a channel before any of them can be called an outlier
MIN_SPREAD = 0.10  # log-change spread floor: a SKU's fortnight of visitors moves this much on its own
SCORE_DROP = 0.1


def detect_traffic_drops(ctx: DetectContext) -> list[Candidate]:
    """An organic channel losing visitors relative to the other organic channels (its share of traffic fell).

    A channel-wide change moves most SKUs together, so it is measured on the SKUs that moved with the crowd:
    a SKU whose own traffic jumped or collapsed (it went viral, it sold out) has its own finding and, in a
    small shop, could hide a channel's drop or fake one. The visitors lost are then counted over every SKU.
    """
    steady = _steady_skus(ctx)
    visitors = ctx.panel.visitors[steady].sum(axis=0)  # (day, channel) over the SKUs that moved together
    everyone = ctx.panel.visitors.sum(axis=0)
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
        all_now, all_before = everyone[ctx.current, channel].sum(), everyone[ctx.previous, channel].sum()
        channel_gmv_now = ctx.panel.channel_gmv[ctx.current, channel].sum()
        gmv_per_visitor = channel_gmv_now / all_now if all_now > 0 else 0.0
        # the visitors every SKU would have had in this channel had it kept its share
        lost_visitors = all_now * (math.exp(-shift) - 1)
        found.append(Candidate(
            kind="traffic_drop", row=None, channel=CHANNELS[channel],
            impact_gmv=-round(float(lost_visitors * gmv_per_visitor), 2), z_score=round(z, 2),
            evidence={"visitors_before": int(all_before), "visitors_after": int(all_now),
                      "other_channels_change_pct": round(100 * (rest_ratio - 1), 1),
                      "change_vs_other_channels_pct": round(100 * (math.exp(shift) - 1), 1),
                      "visitors_lost": int(round(lost_visitors)),
                      "skus_set_aside": int((~steady).sum())},
        ))
    return found


def _steady_skus(ctx: DetectContext) -> np.ndarray:
    """SKUs whose organic traffic in every channel changed like most SKUs' did (per in-stock day, now against
    before): modified z-score of the log change within 3.5 (Iglewicz and Hoaglin's outlier rule).

    The spread is never taken below a 10% change, the day-to-day noise of a SKU's fortnight of visitors, and
    a shop too small to say what "most SKUs" did (fewer than MIN_STEADY measured SKUs), or one where fewer
    than half would remain, keeps every SKU.
    """
    panel = ctx.panel
    n = len(panel.catalog.sku_ids)
    steady = np.ones(n, dtype=bool)
    in_now, in_before = ~ctx.out[:, ctx.current], ~ctx.out[:, ctx.previous]
    days_now, days_before = in_now.sum(axis=1), in_before.sum(axis=1)
    for channel in ORGANIC:
        now = (panel.visitors[:, ctx.current, channel] * in_now).sum(axis=1)
        before = (panel.visitors[:, ctx.previous, channel] * in_before).sum(axis=1)
        measured = (days_now > 0) & (days_before > 0) & (now > 0) & (before >= 5 * np.maximum(days_before, 1))
        if measured.sum() < MIN_STEADY:
            continue
        change = np.log((now[measured] / days_now[measured]) / (before[measured] / days_before[measured]))
        spread = max(1.4826 * float(np.median(np.abs(change - np.median(change)))), MIN_SPREAD)
        outlier = np.abs(change - np.median(change)) / spread > 3.5
        steady[np.flatnonzero(measured)[outlier]] = False
    return steady if steady.sum() >= n / 2 else np.ones(n, dtype=bool)


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
