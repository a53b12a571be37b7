"""Change points: a recent break in a daily level, for one SKU (a campaign whose response collapsed) or the shop.

`level_shift` is a two-rate Poisson likelihood-ratio test of observed against expected daily counts. The response
curves apply it to each SKU's clicks and orders per click; `conversion_shift` applies it to the shop's orders
against its channel-mix- and price-adjusted visitors (e.g. after the store experience score 店铺体验分 fell).
`recent_fall` looks again at the last two weeks with a scan whose threshold is simulated, for a collapse too
young for `level_shift`'s Bonferroni over 60 break days to believe.
"""

from __future__ import annotations

from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.change_scan import scan_rate_fall
from shopagent.tools.panel import ShopPanel, memoised
from shopagent.tools.promotion_history import last_price, price_elasticity
from shopagent.tools.stats import FAMILY_ALPHA, count_dispersion, critical_z

SHIFT_MIN_DAYS, SHIFT_MAX_DAYS = 5, 60
RECENT_DAYS, RECENT_REFERENCE_DAYS = 14, 28  # the diagnosis's fortnight, against the four weeks before it
RECENT_MIN_DAYS = 3  # a fall must have lasted this many promoted days to be told apart from a bad day


class LevelShift(BaseModel):
    """A break in a daily count's level: from day index `start` on it runs at `ratio` x what came before."""

    model_config = ConfigDict(frozen=True)

    start: int
    ratio: float
    z: float
    # the chance the break is real, as the shop's own scan measures it (see `recent_fall`); 1 for `level_shift`'s
    belief: float = 1.0


