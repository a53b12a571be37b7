"""The merchant's reading of the platform: promotion targets the campaign can actually hold."""

import numpy as np

from .history import Shop
from .model import simulate
from .platform import click_share

MIN_TARGET = 1.5


def _segments(budget: np.ndarray, target: np.ndarray):
    """Runs of days with one unchanged, active setting: (first, last + 1)."""
    key = np.where(budget > 0, budget * 1000 + target, 0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], key, [0]])) != 0)
    for first, stop in zip(edges[:-1], edges[1:], strict=True):
        if key[first] > 0:
            yield int(first), int(stop)


def settle_promotion_targets(shop: Shop) -> None:
    """Lower targets (and if needed budgets) that the platform could not hold at a third of the budget.

    Merchants set targets from the ROI the campaign reports, so a setting is feasible at the time it is
    made; the platform's belief does not depend on the settings, so one expected run is enough.
    """
    cat, d = shop.catalog, shop.drivers
    belief = simulate(shop, d).latent.belief
    for s in np.flatnonzero((d.daily_budget > 0).any(axis=0)):
        for first, stop in _segments(d.daily_budget[:, s], d.target_roi[:, s]):
            value = (belief[first:stop, s] * d.paid_supply_slow[first:stop, s]).min() * cat.clicks_max[s]
            budget, target = d.daily_budget[first, s], d.target_roi[first, s]

            def holdable(b, value=value, scale=cat.spend_scale[s], shape=cat.spend_shape[s]):
                x = 0.35 * b
                return 0.95 * value * click_share(x, scale, shape, cat.click_form) / x

            for _ in range(6):
                if holdable(budget) >= MIN_TARGET or budget <= 30:
                    break
                budget = max(30.0, round(budget * 0.7, -1))
            ceiling = np.floor(holdable(budget) * 10) / 10
            d.daily_budget[first:stop, s] = budget
            # nobody runs a GMV campaign at a loss on purpose: lift low targets to MIN_TARGET when holdable
            d.target_roi[first:stop, s] = max(min(max(target, MIN_TARGET), ceiling), 0.5)
