"""Human output of `plan assortment`: the calls, most urgent first, with the numbers behind them."""

from __future__ import annotations

from shopagent.render.charts import signed_yuan
from shopagent.render.common import escape, print_rows, stdout
from shopagent.tools.assortment import AssortmentPlan

LABELS = {"restock": "[bold red]restock 补货[/]", "delist": "[red]delist 下架[/]", "fix": "[yellow]fix 整改[/]",
          "push": "[green]push 主推[/]", "keep": "[dim]keep 保持[/]"}


def _maybe(value: float | None, text: str) -> str:
    return "—" if value is None else text.format(value)


def print_assortment(plan: AssortmentPlan, top: int = 0) -> None:
    """The calls, most urgent first; `top` > 0 lists only that many of each call (keeps are counted, not listed)."""
    counts = "  ".join(f"{LABELS[action]} {count}" for action, count in plan.counts.items())
    stdout.print(f"[bold]货品规划 Assortment[/]  last {plan.window_days} days to {plan.as_of}   {counts}")
    headers = ("SKU", "call", f"contribution {plan.window_days}d", "margin", "units/day", "cover (lead)",
               "reorder", "sell-through", "refunds", "rating", "vs rival", "why")
    calls, hidden, seen = [], 0, dict.fromkeys(plan.counts, 0)
    for call in plan.skus:
        seen[call.action] = seen.get(call.action, 0) + 1
        if top and (call.action == "keep" or seen[call.action] > top):
            hidden += 1
        else:
            calls.append(call)
    rows = []
    for call in calls:
        cover = _maybe(call.days_of_cover, "{:.0f}d") + f" ({call.lead_time_days:.0f}d)"
        refunds = _maybe(call.refund_rate, "{:.1%}") + (" ↑" if call.refund_rate_trend == "up" else "")
        rating = _maybe(call.rating, "{:.2f}") + (" ↓" if call.rating_trend == "down" else "")
        rows.append((escape(call.sku_id), LABELS[call.action], signed_yuan(call.contribution),
                     _maybe(call.contribution_margin, "{:.0%}"), f"{call.units_per_day:.1f}", cover,
                     f"{call.reorder_quantity:,}" if call.action == "restock" else "",
                     _maybe(call.sell_through, "{:.0%}"), refunds, rating, _maybe(call.price_gap, "{:+.0%}"),
                     escape("; ".join(call.reasons))))
    print_rows(headers, rows)
    if hidden:
        stdout.print(f"[dim]… {hidden} more SKUs not listed (the first {top} of each call are): "
                     "--top 0 lists them all, --json gives every field.[/]")
    stdout.print(f"[dim]{escape(plan.method['lead_time'])}. Contribution = {escape(plan.method['contribution'])}.[/]")
