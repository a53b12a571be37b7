"""SKU-level causes: stockouts, price moves, competitor undercuts, rating drops, refund spikes, demand surges."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from shopagent.tools.detect_context import BASELINE_DAYS, ORGANIC, DetectContext
from shopagent.tools.findings import Candidate
from shopagent.tools.schema import CHANNELS
from shopagent.tools.stats import (
    FAMILY_ALPHA,
    count_dispersion,
    critical_z,
    log_ratio_se,
    nested_scan_critical_z,
    one_sided_critical_z,
    poisson_upper_tail,
    poisson_zero_probability,
)

SURGE_RATIO = 1.5
MIN_SURGE_DAYS = 3  # a surge must have lasted this many days to be told apart from one busy day
EACH_HALF_Z = NormalDist().inv_cdf(0.95)  # a rating drop's stars and conversion must each fall at the 5% level
REFUND_RISE = 1.5  # refunds must be at least half again the expected level to matter to a merchant
MIN_REASON_BASELINE = 10  # refunds of a reason across the shop before the period, to have a rate to rise from


def detect_stockouts(ctx: DetectContext) -> list[Candidate]:
    """Days a SKU could not be sold, valued at its in-stock run rate on those days of the shop's rhythm."""
    panel, current = ctx.panel, ctx.current
    window = slice(ctx.previous.start, current.stop)
    index = ctx.shop_day_index()
    rows = np.flatnonzero(ctx.out[:, current].any(axis=1))
    found = []
    for row in rows:
        in_stock = ~ctx.out[row, window]
        rhythm = index[window][in_stock].sum()
        if rhythm <= 0:
            continue
        gmv_rate = panel.gmv[row, window][in_stock].sum() / rhythm
        units_rate = panel.units[row, window][in_stock].sum() / rhythm
        out_days = np.flatnonzero(ctx.out[row, current])
        day_index = index[current][out_days]
        expected_units = float((units_rate * day_index).sum())
        surprise = poisson_zero_probability(expected_units)
        if surprise > FAMILY_ALPHA / len(rows):
            continue
        lost = float((gmv_rate * day_index - panel.gmv[row, current][out_days]).sum())
        dates = ctx.days(current)
        found.append(Candidate(
            kind="stockout", row=int(row), impact_gmv=-round(lost, 2),
            z_score=round(-NormalDist().inv_cdf(max(surprise / 2, 1e-300)), 2),
            evidence={"stockout_days": len(out_days), "first_day": dates[out_days[0]], "last_day": dates[out_days[-1]],
                      "in_stock_gmv_per_day": round(gmv_rate, 2), "expected_units_lost": round(expected_units, 1),
                      "on_hand_at_end": float(panel.on_hand[row, current.stop - 1])},
        ))
    return found


def _median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else math.nan


