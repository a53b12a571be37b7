"""The clicks half of a response curve: a Hill curve per SKU by grid posterior, its shape learnt across the shop.

Clicks follow c_max * s^k / (s^k + h^k), fitted to the promoted in-stock days by a grid posterior over (k, h)
with c_max profiled (quasi-Poisson, recency-weighted). A recent break in the level is found by a change-point test
and the level after it is the one believed. The priors on the shape k and on the half spend relative to the
SKU's market (its GMV per day without promotion) are learnt from the shop's other SKUs by empirical Bayes
(category centres shrunk toward the shop's), so a SKU whose spend barely varied borrows its curvature, and one
the platform only ever tested with a sliver of its budget borrows where it saturates, with the shop's spread
as its uncertainty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopagent.tools.panel import ShopPanel
from shopagent.tools.promotion_history import CURVE_HALF_LIFE, PromotedDays, recency
from shopagent.tools.promotion_response import DRAWS, hill
from shopagent.tools.promotion_shifts import LevelShift, level_shift

SHAPES = np.exp(np.linspace(np.log(0.35), np.log(4.0), 25))
# headroom: logit of the share of c_max still unbought at the SKU's typical spend, 0.01 (saturated) .. 0.9999;
# the top reaches far because a SKU the platform only ever tested with a sliver of its budget is nowhere near
# saturation at its typical spend
HEADROOM = np.linspace(-4.6, 9.2, 70)
EXP_HEADROOM = np.exp(HEADROOM)
BIN = 0.03  # log-spend bin: days within 3% of spend share one evaluation of the curve
WEAK_PRIOR_SD = (0.7, 1.8)  # log shape; headroom (sd 1.8 is close to a uniform share of c_max)
PRIOR_SD_FLOOR = 0.05  # keeps the learnt shape and half-spend priors from collapsing onto a point
SCALE_DAYS = 56  # the SKU's own (non-promoted) GMV per day over this many in-stock days sizes its market
EM_ROUNDS = 25
EM_BLOCK = 32  # SKUs whose grids are worked on together in an EM round
BACKFIT_ROUNDS = 6  # the day effects and the SKUs' lines settle within a few rounds


@dataclass
class ClickFit:
    """The clicks posterior of the fitted SKUs on the (shape, headroom) grid, to draw curves from."""

    log_post: np.ndarray  # (row, shape, half) normalised log posterior
    level: np.ndarray  # (row, shape, half) profiled c_max of the current level
    level_weight: np.ndarray  # (row,) weighted clicks behind the current level / dispersion
    ref: np.ndarray  # (row,) typical spend the half-spend grid is relative to
    prior_share: np.ndarray
    shifts: list[LevelShift | None]

    def draw(self, position: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior draws of (c_max, half_spend, shape)."""
        weights = np.exp(self.log_post[position].ravel())
        cells = rng.choice(weights.size, size=DRAWS, p=weights / weights.sum())
        k_index, h_index = np.unravel_index(cells, self.log_post.shape[1:])
        # jitter within the grid cell so draws do not pile on grid points
        shape = SHAPES[k_index] * np.exp((rng.random(DRAWS) - 0.5) * np.log(SHAPES[1] / SHAPES[0]))
        headroom = HEADROOM[h_index] + (rng.random(DRAWS) - 0.5) * (HEADROOM[1] - HEADROOM[0])
        # clicks(ref) / c_max = 1 / (1 + e^headroom), so the curve is half-way at ref * e^(headroom / k)
        half = self.ref[position] * np.exp(headroom / shape)
        n = max(self.level_weight[position], 0.5)
        # the jittered curve keeps the cell's fitted clicks at the typical spend, where the data pin it down
        level = self.level[position][k_index, h_index] * (1.0 + np.exp(headroom)) / (1.0 + np.exp(HEADROOM[h_index]))
        return level * rng.gamma(n, 1.0 / n, DRAWS), half, shape


