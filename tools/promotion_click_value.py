"""GMV per click of a SKU's full-site promotion, at today's price and the shop's conversion level today.

A recency-weighted ratio estimate over the promoted days, with history re-priced by the SKU's price elasticity,
by its response to the competitor's price (so the day a competitor undercuts, every past click is valued at the
competitor's new price) and by any shop-wide conversion break, and cut at any recent break in the SKU's own
orders per click that these do not explain (a rating drop, or a campaign whose ad orders collapsed days ago).
It is shrunk toward what the SKU's organic visitors are worth times the shop's paid/organic ratio, so a SKU
with few promoted clicks is not valued on a handful of orders, unless its orders per click broke: then its
clicks since the break are the estimate. A young break the shop's scan only partly believes (`recent_fall`)
comes with the value had it not happened, for the draws that do not believe it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopagent.tools.panel import ShopPanel
from shopagent.tools.promotion_history import (
    CURVE_HALF_LIFE,
    VALUE_HALF_LIFE,
    PromotedDays,
    competitor_moves,
    last_price,
    recency,
)
from shopagent.tools.promotion_shifts import LevelShift, level_shift, recent_fall
from shopagent.tools.schema import CHANNELS

PROMOTION = CHANNELS.index("promotion")
MODEL_DAYS = 7.0  # the shop's noise model weighs as much as a week of a SKU's own days
QUADRATURE_NODES = 16  # Gauss-Hermite nodes over a SKU's deviation from the shop's centre


@dataclass(frozen=True)
class BreakDoubt:
    """Per fitted SKU, the chance its recent break is real (1: no break, or one `level_shift` is sure of) and its
    GMV per click as `value_per_click` gives it had the break not been believed: log mean, sd, shared part."""

    belief: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    shared: np.ndarray


def value_per_click(panel: ShopPanel, data: PromotedDays, end: int, elasticity_all: np.ndarray,
                    shop_factor: np.ndarray, competitor_response: np.ndarray | None = None,
                    competitor_se: np.ndarray | None = None, recent_check: bool = True,
                    ) -> tuple[np.ndarray, np.ndarray, list[LevelShift | None], np.ndarray, np.ndarray, np.ndarray,
                               BreakDoubt | None]:
    """Log GMV per click at today's price and today's competitor price: mean and sd per fitted SKU, any
    recent break in conversion, the part of the sd all SKUs share (the error of the prior's centre), the
    (row, day) GMV re-priced to today and weights the value is the ratio of (for the slope of value on spend),
    and, when a recent fall is not certain, the value without it (None when every break is believed).

    competitor_response: per panel row, the conversion elasticity to the competitor's price (0: not re-priced),
    and competitor_se its standard error, which widens the sd by how far the competitor's price has moved.
    recent_check: False skips the costly scan for a collapse of the last days (the backtest's quick refits).
    """
    elasticity = elasticity_all[data.rows]
    rival = np.zeros(data.rows.size) if competitor_response is None else competitor_response[data.rows]
    use = data.usable & (data.clicks > 0)
    # how a day's conversion compared with today's at the same visitors: its own price, the competitor's, the shop's
    conversion_now = (np.exp(elasticity[:, None] * data.log_price + rival[:, None] * data.log_competitor)
                      / shop_factor[None, :])
    # a day's GMV per click at today's prices and today's shop-wide conversion level
    reprice = np.exp(-data.log_price) / conversion_now
    # orders per click, re-priced, tested for a recent break (a competitor undercut, a rating drop)
    long_w = recency(data.age, CURVE_HALF_LIFE) * use
    rate = (long_w * data.orders).sum(1) / np.maximum((long_w * data.clicks * conversion_now).sum(1), 1e-9)
    expected_orders = data.clicks * conversion_now * rate[:, None]
    level_shifts = level_shift(data.orders, expected_orders, use)
    shifts = level_shifts
    if recent_check:
        falls = recent_fall(data.orders, expected_orders, use)
        shifts = [shift or fall for shift, fall in zip(shifts, falls, strict=True)]
    numerator = data.gmv * reprice
    # the prior: what the SKU's organic visitors are worth, times the shop's paid/organic ratio
    organic = _organic_value(panel, end, shop_factor, elasticity_all, competitor_response)[data.rows]
    mean, sd, shared, weight = _level(panel, data, end, use, numerator, organic, shifts, competitor_se)
    belief = np.array([1.0 if shift is None else shift.belief for shift in shifts])
    doubt = None
    if (belief < 1.0).any():
        # a fall the shop's scan does not wholly believe: the value as if it had not happened, for the draws
        # that do not believe it (see `recent_fall`)
        unbroken_mean, unbroken_sd, unbroken_shared, _ = _level(panel, data, end, use, numerator, organic,
                                                                level_shifts, competitor_se)
        doubt = BreakDoubt(belief=belief, mean=unbroken_mean, sd=unbroken_sd, shared=unbroken_shared)
    return mean, sd, shifts, shared, numerator, weight, doubt


def _level(panel: ShopPanel, data: PromotedDays, end: int, use: np.ndarray, numerator: np.ndarray,
           organic: np.ndarray, shifts: list[LevelShift | None], competitor_se: np.ndarray | None,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log GMV per click, its sd and shared sd, and the (row, day) weights, with each SKU's days before its break
    (if any) left out and the SKU then not pulled toward its prior."""
    weight = recency(data.age, VALUE_HALF_LIFE) * use
    for position, shift in enumerate(shifts):
        if shift is not None:
            weight[position, : shift.start] = 0.0
    total_clicks = (weight * data.clicks).sum(1)
    value = (weight * numerator).sum(1) / np.maximum(total_clicks, 1e-9)
    se = np.where(total_clicks > 0, _value_se(data, weight, numerator, value), np.inf)
    if competitor_se is not None:
        # an error in the competitor response shifts log value by that error times the clicks' average move
        moved = (weight * data.clicks * data.log_competitor).sum(1) / np.maximum(total_clicks, 1e-9)
        se = np.sqrt(se**2 + (competitor_se[data.rows] * moved) ** 2)
    ok = np.isfinite(se) & (value > 0) & (organic > 0)
    log_ratio = np.log(np.where(ok, value, 1.0) / np.where(organic > 0, organic, 1.0))
    centre, centre_se, spread = 0.0, 0.0, 1.0
    if ok.sum() >= 3:
        spread = between_sku_spread(log_ratio[ok], se[ok])[2]
        # the centre from every SKU's clicks, the ones that sold nothing included: averaging only the SKUs that
        # happened to sell valued a shop's first day of clicks 18% high (seeds 100-119)
        orders = (weight * data.orders).sum(1)
        order_value = np.where(orders > 0, (weight * numerator).sum(1) / np.maximum(orders, 1e-9),
                               last_price(panel, end)[data.rows])
        known = (organic > 0) & (total_clicks > 0) & (order_value > 0)
        centre, centre_se = random_effect_centre(orders[known],
                                                 (total_clicks * organic / np.where(known, order_value, 1.0))[known])
    prior_mean = np.where(organic > 0, np.log(np.where(organic > 0, organic, 1.0)) + centre, np.nan)
    own = np.log(np.where(value > 0, value, np.nan))
    own_precision = np.where(np.isfinite(own) & np.isfinite(se), 1.0 / np.where(np.isfinite(se), se, 1.0) ** 2, 0.0)
    prior_precision = np.where(np.isfinite(prior_mean), 1.0 / spread, 0.0)
    # the prior says paid clicks convert as the SKU's organic visitors do; a break in its orders per click that
    # its price, its rival's and the shop's level do not explain (a campaign whose ads stopped converting) has
    # just disproved that for this SKU, so its clicks since the break stand on their own, not pulled back
    broke = np.array([shift is not None for shift in shifts], dtype=bool)
    prior_precision = np.where(broke & (own_precision > 0), 0.0, prior_precision)
    if not np.all(own_precision + prior_precision > 0):
        # no clicks converted and nothing organic to go on: a shop-typical conversion at today's price
        fallback = np.log(np.nanmedian(np.where(ok, value, np.nan)) if ok.any() else 1.0)
        prior_mean = np.where(own_precision + prior_precision > 0, prior_mean, fallback)
        prior_precision = np.where(own_precision + prior_precision > 0, prior_precision, 1.0)
    precision = own_precision + prior_precision
    mean = (np.nan_to_num(own) * own_precision + np.nan_to_num(prior_mean) * prior_precision) / precision
    # the centre is estimated from the same SKUs' clicks, and its error is every SKU's at once, in proportion to
    # how much each leans on the prior: a week in which the shop's paid clicks happened to convert well raises
    # them all, and a budget spread over twenty SKUs does not average it away
    shared = np.where(np.isfinite(prior_mean) & (prior_precision > 0), prior_precision / precision, 0.0) * centre_se
    variance = 1.0 / precision + shared**2
    mean = np.minimum(mean - 0.5 * variance, _never_converted_cap(panel, data, use, end))
    return mean, np.sqrt(variance), shared, weight


def random_effect_centre(orders: np.ndarray, exposure: np.ndarray) -> tuple[float, float]:
    """Mean log ratio of SKUs' orders to their exposure (the orders a ratio of 1 would bring), and its standard
    error, from a Poisson-lognormal model: orders_i ~ Poisson(exposure_i exp(centre + u_i)), u_i ~ N(0, tau^2).

    A SKU that sold nothing counts as the evidence it is (a low ratio, or a small exposure), rather than being
    left out; averaging the logs of the SKUs that sold kept only the lucky ones. The SKUs' scatter tau is
    profiled out on a grid, the centre found by golden section (the likelihood is log-concave in it), its error
    from the likelihood's curvature there.
    """
    nodes, node_weights = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
    log_node_weights = np.log(node_weights / node_weights.sum())
    taus = np.r_[0.0, np.geomspace(0.03, 1.5, 15)]
    log_exposure = np.log(exposure)

    def log_likelihood(centre: np.ndarray, tau: np.ndarray) -> np.ndarray:  # (k,) pairs -> (k,)
        log_rate = log_exposure[None, :, None] + centre[:, None, None] + tau[:, None, None] * nodes[None, None, :]
        per_node = orders[None, :, None] * log_rate - np.exp(log_rate) + log_node_weights[None, None, :]
        peak = per_node.max(axis=2, keepdims=True)
        return (peak[..., 0] + np.log(np.exp(per_node - peak).sum(axis=2))).sum(axis=1)

    # golden section for every tau at once: each step keeps one inner point and its value, and evaluates one new
    start = np.log(max(orders.sum(), 0.5) / exposure.sum())
    lo, hi = np.full(taus.size, start - 5.0), np.full(taus.size, start + 5.0)
    golden = (np.sqrt(5.0) - 1.0) / 2.0
    left, right = hi - golden * (hi - lo), lo + golden * (hi - lo)
    at_left, at_right = log_likelihood(left, taus), log_likelihood(right, taus)
    for _ in range(30):
        keep_left = at_left > at_right  # the peak is left of `right`
        lo, hi = np.where(keep_left, lo, left), np.where(keep_left, right, hi)
        new = np.where(keep_left, hi - golden * (hi - lo), lo + golden * (hi - lo))
        at_new = log_likelihood(new, taus)
        left, right, at_left, at_right = (np.where(keep_left, new, right), np.where(keep_left, left, new),
                                          np.where(keep_left, at_new, at_right), np.where(keep_left, at_left, at_new))
    centres = 0.5 * (lo + hi)
    best = int(np.argmax(log_likelihood(centres, taus)))
    step = 0.01
    around = centres[best] + np.array([step, -step, 0.0])
    up, down, here = log_likelihood(around, np.full(3, taus[best]))
    curvature = (up + down - 2.0 * here) / step**2
    return float(centres[best]), float(1.0 / np.sqrt(max(-curvature, 1e-12)))


def between_sku_spread(estimate: np.ndarray, se: np.ndarray, floor: float = 0.02) -> tuple[float, float, float]:
    """Centre, the centre's standard error, and the variance of the SKUs' true values around it, from estimates
    with standard errors (Paule-Mandel: the variance at which the estimates scatter around their weighted centre
    exactly as their errors plus it predict). Subtracting the mean squared error from the scatter instead lets a
    few very noisy SKUs swamp it: with a week of history the spread came out too small and the prior too sure."""
    def centre_and_excess(variance: float) -> tuple[float, float, float]:
        weight = 1.0 / (se**2 + variance)
        centre = float((weight * estimate).sum() / weight.sum())
        return centre, float(np.sqrt(1.0 / weight.sum())), float((weight * (estimate - centre) ** 2).sum()) - (
            estimate.size - 1)

    lo, hi = floor, 4.0
    if centre_and_excess(lo)[2] <= 0:
        hi = lo
    elif centre_and_excess(hi)[2] <= 0:
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if centre_and_excess(mid)[2] > 0 else (lo, mid)
    centre, centre_se, _ = centre_and_excess(hi)
    return centre, centre_se, hi


def _value_se(data: PromotedDays, weight: np.ndarray, numerator: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Relative standard error of each SKU's GMV per click: its own days' scatter, moderated by the shop's.

    A SKU's own residuals measure its noise with as many degrees of freedom as it has (effective) days, so a
    week of history can look three times steadier than it is. The shop gives a model with hundreds of
    degrees of freedom: a day's GMV is a sum of orders (compound Poisson, variance GMV x order value) times a
    dispersion the shop's SKUs share. The two are pooled by degrees of freedom (the model counts as a week),
    so a long history speaks for itself and a short one leans on the shop.
    """
    residual = weight * (numerator - value[:, None] * data.clicks)
    scale = np.maximum((weight * numerator).sum(1), 1e-9) ** 2
    days = (weight > 0).sum(1)
    effective = np.where(days > 0, weight.sum(1) ** 2 / np.maximum((weight**2).sum(1), 1e-300), 0.0)
    # the residuals are about a fitted ratio: one degree of freedom goes to it
    own = (residual**2).sum(1) * effective / np.maximum(effective - 1.0, 1.0) / scale
    order_value = (weight * numerator).sum(1) / np.maximum((weight * data.orders).sum(1), 1e-9)
    poisson = (weight**2 * np.maximum(numerator, 0.0)).sum(1) * order_value / scale
    fitted = (effective > 1.0) & (poisson > 0)
    dispersion = (float((own * (effective - 1.0))[fitted].sum() / ((poisson * (effective - 1.0))[fitted].sum()))
                  if fitted.any() and poisson[fitted].sum() > 0 else 1.0)
    model = max(dispersion, 1.0) * poisson
    freedom = np.maximum(effective - 1.0, 0.0)
    variance = (freedom * own + MODEL_DAYS * model) / (freedom + MODEL_DAYS)
    floor = 1.0 / np.maximum((weight * data.orders).sum(1), 1.0)
    return np.sqrt(np.maximum(variance, floor))


def _never_converted_cap(panel: ShopPanel, data: PromotedDays, use: np.ndarray, end: int) -> np.ndarray:
    """Log GMV per click the data still allows for a SKU whose paid clicks never produced an order.

    No order in N clicks puts orders per click below 3 / N with 95% confidence (the Poisson bound for zero
    events), so a click is worth at most 3 / N orders at the SKU's usual order value. Without the cap the
    prior (what its organic visitors are worth) would value a thousand fruitless clicks as if they sold.
    SKUs with any ad order are not capped (+inf).
    """
    clicks = np.where(use, data.clicks, 0.0).sum(1)
    orders = np.where(use, data.orders, 0.0).sum(1)
    part = slice(max(0, end - 56), end)
    rows = data.rows
    organic_orders = np.maximum(panel.orders[rows, part] - panel.ad_orders[rows, part], 0.0).sum(1)
    organic_gmv = np.maximum(panel.gmv[rows, part] - panel.ad_gmv[rows, part], 0.0).sum(1)
    order_value = np.where(organic_orders > 0, organic_gmv / np.maximum(organic_orders, 1.0),
                           last_price(panel, end)[rows])
    never = (orders == 0) & (clicks > 0) & np.isfinite(order_value) & (order_value > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cap = np.log(3.0 * order_value / np.maximum(clicks, 1.0))
    return np.where(never, cap, np.inf)


def _organic_value(panel: ShopPanel, end: int, shop_factor: np.ndarray, elasticity: np.ndarray,
                   competitor_response: np.ndarray | None, days: int = 28) -> np.ndarray:
    """Organic GMV per channel-weighted organic visitor at today's price and competitor price, last `days`
    in-stock days.

    Channels convert differently (search buyers intend, recommend browsers do not), so visitors are weighted
    by their channel's shop-wide GMV per visitor: what remains is how well the SKU itself converts.
    """
    part = slice(max(0, end - days), end)
    out = panel.stockout()[:, part]
    visitors = panel.visitors[:, part, :].copy()
    visitors[:, :, PROMOTION] = 0.0
    channel_visitors = visitors.sum(axis=(0, 1))
    worth = np.where(channel_visitors > 0, panel.channel_gmv[part].sum(axis=0) / np.maximum(channel_visitors, 1.0), 0.0)
    effective = (visitors * (worth / max(float(worth.max()), 1e-12))[None, None, :]).sum(axis=2)
    price_now = last_price(panel, end)
    with np.errstate(invalid="ignore", divide="ignore"):
        reprice = np.exp((1.0 + elasticity)[:, None] * np.log(price_now[:, None] / panel.price[:, part]))
    if competitor_response is not None:
        reprice = reprice * np.exp(-competitor_response[:, None] * competitor_moves(panel, end)[:, part])
    organic_gmv = np.maximum(panel.gmv[:, part] - panel.ad_gmv[:, part], 0.0) * shop_factor[None, part]
    use = ~out & np.isfinite(reprice)
    total_visitors = np.where(use, effective, 0.0).sum(1)
    gmv = np.where(use, organic_gmv * np.where(use, reprice, 0.0), 0.0).sum(1)
    return np.where(np.where(use, visitors.sum(axis=2), 0.0).sum(1) >= 50, gmv / np.maximum(total_visitors, 1e-9),
                    np.nan)
