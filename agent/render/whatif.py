"""Human output of `whatif`: baseline, scenario and delta per day, the SKUs touched, the assumptions."""

from __future__ import annotations

from rich.table import Table

from shopagent.render.charts import signed_yuan
from shopagent.render.common import escape, print_rows, stdout
from shopagent.tools.whatif_results import WhatIf

ROWS = (("gmv", "GMV"), ("visitors", "visitors 访客"), ("orders", "orders 订单"), ("conversion", "conversion 转化率"),
        ("aov", "AOV 客单价"), ("units", "units 件数"), ("ad_spend", "ad spend 推广花费"), ("ad_gmv", "ad GMV"),
        ("roi", "ROI 投产比"), ("refund_amount", "refunds 退款"), ("refund_rate", "refund rate 退款率"),
        ("profit", "profit 毛利"))


def _value(name: str, value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = "+" if signed else ""
    if name in ("conversion", "refund_rate"):
        return f"{value:{sign}.2%}"
    if name == "roi":
        return f"{value:{sign}.2f}"
    if name in ("gmv", "aov", "ad_spend", "ad_gmv", "refund_amount", "profit"):
        return signed_yuan(value) if signed else f"¥{value:,.0f}"
    whole = round(value)  # visitors, orders and units are counted whole; a rounded -0.3 is 0, not "-0"
    return f"{whole:{sign if whole else ''},}"


def print_whatif(result: WhatIf) -> None:
    changes = ", ".join(f"{change.kind} {change.text}" for change in result.changes) or "no change"
    stdout.print(f"[bold]What if 假设推演[/]  {escape(changes)}  ·  per day over the next {result.days} days "
                 f"(baseline: run rate to {result.as_of})")
    table = Table("KPI", "baseline", "scenario", "change", "change, 90% range")
    for name, label in ROWS:
        low, high = result.delta_ci[name]
        table.add_row(label, _value(name, getattr(result.baseline, name)), _value(name, getattr(result.scenario, name)),
                      _value(name, getattr(result.delta, name), signed=True),
                      f"{_value(name, low, signed=True)} … {_value(name, high, signed=True)}")
    stdout.print(table)
    if result.skus:
        rows = []
        for sku in result.skus:
            price = (f"¥{sku.price_before:,.2f} → ¥{sku.price_after:,.2f}" if sku.price_after != sku.price_before
                     else f"¥{sku.price_before:,.2f}")
            elasticity = "" if sku.elasticity is None else f"{sku.elasticity:.2f}" + (
                " (category)" if sku.elasticity_source == "category" else "")
            rows.append((escape(sku.sku_id), escape(", ".join(sku.changes)), price, elasticity,
                         f"¥{sku.gmv_before:,.0f} → ¥{sku.gmv_after:,.0f}",
                         f"{signed_yuan(sku.gmv_after - sku.gmv_before)} [{signed_yuan(sku.gmv_delta_ci[0])}, "
                         f"{signed_yuan(sku.gmv_delta_ci[1])}]",
                         f"{sku.units_before:,.1f} → {sku.units_after:,.1f}", f"{sku.days_in_stock:g}/{result.days}"))
        print_rows(("SKU", "change", "price", "elasticity", "GMV/day", "GMV change (90%)", "units/day",
                    "days in stock"), rows, title="SKUs touched", free_text=False)
    for note in result.assumptions:
        stdout.print(f"[dim]· {escape(note)}[/]")
    stdout.print("[dim]This is a simulation; nothing in the shop has changed. 仅为模拟，店铺数据未改动。[/]")
