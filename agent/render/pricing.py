"""Human output of `plan pricing`: one row per SKU, the biggest expected gain first, the reason beneath."""

from __future__ import annotations

from shopagent.render.charts import signed_yuan
from shopagent.render.common import escape, print_rows, stdout
from shopagent.tools.pricing import PriceEnding, PricingPlan
from shopagent.tools.wording import Language, columns, say


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.0%}"


def _range(values: tuple[float, float] | None) -> str:
    return "" if values is None else f"[{values[0]:+.0%}, {values[1]:+.0%}]"


def _ending(ending: PriceEnding, lang: Language) -> str:
    """How prices end, in the merchant's language (the JSON's description is the English one)."""
    if lang == "en":
        return ending.description
    if ending.step == 10.0:
        return say(lang, "pricing_view", "ending_tens", digit=f"{ending.offset:g}")
    if ending.step == 1.0:
        cents = round(ending.offset * 100)
        return say(lang, "pricing_view", "ending_cents", cents=cents) if cents else say(lang, "pricing_view",
                                                                                          "ending_whole")
    return say(lang, "pricing_view", "ending_any")


def print_pricing_plan(plan: PricingPlan, *, top: int = 0, lang: Language = "en") -> None:
    """Price changes first, then keeps and SKUs that cannot be priced; `top` > 0 lists only that many rows."""
    rails = plan.guardrails
    goal = say(lang, "pricing_view", "goal_profit" if plan.objective == "profit" else "goal_gmv")
    stdout.print(say(lang, "pricing_view", "heading", goal=goal, as_of=plan.as_of))
    stdout.print(say(lang, "pricing_view", "guardrails", max_change=rails.max_change, min_margin=rails.min_margin,
                     range_slack=rails.range_slack, ending=escape(_ending(rails.price_ending, lang))))
    headers = tuple(column.format(objective=goal) for column in columns(lang, "pricing_view", "columns"))
    order = {"change": 0, "keep": 1, "cannot_estimate": 2}
    shown = sorted(plan.recommendations, key=lambda rec: order[rec.status])  # stable: the plan's order within each
    shown = shown[:top] if top else shown
    rows = []
    for rec in shown:
        colour = {"change": "bold", "keep": "dim", "cannot_estimate": "yellow"}[rec.status]
        elasticity = say(lang, "pricing_view", "cannot_estimate") if rec.elasticity is None else (
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
        stdout.print(say(lang, "pricing_view", "more_rows", hidden=len(plan.recommendations) - len(shown)))
    expected = plan.expected
    stdout.print(say(lang, "pricing_view", "summary", changed=int(expected["skus_changed"]),
                     profit=signed_yuan(expected["profit_per_day_change"]),
                     gmv=signed_yuan(expected["gmv_per_day_change"])))
