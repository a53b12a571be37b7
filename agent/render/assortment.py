"""Human output of `plan assortment`: the calls, most urgent first, with the numbers behind them."""

from __future__ import annotations

from rich.table import Table

from shopagent.render.charts import signed_yuan
from shopagent.render.common import escape, stdout
from shopagent.tools.assortment import AssortmentPlan

LABELS = {"restock": "[bold red]restock 补货[/]", "delist": "[red]delist 下架[/]", "fix": "[yellow]fix 整改[/]",
          "push": "[green]push 主推[/]", "keep": "[dim]keep 保持[/]"}


def _maybe(value: float | None, text: str) -> str:
    return "—" if value is None else text.format(value)


def print_assortment(plan: AssortmentPlan) -> None:
    counts = "  ".join(f"{LABELS[action]} {count}" for action, count in plan.counts.items())
    stdout.print(f"[bold]货品规划 Assortment[/]  last {plan.window_days} days to {plan.as_of}   {counts}")
    table = Table("SKU", "call", f"contribution {plan.window_days}d", "margin", "units/day", "cover (lead)",
                  "reorder", "sell-through", "refunds", "rating", "vs rival", "why", show_lines=True)
    for call in plan.skus:
        cover = _maybe(call.days_of_cover, "{:.0f}d") + f" ({call.lead_time_days:.0f}d)"
        refunds = _maybe(call.refund_rate, "{:.1%}") + (" ↑" if call.refund_rate_trend == "up" else "")
        rating = _maybe(call.rating, "{:.2f}") + (" ↓" if call.rating_trend == "down" else "")
        table.add_row(escape(call.sku_id), LABELS[call.action], signed_yuan(call.contribution),
                      _maybe(call.contribution_margin, "{:.0%}"), f"{call.units_per_day:.1f}", cover,
                      f"{call.reorder_quantity:,}" if call.action == "restock" else "",
                      _maybe(call.sell_through, "{:.0%}"), refunds, rating, _maybe(call.price_gap, "{:+.0%}"),
                      escape("; ".join(call.reasons)))
    stdout.print(table)
    stdout.print(f"[dim]{escape(plan.method['lead_time'])}. Contribution = {escape(plan.method['contribution'])}.[/]")
