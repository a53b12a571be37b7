"""Full-site promotion delivering below the merchant's target ROI: a campaign that stopped converting its spend."""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np

from shopagent.tools.change_scan import RateFall, scan_rate_fall
from shopagent.tools.detect_channel import NOISE_QUANTILE, NORMAL_SQUARE_QUANTILE
from shopagent.tools.detect_context import ORGANIC, DetectContext
from shopagent.tools.findings import Candidate
from shopagent.tools.stats import FAMILY_ALPHA, benjamini_hochberg, count_dispersion

REFERENCE_DAYS = 28  # the campaign's own record before the period is its baseline
MIN_REFERENCE_ORDERS = 5  # fewer ad orders than this over four weeks say nothing about a normal ROI
MIN_DAYS_AFTER = 3  # a fall must have lasted this many days to be told apart from a bad day
SPREAD_BLOCK = 14  # a rate's wander is read between adjacent fortnights of the history
MIN_SPREAD_PAIRS = 20  # SKU x fortnight pairs before the shop's own wander can be read off them
DELIVERY_COLLAPSE = 0.5  # spending under half its usual share of the budget is a campaign the platform throttled


def detect_promotion_shortfalls(ctx: DetectContext) -> list[Candidate]:
    """Promoted SKUs whose ad orders per click or clicks per yuan fell beyond noise in the period, now
    delivering below target.

    ROI per yuan is clicks per yuan times orders per click times GMV per order, and a campaign can break in
    the first two. Each promoted SKU's ad orders per paid click (its campaign's conversion), and its clicks
    against what its spend bought before (its reach), are scanned for the day they fell, against the four
    weeks before the period (tools/change_scan.py: a likelihood-ratio scan whose threshold is simulated, so
    searching for the start day is paid for at its true price rather than Bonferroni's), widened by the
    shop's day-to-day dispersion of each count, one-sided because only a fall is a shortfall. Orders are
    judged per click, not per yuan: clicks run to dozens a day where orders run to a few, so dividing by them
    takes the reach's own swings (a budget raised into dearer clicks) out of the conversion test. The order
    expectation moves with the SKU's own organic conversion: when a price rise or a bad batch makes the SKU
    sell worse to every visitor, its ads convert worse too, and that is the other cause's finding, not a
    promotion problem. The scans of all SKUs are one family, tested by Benjamini-Hochberg at the family
    level: a shop with no broken campaign raises an alarm no more often than under Bonferroni, while a shop
    with several does not make each pay for all the others (a weak shortfall beside a plain one is found).
    Either way the delivered ROI since the fall must be below the target and below what the earlier ROI
    leads one to expect. The shortfall is valued as the GMV the same spend would have brought since the fall
    at the ROI before it.
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
    window = slice(reference.start, current.stop)
    # days the SKU could not be sold are the stockout's finding: its ads had nothing to convert into, and the
    # platform stops showing an empty listing, so neither scan judges them
    sellable_all = _sellable(ctx)[eligible, :current.stop]
    bought_all = _clicks_bought(panel.ad_clicks[eligible, :current.stop], panel.ad_spend[eligible, :current.stop],
                                ctx.history, reference) * sellable_all
    clicks_all = np.where(bought_all > 0, panel.ad_clicks[eligible, :current.stop], 0.0)
    sellable, bought, clicks = sellable_all[:, window], bought_all[:, window], clicks_all[:, window]
    click_dispersion = count_dispersion(clicks[:, :reference.stop - reference.start], min_mean=5.0)
    selling = _organic_conversion_ratio(ctx, reference)
    first = current.start - window.start
    # a campaign's reach wanders with its audience's season however many clicks it buys; its orders per click
    # get no such spread: in the history they move with the SKU's own price changes, which the scan takes out
    # through its organic conversion, so a spread read there would count those moves as noise
    click_spread = _rate_spread(clicks_all[:, ctx.history], bought_all[:, ctx.history], click_dispersion)
    scans = _scans(ctx, eligible, window, first, bought, clicks, selling, (dispersion, click_dispersion), click_spread)
    # Benjamini-Hochberg over every scan of every SKU: the simulated p-values are needed only where they can
    # pass. At most R scans pass, all with p <= q R / scans, and p is at least its lower bound (the best
    # single split's p), so R <= K = the scans whose bound is below q K' / scans for any K' >= R: starting
    # from K' = every scan, that count shrinks to a fixed point, and only the scans below it are simulated
    lower = {key: fall.p_value for key, scan in scans.items() if (fall := scan(0.0)) is not None}
    count, level = len(scans), FAMILY_ALPHA
    while True:
        level = FAMILY_ALPHA * count / max(len(scans), 1)
        below = sum(p_value <= level for p_value in lower.values())
        if below >= count:
            break
        count = below
    resolved = {key: scans[key](level) for key, p_value in lower.items() if p_value <= level}
    p_values = [fall.p_value if fall is not None and key in resolved else 1.0
                for key, fall in ((key, resolved.get(key)) for key in scans)]
    cutoff = benjamini_hochberg(p_values)
    collapsed = _delivery_collapsed(ctx, eligible, reference)
    # a campaign the platform stopped delivering is chosen by its spend, not by its orders: its orders per click
    # are tested on their own, Bonferroni over the collapsed campaigns only (see _delivery_collapsed)
    corroborated = {}
    for position in np.flatnonzero(collapsed):
        level = FAMILY_ALPHA / int(collapsed.sum())
        fall = scans[(int(position), "orders")](level)
        if fall is not None and fall.p_value <= level:
            corroborated[int(position)] = fall
    found = []
    for position, row in enumerate(eligible):
        falls = [resolved.get((position, name)) for name in ("orders", "clicks")]
        falls = [fall for fall in falls if fall is not None and fall.p_value <= cutoff]
        falls += [corroborated[position]] if position in corroborated else []
        if not falls:
            continue
        fall = min(falls, key=lambda fall: (fall.p_value, fall.split))
        split = window.start + fall.split
        # the in-stock days since the fall and in the four weeks before it
        post = split + np.flatnonzero(sellable[position, split - window.start:])
        start_before = max(0, split - REFERENCE_DAYS)
        before = start_before + np.flatnonzero(_sellable(ctx)[row, start_before:split])
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
        # a throttled campaign also lost the clicks its budget no longer bought: the spend its usual share of the
        # budget would have been, at the ROI it was due
        undelivered = 0.0
        if collapsed[position]:
            usual = _usual_utilisation(ctx, row, before)
            undelivered = max(float(np.nansum(usual * panel.daily_budget[row, post])) - spend, 0.0)
        expected_orders = float(panel.ad_orders[row, before].sum()) * spend / spend_ref * float(selling[row])
        # clicks since the fall against what the same spend bought before it (days of unusual spend left out)
        cut = fall.split
        click_rate = clicks[position, :cut].sum() / max(float(bought[position, :cut].sum()), 1e-9)
        found.append(Candidate(
            kind="promotion_below_target_roi", row=int(row), channel="promotion",
            impact_gmv=round(ad_gmv - spend * expected_roi - undelivered * expected_roi, 2),
            z_score=round(NormalDist().inv_cdf(max(fall.p_value, 1e-15)), 2),  # reported z, capped near -8
            evidence={"delivered_roi": round(roi_post, 2), "target_roi": round(target, 2),
                      "roi_before": round(roi_before, 2), "expected_roi": round(expected_roi, 2),
                      "organic_conversion_change_pct": round(100 * (float(selling[row]) - 1), 1),
                      "since": panel.days[split].isoformat(), "spend": round(spend, 2), "ad_gmv": round(ad_gmv, 2),
                      "period_roi": round(float(panel.ad_gmv[row, current].sum()) / spend_now[row], 2),
                      "period_spend": round(float(spend_now[row]), 2),
                      "ad_orders": int(panel.ad_orders[row, post].sum()),
                      "ad_clicks": int(clicks[position, cut:].sum()),
                      "expected_ad_clicks": round(float(click_rate * bought[position, cut:].sum()), 1),
                      "expected_ad_orders": round(expected_orders, 1), "scan_p_value": round(fall.p_value, 5),
                      "shortfall_vs_target_gmv": round(target * spend - ad_gmv, 2),
                      "compensation_threshold_roi": round(compensation_line, 2),
                      "compensation_may_apply": bool(roi_post < compensation_line),
                      **({"undelivered_spend": round(undelivered, 2)} if collapsed[position] else {})},
        ))
    return found


def _utilisation(ctx: DetectContext, rows: np.ndarray) -> np.ndarray:
    """(sku, day) spend over the day's budget on the days the SKU could be sold and had a budget (NaN elsewhere)."""
    budget = ctx.panel.daily_budget[rows, :ctx.current.stop]
    usable = _sellable(ctx)[rows, :ctx.current.stop] & (np.nan_to_num(budget) > 0)
    return np.where(usable, ctx.panel.ad_spend[rows, :ctx.current.stop] / np.where(usable, budget, 1.0), np.nan)


