"""What a what-if reports: shop KPIs per day, the SKUs it touches and 90% intervals, summarised from draws.

The simulation hands over arrays per SKU with the expected value in column 0 and one parameter draw in
each further column; this module adds them up to shop totals, derives conversion, AOV and ROI, and rounds
them where they become the `WhatIf` the merchant sees.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.whatif_baseline import RunRates
from shopagent.tools.whatif_changes import Change

LEVEL = 0.90
KPI_NAMES = ("gmv", "visitors", "orders", "conversion", "aov", "units", "ad_spend", "ad_gmv", "roi",
             "refund_amount", "refund_rate", "profit")


class WhatIfKpis(BaseModel):
    """Shop KPIs per day over the horizon, named as in `diagnose`."""

    model_config = ConfigDict(frozen=True)

    gmv: float
    visitors: float
    orders: float
    conversion: float
    aov: float
    units: float
    ad_spend: float
    ad_gmv: float
    roi: float | None
    refund_amount: float  # money expected back, at each SKU's own share of GMV refunded
    refund_rate: float
    profit: float  # GMV minus unit cost of the units and ad spend (before refunds)


class SkuOutcome(BaseModel):
    """What the scenario does to one SKU it touches (per day over the horizon)."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    changes: list[str]
    price_before: float
    price_after: float
    elasticity: float | None
    elasticity_source: Literal["estimated", "category", "none"]
    gmv_before: float
    gmv_after: float
    gmv_delta_ci: tuple[float, float]
    units_before: float
    units_after: float
    ad_spend_before: float
    ad_spend_after: float
    days_in_stock: float  # of the horizon's days, how many the SKU can still sell on
    rival_price: float | None = None  # the competitor's latest price (None: not tracked or not a price change)
    rival_hinge: float | None = None  # extra elasticity above the rival's price (None: smooth response)
    crosses_rival: bool = False  # the new price takes the SKU from at or below its rival's to above it


class WhatIf(BaseModel):
    """Baseline (recent run rate), scenario and their difference, per day over the next `days` days."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    days: int
    changes: list[Change]
    baseline: WhatIfKpis
    scenario: WhatIfKpis
    delta: WhatIfKpis
    scenario_ci: dict[str, tuple[float, float]]  # 90% intervals from parameter uncertainty
    delta_ci: dict[str, tuple[float, float]]
    skus: list[SkuOutcome]
    assumptions: list[str]
    method: dict[str, Any]


def shop_totals(parts: dict[str, np.ndarray], keep: np.ndarray, cost: np.ndarray,
                basket: float, refund_share: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Shop totals per day for every column (expected, then draws)."""
    total = {name: values[keep].sum(axis=0) for name, values in parts.items()}
    share = refund_share if refund_share is not None else np.zeros(len(keep))
    total["refund_amount"] = (parts["gmv"] * share[:, None])[keep].sum(axis=0)
    total["visitors"] = total.pop("paid_visitors") + total.pop("organic_visitors")
    total["orders"] = total["orders"] * basket
    total["profit"] = total["gmv"] - (parts["units"] * cost)[keep].sum(axis=0) - total["ad_spend"]
    return total


def _ratios(total: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    def safe(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), 0.0)

    return {**total, "conversion": safe(total["orders"], total["visitors"]), "aov": safe(total["gmv"], total["orders"]),
            "roi": safe(total["ad_gmv"], total["ad_spend"]), "refund_rate": safe(total["refund_amount"], total["gmv"])}


def kpis_at(total: dict[str, np.ndarray], column: int) -> WhatIfKpis:
    """The shop KPIs of one column (0 = expected), rounded as reported."""
    values = _ratios(total)
    pick = {name: float(values[name][column]) for name in KPI_NAMES}
    return WhatIfKpis(**{name: round(value, 6 if name in ("conversion", "refund_rate") else 3 if name == "roi" else 2)
                         for name, value in pick.items()} | {"roi": round(pick["roi"], 3) if
                                                             float(total["ad_spend"][column]) > 0 else None})


def kpi_delta(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> WhatIfKpis:
    """Scenario minus baseline of the expected KPIs, from the rounded values the merchant sees."""
    a, b = kpis_at(after, 0), kpis_at(before, 0)
    fields = {name: round(getattr(a, name) - getattr(b, name), 6 if name in ("conversion", "refund_rate") else 2)
              for name in KPI_NAMES if name != "roi"}
    roi = round(a.roi - b.roi, 3) if a.roi is not None and b.roi is not None else None
    return WhatIfKpis(**fields, roi=roi)


def kpi_intervals(after: dict[str, np.ndarray],
                  before: dict[str, np.ndarray] | None = None) -> dict[str, tuple[float, float]]:
    """5th and 95th percentiles over the draws, of the scenario or of scenario minus baseline."""
    a = _ratios(after)
    b = _ratios(before) if before is not None else None
    out = {}
    for name in KPI_NAMES:
        series = a[name][1:] - (b[name][1:] if b is not None else 0.0)
        low, high = np.quantile(series, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        digits = 6 if name in ("conversion", "refund_rate") else 3 if name == "roi" else 2
        out[name] = (round(float(low), digits), round(float(high), digits))
    return out


def sku_outcome(sku_id: str, texts: list[str], row: int, rates: RunRates, price_after: np.ndarray,
                sources: dict[int, tuple[float | None, str]], base: dict[str, np.ndarray],
                scenario: dict[str, np.ndarray], in_stock: np.ndarray, days: int) -> SkuOutcome:
    """One touched SKU's expected day before and after, with a 90% interval on its GMV change."""
    elasticity, source = sources.get(row, (None, "none"))
    delta = scenario["gmv"][row, 1:] - base["gmv"][row, 1:]
    low, high = np.quantile(delta, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return SkuOutcome(
        sku_id=sku_id, changes=texts, price_before=round(float(rates.price[row]), 2),
        price_after=round(float(price_after[row]), 2), elasticity=elasticity, elasticity_source=source,
        gmv_before=round(float(base["gmv"][row, 0]), 2), gmv_after=round(float(scenario["gmv"][row, 0]), 2),
        gmv_delta_ci=(round(float(low), 2), round(float(high), 2)),
        units_before=round(float(base["units"][row, 0]), 2), units_after=round(float(scenario["units"][row, 0]), 2),
        ad_spend_before=round(float(base["ad_spend"][row, 0]), 2),
        ad_spend_after=round(float(scenario["ad_spend"][row, 0]), 2),
        days_in_stock=round(float(in_stock[row, 0]) * days, 1))
