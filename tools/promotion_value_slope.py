"""How a SKU's GMV per paid click bends with its daily spend: the second factor of a response curve.

GMV(spend) = clicks(spend) x GMV per click(spend), and either factor may saturate: the platform can buy clicks
at a steady price whose marginal shoppers have less intent (GMV per click falls), or charge more per click as
spend rises (clicks saturate), or both. GMV per click is taken to scale as (spend / ref)^-slope. Each SKU's slope
is the quasi-Poisson estimate from its own promoted days (attributed GMV, re-priced to today as the value per
click is, against clicks x value x (spend / ref)^-slope, the value profiled out), shrunk toward the shop's by
empirical Bayes (Paule-Mandel spread), so a SKU whose spend barely moved borrows the shop's slope and one whose
spend moved a lot speaks for itself. Nothing assumes which factor saturates: the data set the slope, and a
shop whose clicks alone saturate gets a slope near 0.
"""

from __future__ import annotations

import numpy as np

from shopagent.tools.promotion_click_value import between_sku_spread
from shopagent.tools.promotion_history import CURVE_HALF_LIFE, PromotedDays, recency

NEWTON_STEPS = 4
SLOPE_RANGE = (0.0, 0.9)  # GMV per click never rises with spend; below 0.9, GMV still grows with spend on a curve
MODEL_DAYS = 7.0  # the shop's dispersion weighs as much as a week of a SKU's own days


def value_slope(data: PromotedDays, repriced_gmv: np.ndarray,
                value_weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per fitted SKU: the slope of log GMV per click on log spend (posterior mean and sd, before clipping to
    SLOPE_RANGE), and the spend `ref` at which the value per click was estimated (the click-weighted geometric
    mean spend of the days it is the ratio over).

    repriced_gmv: (row, day) attributed GMV at today's prices and conversion level, and value_weight the days'
    weights in the value per click, both as `value_per_click` returns them.
    """
    use = data.usable & (data.clicks > 0)
    log_spend = np.log(np.where(use, data.spend, 1.0))
    value_weight = value_weight * use * data.clicks
    weight = recency(data.age, CURVE_HALF_LIFE) * use
    # a SKU without a value of its own (it leans on its prior) is referred to its recent spend
    value_weight = np.where(value_weight.sum(1, keepdims=True) > 0, value_weight, weight * data.clicks)
    ref = np.exp((value_weight * log_spend).sum(1) / np.maximum(value_weight.sum(1), 1e-12))
    x = np.where(use, log_spend - np.log(ref)[:, None], 0.0)
    y = np.where(use, repriced_gmv, 0.0)
    c = np.where(use, data.clicks, 0.0)
    slope = np.zeros(data.rows.size)
    for _ in range(NEWTON_STEPS):
        # the value profiled out at this slope, then a Newton step of the quasi-Poisson score in the slope
        shape = c * np.exp(-slope[:, None] * x)
        value = (weight * y).sum(1) / np.maximum((weight * shape).sum(1), 1e-12)
        mu = value[:, None] * shape
        wm = weight * mu
        total = np.maximum(wm.sum(1), 1e-12)
        mean_x = (wm * x).sum(1) / total
        information = (wm * (x - mean_x[:, None]) ** 2).sum(1)
        score = -(weight * (y - mu) * x).sum(1)
        slope = np.where(information > 1e-9, np.clip(slope + score / np.maximum(information, 1e-9), -2.0, 3.0), 0.0)
    shape = c * np.exp(-slope[:, None] * x)
    value = (weight * y).sum(1) / np.maximum((weight * shape).sum(1), 1e-12)
    mu = value[:, None] * shape
    wm = weight * mu
    mean_x = (wm * x).sum(1) / np.maximum(wm.sum(1), 1e-12)
    information = (wm * (x - mean_x[:, None]) ** 2).sum(1)
    # quasi-Poisson dispersion in yuan (a day's GMV is a sum of orders), the SKU's own moderated by the shop's
    pearson = (weight * (y - mu) ** 2 / np.maximum(mu, 1e-9)).sum(1)
    freedom = np.maximum(weight.sum(1) - 2.0, 0.0)
    fitted = (freedom > 0) & (value > 0)
    shop = float(pearson[fitted].sum() / freedom[fitted].sum()) if fitted.any() and freedom[fitted].sum() > 0 else 1.0
    dispersion = (pearson + MODEL_DAYS * shop) / (freedom + MODEL_DAYS)
    with np.errstate(divide="ignore"):
        se = np.where(information > 1e-9, np.sqrt(dispersion / np.maximum(information, 1e-12)), np.inf)
    known = np.isfinite(se) & fitted
    if known.sum() < 3:
        return np.zeros(data.rows.size), np.zeros(data.rows.size), ref
    centre, centre_se, spread = between_sku_spread(slope[known], se[known], floor=1e-4)
    own = np.where(known, 1.0 / np.where(known, se, 1.0) ** 2, 0.0)
    prior = 1.0 / spread
    mean = (own * np.where(known, slope, 0.0) + prior * centre) / (own + prior)
    variance = 1.0 / (own + prior) + (prior / (own + prior) * centre_se) ** 2
    return mean, np.sqrt(variance), ref
