"""Why a full-site promotion plan looks the way it does, in the merchant's words.

Each SKU's reason for its budget (or for none), the plan's warnings (a target ROI below break-even, a shop-wide
conversion break), what stopped more spending and why any of the budget is left unspent.
"""

from __future__ import annotations

from datetime import date
from statistics import NormalDist

import numpy as np

from shopagent.tools.panel import ShopPanel
from shopagent.tools.promotion_eligibility import Eligibility, SkuEligibility
from shopagent.tools.promotion_optimiser import BUDGET_STEP, MAX_EXTRAPOLATION, BudgetProblem, BudgetSolution
from shopagent.tools.promotion_response import ResponseCurve
from shopagent.tools.promotion_results import Allocation
from shopagent.tools.promotion_shifts import conversion_shift
from shopagent.tools.wording import Language, say

SHORT_HISTORY_DAYS = 28  # fewer promoted days than four weeks: the curves are a first guess


def funded_reason(curve: ResponseCurve, check: SkuEligibility, budget: float, position: int, marginal: float,
                  problem: BudgetProblem, solution: BudgetSolution, lang: Language = "en") -> list[str]:
    """Why a planned-for SKU got its budget, or none (its marginal ROI against the cut-off), then its caveats."""
    cut_off = solution.threshold
    if budget <= 0:
        return [_unfunded_reason(curve, position, problem, solution, lang)]
    at_cap = budget >= 0.95 * MAX_EXTRAPOLATION * curve.spend_high
    if marginal > 1.1 * cut_off:
        # more would pay, but past what the SKU's own history can vouch for
        key = "at_spend_cap" if at_cap else "above_cut_off"
    elif marginal >= 0.9 * cut_off:
        key = "near_cut_off"
    else:
        # funded from what rounding the other budgets down to tens left over: the best use of those last yuan
        key = "rounding_top_up"
    parts = [say(lang, "promotion", key, marginal=marginal, cut_off=cut_off, times=MAX_EXTRAPOLATION)]
    if budget > curve.spend_high * 1.05:
        parts.append(say(lang, "promotion", "extrapolates", spend_high=curve.spend_high))
    if curve.shift_date is not None and curve.shift_ratio is not None and curve.shift_belief is not None:
        parts.append(say(lang, "promotion", "response_shift_doubted", ratio=curve.shift_ratio, since=curve.shift_date,
                         chance=1.0 - curve.shift_belief, belief=curve.shift_belief))
    elif curve.shift_date is not None and curve.shift_ratio is not None:
        parts.append(say(lang, "promotion", "response_shift", ratio=curve.shift_ratio, since=curve.shift_date))
    if curve.prior_share > 0.8:
        parts.append(say(lang, "promotion", "shape_borrowed"))
    parts.extend(check.notes)
    return parts


def _unfunded_reason(curve: ResponseCurve, position: int, problem: BudgetProblem, solution: BudgetSolution,
                     lang: Language) -> str:
    """Why a SKU with a curve gets no budget: it never pays the target, the curve is too unsure to promise it
    (nothing in the plan is funded), or other SKUs buy more GMV with the next yuan.

    Its best figure is read over the budgets its history supports, not at one spend: an S-shaped curve that
    loses money at ¥100/day can pay at ¥300/day.
    """
    spends, means = problem.spend[position, 1:], problem.mean[position, 1:]
    roi = np.where(problem.allowed[position, 1:], means / spends, -np.inf)
    best = int(roi.argmax())
    if roi[best] < problem.target_roi:
        return say(lang, "promotion", "never_reaches_target", target=problem.target_roi, best=max(roi[best], 0.0),
                   at=spends[best], low=spends[0], high=spends[-1])
    if not solution.cell.any():
        return say(lang, "promotion", "not_sure_enough", target=problem.target_roi, best=roi[best], at=spends[best],
                   confidence=NormalDist().cdf(problem.z))
    return say(lang, "promotion", "outbid", first=curve.expected_gmv(100.0) / 100.0, cut_off=solution.threshold)


