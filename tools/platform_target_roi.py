"""The platform's target-ROI spend rule: how much of a daily budget 全站推广 spends to hold a target 投产比.

The platform bids to keep attributed GMV / spend at or above the merchant's target ROI and spends the most that
does, up to the daily budget; when no spend reaches the target it only keeps testing with a sliver of the budget.
Planning a budget means predicting this rule, so the planner and the what-if simulator run every posterior draw
of a response curve through it rather than assuming the budget is spent.
"""

from __future__ import annotations

import numpy as np

EXPLORATION_SHARE = 0.05  # when no spend reaches the target ROI the platform keeps testing with ~5% of the budget


def platform_spend(height: np.ndarray, half: np.ndarray, shape: np.ndarray, target_roi: np.ndarray,
                   budget: np.ndarray, slope: np.ndarray | float = 0.0, ref: np.ndarray | float = 1.0) -> np.ndarray:
    """Spend a target-ROI bidder chooses: the most that keeps GMV / spend >= target, capped by the budget.

    height = c_max x GMV per click at spend `ref`, which scales as (spend / ref)^-slope. ROI(u) with u = spend /
    half is A u^(k-1) / (1 + u^k) x (u half / ref)^-b with A = height / half; it falls beyond its peak
    (u^k = (k-1-b) / (1+b), or 0 when k <= 1+b), so the answer is found by bisection on that falling branch.
    When even the peak misses the target the platform only explores.
    """
    height, half, shape, target_roi, budget, slope, ref = (np.array(x, dtype=float) for x in np.broadcast_arrays(
        height, half, shape, target_roi, budget, slope, ref))
    a = height / half
    rise = np.maximum(shape - 1.0 - slope, 1e-12) / (1.0 + slope)
    u_peak = np.where(shape > 1.0 + slope, rise ** (1.0 / np.maximum(shape, 1e-9)), 1e-9)

    def roi(u: np.ndarray, a: np.ndarray, shape: np.ndarray, slope: np.ndarray, scale: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return a * u ** (shape - 1.0) / (1.0 + u**shape) * (u * scale) ** -slope

    scale = half / ref
    feasible = (roi(u_peak, a, shape, slope, scale) >= target_roi) & (a > 0)
    u_budget = budget / half
    # the whole budget is spent when the target still holds there, or the budget stops short of the peak
    short = feasible & (u_budget > u_peak) & (roi(u_budget, a, shape, slope, scale) < target_roi)
    spend = np.where(feasible, budget, EXPLORATION_SHARE * budget)
    if short.any():
        parts = a[short], shape[short], slope[short], scale[short]
        t_s = target_roi[short]
        lo, hi = np.log(u_peak[short]), np.log(u_budget[short])
        for _ in range(40 if (slope > 0).any() else 32):
            mid = 0.5 * (lo + hi)
            ok = roi(np.exp(mid), *parts) >= t_s
            lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
        spend[short] = half[short] * np.exp(lo)
    return spend
