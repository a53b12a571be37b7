"""Small, explicit statistics: ratio estimators with day-level standard errors, multiple-testing thresholds."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

FAMILY_ALPHA = 0.05


def critical_z(tests: int, alpha: float = FAMILY_ALPHA) -> float:
    """Two-sided z a finding must exceed so that `tests` looks at noise raise a false alarm with prob. <= alpha."""
    return NormalDist().inv_cdf(1 - alpha / (2 * max(tests, 1)))


def one_sided_critical_z(tests: int, alpha: float = FAMILY_ALPHA) -> float:
    """The z a change must pass when only one direction is ever reported (a drop tested as a drop, never a rise):
    noise can raise a false alarm on one side only, so each of the `tests` may spend alpha / tests there."""
    return NormalDist().inv_cdf(1 - alpha / max(tests, 1))


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


def poisson_upper_tail(observed: float, expected: float, dispersion: float = 1.0) -> float:
    """P(X >= observed) for a count with this mean, on the quasi-Poisson scale (counts / dispersion).

    Exact summation rather than a normal approximation, which is far too confident for the small counts
    (a handful of refunds) a single SKU produces in two weeks.
    """
    scale = max(dispersion, 1.0)
    k = math.floor(observed / scale)
    mean = expected / scale
    if k <= 0:
        return 1.0
    term = math.exp(-mean)
    below = term
    for count in range(1, k):
        term *= mean / count
        below += term
    return max(1.0 - below, 0.0) if below < 1 - 1e-12 else _tail_by_terms(k, mean)


def _tail_by_terms(k: int, mean: float) -> float:
    """The upper tail summed directly, for tails too small for 1 - (lower sum) to resolve."""
    term = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)) if mean > 0 else 0.0
    total, count = 0.0, k
    while term > 1e-300 and count < k + 1000:
        total += term
        count += 1
        term *= mean / count
    return total


def count_dispersion(daily_counts: np.ndarray, *, min_mean: float = 0.3) -> float:
    """How much more daily counts vary than Poisson counts would (bad batches, bulk buyers, weekday swings):
    the median variance/mean over the rows (SKUs) with regular counts, never below 1."""
    daily_counts = np.asarray(daily_counts, dtype=float)
    if daily_counts.ndim != 2 or daily_counts.shape[1] < 7:
        return 1.0
    means = daily_counts.mean(axis=1)
    regular = means >= min_mean
    if not regular.any():
        return 1.0
    ratios = daily_counts[regular].var(axis=1, ddof=1) / means[regular]
    return max(float(np.median(ratios)), 1.0)


def benjamini_hochberg(p_values: list[float], q: float = FAMILY_ALPHA) -> float:
    """The largest p-value Benjamini and Hochberg's step-up procedure rejects at false-discovery rate `q`
    (0.0 when it rejects nothing): sort the m p-values, find the largest k with p_(k) <= k q / m.

    When nothing is really there (a quiet shop), every rejection is a false one, so the procedure's chance of
    any alarm is at most q, as Bonferroni's; when several causes are real, each one found lowers the bar the
    next must clear less than Bonferroni's m-fold price, so weak real causes beside strong ones are not lost.
    Valid for independent or positively dependent tests (Benjamini and Yekutieli 2001)."""
    ordered = sorted(p_values)
    m = len(ordered)
    passed = [p for k, p in enumerate(ordered, start=1) if p <= k * q / m]
    return passed[-1] if passed else 0.0


def nested_scan_critical_z(lengths: list[int] | np.ndarray, tests: int, alpha: float = FAMILY_ALPHA) -> float:
    """The z the largest of a scan's window z-scores must pass, when its windows are nested (every window runs
    to the same last day, one per start day: `lengths` days long), so that `tests` such scans under no change
    raise a false alarm with prob. <= alpha.

    Nested windows share most of their days (a 10-day and an 11-day window ending together correlate at
    sqrt(10/11)), so Bonferroni over the start days pays for far more looks than the scan takes. The chance is
    bounded instead by Hunter's chain inequality, P(any window > z) <= P(first > z) + the sum over neighbouring
    windows of P(this > z, the previous <= z), with each pair's correlation that of means over independent
    days, sqrt(shorter / longer). Days that run in streaks correlate nested windows more, which only tightens
    the true chance under this bound."""
    ordered = np.sort(np.asarray(lengths, dtype=float))[::-1]
    if ordered.size <= 1:
        return one_sided_critical_z(tests, alpha)
    rho = np.sqrt(ordered[1:] / ordered[:-1])
    target = alpha / max(tests, 1)
    upper = NormalDist().inv_cdf(1 - target / ordered.size)  # Bonferroni over the windows: never stricter
    lower = NormalDist().inv_cdf(1 - target)  # one window alone: never looser
    normal_cdf = np.frompyfunc(lambda value: 0.5 * math.erfc(-value / math.sqrt(2)), 1, 1)

    def chance(z: float) -> float:
        # P(this > z, previous <= z) = integral over this = x > z of phi(x) P(previous <= z | x)
        x = z + np.linspace(0.0, 8.0, 161)
        density = np.exp(-x**2 / 2) / math.sqrt(2 * math.pi)
        below = normal_cdf((z - rho[:, None] * x[None, :]) / np.sqrt(1 - rho[:, None] ** 2)).astype(float)
        pairs = np.trapezoid(density[None, :] * below, x, axis=1)
        return 0.5 * math.erfc(z / math.sqrt(2)) + float(pairs.sum())

    for _ in range(30):  # bisection: the chance falls as z grows
        middle = (lower + upper) / 2
        lower, upper = (middle, upper) if chance(middle) > target else (lower, middle)
    return upper
