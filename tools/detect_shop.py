"""Shop-wide causes: channel traffic drops and the store experience score."""

from __future__ import annotations

import math

import numpy as np

from shopagent.tools.detect_context import ORGANIC, DetectContext
from shopagent.tools.findings import Candidate
from shopagent.tools.schema import CHANNELS
from shopagent.tools.stats import log_ratio_se, one_sided_critical_z

TRAFFIC_DROP = 0.10
MIN_STEADY = 10  # SKUs measured in a channel before any of them can be called an outlier
MIN_SPREAD = 0.10  # log-change spread floor: a SKU's fortnight of visitors moves this much on its own
SCORE_DROP = 0.1
MIN_SCORE_DAYS = 3  # days at the lower score before a fall is told apart from a bad day


def detect_traffic_drops(ctx: DetectContext) -> list[Candidate]:
    """An organic channel losing visitors relative to the other organic channels (its share of traffic fell).

    A channel-wide change moves most SKUs together, so it is measured on the SKUs that moved with the crowd:
    a SKU whose own traffic jumped or collapsed (it went viral, it sold out) has its own finding and, in a
    small shop, could hide a channel's drop or fake one. The visitors lost are then counted over every SKU.

    Each day's channel share is compared with the same weekday in the comparison period (shares swing by
    weekday far more than they drift), and the days the share fell are found by a scan over every run of days
    in the period: a drop that began a few days ago is not diluted over the whole fortnight. How far a run's
    sum may stray by chance is read from the shop's own history of the same comparison, so weekday and
    autocorrelated swings are in the threshold, which is Bonferroni-adjusted over every run and channel.
    """
    steady = _steady_skus(ctx)
    visitors = ctx.panel.visitors[steady].sum(axis=0)  # (day, channel) over the SKUs that moved together
    # two channels can fall at once (search from day 3, recommend from day 10): each is measured as a share of
    # the other organic channels, so one channel's fall lifts the other's share and hides it. The channels
    # found to fall are taken out of the others' comparison and those others judged again until none is
    # added; each channel is still told from one test, against channels not found to fall
    fallen: dict[int, Candidate] = {}
    while added := {channel: candidate for channel in ORGANIC if channel not in fallen
                    and (candidate := _channel_drop(ctx, visitors, steady, channel, set(fallen))) is not None}:
        fallen.update(added)
    return [fallen[channel] for channel in ORGANIC if channel in fallen]


def _channel_drop(ctx: DetectContext, visitors: np.ndarray, steady: np.ndarray, channel: int,
                  fallen: set[int]) -> Candidate | None:
    """One organic channel's fall in share against the organic channels not in `fallen`, or None."""
    others = [index for index in ORGANIC if index != channel and index not in fallen]
    own_before = visitors[ctx.previous, channel]
    rest_now = visitors[ctx.current][:, others].sum(axis=1)
    rest_before = visitors[ctx.previous][:, others].sum(axis=1)
    if own_before.sum() < 200 or rest_before.sum() <= 0 or rest_now.sum() <= 0:
        return None
    rest_ratio = rest_now.sum() / rest_before.sum()
    own, rest = visitors[:, channel], visitors[:, others].sum(axis=1)
    drop = _share_drop(ctx, own, rest) if _weekday_lag(ctx) else _period_drop(ctx, own, rest)
    if drop is None:
        return None
    first, last, shift, z = drop
    days = slice(ctx.current.start + first, ctx.current.start + last + 1)
    everyone = ctx.panel.visitors.sum(axis=0)
    all_now, all_before = everyone[ctx.current, channel].sum(), everyone[ctx.previous, channel].sum()
    channel_gmv_now = ctx.panel.channel_gmv[ctx.current, channel].sum()
    gmv_per_visitor = channel_gmv_now / all_now if all_now > 0 else 0.0
    # the visitors every SKU would have had in this channel on those days had it kept its share
    lost_visitors = float(everyone[days, channel].sum()) * (math.exp(-shift) - 1)
    dates = ctx.panel.days[days]
    return Candidate(
        kind="traffic_drop", row=None, channel=CHANNELS[channel],
        impact_gmv=-round(lost_visitors * gmv_per_visitor, 2), z_score=round(z, 2),
        evidence={"visitors_before": int(all_before), "visitors_after": int(all_now),
                  "other_channels_change_pct": round(100 * (rest_ratio - 1), 1),
                  "change_vs_other_channels_pct": round(100 * (math.exp(shift) - 1), 1),
                  "drop_start": dates[0].isoformat(), "drop_end": dates[-1].isoformat(),
                  "visitors_lost": int(round(lost_visitors)),
                  "skus_set_aside": int((~steady).sum())},
    )