def detect_rating_drops(ctx: DetectContext, explained: dict[int, float] | None = None) -> list[Candidate]:
    """Star ratings of new reviews falling while the SKU sells worse to its visitors, valued by the SKU's
    mix-adjusted GMV-per-visitor change against the rest of the shop, less the part its price moves already
    explain (`explained`: row -> yuan).

    A rating drop costs GMV only through conversion, so the evidence is two independent tests on the same
    SKU: the stars (new reviews against the SKU's history, at the shop's pooled spread) and its GMV per
    visitor (against the shop's median, after the price moves). Either the stars alone or the pair pooled
    by Stouffer's sum (standard normal under no change) must clear the one-sided Bonferroni bar over both
    tests of every SKU with reviews on both sides; in the pair each half must also point down at the 5%
    level on its own, so a SKU whose conversion fell for another reason is not blamed on a star wobble. A
    handful of new reviews rarely clears the bar on stars alone; a SKU whose stars fell while it sold as
    well as ever explains no GMV move. How far the stars must fall is the shop's own noise, not a fixed
    number of stars: a large SKU's drop of under half a star can be certain and costly.
    """
    panel, current, baseline = ctx.panel, ctx.current, ctx.baseline
    ratio, shop_ratio = ctx.gmv_per_visitor_ratio()
    visitors = ctx.effective_visitors
    stars, tested = _rating_changes(ctx)
    threshold = one_sided_critical_z(2 * tested)  # two tests a SKU: the stars alone, and stars with conversion
    found = []
    for row, evidence in sorted(stars.items()):
        in_now, in_before = ~ctx.out[row, current], ~ctx.out[row, baseline]
        se = math.hypot(log_ratio_se(panel.gmv[row, current][in_now], visitors[row, current][in_now]),
                        log_ratio_se(panel.gmv[row, baseline][in_before], visitors[row, baseline][in_before]))
        if not (np.isfinite(ratio[row]) and ratio[row] > 0 and math.isfinite(se) and se > 0):
            continue
        shift = math.log(ratio[row]) - math.log(shop_ratio)
        gmv_now = float(panel.gmv[row, current][in_now].sum())
        effect = gmv_now * (1 - math.exp(-shift)) - (explained or {}).get(row, 0.0)
        if effect >= 0 or gmv_now <= 0:
            continue
        # the conversion shift the price moves leave unexplained, on the log scale its SE is on
        residual = -math.log1p(-effect / gmv_now) if effect / gmv_now < 1 else shift
        conversion_z = residual / se
        combined = (evidence["rating_z"] + conversion_z) / math.sqrt(2)
        # the stars alone beyond noise, or the pair beyond noise with each half holding on its own (stars fell,
        # the SKU sells worse)
        paired = combined <= -threshold and max(evidence["rating_z"], conversion_z) <= -EACH_HALF_Z
        if not (evidence["rating_z"] <= -threshold or paired):
            continue
        combined = min(combined, evidence["rating_z"]) if paired else evidence["rating_z"]
        found.append(Candidate(
            kind="rating_drop", row=row, impact_gmv=round(effect, 2), z_score=round(combined, 2),
            evidence={**evidence, "gmv_per_visitor_change_pct": round(100 * (math.exp(shift) - 1), 1),
                      "shop_gmv_per_visitor_change_pct": round(100 * (shop_ratio - 1), 1),
                      "conversion_z": round(conversion_z, 2)},
        ))
    return found


def _rating_changes(ctx: DetectContext) -> tuple[dict[int, dict], int]:
    """SKUs whose new reviews average below their history, with the stars' z; and how many SKUs were tested
    (reviews on both sides)."""
    panel = ctx.panel
    count_now = panel.review_count[:, ctx.current].sum(axis=1)
    count_before = panel.review_count[:, ctx.history].sum(axis=1)
    sum_now = panel.review_rating_sum[:, ctx.current].sum(axis=1)
    sum_before = panel.review_rating_sum[:, ctx.history].sum(axis=1)
    eligible = np.flatnonzero((count_now >= 2) & (count_before >= 5))
    if not eligible.size:
        return {}, 0
    spread = _rating_spread(ctx)
    drops = {}
    for row in eligible:
        mean_now, mean_before = sum_now[row] / count_now[row], sum_before[row] / count_before[row]
        z = (mean_now - mean_before) / (spread * math.sqrt(1 / count_now[row] + 1 / count_before[row]))
        if mean_now < mean_before:
            drops[int(row)] = {"rating_before": round(mean_before, 2), "rating_after": round(mean_now, 2),
                               "reviews_in_period": int(count_now[row]), "rating_z": round(z, 2)}
    return drops, len(eligible)


def _rating_spread(ctx: DetectContext) -> float:
    """The within-SKU standard deviation of star ratings over the history, pooled across SKUs."""
    panel = ctx.panel
    count = panel.review_count[:, ctx.history].sum(axis=1)
    total = panel.review_rating_sum[:, ctx.history].sum(axis=1)
    squares = panel.review_rating_squares[:, ctx.history].sum(axis=1)
    rated = count > 1
    if not rated.any():
        return 1.0
    within = float((squares[rated] - total[rated] ** 2 / count[rated]).sum())
    degrees = float((count[rated] - 1).sum())
    # never trust a spread below half a star: tiny or unanimous samples understate it
    return max(math.sqrt(max(within, 0.0) / degrees), 0.5) if degrees > 0 else 1.0


