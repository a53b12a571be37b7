"""`plan promotion`: split a daily full-site promotion (全站推广) budget across SKUs for the most GMV at a held ROI.

Maximise expected GMV subject to the daily budgets summing to at most the budget and the blended ROI
(投产比) holding at a conservative quantile of the curves. The Lagrangian is separable per SKU: for a common
marginal-ROI threshold each SKU's best spend is read off its own curve on a grid (its upper concave hull, so
S-shaped curves are handled exactly, not by a local step). The threshold is the lowest at which both the
budget and the ROI floor hold, found by bisection, and what the grid leaves over is filled greedily. The plan
is then run through the platform's target-ROI rule in every posterior draw of the curves; when the blended
ROI would miss the target in more than 1 draw in 20, the planned ROI floor is raised (and a price on
variance steers money toward well-measured curves) until it holds. Expected figures come from those draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.errors import ShopError
from shopagent.tools.panel import ShopPanel, data_dates, load_panel
from shopagent.tools.promotion_curves import CurveArrays, ResponseCurve, conversion_shift, fit_response_curves
from shopagent.tools.promotion_eligibility import Eligibility, SkuEligibility, check_eligibility
from shopagent.tools.store import Shop

HISTORY_DAYS = 180
CONFIDENCE = 0.99  # the blended ROI holds with this probability: the merchant would rather under-spend than miss
MAX_EXTRAPOLATION = 2.0  # budgets stay within half the least and twice the most a SKU usually spends
SAFETY_QUANTILE = 0.05  # a SKU's target ROI is at most what its curve beats in 19 of 20 draws
MIN_BUDGET = 30.0  # the smallest daily budget worth setting up a plan for
BUDGET_STEP = 10.0  # budgets as a merchant types them: whole tens of yuan
GRID = 40
CURVE_MULTIPLES = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
INTERVAL = (0.1, 0.9)


class Allocation(BaseModel):
    """One SKU's share of the budget, what it is expected to bring, and why."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    title: str
    category: str
    daily_budget: float
    expected_spend: float
    expected_gmv: float
    gmv_low: float  # 80% interval of the SKU's attributed GMV per day
    gmv_high: float
    expected_roi: float | None
    target_roi: float | None  # suggested target ROI to set for this SKU in the platform
    marginal_roi: float | None  # GMV the last yuan it is expected to spend buys
    current_spend: float | None
    current_target_roi: float | None
    break_even_roi: float | None
    eligible: bool
    reason: str


class Expected(BaseModel):
    """Plan totals per day."""

    model_config = ConfigDict(frozen=True)

    spend: float
    gmv: float
    roi: float
    gmv_low: float
    gmv_high: float
    roi_low: float  # the blended ROI is at least this with the plan's confidence


class CurvePoint(BaseModel):
    """The shop's budget -> GMV curve at the plan's target ROI: the best plan at each budget."""

    model_config = ConfigDict(frozen=True)

    budget: float
    spend: float
    gmv: float
    roi: float


class PromotionPlan(BaseModel):
    """Per-SKU daily budgets and target ROIs for 全站推广, with the expected outcome and the budget curve."""

    model_config = ConfigDict(frozen=True)

    budget: float
    target_roi: float
    as_of: date
    horizon_days: int
    allocations: list[Allocation]
    expected: Expected
    unspent_budget: float
    unspent_reason: str | None
    limited_by: Literal["budget", "target_roi", "curves", "nothing_to_fund"]  # what stopped more spending
    break_even_roi: float | None
    warnings: list[str]
    next_1000: float  # extra expected GMV per day if the budget were ¥1,000 higher
    shop_curve: list[CurvePoint]
    method: dict[str, str | float]


def plan_promotion(shop: Shop, *, budget: float, target_roi: float, sku_ids: list[str] | None = None,
                   min_roi_per_sku: float | None = None, as_of: date | None = None, horizon_days: int = 14,
                   confidence: float = CONFIDENCE, seed: int = 0) -> PromotionPlan:
    """Split a daily full-site promotion budget across SKUs for the most GMV while the blended ROI holds."""
    first, last = data_dates(shop)
    as_of = as_of or last
    if not first <= as_of <= last:
        raise ShopError(f"--as-of {as_of} is outside the data, which runs {first}..{last}")
    panel = load_panel(shop, max(first, as_of - timedelta(days=HISTORY_DAYS - 1)), as_of)
    return plan_from_panel(panel, as_of=as_of, budget=budget, target_roi=target_roi, sku_ids=sku_ids,
                           min_roi_per_sku=min_roi_per_sku, horizon_days=horizon_days, confidence=confidence,
                           seed=seed)


