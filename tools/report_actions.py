"""Today's proposed actions for the daily report: each planner contributes one block of concrete changes.

A block adapts one planner's public result (promotion budgets, prices, assortment) into `Action`s with
the current value, the proposed one, the expected impact per day and how sure that is, biggest first, all of
them: tools/report_reconcile.py sets contradicting ones aside and cuts each block to the report's top N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.panel import ShopPanel, cut_days
from shopagent.tools.store import Shop
from shopagent.tools.wording import Language, say

ActionKind = Literal["budget", "price", "restock", "fix", "push", "delist"]
Unit = Literal["yuan_per_day", "yuan", "units"]
Confidence = Literal["high", "medium", "low"]
# why the report set a proposal aside: a price rise on a SKU out of stock, that the diagnosis finds losing sales
# to its price, or priced well above its competitor; more traffic for a SKU to delist or with no stock
SetAsideRule = Literal["out_of_stock", "diagnosis", "above_competitor", "delist", "traffic_out_of_stock"]
MIN_BUDGET_CHANGE = 0.10  # a budget move smaller than 10% (and under ¥100) is noise, not an action for today


class Action(BaseModel):
    """One change to make today: what it is now, what it should be, and what it should bring per day."""

    model_config = ConfigDict(frozen=True)

    kind: ActionKind
    sku_id: str | None
    title: str | None
    current: float | None  # daily budget, price or units on hand, in `unit`
    proposed: float | None
    unit: Unit | None
    quantity: int | None = None  # units to reorder (restock)
    current_target_roi: float | None = None  # full-site promotion: the target ROI (投产比) to set with the budget
    target_roi: float | None = None
    expected_gmv_per_day: float | None  # change against doing nothing
    expected_profit_per_day: float | None
    reason: str
    confidence: Confidence | None = None  # how sure the expected impact is (see each block for the rule)


class SetAside(BaseModel):
    """A planner's proposal the report does not show, because another part of the report contradicts it."""

    model_config = ConfigDict(frozen=True)

    action: Action
    rule: SetAsideRule
    why: str


class CurvePoint(BaseModel):
    """The shop's full-site promotion curve: the best plan's expected attributed GMV at a total daily budget."""

    model_config = ConfigDict(frozen=True)

    budget: float
    gmv: float


class ActionBlock(BaseModel):
    """One planner's proposals for the day; `unavailable` says why a planner contributed nothing."""

    model_config = ConfigDict(frozen=True)

    planner: str
    headline: str
    notes: list[str] = []  # the planner's caveats (unspent budget, warnings), one line each
    actions: list[Action]
    more: int  # proposals beyond those listed (the planner's own command shows them all)
    expected: dict[str, int | float]
    curve: list[CurvePoint] = []
    current_point: CurvePoint | None = None  # today's budgets on the curve's axes
    unavailable: str | None = None
    price_holds: dict[str, str] = {}  # SKUs this planner found losing sales to their price: no rise, and why
    set_aside: list[SetAside] = []  # proposals the report leaves out because another part contradicts them

    @classmethod
    def missing(cls, planner: str, reason: str) -> ActionBlock:
        return cls(planner=planner, headline="", actions=[], more=0, expected={}, unavailable=reason)


class Gap(BaseModel):
    """Something the report could not compute, and why."""

    model_config = ConfigDict(frozen=True)

    part: str
    reason: str


def tail_panel(panel: ShopPanel, days: int) -> ShopPanel:
    """The last `days` days of a panel, equal to loading just those days (one load serves every planner)."""
    return cut_days(panel, max(0, len(panel.days) - days), len(panel.days))


@dataclass(frozen=True)
class PlannerInput:
    """What every planner block gets: the report date and the shop's history up to it, loaded once."""

    day: date
    history: ShopPanel  # the longest history any planner reads, ending on `day`
    lang: Language = "en"

    def panel(self, days: int) -> ShopPanel:
        """The last `days` days, as the planner's own command would load them."""
        return tail_panel(self.history, days)