def _usual_utilisation(ctx: DetectContext, row: int, days: np.ndarray) -> float:
    share = _utilisation(ctx, np.array([row]))[0, days]
    return float(np.nanmedian(share)) if np.isfinite(share).any() else 0.0


def _delivery_collapsed(ctx: DetectContext, eligible: np.ndarray, reference: slice) -> np.ndarray:
    """Per eligible SKU: did the platform stop spending its budget in the period, for at least MIN_DAYS_AFTER days
    in a row, deeper than any campaign of the shop ever did in its history?

    A target-ROI campaign the platform can no longer fill at its target is throttled: it spends a sliver of an
    unchanged budget. Each run of MIN_DAYS_AFTER days is measured as its median share of the budget over the
    median of the four weeks before it; the period's deepest run must be under DELIVERY_COLLAPSE and under the
    deepest run of every campaign over the shop's history (its own calibration: budgets paced, explored and
    paused there too). Spend is not orders: a campaign chosen this way has its orders per click tested on their
    own, at the family level over the chosen campaigns, and a throttle without a conversion fall is no finding."""
    share = _utilisation(ctx, eligible)
    current, run = ctx.current, MIN_DAYS_AFTER
    usual = share[:, reference]
    enough = np.isfinite(usual).sum(axis=1) >= REFERENCE_DAYS // 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN runs: days without a budget or stock
        level = np.nanmedian(usual, axis=1)
        runs = np.nanmedian(np.lib.stride_tricks.sliding_window_view(share[:, current], run, axis=1), axis=2)
        now = np.nanmin(runs, axis=1) / level
        deepest = _deepest_history_run(share[:, :current.start], run)
    return enough & (level > 0) & np.isfinite(now) & (now < min(DELIVERY_COLLAPSE, deepest))


