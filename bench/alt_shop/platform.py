"""Full-site promotion (全站推广) mechanics: the spend -> paid clicks curve and the platform's pacing rule.

Paid clicks follow a Weibull-CDF saturation in spend, clicks = clicks_max * (1 - exp(-(spend/scale)^shape)):
shape < 1 is concave from the first yuan, shape > 1 has a slow start (the auction needs a minimum bid
before it wins impressions). "ladder" shops (the cpc ad mechanism) instead climb a bid ladder: every extra
yuan buys clicks at a price that rises linearly with the day's spend, cost per click = (scale / clicks_max)
x (1 + spend / scale), so clicks = clicks_max * x / (1 + x) with x = spend / scale.
The platform predicts GMV with its own belief of the value of a paid click,
spends the whole daily budget when the predicted ROI at the budget holds the target, and otherwise the
largest spend that still holds it; when no spend can hold the target it only keeps a token presence.
"""

import numpy as np

VISIT_RATE = 0.93    # share of paid clicks that become unique item-page visitors
TOKEN_SHARE = 0.04   # spend, as share of the budget, when the target cannot be held at any spend
_BISECTIONS = 40


CLICK_FORMS = ("weibull", "ladder")


def click_share(spend, scale, shape, form: str = "weibull"):
    """Share of clicks_max bought with this daily spend."""
    x = np.maximum(np.asarray(spend, float), 0.0) / scale
    if form == "ladder":
        return x / (1.0 + x)
    return 1.0 - np.exp(-(x ** shape))


def peak_roi_point(shape: np.ndarray, form: str = "weibull") -> np.ndarray:
    """spend/scale at which click_share(spend)/spend is highest (tiny when shape <= 1 or on the ladder)."""
    grid = np.logspace(-4, 1, 4000)
    if form == "ladder":
        return np.full(np.shape(np.atleast_1d(shape)), grid[0])
    shapes = np.atleast_1d(shape)
    ratio = (1.0 - np.exp(-(grid[None, :] ** shapes[:, None]))) / grid[None, :]
    return grid[np.argmax(ratio, axis=1)]


def platform_spend(full_value, scale, shape, peak, budget, target_roi, form: str = "weibull"):
    """Daily spend the platform makes for each SKU.

    full_value is the platform's predicted GMV per day at saturating spend (clicks_max x value per click).
    """
    full_value, scale, shape, peak, budget, target_roi = (np.atleast_1d(a).astype(float) for a in np.broadcast_arrays(
        *(np.asarray(a, float) for a in (full_value, scale, shape, peak, budget, target_roi))))
    spend = np.zeros(budget.shape)
    on = (budget > 0) & (full_value > 0)
    if not on.any():
        return spend

    def roi(s, idx):
        return full_value[idx] * click_share(s, scale[idx], shape[idx], form) / s

    idx = np.flatnonzero(on)
    holds = roi(budget[idx], idx) >= target_roi[idx]
    spend[idx[holds]] = budget[idx[holds]]
    idx = idx[~holds]
    if idx.size == 0:
        return spend
    lo = np.minimum(np.maximum(peak[idx] * scale[idx], 1e-6), budget[idx])
    feasible = roi(lo, idx) >= target_roi[idx]
    spend[idx[~feasible]] = TOKEN_SHARE * budget[idx[~feasible]]
    idx, lo = idx[feasible], lo[feasible]
    if idx.size == 0:
        return spend
    # predicted ROI falls with spend beyond its peak: bisect in log spend for ROI == target
    log_lo, log_hi = np.log(lo), np.log(budget[idx])
    for _ in range(_BISECTIONS):
        mid = 0.5 * (log_lo + log_hi)
        above = roi(np.exp(mid), idx) >= target_roi[idx]
        log_lo = np.where(above, mid, log_lo)
        log_hi = np.where(above, log_hi, mid)
    spend[idx] = np.exp(log_lo)
    return spend


def useful_spend_limit(scale, shape, form: str = "weibull") -> np.ndarray:
    """Spend beyond which clicks are within 0.5% of saturation (on the ladder: 5%, where a click costs 20 times
    the first one and no target ROI is held)."""
    if form == "ladder":
        return scale * 19.0 * np.ones(np.shape(shape))
    return scale * np.log(200.0) ** (1.0 / np.asarray(shape, float))
