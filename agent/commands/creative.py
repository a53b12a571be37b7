"""`shopagent creative ...`: draft listing copy, check copy against the ad law, keep drafts as brand memory."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from shopagent.commands.options import DbOption, JsonOption

creative_app = typer.Typer(no_args_is_help=True, help="Listing copy (文案): titles, selling points, detail pages, "
                                                        "video scripts; ad-law checks.")


class Kind(StrEnum):
    title = "title"
    selling_points = "selling_points"
    detail = "detail"
    video_script = "video_script"


def memory_folder() -> Path:
    """Where kept and recently shown drafts live: the user data directory, never the shop database."""
    from shopagent.location import data_dir

    return data_dir() / "creative"


@creative_app.command("draft")
def creative_draft(
    sku: Annotated[str, typer.Argument(help="SKU id, e.g. S003.")],
    kind: Annotated[Kind, typer.Option("--kind", help="What to write.")] = Kind.title,
    n: Annotated[int, typer.Option("--n", min=1, max=10, help="How many drafts, each from its own angle.")] = 3,
    backend: Annotated[str, typer.Option("--backend", help="offline (templates, default) or a model backend "
                                                           "such as openai; `shopagent backends` lists them.")]
    = "offline",
    model: Annotated[str | None, typer.Option("--model", help="Model name for a model backend.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Offline: same seed, same drafts.")] = 0,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Draft copy for one SKU in the brand's voice; every draft is ad-law checked and fits the format.

    Example: shopagent creative draft S003 --kind title --n 3
    """
    from shopagent.backends.base import backend_names

    if backend not in backend_names():
        raise typer.BadParameter(f"unknown backend {backend!r}; choose one of: {', '.join(backend_names())}",
                                 param_hint="--backend")
    from shopagent.location import open_shop
    from shopagent.tools.brand_memory import kept_drafts, remember_drafts
    from shopagent.tools.creative_facts import creative_facts, load_brand

    shop = open_shop(db)
    memory = kept_drafts(memory_folder())
    brand = load_brand(shop)
    facts = creative_facts(shop, sku, brand=brand)
    if backend == "offline":
        from shopagent.tools.creative import draft_offline

        result = draft_offline(facts, brand, kind.value, n, seed=seed, memory=memory)
    else:
        from shopagent.creative_model import backend_complete, draft_with_model

        complete, model_name = backend_complete(backend, model)
        result = draft_with_model(facts, brand, kind.value, n, complete=complete, backend=backend, model=model_name,
                                  memory=memory)
    remember_drafts(memory_folder(), result.memory_records())
    from shopagent.render.creative import print_drafts

    print_drafts(result, json_output=json_output)


@creative_app.command("check")
def creative_check(
    text: Annotated[str, typer.Argument(help="The copy to check, exactly as it would be published; - reads stdin.")],
    category: Annotated[str | None, typer.Option("--category", help="Product category, e.g. skincare; "
                                                                    "cosmetics and medical rules depend on it.")]
    = None,
    db: Annotated[Path | None, typer.Option("--db", envvar="SHOPAGENT_DB", dir_okay=False,
                                            help="Also apply this shop's brand forbidden words (from its "
                                                 "brand.toml).")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="Where it is published: taobao (default, also "
                                                                    "tmall), douyin, or law for the statutes alone; "
                                                                    "decides whether pressure selling is a violation.")]
    = None,
    json_output: JsonOption = False,
) -> None:
    """Check copy against the Advertising Law and platform rules; exit 1 if it finds a violation.

    Example: shopagent creative check "国家级品质 真丝衬衫" --category shirt
    """
    if text == "-":
        text = sys.stdin.read()
    from shopagent.tools.compliance import check_text

    forbidden: list[str] = []
    if db is not None:  # only an explicit --db: checking a phrase should not build the sample shop
        from shopagent.location import open_shop
        from shopagent.tools.creative_facts import load_brand

        forbidden = load_brand(open_shop(db)).forbidden
    try:
        result = check_text(text, category=category, brand_forbidden=forbidden, platform=platform)
    except ValueError as error:  # an unknown platform name
        raise typer.BadParameter(str(error), param_hint="--platform") from None
    from shopagent.render.creative import print_check

    print_check(text, result, json_output=json_output)
    if not result.ok:
        raise typer.Exit(1)


@creative_app.command("keep")
def creative_keep(
    draft_id: Annotated[str, typer.Argument(help="The id shown next to a draft, e.g. d3f2a1b0c.")],
    json_output: JsonOption = False,
) -> None:
    """Keep a draft you liked: later drafts for the same brand follow it (brand memory).

    Example: shopagent creative keep d3f2a1b0c
    """
    from datetime import datetime

    from shopagent.render.creative import print_kept_one
    from shopagent.tools.brand_memory import keep_draft

    kept = keep_draft(memory_folder(), draft_id, kept_at=datetime.now().isoformat(timespec="seconds"))
    print_kept_one(kept, verb="kept", json_output=json_output)


@creative_app.command("kept")
def creative_kept(
    kind: Annotated[Kind | None, typer.Option("--kind", help="Only drafts of this kind.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List the drafts kept in brand memory, oldest first.

    Example: shopagent creative kept --kind title
    """
    from shopagent.render.creative import print_kept
    from shopagent.tools.brand_memory import kept_drafts

    print_kept(kept_drafts(memory_folder(), kind=kind.value if kind else None), json_output=json_output)


@creative_app.command("forget")
def creative_forget(
    draft_id: Annotated[str, typer.Argument(help="The id of a kept draft.")],
    json_output: JsonOption = False,
) -> None:
    """Remove a draft from brand memory.

    Example: shopagent creative forget d3f2a1b0c
    """
    from shopagent.render.creative import print_kept_one
    from shopagent.tools.brand_memory import forget_draft

    print_kept_one(forget_draft(memory_folder(), draft_id), verb="forgot", json_output=json_output)
