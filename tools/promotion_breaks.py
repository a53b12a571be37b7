"""How likely a campaign's ad orders per click broke lately, and when: a Bayesian change point per SKU.

A campaign whose ads stopped converting must not be valued on its old clicks, and a campaign that merely had a
poor week must not be valued on that week alone. A test that either believes a break or ignores it does one of
the two wrong in every shop: at a per-campaign 5% it cut about one good campaign in every shop of 40 to its
worst recent days (valued 15-60% low), and a Bonferroni over the shop's campaigns would need a young collapse
in a large shop to be far deeper than in a small one. So each SKU gets the probability that its level broke,
and the planner values it as that mixture (tools/promotion_click_value.py).

The model, for one SKU's daily orders o_t against the orders e_t its usual rate predicts (clicks, re-priced):
- no break: o_t ~ Poisson(lambda e_t), one lambda for the whole history;
- a break on day r: lambda before r and another from r on;
each rate with a Gamma(RATE_SHAPE, RATE_SHAPE) prior around the SKU's usual level (a break may halve or double
it), integrated out, so the Bayes factor carries its own penalty for the extra rate. Day-to-day variation
beyond Poisson (weekdays, bulk buyers) is paid for quasi-likelihood style, by counting o / phi orders against
e / phi. A break may start on any promoted day of the last SCANNED_DAYS that leaves enough days on both sides,
each with prior probability BREAK_HAZARD, the same for every SKU: how many other campaigns the shop runs does
not decide whether this one's collapse is believed, and a short history, with few days a break could have
started on, is not suspected of one as often as a long one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BREAK_HAZARD = 0.1 / 60  # chance, before the data, that a campaign's orders per click break on a given day
RATE_SHAPE = 2.0  # Gamma(2, 2) prior on a level relative to the usual one: sd 0.7, a break may halve or double it
SCANNED_DAYS = 60
MIN_DAYS_BEFORE, MIN_DAYS_AFTER = 5, 3  # promoted days a level needs on each side of a break to be told apart

_log_gamma = np.vectorize(math.lgamma, otypes=[float])


@dataclass(frozen=True)
class BreakPosterior:
    """What one SKU's days say about a recent break in its level."""

    probability: float  # that the level broke within the scanned days
    start: int | None  # the most probable first day at the new level (day index), None when none could be scanned
    ratio: float | None  # the level from `start` on / the level before it
    after: np.ndarray  # per day, the probability that it is at the new level if there was a break


def break_posterior(observed: np.ndarray, expected: np.ndarray, usable: np.ndarray,
                    dispersion: float | None = None) -> list[BreakPosterior]:
    """Per row (SKU), the posterior of a break in the level of observed / expected daily counts."""
    observed = np.where(usable, observed, 0.0)
    expected = np.where(usable, expected, 0.0)
    if dispersion is None:
        dispersion = pearson_dispersion(observed, expected, usable)
    n_rows, n_days = observed.shape
    count, exposure = observed / dispersion, expected / dispersion
    after_count = np.cumsum(count[:, ::-1], axis=1)[:, ::-1]  # from each day to the end
    after_exposure = np.cumsum(exposure[:, ::-1], axis=1)[:, ::-1]
    after_days = np.cumsum(usable[:, ::-1], axis=1)[:, ::-1]
    total_count, total_exposure, total_days = after_count[:, :1], after_exposure[:, :1], after_days[:, :1]
    before_count, before_exposure = total_count - after_count, total_exposure - after_exposure
    day = np.arange(n_days)[None, :]
    candidate = (usable & (day >= n_days - SCANNED_DAYS) & (after_days >= MIN_DAYS_AFTER)
                 & (total_days - after_days >= MIN_DAYS_BEFORE) & (after_exposure > 0) & (before_exposure > 0))
    log_factor = np.full((n_rows, n_days), -np.inf)
    if candidate.any():
        rows, days = np.nonzero(candidate)
        log_factor[rows, days] = (
            _log_marginal(before_count[rows, days], before_exposure[rows, days])
            + _log_marginal(after_count[rows, days], after_exposure[rows, days])
            - _log_marginal(total_count[rows, 0], total_exposure[rows, 0]))
    found = []
    for row in range(n_rows):
        scanned = int(candidate[row].sum())
        if not scanned:
            found.append(BreakPosterior(probability=0.0, start=None, ratio=None, after=np.zeros(n_days)))
            continue
        peak = float(log_factor[row].max())
        # posterior odds of a break: the prior of each scanned day times its Bayes factor, against no break
        log_sum = peak + math.log(float(np.exp(log_factor[row][candidate[row]] - peak).sum()))
        log_odds = math.log(BREAK_HAZARD / (1.0 - scanned * BREAK_HAZARD)) + log_sum
        start = int(log_factor[row].argmax())
        rate_after = after_count[row, start] / after_exposure[row, start]
        rate_before = before_count[row, start] / before_exposure[row, start]
        where = np.where(candidate[row], np.exp(log_factor[row] - peak), 0.0)
        found.append(BreakPosterior(probability=1.0 / (1.0 + math.exp(-log_odds)) if log_odds > -700 else 0.0,
                                    start=start, ratio=rate_after / max(rate_before, 1e-12),
                                    after=np.cumsum(where) / where.sum()))
    return found


def pearson_dispersion(observed: np.ndarray, expected: np.ndarray, usable: np.ndarray) -> float:
    """Variance over mean of counts around what was expected of them: the median over rows with enough expected
    counts to say (at least 30 over 10 days), never below 1 (Poisson)."""
    ratios = []
    for row in range(observed.shape[0]):
        days = usable[row] & (expected[row] > 0)
        if days.sum() >= 10 and expected[row, days].sum() >= 30:
            residual = (observed[row, days] - expected[row, days]) ** 2 / expected[row, days]
            ratios.append(float(residual.sum()) / (days.sum() - 1))
    return max(float(np.median(ratios)), 1.0) if ratios else 1.0


def _log_marginal(count: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """log of the Poisson likelihood of `count` events at `exposure`, its rate integrated over the Gamma prior
    (without the factor the models share, which cancels in a Bayes factor)."""
    shape = RATE_SHAPE
    return (shape * math.log(shape) - math.lgamma(shape) + _log_gamma(shape + count)
            - (shape + count) * np.log(shape + exposure))
