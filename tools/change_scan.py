"""A change-point scan for a count rate that fell, with its threshold calibrated by simulation.

Scanning every candidate start day and keeping the most extreme one is a search: its smallest p-value is far
smaller than one test's would be under no change. Bonferroni over the candidate days pays for that search as
if the days were unrelated, but neighbouring splits share almost all their data, so it is several times too
strict. Here the scan's own null distribution is simulated instead: given the total count, under no change
each event falls on a day in proportion to that day's exposure (the conditional multinomial of a Poisson
process), and the observed extreme is ranked among the simulated ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

DRAWS = 4000  # simulated scans: enough to place a p-value near 1e-3 within about +-15%
MAX_DRAWS = 400_000  # when no draw is as extreme as the data, keep drawing up to this many
CHUNK = 50_000
SETTLE_CHUNK = 500  # draws at a time when the caller needs only the decision (row by row the same draws)


@dataclass(frozen=True)
class RateFall:
    p_value: float  # chance of a fall at least this extreme somewhere in the scanned days with no change at all
    split: int  # index of the first day at the lower rate (the best-supported start)
    statistic: float  # signed root likelihood ratio at that split; negative = the rate fell


def scan_rate_fall(counts: np.ndarray, exposure: np.ndarray, first_split: int, *, min_after: int = 3,
                   dispersion: float = 1.0, spread: float = 0.0, seed: int = 0, draws: int = DRAWS,
                   simulate_below: float = 1.0, settle_only: bool = False) -> RateFall | None:
    """Did the rate counts / exposure fall from some day at or after `first_split` to the end?

    `counts` and `exposure` cover the baseline days then the scanned days; each candidate split compares the
    days from it to the end with every day before it. `dispersion` (variance / mean of the counts, >= 1)
    widens the statistic quasi-likelihood style. `spread` is the rate's own wander between two stretches of days
    beyond the counts' noise (the sd of a log rate ratio however many events were counted: a campaign's reach
    drifts with its season); it widens each split by what it adds to that split's variance, so a 10% dip on a
    campaign of thousands of clicks is not read as certain. None when there is nothing to scan.
    The simulation runs only when the best single split's own p-value is below `simulate_below`; otherwise that
    p-value, a lower bound of the scan's, is returned (a caller testing at level alpha loses nothing). When
    Bonferroni over the splits, an upper bound, is below a tenth of `simulate_below`, that bound is returned.
    `settle_only`: the caller needs only whether the p-value is below `simulate_below`, so the simulation stops as
    soon as its draws so far put the p-value above it (the same draws in chunks: the decision is the one all the
    draws would give), and the p-value returned then is a lower bound of theirs, still above `simulate_below`.
    """
    counts, exposure = np.asarray(counts, dtype=float), np.asarray(exposure, dtype=float)
    splits = np.arange(max(first_split, 1), len(counts) - min_after + 1)
    total = int(round(counts.sum()))
    if not splits.size or total <= 0 or exposure.sum() <= 0:
        return None
    exposure_before = np.cumsum(exposure)[splits - 1]
    share_after = 1.0 - exposure_before / exposure.sum()  # of the exposure, on the days from each split on
    valid = (share_after > 0) & (share_after < 1)
    if not valid.any():
        return None
    splits, share_after = splits[valid], share_after[valid]

    def signed_roots(sample: np.ndarray, scale: float) -> np.ndarray:
        after = total - np.cumsum(sample, axis=-1)[..., splits - 1]
        share = after / total
        with np.errstate(divide="ignore", invalid="ignore"):
            # binomial log likelihood ratio of the observed share against the exposure's share; 0 log 0 = 0
            log_ratio = total * (np.where(share > 0, share * np.log(share / share_after), 0.0)
                                 + np.where(share < 1, (1 - share) * np.log((1 - share) / (1 - share_after)), 0.0))
        root = np.sqrt(np.maximum(2 * log_ratio / scale, 0.0))
        return np.where(share < share_after, -root, root)

    # the data's statistic is shrunk by its overdispersion and, split by split, by the wander of the rate itself
    # (a log ratio's variance is scale / (total share (1 - share)) in counts; spread^2 adds to it whatever the
    # total); the simulated (Poisson) ones need no such care
    observed = signed_roots(counts, max(dispersion, 1.0) + spread**2 * total * share_after * (1 - share_after))
    best = int(np.argmin(observed))
    single = NormalDist().cdf(float(observed[best]))
    if single >= simulate_below:
        return RateFall(p_value=single, split=int(splits[best]), statistic=float(observed[best]))
    # Bonferroni over the splits bounds the scan's p-value from above; when even that bound is far below the
    # caller's level (a tenth of it: room for the normal approximation of small counts) the fall is plain and
    # the simulation, which would need tens of thousands of draws to say so, is skipped
    bound = single * splits.size
    if bound <= simulate_below / 10:
        return RateFall(p_value=bound, split=int(splits[best]), statistic=float(observed[best]))
    rng = np.random.default_rng(seed)
    shares = exposure / exposure.sum()
    # more draws while none is as extreme as the data, up to what the caller's level needs: with no exceedance
    # in N draws the p-value is 1 / (N + 1), which must be able to fall well below `simulate_below`
    enough = min(max(draws, int(20 / simulate_below) if simulate_below < 1 else draws), MAX_DRAWS)
    exceed, done = 0, 0
    # this many exceedances in `draws` put the p-value above `simulate_below` whatever the rest of them do
    settled = simulate_below * (draws + 1) - 1 if settle_only else np.inf
    while done < draws or (exceed == 0 and done < enough):
        if done < draws:
            size = min(SETTLE_CHUNK, draws - done) if settle_only else draws
        else:
            size = min(CHUNK, enough - done)
        simulated = signed_roots(rng.multinomial(total, shares, size=size), 1.0).min(axis=1)
        exceed += int((simulated <= observed[best]).sum())
        done += size
        if exceed > settled:
            return RateFall(p_value=(1 + exceed) / (draws + 1), split=int(splits[best]),
                            statistic=float(observed[best]))
    p_value = (1 + exceed) / (done + 1)
    return RateFall(p_value=p_value, split=int(splits[best]), statistic=float(observed[best]))
