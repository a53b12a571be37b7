"""Full-site promotion (全站推广) response curves: daily spend -> attributed GMV per SKU, with uncertainty.

GMV(spend) = clicks(spend) x GMV per click(spend). Clicks follow a Hill curve c_max * s^k / (s^k + h^k) fitted to
`promotion_daily` by a grid posterior over (k, h) with c_max profiled (quasi-Poisson, recency-weighted,
stockout days left out); the priors on the shape k and on h relative to the SKU's market are learnt from the
shop's other SKUs by empirical Bayes (category centres shrunk toward the shop's), so a SKU whose spend barely
varied borrows its curvature and where it saturates. GMV
per click is a recency-weighted ratio estimate at today's price (history re-priced with the SKU's price
elasticity and any shop-wide conversion break), shrunk toward what its organic visitors are worth. A recent
break in either part (a campaign whose response collapsed) is found by a change-point test and the level
after the break is the one believed, by as many of the draws as the shop's own scan says such a break is real.

This module puts a curve together from its parts: the promoted days (`promotion_history`), the clicks fit
(`promotion_click_fit`), GMV per click (`promotion_click_value`), the change points (`promotion_shifts`) and
how GMV per click falls with spend (`promotion_value_slope`), and the curve itself with its draws
(`promotion_response`).
"""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np

from shopagent.tools.panel import ShopPanel
from shopagent.tools.promotion_click_fit import fit_clicks
from shopagent.tools.promotion_click_value import value_per_click
from shopagent.tools.promotion_history import last_price, price_elasticity, promoted_days, subset_rows
from shopagent.tools.promotion_response import DRAWS, CurveArrays, ResponseCurve
from shopagent.tools.promotion_shifts import shop_conversion_factor
from shopagent.tools.promotion_value_slope import SLOPE_RANGE, value_slope

SHARED_STREAM = 0x5EED  # the random stream of the draws all SKUs share (a SKU's own streams hash its id)

# CurveArrays is re-exported for tools/whatif.py, which imports it from here
__all__ = ["CurveArrays", "ResponseCurve", "fit_response_curves"]


