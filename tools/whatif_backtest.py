"""A self-check of the demand model on the shop's own history: a merchant's real shop has no truth file.

Fit the model to day t (as if t were today), forecast each SKU's units over the next `horizon` days at
the prices that really happened (run rate x the model's response to those prices, promotion tags and the
rival's price), and compare with what sold; several origins, two weeks apart. MAPE and bias say how far
the forecasts are off, interval coverage how honest their 90% intervals were, and `interval_scale` (how
much wider or narrower the intervals must be to cover 90% of the back-tested outcomes) calibrates the
intervals `whatif` and `plan pricing` report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from shopagent.tools.elasticity import MIN_DAYS, PromoTags, fit_demand
from shopagent.tools.elasticity_prior import LEVEL, ElasticityEstimate, shrink
from shopagent.tools.panel import ShopPanel, cut_days
from shopagent.tools.whatif_baseline import RUN_RATE_DAYS, run_rate_drift, run_rates

HORIZON = 14
ORIGINS = 3
SPACING = 14  # days between origins: their horizons do not overlap
MIN_UNITS = 10  # a SKU that sold fewer units over a horizon has no meaningful percentage error
SCALE_LIMITS = (0.75, 3.0)  # a handful of origins cannot justify recalibrating intervals beyond this
DISPERSION = 1.5  # variance / mean of units: orders are Poisson-like, each with 1-3 units


@dataclass(frozen=True)
class Backtest:
    """How well the demand model forecast the shop's own recent past."""

    origins: list[str]  # the dates the model was fitted to
    forecasts: int  # SKU x origin pairs scored
    mape: float | None  # mean |forecast - actual| / actual over pairs that sold at least MIN_UNITS
    bias: float | None  # sum(forecast - actual) / sum(actual)
    coverage: float | None  # share of actuals inside the model's own 90% interval
    interval_scale: float  # multiply the intervals' log-scale spread by this to cover 90% in the back-test
    mape_price_moved: float | None  # MAPE on the pairs whose price over the horizon differed from the run rate's
    price_moved: int
    # coverage of the intervals after calibration, each origin scored at the scale the other origins give
    calibrated_coverage: float | None = None

    def describe(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {"origins": self.origins, "horizon_days": HORIZON, "forecasts": self.forecasts,
                "mape": rounded(self.mape), "bias": rounded(self.bias), "interval_coverage": rounded(self.coverage),
                "interval_level": LEVEL, "interval_scale": round(self.interval_scale, 3),
                "mape_price_moved": rounded(self.mape_price_moved), "forecasts_price_moved": self.price_moved,
                "calibrated_coverage": rounded(self.calibrated_coverage)}


NO_BACKTEST = Backtest(origins=[], forecasts=0, mape=None, bias=None, coverage=None, interval_scale=1.0,
                       mape_price_moved=None, price_moved=0)


def backtest_demand(panel: ShopPanel, tags: PromoTags, *, horizon: int = HORIZON, origins: int = ORIGINS,
                    kink: bool | None = None) -> Backtest:
    """Fit to earlier days, forecast the next `horizon` days at the prices that happened, score against sales.

    kink: the form the whole history chose (None: let each origin's history choose)."""
    n_days = len(panel.days)
    ends = [n_days - horizon - SPACING * k for k in range(origins)]
    ends = sorted(end for end in ends if end >= 2 * MIN_DAYS)
    if not ends:
        return NO_BACKTEST
    out = panel.stockout()
    z = NormalDist().inv_cdf(0.5 + LEVEL / 2)
    rows: list[tuple[float, float, float, bool, int]] = []  # forecast, actual, log sd, price moved, origin
    for origin, end in enumerate(ends):
        past = cut_days(panel, 0, end)
        past_tags = PromoTags(names=tags.names, codes=tags.codes[:, :end])
        fit = fit_demand(past, tags=past_tags, kink=kink)
        estimates = shrink(fit, past)
        rates = run_rates(past, past_tags, as_of=past.days[-1])
        drift = run_rate_drift(past, end=end, horizon=horizon)
        future = slice(end, end + horizon)
        window = slice(max(0, end - RUN_RATE_DAYS), end)
        for row, sku_id in enumerate(panel.catalog.sku_ids):
            estimate = estimates[sku_id]
            selling = ~out[row, future] & (np.nan_to_num(panel.price[row, future]) > 0)
            before = ~out[row, window] & (np.nan_to_num(panel.price[row, window]) > 0)
            if not (rates.on_sale[row] and rates.units[row] > 0 and selling.sum() >= horizon // 2 and before.any()):
                continue
            if estimate.elasticity is None and estimate.category_elasticity is None:
                continue
            response = _Response(estimate, fit.tag_effect, float(np.median(panel.price[row, window][before])))
            now = response.log_units(panel.price[row, window][before], tags.codes[row, window][before])
            then = response.log_units(panel.price[row, future][selling], tags.codes[row, future][selling])
            forecast = float(rates.units[row] * np.exp(then).sum() / np.exp(now).mean())
            if not math.isfinite(forecast):
                continue
            actual = float(panel.units[row, future][selling].sum())
            price_sd = response.sd(panel.price[row, window][before], panel.price[row, future][selling])
            log_sd = math.sqrt(drift.common**2 + drift.own**2 + float(rates.log_se[row]) ** 2
                               + DISPERSION / max(forecast, 0.5) + price_sd**2)
            moved = bool(np.any(np.abs(np.log(panel.price[row, future][selling] / rates.price[row])) > 0.005))
            rows.append((forecast, actual, log_sd, moved, origin))
    if not rows:
        return NO_BACKTEST
    forecast, actual, log_sd, moved, origin = (np.array(column) for column in zip(*rows, strict=True))
    error = np.log((actual + 0.5) / (forecast + 0.5))
    scored = actual >= MIN_UNITS
    ape = np.abs(forecast - actual) / np.maximum(actual, 1.0)
    ratio = np.abs(error) / log_sd
    scale = _conformal_scale(ratio, z)
    # honest coverage of the calibrated intervals: each origin's forecasts at the scale the other origins give
    held = [np.mean(ratio[origin == k] <= z * _conformal_scale(ratio[origin != k], z))
            for k in range(len(ends)) if (origin == k).any() and (origin != k).any()]
    return Backtest(
        origins=[panel.days[end - 1].isoformat() for end in ends], forecasts=len(rows),
        mape=float(ape[scored].mean()) if scored.any() else None,
        bias=float((forecast - actual).sum() / actual.sum()) if actual.sum() > 0 else None,
        coverage=float(np.mean(ratio <= z)), interval_scale=scale,
        calibrated_coverage=float(np.mean(held)) if held else None,
        mape_price_moved=float(ape[scored & moved].mean()) if (scored & moved).any() else None,
        price_moved=int((scored & moved).sum()))


def _conformal_scale(ratio: np.ndarray, z: float) -> float:
    """Split-conformal: the ceil((n + 1) x level)-th smallest |log error| / log sd, over z (clipped to SCALE_LIMITS)."""
    ordered = np.sort(ratio)
    rank = min(math.ceil((ordered.size + 1) * LEVEL), ordered.size)
    return float(np.clip(ordered[rank - 1] / z, *SCALE_LIMITS))


class _Response:
    """A SKU's fitted log-units response to its price (own, kink) and the day's promotion tag."""

    def __init__(self, estimate: ElasticityEstimate, tag_effect: np.ndarray, usual_price: float) -> None:
        self.estimate, self.usual_price = estimate, usual_price
        if estimate.elasticity is not None:
            self.elasticity, self.se = estimate.elasticity, estimate.elasticity_se or 0.0
        else:
            self.elasticity, self.se = estimate.category_elasticity or 0.0, estimate.category_sd or 0.0
        self.tag_effect = tag_effect

    def _gap(self, prices: np.ndarray) -> np.ndarray:
        rival = self.estimate.rival_price
        if self.estimate.rival_hinge is None or not rival:
            return np.zeros(prices.shape)
        return np.maximum(np.log(prices / rival), 0.0)

    def log_units(self, prices: np.ndarray, codes: np.ndarray) -> np.ndarray:
        hinge = self.estimate.rival_hinge or 0.0
        return self.elasticity * np.log(prices / self.usual_price) + hinge * self._gap(prices) + self.tag_effect[codes]

    def sd(self, before: np.ndarray, after: np.ndarray) -> float:
        """Standard error of the forecast's price part: how far the horizon's prices sit from the run rate's."""
        x = float(np.log(after).mean() - np.log(before).mean())
        gap = float(self._gap(after).mean() - self._gap(before).mean())
        return math.hypot(self.se * x, (self.estimate.rival_hinge_se or 0.0) * gap)
