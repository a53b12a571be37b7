"""The simulator's hidden truth as pydantic models: what was planted and the true demand parameters."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CHANNELS: tuple[str, ...] = ("search", "recommend", "promotion", "live", "other")
CATEGORIES: tuple[str, ...] = ("dress", "jacket", "tshirt", "pants", "knitwear", "skincare", "makeup")

EventKind = Literal[
    "stockout",
    "price_increase",
    "price_above_competitor",
    "promotion_below_target_roi",
    "traffic_drop",
    "refund_spike",
    "rating_drop",
    "demand_surge",
    "experience_score_drop",
]


class ChannelValues(BaseModel):
    """One number per traffic channel."""

    model_config = ConfigDict(frozen=True)
    search: float
    recommend: float
    promotion: float
    live: float
    other: float

    def as_tuple(self) -> tuple[float, ...]:
        """Values in CHANNELS order."""
        return tuple(getattr(self, channel) for channel in CHANNELS)

    @classmethod
    def from_sequence(cls, values: list[float] | tuple[float, ...]) -> ChannelValues:
        """Build from values in CHANNELS order."""
        return cls(**dict(zip(CHANNELS, (float(v) for v in values), strict=True)))


class Steps(BaseModel):
    """A piecewise-constant daily series: values[k] holds from dates[k] until the next change."""

    dates: list[date]
    values: list[float]

    def value_on(self, day: date) -> float:
        """The value in force on `day` (the first value before the first change)."""
        from bisect import bisect_right

        k = bisect_right(self.dates, day) - 1
        return self.values[max(k, 0)]


class DateRange(BaseModel):
    """Inclusive range of days."""

    model_config = ConfigDict(frozen=True)
    start: date
    end: date


class PromoCurve(BaseModel):
    """True response of full-site promotion: clicks(s) = c_max * s^shape / (s^shape + half_spend^shape)."""

    c_max: float
    half_spend: float
    shape: float
    ref_price: float
    ctr: float = Field(description="clicks per impression of the promotion placement")
    plan_start: date
    plan_end: date
    daily_budget: Steps
    target_roi: Steps
    collapse_multiplier: float | None = Field(
        default=None, description="c_max multiplier after a planted collapse (see the event)"
    )
    collapse_start: date | None = None


class SkuTruth(BaseModel):
    """True parameters of one SKU."""

    sku_id: str
    category: str
    launch_date: date
    delist_date: date | None = Field(default=None, description="first day no longer on sale")
    list_price: float
    ref_price: float = Field(description="everyday price at which cr0 holds")
    unit_cost: float
    elasticity: float = Field(description="own-price elasticity of conversion, hence of units")
    cross_elasticity: float = Field(description="elasticity of conversion to the competitor's price")
    competitor_ref: float | None = None
    cr0: ChannelValues = Field(description="conversion at ref_price and competitor_ref, by channel")
    base_visitors: ChannelValues = Field(description="daily visitors before day multipliers")
    atc_ratio: float = Field(description="add-to-cart rate as a multiple of conversion")
    lead_time_days: int
    refund_rate: float
    rating_baseline: float
    price: Steps = Field(description="price shown each day (factual, planted changes included)")
    competitor_price: Steps | None = None
    promo: PromoCurve | None = None
    out_of_stock: list[DateRange] = Field(default_factory=list)


class DayMultipliers(BaseModel):
    """Shop-level multipliers, one value per day from ShopTruth.start."""

    season: dict[str, list[float]] = Field(description="per category")
    weekday: list[float]
    channel_boost: dict[str, list[float]] = Field(
        description="platform traffic boost (618, double11, live schedule) per organic channel"
    )
    conversion: list[float] = Field(description="shop-wide conversion multiplier (pre-sale waiting)")


class TruthEvent(BaseModel):
    """A planted cause of a GMV change in the last 14 days."""

    event_id: str
    kind: EventKind
    sku_id: str | None
    channel: str | None
    start: date
    end: date
    magnitude: dict[str, float]
    impact_gmv: float = Field(description="expected GMV with the event minus without it, last 14 days")
    summary: str


class ComplianceIssue(BaseModel):
    """An advertising-law term planted in a listing."""

    model_config = ConfigDict(frozen=True)
    sku_id: str
    field: Literal["title", "selling_points"]
    term: str


class TruthSummary(BaseModel):
    """Expected totals for the diagnosis periods."""

    expected_gmv_window: float
    expected_gmv_compare: float
    expected_gmv_window_without_events: float
    order_lines: int
    orders: int


class ShopTruth(BaseModel):
    """Everything the simulator knows and the data does not say."""

    seed: int
    start: date
    end: date
    window_start: date
    window_end: date
    compare_start: date
    compare_end: date
    events_mode: Literal["planted", "none"]
    conversion_cap: float
    mean_quantity: float
    paid_price_factor: float = Field(description="expected paid price / shown price (extra coupons)")
    stockout_traffic_factor: float
    channel_conversion: ChannelValues
    days: DayMultipliers
    skus: list[SkuTruth]
    events: list[TruthEvent] = Field(default_factory=list)
    compliance: list[ComplianceIssue] = Field(default_factory=list)
    untrusted_review_ids: list[str] = Field(default_factory=list)
    summary: TruthSummary | None = None
    mechanisms: dict[str, str] = Field(default_factory=dict, description="the mechanics this shop drew, e.g. "
                                       '{"rival_price": "threshold"}')

    @property
    def n_days(self) -> int:
        """Number of simulated days."""
        return (self.end - self.start).days + 1

    def day_index(self, day: date) -> int:
        """Position of `day` from start; raises if outside the simulated period."""
        index = (day - self.start).days
        if not 0 <= index < self.n_days:
            raise ValueError(f"{day} is outside the simulated period {self.start}..{self.end}")
        return index

    def date_at(self, index: int) -> date:
        """The date at position `index`."""
        return self.start + timedelta(days=index)
