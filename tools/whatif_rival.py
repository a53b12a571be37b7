"""The rival's own price over a what-if's horizon: drawn from how this shop's rivals moved in its history.

A price rise that takes a SKU just above its rival's price is valued through the kink at parity, and whether
the SKU really sits above the rival over the coming days depends on the rival as much as on us: a festival cut
puts it under our new price and our old one too, a rise of its own puts it back above both. The merchant
cannot know those moves in advance and neither does the forecast, but the shop's history says how far rivals
usually move over that many days: every tracked SKU's log(rival's price h days on / on the origin day), for
h = 1..horizon, from origins a week apart. The what-if averages the kink's effect over those paths (the
point forecast) and gives each of its draws one of them (the interval).
"""

from __future__ import annotations

import numpy as np

from shopagent.tools.panel import ShopPanel, carried_forward

ORIGIN_SPACING = 7  # days between origins, as the run-rate back-test's
MAX_PATHS = 2000  # evenly spaced among all (SKU, origin) pairs: enough for the averages, cheap on 1,000 SKUs


def rival_moves(panel: ShopPanel, *, end: int, days: int) -> np.ndarray:
    """(path, day): log(rival's price h days after an origin / on it), h = 1..days, over the history to `end`.

    Empty (0 rows) when no SKU's rival was tracked over a whole horizon before `end`."""
    rival = panel.competitor_price[:, :end]
    seen = np.isfinite(rival) & (np.nan_to_num(rival) > 0)
    rows = np.flatnonzero(seen.sum(axis=1) >= max(end // 2, 1))
    if rows.size == 0 or end <= days:
        return np.zeros((0, days))
    # a missed scrape carries the last seen offer forward, so it reads as no move rather than a gap
    log_price = np.log(carried_forward(rival[rows]))
    origins = np.arange(end - days - 1, -1, -ORIGIN_SPACING)[::-1]
    ahead = origins[:, None] + np.arange(1, days + 1)[None, :]
    moves = (log_price[:, ahead] - log_price[:, origins][:, :, None]).reshape(-1, days)
    if moves.shape[0] > MAX_PATHS:
        moves = moves[np.linspace(0, moves.shape[0] - 1, MAX_PATHS).round().astype(int)]
    return moves


def above_rival_change(new: float, old: float, rival: float, moves: np.ndarray) -> np.ndarray:
    """(path, day): the change in log(price / rival's) above parity from old to new, the rival moving as `moves`.

    With no paths, the rival holds today's price: one path of zeros."""
    path = rival * np.exp(moves if moves.shape[0] else np.zeros((1, max(moves.shape[1], 1))))
    return np.maximum(np.log(new / path), 0.0) - np.maximum(np.log(old / path), 0.0)
