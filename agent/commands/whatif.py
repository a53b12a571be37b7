"""`shopagent whatif`: simulate price, budget and stock changes against the recent run rate."""

from __future__ import annotations

from typing import Annotated

import typer

from shopagent.commands.options import DbOption, JsonOption, language, progress_of


def whatif(
    price: Annotated[list[str] | None, typer.Option(
        "--price", metavar="SKU=+5%|SKU=+3元|SKU=129",
        help="A new price: a change in % or in yuan (+3元), or the new price in yuan.")] = None,
    budget: Annotated[list[str] | None, typer.Option(
        "--budget", metavar="SKU=800|total=+20%",
        help="Daily full-site promotion budget (全站推广), yuan or %.")] = None,
    stock: Annotated[list[str] | None, typer.Option("--stock", metavar="SKU=0",
                                                    help="Units available over the horizon, no restock.")] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="Horizon in days.")] = 14,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws behind the intervals.")] = 0,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """What happens to GMV, visitors, conversion and profit per day if prices, budgets or stock change.

    Example: shopagent whatif --price S012=+5% --stock S003=0 --days 14 --json
    """
    from shopagent.location import open_shop
    from shopagent.tools.whatif import whatif as run_whatif
    from shopagent.tools.whatif_changes import RequestError, parse_assignments

    shop = open_shop(db)
    try:
        with progress_of(language(None, shop), "whatif_command", json_output=json_output):
            result = run_whatif(shop, price=parse_assignments(price or [], "price"),
                                budget=parse_assignments(budget or [], "budget"),
                                stock=parse_assignments(stock or [], "stock"), days=days, seed=seed)
    except RequestError as error:
        raise typer.BadParameter(str(error)) from None
    if json_output:
        from shopagent.render.common import print_json_model

        print_json_model(result)
    else:
        from shopagent.render.whatif import print_whatif

        print_whatif(result)
