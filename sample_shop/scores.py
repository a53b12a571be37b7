"""The platform's daily store experience score (店铺体验分) and its three parts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .events import EventPlan

WEIGHTS = {"product": 0.40, "logistics": 0.35, "service": 0.25}
MEANS = {"product": 4.78, "logistics": 4.74, "service": 4.80}


@dataclass
class ShopScores:
    """Daily scores on the platform's 0-5 scale, two decimals."""

    experience: np.ndarray
    product: np.ndarray
    logistics: np.ndarray
    service: np.ndarray


def _wander(rng: np.random.Generator, n_days: int, sd: float) -> np.ndarray:
    shocks = rng.normal(0.0, sd, n_days)
    out = np.zeros(n_days)
    level = 0.0
    for t in range(n_days):
        level = 0.8 * level + shocks[t]
        out[t] = level
    return out


def shop_scores(n_days: int, plan: EventPlan, rng: np.random.Generator) -> ShopScores:
    """Scores near 4.77 with small AR(1) noise; a planted logistics failure pulls experience down."""
    parts = {name: MEANS[name] + _wander(rng, n_days, 0.008) for name in WEIGHTS}
    for e in plan.of_kind("experience_score_drop"):
        # the experience score is a weighted mean, so logistics must fall by drop / its weight
        parts["logistics"][e.start : e.end + 1] -= e.magnitude["score_drop"] / WEIGHTS["logistics"]
    experience = sum(WEIGHTS[name] * parts[name] for name in WEIGHTS)
    clip = {name: np.round(np.clip(values, 0.0, 5.0), 2) for name, values in parts.items()}
    return ShopScores(
        experience=np.round(np.clip(experience, 0.0, 5.0), 2),
        product=clip["product"],
        logistics=clip["logistics"],
        service=clip["service"],
    )