def promotion_actions(shop: Shop, request: PlannerInput) -> ActionBlock:
    """Re-split today's total full-site promotion budget at today's blended target ROI; compare SKU by SKU."""
    from shopagent.tools.promotion_curves import fit_response_curves
    from shopagent.tools.promotion_optimiser import MIN_BUDGET
    from shopagent.tools.promotion_plan import HISTORY_DAYS, plan_from_panel
    from shopagent.tools.promotion_response import CurveArrays

    panel, day = request.panel(HISTORY_DAYS), request.day
    budgets = np.nan_to_num(panel.daily_budget[:, -1])
    targets = panel.target_roi[:, -1]
    total = float(budgets.sum())
    if total <= 0:
        return ActionBlock.missing("promotion", say(request.lang, "report", "no_promotion", day=day))
    if total < MIN_BUDGET:
        return ActionBlock.missing("promotion", say(request.lang, "report", "tiny_promotion", day=day, total=total,
                                                    least=MIN_BUDGET))
    # the blended target the merchant holds today: the budget-weighted mean of the per-SKU targets
    in_plan = budgets > 0
    target = round(float(np.average(targets[in_plan], weights=budgets[in_plan])), 1)
    # the curves are fitted here (not inside the planner) so today's budgets can be valued on the same curves
    curves = fit_response_curves(panel, as_of=day)
    plan = plan_from_panel(panel, as_of=day, budget=total, target_roi=target, curves=curves, lang=request.lang)
    # expected attributed GMV of today's budgets under the same curves and the same platform spending rule
    index = panel.catalog.index()
    fitted = [sku for sku in panel.catalog.sku_ids if sku in curves and budgets[index[sku]] > 0]
    current_gmv, current_spend = {}, 0.0
    if fitted:
        arrays = CurveArrays.of([curves[sku] for sku in fitted])
        rows = [index[sku] for sku in fitted]
        spend = arrays.platform_spend(budgets[rows], np.nan_to_num(targets[rows], nan=target))
        current_gmv = dict(zip(fitted, arrays.gmv_per_draw(spend).mean(axis=1).tolist(), strict=True))
        current_spend = float(spend.mean(axis=1).sum())
    actions = []
    for allocation in plan.allocations:
        row = index[allocation.sku_id]
        now = float(budgets[row])
        change = allocation.daily_budget - now
        if abs(change) < 1 or (abs(change) < MIN_BUDGET_CHANGE * now and abs(change) < 100):
            continue
        before = current_gmv.get(allocation.sku_id, 0.0 if now == 0 else None)
        actions.append(Action(
            kind="budget", sku_id=allocation.sku_id, title=allocation.title, current=round(now, 2),
            proposed=allocation.daily_budget, unit="yuan_per_day", current_target_roi=allocation.current_target_roi,
            target_roi=allocation.target_roi, expected_profit_per_day=None, reason=allocation.reason,
            confidence=_spread_confidence(allocation.expected_gmv, allocation.gmv_low, allocation.gmv_high),
            expected_gmv_per_day=None if before is None else round(allocation.expected_gmv - before, 2)))
    planned = {allocation.sku_id for allocation in plan.allocations}
    for sku in sorted(sku for sku in panel.catalog.sku_ids if budgets[index[sku]] > 0 and sku not in planned):
        # a budget on a SKU the planner does not consider (delisted, off sale) is money with nothing to sell
        before = current_gmv.get(sku)
        actions.append(Action(
            kind="budget", sku_id=sku, title=panel.catalog.titles[index[sku]], current=float(budgets[index[sku]]),
            proposed=0.0, unit="yuan_per_day", expected_profit_per_day=None, confidence="high",
            expected_gmv_per_day=None if before is None else round(-before, 2),
            reason=say(request.lang, "report", "stop_budget")))
    actions.sort(key=lambda action: (-abs(action.expected_gmv_per_day or 0.0), action.sku_id or ""))
    before_total = round(sum(current_gmv.values()), 2)
    expected = {"total_budget": round(total, 2), "target_roi": target, "current_expected_gmv": before_total,
                "current_expected_spend": round(current_spend, 2),
                "expected_gmv": plan.expected.gmv, "expected_gmv_change": round(plan.expected.gmv - before_total, 2),
                "expected_spend": plan.expected.spend, "expected_roi": plan.expected.roi,
                "unspent_budget": plan.unspent_budget, "next_1000": plan.next_1000}
    headline = say(request.lang, "report", "promotion_headline", total=total, target=target, skus=len(actions),
                   gmv_before=before_total, gmv_after=plan.expected.gmv, gmv_change=plan.expected.gmv - before_total,
                   spend_before=current_spend, spend_after=plan.expected.spend,
                   # a plan held back by its ROI floor spends none of a bigger budget: "+¥0" would read as a dud SKU
                   next_budget=say(request.lang, "report", "promotion_next_1000", next_1000=plan.next_1000)
                   if plan.next_1000 >= 1 else say(request.lang, "report", "promotion_next_1000_none"))
    notes = [note for note in (plan.unspent_reason, *plan.warnings) if note]
    return ActionBlock(planner="promotion", headline=headline, notes=notes, actions=actions, more=0, expected=expected,
                       curve=[CurvePoint(budget=point.budget, gmv=point.gmv) for point in plan.shop_curve],
                       current_point=CurvePoint(budget=round(total, 2), gmv=before_total))