def detect_refund_spikes(ctx: DetectContext) -> list[Candidate]:
    """Orders of the period being refunded far more than the SKU's own history says, beyond the rest of the
    shop's trend, valued as the extra money refunded.

    Refunds arrive days after the sale, so the period's own orders are compared with what should already have
    come back given the shop's measured order-to-refund delay (a survival-style exposure): an order placed
    yesterday has had little time to be refunded. The baseline rate comes from older orders whose refunds
    have all arrived, and moves with the rest of the shop's refunds over the same days (a festival return
    wave, or buyers' reasons being relabelled, is not one SKU's problem).

    A real spike has a cause (a bad batch shows as `quality` refunds, a sizing error as `size`), and one reason
    rising stands out far more clearly against its own small baseline than against all refunds. So each SKU
    is tested on all its refunds and on each common reason that has a baseline; every one of those tests
    counts in the Bonferroni threshold, and the SKU's most surprising test names the reason. The cost is
    always the extra money refunded on all reasons: that is what left the shop, however buyers labelled it.
    """
    panel, current = ctx.panel, ctx.current
    cdf = panel.refund_lag_cdf
    matured = max(current.start - len(cdf), 0)  # orders before this day have had every refund they will get
    if matured < 14:
        return []
    days_left = (current.stop - 1) - np.arange(current.start, current.stop)
    arrived = cdf[np.minimum(days_left, len(cdf) - 1)]
    exposure_units = (panel.units[:, current] * arrived).sum(axis=1)
    exposure_gmv = (panel.gmv[:, current] * arrived).sum(axis=1)
    units_before = panel.units[:, :matured].sum(axis=1)
    gmv_before = panel.gmv[:, :matured].sum(axis=1)
    eligible = np.flatnonzero((units_before >= 50) & (exposure_units >= 10))
    if not eligible.size:
        return []
    tests = [(None, panel.refund_count_by_order_day)]  # every refund, then each reason worth testing on its own
    if len(panel.refund_reasons) > 2:  # at least two named reasons besides the pooled rest
        for k, reason in enumerate(panel.refund_reasons):
            count = panel.refund_count_by_reason[:, :, k]
            if count[eligible, :matured].sum() >= MIN_REASON_BASELINE:
                tests.append((reason, count))
    dispersion = _refund_dispersion(panel.refund_count[:, ctx.history])
    alpha = FAMILY_ALPHA / (len(eligible) * len(tests))
    rates, expected, now, stable = {}, {}, {}, {}
    total_before = panel.refund_count_by_order_day[eligible, :matured].sum(axis=1)
    total_now = panel.refund_count_by_order_day[eligible, current].sum(axis=1)
    for reason, count in tests:
        before = count[eligible, :matured].sum(axis=1)
        rates[reason] = np.maximum(before / units_before[eligible], 0.5 / units_before[eligible])
        expected[reason] = rates[reason] * exposure_units[eligible]
        now[reason] = count[eligible, current].sum(axis=1)
        stable[reason] = _share_is_stable(before, total_before, now[reason], total_now, len(tests))
    found = []
    for position, row in enumerate(eligible):
        best = None
        for reason, _ in tests:
            if not stable[reason][position]:
                continue
            # the rest of the shop's change for this reason, leaving this SKU out
            due = expected[reason].sum() - expected[reason][position]
            trend = (now[reason].sum() - now[reason][position]) / due if due > 0 else 1.0
            expected_here = expected[reason][position] * trend
            refunds_now = now[reason][position]
            p_value = poisson_upper_tail(refunds_now, expected_here, dispersion)
            if refunds_now < REFUND_RISE * expected_here or p_value > alpha:
                continue
            if best is None or p_value < best[0]:
                best = (p_value, reason, refunds_now, expected_here, rates[reason][position] * trend)
        if best is None:
            continue
        p_value, reason, refunds_now, expected_here, rate_before = best
        amount = panel.refund_amount_by_order_day
        amount_rate = amount[row, :matured].sum() / gmv_before[row] if gmv_before[row] > 0 else 0.0
        extra = amount[row, current].sum() - amount_rate * exposure_gmv[row]
        found.append(Candidate(
            kind="refund_spike", row=int(row), impact_gmv=-round(float(extra), 2),
            z_score=round(-NormalDist().inv_cdf(max(p_value, 1e-15)), 2),  # reported z, capped near 8
            evidence={"refund_reason": reason,
                      "refund_rate_before": round(float(rate_before), 4),
                      "refund_rate_after": round(float(refunds_now / exposure_units[row]), 4),
                      "refunds": int(refunds_now), "expected_refunds": round(float(expected_here), 1),
                      "refund_lag_days": panel.refund_lag_days},
        ))
    return found