def joined(parts: list[str], lang: Language) -> str:
    """Clauses of one explanation as a sentence of the language."""
    return ("；" if lang == "zh" else "; ").join(parts)


def blended_break_even(allocations: list[Allocation], margins: dict[str, float | None],
                       curves: dict[str, ResponseCurve]) -> float | None:
    """1 / GMV-weighted gross margin after refunds of the funded SKUs (or of all planned-for SKUs)."""
    funded = [a for a in allocations if a.daily_budget > 0 and margins.get(a.sku_id) is not None]
    if funded:
        weights = {a.sku_id: a.expected_gmv for a in funded}
    else:
        weights = {a.sku_id: curves[a.sku_id].expected_gmv(curves[a.sku_id].current_spend) for a in allocations
                   if a.sku_id in curves and margins.get(a.sku_id) is not None}
    total = sum(weights.values())
    if total <= 0:
        return None
    margin = sum(weight * (margins[sku] or 0.0) for sku, weight in weights.items()) / total
    return 1.0 / margin if margin > 0 else None


def plan_warnings(panel: ShopPanel, as_of: date, eligibility: Eligibility, target_roi: float,
                  break_even: float | None, min_roi_per_sku: float | None, lang: Language = "en") -> list[str]:
    """Warnings for the whole plan: targets below break-even, shop-level notes, a shop-wide conversion break."""
    warnings = []
    if break_even is not None and target_roi < break_even:
        warnings.append(say(lang, "promotion", "below_break_even", target=target_roi, break_even=break_even))
    if min_roi_per_sku is not None and break_even is not None and min_roi_per_sku < break_even:
        warnings.append(say(lang, "promotion", "min_roi_below_break_even", min_roi=min_roi_per_sku,
                            break_even=break_even))
    if eligibility.shop.note:
        warnings.append(eligibility.shop.note)
    # the checks an absent optional table skipped, said as plainly as the missing shop_scores table is
    for table in ("refunds", "reviews", "competitor_prices"):
        if not panel.tables_present.get(table, False):
            warnings.append(say(lang, "promotion", f"no_{table}"))
    end = (as_of - panel.days[0]).days + 1
    promoted_days = int((panel.ad_spend[:, :end] > 0).any(axis=0).sum())
    if 0 < promoted_days < SHORT_HISTORY_DAYS:
        warnings.append(say(lang, "promotion", "short_history", days=promoted_days))
    shift = conversion_shift(panel, as_of=as_of)
    if shift is not None:
        warnings.append(say(lang, "promotion", "conversion_shift", ratio=shift.ratio, since=shift.start))
    return warnings


def limited_by(problem: BudgetProblem, solution: BudgetSolution) -> str:
    """What stopped more spending: the budget, the target ROI, the curves, or nothing to fund."""
    if not problem.curves:
        return "nothing_to_fund"
    if solution.roi_binds:
        return "target_roi"
    return "budget" if solution.threshold > 0 else "curves"


def unspent_reason(problem: BudgetProblem, solution: BudgetSolution, unspent: float, target_roi: float,
                   confidence: float, lang: Language = "en") -> str:
    """Why part of the budget is left unspent, in yuan and in the merchant's terms."""
    if not problem.curves:
        return say(lang, "promotion", "nothing_to_plan")
    if solution.roi_binds:
        # the cut-off is an expected return; above the target, what stops the plan is how unsure the curves are
        key = "unspent_roi" if solution.threshold < target_roi else "unspent_roi_unsure"
        return say(lang, "promotion", key, unspent=unspent, target=target_roi, confidence=confidence,
                   next_roi=solution.threshold)
    if solution.threshold == 0:
        return say(lang, "promotion", "unspent_curves", unspent=unspent, times=MAX_EXTRAPOLATION)
    return say(lang, "promotion", "unspent_rounding", unspent=unspent, step=BUDGET_STEP)