def fit_clicks(panel: ShopPanel, data: PromotedDays) -> ClickFit:
    """Grid posterior of the Hill curve per SKU, a change-point in its level, and category priors."""
    weight = recency(data.age, CURVE_HALF_LIFE) * data.usable
    log_spend = np.log(np.where(data.usable, data.spend, 1.0))
    ref = np.exp((weight * log_spend).sum(1) / np.maximum(weight.sum(1), 1e-12))
    x = log_spend - np.log(ref)[:, None]
    # paid clicks come from the shoppers who want the item, so the curve's level follows them: c_max on a day is
    # today's c_max x demand ^ power, the power learnt from the shop's own days (0 when paid clicks ignore it)
    # and the whole shop's paid clicks move together on some days (a festival, the platform's traffic price)
    power, supply = paid_conditions(data, weight, log_spend)
    demand = np.exp(power * data.log_demand + supply[None, :])
    no_break = np.full(data.rows.size, data.spend.shape[1])
    loglik, levels, ys = _grid_loglik(x, data.clicks, weight, no_break, demand)
    weak = _log_prior(np.zeros((data.rows.size, 2)), np.diag(np.square(WEAK_PRIOR_SD)))
    best = (loglik + weak).reshape(data.rows.size, -1).argmax(1)
    k_best, h_best = np.unravel_index(best, loglik.shape[1:])
    c_best = levels[0].reshape(data.rows.size, -1)[np.arange(data.rows.size), best]
    fitted = c_best[:, None] * demand * hill(np.exp(x), 1.0, np.exp(HEADROOM[h_best] / SHAPES[k_best])[:, None],
                                             SHAPES[k_best][:, None])
    pearson = (weight * (data.clicks - fitted) ** 2 / np.maximum(fitted, 1e-9)).sum(1)
    dispersion = np.maximum(pearson / np.maximum(weight.sum(1) - 3.0, 1.0), 1.0)
    shifts = level_shift(data.clicks, fitted, data.usable, dispersion)
    breaks = np.array([s.start if s else data.spend.shape[1] for s in shifts])
    redo = np.flatnonzero(breaks < data.spend.shape[1])
    current = levels[0]
    y_current = ys[0]
    if redo.size:
        loglik2, levels2, ys2 = _grid_loglik(x[redo], data.clicks[redo], weight[redo], breaks[redo], demand[redo])
        loglik[redo] = loglik2
        current = current.copy()
        current[redo] = levels2[1]
        y_current = y_current.copy()
        y_current[redo] = ys2[1]
    scaled = loglik / dispersion[:, None, None]
    offset = np.log(ref / _market(panel, data))
    prior, prior_share = _category_prior(scaled, [panel.catalog.categories[r] for r in data.rows], offset)
    log_post = scaled + prior
    log_post -= log_post.max(axis=(1, 2), keepdims=True)
    log_post -= np.log(np.exp(log_post).sum(axis=(1, 2), keepdims=True))
    return ClickFit(log_post=log_post, level=current, level_weight=y_current / dispersion, ref=ref,
                    prior_share=prior_share, shifts=shifts)


def _market(panel: ShopPanel, data: PromotedDays) -> np.ndarray:
    """Each fitted SKU's GMV per day from everything but promotion, over its last in-stock days (NaN without sales)."""
    end = data.spend.shape[1]
    part = slice(max(0, end - SCALE_DAYS), end)
    rows = data.rows
    in_stock = ~panel.stockout()[rows, part]
    organic = np.maximum(panel.gmv[rows, part] - panel.ad_gmv[rows, part], 0.0)
    days = in_stock.sum(1)
    market = np.where(in_stock, organic, 0.0).sum(1) / np.maximum(days, 1)
    return np.where((days > 0) & (market > 0), market, np.nan)