def _share_is_stable(reason_before: np.ndarray, total_before: np.ndarray, reason_now: np.ndarray,
                     total_now: np.ndarray, tests: int) -> np.ndarray:
    """Per SKU: whether the rest of the shop gives this reason the same share of its refunds now as before.

    When it does not (the export started writing reasons differently, or a shop-wide cause such as a courier
    failing), a rise in the reason on one SKU says nothing about that SKU. Two-proportion z-test over the other
    SKUs' refunds, leaving the SKU out; every SKU passes for the all-refunds test (its share is always 1).
    """
    rest_before, rest_total_before = reason_before.sum() - reason_before, total_before.sum() - total_before
    rest_now, rest_total_now = reason_now.sum() - reason_now, total_now.sum() - total_now
    with np.errstate(divide="ignore", invalid="ignore"):
        share_before = rest_before / rest_total_before
        share_now = rest_now / rest_total_now
        pooled = (rest_before + rest_now) / (rest_total_before + rest_total_now)
        se = np.sqrt(pooled * (1 - pooled) * (1 / rest_total_before + 1 / rest_total_now))
        z = np.where(se > 0, (share_now - share_before) / se, 0.0)
    return (rest_total_before > 0) & (rest_total_now > 0) & (np.abs(np.nan_to_num(z)) <= critical_z(tests))


def _refund_dispersion(daily_refunds: np.ndarray) -> float:
    """How much more daily refunds vary than a Poisson count would (bad batches, bulk buyers)."""
    return count_dispersion(daily_refunds)


