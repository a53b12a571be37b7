"""Human output of `plan promotion`: the totals, per-SKU budgets, who is left out and why, and the budget curve."""

from __future__ import annotations

from rich.table import Table

from shopagent.render.charts import bar
from shopagent.render.common import escape, stdout
from shopagent.tools.promotion_results import Allocation, PromotionPlan


def print_promotion_plan(plan: PromotionPlan) -> None:
    expected = plan.expected
    stdout.print(f"[bold]全站推广 plan[/]  budget ¥{plan.budget:,.0f}/day · target ROI 投产比 {plan.target_roi:g} · "
                 f"as of {plan.as_of} · {plan.horizon_days} days")
    stdout.print(f"Expected per day: spend ¥{expected.spend:,.0f}, GMV ¥{expected.gmv:,.0f} "
                 f"(80% range ¥{expected.gmv_low:,.0f}–¥{expected.gmv_high:,.0f}), ROI {expected.roi:.2f} "
                 f"(at least {expected.roi_low:.2f} with {plan.method['confidence']:.0%} confidence)")
    if plan.unspent_reason:
        stdout.print(f"[yellow]Unspent ¥{plan.unspent_budget:,.0f}[/]: {escape(plan.unspent_reason)}")
    if plan.break_even_roi is not None:
        stdout.print(f"Break-even ROI 保本投产比 {plan.break_even_roi:.2f} (1 / gross margin after refunds)")
    for warning in plan.warnings:
        stdout.print(f"[bold yellow]![/] {escape(warning)}")
    funded = [a for a in plan.allocations if a.daily_budget > 0]
    if funded:
        stdout.print(_funded_table(funded))
    # a SKU never promoted and with nothing else against it is summarised in one line below
    untested = [a for a in plan.allocations if a.daily_budget <= 0 and not a.has_history and a.eligible]
    left_out = [a for a in plan.allocations if a.daily_budget <= 0 and a not in untested]
    if left_out:
        stdout.print(_left_out_table(left_out))
    if untested:
        names = [a.sku_id for a in untested]
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        stdout.print(f"[dim]{len(untested)} SKU(s) never promoted, so without a curve ({escape(shown)}): a small test "
                     "budget would show what they can do.[/]")
    _print_curve(plan)


def _funded_table(funded: list[Allocation]) -> Table:
    table = Table("SKU", "title", "budget/day", "target ROI", "exp. spend", "exp. GMV", "80% range", "ROI",
                  "last ¥ buys", "now: spend / target", "notes", title="Budgets 预算分配 (set budget and target ROI "
                  "per SKU in the platform)", title_justify="left")
    for a in funded:
        now = "—" if a.current_spend is None else f"¥{a.current_spend:,.0f} / {_num(a.current_target_roi)}"
        notes = " · ".join(a.notes)
        table.add_row(escape(a.sku_id), escape(a.title[:10]), f"¥{a.daily_budget:,.0f}", _num(a.target_roi),
                      f"¥{a.expected_spend:,.0f}", f"¥{a.expected_gmv:,.0f}",
                      f"¥{a.gmv_low:,.0f}–{a.gmv_high:,.0f}", _num(a.expected_roi), _num(a.marginal_roi), now,
                      escape(notes))
    return table


def _left_out_table(left_out: list[Allocation]) -> Table:
    table = Table("SKU", "title", "eligible", "why no budget", title="Left out 未投放", title_justify="left")
    for a in left_out:
        table.add_row(escape(a.sku_id), escape(a.title[:10]), "yes" if a.eligible else "[red]no[/]", escape(a.reason))
    return table


def _print_curve(plan: PromotionPlan) -> None:
    """Budget -> GMV as bars: where the curve flattens, more budget buys little."""
    points = plan.shop_curve
    if not points:
        return
    largest = max(point.gmv for point in points) or 1.0
    stdout.print("[bold]Budget → GMV 投多少钱，看到多少 GMV[/] (best plan at each budget, same target ROI)")
    previous = None
    for point in points:
        step = "" if previous is None else (
            f"  +¥{(point.gmv - previous.gmv) / max(point.budget - previous.budget, 1.0) * 1000:,.0f} per extra ¥1,000")
        marker = " ◀ your budget" if abs(point.budget - plan.budget) < 0.5 else ""
        stdout.print(f"  ¥{point.budget:>8,.0f} │{bar(point.gmv, largest, 32):<32}│ GMV ¥{point.gmv:>9,.0f}  "
                     f"ROI {point.roi:>5.2f}{step}{marker}")
        previous = point
    if plan.limited_by == "target_roi":
        stdout.print(f"More budget buys nothing at target ROI {plan.target_roi:g}: the ROI floor, not the budget, "
                     "limits this plan; a lower target would let it spend more")
        return
    per_yuan = plan.next_1000 / 1000.0
    losing = plan.break_even_roi is not None and per_yuan < plan.break_even_roi
    stdout.print(f"The next ¥1,000 a day would buy about ¥{plan.next_1000:,.0f} of GMV a day ({per_yuan:.2f} per yuan"
                 + (f", below break-even {plan.break_even_roi:.2f}: it would lose money)" if losing else ")"))


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
