"""Small, explicit statistics: ratio estimators with day-level standard errors, multiple-testing thresholds."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

FAMILY_ALPHA = 0.05


def critical_z(tests: int, alpha: float = FAMILY_ALPHA) -> float:
    """Two-sided z a finding must exceed so that `tests` looks at noise raise a false alarm with prob. <= alpha."""
    return NormalDist().inv_cdf(1 - alpha / (2 * max(tests, 1)))


def log_ratio_se(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """SE of log(sum(numerator) / sum(denominator)) from day-to-day variation (linearised ratio estimator).

    Using days as the unit keeps over-dispersion (weekday swings, bursts) in the error instead of
    pretending every visitor is an independent coin flip.
    """
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    days = len(numerator)
    total_num, total_den = numerator.sum(), denominator.sum()
    if days < 2 or total_num <= 0 or total_den <= 0:
        return math.inf
    ratio = total_num / total_den
    residual = numerator - ratio * denominator
    variance = days / (days - 1) * float(np.sum(residual**2)) / total_den**2
    return math.sqrt(variance) / ratio


def log_sum_se(counts: np.ndarray) -> float:
    """SE of log(sum(counts)) for a daily count series: the larger of Poisson and day-to-day variation."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    if total <= 0 or len(counts) < 2:
        return math.inf
    dispersion = len(counts) * float(np.var(counts, ddof=1))
    return math.sqrt(max(dispersion, total)) / total


def poisson_zero_probability(expected: float) -> float:
    """P(no sales at all) when `expected` units were due: how surprising an empty shelf's zero is."""
    return math.exp(-expected)