def pricing_actions(shop: Shop, request: PlannerInput) -> ActionBlock:
    """Price changes worth making today (profit objective), biggest expected profit gain first."""
    from shopagent.tools.elasticity import estimate_elasticities, load_promo_tags
    from shopagent.tools.pricing import (
        MAX_CHANGE,
        MIN_GAIN,
        MIN_MARGIN,
        RANGE_SLACK,
        Guardrails,
        price_ending,
        price_plan,
    )
    from shopagent.tools.whatif_baseline import HISTORY_DAYS, run_rates

    # plan_pricing's own steps over the shared history (a parity test holds the two together)
    panel = request.panel(HISTORY_DAYS)
    tags = load_promo_tags(shop, panel)
    rates = run_rates(panel, tags, as_of=request.day)
    rails = Guardrails(max_change=MAX_CHANGE, min_margin=MIN_MARGIN, range_slack=RANGE_SLACK, min_gain=MIN_GAIN,
                       price_ending=price_ending(rates.price[rates.on_sale]))
    plan = price_plan(panel.catalog.sku_ids, panel.catalog.titles, panel.catalog.unit_cost,
                      estimate_elasticities(panel, tags=tags), rates, skus=None, objective="profit", guardrails=rails,
                      lang=request.lang)
    changes = [r for r in plan.recommendations if r.status == "change"]
    unknown = sum(r.status == "cannot_estimate" for r in plan.recommendations)
    actions = [Action(kind="price", sku_id=r.sku_id, title=r.title, current=r.current_price,
                      proposed=r.recommended_price, unit="yuan", expected_gmv_per_day=r.gmv_per_day_change,
                      expected_profit_per_day=r.profit_per_day_change, reason=r.reason,
                      confidence=_price_confidence(r.expected_profit_change, r.expected_profit_change_ci))
               for r in changes]
    profit, gmv = plan.expected.get("profit_per_day_change", 0.0), plan.expected.get("gmv_per_day_change", 0.0)
    headline = say(request.lang, "report", "pricing_headline", changes=len(changes), profit=profit, gmv=gmv)
    if unknown:
        headline += say(request.lang, "report", "pricing_unknown", unknown=unknown)
    return ActionBlock(planner="pricing", headline=headline, actions=actions, more=0,
                       expected={"skus_changed": len(changes), "profit_per_day_change": profit,
                                 "gmv_per_day_change": gmv, "skus_cannot_estimate": float(unknown)})