def _deepest_history_run(share: np.ndarray, run: int) -> float:
    """The lowest median share of budget of any run of `run` days before the period, over the four weeks before
    it, across the shop's campaigns (infinity-free: 0 when the history is too short to say, so nothing passes)."""
    days = share.shape[1]
    ratios = []
    for start in range(REFERENCE_DAYS, days - run + 1):
        before = share[:, start - REFERENCE_DAYS:start]
        seen = np.isfinite(before).sum(axis=1) >= REFERENCE_DAYS // 2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ratio = np.nanmedian(share[:, start:start + run], axis=1) / np.nanmedian(before, axis=1)
        ratios.append(ratio[seen & np.isfinite(ratio)])
    pooled = np.concatenate(ratios) if ratios else np.array([])
    return float(pooled.min()) if pooled.size else 0.0


def _scans(ctx: DetectContext, eligible: np.ndarray, window: slice, first: int, bought: np.ndarray,
           clicks: np.ndarray, selling: np.ndarray, dispersions: tuple[float, float], click_spread: float) -> dict:
    """Per (SKU position, "orders" | "clicks"): a function of the level below which its scan's p-value must be
    simulated (tools/change_scan.py) returning the scan's fall.

    "orders" is the campaign's conversion: ad orders per paid click, so a budget raised into dearer clicks or
    a day of exploring with a sliver of the budget (fewer clicks, as many orders per click) is not a fall;
    a shop whose export has no clicks is judged on ad orders per yuan instead. Its expectation moves with the
    SKU's own organic conversion. "clicks" is the campaign's reach: clicks against what the spend bought before.
    `dispersions`: each count's day-to-day overdispersion (orders, clicks); `click_spread`: the reach's own wander."""
    panel = ctx.panel
    dispersion, click_dispersion = dispersions
    sellable = _sellable(ctx)[eligible, window]
    scans = {}
    for position, row in enumerate(eligible):
        paid_clicks = panel.ad_clicks[row, window]
        per_click = paid_clicks[:first].sum() > 0 and (paid_clicks[first:] > 0).sum() >= MIN_DAYS_AFTER
        days = np.flatnonzero(sellable[position])  # the scans run over the days the SKU could be sold
        start = int(np.searchsorted(days, first))
        exposure = (paid_clicks if per_click else panel.ad_spend[row, window]).astype(float)
        exposure[first:] *= selling[row]

        def orders(level: float, row=row, exposure=exposure, days=days, start=start):
            return _on_days(scan_rate_fall(panel.ad_orders[row, window][days], exposure[days], start,
                                           min_after=MIN_DAYS_AFTER, dispersion=dispersion, seed=int(row),
                                           simulate_below=level), days)

        scans[(position, "orders")] = orders
        if clicks[position, :first].sum() > 0 and (bought[position, first:] > 0).sum() >= MIN_DAYS_AFTER:
            def reach(level: float, position=position, row=row, days=days, start=start):
                return _on_days(scan_rate_fall(clicks[position][days], bought[position][days], start,
                                               min_after=MIN_DAYS_AFTER, dispersion=click_dispersion,
                                               spread=click_spread, seed=int(row), simulate_below=level), days)

            scans[(position, "clicks")] = reach
    return scans


