"""The hidden truth of a generated shop: planted causes and the platform's promotion mechanics on the last day."""

import json
from datetime import date
from pathlib import Path

import numpy as np

from .platform import click_share, platform_spend, useful_spend_limit
from .prices import parity_factor


class AltTruth:
    """Read-only view of truth.json; the same behaviour whether fresh from generate() or loaded back."""

    def __init__(self, data: dict):
        self.data = data
        self._skus = data["skus"]

    @property
    def last_day(self) -> date:
        """Last date in the data."""
        return date.fromisoformat(self.data["last_day"])

    @property
    def events(self) -> list[dict]:
        """Planted causes with kind, sku_id, channel, start, end, impact_gmv and magnitude."""
        return [dict(e) for e in self.data["events"]]

    def _sku(self, sku_id: str) -> dict:
        if sku_id not in self._skus:
            raise KeyError(f"unknown sku_id {sku_id!r}; known ids look like {next(iter(self._skus))!r}")
        return self._skus[sku_id]

    def promoted_skus(self) -> dict[str, dict]:
        """SKUs in full-site promotion on the last day, with their daily_budget and target_roi."""
        return {k: {"daily_budget": v["daily_budget"], "target_roi": v["target_roi"]}
                for k, v in sorted(self._skus.items()) if v["daily_budget"] > 0}

    def promo_gmv(self, sku_id: str, spend: float) -> float:
        """Expected promotion-attributed GMV per day at this daily spend, last day's price and conditions.

        The weekday cycle and daily auction noise are averaged out; stock is ignored (see in_stock).
        """
        s = self._sku(sku_id)
        if spend <= 0:
            return 0.0
        form = s.get("click_form", "weibull")
        share = click_share(spend, s["spend_scale"], s["spend_shape"], form)
        value = s["value_per_click"] * (spend / s.get("value_ref", 1.0)) ** -s.get("value_slope", 0.0)
        value *= 1.0 - s.get("value_depth", 0.0) * share
        return float(s["clicks_max"] * share * value)

    def promo_spend_for_target(self, sku_id: str, target_roi: float, budget: float) -> float:
        """Expected daily spend the platform makes with this budget and target ROI on the last day (in
        underdelivery shops: its rule's spend times the SKU's expected delivered share)."""
        s = self._sku(sku_id)
        spend = platform_spend(s["clicks_max"] * s["platform_value_per_click"], s["spend_scale"], s["spend_shape"],
                               s["spend_peak"], budget, target_roi, s.get("click_form", "weibull"))
        return float(np.asarray(spend).reshape(-1)[0]) * s.get("delivery_mean", 1.0)

    def _choice_share(self, s: dict, price: float) -> float:
        """Our item's logit share at this price against the last day's rival (a kink at parity in threshold
        shops); conversion, and so units, scale with it at fixed traffic."""
        own = np.exp(s["alpha"] - s["price_sensitivity"] * np.log(price / s["list_price"]))
        if s.get("parity_kink") and s.get("competitor_price"):
            own *= float(parity_factor(s["parity_kink"], price, s["competitor_price"]))
        return float(own / (1.0 + own + s["rival_pull"]))

    def expected_units(self, sku_id: str, price: float) -> float:
        """Expected units per day over the last week had the SKU sold at this price all week: the shoppers'
        immediate response at the week's traffic (recommendation feedback and stock are left out)."""
        s = self._sku(sku_id)
        if price <= 0 or s["units_last_week"] <= 0:
            return 0.0
        return s["units_last_week"] * self._choice_share(s, price) / self._choice_share(s, s["price"])

    def elasticity(self, sku_id: str) -> float:
        """The logit's own-price elasticity of units at the last day's price, without the kink at parity:
        -price_sensitivity x (1 - our choice share)."""
        s = self._sku(sku_id)
        own = np.exp(s["alpha"] - s["price_sensitivity"] * np.log(s["price"] / s["list_price"]))
        return float(-s["price_sensitivity"] * (1.0 + s["rival_pull"]) / (1.0 + own + s["rival_pull"]))

    def in_stock(self, sku_id: str) -> bool:
        """The SKU is on sale and has stock at the end of the last day."""
        return bool(self._sku(sku_id)["in_stock"])

    def max_useful_spend(self, sku_id: str) -> float:
        """A daily spend beyond which promo_gmv is flat (within 0.5% of saturation)."""
        s = self._sku(sku_id)
        return float(useful_spend_limit(s["spend_scale"], s["spend_shape"], s.get("click_form", "weibull")))


def truth_text(data: dict) -> str:
    """Deterministic JSON text of the truth."""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def load_truth(folder: Path) -> AltTruth:
    """Read folder/truth.json back."""
    return AltTruth(json.loads((Path(folder) / "truth.json").read_text(encoding="utf-8")))
