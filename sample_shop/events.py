"""Planted causes: which SKUs, channels, days and magnitudes, all inside the last 14 days."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .catalog import Catalog

TRAFFIC_MECHANISMS = ("shop", "sku")
SKU_EVENT_ORDER = (
    "stockout",
    "stockout",
    "price_increase",
    "price_above_competitor",
    "promotion_below_target_roi",
    "refund_spike",
    "rating_drop",
    "demand_surge",
)


@dataclass
class PlannedEvent:
    """An event before simulation; day indices are positions from the first simulated day."""

    kind: str
    sku: int | None
    channel: str | None
    start: int
    end: int
    magnitude: dict[str, float] = field(default_factory=dict)


@dataclass
class EventPlan:
    """The planted events of one shop (empty for a quiet shop)."""

    events: list[PlannedEvent] = field(default_factory=list)
    untrusted_sku: int = 0

    def of_kind(self, kind: str) -> list[PlannedEvent]:
        """Events of one kind, in planting order."""
        return [e for e in self.events if e.kind == kind]

    def sku_event(self, kind: str) -> PlannedEvent | None:
        """The first event of `kind`, if planted."""
        found = self.of_kind(kind)
        return found[0] if found else None

    @property
    def skus(self) -> set[int]:
        """SKU indices touched by a SKU-level event."""
        return {e.sku for e in self.events if e.sku is not None}


def eligible_ranking(catalog: Catalog, n_days: int) -> np.ndarray:
    """SKUs on sale for the whole last 90 days (or whole history), biggest expected sales first."""
    old_enough = catalog.launch <= max(0, n_days - 90)
    active = catalog.delist < 0
    weight = catalog.size * catalog.ref_price * catalog.cr0.mean(axis=1)
    ranked = np.argsort(-weight, kind="stable")
    return np.array([i for i in ranked if old_enough[i] and active[i]], dtype=np.int64)


def plan_events(catalog: Catalog, n_days: int, rng: np.random.Generator, *, planted: bool) -> EventPlan:
    """Choose the planted events; every SKU-level event gets its own SKU from the top half by sales."""
    ranked = eligible_ranking(catalog, n_days)
    untrusted = int(ranked[-max(1, len(ranked) // 5) :][0]) if len(ranked) else 0
    if not planted:
        return EventPlan(untrusted_sku=untrusted)
    top = ranked[: max(len(SKU_EVENT_ORDER), len(ranked) // 2)]
    if len(top) < len(SKU_EVENT_ORDER) or untrusted in top[: len(SKU_EVENT_ORDER)]:
        raise ValueError("planted events need at least 20 SKUs; use more SKUs or events='none'")
    chosen = [int(i) for i in rng.permutation(top)[: len(SKU_EVENT_ORDER)]]
    # a price rise only moves GMV when demand is elastic, so it goes to the most elastic chosen SKU
    rise = SKU_EVENT_ORDER.index("price_increase")
    most_elastic = min(range(len(chosen)), key=lambda k: catalog.elasticity[chosen[k]])
    chosen[rise], chosen[most_elastic] = chosen[most_elastic], chosen[rise]
    last = n_days - 1

    def day(offset: int) -> int:
        """Day -offset counted from the end (day -1 is the last day), jittered by a day."""
        return last - offset + 1 + int(rng.integers(-1, 2))

    def u(lo: float, hi: float) -> float:
        return round(float(rng.uniform(lo, hi)), 3)

    events: list[PlannedEvent] = []
    sku_of = dict(enumerate(chosen))
    s1 = day(10)
    events.append(PlannedEvent("stockout", sku_of[0], None, s1, last))
    s2 = day(9)
    events.append(PlannedEvent("stockout", sku_of[1], None, s2, s2 + 4))
    events.append(PlannedEvent("price_increase", sku_of[2], None, day(12), last, {"increase": u(0.15, 0.25)}))
    events.append(
        PlannedEvent("price_above_competitor", sku_of[3], None, day(12), last, {"competitor_cut": u(0.15, 0.25)})
    )
    events.append(
        PlannedEvent(
            "promotion_below_target_roi",
            sku_of[4],
            None,
            day(12),
            last,
            {"curve_multiplier": u(0.4, 0.5), "roi_ratio": u(0.55, 0.65)},
        )
    )
    channel = "search" if rng.random() < 0.5 else "recommend"
    events.append(PlannedEvent("traffic_drop", None, channel, day(10), last, {"visitor_multiplier": u(0.6, 0.7)}))
    events.append(PlannedEvent("refund_spike", sku_of[5], None, day(12), last, {"refund_rate": u(0.25, 0.35)}))
    events.append(
        PlannedEvent(
            "rating_drop",
            sku_of[6],
            None,
            day(12),
            last,
            {"conversion_multiplier": 0.8, "review_mean": u(2.8, 3.2)},
        )
    )
    events.append(
        PlannedEvent("demand_surge", sku_of[7], "recommend", day(9), last, {"visitor_multiplier": u(2.5, 3.0)})
    )
    events.append(
        PlannedEvent(
            "experience_score_drop",
            None,
            None,
            day(10),
            last,
            {"score_drop": u(0.3, 0.4), "conversion_multiplier": 0.93},
        )
    )
    _prepare_catalog(catalog, events, rng)
    return EventPlan(events=events, untrusted_sku=untrusted)


def _prepare_catalog(catalog: Catalog, events: list[PlannedEvent], rng: np.random.Generator) -> None:
    """Give planted SKUs what their event needs: room for a price rise, a tracked competitor."""
    for e in events:
        if e.kind == "price_increase" and e.sku is not None:
            catalog.set_everyday_discount(e.sku, 0.8)
        if e.kind == "price_above_competitor" and e.sku is not None:
            catalog.tracked[e.sku] = True
            catalog.cross[e.sku] = round(float(rng.uniform(1.0, 1.5)), 3)


def plant_traffic_mechanism(plan: EventPlan, catalog: Catalog, n_days: int, seed: int, choice: str = "shop") -> str:
    """How this shop loses traffic: "shop" (one channel falls for every SKU, as planned) or "sku" (one SKU's
    search or recommend visitors fall, 单品降权: a ranking penalty from the first days of the period).

    choice "draw" lets the seed pick (even odds), from its own stream so every other draw stays as it was;
    the SKU is one of the top half by sales that no other planted cause touches.
    """
    rng = np.random.default_rng([seed, 2302])
    drawn = TRAFFIC_MECHANISMS[int(rng.random() < 0.5)]
    mechanism = drawn if choice == "draw" else choice
    if mechanism not in TRAFFIC_MECHANISMS:
        raise ValueError(f"traffic must be draw or one of {TRAFFIC_MECHANISMS}, not {choice!r}")
    drop = plan.sku_event("traffic_drop")
    if mechanism == "shop" or drop is None:
        return mechanism
    ranked = eligible_ranking(catalog, n_days)
    free = [int(i) for i in ranked[: max(len(SKU_EVENT_ORDER), len(ranked) // 2)]
            if int(i) not in plan.skus and int(i) != plan.untrusted_sku]
    drop.sku = free[int(rng.integers(len(free)))]
    drop.channel = "search" if rng.random() < 0.7 else "recommend"
    drop.start = n_days - 14 + int(rng.integers(0, 4))
    drop.magnitude = {"visitor_multiplier": round(float(rng.uniform(0.55, 0.7)), 3)}
    return mechanism
