"""`plan promotion`: split a daily full-site promotion (全站推广) budget across SKUs for the most GMV at a held ROI.

Fits the response curves (`promotion_curves`), keeps the SKUs the platform may promote (`promotion_eligibility`),
splits the budget with the optimiser (`promotion_optimiser`), which holds the blended ROI (投产比) under the
platform's target-ROI rule in every posterior draw, and explains the result (`promotion_reasons`). Expected
figures come from those draws.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np

from shopagent.tools.errors import RequestError, ShopError, unknown_skus
from shopagent.tools.panel import ShopPanel, data_dates, load_panel
from shopagent.tools.promotion_backtest import Backtest, backtest, calibrated, head_panel
from shopagent.tools.promotion_curves import competitor_response, fit_response_curves
from shopagent.tools.promotion_eligibility import SkuEligibility, check_eligibility
from shopagent.tools.promotion_optimiser import (
    BUDGET_STEP,
    MAX_EXTRAPOLATION,
    MIN_BUDGET,
    SAFETY_QUANTILE,
    BudgetProblem,
    BudgetSolution,
)
from shopagent.tools.promotion_reasons import (
    blended_break_even,
    funded_reason,
    joined,
    limited_by,
    plan_warnings,
    unspent_reason,
)
from shopagent.tools.promotion_response import ResponseCurve
from shopagent.tools.promotion_results import INTERVAL, Allocation, PlanOutcome, PromotionPlan
from shopagent.tools.store import Shop
from shopagent.tools.wording import Language, say

HISTORY_DAYS = 180
CONFIDENCE = 0.99  # the blended ROI holds with this probability: the merchant would rather under-spend than miss
CURVE_MULTIPLES = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def plan_promotion(shop: Shop, *, budget: float, target_roi: float, sku_ids: list[str] | None = None,
                   min_roi_per_sku: float | None = None, as_of: date | None = None, horizon_days: int = 14,
                   confidence: float = CONFIDENCE, seed: int = 0, lang: Language = "en") -> PromotionPlan:
    """Split a daily full-site promotion budget across SKUs for the most GMV while the blended ROI holds.

    lang: language of the reasons, notes and warnings, zh or en.
    """
    first, last = data_dates(shop)
    as_of = as_of or last
    if not first <= as_of <= last:
        raise ShopError(f"--as-of {as_of} is outside the data, which runs {first}..{last}")
    # the plan never reads refunds by the day of their order (nor their lag): ~0.3 s of a 1,000-SKU shop's load
    panel = load_panel(shop, max(first, as_of - timedelta(days=HISTORY_DAYS - 1)), as_of, order_day_refunds=False)
    return plan_from_panel(panel, as_of=as_of, budget=budget, target_roi=target_roi, sku_ids=sku_ids,
                           min_roi_per_sku=min_roi_per_sku, horizon_days=horizon_days, confidence=confidence,
                           seed=seed, lang=lang)


def plan_from_panel(panel: ShopPanel, *, as_of: date, budget: float, target_roi: float,
                    sku_ids: list[str] | None = None, min_roi_per_sku: float | None = None,
                    horizon_days: int = 14, confidence: float = CONFIDENCE, seed: int = 0,
                    curves: dict[str, ResponseCurve] | None = None, self_check: Backtest | None = None,
                    lang: Language = "en") -> PromotionPlan:
    """The plan over an already-loaded panel (the what-if simulator and the benchmark reuse theirs, and the
    benchmark its curves and their backtest `self_check` across settings)."""
    if not (math.isfinite(budget) and budget > 0):
        raise RequestError(f"--budget must be a number of yuan a day above 0 (got {budget})")
    if not (math.isfinite(target_roi) and target_roi > 0):
        raise RequestError(f"--target-roi must be a number above 0 (got {target_roi}); 3 means ¥3 of GMV per ¥1 spent")
    if min_roi_per_sku is not None and not (math.isfinite(min_roi_per_sku) and min_roi_per_sku >= 0):
        raise RequestError(f"--min-roi-per-sku must be a number of 0 or more (got {min_roi_per_sku})")
    if not 0.5 <= confidence < 1.0:
        raise RequestError(f"confidence must be at least 0.5 and below 1 (got {confidence})")
    if budget < MIN_BUDGET:
        raise RequestError(f"--budget of ¥{budget:g} a day is below ¥{MIN_BUDGET:.0f}, the smallest daily budget worth "
                           "setting up for one SKU")
    if not panel.tables_present.get("promotion_daily", False):
        raise ShopError("the shop has no promotion_daily rows: import full-site promotion history to plan budgets")
    known = set(panel.catalog.sku_ids)
    wanted = list(dict.fromkeys(sku_ids or []))
    unknown = [sku for sku in wanted if sku not in known]
    if unknown:
        raise unknown_skus(unknown, known)
    if curves is None or self_check is None:
        end = (as_of - panel.days[0]).days + 1
        history = panel if end == len(panel.days) else head_panel(panel, end)
        competitor = competitor_response(history, end)
        if curves is None:
            curves = fit_response_curves(history, as_of=as_of, seed=seed, competitor=competitor)
        if self_check is None:
            self_check = backtest(history, end, seed, competitor)
    # the errors the curves made on this shop's own history, beyond their stated uncertainty, widen every draw
    curves = calibrated(curves, self_check, seed)
    response = {sku: curve.competitor_elasticity for sku, curve in curves.items()
                if curve.competitor_elasticity is not None}
    eligibility = check_eligibility(panel, as_of=as_of, horizon_days=horizon_days, target_roi=target_roi,
                                    competitor_response=response, lang=lang)
    checks = [check for check in eligibility.skus if not wanted or check.sku_id in wanted]
    chosen = [check for check in checks if check.eligible and check.sku_id in curves]
    problem = BudgetProblem.build([curves[check.sku_id] for check in chosen], budget, target_roi, min_roi_per_sku,
                                  NormalDist().inv_cdf(confidence), self_check.bulge_measure())
    solution, outcome = problem.plan(budget)
    planned = outcome
    fallback_reason = None
    mix = problem.todays_mix(budget)
    if mix is not None and mix.roi_low(problem.z) >= target_roi and not outcome.beats(mix, problem.z):
        # do no harm: a plan the model cannot tell from today's mix with the plan's confidence is not worth the
        # change, and a model that is wrong away from today's spends is wrong there first
        plan_gmv, mix_gmv = float(outcome.gmv.sum(axis=0).mean()), float(mix.gmv.sum(axis=0).mean())
        fallback_reason = say(lang, "promotion", "kept_todays_mix", plan_gmv=plan_gmv, mix_gmv=mix_gmv,
                              confidence=confidence)
        outcome = mix
    margin = solution.roi_floor / target_roi

    def best(amount: float) -> PlanOutcome:
        if amount == budget and target_roi * margin == solution.roi_floor:
            return planned  # the plan's own solve and run: nothing in the problem has changed since
        return problem.execute(problem.solve(amount, target_roi * margin), amount)

    curve_points = [best(budget * multiple).point(budget * multiple) for multiple in CURVE_MULTIPLES]
    more = problem.execute(problem.solve(budget + 1000.0, target_roi * margin), budget + 1000.0)
    on_sale = {check.sku_id for check in eligibility.skus}
    allocations = (_allocations(panel, as_of, checks, curves, problem, solution, outcome,
                                fallback_reason is not None, lang)
                   + _not_on_sale(panel, as_of, [sku for sku in wanted if sku not in on_sale], lang))
    margins = {check.sku_id: check.gross_margin for check in checks}
    break_even = blended_break_even(allocations, margins, curves)
    warnings = plan_warnings(panel, as_of, eligibility, target_roi, break_even, min_roi_per_sku, lang)
    spent = float(sum(allocation.daily_budget for allocation in allocations))
    unspent = round(budget - spent, 2)
    return PromotionPlan(
        budget=budget, target_roi=target_roi, as_of=as_of, horizon_days=horizon_days, allocations=allocations,
        expected=outcome.totals(problem.z), unspent_budget=unspent, limited_by=limited_by(problem, solution),
        unspent_reason=None if unspent < 0.5 else say(lang, "promotion", "unspent_rounding", unspent=unspent,
                                                        step=BUDGET_STEP)
        if fallback_reason else unspent_reason(problem, solution, unspent, target_roi, confidence, lang),
        break_even_roi=None if break_even is None else round(break_even, 2), warnings=warnings,
        next_1000=round(float(more.gmv.sum(axis=0).mean() - outcome.gmv.sum(axis=0).mean()), 2),
        shop_curve=curve_points, fallback="todays_mix" if fallback_reason else None, fallback_reason=fallback_reason,
        method={"confidence": confidence, "fallback": "todays_mix" if fallback_reason else "none",
                "backtest": self_check.summary(),
                "max_extrapolation": MAX_EXTRAPOLATION, "safety_quantile": SAFETY_QUANTILE,
                "roi_floor_planned": round(solution.roi_floor, 3), "history_days": HISTORY_DAYS,
                "seed": seed,
                "curves": "Hill clicks curve x GMV per click falling as a power of spend; grid posterior, slopes and "
                          "category priors by empirical Bayes; calibrated by a rolling-origin backtest; below a "
                          "SKU's least spend, between the straight line and the fitted bulge at the share the shop's "
                          "lowest-spend days bore out",
                "optimiser": "bisection on the common marginal-ROI threshold (per-SKU grid argmax handles S-shaped "
                             "curves), greedy fill of what is left; ROI checked under the platform's target-ROI rule "
                             "in every posterior draw"},
    )


def _not_on_sale(panel: ShopPanel, as_of: date, sku_ids: list[str], lang: Language) -> list[Allocation]:
    """A row, and the reason, for each SKU the merchant asked about that is delisted or unpriced on as_of."""
    index = panel.catalog.index()
    nothing = dict(daily_budget=0.0, expected_spend=0.0, expected_gmv=0.0, gmv_low=0.0, gmv_high=0.0,
                   expected_roi=None, target_roi=None, marginal_roi=None, current_spend=None, current_target_roi=None,
                   break_even_roi=None, eligible=False, has_history=False)
    reason = say(lang, "promotion", "not_on_sale", as_of=as_of)
    return [Allocation(sku_id=sku, title=panel.catalog.titles[index[sku]],
                       category=panel.catalog.categories[index[sku]], reason=reason, **nothing)
            for sku in sorted(sku_ids)]


def _allocations(panel: ShopPanel, as_of: date, checks: list[SkuEligibility], curves: dict[str, ResponseCurve],
                 problem: BudgetProblem, solution: BudgetSolution, outcome: PlanOutcome, todays_mix: bool,
                 lang: Language) -> list[Allocation]:
    end = (as_of - panel.days[0]).days + 1
    index = panel.catalog.index()
    planned = {curve.sku_id: position for position, curve in enumerate(problem.curves)}
    expected_spend = outcome.spend.mean(axis=1)
    marginal = (problem.arrays.marginal_gmv(expected_spend[:, None])[:, 0, :].mean(axis=1)
                if problem.curves else np.zeros(0))
    low, high = (np.quantile(outcome.gmv, INTERVAL, axis=1) if problem.curves else np.zeros((2, 0)))
    rows = []
    for check in checks:
        row = index[check.sku_id]
        curve = curves.get(check.sku_id)
        current_target = panel.target_roi[row, end - 1]
        base = dict(sku_id=check.sku_id, title=panel.catalog.titles[row], category=panel.catalog.categories[row],
                    current_spend=None if curve is None else curve.current_spend,
                    current_target_roi=None if np.isnan(current_target) else round(float(current_target), 2),
                    break_even_roi=check.break_even_roi, eligible=check.eligible)
        if check.sku_id not in planned:
            reason = joined(check.reasons, lang) if check.reasons else say(lang, "promotion", "no_history")
            rows.append(Allocation(**base, daily_budget=0.0, expected_spend=0.0, expected_gmv=0.0, gmv_low=0.0,
                                   gmv_high=0.0, expected_roi=None, target_roi=None, marginal_roi=None,
                                   reason=reason, has_history=curve is not None, notes=[]))
            continue
        p = planned[check.sku_id]
        budget = float(outcome.budget[p])
        spend, gmv = outcome.spend[p], outcome.gmv[p]
        mean_spend, mean_gmv = float(spend.mean()), float(gmv.mean())
        if todays_mix:
            parts = [say(lang, "promotion", "todays_share" if budget > 0 else "todays_none",
                         current=curve.current_spend), *check.notes]
        else:
            parts = funded_reason(curve, check, budget, p, float(marginal[p]), problem, solution, lang)
        rows.append(Allocation(
            **base, daily_budget=budget, expected_spend=round(mean_spend, 2), expected_gmv=round(mean_gmv, 2),
            gmv_low=round(float(low[p]), 2), gmv_high=round(float(high[p]), 2),
            expected_roi=round(mean_gmv / mean_spend, 2) if mean_spend > 0 else None,
            target_roi=round(float(outcome.target[p]), 1) if budget > 0 else None,
            marginal_roi=round(float(marginal[p]), 2) if budget > 0 else None, reason=joined(parts, lang),
            notes=parts[1:]))
    rows.sort(key=lambda allocation: (-allocation.daily_budget, not allocation.eligible, allocation.sku_id))
    return rows
