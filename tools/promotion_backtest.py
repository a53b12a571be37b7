"""The promotion planner's self-check on the shop's own history: a rolling-origin backtest of the curves.

At each of a few past days (origins, two weeks apart: three, or two in a shop promoting over 300 SKUs, whose
refits cost more and whose predictions are many) the curves are refitted on the history up to that day and
each SKU's attributed GMV over the next 14 days is predicted at the spends that really happened, each day at the
conditions it had (the SKU's demand, the shop's paid traffic that day, its price, its competitor's and the shop's
conversion level, as the plan's own fit on the whole history reads them), then compared with what it brought: a
festival or a price move the plan would have been told about is not the curves' error. This is the only accuracy
evidence a merchant's own shop can give, and it checks the model where it is used (two weeks ahead), not where it
was fitted.

The errors calibrate the plan: the part of the shop's two-week errors that neither the curves' own uncertainty
nor the sales' own noise explains becomes an error all SKUs share (split-conformal in spirit: held-out residuals
widen the interval), drawn into every curve's GMV per click, so a model that is wrong on this shop states a wider
range and holds its ROI with a wider margin. The refits are quick ones: the competitor response is the one fitted
on the whole history and the scan for a collapse of the last days is skipped.

The origins score spends that really happened, while a plan held back by its ROI floor moves spend below the least
a SKU has spent, where the planner believes each curve lies a share of the way from the straight line GMV(0) = 0
up to its fitted bulge. One more refit, without each SKU's lowest-spend days, measures that share on the shop's own
SKUs (where those days landed between the line and the refit's bulge), so the planner's caution there is the
shop's, not a fixed one.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.panel import ShopPanel, cut_days
from shopagent.tools.promotion_click_fit import paid_conditions
from shopagent.tools.promotion_curves import fit_response_curves
from shopagent.tools.promotion_history import CURVE_HALF_LIFE, last_price, price_elasticity, promoted_days, recency
from shopagent.tools.promotion_response import DRAWS, CurveArrays, ResponseCurve
from shopagent.tools.promotion_results import INTERVAL
from shopagent.tools.promotion_shifts import shop_conversion_factor

ORIGINS = 3
BIG_SHOP_ORIGINS = 2  # a shop promoting more SKUs than BIG_SHOP has as many predictions from fewer refits
BIG_SHOP = 300
HORIZON_DAYS = 14
MIN_FIT_DAYS = 28  # fewer days before an origin than four weeks: no curve worth checking
LOW_SPEND_SHARE = 0.4  # the self-check refits without each SKU's lowest 40% of spend days and scores them there
LOW_SPEND_MIN_DAYS = 7
BULGE_MIN_SKUS = 5  # SKUs scored below the least spend their refit saw before the shop's own share replaces the uniform
CALIBRATION_STREAM = 0xCA1  # the random stream of the shared calibration error


class Backtest(BaseModel):
    """How well the curves predicted each SKU's attributed GMV two weeks ahead, at the spends that happened."""

    model_config = ConfigDict(frozen=True)

    origins: int  # past days the curves were refitted at (0: too little history to check)
    horizon_days: int
    predictions: int  # SKU x origin pairs scored
    mape: float | None  # sum |predicted - actual| / sum actual over the pairs (yuan-weighted)
    bias: float | None  # sum predicted / sum actual - 1 (above 0: the curves promised too much)
    coverage: float | None  # share of pairs whose actual GMV fell in the stated 80% range
    total_error: float | None  # mean over origins of |predicted - actual| / actual for the shop's total
    extra_sd: float  # the shared log error the plan adds to the curves because of these errors (0: none needed)
    sku_sd: float = 0.0  # each SKU's own log error beyond its curve's uncertainty and its sales' noise (0: none)
    shift: float = 0.0  # the log of the factor the curves' GMV is moved by: their shrunk mean error on the shop
    below_seen_days: int = 0  # SKU-days the refitted curves were run below the least spend they had seen
    bulge: float | None = None  # where those days landed from the straight line (0) to the fitted bulge (1)
    bulge_se: float | None = None

    def bulge_measure(self) -> tuple[float, float] | None:
        """(estimate, standard error) of the share below the least spend seen, for the planner; None: unmeasured."""
        if self.bulge is None or self.bulge_se is None:
            return None
        return self.bulge, self.bulge_se

    def summary(self) -> dict[str, float | int | str]:
        """The figures for the plan's `method.backtest`."""
        return {key: value for key, value in self.model_dump().items() if value is not None}


