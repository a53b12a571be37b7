"""The simulator's true counterfactual for price findings it did not plant.

This repository's simulator moves every tracked rival's price on a mean-reverting walk and our own prices
with promotions; both move demand. A finding about such a move is not planted, but it may be real. The
benches ask the simulator what the move truly cost over the period: the expected GMV as simulated minus the
same with the SKU's price (or its rival's) held at the comparison period's median on the days it moved past
it, the way the detector values it. A finding the simulator confirms (same sign, at least half the size) is a
real cause, counted apart from false alarms.
"""

from __future__ import annotations

import numpy as np

from shopagent.sample_shop.world import World

# a finding is confirmed when the true impact has its sign and at least this share of its size
CONFIRMED_SHARE = 0.5


class _RepricedWorld(World):
    """The simulator's world, able to take other price paths and recompute demand and the promotion."""

    def _apply_events(self, removed: set[str]) -> np.ndarray:
        self.stuck = super()._apply_events(removed)
        return self.stuck

    def reprice(self) -> None:
        # the threshold mechanism's kink sits at the rival's price in yuan, which the world derives from
        # comp_ratio once when built: a rival put back up must move it too, or its kink's loss stays in
        self.rival = self.comp_ratio * self.comp_ref[:, None]
        self.cr = self.conversion(self.price)
        self._build_promotion(self.stuck)


class UnplantedTruth:
    """True impacts of unplanted price_increase and price_above_competitor findings on one simulated shop."""

    KINDS = ("price_increase", "price_above_competitor")

    def __init__(self, truth) -> None:  # noqa: ANN001 - the simulator's ShopTruth
        self.truth = truth
        self.window = slice(truth.day_index(truth.window_start), truth.day_index(truth.window_end) + 1)
        self.compare = slice(truth.day_index(truth.compare_start), self.window.start)
        self.factual = World(truth).expected_gmv()

    def impact(self, kind: str, sku_id: str | None) -> float | None:
        """The GMV the move truly cost over the period (negative), or None where the simulator cannot say."""
        if kind not in self.KINDS or sku_id is None:
            return None
        world = _RepricedWorld(self.truth)
        row = world.index[sku_id]
        path = world.price if kind == "price_increase" else world.comp_ratio
        reference = float(np.median(path[row, self.compare]))
        moved = path[row, self.window]
        # our price back down to where it was; the rival's back up to where it was
        path[row, self.window] = np.minimum(moved, reference) if kind == "price_increase" else \
            np.maximum(moved, reference)
        world.reprice()
        counterfactual = world.expected_gmv()
        return float(self.factual[row, self.window].sum() - counterfactual[row, self.window].sum())

    def confirms(self, kind: str, sku_id: str | None, estimate: float) -> bool:
        true = self.impact(kind, sku_id)
        return true is not None and true * estimate > 0 and abs(true) >= CONFIRMED_SHARE * abs(estimate)
