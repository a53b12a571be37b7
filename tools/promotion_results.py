"""What a full-site promotion plan brings: its outcome in every posterior draw, and the models the merchant reads.

The plan's budgets and target ROIs run through the platform's rule in every draw of the curves (`PlanOutcome`);
the means and quantiles over those draws become the per-SKU `Allocation`s, the `Expected` totals per day and the
budget -> GMV `CurvePoint`s of a `PromotionPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

INTERVAL = (0.1, 0.9)


class Allocation(BaseModel):
    """One SKU's share of the budget, what it is expected to bring, and why."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    title: str
    category: str
    daily_budget: float
    expected_spend: float
    expected_gmv: float
    gmv_low: float  # 80% interval of the SKU's attributed GMV per day
    gmv_high: float
    expected_roi: float | None
    target_roi: float | None  # suggested target ROI to set for this SKU in the platform
    marginal_roi: float | None  # GMV the last yuan it is expected to spend buys
    current_spend: float | None
    current_target_roi: float | None
    break_even_roi: float | None
    eligible: bool
    reason: str  # the whole explanation, in the plan's language
    has_history: bool = True  # False: never promoted, so there is no curve to plan it with
    notes: list[str] = []  # the caveats of `reason` beyond why it got this budget (stock, refunds, extrapolation)


class Expected(BaseModel):
    """Plan totals per day."""

    model_config = ConfigDict(frozen=True)

    spend: float
    gmv: float
    roi: float
    gmv_low: float
    gmv_high: float
    roi_low: float  # the blended ROI is at least this with the plan's confidence


class CurvePoint(BaseModel):
    """The shop's budget -> GMV curve at the plan's target ROI: the best plan at each budget."""

    model_config = ConfigDict(frozen=True)

    budget: float
    spend: float
    gmv: float
    roi: float


class PromotionPlan(BaseModel):
    """Per-SKU daily budgets and target ROIs for 全站推广, with the expected outcome and the budget curve."""

    model_config = ConfigDict(frozen=True)

    budget: float
    target_roi: float
    as_of: date
    horizon_days: int
    allocations: list[Allocation]
    expected: Expected
    unspent_budget: float
    unspent_reason: str | None
    limited_by: Literal["budget", "target_roi", "curves", "nothing_to_fund"]  # what stopped more spending
    break_even_roi: float | None
    warnings: list[str]
    next_1000: float  # extra expected GMV per day if the budget were ¥1,000 higher
    shop_curve: list[CurvePoint]
    # "todays_mix": the plan could not beat today's spend mix scaled to the budget at the stated confidence, so it
    # proposes that mix; fallback_reason says why in the plan's language
    fallback: Literal["todays_mix"] | None = None
    fallback_reason: str | None = None
    method: dict[str, str | int | float | dict[str, float | int | str]]


@dataclass
class PlanOutcome:
    """The budgets and target ROIs to set, and what the platform spends and brings with them in every draw."""

    budget: np.ndarray  # (sku,) daily budgets to set
    target: np.ndarray  # (sku,) target ROIs to set
    spend: np.ndarray  # (sku, draw) what the platform spends in each posterior draw
    gmv: np.ndarray  # (sku, draw)

    def roi_low(self, z: float) -> float:
        """The blended ROI's lower bound: a sum over many SKUs' independent errors is close to normal, and the
        normal quantile is steadier than the 2nd-lowest of 200 draws."""
        spend, gmv = self.spend.sum(axis=0), self.gmv.sum(axis=0)
        if spend.mean() <= 0:
            return float("inf")
        roi = gmv / np.maximum(spend, 1e-9)
        return float(roi.mean() - z * roi.std())

    def beats(self, other: PlanOutcome, z: float) -> bool:
        """More GMV than `other` at the confidence of normal quantile z, over the same posterior draws (the two
        share every curve's errors, so the difference is much surer than either total)."""
        gain = self.gmv.sum(axis=0) - other.gmv.sum(axis=0)
        return float(gain.mean() - z * gain.std()) > 0.0

    def totals(self, z: float) -> Expected:
        spend, gmv = self.spend.sum(axis=0), self.gmv.sum(axis=0)
        mean_spend, mean_gmv = float(spend.mean()), float(gmv.mean())
        return Expected(spend=round(mean_spend, 2), gmv=round(mean_gmv, 2),
                        roi=round(mean_gmv / mean_spend, 2) if mean_spend > 0 else 0.0,
                        gmv_low=round(float(np.quantile(gmv, INTERVAL[0])), 2),
                        gmv_high=round(float(np.quantile(gmv, INTERVAL[1])), 2),
                        roi_low=round(self.roi_low(z), 2) if mean_spend > 0 else 0.0)

    def point(self, budget: float) -> CurvePoint:
        spend, gmv = float(self.spend.sum(axis=0).mean()), float(self.gmv.sum(axis=0).mean())
        return CurvePoint(budget=round(budget, 2), spend=round(spend, 2), gmv=round(gmv, 2),
                          roi=round(gmv / spend, 2) if spend > 0 else 0.0)
