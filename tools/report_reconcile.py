"""One action list out of several planners: contradictions set aside, the rest ranked by value, a few of each kind.

Each planner sees the shop through its own model, so two of them can disagree: pricing may raise a price the
diagnosis says already loses sales to a cheaper competitor, or raise the price of a SKU that is out of stock
(a rise nobody can buy at). The report must not hand the merchant both halves of such a pair; the losing
half is kept in `set_aside` with the reason, so nothing disappears silently.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import numpy as np

from shopagent.tools.findings import Finding
from shopagent.tools.panel import ShopPanel
from shopagent.tools.report_actions import Action, ActionBlock, SetAside, SetAsideRule
from shopagent.tools.wording import Language, say

# findings that say the SKU's price is what loses it sales; a price rise there contradicts the diagnosis
PRICE_LOSES_SALES = frozenset({"price_above_competitor", "price_increase"})
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2, None: 3}


def value_per_day(action: Action) -> float | None:
    """What the action is worth a day: its profit change when the planner knows it, else its GMV change."""
    if action.expected_profit_per_day is not None:
        return action.expected_profit_per_day
    return action.expected_gmv_per_day


def rank_key(action: Action) -> tuple[float, int, str, str]:
    """Largest value first (either sign: a budget to stop matters as much as one to raise); unvalued last."""
    value = value_per_day(action)
    return (-abs(value) if value is not None else float("inf"), CONFIDENCE_ORDER[action.confidence],
            action.kind, action.sku_id or "")


def out_of_stock(history: ShopPanel) -> set[str]:
    """SKUs with nothing on hand at the end of the report day."""
    on_hand = history.on_hand[:, -1]
    return {sku for row, sku in enumerate(history.catalog.sku_ids) if np.isfinite(on_hand[row]) and on_hand[row] <= 0}


def price_holds(findings: Iterable[Finding], blocks: Iterable[ActionBlock], empty: set[str],
                lang: Language) -> dict[str, tuple[SetAsideRule, str]]:
    """SKUs whose price must not go up today, with the rule and the reason the merchant reads."""
    holds: dict[str, tuple[SetAsideRule, str]] = {
        sku: ("out_of_stock", say(lang, "report", "hold_out_of_stock")) for sku in sorted(empty)}
    for finding in findings:
        if finding.kind in PRICE_LOSES_SALES and finding.sku_id and finding.sku_id not in holds:
            holds[finding.sku_id] = ("diagnosis", say(lang, "report", "hold_diagnosis"))
    for block in blocks:
        for sku, reason in block.price_holds.items():
            holds.setdefault(sku, ("above_competitor", reason))
    return holds


def contradicts(action: Action, holds: dict[str, tuple[SetAsideRule, str]], delisted: set[str], empty: set[str],
                lang: Language) -> tuple[SetAsideRule, str] | None:
    """Which rule `action` breaks beside the rest of the report, and why in words; None when it breaks none."""
    raises_price = action.kind == "price" and (action.proposed or 0) > (action.current or 0)
    if raises_price and action.sku_id in holds:
        return holds[action.sku_id]
    raises_budget = action.kind == "budget" and (action.proposed or 0) > (action.current or 0)
    if (raises_budget or action.kind == "push") and action.sku_id in delisted:
        return "delist", say(lang, "report", "hold_delist")
    if (raises_budget or action.kind == "push") and action.sku_id in empty:
        return "traffic_out_of_stock", say(lang, "report", "hold_traffic_out_of_stock")
    return None


def reconcile(blocks: list[ActionBlock], findings: list[Finding], history: ShopPanel, *, top: int,
              lang: Language) -> tuple[list[ActionBlock], list[Action]]:
    """The blocks with contradicting proposals set aside and each cut to `top`, and the day's top `top` overall
    (`top` 0: all of them)."""
    top = top if top > 0 else sys.maxsize
    empty = out_of_stock(history)
    holds = price_holds(findings, blocks, empty, lang)
    delisted = {action.sku_id for block in blocks for action in block.actions if action.kind == "delist"}
    kept_blocks, pool = [], []
    for block in blocks:
        kept, set_aside = [], []
        for action in block.actions:
            broken = contradicts(action, holds, delisted, empty, lang)
            if broken is None:
                kept.append(action)
            else:
                set_aside.append(SetAside(action=action, rule=broken[0], why=broken[1]))
        pool.extend(kept)
        shown = kept[:top] if block.planner != "assortment" else mixed(kept, top)
        kept_blocks.append(block.model_copy(update={
            "actions": shown, "more": len(kept) - len(shown), "set_aside": set_aside}))
    return kept_blocks, mixed(sorted(pool, key=rank_key), top, per_kind=max(2, top // 2))


def mixed(actions: list[Action], top: int, per_kind: int | None = None) -> list[Action]:
    """The first `top` actions taking at most `per_kind` of one kind (default: a fair share of each kind present),
    so one long list (restocks, say) cannot hide every other kind; order within a kind is kept."""
    kinds = list(dict.fromkeys(action.kind for action in actions))
    if not kinds:
        return []
    quota = per_kind if per_kind is not None else max(1, -(-top // len(kinds)))
    taken: dict[str, int] = {}
    chosen: list[int] = []
    for index, action in enumerate(actions):
        if len(chosen) == top:
            break
        if taken.get(action.kind, 0) < quota:
            taken[action.kind] = taken.get(action.kind, 0) + 1
            chosen.append(index)
    # a kind's quota left unused by the others goes to the next best of any kind
    picked = set(chosen)
    chosen += [index for index in range(len(actions)) if index not in picked][:max(0, top - len(chosen))]
    if per_kind is None:
        # assortment block: keep the kinds grouped (restock, fix, delist, push) as the planner ordered them
        chosen.sort(key=lambda index: (kinds.index(actions[index].kind), index))
    else:
        chosen.sort()
    return [actions[index] for index in chosen]