def backtest(panel: ShopPanel, end: int, seed: int,
             competitor: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Backtest:
    """Refit the curves at up to ORIGINS past days and score their two-week predictions (`end`: days in use)."""
    index = panel.catalog.index()
    out = panel.stockout()
    # origin, predicted, low, high, actual, draws, actual orders
    pairs: list[tuple[int, float, float, float, float, np.ndarray, float]] = []
    origins = 0
    promoted = int((panel.ad_spend[:, :end] > 0).any(axis=1).sum())
    conditions = Conditions(panel, end, competitor[0])
    for step in range(1, (ORIGINS if promoted <= BIG_SHOP else BIG_SHOP_ORIGINS) + 1):
        origin = end - HORIZON_DAYS * step
        if origin < MIN_FIT_DAYS:
            break
        past = head_panel(panel, origin)
        curves = fit_response_curves(past, as_of=past.days[-1], seed=seed, competitor=competitor, quick=True)
        window = slice(origin, origin + HORIZON_DAYS)
        scored = 0
        for sku, curve in curves.items():
            row = index[sku]
            spend = panel.ad_spend[row, window]
            used = (spend > 0) & ~out[row, window] & ~np.isnan(panel.daily_budget[row, window])
            if not used.any():
                continue
            days = np.flatnonzero(used) + origin
            # each day at the conditions that held on it against the origin's: the plan's forecast is for
            # today's prices, demand and platform traffic, so a change in them is not the curves' error
            draws = (CurveArrays.of([curve]).gmv(spend[used][None, :])[0]
                     * conditions.ratio(row, days, origin)[:, None]).sum(axis=0)
            low, high = np.quantile(draws, INTERVAL)
            pairs.append((step, float(draws.mean()), float(low), float(high),
                          float(panel.ad_gmv[row, window][used].sum()), draws,
                          float(panel.ad_orders[row, window][used].sum())))
            scored += 1
        origins += scored > 0
    below = _low_spend_days(panel, end, seed, competitor, conditions)
    if not pairs:
        return Backtest(origins=0, horizon_days=HORIZON_DAYS, predictions=0, mape=None, bias=None, coverage=None,
                        total_error=None, extra_sd=0.0)
    predicted = np.array([p[1] for p in pairs])
    actual = np.array([p[4] for p in pairs])
    inside = np.array([p[2] <= p[4] <= p[3] for p in pairs])
    sku_sd = _sku_sd(pairs)
    errors, own = [], []
    for step in sorted({p[0] for p in pairs}):
        part = [p for p in pairs if p[0] == step]
        total_actual, total_draws = sum(p[4] for p in part), np.sum([p[5] for p in part], axis=0)
        if total_actual > 0 and total_draws.mean() > 0:
            errors.append(np.log(total_actual / total_draws.mean()))
            # what the curves' own uncertainty explains, the SKUs' own errors (each its share of the total squared),
            # and the sales' own noise: a two weeks' GMV is a sum of orders (compound Poisson, relative variance
            # about sum gmv x order value / total^2), which the plan's expected GMV does not carry
            noise = sum(p[4] * p[4] / p[6] for p in part if p[6] > 0) / total_actual**2
            shares = np.array([p[1] for p in part]) / max(sum(p[1] for p in part), 1e-9)
            own.append(float(np.var(np.log(np.maximum(total_draws, 1e-9)))) + noise
                       + sku_sd**2 * float(np.square(shares).sum()))
    excess = float(np.mean(np.square(errors)) - np.mean(own)) if errors else 0.0
    total = float(actual.sum())
    return Backtest(
        origins=origins, horizon_days=HORIZON_DAYS, predictions=len(pairs),
        mape=round(float(np.abs(predicted - actual).sum() / total), 4) if total > 0 else None,
        bias=round(float(predicted.sum() / total - 1.0), 4) if total > 0 else None,
        coverage=round(float(inside.mean()), 3),
        total_error=round(float(np.mean(np.abs(np.expm1(errors)))), 4) if errors else None,
        extra_sd=round(float(np.sqrt(max(excess, 0.0))), 4), sku_sd=round(sku_sd, 4),
        shift=round(_shift(errors, own), 4), **_bulge(below))


def _bulge(below: list[tuple[str, float, float, float]]) -> dict[str, float | int | None]:
    """How far up from the straight line toward the fitted bulge the shop's days below the least spend seen landed
    (0: on the line, 1: on the fitted curve), a ratio estimate over SKUs, and its standard error clustered by SKU
    (a SKU's days share its curve's error, and SKUs differ in how their curves bend)."""
    skus = sorted({sku for sku, *_ in below})
    gaps = {sku: 0.0 for sku in skus}
    above = {sku: 0.0 for sku in skus}
    for sku, chord, fitted, actual in below:
        if fitted > chord:
            gaps[sku] += fitted - chord
            above[sku] += actual - chord
    gap = np.array([gaps[sku] for sku in skus])
    rise = np.array([above[sku] for sku in skus])
    used = gap > 0
    if used.sum() < BULGE_MIN_SKUS:
        return {"below_seen_days": len(below), "bulge": None, "bulge_se": None}
    share = float(rise[used].sum() / gap[used].sum())
    n = int(used.sum())
    se = float(np.sqrt(np.square(rise[used] - share * gap[used]).sum() * n / (n - 1))) / float(gap[used].sum())
    return {"below_seen_days": len(below), "bulge": round(share, 4), "bulge_se": round(se, 4)}


def _low_spend_days(panel: ShopPanel, end: int, seed: int, competitor: tuple[np.ndarray, np.ndarray, np.ndarray],
                    conditions: Conditions) -> list[tuple[str, float, float, float]]:
    """Refit the curves without each SKU's lowest-spend days and score them there, below the least spend the
    refit saw: the one check of how a curve reads spends smaller than any it was fitted to."""
    data = promoted_days(panel, end)
    held = np.zeros(panel.ad_spend.shape, dtype=bool)
    for position, row in enumerate(data.rows):
        days = np.flatnonzero(data.usable[position])
        if days.size < MIN_FIT_DAYS + LOW_SPEND_MIN_DAYS:
            continue
        spend = data.spend[position, days]
        cut = np.quantile(spend, LOW_SPEND_SHARE)
        low = days[spend < cut]
        if low.size >= LOW_SPEND_MIN_DAYS:
            held[row, low] = True
    if not held.any():
        return []
    curves = fit_response_curves(head_panel(panel, end), as_of=panel.days[end - 1], seed=seed, competitor=competitor,
                                 quick=True, held_out=held)
    index = panel.catalog.index()
    below = []
    for sku, curve in curves.items():
        row = index[sku]
        days = np.flatnonzero(held[row, :end])
        if not days.size:
            continue
        spend = panel.ad_spend[row, days]
        ratio = conditions.ratio(row, days, end)
        per_day = CurveArrays.of([curve]).gmv(spend[None, :])[0] * ratio[:, None]
        below.extend((sku, *day) for day in _below_seen(curve, spend, ratio, per_day, panel.ad_gmv[row, days]))
    return below


def _below_seen(curve: ResponseCurve, spend: np.ndarray, ratio: np.ndarray, per_day: np.ndarray,
                actual: np.ndarray) -> list[tuple[float, float, float]]:
    """The days a refitted curve was run below the least spend it had seen: the straight line from GMV(0) = 0 and the
    fitted bulge there (means over the draws, at each day's conditions) and what the day brought."""
    low = max(curve.spend_low, 1e-6)
    under = spend < low
    if not under.any():
        return []
    at_low = CurveArrays.of([curve]).gmv(np.array([[low]]))[0, 0]
    chord = at_low[None, :] * (spend[under] / low)[:, None] * ratio[under][:, None]
    fitted = per_day[under]
    line = np.minimum(chord, fitted)
    return [(float(c), float(f), float(a))
            for c, f, a in zip(line.mean(axis=1), fitted.mean(axis=1), actual[under], strict=True)]


def _sku_sd(pairs: list[tuple[int, float, float, float, float, np.ndarray, float]]) -> float:
    """Each SKU's own two-week log error beyond what its curve's draws and its orders' noise explain (method of
    moments over the scored pairs, yuan-weighted by the prediction, so the SKUs the plan spends on count most)."""
    excess, weight = [], []
    for _, predicted, _, _, actual, draws, orders in pairs:
        if actual <= 0 or predicted <= 0 or orders <= 0:
            continue
        error = np.log(actual / predicted)
        own = float(np.var(np.log(np.maximum(draws, 1e-9)))) + 1.0 / orders
        excess.append(error * error - own)
        weight.append(predicted)
    if not weight:
        return 0.0
    return float(np.sqrt(max(float(np.average(excess, weights=weight)), 0.0)))


def _shift(errors: list[float], own: list[float]) -> float:
    """The curves' mean log error on the shop's totals, shrunk toward 0 by its own standard error (positive-part
    James-Stein): a bias the origins agree on moves the plan's GMV, one within their noise does not."""
    if len(errors) < 2:
        return 0.0
    mean = float(np.mean(errors))
    spread = float(np.var(errors, ddof=1)) + float(np.mean(own))
    if mean == 0.0:
        return 0.0
    return mean * max(0.0, 1.0 - spread / len(errors) / mean**2)


class Conditions:
    """What moves a promoted day's GMV besides its spend, as the plan's own fit on the whole history reads it:
    the SKU's organic demand and the shop's paid-traffic day effect (clicks), its price, its competitor's and the
    shop's conversion level (GMV per click). The backtest scores the curves at the conditions each day had."""

    def __init__(self, panel: ShopPanel, end: int, rival: np.ndarray) -> None:
        data = promoted_days(panel, end)
        self.panel, self.position = panel, np.full(len(panel.catalog.sku_ids), -1)
        self.position[data.rows] = np.arange(data.rows.size)
        self.log_clicks = self.log_price = self.log_other = np.zeros((data.rows.size, end))
        self.elasticity = np.zeros(data.rows.size)
        if data.rows.size == 0:
            return
        elasticity_all = price_elasticity(panel, end)
        weight = recency(data.age, CURVE_HALF_LIFE) * data.usable
        power, supply = paid_conditions(data, weight, np.log(np.where(data.usable, data.spend, 1.0)))
        self.log_clicks = power * data.log_demand + supply[None, :]
        # GMV per click goes as price^(1 + elasticity) x competitor's price^response / the shop's conversion factor
        self.elasticity, self.log_price = elasticity_all[data.rows], data.log_price
        self.log_other = (rival[data.rows][:, None] * data.log_competitor
                          - np.log(shop_conversion_factor(panel, end, elasticity_all))[None, :])
        self.price_now = last_price(panel, end)
        self.price_then: dict[int, np.ndarray] = {}  # each origin's last prices, against today's, per panel row

    def ratio(self, row: int, days: np.ndarray, origin: int) -> np.ndarray:
        """The multiplier of each day's GMV against the conditions at `origin`, its curves' 'today': the week
        before it for demand and traffic (the fit centres them there), its last price and its last day's rest."""
        position = self.position[row]
        if position < 0:
            return np.ones(days.size)
        clicks = self.log_clicks[position]
        if origin not in self.price_then:
            with np.errstate(invalid="ignore", divide="ignore"):
                moved = np.log(last_price(self.panel, origin) / self.price_now)
            self.price_then[origin] = np.where(np.isfinite(moved), moved, 0.0)
        price_then = float(self.price_then[origin][row])
        moved = (clicks[days] - clicks[max(0, origin - 7):origin].mean()
                 + (1.0 + self.elasticity[position]) * (self.log_price[position, days] - price_then)
                 + self.log_other[position, days] - self.log_other[position, origin - 1])
        return np.exp(moved)


def calibrated(curves: dict[str, ResponseCurve], check: Backtest, seed: int) -> dict[str, ResponseCurve]:
    """The curves with the backtest's errors drawn into every GMV per click: its shrunk mean error moves them, its
    unexplained shared error is one normal per posterior draw common to all SKUs (so a blend does not average it
    away), and each SKU's own unexplained error is drawn for it alone (both mean-preserving)."""
    shared_sd, sku_sd, shift = check.extra_sd, check.sku_sd, check.shift
    if shared_sd <= 0 and sku_sd <= 0 and shift == 0:
        return curves
    rng = np.random.default_rng([seed, CALIBRATION_STREAM])
    shared = rng.standard_normal(DRAWS)
    own = rng.standard_normal((len(curves), DRAWS))
    out = {}
    for row, (sku, curve) in enumerate(sorted(curves.items())):
        log_factor = (shift + shared_sd * shared - 0.5 * shared_sd**2 + sku_sd * own[row] - 0.5 * sku_sd**2)
        values = np.asarray(curve.draws_value, dtype=float) * np.exp(log_factor[: len(curve.draws_value)])
        out[sku] = curve.model_copy(update={"draws_value": tuple(np.round(values, 5).tolist())})
    return {sku: out[sku] for sku in curves}


def head_panel(panel: ShopPanel, days: int) -> ShopPanel:
    """The first `days` days of a panel, as if it had been loaded up to then."""
    return cut_days(panel, 0, days)