def plan_from_panel(panel: ShopPanel, *, as_of: date, budget: float, target_roi: float,
                    sku_ids: list[str] | None = None, min_roi_per_sku: float | None = None,
                    horizon_days: int = 14, confidence: float = CONFIDENCE, seed: int = 0,
                    curves: dict[str, ResponseCurve] | None = None) -> PromotionPlan:
    """The plan over an already-loaded panel (the what-if simulator and the benchmark reuse theirs)."""
    if budget <= 0:
        raise ShopError(f"--budget must be more than 0 yuan a day (got {budget})")
    if target_roi <= 0:
        raise ShopError(f"--target-roi must be more than 0 (got {target_roi}); 3 means ¥3 of GMV per ¥1 spent")
    if not 0.5 <= confidence < 1.0:
        raise ShopError(f"confidence must be at least 0.5 and below 1 (got {confidence})")
    if not panel.tables_present.get("promotion_daily", False):
        raise ShopError("the shop has no promotion_daily rows: import full-site promotion history to plan budgets")
    known = set(panel.catalog.sku_ids)
    wanted = list(dict.fromkeys(sku_ids or []))
    unknown = [sku for sku in wanted if sku not in known]
    if unknown:
        raise ShopError(f"unknown SKU(s) {', '.join(unknown)}; see `shopagent sql \"SELECT sku_id FROM products\"`")
    curves = curves if curves is not None else fit_response_curves(panel, as_of=as_of, seed=seed)
    eligibility = check_eligibility(panel, as_of=as_of, horizon_days=horizon_days)
    checks = [check for check in eligibility.skus if not wanted or check.sku_id in wanted]
    chosen = [check for check in checks if check.eligible and check.sku_id in curves]
    problem = _Problem.build([curves[check.sku_id] for check in chosen], budget, target_roi, min_roi_per_sku,
                             NormalDist().inv_cdf(confidence))
    solution, outcome = problem.plan(budget)
    margin = solution.roi_floor / target_roi
    curve_points = [problem.execute(problem.solve(budget * multiple, target_roi * margin), budget * multiple)
                    .point(budget * multiple) for multiple in CURVE_MULTIPLES]
    more = problem.execute(problem.solve(budget + 1000.0, target_roi * margin), budget + 1000.0)
    allocations = _allocations(panel, as_of, checks, curves, problem, solution, outcome)
    margins = {check.sku_id: check.gross_margin for check in checks}
    break_even = _break_even(allocations, margins, curves)
    warnings = _warnings(panel, as_of, eligibility, target_roi, break_even, min_roi_per_sku)
    spent = float(sum(allocation.daily_budget for allocation in allocations))
    unspent = round(budget - spent, 2)
    return PromotionPlan(
        budget=budget, target_roi=target_roi, as_of=as_of, horizon_days=horizon_days, allocations=allocations,
        expected=outcome.totals(problem.z), unspent_budget=unspent, limited_by=_limited_by(problem, solution),
        unspent_reason=_unspent_reason(problem, solution, unspent, target_roi, confidence) if unspent >= 0.5 else None,
        break_even_roi=None if break_even is None else round(break_even, 2), warnings=warnings,
        next_1000=round(float(more.gmv.sum(axis=0).mean() - outcome.gmv.sum(axis=0).mean()), 2),
        shop_curve=curve_points,
        method={"confidence": confidence, "max_extrapolation": MAX_EXTRAPOLATION, "safety_quantile": SAFETY_QUANTILE,
                "roi_floor_planned": round(solution.roi_floor, 3), "history_days": float(HISTORY_DAYS),
                "seed": float(seed),
                "curves": "Hill clicks curve x GMV per click; grid posterior, category priors by empirical Bayes",
                "optimiser": "bisection on the common marginal-ROI threshold (per-SKU grid argmax handles S-shaped "
                             "curves), greedy fill of what is left; ROI checked under the platform's target-ROI rule "
                             "in every posterior draw"},
    )


@dataclass
class _Solution:
    cell: np.ndarray  # chosen grid cell per SKU (0 = no budget)
    threshold: float  # marginal GMV per yuan every funded SKU is taken to
    roi_binds: bool  # the ROI floor, not the budget, set the threshold
    roi_floor: float  # the blended ROI the spends were planned at (the target plus any safety margin)


