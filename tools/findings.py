"""What diagnose reports: findings of the contract's kinds, each with the GMV it cost or brought."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

FindingKind = Literal[
    "stockout", "price_increase", "price_above_competitor", "promotion_below_target_roi", "traffic_drop",
    "experience_score_drop", "refund_spike", "rating_drop", "demand_surge",
]
EvidenceValue = str | int | float | bool | None | list[float] | list[str]


class Finding(BaseModel):
    """One cause of a GMV move. `impact_gmv` < 0 cost GMV, > 0 brought it; `sku_id` None = shop-wide."""

    model_config = ConfigDict(frozen=True)

    kind: FindingKind
    sku_id: str | None
    channel: str | None
    impact_gmv: float
    summary: str
    evidence: dict[str, EvidenceValue]
    title: str | None = None
    z_score: float | None = None  # how far beyond day-to-day noise the change is (|z| >= the threshold used)
    trend: list[float] = []  # daily GMV (shop or SKU) over the comparison period then the period


class Candidate(BaseModel):
    """A detector's result before it is worded: the facts a summary template is filled with."""

    kind: FindingKind
    row: int | None  # SKU row in the panel, None for shop-wide
    channel: str | None = None
    impact_gmv: float
    z_score: float | None = None
    evidence: dict[str, EvidenceValue]
