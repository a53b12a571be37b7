"""A SKU's full-site promotion (全站推广) response curve: attributed GMV per day at a daily spend, as posterior draws.

GMV(spend) = clicks(spend) x GMV per click(spend), with clicks on a Hill curve c_max * s^k / (s^k + h^k) and GMV
per click scaling as (s / value_ref)^-value_slope (the marginal clicks of a larger spend may convert worse). A
curve keeps its posterior draws of (c_max, half spend, shape, GMV per click, its slope) and every figure it gives is
a mean or a quantile over them; `CurveArrays` stacks many curves' draws so the planner and the what-if simulator
evaluate them at once.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.platform_target_roi import platform_spend

DRAWS = 200  # posterior draws kept per curve
BULGE_STREAM = 0xB0E  # the random stream of each SKU's shape below the least spend seen


class ResponseCurve(BaseModel):
    """One SKU's full-site promotion response: expected attributed GMV per day at a daily spend."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    category: str
    c_max: float  # clicks per day at saturation (posterior mean, current level)
    half_spend: float  # daily spend that buys half of c_max (posterior median)
    shape: float  # Hill exponent; above 1 the curve is S-shaped (posterior median)
    value_per_click: float  # attributed GMV per click at `price` and daily spend `value_ref`
    value_slope: float = 0.0  # GMV per click scales as (spend / value_ref)^-value_slope (posterior mean)
    value_ref: float = 1.0
    price: float  # the price the curve is for (the last day's)
    price_elasticity: float  # of conversion: GMV per click scales with price_ratio ** (1 + elasticity)
    competitor_elasticity: float | None = None  # of conversion to the competitor's price (None: not tracked)
    spend_low: float  # 5th and 95th percentile of the daily spend seen: beyond them the curve extrapolates
    spend_high: float
    current_spend: float  # mean daily spend over the last 7 promoted days
    days: int  # promoted in-stock days the fit used
    clicks: float
    prior_share: float  # 0..1, how much of the curve's shape comes from the category rather than the SKU
    shift_date: date | None = None  # a recent break in the response level, when one was found
    shift_ratio: float | None = None
    shift_belief: float | None = None  # the share of the draws that take the break's level, when not all do
    draws_c_max: tuple[float, ...]
    draws_half_spend: tuple[float, ...]
    draws_shape: tuple[float, ...]
    draws_value: tuple[float, ...]
    draws_value_slope: tuple[float, ...] = ()  # empty: GMV per click does not depend on spend

    def gmv_draws(self, spend: float, price_ratio: float = 1.0) -> np.ndarray:
        """Posterior draws of attributed GMV per day at a daily spend."""
        return CurveArrays.of([self]).gmv(np.array([[spend]]), np.array([price_ratio]))[0, 0]

    def expected_gmv(self, spend: float, price_ratio: float = 1.0) -> float:
        """Expected attributed GMV per day at a daily spend (price_ratio = new price / current price)."""
        return float(self.gmv_draws(spend, price_ratio).mean())

    def gmv_quantile(self, spend: float, q: float, price_ratio: float = 1.0) -> float:
        """The q-quantile of attributed GMV per day at a daily spend (q=0.1: a cautious figure)."""
        return float(np.quantile(self.gmv_draws(spend, price_ratio), q))

    def marginal_roi(self, spend: float) -> float:
        """Extra expected GMV per extra yuan of spend at this spend."""
        return float(CurveArrays.of([self]).marginal_gmv(np.array([[spend]]))[0, 0].mean())

    def expected_spend(self, daily_budget: float, target_roi: float) -> float:
        """What the platform would spend: the most that holds target_roi, capped by the daily budget."""
        arrays = CurveArrays.of([self])
        return float(arrays.platform_spend(np.array([daily_budget]), np.array([target_roi]))[0].mean())