def _grid_loglik(x: np.ndarray, clicks: np.ndarray, weight: np.ndarray, breaks: np.ndarray,
                 demand: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Profile quasi-Poisson log likelihood on the (shape, half) grid, c_max profiled per segment (a day's
    expected clicks are c_max x demand x the curve at its spend).

    Days are binned by log spend (a 3% bin moves the curve by far less than the day-to-day noise), so the
    cost is rows x grid x bins rather than rows x grid x days. Segment 1 holds the days from `breaks` on.
    """
    n_rows, n_days = x.shape
    segment = (np.arange(n_days)[None, :] >= breaks[:, None]).astype(np.int64)
    live = weight > 0
    row_index = np.broadcast_to(np.arange(n_rows)[:, None], x.shape)[live]
    bins = np.clip(np.round(x[live] / BIN).astype(np.int64), -400, 400) + 400
    key = (row_index * 2 + segment[live]) * 801 + bins
    unique, inverse = np.unique(key, return_inverse=True)
    w_sum = np.bincount(inverse, weights=weight[live])
    wd_sum = np.bincount(inverse, weights=(weight * demand)[live])
    wy_sum = np.bincount(inverse, weights=(weight * clicks)[live])
    x_mean = np.bincount(inverse, weights=(weight * x)[live]) / np.maximum(w_sum, 1e-300)
    group_row, group_seg = unique // 1602, (unique // 801) % 2
    first = np.searchsorted(group_row, np.arange(n_rows))
    position = np.arange(unique.size) - first[group_row]
    width = int(position.max()) + 1 if unique.size else 1
    shape = (n_rows, width)
    w_grid, wy_grid, x_grid, seg_grid = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=bool)
    w_grid[group_row, position] = wd_sum
    wy_grid[group_row, position] = wy_sum
    x_grid[group_row, position] = x_mean
    seg_grid[group_row, position] = group_seg == 1
    loglik = np.zeros((n_rows, SHAPES.size, HEADROOM.size))
    level0, level1 = np.zeros_like(loglik), np.zeros_like(loglik)
    y0 = (wy_grid * ~seg_grid).sum(1)
    y1 = (wy_grid * seg_grid).sum(1)
    cells = SHAPES.size * HEADROOM.size
    # the curve's share at a bin is 1 / (1 + t), t = e^(headroom - k x) = e^(-k x) x e^headroom: one exponential
    # per (shape, bin) and one log per grid cell; each row over its own bins only, none padded
    w_segments = [w_grid * ~seg_grid, w_grid * seg_grid]
    for row, used in enumerate(np.bincount(group_row, minlength=n_rows)):
        used = max(int(used), 1)
        t = (np.exp(-SHAPES[:, None] * x_grid[row, None, :used])[:, None, :]
             * EXP_HEADROOM[None, :, None]).reshape(cells, used)
        log_g = -np.log1p(t)
        g = np.reciprocal(t + 1.0, out=t)
        total = log_g @ wy_grid[row, :used]
        for level, y, w_segment in ((level0, y0[row], w_segments[0]), (level1, y1[row], w_segments[1])):
            if not y:
                continue
            exposure = g @ w_segment[row, :used]
            c = np.where(exposure > 0, y / np.maximum(exposure, 1e-300), 0.0)
            level[row] = c.reshape(SHAPES.size, HEADROOM.size)
            if y > 0:
                total += y * np.log(np.maximum(c, 1e-300)) - y
        loglik[row] = total.reshape(SHAPES.size, HEADROOM.size)
    return loglik, (level0, level1), (y0, y1)


def paid_conditions(data: PromotedDays, weight: np.ndarray, log_spend: np.ndarray) -> tuple[float, np.ndarray]:
    """The demand power, and the shop-wide log multiplier of paid clicks per day (0 over the last week).

    On a festival the platform has more shoppers to sell, so every SKU's yuan buys more clicks that day, and
    merchants raise their budgets for the festival too: read naively, the high-spend days look like a curve that
    never saturates. Each day's effect is what every SKU's clicks share beyond its own spend and demand, the day
    fixed effect of a two-way within regression found by backfitting, shrunk toward 0 by how much of its spread
    the SKUs' own noise explains (few SKUs on a day say little). Two SKUs a day at least; otherwise 0.
    """
    supply = np.zeros(data.spend.shape[1])
    power = demand_power(data, weight, log_spend)
    days = (weight > 0) & (data.clicks > 0)
    if data.rows.size < 2 or not days.any():
        return power, supply
    y = np.where(days, np.log(np.where(days, data.clicks, 1.0)), 0.0)
    w = np.where(days, weight, 0.0)
    seen = days.sum(0) >= 2
    total = w.sum(0)
    effective = np.where(seen, total**2 / np.maximum((w**2).sum(0), 1e-12), 0.0)  # SKUs' worth of data a day
    recent = seen & (np.arange(supply.size) >= supply.size - 7)
    for _ in range(BACKFIT_ROUNDS):
        residual = y - supply[None, :] - power * data.log_demand
        residual = np.where(days, residual - _line_per_sku(log_spend, residual, w) + supply[None, :], 0.0)
        raw = np.where(seen, (w * residual).sum(0) / np.maximum(total, 1e-12), 0.0)
        noise = float((w * (residual - raw[None, :]) ** 2).sum() / max(w.sum() - 2.0 * data.rows.size, 1.0))
        sampling = np.where(effective > 0, noise / np.maximum(effective, 1e-12), np.inf)
        spread = max(float(np.var(raw[seen]) - np.mean(sampling[seen])), 0.0) if seen.sum() > 7 else 0.0
        # no spread and no noise (a day or two of data): nothing to tell a day's effect from, so none
        supply = np.where(seen & (spread + sampling > 0), raw * spread / np.maximum(spread + sampling, 1e-300), 0.0)
        supply = np.where(seen, supply - (supply[recent].mean() if recent.any() else 0.0), 0.0)
        power = demand_power(data, weight, log_spend, supply)
    return power, supply


def _line_per_sku(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Each row's weighted least-squares line of y on x, evaluated on its days (0 for a row without days)."""
    sw = w.sum(1)
    ok = sw > 0
    mean_x = (w * x).sum(1) / np.where(ok, sw, 1.0)
    mean_y = (w * y).sum(1) / np.where(ok, sw, 1.0)
    dx = x - mean_x[:, None]
    sxx = (w * dx * dx).sum(1)
    slope = np.where(sxx > 1e-9, (w * dx * (y - mean_y[:, None])).sum(1) / np.maximum(sxx, 1e-9), 0.0)
    return np.where(ok[:, None], mean_y[:, None] + slope[:, None] * dx, 0.0)


def demand_power(data: PromotedDays, weight: np.ndarray, log_spend: np.ndarray,
                 supply: np.ndarray | None = None) -> float:
    """How strongly a SKU's paid clicks follow its organic demand at the same spend: the shop's pooled
    within-SKU slope of log clicks on log demand, with log spend beside it (each SKU's slope weighted by
    its precision), kept within 0..1.5, after the shop-wide day effect `supply`. Zero when no SKU's demand
    moved enough to tell."""
    days = (weight > 0) & (data.clicks > 0)
    demand = data.log_demand
    count = days.sum(1)
    spread = (np.max(np.where(days, demand, -np.inf), axis=1, initial=-np.inf)
              - np.min(np.where(days, demand, np.inf), axis=1, initial=np.inf))
    rows = np.flatnonzero((count >= 14) & (spread >= 0.1))
    if not rows.size:
        return 0.0
    # every SKU's weighted least squares of log clicks on (1, log spend, log demand) at once
    w = np.where(days[rows], weight[rows], 0.0)
    columns = np.stack([np.ones_like(w), np.where(days[rows], log_spend[rows], 0.0),
                        np.where(days[rows], demand[rows], 0.0)], axis=2)
    y = np.where(days[rows], np.log(np.where(days[rows], data.clicks[rows], 1.0))
                 - (0.0 if supply is None else supply[None, :]), 0.0)
    gram = np.einsum("rdi,rdj->rij", columns * w[:, :, None], columns)
    try:
        inverse = np.linalg.inv(gram)
    except np.linalg.LinAlgError:  # some SKU's design is singular: invert one by one and leave those out
        inverse = np.full(gram.shape, np.nan)
        for position, matrix in enumerate(gram):
            try:
                inverse[position] = np.linalg.inv(matrix)
            except np.linalg.LinAlgError:
                continue
    beta = np.einsum("rij,rj->ri", inverse, np.einsum("rdi,rd->ri", columns, w * y))
    residual = y - np.einsum("rdi,ri->rd", columns, beta)
    variance = (w * residual**2).sum(1) / np.maximum(w.sum(1) - 3.0, 1.0) * inverse[:, 2, 2]
    ok = (variance > 0) & np.isfinite(variance)
    if not ok.any():
        return 0.0
    slopes, precisions = beta[ok, 2], 1.0 / variance[ok]
    return float(np.clip(np.average(slopes, weights=precisions), 0.0, 1.5))


def _log_prior(mean: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Bivariate normal log prior on (log shape, headroom) per row (means (row, 2), one 2x2 covariance)."""
    k = np.log(SHAPES)[None, :, None] - mean[:, 0, None, None]
    h = HEADROOM[None, None, :] - mean[:, 1, None, None]
    inverse = np.linalg.inv(covariance)
    return -0.5 * (inverse[0, 0] * k * k + 2.0 * inverse[0, 1] * k * h + inverse[1, 1] * h * h)


def _category_prior(loglik: np.ndarray, categories: list[str], offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes prior on the curve's shape and half spend by EM over the shop's SKUs, and each prior share.

    The shape (log k) is how a SKU's auction responds to money, which SKUs of a category share. The half spend
    is pooled relative to the SKU's market, its own GMV per day without promotion (`offset` is log typical
    spend / that GMV): how much traffic the platform can buy for a SKU follows how many shoppers look for it,
    not what its merchant happened to spend, so a SKU the platform only ever tested with a sliver of its budget
    takes its saturation point from SKUs whose spend reached theirs, with the shop's spread around it as its
    uncertainty. A SKU without such sales (`offset` NaN) keeps a wide prior on its headroom. A category's
    centre is its SKUs' mean shrunk toward the shop's by three pseudo-SKUs, so a category of one does not
    become its own prior.
    """
    n = loglik.shape[0]
    log_k = np.log(SHAPES)[None, :, None]
    pooled = np.isfinite(offset)
    # log(half spend / market) on the grid: the curve is half-way at typical spend x e^(headroom / k)
    relative = np.where(pooled, offset, 0.0)[:, None, None] + HEADROOM[None, None, :] / SHAPES[None, :, None]
    mean = np.zeros((n, 2))
    variance = np.square(WEAK_PRIOR_SD) * np.array([1.0, 4.0])
    codes = np.unique(np.array(categories), return_inverse=True)[1]
    if pooled.any():
        mean[:, 1] = float(np.median(offset[pooled]))
    for _ in range(EM_ROUNDS if n >= 3 else 0):
        # each SKU's posterior moments of log shape and of log(half spend / market) under the current prior,
        # a block of SKUs at a time so the grids stay in cache
        post, spread = np.zeros((n, 2)), np.zeros((n, 2))
        for lo in range(0, n, EM_BLOCK):
            block = slice(lo, lo + EM_BLOCK)
            weight = _posterior_weight(loglik[block], mean[block], variance, relative[block], pooled[block])
            for axis, values in ((0, log_k), (1, relative[block])):
                post[block, axis] = (weight * values).sum(axis=(1, 2))
                deviation = np.subtract(values, post[block, axis, None, None])
                np.square(deviation, out=deviation)
                spread[block, axis] = (np.multiply(deviation, weight, out=deviation) if axis else
                                       weight * deviation).sum(axis=(1, 2))
        for axis, rows in ((0, np.ones(n, dtype=bool)), (1, pooled)):
            if rows.sum() < 3:
                continue
            centre = float(post[rows, axis].mean())
            scatter = float(spread[rows, axis].mean() + np.mean((post[rows, axis] - centre) ** 2))
            variance[axis] = scatter + PRIOR_SD_FLOOR**2
            totals = np.bincount(codes[rows], weights=post[rows, axis], minlength=codes.max() + 1)
            counts = np.bincount(codes[rows], minlength=codes.max() + 1)
            mean[:, axis] = ((totals + 3.0 * centre) / (counts + 3.0))[codes]
    prior = _pooled_prior(mean, variance, relative, pooled)
    # how much of the curve's slope at typical spend (k x unbought share) the data left to the prior
    slope = SHAPES[None, :, None] / (1.0 + np.exp(-HEADROOM[None, None, :]))
    share = _variance(loglik + prior, slope) / np.maximum(_variance(prior, slope), 1e-12)
    return prior, np.clip(share, 0.0, 1.0)


def _pooled_prior(mean: np.ndarray, variance: np.ndarray, relative: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Log prior on the grid: normal in log shape and in log(half spend / market), a wide headroom prior without one."""
    log_k = np.log(SHAPES)[None, :, None]
    shape_term = -0.5 * (log_k - mean[:, 0, None, None]) ** 2 / variance[0]
    # the density is on log half spend, the grid on headroom: d log half / d headroom = 1 / k
    half_term = -0.5 * (relative - mean[:, 1, None, None]) ** 2 / variance[1] - log_k
    weak_term = -0.5 * np.square(HEADROOM)[None, None, :] / WEAK_PRIOR_SD[1] ** 2
    return shape_term + np.where(pooled[:, None, None], half_term, weak_term)


def _posterior_weight(loglik: np.ndarray, mean: np.ndarray, variance: np.ndarray, relative: np.ndarray,
                      pooled: np.ndarray) -> np.ndarray:
    """`_normalised(loglik + _pooled_prior(...))` worked in place: the same operations in the same order, without
    a new grid-sized array for each (the EM's rounds spend their time here)."""
    log_k = np.log(SHAPES)[None, :, None]
    shape_term = -0.5 * (log_k - mean[:, 0, None, None]) ** 2 / variance[0]
    out = np.subtract(relative, mean[:, 1, None, None])
    np.square(out, out=out)
    out *= -0.5
    out /= variance[1]
    out -= log_k
    if not pooled.all():
        out = np.where(pooled[:, None, None], out, -0.5 * np.square(HEADROOM)[None, None, :] / WEAK_PRIOR_SD[1] ** 2)
    out += shape_term
    out += loglik
    out -= out.max(axis=(1, 2), keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=(1, 2), keepdims=True)
    return out


def _normalised(log_weight: np.ndarray) -> np.ndarray:
    weight = np.exp(log_weight - log_weight.max(axis=(1, 2), keepdims=True))
    return weight / weight.sum(axis=(1, 2), keepdims=True)


def _variance(log_weight: np.ndarray, values: np.ndarray) -> np.ndarray:
    weight = _normalised(log_weight)
    mean = (weight * values).sum(axis=(1, 2))
    return (weight * (values - mean[:, None, None]) ** 2).sum(axis=(1, 2))
