"""Human output of `plan pricing`: one row per SKU, the biggest expected gain first, the reason beneath."""

from __future__ import annotations

from shopagent.render.charts import signed_yuan
from shopagent.render.common import escape, print_rows, stdout
from shopagent.tools.pricing import PricingPlan


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.0%}"


def _range(values: tuple[float, float] | None) -> str:
    return "" if values is None else f"[{values[0]:+.0%}, {values[1]:+.0%}]"


def print_pricing_plan(plan: PricingPlan, *, top: int = 0) -> None:
    """Price changes first, then keeps and SKUs that cannot be priced; `top` > 0 lists only that many rows."""
    rails = plan.guardrails
    goal = "profit 毛利" if plan.objective == "profit" else "GMV 销售额"
    stdout.print(f"[bold]定价建议 Pricing plan[/]  objective: {goal}  data to {plan.as_of}")
    stdout.print(f"[dim]Guardrails: at most ±{rails.max_change:.0%} per change, margin ≥ {rails.min_margin:.0%} of "
                 f"the price, within {rails.range_slack:.0%} of prices already sold at, prices "
                 f"{escape(rails.price_ending.description)}.[/]")
    headers = ("SKU", "now", "→ price", "change", "elasticity (90%)", "units", f"{plan.objective} (90%)", "¥/day",
               "reason")
    order = {"change": 0, "keep": 1, "cannot_estimate": 2}
    shown = sorted(plan.recommendations, key=lambda rec: order[rec.status])  # stable: the plan's order within each
    shown = shown[:top] if top else shown
    rows = []
    for rec in shown:
        colour = {"change": "bold", "keep": "dim", "cannot_estimate": "yellow"}[rec.status]
        elasticity = "cannot estimate" if rec.elasticity is None else (
            f"{rec.elasticity:.2f} [{rec.elasticity_ci[0]:.2f}, {rec.elasticity_ci[1]:.2f}]"
            if rec.elasticity_ci else f"{rec.elasticity:.2f}")
        change = rec.expected_profit_change if plan.objective == "profit" else rec.expected_gmv_change
        change_ci = rec.expected_profit_change_ci if plan.objective == "profit" else rec.expected_gmv_change_ci
        per_day = rec.profit_per_day_change if plan.objective == "profit" else rec.gmv_per_day_change
        rows.append((
            f"[{colour}]{escape(rec.sku_id)}[/]", f"¥{rec.current_price:,.2f}",
            f"[{colour}]¥{rec.recommended_price:,.2f}[/]",
            f"{rec.price_change:+.0%}" if rec.status == "change" else "", elasticity, _pct(rec.expected_units_change),
            f"{_pct(change)} {_range(change_ci)}", signed_yuan(per_day), escape(rec.reason)))
    print_rows(headers, rows)
    if len(plan.recommendations) > len(shown):
        stdout.print(f"[dim]… {len(plan.recommendations) - len(shown)} more SKUs: --top 0 lists them all, "
                     "--json gives every field.[/]")
    expected = plan.expected
    stdout.print(f"{int(expected['skus_changed'])} price change(s): expected profit "
                 f"{signed_yuan(expected['profit_per_day_change'])}/day, GMV "
                 f"{signed_yuan(expected['gmv_per_day_change'])}/day at recent sales volumes. "
                 "Nothing has been changed in the shop.")
