"""A SKU's full-site promotion (全站推广) response curve: attributed GMV per day at a daily spend, as posterior draws.

GMV(spend) = clicks(spend) x GMV per click(spend), with clicks on a Hill curve c_max * s^k / (s^k + h^k) and GMV
per click scaling as (s / value_ref)^-value_slope (the marginal clicks of a larger spend may convert worse). A
curve keeps its posterior draws of (c_max, half spend, shape, GMV per click, its slope) and every figure it gives is
a mean or a quantile over them; `CurveArrays` stacks many curves' draws so the planner and the what-if simulator
evaluate them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.platform_target_roi import platform_spend

DRAWS = 200  # posterior draws kept per curve


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

    @classmethod
    def of(cls, curves: list[ResponseCurve]) -> CurveArrays:
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
                   slope=slope.reshape(value.shape), ref=np.array([c.value_ref for c in curves], dtype=float))

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
        return clicks * self._per_click(spend[:, :, None], value[:, None, :], self.slope[:, None, :],
                                        self.ref[:, None, None])

    def row_gmv(self, row: int, spend: float) -> np.ndarray:
        """GMV draws (draw,) of one curve at one spend."""
        amount = np.array(float(spend))
        return hill(amount, self.c_max[row], self.half[row], self.shape[row]) * self._per_click(
            amount, self.value[row], self.slope[row], self.ref[row])

    def gmv_per_draw(self, spend: np.ndarray) -> np.ndarray:
        """GMV (sku, draw) when draw d of each curve is run at its own spend (sku, draw)."""
        return hill(spend, self.c_max, self.half, self.shape) * self._per_click(spend, self.value, self.slope,
                                                                                 self.ref[:, None])

    def marginal_gmv(self, spend: np.ndarray) -> np.ndarray:
        """d GMV / d spend draws (sku, point, draw) at spends (sku, point)."""
        s = np.maximum(spend[:, :, None], 1e-9)
        k, h, b = self.shape[:, None, :], self.half[:, None, :], self.slope[:, None, :]
        uk = (s / h) ** k
        per_click = self._per_click(s, self.value[:, None, :], b, self.ref[:, None, None])
        # d/ds [clicks x value (s/ref)^-b] = value (s/ref)^-b (clicks' - b clicks / s)
        return self.c_max[:, None, :] * per_click * (k * uk / (s * (1.0 + uk) ** 2) - b * uk / ((1.0 + uk) * s))

    def platform_spend(self, budget: np.ndarray, target_roi: np.ndarray) -> np.ndarray:
        """Spend draws (sku, draw) the platform would choose under each SKU's budget and target ROI."""
        return platform_spend(self.c_max * self.value, self.half, self.shape,
                              np.asarray(target_roi, dtype=float)[:, None], np.asarray(budget, dtype=float)[:, None],
                              self.slope, self.ref[:, None])


def hill(spend: np.ndarray, c_max: np.ndarray, half: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Hill curve c_max * s^k / (s^k + h^k), zero at zero spend."""
    u = np.maximum(spend, 0.0) / half
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        uk = np.where(u > 0, u ** shape, 0.0)
        return np.where(np.isinf(uk), c_max, c_max * uk / (1.0 + uk))