def level_shift(observed: np.ndarray, expected: np.ndarray, usable: np.ndarray,
                dispersion: np.ndarray | None = None) -> list[LevelShift | None]:
    """The most likely recent break in each row's level of observed / expected counts, if significant.

    A two-rate Poisson likelihood-ratio test at every break 5-60 days back, Bonferroni-adjusted for the
    rows and break days tried, so day-to-day noise in a large shop does not produce breaks.
    """
    n_rows, n_days = observed.shape
    obs = np.where(usable, observed, 0.0)
    exp = np.where(usable, expected, 0.0)
    post_obs = np.cumsum(obs[:, ::-1], axis=1)[:, ::-1]
    post_exp = np.cumsum(exp[:, ::-1], axis=1)[:, ::-1]
    post_days = np.cumsum(usable[:, ::-1], axis=1)[:, ::-1]
    total_obs, total_exp, total_days = post_obs[:, :1], post_exp[:, :1], post_days[:, :1]
    pre_obs, pre_exp = total_obs - post_obs, total_exp - post_exp
    rate = total_obs / np.maximum(total_exp, 1e-12)

    def term(o: np.ndarray, e: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((o > 0) & (e > 0), o * np.log(o / (rate * e)), 0.0)

    lr = 2.0 * (term(post_obs, post_exp) + term(pre_obs, pre_exp))
    if dispersion is not None:
        lr = lr / dispersion[:, None]
    day = np.arange(n_days)[None, :]
    candidate = ((day >= n_days - SHIFT_MAX_DAYS) & (post_days >= SHIFT_MIN_DAYS)
                 & (total_days - post_days >= SHIFT_MIN_DAYS) & (post_exp >= 5.0) & (pre_exp >= 5.0))
    lr = np.where(candidate, lr, 0.0)
    threshold = critical_z(max(1, n_rows * SHIFT_MAX_DAYS)) ** 2
    best = lr.argmax(axis=1)
    shifts: list[LevelShift | None] = []
    for row in range(n_rows):
        t = int(best[row])
        if lr[row, t] < threshold:
            shifts.append(None)
            continue
        ratio = (post_obs[row, t] / post_exp[row, t]) / max(pre_obs[row, t] / max(pre_exp[row, t], 1e-12), 1e-12)
        shifts.append(LevelShift(start=t, ratio=float(ratio), z=float(np.sqrt(lr[row, t]))))
    return shifts


def recent_fall(observed: np.ndarray, expected: np.ndarray, usable: np.ndarray,
                dispersion: float | None = None) -> list[LevelShift | None]:
    """A fall in each row's level of observed / expected counts that began in the last two weeks, if significant.

    A campaign whose ad orders per click collapsed five days ago is what the merchant most needs the planner
    to believe, and the weakest case for `level_shift`: a handful of days, tested as if 60 unrelated break
    days had been tried. Here the last 14 days are scanned against the 4 weeks before them with the change
    scan of tools/change_scan.py (its threshold simulated, so the search over start days is paid for at its
    true price), widened by the rows' day-to-day dispersion (or the one given), one-sided, at the family alpha
    for each row. Not Bonferroni over the rows: this is an estimate for one SKU, not a list of alarms for
    the merchant to read, and a campaign's collapse must be believed the same in a shop of 20 SKUs as in one
    of 1,000. Only a fall: a fall believed wrongly costs one SKU some budget, a fall missed costs the ROI.
    How far each fall is believed is the shop's to say, though: see `_believed`.
    """
    n_rows, n_days = observed.shape
    window = slice(max(0, n_days - RECENT_DAYS - RECENT_REFERENCE_DAYS), n_days)
    first = n_days - RECENT_DAYS
    if dispersion is None:
        reference = np.where(usable[:, window.start:first], observed[:, window.start:first], 0.0)
        dispersion = count_dispersion(reference, min_mean=1.0)
    alpha = FAMILY_ALPHA
    falls: list[LevelShift | None] = []
    scanned = 0
    for row in range(n_rows):
        days = np.flatnonzero(usable[row, window]) + window.start
        recent = int((days >= first).sum())
        fall = None
        if recent >= RECENT_MIN_DAYS and days.size - recent >= SHIFT_MIN_DAYS:
            fall = scan_rate_fall(observed[row, days], expected[row, days], days.size - recent,
                                  min_after=RECENT_MIN_DAYS, dispersion=dispersion, seed=row, simulate_below=alpha,
                                  settle_only=True)
            scanned += fall is not None
        if fall is None or fall.p_value > alpha:
            falls.append(None)
            continue
        before, after = days[: fall.split], days[fall.split:]
        rate_before = observed[row, before].sum() / max(expected[row, before].sum(), 1e-12)
        rate_after = observed[row, after].sum() / max(expected[row, after].sum(), 1e-12)
        falls.append(LevelShift(start=int(after[0]), ratio=float(rate_after / max(rate_before, 1e-12)),
                                z=float(-fall.statistic), belief=fall.p_value))
    return _believed(falls, scanned)


def _believed(falls: list[LevelShift | None], scanned: int) -> list[LevelShift | None]:
    """Each fall (its `belief` holding its p-value) with the chance it is real, as the shop's own scan measures it.

    Each fall is tested at alpha on its own, so a 40-SKU shop with nothing wrong shows about two. The share of
    falls at least as extreme that are false is Benjamini and Hochberg's tail-area false-discovery rate over every
    row scanned (the q-value, with every row taken to be steady: the rate is not lowered by guessing how many
    are not): a p of .02 among 40 steady SKUs is doubted almost wholly, a collapse at 1e-4 is believed, and two
    falls at .01 in a shop of 10 are believed more than one alone. Only the falls' own p-values enter: the scan
    stops at a lower bound for a row above alpha, which would make every fall look more believable than it is.
    """
    p_values = np.sort([fall.belief for fall in falls if fall is not None])
    if not p_values.size:
        return falls
    q_values = np.minimum.accumulate((p_values * scanned / np.arange(1, p_values.size + 1))[::-1])[::-1]
    return [None if fall is None else fall.model_copy(update={"belief": float(
        1.0 - min(1.0, q_values[np.searchsorted(p_values, fall.belief, side="right") - 1]))}) for fall in falls]


class ConversionShift(BaseModel):
    """A shop-wide break in conversion (every SKU, every channel), e.g. after the store experience score fell."""

    model_config = ConfigDict(frozen=True)

    start: date
    ratio: float  # conversion since `start` / before it
    z: float


def conversion_shift(panel: ShopPanel, *, as_of: date) -> ConversionShift | None:
    """The latest shop-wide break in conversion over the last 60 days up to `as_of`, if there is a significant one
    (its ratio is against the level just before it)."""
    end = (as_of - panel.days[0]).days + 1
    shifts = _shop_shifts(panel, end, price_elasticity(panel, end))
    if not shifts:
        return None
    shift = shifts[-1]
    return ConversionShift(start=panel.days[shift.start], ratio=round(shift.ratio, 4), z=round(shift.z, 2))


def shop_conversion_factor(panel: ShopPanel, end: int, elasticity: np.ndarray) -> np.ndarray:
    """Per day, the multiplier that brings that day's conversion to the shop's level at as_of."""
    factor = np.ones(end)
    for shift in _shop_shifts(panel, end, elasticity):
        factor[: shift.start] *= shift.ratio
    return factor


def _shop_shifts(panel: ShopPanel, end: int, elasticity: np.ndarray, days: int = 90) -> list[LevelShift]:
    """Test the shop's orders against channel-mix- and price-adjusted visitors for the most likely break, then
    the last fortnight, at that break's level, for a fall too young for the first test (the store experience
    score fell five days ago while a festival's end two months back is the larger break). In time order."""
    # a plan tests the same days four times (its fit, the self-check's low-spend refit and conditions, the
    # warnings' conversion check), and the fortnight's scan simulates thousands of draws
    key = ("shop_shifts", end, days, elasticity.tobytes())
    return list(memoised(panel, key, lambda: tuple(_tested_shop_shifts(panel, end, elasticity, days))))


def _tested_shop_shifts(panel: ShopPanel, end: int, elasticity: np.ndarray, days: int) -> list[LevelShift]:
    start = max(0, end - days)
    part = slice(start, end)
    visitors = panel.visitors[:, part, :]
    channel_visitors = visitors.sum(axis=(0, 1))
    channel_gmv = panel.channel_gmv[part].sum(axis=0)
    # visitors weighted by their channel's GMV per visitor, so a drop in a weak channel is not a conversion gain
    worth = np.where(channel_visitors > 0, channel_gmv / np.maximum(channel_visitors, 1.0), 0.0)
    effective = (visitors * (worth / max(worth.max(), 1e-12))[None, None, :]).sum(axis=2)
    price_now = last_price(panel, end)
    price = panel.price[:, part]
    ok = ~panel.stockout()[:, part] & ~np.isnan(price) & (effective > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        adjust = np.where(ok, np.exp(elasticity[:, None] * np.log(np.where(ok, price, 1.0) / price_now[:, None])), 0.0)
    base = effective * adjust
    orders = panel.orders[:, part]
    rate = np.where(ok, orders, 0.0).sum(1) / np.maximum(np.where(ok, base, 0.0).sum(1), 1e-12)
    expected = np.where(ok, base * rate[:, None], 0.0).sum(0)
    observed = np.where(ok, orders, 0.0).sum(0)
    usable = expected > 0
    if usable.sum() < 2 * SHIFT_MIN_DAYS:
        return []
    scale = observed[usable].sum() / expected[usable].sum()
    pearson = ((observed - scale * expected) / np.sqrt(np.maximum(scale * expected, 1e-9)))[usable]
    # a robust spread (MAD), so a festival week does not make every other day look quiet
    spread = 1.4826 * float(np.median(np.abs(pearson - np.median(pearson))))
    dispersion = max(spread**2, 1.0)
    shift = level_shift(observed[None, :], expected[None, :], usable[None, :], np.array([dispersion]))[0]
    shifts = [] if shift is None else [shift]
    if shift is not None and shift.start >= observed.size - RECENT_DAYS:
        return [shift.model_copy(update={"start": shift.start + start})]  # the last fortnight's break is found
    if shift is not None:
        expected = expected.copy()
        expected[: shift.start] /= shift.ratio  # the days before the break, as many orders as they had
    fall = recent_fall(observed[None, :], expected[None, :], usable[None, :], dispersion)[0]
    if fall is not None:
        shifts.append(fall)
    return [found.model_copy(update={"start": found.start + start}) for found in shifts]
