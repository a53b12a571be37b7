"""`shopagent plan promotion`: per-SKU daily budgets and target ROIs for full-site promotion (全站推广)."""

from __future__ import annotations

from typing import Annotated

import typer

from shopagent.commands.options import DbOption, JsonOption, LangOption, TopOption, language, parse_date, progress_of
from shopagent.commands.plan import plan_app


@plan_app.command("promotion")
def plan_promotion(
    budget: Annotated[float, typer.Option("--budget", min=1.0, help="Total daily budget in yuan (元/天).")],
    target_roi: Annotated[float, typer.Option("--target-roi", min=0.1,
                                              help="Blended ROI (投产比) to hold: GMV per yuan of spend.")],
    sku: Annotated[list[str] | None, typer.Option("--sku", help="Plan only these SKUs (repeat the option).")] = None,
    min_roi_per_sku: Annotated[float | None, typer.Option(
        "--min-roi-per-sku", min=0.0, help="Fund no SKU whose own expected ROI would fall below this.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", min=1, help="Days the plan is for (stock must last).")] = 14,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Plan as of this day, YYYY-MM-DD "
                                                              "(default: the last day of data).")] = None,
    confidence: Annotated[float, typer.Option("--confidence", min=0.5, max=0.999, help=(
        "How sure the blended ROI must be to hold; lower spends more when the ROI floor binds."))] = 0.99,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the curves' posterior draws.")] = 0,
    top: TopOption = 20,
    lang: LangOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Split a daily 全站推广 budget across SKUs for the most GMV while the blended ROI holds.

    Example: shopagent plan promotion --budget 5000 --target-roi 3 --json
    """
    day = parse_date(as_of, "--as-of")
    from shopagent.location import open_shop
    from shopagent.tools.promotion_plan import plan_promotion as run_plan

    language(lang)
    shop = open_shop(db)
    with shop.reading():  # the language check and the plan's queries share one connection (~30 ms an opening)
        chosen = language(lang, shop)
        with progress_of(chosen, "plan_command", json_output=json_output):
            plan = run_plan(shop, budget=budget, target_roi=target_roi, sku_ids=sku or None,
                            min_roi_per_sku=min_roi_per_sku, as_of=day, horizon_days=horizon, confidence=confidence,
                            seed=seed, lang=chosen)
    if json_output:
        from shopagent.render.common import print_json_model

        print_json_model(plan)
    else:
        from shopagent.render.promotion import print_promotion_plan

        print_promotion_plan(plan, chosen, top=top)
