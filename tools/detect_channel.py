"""One SKU's channel losing visitors (单品降权, 搜索掉量): a difference-in-differences test on visitor counts."""

from __future__ import annotations

import numpy as np

from shopagent.tools.detect_context import ORGANIC, DetectContext
from shopagent.tools.detect_sku import SURGE_RATIO
from shopagent.tools.findings import Candidate
from shopagent.tools.schema import CHANNELS
from shopagent.tools.stats import one_sided_critical_z

SKU_TRAFFIC_DROP = 0.15  # a SKU's channel must lose this share of the visitors it was due to matter
MIN_BASELINE_VISITORS = 100  # visitors of a SKU's channel over the baseline weeks before it is tested
MIN_CELLS = 20  # SKU x channel cells measured before the shop's own noise can be read off them
MIN_CELL_SPREAD = 0.03  # an item's share of a channel wanders this much over a fortnight, however busy
# the noise is read where its tail starts: the 90th percentile of squared z against a squared normal's
# (2.706). Channels whose visitors come in bursts (live sessions) have tails a median would miss; real
# drops are far fewer than a tenth of the cells, so they still cannot hide themselves
NOISE_QUANTILE, NORMAL_SQUARE_QUANTILE = 0.9, 2.706
WINDOW_OFFSETS = (0, 2, 4, 7)  # the period, then its tail from these days on


def detect_sku_traffic_drops(ctx: DetectContext) -> list[Candidate]:
    """A SKU's organic channel drawing far fewer visitors than its own other channels and that channel's
    shop-wide movement say it should, valued at the GMV those visitors would have brought.

    Visitors are counts with a SKU x channel baseline, a SKU x period effect (the item's own popularity,
    read off its other channels) and a channel x period effect (the platform's traffic, read as the median
    SKU's change in that channel, so one viral or penalised item cannot move it). The log of observed over
    expected is the difference-in-differences; its noise is quasi-Poisson with each channel's own
    overdispersion read from the shop's cells, plus a small per-cell spread. A penalty that began a few
    days ago is not diluted over the whole period: the test also runs on the period's last 12, 10 and 7
    days, Bonferroni over every cell and window tested.

    A channel with fewer than MIN_CELLS items measured in it is not tested. What else moves an item's
    traffic is left to its own finding: a SKU with a channel that surged (a steady channel is not a drop
    beside it), a channel that kept up with its shop-wide trend, and a SKU that sold out in the period (an
    empty shelf loses its ranking). Only in-stock days count.
    """
    best: dict[tuple[int, int], float] = {}  # (row, channel) -> z of its surest window
    due: dict[tuple[int, int], float] = {}
    windows = []
    for offset in WINDOW_OFFSETS:
        cells = _cells(ctx, slice(ctx.current.start + offset, ctx.current.stop))
        if cells is None:
            continue
        windows.append(cells)
        rows, channels, expected = cells[0], cells[1], cells[-1]
        if offset == 0:  # what each cell was due over the whole period: a finding is valued over it
            due.update(zip(zip(rows.tolist(), channels.tolist(), strict=True), expected.tolist(), strict=True))
    if not windows:
        return []
    # one overdispersion per channel, read from every window's cells: one window's cells are too few for a
    # steady quantile
    pooled = [np.concatenate([cells[part] for cells in windows]) for part in (1, 2, 4, 5, 6)]
    phi = _channel_overdispersion(*pooled)
    # a channel few items draw on (live streams, in many shops) has too few cells to say what its noise is
    readable = np.bincount(windows[0][1], minlength=len(ORGANIC)) >= MIN_CELLS
    tests = 0
    for rows, channels, change, shop_change, own_variance, others_now, others_before, _ in windows:
        z = change / np.sqrt(_variance(phi, channels, own_variance, others_now, others_before))
        tests += int(readable[channels].sum())
        # a channel that kept up with its shop-wide trend has not dropped, whatever its SKU's other channels did
        material = (np.exp(change) <= 1 - SKU_TRAFFIC_DROP) & (shop_change < 0) & readable[channels]
        for k in np.flatnonzero(material):
            cell = (int(rows[k]), int(channels[k]))
            if cell not in best or z[k] < best[cell]:
                best[cell] = float(z[k])
    threshold = one_sided_critical_z(tests)
    gpv_now = ctx.in_stock_sum(ctx.panel.gmv, ctx.current) / \
        np.maximum(ctx.in_stock_sum(ctx.effective_visitors, ctx.current), 1e-9)
    found = []
    for (row, channel), z in sorted(best.items()):
        if z <= -threshold:
            expected = due.get((row, channel))
            if expected is not None:  # a cell the whole period could not test (its SKU surged) is not valued
                found.append(_finding(ctx, row, channel, z, expected, float(gpv_now[row])))
    return found