@dataclass
class _Outcome:
    budget: np.ndarray  # (sku,) daily budgets to set
    target: np.ndarray  # (sku,) target ROIs to set
    spend: np.ndarray  # (sku, draw) what the platform spends in each posterior draw
    gmv: np.ndarray  # (sku, draw)

    def roi_low(self, z: float) -> float:
        """The blended ROI's lower bound: a sum over many SKUs' independent errors is close to normal, and the
        normal quantile is steadier than the 2nd-lowest of 200 draws."""
        spend, gmv = self.spend.sum(axis=0), self.gmv.sum(axis=0)
        if spend.mean() <= 0:
            return float("inf")
        roi = gmv / np.maximum(spend, 1e-9)
        return float(roi.mean() - z * roi.std())

    def totals(self, z: float) -> Expected:
        spend, gmv = self.spend.sum(axis=0), self.gmv.sum(axis=0)
        mean_spend, mean_gmv = float(spend.mean()), float(gmv.mean())
        return Expected(spend=round(mean_spend, 2), gmv=round(mean_gmv, 2),
                        roi=round(mean_gmv / mean_spend, 2) if mean_spend > 0 else 0.0,
                        gmv_low=round(float(np.quantile(gmv, INTERVAL[0])), 2),
                        gmv_high=round(float(np.quantile(gmv, INTERVAL[1])), 2),
                        roi_low=round(self.roi_low(z), 2) if mean_spend > 0 else 0.0)

    def point(self, budget: float) -> CurvePoint:
        spend, gmv = float(self.spend.sum(axis=0).mean()), float(self.gmv.sum(axis=0).mean())
        return CurvePoint(budget=round(budget, 2), spend=round(spend, 2), gmv=round(gmv, 2),
                          roi=round(gmv / spend, 2) if spend > 0 else 0.0)


