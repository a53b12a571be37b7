"""After-sales rules shared by the expected model and the sampled ledger: refunds and reviews."""

import numpy as np

REASONS = ("size", "quality", "late_delivery", "changed_mind")
BAD_RATING_PMF = np.array([0.50, 0.30, 0.15, 0.05, 0.0])   # ratings 1..5 of an unhappy buyer
FESTIVAL_CHANGED_MIND = 1.8   # festival impulse buys come back more often
MAX_DELAY = 16


def _triangle(first: int, peak: int, last: int) -> np.ndarray:
    days = np.arange(MAX_DELAY, dtype=float)
    up = np.clip((days - first + 1) / (peak - first + 1), 0, 1)
    down = np.clip((last + 1 - days) / (last + 1 - peak), 0, 1)
    pmf = np.where((days >= first) & (days <= last), np.minimum(up, down), 0.0)
    return pmf / pmf.sum()


# days from purchase to refund, per reason; days from purchase to review
REFUND_DELAY = np.stack([_triangle(3, 6, 12), _triangle(2, 4, 10), _triangle(2, 3, 7), _triangle(1, 2, 7)])
REVIEW_DELAY = _triangle(3, 6, 15)
UNHAPPY_REVIEW_DELAY = _triangle(2, 3, 7)   # unhappy buyers complain quickly ...
UNHAPPY_REVIEW_LIFT = 1.6                   # ... and more often than happy ones review


def refund_rates(catalog, drivers) -> np.ndarray:
    """Probability that an order line is refunded, per day of purchase, SKU and reason (D x S x 4)."""
    D, S = drivers.price.shape
    rates = np.empty((D, S, 4))
    rates[:, :, 0] = catalog.refund_size[None, :]
    rates[:, :, 1] = drivers.quality_refund
    rates[:, :, 2] = catalog.refund_late[None, :]
    rates[:, :, 3] = catalog.refund_changed_mind[None, :] * drivers.changed_mind_boost[:, None]
    return rates


def good_mean(catalog) -> np.ndarray:
    """Mean rating of a happy buyer per SKU."""
    return catalog.good_rating_pmf @ np.arange(1.0, 6.0)


def expected_rating(catalog, bad_share: np.ndarray) -> np.ndarray:
    """Mean rating of reviews written about purchases with this share of unhappy buyers."""
    bad_mean = BAD_RATING_PMF @ np.arange(1.0, 6.0)
    unhappy = bad_share * UNHAPPY_REVIEW_LIFT
    return ((1 - bad_share) * good_mean(catalog) + unhappy * bad_mean) / (1 - bad_share + unhappy)
