"""The budget split behind `plan promotion`: the most expected GMV for a daily budget while the blended ROI holds.

Maximise expected GMV subject to the daily budgets summing to at most the budget and the blended ROI
(投产比) holding at a conservative quantile of the curves. The Lagrangian is separable per SKU: for a common
marginal-ROI threshold each SKU's best spend is read off its own curve on a grid (its upper concave hull, so
S-shaped curves are handled exactly, not by a local step). The threshold is the lowest at which both the
budget and the ROI floor hold, found by bisection, and what the grid leaves over is filled greedily. Budgets
are rounded down to whole tens of yuan and what that leaves is handed out ¥10 at a time. The plan is then run
through the platform's target-ROI rule in every posterior draw of the curves; when the blended
ROI's lower bound at the plan's confidence misses the target, the planned ROI floor is raised (and a price on
variance steers money toward well-measured curves) until it holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopagent.tools.promotion_response import CurveArrays, ResponseCurve
from shopagent.tools.promotion_results import PlanOutcome

MAX_EXTRAPOLATION = 1.25  # budgets stay below 1.25 x the most a SKU usually spends
SAFETY_QUANTILE = 0.05  # a SKU's target ROI is at most what its curve beats in 19 of 20 draws
MIN_BUDGET = 30.0  # the smallest daily budget worth setting up a plan for
BUDGET_STEP = 10.0  # budgets as a merchant types them: whole tens of yuan
GRID = 40


@dataclass
class BudgetSolution:
    """The spends chosen on the grid and what set them."""

    cell: np.ndarray  # chosen grid cell per SKU (0 = no budget)
    threshold: float  # marginal GMV per yuan every funded SKU is taken to
    roi_binds: bool  # the ROI floor, not the budget, set the threshold
    roi_floor: float  # the blended ROI the spends were planned at (the target plus any safety margin)


@dataclass
class BudgetProblem:
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
              z: float, bulge: tuple[float, float] | None = None) -> BudgetProblem:
        arrays = CurveArrays.of(curves, chord_below_seen=True, bulge=bulge)
        n = len(curves)
        # up to a little past the most a SKU usually spends (a curve fitted to ¥100-200 days says little about
        # ¥800 days); down to the smallest budget worth setting up, as every curve runs through GMV(0) = 0, so a
        # spend below the least seen lies between two known points: interpolation, not extrapolation
        top = np.array([max(c.spend_high, c.current_spend) * MAX_EXTRAPOLATION for c in curves]).reshape(n)
        top = np.minimum(np.maximum(top, MIN_BUDGET), max(budget, MIN_BUDGET))
        low = np.minimum(np.full(n, MIN_BUDGET), top)
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

    def solve(self, budget: float, roi_floor: float) -> BudgetSolution:
        """Equalise marginal ROI: the lowest common threshold at which the budget and the ROI floor both hold."""
        if not self.curves:
            return BudgetSolution(cell=np.zeros(0, dtype=int), threshold=0.0, roi_binds=False, roi_floor=roi_floor)

        def fits(cell: np.ndarray) -> bool:
            return self._totals(cell)[0] <= budget

        def holds(cell: np.ndarray) -> bool:
            spend, gmv = self._totals(cell)
            return gmv >= roi_floor * spend

        by_budget, by_roi = self._lowest(fits), self._lowest(holds)
        threshold = max(by_budget, by_roi)
        cell = self._fill(self._pick(threshold), budget, roi_floor)
        return BudgetSolution(cell=cell, threshold=threshold, roi_binds=by_roi > by_budget, roi_floor=roi_floor)

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

    def plan(self, budget: float) -> tuple[BudgetSolution, PlanOutcome]:
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

    def _top_up(self, budgets: np.ndarray, budget: float, roi_floor: float) -> np.ndarray:
        """Spend what rounding down and the coarse grid left over, ¥10 at a time where it buys the most GMV.

        Rounding twenty budgets down to whole tens leaves about ¥100 a day unspent, a few percent of a small budget.
        A SKU without a budget starts at the smallest budget worth setting up.
        """
        budgets = budgets.copy()
        arrays, top = self.arrays, self.spend[:, -1]
        first = np.ceil(np.maximum(self.spend[:, 1], MIN_BUDGET) / BUDGET_STEP) * BUDGET_STEP

        def expected(row: int, amount: float) -> float:
            return float(arrays.row_gmv(row, amount).mean())

        step = np.where(budgets > 0, BUDGET_STEP, first)
        gmv, after = arrays.gmv(np.stack([budgets, budgets + step], axis=1)).mean(axis=2).T
        gain = after - gmv
        spent, total = float(budgets.sum()), float(gmv.sum())
        while True:
            more = budgets + step
            ok = ((spent + step <= budget + 1e-9) & (more <= top + 1e-9) & (gain > 0)
                  & (total + gain >= roi_floor * (spent + step)))
            if self.min_roi is not None:
                ok &= gmv + gain >= self.min_roi * more
            if not ok.any():
                return budgets
            row = int(np.argmax(np.where(ok, gain / step, -np.inf)))
            budgets[row], spent, total, gmv[row] = more[row], spent + step[row], total + gain[row], gmv[row] + gain[row]
            step[row] = BUDGET_STEP
            gain[row] = expected(row, budgets[row] + BUDGET_STEP) - gmv[row]

    def execute(self, solution: BudgetSolution, budget: float) -> PlanOutcome:
        """Budgets and target ROIs to set for a solution, and what the platform's rule spends with them in every
        posterior draw (`run`)."""
        n = len(self.curves)
        rows = np.arange(n)
        planned, expected = self.spend[rows, solution.cell], self.mean[rows, solution.cell]
        budgets = np.floor(planned / BUDGET_STEP) * BUDGET_STEP
        budgets = np.where(budgets >= MIN_BUDGET, budgets, 0.0)
        budgets = self._top_up(budgets, budget, solution.roi_floor)
        return self.run(budgets, float(planned.sum()), float(expected.sum()))

    def todays_mix(self, budget: float) -> PlanOutcome | None:
        """Today's spend mix scaled to the budget (whole tens, each at least the smallest budget worth setting
        up), run as the plan is; None when no SKU spends today."""
        current = np.array([max(curve.current_spend, 0.0) for curve in self.curves])
        if current.sum() <= 0:
            return None
        keep = np.floor(budget * current / current.sum() / BUDGET_STEP) * BUDGET_STEP >= MIN_BUDGET
        if not keep.any():
            return None
        # the few yuan the SKUs too small to set up would have had go to the others, in proportion, and the tens
        # left by rounding down go one each to the largest remainders, so the mix spends the budget as a plan does
        share = budget * np.where(keep, current, 0.0) / current[keep].sum() / BUDGET_STEP
        tens = np.floor(share)
        left = int(np.floor(budget / BUDGET_STEP) - tens.sum())
        tens[np.argsort(-(share - tens), kind="stable")[:max(left, 0)]] += 1.0
        budgets = np.where(keep, tens * BUDGET_STEP, 0.0)
        expected = float(self.arrays.gmv(budgets[:, None])[:, 0, :].mean(axis=1).sum())
        return self.run(budgets, float(budgets.sum()), expected)

    def run(self, budgets: np.ndarray, planned: float, expected: float) -> PlanOutcome:
        """Target ROIs for budgets, and what the platform's rule spends with them in every posterior draw.

        Budgets are the planned spends: a budget is what the platform reliably spends, so the blend is steered
        by budgets. Each target ROI sits below the SKU's planned ROI by the blend's slack (planned GMV
        `expected` over planned spend `planned`) and never above what its curve beats in 19 of 20 draws: a
        safety net that stops a SKU whose response turns out far worse than its curve, without making the
        platform hold back on an ordinary day.
        """
        if budgets.size == 0:
            return PlanOutcome(budget=budgets, target=np.zeros(0), spend=np.zeros((0, 1)), gmv=np.zeros((0, 1)))
        at_budget = self.arrays.gmv(budgets[:, None])[:, 0, :] / np.maximum(budgets, 1e-9)[:, None]
        blended = expected / planned if planned > 0 else 0.0
        slack = min(1.0, self.target_roi / blended) if blended > 0 else 1.0
        net = np.minimum(np.quantile(at_budget, SAFETY_QUANTILE, axis=1), at_budget.mean(axis=1) * slack)
        targets = np.floor(net * 10.0) / 10.0
        targets = np.where(budgets > 0, np.maximum(targets, max(self.min_roi or 0.0, 0.1)), 0.0)
        # the platform's rule is solved on the fitted curve; below the least spend seen the planner believes less
        # GMV than that curve (`CurveArrays.seen_low`), so the rule is rerun at the target raised by the gap where
        # it spent, which stops its spend about where the believed curve, not the fitted one, meets the target
        rule = np.where(budgets > 0, targets, 1.0)[:, None] * np.ones_like(at_budget)
        spend = self.arrays.platform_spend(budgets, rule)
        for _ in range(4):  # per draw: each draw's own shape below the least spend
            fitted = self.arrays.fitted(spend)
            believed, believed_at = self.arrays.gmv_per_draw(spend, fitted), spend
            gap = np.where(believed > 0, np.maximum(fitted / np.maximum(believed, 1e-12), 1.0), 1.0)
            if np.all(gap < 1.0 + 1e-3):
                break
            spend = self.arrays.platform_spend(budgets, rule * gap)
        spend = np.where(budgets[:, None] > 0, spend, 0.0)
        # the GMV the loop last believed is the outcome's when the spends are the same to the bit
        gmv = believed if spend.tobytes() == believed_at.tobytes() else self.arrays.gmv_per_draw(spend)
        outcome = PlanOutcome(budget=budgets, target=targets, spend=spend, gmv=gmv)
        if self.min_roi is None:
            return outcome
        # a per-SKU ROI floor holds on what the rule is expected to spend, not only at the budget: a SKU whose rule
        # stops short where its curve is least known (below the least spend seen) and misses the floor gets nothing
        misses = (budgets > 0) & (outcome.gmv.mean(axis=1) < self.min_roi * outcome.spend.mean(axis=1))
        return self.run(np.where(misses, 0.0, budgets), planned, expected) if misses.any() else outcome