@dataclass
class _Problem:
    """The eligible SKUs' curves tabulated on a spend grid, and the merchant's constraints."""

    curves: list[ResponseCurve]
    arrays: CurveArrays
    spend: np.ndarray  # (sku, cell), cell 0 is no budget
    mean: np.ndarray  # (sku, cell) expected GMV
    variance: np.ndarray  # (sku, cell) its posterior variance
    allowed: np.ndarray  # (sku, cell) False where a per-SKU ROI floor rules the cell out
    target_roi: float
    min_roi: float | None
    z: float  # normal quantile of the confidence the blended ROI must hold with
    risk: float = 0.0  # price of variance: > 0 once the ROI floor binds, so risky SKUs give way to sure ones

    @classmethod
    def build(cls, curves: list[ResponseCurve], budget: float, target_roi: float, min_roi_per_sku: float | None,
              z: float) -> _Problem:
        arrays = CurveArrays.of(curves)
        n = len(curves)
        # the spends the data support: from half the least to twice the most a SKU usually spends (a curve
        # fitted to ¥100-200 days says little about ¥20 or ¥800 days, and errs high at both ends)
        top = np.array([max(c.spend_high, c.current_spend) * MAX_EXTRAPOLATION for c in curves]).reshape(n)
        top = np.minimum(np.maximum(top, MIN_BUDGET), max(budget, MIN_BUDGET))
        low = np.array([min(c.spend_low, c.current_spend) / MAX_EXTRAPOLATION for c in curves]).reshape(n)
        low = np.minimum(np.maximum(low, MIN_BUDGET), top)
        steps = np.linspace(0.0, 1.0, GRID - 1)[None, :]
        spend = np.concatenate([np.zeros((n, 1)), low[:, None] * (top[:, None] / low[:, None]) ** steps], axis=1)
        draws = arrays.gmv(spend) if n else np.zeros((0, GRID, 1))
        mean = draws.mean(axis=2)
        allowed = np.ones(spend.shape, dtype=bool)
        if min_roi_per_sku is not None:
            allowed = (mean >= min_roi_per_sku * spend) | (spend == 0)
        return cls(curves=curves, arrays=arrays, spend=spend, mean=mean, variance=draws.var(axis=2), allowed=allowed,
                   target_roi=target_roi, min_roi=min_roi_per_sku, z=z)

    def _pick(self, threshold: float) -> np.ndarray:
        """Each SKU's best cell when a yuan must buy at least `threshold` of GMV (the upper concave hull)."""
        value = self.mean - self.risk * self.variance - threshold * self.spend
        return np.where(self.allowed, value, -np.inf).argmax(axis=1)

    def _totals(self, cell: np.ndarray) -> tuple[float, float]:
        rows = np.arange(cell.size)
        return float(self.spend[rows, cell].sum()), float(self.mean[rows, cell].sum())

    def _lowest(self, ok) -> float:  # noqa: ANN001 - a predicate on cells
        """The lowest threshold whose cells pass `ok` (it passes at the top, where nothing is funded)."""
        if ok(self._pick(0.0)):
            return 0.0
        lo, hi = 0.0, float(np.max(self.mean[:, 1:] / self.spend[:, 1:], initial=0.0)) + 1.0
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if ok(self._pick(mid)) else (mid, hi)
        return hi

    def solve(self, budget: float, roi_floor: float) -> _Solution:
        """Equalise marginal ROI: the lowest common threshold at which the budget and the ROI floor both hold."""
        if not self.curves:
            return _Solution(cell=np.zeros(0, dtype=int), threshold=0.0, roi_binds=False, roi_floor=roi_floor)

        def fits(cell: np.ndarray) -> bool:
            return self._totals(cell)[0] <= budget

        def holds(cell: np.ndarray) -> bool:
            spend, gmv = self._totals(cell)
            return gmv >= roi_floor * spend

        by_budget, by_roi = self._lowest(fits), self._lowest(holds)
        threshold = max(by_budget, by_roi)
        cell = self._fill(self._pick(threshold), budget, roi_floor)
        return _Solution(cell=cell, threshold=threshold, roi_binds=by_roi > by_budget, roi_floor=roi_floor)

    def _fill(self, cell: np.ndarray, budget: float, roi_floor: float) -> np.ndarray:
        """Greedy increments: spend what the threshold left over where it buys the most GMV per yuan."""
        rows = np.arange(cell.size)
        cell = cell.copy()
        for _ in range(100):
            spent, gmv = self._totals(cell)
            extra_spend = self.spend - self.spend[rows, cell][:, None]
            extra_gmv = self.mean - self.mean[rows, cell][:, None]
            ok = (self.allowed & (extra_spend > 0) & (extra_spend <= budget - spent) & (extra_gmv > 0)
                  & (gmv + extra_gmv >= roi_floor * (spent + extra_spend)))
            if not ok.any():
                break
            rate = np.where(ok, extra_gmv / np.where(extra_spend > 0, extra_spend, 1.0), -np.inf)
            row, target = np.unravel_index(int(rate.argmax()), rate.shape)
            cell[row] = target
        return cell

    def plan(self, budget: float) -> tuple[_Solution, _Outcome]:
        """Solve, then raise the planned ROI floor until the plan, as the platform runs it, holds the target."""
        solution = self.solve(budget, self.target_roi)
        outcome = self.execute(solution, budget)
        if outcome.roi_low(self.z) >= self.target_roi:
            return solution, outcome
        # the quantile of the blend is mean - z sqrt(total variance); linearised around this plan, each SKU's
        # variance costs z / (2 sqrt(total)) per unit, which steers money toward curves the data pin down
        rows = np.arange(solution.cell.size)
        total_variance = float(self.variance[rows, solution.cell].sum())
        if total_variance > 0:
            self.risk = self.z / (2.0 * np.sqrt(total_variance))
        lo, hi = self.target_roi, self.target_roi * 1.05
        while True:
            trial = self.solve(budget, hi)
            trial_outcome = self.execute(trial, budget)
            if trial_outcome.roi_low(self.z) >= self.target_roi or hi > 10 * self.target_roi:
                break
            lo, hi = hi, hi * 1.1
        solution, outcome = trial, trial_outcome
        for _ in range(12):
            mid = 0.5 * (lo + hi)
            trial = self.solve(budget, mid)
            trial_outcome = self.execute(trial, budget)
            if trial_outcome.roi_low(self.z) >= self.target_roi:
                solution, outcome, hi = trial, trial_outcome, mid
            else:
                lo = mid
        return solution, outcome

    def execute(self, solution: _Solution, budget: float) -> _Outcome:
        """Budgets and target ROIs to set, and what the platform's rule spends with them in every posterior draw.

        Budgets are the planned spends: a budget is what the platform reliably spends, so the blend is steered
        by budgets. Each target ROI sits below the SKU's planned ROI by the blend's slack and never above
        what its curve beats in 19 of 20 draws: a safety net that stops a SKU whose response turns out far
        worse than its curve, without making the platform hold back on an ordinary day.
        """
        n = len(self.curves)
        rows = np.arange(n)
        planned, expected = self.spend[rows, solution.cell], self.mean[rows, solution.cell]
        budgets = np.floor(planned / BUDGET_STEP) * BUDGET_STEP
        budgets = np.where(budgets >= MIN_BUDGET, budgets, 0.0)
        if n == 0:
            return _Outcome(budget=budgets, target=np.zeros(0), spend=np.zeros((0, 1)), gmv=np.zeros((0, 1)))
        at_budget = self.arrays.gmv(budgets[:, None])[:, 0, :] / np.maximum(budgets, 1e-9)[:, None]
        total = float(planned.sum())
        blended = float(expected.sum()) / total if total > 0 else 0.0
        slack = min(1.0, self.target_roi / blended) if blended > 0 else 1.0
        net = np.minimum(np.quantile(at_budget, SAFETY_QUANTILE, axis=1), at_budget.mean(axis=1) * slack)
        targets = np.floor(net * 10.0) / 10.0
        targets = np.where(budgets > 0, np.maximum(targets, max(self.min_roi or 0.0, 0.1)), 0.0)
        spend = self.arrays.platform_spend(budgets, np.where(budgets > 0, targets, 1.0))
        spend = np.where(budgets[:, None] > 0, spend, 0.0)
        return _Outcome(budget=budgets, target=targets, spend=spend, gmv=self.arrays.gmv_per_draw(spend))


