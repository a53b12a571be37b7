"""Why a full-site promotion plan looks the way it does, in the merchant's words.

Each SKU's reason for its budget (or for none), the plan's warnings (a target ROI below break-even, a shop-wide
conversion break), what stopped more spending and why any of the budget is left unspent.
"""

from __future__ import annotations

from datetime import date

from shopagent.tools.panel import ShopPanel
from shopagent.tools.promotion_eligibility import Eligibility, SkuEligibility
from shopagent.tools.promotion_optimiser import BUDGET_STEP, MAX_EXTRAPOLATION, BudgetProblem, BudgetSolution
from shopagent.tools.promotion_response import ResponseCurve
from shopagent.tools.promotion_results import Allocation
from shopagent.tools.promotion_shifts import conversion_shift


def funded_reason(curve: ResponseCurve, check: SkuEligibility, budget: float, target: float, marginal: float,
                  problem: BudgetProblem, solution: BudgetSolution) -> str:
    """Why a planned-for SKU got its budget, or none: its marginal ROI against the cut-off, and its caveats."""
    cut_off = solution.threshold
    if budget <= 0:
        first = curve.expected_gmv(100.0) / 100.0
        if first < problem.target_roi and solution.roi_binds:
            return (f"even ¥100/day returns ROI {first:.1f}, below the {problem.target_roi:g} target: the other SKUs "
                    "carry the blended ROI better")
        return (f"other SKUs buy more GMV per extra yuan: its first ¥100 returns {first:.1f} per yuan, the cut-off "
                f"is {cut_off:.2f}")
    if marginal >= 0.9 * cut_off:
        parts = [f"its last yuan returns {marginal:.2f} of GMV, near the plan's cut-off of {cut_off:.2f}"]
    else:
        # funded from what rounding the other budgets down to tens left over: the best use of those last yuan
        parts = [f"its last yuan returns {marginal:.2f} of GMV, below the plan's cut-off of {cut_off:.2f}: it takes "
                 "the yuan left after the other budgets were rounded to tens, where they buy the most"]
    if budget > curve.spend_high * 1.05:
        parts.append(f"above the most it usually spends (¥{curve.spend_high:,.0f}/day), so the curve extrapolates")
    if curve.shift_date is not None and curve.shift_ratio is not None:
        parts.append(f"its response changed to {curve.shift_ratio:.0%} of before on {curve.shift_date}; the plan "
                     "uses the level since then")
    if curve.prior_share > 0.8:
        parts.append("its spend hardly varied, so the curve's shape leans on its category")
    parts.extend(check.notes)
    return "; ".join(parts)


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
                  break_even: float | None, min_roi_per_sku: float | None) -> list[str]:
    """Warnings for the whole plan: targets below break-even, shop-level notes, a shop-wide conversion break."""
    warnings = []
    if break_even is not None and target_roi < break_even:
        warnings.append(f"target ROI {target_roi:g} is below the break-even ROI {break_even:.2f} (1 / gross margin "
                        "after refunds): at this target every yuan of promoted GMV loses money")
    if min_roi_per_sku is not None and break_even is not None and min_roi_per_sku < break_even:
        warnings.append(f"--min-roi-per-sku {min_roi_per_sku:g} is below the break-even ROI {break_even:.2f}")
    if eligibility.shop.note:
        warnings.append(eligibility.shop.note)
    shift = conversion_shift(panel, as_of=as_of)
    if shift is not None:
        warnings.append(f"shop-wide conversion changed to {shift.ratio:.0%} of before from {shift.start}; the curves "
                        "use the level since then")
    return warnings


def limited_by(problem: BudgetProblem, solution: BudgetSolution) -> str:
    """What stopped more spending: the budget, the target ROI, the curves, or nothing to fund."""
    if not problem.curves:
        return "nothing_to_fund"
    if solution.roi_binds:
        return "target_roi"
    return "budget" if solution.threshold > 0 else "curves"


def unspent_reason(problem: BudgetProblem, solution: BudgetSolution, unspent: float, target_roi: float,
                   confidence: float) -> str:
    """Why part of the budget is left unspent, in yuan and in the merchant's terms."""
    if not problem.curves:
        return "no eligible SKU has full-site promotion history to plan with"
    if solution.roi_binds:
        return (f"¥{unspent:,.0f} left unspent on purpose: spending it would pull the blended ROI below "
                f"{target_roi:g} (the plan holds it with {confidence:.0%} confidence); the next yuan would "
                f"return only {solution.threshold:.2f}")
    if solution.threshold == 0:
        return (f"¥{unspent:,.0f} left unspent: every eligible SKU is at the most worth spending (up to "
                f"{MAX_EXTRAPOLATION:g}x its highest daily spend so far; beyond that its curve is a guess)")
    return f"¥{unspent:,.0f} left over from rounding budgets down to whole ¥{BUDGET_STEP:.0f}"