def _cells(ctx: DetectContext, current: slice):  # noqa: ANN202 - parallel arrays, one entry per tested cell
    """Per tested SKU x organic channel over the days `current`: row, channel, log(observed / expected)
    against the SKU's other channels and the channel's trend, the same against the channel's trend only,
    the Poisson variance of the cell's own counts, and its SKU's other channels' counts now and before."""
    panel, baseline = ctx.panel, ctx.baseline
    in_now, in_before = ~ctx.out[:, current], ~ctx.out[:, baseline]
    days_now, days_before = in_now.sum(axis=1), in_before.sum(axis=1)
    visitors = panel.visitors[:, :, ORGANIC]
    now = (visitors[:, current] * in_now[:, :, None]).sum(axis=1)  # (sku, organic channel)
    before = (visitors[:, baseline] * in_before[:, :, None]).sum(axis=1)
    usable = (days_now >= 3) & (days_before >= 14) & ~ctx.out[:, ctx.current].any(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_change = np.log((now + 0.5) / days_now[:, None]) - np.log((before + 0.5) / days_before[:, None])
    measured = usable[:, None] & (before >= MIN_BASELINE_VISITORS)
    if measured.sum() < MIN_CELLS:
        return None
    trend = np.array([_weighted_median(rate_change[measured[:, c], c], before[measured[:, c], c])
                      if measured[:, c].any() else 0.0 for c in range(len(ORGANIC))])
    due_now = before * days_now[:, None] / np.maximum(days_before[:, None], 1) * np.exp(trend)[None, :]
    rows, channels = np.nonzero(measured)
    others = np.ones((rows.size, len(ORGANIC)), dtype=bool)
    others[np.arange(rows.size), channels] = False
    others_now, others_before, others_due = now[rows] * others, before[rows] * others, due_now[rows] * others
    # a SKU with a channel that surged is its demand surge's finding: its steady channels did not drop
    surged = ((before >= MIN_BASELINE_VISITORS / 2) & (now + 0.5 >= SURGE_RATIO * due_now)).any(axis=1)
    keep = (others_before.sum(axis=1) >= MIN_BASELINE_VISITORS) & (others_due.sum(axis=1) > 0) & ~surged[rows]
    rows, channels = rows[keep], channels[keep]
    others_now, others_before, others_due = others_now[keep], others_before[keep], others_due[keep]
    if rows.size < MIN_CELLS:
        return None
    own_factor = (others_now.sum(axis=1) + 0.5) / others_due.sum(axis=1)  # the SKU's popularity now
    observed = now[rows, channels]
    change = np.log((observed + 0.5) / (due_now[rows, channels] * own_factor))
    shop_change = np.log((observed + 0.5) / due_now[rows, channels])
    own_variance = 1 / (observed + 0.5) + 1 / (before[rows, channels] + 0.5)
    expected = due_now[rows, channels] * own_factor
    return rows, channels, change, shop_change, own_variance, others_now, others_before, expected


def _variance(phi: np.ndarray, channels: np.ndarray, own_variance: np.ndarray, others_now: np.ndarray,
              others_before: np.ndarray) -> np.ndarray:
    """Variance of each cell's log(observed / expected): its own channel's counts now and before, and its
    SKU's other channels (the delta method on their sums), each count scaled by its channel's phi, plus
    the per-cell spread."""
    total_now, total_before = others_now.sum(axis=1) + 0.5, others_before.sum(axis=1) + 0.5
    others = (others_now @ phi) / total_now**2 + (others_before @ phi) / total_before**2
    return phi[channels] * own_variance + others + MIN_CELL_SPREAD**2


def _channel_overdispersion(channels: np.ndarray, change: np.ndarray, own_variance: np.ndarray,
                            others_now: np.ndarray, others_before: np.ndarray) -> np.ndarray:
    """Each organic channel's quasi-Poisson overdispersion (live visitors come in sessions, search ones
    trickle in): the phi that puts the NOISE_QUANTILE of its cells' squared z where noise puts it (a
    quantile, so the few real drops cannot inflate the noise and hide themselves); never below 1 (counts
    are never tidier than Poisson). The cells' other channels carry their own phi, so the fit is repeated
    until it settles; a channel with too few cells to read gets at least the pooled figure."""
    phi = np.ones(len(ORGANIC))
    for _ in range(3):
        base = _variance(phi, channels, own_variance, others_now, others_before) - phi[channels] * own_variance
        pooled = _phi(change, own_variance, base)
        for channel in range(len(ORGANIC)):
            mine = channels == channel
            own = _phi(change[mine], own_variance[mine], base[mine]) if mine.sum() >= 3 else pooled
            phi[channel] = own if mine.sum() >= MIN_CELLS else max(own, pooled)
    return phi


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def _phi(change: np.ndarray, variance: np.ndarray, fixed: np.ndarray) -> float:
    """The phi >= 1 at which the NOISE_QUANTILE of change^2 / (phi x variance + fixed) is a squared normal's."""
    squares = change**2

    def too_wide(phi: float) -> bool:
        return float(np.quantile(squares / (phi * variance + fixed), NOISE_QUANTILE)) > NORMAL_SQUARE_QUANTILE

    if not too_wide(1.0):
        return 1.0
    low, high = 1.0, 2.0
    while too_wide(high) and high < 1e6:
        low, high = high, 2 * high
    for _ in range(40):  # bisection: the quantile falls as phi grows
        middle = (low + high) / 2
        low, high = (middle, high) if too_wide(middle) else (low, middle)
    return high


def _finding(ctx: DetectContext, row: int, channel: int, z: float, expected: float, gpv_now: float) -> Candidate:
    """The candidate for one SKU's channel: when its visitors fell, and the GMV they would have brought."""
    panel, current = ctx.panel, ctx.current
    index = ORGANIC[channel]
    in_stock = ~ctx.out[row, current]
    daily = panel.visitors[row, current, index] * in_stock
    # the visitors due day by day: the channel's share of the SKU's visitors over the baseline weeks, moved by
    # the channel's shop-wide trend, times the SKU's other channels that day (they share its weekday rhythm)
    others_index = [c for c in ORGANIC if c != index]
    others = panel.visitors[row, current][:, others_index].sum(axis=1) * in_stock
    due = expected * others / others.sum() if others.sum() > 0 else expected * in_stock / in_stock.sum()
    start = _drop_start(daily, due)
    lost = float((due[start:] - daily[start:]).sum())
    baseline_in_stock = ~ctx.out[row, ctx.baseline]
    before = float((panel.visitors[row, ctx.baseline, index] * baseline_in_stock).sum())
    days_before = max(int(baseline_in_stock.sum()), 1)
    due_after = float(due[start:].sum())
    impact = lost * gpv_now * float(ctx.channel_weight[index])
    dates = ctx.days(current)
    return Candidate(
        kind="traffic_drop", row=row, channel=CHANNELS[index], impact_gmv=-round(max(impact, 0.0), 2),
        z_score=round(z, 2),
        evidence={"drop_start": dates[start], "drop_end": dates[-1],
                  "visitors_per_day_before": round(before / days_before, 1),
                  "visitors_per_day_after": round(float(daily[start:].sum()) / max(int(in_stock[start:].sum()), 1), 1),
                  "visitors_after": int(daily[start:].sum()), "visitors_expected": int(round(due_after)),
                  "visitors_lost": int(round(lost)),
                  "change_vs_expected_pct": round(100 * (float(daily[start:].sum()) / max(due_after, 1e-9) - 1), 1)},
    )


def _drop_start(daily: np.ndarray, due: np.ndarray) -> int:
    """The day the shortfall began: the start of the tail run whose visitors fell furthest below what was
    due, measured in Poisson standard deviations (a CUSUM-style change point)."""
    shortfall = np.cumsum((due - daily)[::-1])[::-1]  # shortfall[k] = sum over days k.. of due - observed
    spread = np.sqrt(np.maximum(np.cumsum(due[::-1])[::-1], 1e-9))
    return int(np.argmax(shortfall / spread))
