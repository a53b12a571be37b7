"""Full-site promotion delivering below the merchant's target ROI: a campaign that stopped converting its spend."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from shopagent.tools.change_scan import scan_rate_fall
from shopagent.tools.detect_context import ORGANIC, DetectContext
from shopagent.tools.findings import Candidate
from shopagent.tools.stats import FAMILY_ALPHA, count_dispersion

REFERENCE_DAYS = 28  # the campaign's own record before the period is its baseline
MIN_REFERENCE_ORDERS = 5  # fewer ad orders than this over four weeks say nothing about a normal ROI
MIN_DAYS_AFTER = 3  # a fall must have lasted this many days to be told apart from a bad day


def detect_promotion_shortfalls(ctx: DetectContext) -> list[Candidate]:
    """Promoted SKUs whose ad orders per yuan fell beyond noise in the period, now delivering below target.

    Each promoted SKU's ad orders per yuan over the period are scanned for the day they fell, against the
    four weeks before the period (tools/change_scan.py: a likelihood-ratio scan whose threshold is simulated,
    so searching for the start day is paid for at its true price rather than Bonferroni's), widened by the
    shop's day-to-day dispersion of ad orders, one-sided because only a fall is a shortfall, and Bonferroni
    over the SKUs scanned. The expectation moves with the SKU's own organic conversion: when a price rise or
    a bad batch makes the SKU sell worse to every visitor, its ads convert worse too, and that is the other
    cause's finding, not a promotion problem. The shortfall is valued as the GMV the same spend would have
    brought since the fall at the ROI before it.
    """
    panel, current = ctx.panel, ctx.current
    rules = ctx.rules["compensation"]
    reference = slice(max(0, current.start - REFERENCE_DAYS), current.start)
    spend_now, spend_before = panel.ad_spend[:, current].sum(axis=1), panel.ad_spend[:, reference].sum(axis=1)
    orders_before = panel.ad_orders[:, reference].sum(axis=1)
    promoted_days = (panel.ad_spend[:, current] > 0).sum(axis=1)
    eligible = np.flatnonzero((spend_now > 0) & (spend_before > 0) & (promoted_days >= rules["min_days"])
                              & (orders_before >= MIN_REFERENCE_ORDERS))
    if not eligible.size:
        return []
    dispersion = count_dispersion(panel.ad_orders[eligible, reference], min_mean=1.0)
    selling = _organic_conversion_ratio(ctx, reference)
    window = slice(reference.start, current.stop)
    alpha = FAMILY_ALPHA / len(eligible)
    found = []
    for row in eligible:
        exposure = panel.ad_spend[row, window].copy()
        exposure[current.start - window.start:] *= selling[row]
        fall = scan_rate_fall(panel.ad_orders[row, window], exposure, current.start - window.start,
                              min_after=MIN_DAYS_AFTER, dispersion=dispersion, seed=int(row), simulate_below=alpha)
        if fall is None or fall.p_value > alpha:
            continue
        split = window.start + fall.split
        post, before = slice(split, current.stop), slice(max(0, split - REFERENCE_DAYS), split)
        spend, ad_gmv = float(panel.ad_spend[row, post].sum()), float(panel.ad_gmv[row, post].sum())
        spend_ref = float(panel.ad_spend[row, before].sum())
        if spend <= 0 or spend_ref <= 0:
            continue
        roi_post = ad_gmv / spend
        roi_before = float(panel.ad_gmv[row, before].sum()) / spend_ref
        expected_roi = roi_before * float(selling[row])  # the earlier ROI, moved with how the SKU sells now
        target = float(np.nansum(panel.target_roi[row, post] * panel.ad_spend[row, post]) / spend)
        if not (roi_post < target and roi_post < expected_roi):
            continue
        compensation_line = rules["roi_ratio"] * target
        expected_orders = float(panel.ad_orders[row, before].sum()) * spend / spend_ref * float(selling[row])
        found.append(Candidate(
            kind="promotion_below_target_roi", row=int(row), channel="promotion",
            impact_gmv=round(ad_gmv - spend * expected_roi, 2),
            z_score=round(NormalDist().inv_cdf(max(fall.p_value, 1e-15)), 2),  # reported z, capped near -8
            evidence={"delivered_roi": round(roi_post, 2), "target_roi": round(target, 2),
                      "roi_before": round(roi_before, 2), "expected_roi": round(expected_roi, 2),
                      "organic_conversion_change_pct": round(100 * (float(selling[row]) - 1), 1),
                      "since": panel.days[split].isoformat(), "spend": round(spend, 2), "ad_gmv": round(ad_gmv, 2),
                      "period_roi": round(float(panel.ad_gmv[row, current].sum()) / spend_now[row], 2),
                      "period_spend": round(float(spend_now[row]), 2),
                      "ad_orders": int(panel.ad_orders[row, post].sum()),
                      "expected_ad_orders": round(expected_orders, 1), "scan_p_value": round(fall.p_value, 5),
                      "shortfall_vs_target_gmv": round(target * spend - ad_gmv, 2),
                      "compensation_threshold_roi": round(compensation_line, 2),
                      "compensation_may_apply": bool(roi_post < compensation_line)},
        ))
    return found


def _organic_conversion_ratio(ctx: DetectContext, reference: slice) -> np.ndarray:
    """Per SKU: how well it converts its organic visitors in the period against the reference weeks, at the
    SKU's own reference channel mix (in-stock days; 1 where either side has too few orders to say).

    Each organic channel's conversion is compared with itself, so a drop in the search channel (whose
    shoppers buy) does not read as the SKU selling worse. The ratio is the SKU's own, not shrunk towards the
    shop's: the SKUs it matters for are exactly the outliers (a price rise, a bad batch) that shrinkage
    would pull back to the crowd.
    """
    panel, current = ctx.panel, ctx.current
    channels = list(ORGANIC)
    in_now, in_before = ~ctx.out[:, current, None], ~ctx.out[:, reference, None]
    orders_now = (panel.sku_channel_orders[:, current][:, :, channels] * in_now).sum(axis=1)
    orders_before = (panel.sku_channel_orders[:, reference][:, :, channels] * in_before).sum(axis=1)
    visitors_now = (panel.visitors[:, current][:, :, channels] * in_now).sum(axis=1)
    visitors_before = (panel.visitors[:, reference][:, :, channels] * in_before).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        conversion_now = np.where(visitors_now > 0, orders_now / visitors_now, 0.0)
        # orders the reference weeks' visitors would have placed at the period's conversion, channel by channel
        at_mix = np.where(visitors_now > 0, conversion_now * visitors_before, orders_before).sum(axis=1)
        ratio = at_mix / orders_before.sum(axis=1)
    enough = (orders_now.sum(axis=1) >= 20) & (orders_before.sum(axis=1) >= 20)
    return np.where(enough & np.isfinite(ratio), ratio, 1.0)
