"""Counterfactual impacts of planted causes, and timing the supplier failure behind a stockout."""

import numpy as np

from .effects import Cause, apply_causes
from .history import Shop
from .model import Outcome, simulate

WINDOW_DAYS = 14


def first_empty_day(on_hand: np.ndarray, since: int) -> int | None:
    """First day at or after since whose closing stock is zero."""
    empty = np.flatnonzero(on_hand[since:] < 0.5)
    return int(since + empty[0]) if empty.size else None


def calibrate_stockouts(shop: Shop, causes: list[Cause]) -> None:
    """Move each stockout's supplier failure so the shelf empties between 16 and 7 days before the end."""
    stockouts = [c for c in causes if c.kind == "stockout"]
    if not stockouts:
        return
    D = shop.n_days
    wanted = {id(c): c.start for c in stockouts}
    for _ in range(12):
        out = simulate(shop, apply_causes(shop.drivers, causes))
        settled = True
        for c in stockouts:
            empty = first_empty_day(out.on_hand[:, c.sku], c.params["fail_from"])
            # deliveries are weekly, so the empty day moves in jumps: accept any day in the window
            if empty is None:
                shift = -3
            elif empty < D - 16:
                shift = max(1, (D - 16 - empty) // 2)
            elif empty > D - 7:
                shift = -max(1, (empty - D + 7) // 2)
            else:
                continue
            moved = int(np.clip(c.params["fail_from"] + shift, D - 75, D - 4))
            settled &= moved == c.params["fail_from"]
            c.params["fail_from"] = moved
        if settled:
            break
    out = simulate(shop, apply_causes(shop.drivers, causes))
    for c in stockouts:
        empty = first_empty_day(out.on_hand[:, c.sku], c.params["fail_from"])
        empty = wanted[id(c)] if empty is None else empty
        c.params["fail_to"] = D - 1 if c.params["to_end"] else min(D - 1, empty + c.params["out_days"])


def window_gmv(out: Outcome, n_days: int) -> float:
    """Expected GMV of the last 14 days, all SKUs and channels."""
    return float(out.gmv[n_days - WINDOW_DAYS:n_days].sum())


def window_refunds(out: Outcome, n_days: int) -> float:
    """Expected refunded amount dated within the last 14 days."""
    return float(out.refund_amount[n_days - WINDOW_DAYS:n_days].sum())


def cause_impacts(shop: Shop, causes: list[Cause], full: Outcome) -> list[float]:
    """impact_gmv per cause: the expected world minus the same world without that one cause."""
    D = shop.n_days
    impacts = []
    for i, cause in enumerate(causes):
        without = simulate(shop, apply_causes(shop.drivers, causes[:i] + causes[i + 1:]))
        if cause.kind == "refund_spike":
            impacts.append(-(window_refunds(full, D) - window_refunds(without, D)))
        else:
            impacts.append(window_gmv(full, D) - window_gmv(without, D))
    return impacts
