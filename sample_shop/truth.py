"""Loading the hidden truth and asking it counterfactual questions with expected (noise-free) values."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path

import numpy as np

from .models import CHANNELS, ShopTruth, TruthEvent
from .world import PROMOTION, World, hill_clicks, paid_value_factor, platform_spend

__all__ = ["ShopTruth", "TrueModel", "TruthEvent", "load_truth"]


def load_truth(path: Path | str) -> ShopTruth:
    """Read a truth JSON file written by generate_shop."""
    return ShopTruth.model_validate_json(Path(path).read_text(encoding="utf-8"))


class TrueModel:
    """The true demand model of a simulated shop.

    Defaults reproduce what happened on a day apart from noise: the shown price, the platform's expected
    promotion spend under its rule, every planted event. `without` removes planted events by event_id.
    """

    def __init__(self, truth: ShopTruth, *, without: Collection[str] = ()) -> None:
        known = {e.event_id for e in truth.events}
        unknown = sorted(set(without) - known)
        if unknown:
            raise ValueError(f"unknown event ids {unknown}; this truth has {sorted(known)}")
        self.truth = truth
        self.world = World(truth, without=without)

    def _sku(self, sku_id: str) -> int:
        try:
            return self.world.index[sku_id]
        except KeyError:
            raise ValueError(f"{sku_id!r} is not a SKU of this shop") from None

    def in_stock(self, sku_id: str, day: date) -> bool:
        """Whether the SKU could be bought on `day` as it happened."""
        return bool(self.world.in_stock[self._sku(sku_id), self.truth.day_index(day)])

    def price(self, sku_id: str, day: date) -> float:
        """The price shown on `day`."""
        return float(self.world.price[self._sku(sku_id), self.truth.day_index(day)])

    def conversion(self, sku_id: str, day: date, price: float | None = None) -> dict[str, float]:
        """True conversion rate by channel on `day` at `price` (default: the shown price)."""
        i, t = self._sku(sku_id), self.truth.day_index(day)
        return dict(zip(CHANNELS, self._conversion(i, t, price).tolist(), strict=True))

    def _conversion(self, i: int, t: int, price: float | None) -> np.ndarray:
        w = self.world
        p = w.price[i, t] if price is None else float(price)
        raw = (w.cr0[i] * (p / w.ref_price[i]) ** w.elasticity[i] * w.comp_ratio[i, t] ** w.cross[i]
               * w.parity_term(np.float64(p), i, t) * w.conv_mult[i, t])
        return np.minimum(raw, self.truth.conversion_cap)

    def _clicks(self, i: int, t: int, spend: float) -> float:
        w = self.world
        if self.truth.skus[i].promo is None:
            return 0.0
        c_max = w.c_max[i] * w.collapse[i, t]
        return float(hill_clicks(np.array(spend), c_max, w.half[i], w.shape[i]))

    def expected_units(
        self,
        sku_id: str,
        day: date,
        price: float | None = None,
        promo_spend: float | None = None,
        in_stock: bool = True,
    ) -> float:
        """Expected units sold on `day`, all channels.

        price defaults to the shown price, promo_spend to the platform's expected spend that day (its
        rule, without the daily noise); in_stock=True asks what would sell if the item were in stock.
        """
        i, t = self._sku(sku_id), self.truth.day_index(day)
        w = self.world
        if not in_stock or not w.on_sale[i, t]:
            return 0.0
        cr = self._conversion(i, t, price)
        organic = float((w.visit[i, t] * cr).sum() - w.visit[i, t, PROMOTION] * cr[PROMOTION])
        spend = float(w.spend[i, t]) if promo_spend is None else float(promo_spend)
        paid = self._clicks(i, t, spend) * float(cr[PROMOTION]) * self._value_factor(i, spend)
        return self.truth.mean_quantity * (organic + paid)

    def expected_gmv(
        self,
        sku_id: str,
        day: date,
        price: float | None = None,
        promo_spend: float | None = None,
        in_stock: bool = True,
    ) -> float:
        """Expected paid GMV in yuan on `day` (same arguments as expected_units)."""
        p = self.price(sku_id, day) if price is None else float(price)
        units = self.expected_units(sku_id, day, price=price, promo_spend=promo_spend, in_stock=in_stock)
        return units * p * self.truth.paid_price_factor

    def _promo_day(self, sku_id: str, day: date | None) -> tuple[int, int]:
        i = self._sku(sku_id)
        if self.truth.skus[i].promo is None:
            raise ValueError(f"{sku_id} has no full-site promotion curve; choose a SKU with a plan")
        return i, self.truth.day_index(day or self.truth.end)

    def _value_per_click(self, i: int, t: int, price: float | None) -> float:
        p = float(self.world.price[i, t]) if price is None else float(price)
        cr = float(self._conversion(i, t, p)[PROMOTION])
        return cr * p * self.truth.mean_quantity * self.truth.paid_price_factor

    def _value_factor(self, i: int, spend: float) -> float:
        """GMV per paid click at this spend relative to its value at the curve's reference spend."""
        return float(paid_value_factor(np.array(spend), self.world.value_slope[i], self.world.value_ref[i]))

    def promo_gmv(self, sku_id: str, spend: float, price: float | None = None, day: date | None = None) -> float:
        """Expected GMV attributed to full-site promotion at a daily spend (day defaults to the last day)."""
        i, t = self._promo_day(sku_id, day)
        return self._clicks(i, t, spend) * self._value_per_click(i, t, price) * self._value_factor(i, spend)

    def promo_spend_for_target(
        self,
        sku_id: str,
        target_roi: float,
        budget: float,
        day: date | None = None,
        price: float | None = None,
    ) -> float:
        """What the platform would spend: the most that holds target_roi, capped by budget.

        When no spend can reach the target it explores with 5% of the budget. Uses the curve as it is on
        `day` (after a planted collapse, the collapsed one: a new setting makes the platform re-learn).
        """
        i, t = self._promo_day(sku_id, day)
        w = self.world
        value = np.array(self._value_per_click(i, t, price))
        c_max = np.array(w.c_max[i] * w.collapse[i, t])
        spend = platform_spend(
            value,
            c_max,
            np.array(w.half[i]),
            np.array(w.shape[i]),
            np.array(float(target_roi)),
            np.array(float(budget)),
            w.value_slope[i],
            w.value_ref[i],
        )
        return float(spend)