@dataclass
class CurveArrays:
    """The draws of many curves stacked (sku, draw) for fast evaluation by the planner."""

    c_max: np.ndarray
    half: np.ndarray
    shape: np.ndarray
    value: np.ndarray
    elasticity: np.ndarray
    slope: np.ndarray  # (sku, draw) of GMV per click against spend
    ref: np.ndarray  # (sku,) the spend GMV per click `value` is at
    # (sku,) the least spend each SKU was seen at. Below it the SKU's own data say nothing of how far the curve
    # bulges above the straight line from GMV(0) = 0 to GMV there: each draw takes a shape between the two, at a
    # share `bulge` (sku, draw) of the way, uniform (the fitted curve's concavity is an assumption there, not a
    # finding) unless the shop's self-check measured that share on its SKUs' lowest-spend days
    seen_low: np.ndarray | None = None
    bulge: np.ndarray | None = None
    # (sku, draw) the fitted curves' GMV at seen_low, where every reading below it starts (`_at_low`)
    low_gmv: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, curves: list[ResponseCurve], chord_below_seen: bool = False,
           bulge: tuple[float, float] | None = None) -> CurveArrays:
        """Stack the curves' draws; chord_below_seen: the planner's cautious reading below the least spend seen;
        bulge: the shop's own measure of that share (estimate, standard error), which replaces the uniform."""
        if not curves:  # no SKU to fund (e.g. --sku names only SKUs without a fitted curve)
            empty = np.zeros((0, 1))
            return cls(c_max=empty, half=empty, shape=empty, value=empty, elasticity=np.zeros(0), slope=empty,
                       ref=np.ones(0))
        value = np.array([c.draws_value for c in curves], dtype=float).reshape(len(curves), -1)
        slope = np.array([c.draws_value_slope or (0.0,) * value.shape[1] for c in curves], dtype=float)
        return cls(c_max=np.array([c.draws_c_max for c in curves], dtype=float).reshape(len(curves), -1),
                   half=np.array([c.draws_half_spend for c in curves], dtype=float).reshape(len(curves), -1),
                   shape=np.array([c.draws_shape for c in curves], dtype=float).reshape(len(curves), -1),
                   value=value, elasticity=np.array([c.price_elasticity for c in curves], dtype=float),
                   slope=slope.reshape(value.shape), ref=np.array([c.value_ref for c in curves], dtype=float),
                   seen_low=np.array([max(c.spend_low, 1e-6) for c in curves], dtype=float)
                   if chord_below_seen else None,
                   bulge=_bulge_shares([np.random.default_rng([zlib.crc32(c.sku_id.encode()), BULGE_STREAM])
                                        .uniform(size=value.shape[1]) for c in curves], bulge)
                   if chord_below_seen else None)

    def _per_click(self, spend: np.ndarray, value: np.ndarray, slope: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """GMV per click at a spend: value x (spend / ref)^-slope (the value alone where no slope was fitted)."""
        if not self.slope.any():
            return value
        return value * (np.maximum(spend, 1e-9) / ref) ** -slope

    def gmv(self, spend: np.ndarray, price_ratio: np.ndarray | None = None) -> np.ndarray:
        """GMV draws (sku, point, draw) at spends (sku, point)."""
        clicks = hill(spend[:, :, None], self.c_max[:, None, :], self.half[:, None, :], self.shape[:, None, :])
        value = self.value
        if price_ratio is not None:
            value = value * (np.asarray(price_ratio, dtype=float) ** (1.0 + self.elasticity))[:, None]
        out = clicks * self._per_click(spend[:, :, None], value[:, None, :], self.slope[:, None, :],
                                       self.ref[:, None, None])
        if self.seen_low is None:
            return out
        low = self.seen_low[:, None]
        at_low = (self._at_low() if price_ratio is None else
                  self._curve(np.broadcast_to(low, (low.shape[0], value.shape[1])), value))[:, None, :]
        chord = at_low * (np.maximum(spend, 0.0) / low)[:, :, None]
        return np.where((spend < low)[:, :, None], self._between(chord, out, self.bulge[:, None, :]), out)

    @staticmethod
    def _between(chord: np.ndarray, fitted: np.ndarray, share: np.ndarray) -> np.ndarray:
        """The share of the way from the straight line up to a fitted curve that bulges above it (the fitted
        curve itself where it runs below the line, as an S-shaped one does)."""
        low = np.minimum(chord, fitted)
        return low + share * (fitted - low)

    def _at_low(self) -> np.ndarray:
        """GMV (sku, draw) of the fitted curves at the least spend seen, worked out once: the planner reads the
        curves below it in every evaluation of a plan."""
        if self.low_gmv is None:
            low = self.seen_low[:, None]
            self.low_gmv = self._curve(np.broadcast_to(low, (low.shape[0], self.value.shape[1])), self.value)
        return self.low_gmv

    def fitted(self, spend: np.ndarray) -> np.ndarray:
        """GMV (sku, draw) of the fitted curves alone, without the caution below the least spend seen."""
        return self._curve(spend, self.value)

    def _curve(self, spend: np.ndarray, value: np.ndarray) -> np.ndarray:
        """GMV (sku, draw) of the fitted curve alone, draw d at spend (sku, draw)."""
        return hill(spend, self.c_max, self.half, self.shape) * self._per_click(spend, value, self.slope,
                                                                                 self.ref[:, None])

    def row_gmv(self, row: int, spend: float) -> np.ndarray:
        """GMV draws (draw,) of one curve at one spend."""

        def fitted(amount: float) -> np.ndarray:
            at = np.array(float(amount))
            return hill(at, self.c_max[row], self.half[row], self.shape[row]) * self._per_click(
                at, self.value[row], self.slope[row], self.ref[row])

        out = fitted(spend)
        if self.seen_low is None or spend >= self.seen_low[row]:
            return out
        low = float(self.seen_low[row])
        return self._between(fitted(low) * max(float(spend), 0.0) / low, out, self.bulge[row])

    def gmv_per_draw(self, spend: np.ndarray, fitted: np.ndarray | None = None) -> np.ndarray:
        """GMV (sku, draw) when draw d of each curve is run at its own spend (sku, draw); fitted: `fitted(spend)`,
        when the caller has it already."""
        out = self._curve(spend, self.value) if fitted is None else fitted
        if self.seen_low is None:
            return out
        low = self.seen_low[:, None]
        chord = self._at_low() * np.maximum(spend, 0.0) / low
        return np.where(spend < low, self._between(chord, out, self.bulge), out)

    def marginal_gmv(self, spend: np.ndarray) -> np.ndarray:
        """d GMV / d spend draws (sku, point, draw) at spends (sku, point)."""
        s = np.maximum(spend[:, :, None], 1e-9)
        k, h, b = self.shape[:, None, :], self.half[:, None, :], self.slope[:, None, :]
        uk = (s / h) ** k
        per_click = self._per_click(s, self.value[:, None, :], b, self.ref[:, None, None])
        # d/ds [clicks x value (s/ref)^-b] = value (s/ref)^-b (clicks' - b clicks / s)
        out = self.c_max[:, None, :] * per_click * (k * uk / (s * (1.0 + uk) ** 2) - b * uk / ((1.0 + uk) * s))
        if self.seen_low is None:
            return out
        low = self.seen_low[:, None]
        fitted = self.c_max[:, None, :] * uk / (1.0 + uk) * per_click
        at_low = self._at_low()[:, None, :]
        on_chord = (spend < low)[:, :, None] & (at_low * s / low[:, :, None] < fitted)
        share = self.bulge[:, None, :]
        return np.where(on_chord, (1.0 - share) * at_low / low[:, :, None] + share * out, out)

    def platform_spend(self, budget: np.ndarray, target_roi: np.ndarray) -> np.ndarray:
        """Spend draws (sku, draw) the platform would choose under each SKU's budget and target ROI (sku,), or one
        target per draw (sku, draw)."""
        target = np.asarray(target_roi, dtype=float)
        return platform_spend(self.c_max * self.value, self.half, self.shape,
                              target if target.ndim == 2 else target[:, None], np.asarray(budget, dtype=float)[:, None],
                              self.slope, self.ref[:, None])


def _bulge_shares(uniform: list[np.ndarray], bulge: tuple[float, float] | None) -> np.ndarray:
    """Each draw's share of the way from the straight line to the fitted bulge: uniform when the shop has not
    measured it, else the posterior of the shop's measure under that uniform prior (a normal cut to 0..1), each
    draw at the same quantile its uniform had."""
    shares = np.array(uniform, dtype=float)
    if bulge is None or not shares.size:
        return shares
    estimate, se = bulge
    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0):
        return shares
    normal = NormalDist(estimate, se)
    lo, hi = normal.cdf(0.0), normal.cdf(1.0)
    if hi - lo < 1e-9:  # the measure lies far outside 0..1: its nearer end
        return np.full(shares.shape, 0.0 if estimate < 0 else 1.0)
    inverse = np.vectorize(lambda u: normal.inv_cdf(min(max(lo + u * (hi - lo), 1e-12), 1 - 1e-12)))
    return np.clip(inverse(shares), 0.0, 1.0)


def hill(spend: np.ndarray, c_max: np.ndarray, half: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Hill curve c_max * s^k / (s^k + h^k), zero at zero spend."""
    u = np.maximum(spend, 0.0) / half
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        uk = np.where(u > 0, u ** shape, 0.0)
        return np.where(np.isinf(uk), c_max, c_max * uk / (1.0 + uk))