def _share_drop(ctx: DetectContext, own: np.ndarray, rest: np.ndarray) -> tuple[int, int, float, float] | None:
    """The run of days in the period whose log share (own / rest), against the same weekday `lag` days before,
    fell the most beyond chance: (first, last day within the period, mean log change, z), or None.

    The lag is the distance to the comparison period when that is whole weeks; chance is measured on the
    history's own day-to-same-weekday changes, per run length, by a robust spread of their running sums."""
    lag = _weekday_lag(ctx)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where((own > 0) & (rest > 0), np.log(own / rest), np.nan)
    change = share[lag:] - share[:-lag]  # change[t - lag] is day t against day t - lag
    history = change[:ctx.current.start - lag]
    history = history[np.isfinite(history)]
    now = change[ctx.current.start - lag:ctx.current.stop - lag]
    n = now.size
    if history.size < 28 or not np.isfinite(now).all() or n < 2:
        return None
    drift = float(np.median(history))
    runs = n * (n - 1) // 2
    threshold = one_sided_critical_z(runs * len(ORGANIC))
    running = np.concatenate([[0.0], np.cumsum(now - drift)])
    best = None
    for length in range(2, n + 1):
        spread = _run_spread(history - drift, length)
        if not spread > 0:
            continue
        sums = running[length:] - running[:-length]
        first = int(np.argmin(sums))
        z = float(sums[first]) / spread
        shift = float(sums[first]) / length
        if z <= -threshold and math.exp(shift) <= 1 - TRAFFIC_DROP and (best is None or z < best[3]):
            best = (first, first + length - 1, shift, z)
    return best


def _weekday_lag(ctx: DetectContext) -> int:
    """Days from the comparison period to the period when that is whole weeks and the history before holds
    at least four weeks of the same comparison (else 0: the whole-period test is used)."""
    lag = ctx.current.start - ctx.previous.start
    return lag if lag > 0 and lag % 7 == 0 and ctx.current.start - lag >= 28 else 0


def _period_drop(ctx: DetectContext, own: np.ndarray, rest: np.ndarray) -> tuple[int, int, float, float] | None:
    """The channel's share over the whole period against the comparison period (a year-on-year comparison,
    or a history too short to calibrate the scan), z from day-to-day variation, Bonferroni over channels."""
    own_now, own_before = own[ctx.current], own[ctx.previous]
    rest_now, rest_before = rest[ctx.current], rest[ctx.previous]
    shift = math.log(max(own_now.sum(), 1.0) / own_before.sum()) - math.log(rest_now.sum() / rest_before.sum())
    se = math.hypot(log_ratio_se(own_now, rest_now), log_ratio_se(own_before, rest_before))
    z = shift / se if se > 0 else 0.0
    if math.exp(shift) > 1 - TRAFFIC_DROP or z > -one_sided_critical_z(len(ORGANIC)):
        return None
    return 0, own_now.size - 1, shift, z


def _run_spread(changes: np.ndarray, length: int) -> float:
    """How much a sum of `length` consecutive daily changes strays under no drop: 1.4826 x the median absolute
    running sum over the history (so weekday echoes and slow swings count), never below the independent-days
    figure from the daily spread."""
    daily = 1.4826 * float(np.median(np.abs(changes - np.median(changes))))
    if changes.size < length + 14:
        return daily * math.sqrt(length)
    sums = np.convolve(changes, np.ones(length), mode="valid")
    return max(1.4826 * float(np.median(np.abs(sums - np.median(sums)))), daily * math.sqrt(length))


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
    conversion change that came with it.

    The score may fall on any day of the period, so the days from each candidate start to the end are
    compared with the history (a fall in the last five days is a tenth of a point there, a third of that over
    the fortnight), the most extreme start is kept, and the bar is Bonferroni-adjusted over the starts tried."""
    scores = ctx.panel.experience_score
    now = scores[ctx.current][np.isfinite(scores[ctx.current])]
    before = scores[ctx.history][np.isfinite(scores[ctx.history])]
    if now.size < 3 or before.size < 7:
        return []
    starts = range(now.size - MIN_SCORE_DAYS + 1)
    best = None
    for start in starts:
        tail = now[start:]
        drop = float(tail.mean() - before.mean())
        se = math.sqrt(tail.var(ddof=1) / tail.size + before.var(ddof=1) / before.size)
        z = drop / se if se > 0 else -math.inf
        if drop <= -SCORE_DROP and (best is None or z < best[1]):
            best = (drop, z, start)
    if best is None or best[1] > -one_sided_critical_z(len(starts)):
        return []
    z, start = best[1], best[2]
    since = ctx.days(ctx.current)[int(np.flatnonzero(np.isfinite(scores[ctx.current]))[start])]
    _, shop_ratio = ctx.gmv_per_visitor_ratio()
    gmv_now = float(ctx.panel.gmv[:, ctx.current].sum())
    impact = gmv_now * (1 - 1 / shop_ratio) if shop_ratio < 1 else 0.0
    logistics = ctx.panel.logistics_score
    evidence = {"score_before": round(float(before.mean()), 2), "score_after": round(float(now[start:].mean()), 2),
                "since": since, "lowest_day": ctx.days(ctx.current)[int(np.nanargmin(scores[ctx.current]))],
                "shop_gmv_per_visitor_change_pct": round(100 * (shop_ratio - 1), 1)}
    if np.isfinite(logistics[ctx.current]).any() and np.isfinite(logistics[ctx.history]).any():
        evidence["logistics_score_before"] = round(float(np.nanmean(logistics[ctx.history])), 2)
        evidence["logistics_score_after"] = round(float(np.nanmean(logistics[ctx.current])), 2)
    return [Candidate(kind="experience_score_drop", row=None, impact_gmv=round(impact, 2), z_score=round(z, 2),
                      evidence=evidence)]
