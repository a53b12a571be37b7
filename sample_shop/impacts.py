"""Truth records of the planted events and their true counterfactual GMV impacts."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from .aftersales import REFUND_DELAY
from .events import EventPlan, PlannedEvent
from .models import ShopTruth, TruthEvent
from .world import World


def _summary(e: PlannedEvent, sku: str | None, start: date, end: date) -> str:
    m = e.magnitude
    where = sku or "whole shop"
    if e.kind == "stockout":
        return f"{where} out of stock {start} to {end}"
    if e.kind == "price_increase":
        return f"{where} price raised {m['old_price']:.2f} -> {m['new_price']:.2f} from {start}"
    if e.kind == "price_above_competitor":
        return f"competitor of {where} cut its price {m['competitor_cut']:.0%} from {start}; ours unchanged"
    if e.kind == "promotion_below_target_roi":
        return (
            f"{where} full-site promotion response fell to {m['curve_multiplier']:.0%} from {start}; "
            "the platform kept spending the whole daily budget"
        )
    if e.kind == "traffic_drop" and sku:
        return f"{e.channel} visitors of {sku} x{m['visitor_multiplier']:.2f} from {start} (ranking penalty)"
    if e.kind == "traffic_drop":
        return f"{e.channel} visitors x{m['visitor_multiplier']:.2f} for every SKU from {start}"
    if e.kind == "refund_spike":
        return f"{where} refund rate rose to {m['refund_rate']:.0%} (quality) from {start}"
    if e.kind == "rating_drop":
        return f"{where} new reviews average ~{m['review_mean']:.1f} stars, conversion x0.8 from {start}"
    if e.kind == "demand_surge":
        return f"{where} recommend visitors x{m['visitor_multiplier']:.2f} from {start} (went viral)"
    return f"store experience score down {m['score_drop']:.2f} (logistics) and conversion x0.93 from {start}"


def truth_events(plan: EventPlan, start: date, sku_ids: list[str]) -> list[TruthEvent]:
    """Truth records of the planted events, impacts not yet measured."""
    out = []
    for k, e in enumerate(plan.events):
        sku = sku_ids[e.sku] if e.sku is not None else None
        first, last = start + timedelta(days=e.start), start + timedelta(days=e.end)
        out.append(
            TruthEvent(
                event_id=f"E{k + 1:02d}",
                kind=e.kind,  # type: ignore[arg-type]
                sku_id=sku,
                channel=e.channel,
                start=first,
                end=last,
                magnitude={key: round(float(v), 4) for key, v in e.magnitude.items()},
                impact_gmv=0.0,
                summary=_summary(e, sku, first, last),
            )
        )
    return out


def _refund_share_in_window(order_days: np.ndarray, last_day: int) -> np.ndarray:
    """Share of refunds of orders placed on `order_days` that are dated on or before the last day."""
    lo, hi = REFUND_DELAY
    delays = np.arange(lo, hi + 1)
    return (order_days[:, None] + delays[None, :] <= last_day).mean(axis=1)


def measure_impacts(truth: ShopTruth, factual: World) -> tuple[list[TruthEvent], dict[str, float]]:
    """Events with impact_gmv filled in, and expected GMV totals of the diagnosis periods.

    impact_gmv = expected GMV over the last 14 days as it happened minus the same with only that event
    removed; for a refund spike it is minus the expected extra refund amount dated in those 14 days.
    """
    w0, w1 = truth.day_index(truth.window_start), truth.day_index(truth.window_end) + 1
    c0, c1 = truth.day_index(truth.compare_start), truth.day_index(truth.compare_end) + 1
    gmv = factual.expected_gmv()
    window_total = float(gmv[:, w0:w1].sum())
    events = []
    for event in truth.events:
        if event.kind == "refund_spike":
            i = factual.index[event.sku_id or ""]
            a, b = truth.day_index(event.start), truth.day_index(event.end) + 1
            extra_rate = event.magnitude["refund_rate"] - truth.skus[i].refund_rate
            share = _refund_share_in_window(np.arange(a, b), truth.n_days - 1)
            impact = -float((gmv[i, a:b] * extra_rate * share).sum())
        else:
            counterfactual = World(truth, without={event.event_id}).expected_gmv()
            impact = window_total - float(counterfactual[:, w0:w1].sum())
        events.append(event.model_copy(update={"impact_gmv": round(impact, 2)}))
    quiet = World(truth, without={e.event_id for e in truth.events}).expected_gmv()
    summary = {
        "expected_gmv_window": round(window_total, 2),
        "expected_gmv_compare": round(float(gmv[:, c0:c1].sum()), 2),
        "expected_gmv_window_without_events": round(float(quiet[:, w0:w1].sum()), 2),
    }
    return events, summary