def _rate_spread(counts: np.ndarray, exposure: np.ndarray, dispersion: float) -> float:
    """How far a campaign's rate (clicks against what its spend bought) wanders from one fortnight to the next
    beyond its counts' noise, read from the shop's history before the period: the sd of the log ratio of
    adjacent fortnights' rates that puts the NOISE_QUANTILE of every SKU's squared z where noise puts it.

    Counts' noise shrinks as a campaign grows; a rate's drift (its audience's season, rivals' bids) does not,
    so without it a 10% dip in a big campaign's clicks reads as a certain fall. A quantile, as the SKU traffic
    drops' noise is read (tools/detect_channel.py): the few real breaks in the history cannot hide the rest."""
    days = counts.shape[1]
    changes, variances = [], []
    for end in range(days, 2 * SPREAD_BLOCK - 1, -SPREAD_BLOCK):
        later, earlier = slice(end - SPREAD_BLOCK, end), slice(end - 2 * SPREAD_BLOCK, end - SPREAD_BLOCK)
        c1, c2 = counts[:, earlier].sum(axis=1), counts[:, later].sum(axis=1)
        e1, e2 = exposure[:, earlier].sum(axis=1), exposure[:, later].sum(axis=1)
        seen = ((exposure[:, earlier] > 0).sum(axis=1) >= SPREAD_BLOCK // 2) & \
            ((exposure[:, later] > 0).sum(axis=1) >= SPREAD_BLOCK // 2) & (c1 + c2 >= MIN_REFERENCE_ORDERS)
        with np.errstate(divide="ignore", invalid="ignore"):
            changes.append(np.log((c2[seen] + 0.5) / e2[seen]) - np.log((c1[seen] + 0.5) / e1[seen]))
        variances.append(max(dispersion, 1.0) * (1 / (c1[seen] + 0.5) + 1 / (c2[seen] + 0.5)))
    if not changes:
        return 0.0
    squares, variance = np.concatenate(changes) ** 2, np.concatenate(variances)
    if squares.size < MIN_SPREAD_PAIRS:
        return 0.0

    def too_wide(spread_squared: float) -> bool:
        return float(np.quantile(squares / (variance + spread_squared), NOISE_QUANTILE)) > NORMAL_SQUARE_QUANTILE

    if not too_wide(0.0):
        return 0.0
    low, high = 0.0, 1.0
    for _ in range(40):  # bisection: the quantile falls as the spread grows
        middle = (low + high) / 2
        low, high = (middle, high) if too_wide(middle) else (low, middle)
    return float(np.sqrt(high))


def _sellable(ctx: DetectContext) -> np.ndarray:
    """(sku, day) days a SKU's ads had stock to sell: not out of stock, and not the day it ran out (orders
    stop when the last unit goes, whatever the campaign does)."""
    return ~ctx.out & ~(np.nan_to_num(ctx.panel.on_hand, nan=1.0) <= 0)


def _on_days(fall: RateFall | None, days: np.ndarray) -> RateFall | None:
    """A scan run over a subset of days, its split put back on the window's own days."""
    if fall is None:
        return None
    return RateFall(p_value=fall.p_value, split=int(days[fall.split]), statistic=fall.statistic)


def _clicks_bought(clicks: np.ndarray, spend: np.ndarray, history: slice, reference: slice) -> np.ndarray:
    """Clicks each (sku, day)'s spend would have bought at the SKU's history's rate, moved with the rest of the
    shop's clicks per yuan that day (a platform-wide change in what traffic costs is nobody's campaign).

    Reach is concave in spend (each extra yuan buys dearer clicks), so a budget raised at the period's start
    must not read as clicks per yuan falling: each SKU's elasticity of clicks to spend is fitted on its
    history (log-log, within SKU) and shrunk toward the shop's pooled one, which decides for SKUs whose spend
    barely moved. Elasticities stay within 0.2-2, the range of a saturating curve's local slope (above 1 at
    the foot of an S). Days whose spend is outside half the least to twice the most the SKU spent in the
    reference weeks get 0 (not judged): when the platform falls back to exploring with a twentieth of the
    budget, an S-shaped curve buys far fewer clicks per yuan, and a log-log line cannot say how many.
    """
    use = (clicks[:, history] > 0) & (spend[:, history] > 0)
    log_clicks = np.log(np.where(use, clicks[:, history], 1.0))
    log_spend = np.log(np.where(use, spend[:, history], 1.0))
    days = np.maximum(use.sum(axis=1, keepdims=True), 1)
    x = np.where(use, log_spend - (log_spend * use).sum(axis=1, keepdims=True) / days, 0.0)
    y = np.where(use, log_clicks - (log_clicks * use).sum(axis=1, keepdims=True) / days, 0.0)
    sxx, sxy = (x * x).sum(axis=1), (x * y).sum(axis=1)
    pooled = float(np.clip(sxy.sum() / sxx.sum(), 0.2, 2.0)) if sxx.sum() > 1e-6 else 1.0
    prior = 0.02 * days[:, 0]  # worth a history whose spend moved by about 14% a day
    reach = np.clip((sxy + prior * pooled) / (sxx + prior), 0.2, 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.where(spend > 0, np.maximum(spend, 1e-9) ** reach[:, None], 0.0)
        level = np.where(use.any(axis=1), np.where(use, clicks[:, history], 0.0).sum(axis=1)
                         / np.maximum(np.where(use, shape[:, history], 0.0).sum(axis=1), 1e-9), 0.0)
    recent = (clicks[:, reference] > 0) & (spend[:, reference] > 0)
    before = np.where(recent, spend[:, reference], np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a SKU never promoted before: all-NaN, judged on nothing
        low, high = np.nanquantile(before, 0.05, axis=1), np.nanquantile(before, 0.95, axis=1)
    usual = (spend >= 0.5 * np.nan_to_num(low, nan=np.inf)[:, None]) & (spend <= 2.0 * np.nan_to_num(high)[:, None])
    expected = np.where(usual, shape * level[:, None], 0.0)
    # the rest of the shop's clicks against its own expectation, day by day (leaving the SKU itself out), over
    # the same days on both sides: another SKU's spike or exploring day is in neither
    judged = np.where(expected > 0, clicks, 0.0)
    others_clicks = judged.sum(axis=0)[None, :] - judged
    others_expected = expected.sum(axis=0)[None, :] - expected
    index = np.where(others_expected > 0, others_clicks / np.maximum(others_expected, 1e-9), 1.0)
    return expected * index


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