def _allocations(panel: ShopPanel, as_of: date, checks: list[SkuEligibility], curves: dict[str, ResponseCurve],
                 problem: _Problem, solution: _Solution, outcome: _Outcome) -> list[Allocation]:
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
            reason = "; ".join(check.reasons) if check.reasons else (
                "no full-site promotion history to fit a curve: try a small test budget (e.g. ¥100/day for two "
                "weeks) to learn how it responds")
            rows.append(Allocation(**base, daily_budget=0.0, expected_spend=0.0, expected_gmv=0.0, gmv_low=0.0,
                                   gmv_high=0.0, expected_roi=None, target_roi=None, marginal_roi=None,
                                   reason=reason))
            continue
        p = planned[check.sku_id]
        budget = float(outcome.budget[p])
        spend, gmv = outcome.spend[p], outcome.gmv[p]
        mean_spend, mean_gmv = float(spend.mean()), float(gmv.mean())
        reason = _funded_reason(curve, check, budget, float(outcome.target[p]), float(marginal[p]), problem,
                                solution)
        rows.append(Allocation(
            **base, daily_budget=budget, expected_spend=round(mean_spend, 2), expected_gmv=round(mean_gmv, 2),
            gmv_low=round(float(low[p]), 2), gmv_high=round(float(high[p]), 2),
            expected_roi=round(mean_gmv / mean_spend, 2) if mean_spend > 0 else None,
            target_roi=round(float(outcome.target[p]), 1) if budget > 0 else None,
            marginal_roi=round(float(marginal[p]), 2) if budget > 0 else None, reason=reason))
    rows.sort(key=lambda allocation: (-allocation.daily_budget, not allocation.eligible, allocation.sku_id))
    return rows


def _funded_reason(curve: ResponseCurve, check: SkuEligibility, budget: float, target: float, marginal: float,
                   problem: _Problem, solution: _Solution) -> str:
    cut_off = solution.threshold
    if budget <= 0:
        first = curve.expected_gmv(100.0) / 100.0
        if first < problem.target_roi and solution.roi_binds:
            return (f"even ¥100/day returns ROI {first:.1f}, below the {problem.target_roi:g} target: the other SKUs "
                    "carry the blended ROI better")
        return (f"other SKUs buy more GMV per extra yuan: its first ¥100 returns {first:.1f} per yuan, the cut-off "
                f"is {cut_off:.2f}")
    parts = [f"its last yuan returns {marginal:.2f} of GMV, near the plan's cut-off of {cut_off:.2f}"]
    if budget > curve.spend_high * 1.05:
        parts.append(f"above the most it usually spends (¥{curve.spend_high:,.0f}/day), so the curve extrapolates")
    if curve.shift_date is not None and curve.shift_ratio is not None:
        parts.append(f"its response changed to {curve.shift_ratio:.0%} of before on {curve.shift_date}; the plan "
                     "uses the level since then")
    if curve.prior_share > 0.8:
        parts.append("its spend hardly varied, so the curve's shape leans on its category")
    parts.extend(check.notes)
    return "; ".join(parts)


def _break_even(allocations: list[Allocation], margins: dict[str, float | None],
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


def _warnings(panel: ShopPanel, as_of: date, eligibility: Eligibility, target_roi: float,
              break_even: float | None, min_roi_per_sku: float | None) -> list[str]:
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


def _limited_by(problem: _Problem, solution: _Solution) -> str:
    if not problem.curves:
        return "nothing_to_fund"
    if solution.roi_binds:
        return "target_roi"
    return "budget" if solution.threshold > 0 else "curves"


def _unspent_reason(problem: _Problem, solution: _Solution, unspent: float, target_roi: float,
                    confidence: float) -> str:
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