def detect_demand_surges(ctx: DetectContext) -> list[Candidate]:
    """A SKU's organic channel drawing far more visitors than before, beyond that channel's shop-wide trend,
    from the day it began, valued at the SKU's GMV per visitor, weighted by how that channel converts (one
    finding per SKU, its largest channel).

    An item that goes viral a week before the period ends doubles its last days and barely moves the
    fortnight's average, so each SKU and channel is judged from every day of the period that leaves
    MIN_SURGE_DAYS after it. Listings drift and busy days come in runs, far more than a count's noise says,
    so how far a window of a given length strays by chance is read from the shop's own history: the same
    comparison (a window's share of the channel's visitors against the four weeks before it, in units of
    the SKU's daily spread) over every SKU's earlier windows. The threshold is Bonferroni over every SKU,
    channel and start day."""
    panel, current, baseline = ctx.panel, ctx.current, ctx.baseline
    shop_daily = panel.visitors.sum(axis=0)  # (day, channel)
    n_days = current.stop - current.start
    starts = max(n_days - MIN_SURGE_DAYS + 1, 0)  # start days within the period, as offsets from its first
    in_before, in_now = ~ctx.out[:, baseline], ~ctx.out[:, current]
    candidates, tested = [], 0
    for channel in ORGANIC:
        centre, scale = _surge_chance(panel.visitors[:, :current.start, channel],
                                      shop_daily[:current.start, channel], n_days)
        share = np.log((panel.visitors[:, :current.stop, channel] + 0.5)
                       / (shop_daily[:current.stop, channel] + 0.5))
        # the SKU's own baseline days it could be sold: its visitors, the channel's, its share's level and spread
        days_before = in_before.sum(axis=1)
        visitors_before = np.where(in_before, panel.visitors[:, baseline, channel], 0.0).sum(axis=1)
        shop_before = np.where(in_before, shop_daily[baseline, channel][None, :], 0.0).sum(axis=1)
        base_share = np.where(in_before, share[:, baseline], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            level = base_share.sum(axis=1) / days_before
            spread = np.sqrt(np.where(in_before, (share[:, baseline] - level[:, None]) ** 2, 0.0).sum(axis=1)
                             / (days_before - 1))
        eligible = (visitors_before >= 50) & (shop_before > 0) & (days_before >= 7) & (spread > 0)
        # every window from a start day to the period's end, over the days the SKU could be sold (suffix sums);
        # the channel's shop-wide trend over those same days: a SKU out of stock after a channel-wide drop must
        # not look like it surged against that drop
        def suffix(values: np.ndarray) -> np.ndarray:
            return np.cumsum(np.where(in_now, values, 0.0)[:, ::-1], axis=1)[:, ::-1][:, :starts]

        count = suffix(np.ones_like(share[:, current]))
        visitors_now = suffix(panel.visitors[:, current, channel])
        shop_now = suffix(np.broadcast_to(shop_daily[current, channel], in_now.shape))
        share_now = suffix(share[:, current])
        length = n_days - np.arange(starts)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = ((share_now / count - level[:, None]) / spread[:, None] - centre[length]) / scale[length]
            trend = (shop_now / count) / (shop_before / days_before)[:, None]
            shift = np.log(np.maximum(visitors_now / count, 1e-9) / (visitors_before / days_before)[:, None]) \
                - np.log(trend)
        valid = eligible[:, None] & (count >= MIN_SURGE_DAYS) & (scale[length] > 0) & (shop_now > 0)
        tested += int(valid.any(axis=1).sum())
        candidates.append((channel, np.where(valid, z, -np.inf), shift, trend, count, visitors_now,
                           visitors_before / np.maximum(days_before, 1)))
    # each SKU and channel is one scan over nested windows (all run to the period's last day)
    threshold = nested_scan_critical_z(n_days - np.arange(starts), tested) if starts else math.inf
    best: dict[int, Candidate] = {}
    total: dict[int, float] = {}
    channels: dict[int, list[str]] = {}
    gpv_now = ctx.in_stock_sum(panel.gmv, current) / np.maximum(ctx.in_stock_sum(ctx.effective_visitors, current), 1)
    for channel, z, shift, trend, count, visitors_now, rate_before in candidates:
        passing = np.where((z >= threshold) & (np.nan_to_num(shift, nan=-np.inf) >= math.log(SURGE_RATIO)), z, -np.inf)
        for row in np.flatnonzero(np.isfinite(passing).any(axis=1)):
            first = int(np.argmax(passing[row]))  # the best-supported start day
            rate_now = visitors_now[row, first] / count[row, first]
            extra_visitors = (rate_now - rate_before[row] * trend[row, first]) * count[row, first]
            # the extra visitors came through one channel, and are worth what that channel's visitors are worth
            impact = round(float(extra_visitors * ctx.channel_weight[channel] * gpv_now[row]), 2)
            total[int(row)] = total.get(int(row), 0.0) + impact
            channels.setdefault(int(row), []).append(CHANNELS[channel])
            if row in best and best[row].impact_gmv >= impact:
                continue
            best[int(row)] = Candidate(
                kind="demand_surge", row=int(row), channel=CHANNELS[channel], impact_gmv=impact,
                z_score=round(float(z[row, first]), 2),
                evidence={"visitors_per_day_before": round(float(rate_before[row]), 1),
                          "visitors_per_day_after": round(float(rate_now), 1),
                          "channel_trend_pct": round(100 * (float(trend[row, first]) - 1), 1),
                          "visitor_change_vs_shop_pct": round(100 * (math.exp(float(shift[row, first])) - 1), 1),
                          "surge_start": panel.days[current.start + first].isoformat()},
            )
    # a viral item draws more visitors through every channel that shows it: each surging channel's extra
    # visitors are GMV the SKU brought, told once under its largest channel
    for row, candidate in best.items():
        candidate.evidence.update(largest_channel_gmv=candidate.impact_gmv, surging_channels=channels[row])
        candidate.impact_gmv = round(total[row], 2)
    return [best[row] for row in sorted(best)]


def _surge_chance(visitors: np.ndarray, shop: np.ndarray, longest: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window length (index), the median and robust spread (1.4826 x MAD) of a window's mean log share of the
    channel's visitors against the 28 days before it, in units of the SKU's daily spread over those days,
    over every busy SKU's windows in the history (`visitors` (sku, day) and `shop` (day) before the period);
    spread 0 where the history is too short to say."""
    centre, scale = np.zeros(longest + 1), np.zeros(longest + 1)
    window = BASELINE_DAYS
    busy = visitors[:, -window:].sum(axis=1) >= 50 if visitors.shape[1] >= window else np.zeros(0, bool)
    if not busy.any() or visitors.shape[1] < window + MIN_SURGE_DAYS + 14:
        return centre, scale
    share = np.log((visitors[busy] + 0.5) / (shop + 0.5))
    cumulative = np.concatenate([np.zeros((share.shape[0], 1)), np.cumsum(share, axis=1)], axis=1)
    squares = np.concatenate([np.zeros((share.shape[0], 1)), np.cumsum(share**2, axis=1)], axis=1)
    days = share.shape[1]
    for length in range(MIN_SURGE_DAYS, longest + 1):
        begin = np.arange(window, days - length + 1)
        if begin.size < 14:
            break
        mean_window = (cumulative[:, begin + length] - cumulative[:, begin]) / length
        mean_base = (cumulative[:, begin] - cumulative[:, begin - window]) / window
        variance = ((squares[:, begin] - squares[:, begin - window]) - window * mean_base**2) / (window - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (mean_window - mean_base) / np.sqrt(variance)
        z = z[np.isfinite(z)]
        if z.size >= 50:
            centre[length] = float(np.median(z))
            scale[length] = 1.4826 * float(np.median(np.abs(z - centre[length])))
    return centre, scale