def assortment_actions(shop: Shop, request: PlannerInput) -> ActionBlock:
    """Restock alerts with reorder quantities, then SKUs to fix, delist and push; a few of each, most urgent first."""
    from shopagent.tools.assortment import COMPETITOR_GAP, HISTORY_DAYS, assess
    from shopagent.tools.elasticity import load_promo_tags
    from shopagent.tools.whatif_baseline import run_rates

    # plan_assortment's own steps over the shared history (a parity test holds the two together)
    panel = request.panel(HISTORY_DAYS)
    plan = assess(panel, run_rates(panel, load_promo_tags(shop, panel), as_of=request.day), lang=request.lang)
    window = plan.window_days
    # priced well above the competitor (the planner's own threshold): raising it further contradicts the advice
    holds = {call.sku_id: say(request.lang, "report", "hold_competitor", gap=call.price_gap,
                              rival=call.competitor_price)
             for call in plan.skus if call.price_gap is not None and call.price_gap > COMPETITOR_GAP}
    by_kind: dict[str, list[Action]] = {kind: [] for kind in ("restock", "fix", "delist", "push")}
    for call in plan.skus:
        if call.action not in by_kind:
            continue
        gmv_day, profit_day = None, None
        if call.action == "restock":
            # what a day on an empty shelf would cost: the run rate at the price shoppers actually paid
            unit_gmv = call.gmv / call.units if call.units > 0 else call.price
            gmv_day = round(call.units_per_day * unit_gmv, 2)
        elif call.action == "delist":
            gmv_day, profit_day = round(-call.gmv / window, 2), round(-call.contribution / window, 2)
        by_kind[call.action].append(Action(
            kind=call.action, sku_id=call.sku_id, title=call.title,
            current=call.on_hand if call.action == "restock" else None, proposed=None,
            unit="units" if call.action == "restock" else None,
            quantity=call.reorder_quantity if call.action == "restock" else None,
            expected_gmv_per_day=gmv_day, expected_profit_per_day=profit_day,
            # stock on hand and a past loss are counted, not estimated; a fix or push is a judgement call
            confidence="high" if call.action in ("restock", "delist") else "medium",
            reason=("；" if request.lang == "zh" else "; ").join(call.reasons)))
    by_kind["restock"].sort(key=lambda action: (-(action.expected_gmv_per_day or 0.0), action.sku_id or ""))
    by_kind["delist"].sort(key=lambda action: (-(action.expected_profit_per_day or 0.0), action.sku_id or ""))
    shown = [action for kind in by_kind for action in by_kind[kind]]
    units = sum(action.quantity or 0 for action in by_kind["restock"])
    at_risk = sum(action.expected_gmv_per_day or 0.0 for action in by_kind["restock"])
    headline = say(request.lang, "report", "assortment_headline", restock=len(by_kind["restock"]), units=units,
                   at_risk=at_risk, fix=len(by_kind["fix"]), delist=len(by_kind["delist"]), push=len(by_kind["push"]))
    return ActionBlock(planner="assortment", headline=headline, actions=shown, more=0, price_holds=holds,
                       expected={"restock": float(len(by_kind["restock"])), "reorder_units": float(units),
                                 "restock_gmv_per_day": round(at_risk, 2), "fix": float(len(by_kind["fix"])),
                                 "delist": float(len(by_kind["delist"])), "push": float(len(by_kind["push"]))})


def _price_confidence(change: float | None, interval: tuple[float, float] | None) -> Confidence:
    """high: profit rises even at the low end of its 90% range; medium: the expected gain outweighs the
    possible loss; low: the range is wider than that."""
    if change is None or interval is None:
        return "low"
    low, _high = interval
    if low > 0:
        return "high"
    return "medium" if change > 0 and -low < change else "low"


def _spread_confidence(expected: float, low: float, high: float) -> Confidence:
    """From the width of the 80% GMV interval relative to the expected GMV: under half high, under once medium."""
    if expected <= 0:
        return "low" if high > low else "high"
    spread = (high - low) / expected
    return "high" if spread < 0.5 else "medium" if spread < 1 else "low"


Planner = Callable[[Shop, PlannerInput], ActionBlock]
PLANNERS: dict[str, Planner] = {"promotion": promotion_actions, "pricing": pricing_actions,
                                "assortment": assortment_actions}
