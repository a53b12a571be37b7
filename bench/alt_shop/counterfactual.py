"""True what-if answers for a generated shop: rebuild its world from the seed and re-run the expected model.

A price change from a given day on is applied to the daily drivers and the whole shop is simulated again
as expected values, so the answer carries every mechanic the model has: the logit against the rival (and
its kink at parity in threshold shops), recommendation traffic following sales, the platform's value per
click and pacing, and stock. Only shops generated without planted causes can be rebuilt exactly (planted
stockouts are moved after a sampled run).
"""

from datetime import date

import numpy as np

from .generation import build_world
from .model import simulate
from .truth import AltTruth


class Counterfactual:
    """The expected run of a shop and of edited versions of it."""

    def __init__(self, truth: AltTruth):
        data = truth.data
        if data["events_mode"] != "none":
            raise ValueError("only shops generated with events='none' can be rebuilt exactly")
        mechanisms = {key: data["mechanisms"][key] for key in ("ad", "rival_price")}
        self.shop, _, _, _, _, _ = build_world(data["seed"], data["n_skus"], data["n_days"], "none", mechanisms)
        self.index = {sku: i for i, sku in enumerate(self.shop.catalog.sku_ids)}
        self.base = simulate(self.shop, self.shop.drivers)

    def day(self, when: date) -> int:
        """Day index of a date in the history."""
        return self.shop.dates.index(when)

    def gmv(self, sku_id: str, first: date, days: int) -> float:
        """Expected GMV per day of one SKU over `days` days from `first`, as generated."""
        t = self.day(first)
        return float(self.base.gmv[t:t + days, self.index[sku_id]].sum() / days)

    def price_change_gmv_delta(self, factors: dict[str, float], first: date, days: int) -> float:
        """Shop GMV per day over `days` days from `first` with these SKUs' prices multiplied by their factors
        from `first` on, minus the GMV as generated."""
        drivers = self.shop.drivers.copy()
        t = self.day(first)
        for sku_id, factor in factors.items():
            s = self.index[sku_id]
            drivers.price[t:, s] = np.round(drivers.price[t:, s] * factor, 2)
            drivers.regular_price[t:, s] = np.round(drivers.regular_price[t:, s] * factor, 2)
        edited = simulate(self.shop, drivers)
        return float((edited.gmv[t:t + days].sum() - self.base.gmv[t:t + days].sum()) / days)

    def budget_change_gmv_delta(self, factor: float, first: date, days: int) -> float:
        """Shop GMV per day over `days` days from `first` with every daily promotion budget multiplied by
        factor from `first` on (the platform's pacing and targets as they were), minus the GMV as generated."""
        drivers = self.shop.drivers.copy()
        t = self.day(first)
        drivers.daily_budget[t:] *= factor
        edited = simulate(self.shop, drivers)
        return float((edited.gmv[t:t + days].sum() - self.base.gmv[t:t + days].sum()) / days)
