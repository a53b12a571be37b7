"""Shop-wide causes: channel traffic drops and the store experience score."""

from __future__ import annotations

import math

import numpy as np

from shopagent.tools.detect_context import ORGANIC, DetectContext
from shopagent.tools.findings import Candidate
from shopagent.tools.schema import CHANNELS
from shopagent.tools.stats import critical_z, log_ratio_se

TRAFFIC_DROP = 0.10
SCORE_DROP = 0.1


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