def fit_response_curves(panel: ShopPanel, *, as_of: date, seed: int = 0,
                        competitor: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                        quick: bool = False, held_out: np.ndarray | None = None) -> dict[str, ResponseCurve]:
    """Fit a spend -> attributed GMV curve for every SKU with full-site promotion history up to `as_of`.

    competitor: the shop's `competitor_response` when already known; quick: skip the costly scan for a collapse
    of the last days (the backtest refits the curves at several past days with both); held_out: (panel row, day)
    days the fit must not see (the self-check's low-spend days).
    """
    end = (as_of - panel.days[0]).days + 1
    if end <= 0:
        return {}
    data = promoted_days(panel, end)
    if held_out is not None:
        data.usable = data.usable & ~held_out[data.rows, :end]
        data = subset_rows(data, np.flatnonzero(data.usable.any(axis=1)))
    if data.rows.size == 0:
        return {}
    elasticity_all = price_elasticity(panel, end)
    elasticity = elasticity_all[data.rows]
    shop_factor = shop_conversion_factor(panel, end, elasticity_all)
    rival_all, rival_se, rival_known = competitor if competitor is not None else competitor_response(panel, end)
    value_mean, value_sd, value_shift, shared_sd, repriced, value_weight, doubt = value_per_click(
        panel, data, end, elasticity_all, shop_factor, rival_all, rival_se, recent_check=not quick)
    slope_mean, slope_sd, value_ref = value_slope(data, repriced, value_weight)
    # the error the values share is drawn once for all SKUs, so a blend of SKUs keeps it
    shared = np.random.default_rng([seed, SHARED_STREAM]).standard_normal(DRAWS)
    fit = fit_clicks(panel, data)
    n = data.rows.size
    c_max, half, shape, values, slopes = (np.empty((n, DRAWS)) for _ in range(5))
    for position, row in enumerate(data.rows):
        # seeded by the SKU id, not its row, so adding a product to the catalog leaves other curves alone
        rng = np.random.default_rng([seed, zlib.crc32(panel.catalog.sku_ids[row].encode())])
        c_max[position], half[position], shape[position] = fit.draw(position, rng)
        own_sd = np.sqrt(max(value_sd[position] ** 2 - shared_sd[position] ** 2, 0.0))
        own = rng.standard_normal(DRAWS)
        values[position] = np.exp(value_mean[position] + own_sd * own + shared_sd[position] * shared)
        slopes[position] = np.clip(slope_mean[position] + slope_sd[position] * rng.standard_normal(DRAWS),
                                   *SLOPE_RANGE)
        if doubt is not None and doubt.belief[position] < 1.0:
            # a recent fall the shop's scan only partly believes: that share of the draws take the level after it,
            # the rest the level had it not happened, so a likely false alarm no longer halves a SKU's value
            # and a likely collapse still weighs on the plan's ROI in proportion
            unbroken_own = np.sqrt(max(doubt.sd[position] ** 2 - doubt.shared[position] ** 2, 0.0))
            unbroken = np.exp(doubt.mean[position] + unbroken_own * own + doubt.shared[position] * shared)
            values[position] = np.where(rng.random(DRAWS) < doubt.belief[position], values[position], unbroken)
    # the summaries of all SKUs' draws at once (row by row the same figures)
    c_mean, half_median, shape_median = c_max.mean(axis=1), np.median(half, axis=1), np.median(shape, axis=1)
    value_mean_now, slope_mean_now = values.mean(axis=1), slopes.mean(axis=1)
    rounded = [np.round(c_max, 6), np.round(half, 4), np.round(shape, 5), np.round(values, 5), np.round(slopes, 5)]
    curves: dict[str, ResponseCurve] = {}
    price_now = last_price(panel, end)
    for position, row in enumerate(data.rows):
        sku_id = panel.catalog.sku_ids[row]
        mask = data.usable[position]
        spends = data.spend[position][mask]
        recent = spends[-7:]
        low, high = np.quantile(spends, (0.05, 0.95))
        shift = fit.shifts[position] or value_shift[position]
        curves[sku_id] = ResponseCurve(
            sku_id=sku_id, category=panel.catalog.categories[row],
            c_max=round(float(c_mean[position]), 4), half_spend=round(float(half_median[position]), 2),
            shape=round(float(shape_median[position]), 3), value_per_click=round(float(value_mean_now[position]), 4),
            value_slope=round(float(slope_mean_now[position]), 4), value_ref=round(float(value_ref[position]), 2),
            price=round(float(price_now[row]), 2), price_elasticity=round(float(elasticity[position]), 3),
            competitor_elasticity=round(float(rival_all[row]), 3) if rival_known[row] else None,
            spend_low=round(float(low), 2), spend_high=round(float(high), 2),
            current_spend=round(float(recent.mean()), 2), days=int(mask.sum()),
            clicks=float(data.clicks[position][mask].sum()), prior_share=round(float(fit.prior_share[position]), 3),
            shift_date=panel.days[shift.start] if shift else None,
            shift_ratio=round(shift.ratio, 3) if shift else None,
            shift_belief=round(shift.belief, 2) if shift and shift.belief < 1.0 else None,
            draws_c_max=tuple(rounded[0][position].tolist()), draws_half_spend=tuple(rounded[1][position].tolist()),
            draws_shape=tuple(rounded[2][position].tolist()), draws_value=tuple(rounded[3][position].tolist()),
            draws_value_slope=tuple(rounded[4][position].tolist()),
        )
    return curves


def competitor_response(panel: ShopPanel, end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each SKU's conversion elasticity to its competitor's price, from the shop's demand model (the one diagnose
    and the pricing planner use, shrunk towards the shop's), its standard error, and whether the model had a
    competitor for it.

    Floored at 0: a competitor's cut never makes a SKU sell better; a negative estimate is noise.
    """
    from shopagent.tools.elasticity import estimate_elasticities

    if end != len(panel.days):
        raise ValueError("the promotion curves need a panel that ends on the day they are fitted for")
    n = len(panel.catalog.sku_ids)
    response, se, known = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    if not panel.tables_present.get("competitor_prices", False):
        return response, se, known
    estimates = estimate_elasticities(panel)
    for row, sku_id in enumerate(panel.catalog.sku_ids):
        estimate = estimates.get(sku_id)
        if estimate is not None and estimate.competitor_elasticity is not None:
            response[row], known[row] = max(estimate.competitor_elasticity, 0.0), True
            se[row] = estimate.competitor_se or 0.0
    return response, se, known
