"""`shopagent plan pricing` and `plan assortment`: prices and the range, from the shop's own history."""

from __future__ import annotations

from typing import Annotated

import typer

from shopagent.commands.options import DbOption, JsonOption, LangOption, TopOption, language, progress_of
from shopagent.commands.plan import plan_app


@plan_app.command("pricing")
def plan_pricing(
    sku: Annotated[list[str] | None, typer.Option("--sku", help="Price only these SKUs (repeat the option).")] = None,
    objective: Annotated[str, typer.Option("--objective", help="profit (毛利) or gmv (销售额).")] = "profit",
    max_change: Annotated[float, typer.Option("--max-change", min=0.01, max=0.9,
                                              help="Largest price change per step (0.2 = 20%).")] = 0.20,
    min_margin: Annotated[float, typer.Option("--min-margin", min=0.0, max=0.9,
                                              help="Smallest margin over unit cost, share of the price.")] = 0.15,
    top: TopOption = 20,
    lang: LangOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Recommend prices that raise profit (or GMV), with each SKU's price response and its uncertainty.

    Example: shopagent plan pricing --sku S012 --objective profit --json
    """
    if objective not in ("profit", "gmv"):
        raise typer.BadParameter(f"--objective must be profit or gmv, not {objective!r}")
    from shopagent.location import open_shop
    from shopagent.tools.pricing import plan_pricing as run_plan_pricing
    from shopagent.tools.whatif_changes import RequestError

    language(lang)
    shop = open_shop(db)
    chosen = language(lang, shop)
    try:
        with progress_of(chosen, "plan_command", json_output=json_output):
            plan = run_plan_pricing(shop, skus=sku or None, objective=objective, max_change=max_change,
                                    min_margin=min_margin, lang=chosen)
    except RequestError as error:
        raise typer.BadParameter(str(error)) from None
    if json_output:
        from shopagent.render.common import print_json_model

        print_json_model(plan)
    else:
        from shopagent.render.pricing import print_pricing_plan

        print_pricing_plan(plan, top=top, lang=chosen)


@plan_app.command("assortment")
def plan_assortment(
    lead_time: Annotated[int, typer.Option("--lead-time", min=0, max=365, metavar="DAYS",
                                           help="Days from placing a reorder to receiving it.")] = 7,
    top: TopOption = 10,
    lang: LangOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Say which SKUs to push, fix, restock, delist or keep, with the numbers behind each call.

    Example: shopagent plan assortment --json
    """
    from shopagent.location import open_shop
    from shopagent.tools.assortment import plan_assortment as run_plan_assortment

    language(lang)
    shop = open_shop(db)
    chosen = language(lang, shop)
    with progress_of(chosen, "plan_command", json_output=json_output):
        plan = run_plan_assortment(shop, lead_time_days=lead_time, lang=chosen)
    if json_output:
        from shopagent.render.common import print_json_model

        print_json_model(plan)
    else:
        from shopagent.render.assortment import print_assortment

        print_assortment(plan, top=top)
