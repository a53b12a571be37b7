"""Full-site promotion (全站推广) response curves: daily spend -> attributed GMV per SKU, with uncertainty.

GMV(spend) = clicks(spend) x GMV per click. Clicks follow a Hill curve c_max * s^k / (s^k + h^k) fitted to
`promotion_daily` by a grid posterior over (k, h) with c_max profiled (quasi-Poisson, recency-weighted,
stockout days left out); the prior on the shape k is learnt from the shop's other SKUs by empirical Bayes
(category centres shrunk toward the shop's), so a SKU whose spend barely varied borrows its curvature. GMV
per click is a recency-weighted ratio estimate at today's price (history re-priced with the SKU's price
elasticity and any shop-wide conversion break), shrunk toward what its organic visitors are worth. A recent
break in either part (a campaign whose response collapsed) is found by a change-point test and the level
after the break is the one believed.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.panel import ShopPanel
from shopagent.tools.schema import CHANNELS
from shopagent.tools.stats import critical_z

CURVE_HALF_LIFE = 90.0  # days: the curve's shape needs the spend variation of a long history
VALUE_HALF_LIFE = 28.0  # days: GMV per click follows price, rating and competitor moves quickly
SHAPES = np.exp(np.linspace(np.log(0.35), np.log(4.0), 25))
# headroom: logit of the share of c_max still unbought at the SKU's typical spend, 0.01 (saturated) .. 0.99
HEADROOM = np.linspace(-4.6, 4.6, 47)
BIN = 0.03  # log-spend bin: days within 3% of spend share one evaluation of the curve
DRAWS = 200
WEAK_PRIOR_SD = (0.7, 1.8)  # log shape; headroom (sd 1.8 is close to a uniform share of c_max)
PRIOR_SD_FLOOR = 0.05  # keeps the learnt shape prior from collapsing onto a point
EM_ROUNDS = 25
CHUNK = 64
PROMOTION = CHANNELS.index("promotion")


class ResponseCurve(BaseModel):
    """One SKU's full-site promotion response: expected attributed GMV per day at a daily spend."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    category: str
    c_max: float  # clicks per day at saturation (posterior mean, current level)
    half_spend: float  # daily spend that buys half of c_max (posterior median)
    shape: float  # Hill exponent; above 1 the curve is S-shaped (posterior median)
    value_per_click: float  # attributed GMV per click at `price`
    price: float  # the price the curve is for (the last day's)
    price_elasticity: float  # of conversion: GMV per click scales with price_ratio ** (1 + elasticity)
    spend_low: float  # 5th and 95th percentile of the daily spend seen: beyond them the curve extrapolates
    spend_high: float
    current_spend: float  # mean daily spend over the last 7 promoted days
    days: int  # promoted in-stock days the fit used
    clicks: float
    prior_share: float  # 0..1, how much of the curve's shape comes from the category rather than the SKU
    shift_date: date | None = None  # a recent break in the response level, when one was found
    shift_ratio: float | None = None
    draws_c_max: tuple[float, ...]
    draws_half_spend: tuple[float, ...]
    draws_shape: tuple[float, ...]
    draws_value: tuple[float, ...]

    def gmv_draws(self, spend: float, price_ratio: float = 1.0) -> np.ndarray:
        """Posterior draws of attributed GMV per day at a daily spend."""
        return CurveArrays.of([self]).gmv(np.array([[spend]]), np.array([price_ratio]))[0, 0]

    def expected_gmv(self, spend: float, price_ratio: float = 1.0) -> float:
        """Expected attributed GMV per day at a daily spend (price_ratio = new price / current price)."""
        return float(self.gmv_draws(spend, price_ratio).mean())

    def gmv_quantile(self, spend: float, q: float, price_ratio: float = 1.0) -> float:
        """The q-quantile of attributed GMV per day at a daily spend (q=0.1: a cautious figure)."""
        return float(np.quantile(self.gmv_draws(spend, price_ratio), q))

    def marginal_roi(self, spend: float) -> float:
        """Extra expected GMV per extra yuan of spend at this spend."""
        return float(CurveArrays.of([self]).marginal_gmv(np.array([[spend]]))[0, 0].mean())

    def expected_spend(self, daily_budget: float, target_roi: float) -> float:
        """What the platform would spend: the most that holds target_roi, capped by the daily budget."""
        arrays = CurveArrays.of([self])
        return float(arrays.platform_spend(np.array([daily_budget]), np.array([target_roi]))[0].mean())


@dataclass
class CurveArrays:
    """The draws of many curves stacked (sku, draw) for fast evaluation by the planner."""

    c_max: np.ndarray
    half: np.ndarray
    shape: np.ndarray
    value: np.ndarray
    elasticity: np.ndarray

    @classmethod
    def of(cls, curves: list[ResponseCurve]) -> CurveArrays:
        return cls(c_max=np.array([c.draws_c_max for c in curves], dtype=float).reshape(len(curves), -1),
                   half=np.array([c.draws_half_spend for c in curves], dtype=float).reshape(len(curves), -1),
                   shape=np.array([c.draws_shape for c in curves], dtype=float).reshape(len(curves), -1),
                   value=np.array([c.draws_value for c in curves], dtype=float).reshape(len(curves), -1),
                   elasticity=np.array([c.price_elasticity for c in curves], dtype=float))

    def gmv(self, spend: np.ndarray, price_ratio: np.ndarray | None = None) -> np.ndarray:
        """GMV draws (sku, point, draw) at spends (sku, point)."""
        clicks = hill(spend[:, :, None], self.c_max[:, None, :], self.half[:, None, :], self.shape[:, None, :])
        value = self.value
        if price_ratio is not None:
            value = value * (np.asarray(price_ratio, dtype=float) ** (1.0 + self.elasticity))[:, None]
        return clicks * value[:, None, :]

    def gmv_per_draw(self, spend: np.ndarray) -> np.ndarray:
        """GMV (sku, draw) when draw d of each curve is run at its own spend (sku, draw)."""
        return hill(spend, self.c_max, self.half, self.shape) * self.value

    def marginal_gmv(self, spend: np.ndarray) -> np.ndarray:
        """d GMV / d spend draws (sku, point, draw) at spends (sku, point)."""
        s = np.maximum(spend[:, :, None], 1e-9)
        k, h = self.shape[:, None, :], self.half[:, None, :]
        uk = (s / h) ** k
        return self.c_max[:, None, :] * self.value[:, None, :] * k * uk / (s * (1.0 + uk) ** 2)

    def platform_spend(self, budget: np.ndarray, target_roi: np.ndarray) -> np.ndarray:
        """Spend draws (sku, draw) the platform would choose under each SKU's budget and target ROI."""
        return platform_spend(self.c_max * self.value, self.half, self.shape,
                              np.asarray(target_roi, dtype=float)[:, None], np.asarray(budget, dtype=float)[:, None])


@dataclass
class _Days:
    """The promoted, in-stock days of the SKUs being fitted (rows), as (row, day) arrays."""

    rows: np.ndarray  # panel row of each fitted SKU
    usable: np.ndarray
    spend: np.ndarray
    clicks: np.ndarray
    gmv: np.ndarray
    orders: np.ndarray
    log_price: np.ndarray  # log(price on the day / price now)
    age: np.ndarray  # days before as_of


def fit_response_curves(panel: ShopPanel, *, as_of: date, seed: int = 0) -> dict[str, ResponseCurve]:
    """Fit a spend -> attributed GMV curve for every SKU with full-site promotion history up to `as_of`."""
    end = (as_of - panel.days[0]).days + 1
    if end <= 0:
        return {}
    data = _promoted_days(panel, end)
    if data.rows.size == 0:
        return {}
    elasticity_all = price_elasticity(panel, end)
    elasticity = elasticity_all[data.rows]
    shop_factor = _shop_conversion_factor(panel, end, elasticity_all)
    value_mean, value_sd, value_shift = _value_per_click(panel, data, end, elasticity_all, shop_factor)
    fit = _fit_clicks(panel, data)
    curves: dict[str, ResponseCurve] = {}
    price_now = _price_now(panel, end)
    for position, row in enumerate(data.rows):
        sku_id = panel.catalog.sku_ids[row]
        # seeded by the SKU id, not its row, so adding a product to the catalog leaves other curves alone
        rng = np.random.default_rng([seed, zlib.crc32(sku_id.encode())])
        draws = fit.draw(position, rng)
        values = np.exp(value_mean[position] + value_sd[position] * rng.standard_normal(DRAWS))
        mask = data.usable[position]
        spends = data.spend[position][mask]
        recent = spends[-7:]
        shift = fit.shifts[position] or value_shift[position]
        curves[sku_id] = ResponseCurve(
            sku_id=sku_id, category=panel.catalog.categories[row],
            c_max=round(float(draws[0].mean()), 4), half_spend=round(float(np.median(draws[1])), 2),
            shape=round(float(np.median(draws[2])), 3), value_per_click=round(float(values.mean()), 4),
            price=round(float(price_now[row]), 2), price_elasticity=round(float(elasticity[position]), 3),
            spend_low=round(float(np.quantile(spends, 0.05)), 2), spend_high=round(float(np.quantile(spends, 0.95)), 2),
            current_spend=round(float(recent.mean()), 2), days=int(mask.sum()),
            clicks=float(data.clicks[position][mask].sum()), prior_share=round(float(fit.prior_share[position]), 3),
            shift_date=panel.days[shift.start] if shift else None,
            shift_ratio=round(shift.ratio, 3) if shift else None,
            draws_c_max=tuple(np.round(draws[0], 6).tolist()), draws_half_spend=tuple(np.round(draws[1], 4).tolist()),
            draws_shape=tuple(np.round(draws[2], 5).tolist()), draws_value=tuple(np.round(values, 5).tolist()),
        )
    return curves


def _price_now(panel: ShopPanel, end: int) -> np.ndarray:
    """Each SKU's last shown price up to `end` (the curve's reference price)."""
    price = panel.price[:, :end]
    seen = ~np.isnan(price)
    last = np.where(seen.any(axis=1), end - 1 - np.argmax(seen[:, ::-1], axis=1), 0)
    return np.where(seen.any(axis=1), price[np.arange(price.shape[0]), last], np.nan)


def _promoted_days(panel: ShopPanel, end: int) -> _Days:
    spend = panel.ad_spend[:, :end]
    out = panel.stockout()[:, :end]
    usable = (spend > 0) & ~np.isnan(panel.daily_budget[:, :end]) & ~out & ~np.isnan(panel.price[:, :end])
    rows = np.flatnonzero(usable.any(axis=1))
    price_now = _price_now(panel, end)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_price = np.nan_to_num(np.log(panel.price[rows, :end] / price_now[rows, None]))
    return _Days(rows=rows, usable=usable[rows], spend=spend[rows], clicks=panel.ad_clicks[rows, :end],
                 gmv=panel.ad_gmv[rows, :end], orders=panel.ad_orders[rows, :end], log_price=log_price,
                 age=np.broadcast_to(np.arange(end)[::-1], (rows.size, end)))


def _value_per_click(panel: ShopPanel, data: _Days, end: int, elasticity_all: np.ndarray,
                     shop_factor: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[LevelShift | None]]:
    """Log GMV per click at today's price: mean and sd per fitted SKU, and any recent break in conversion."""
    elasticity = elasticity_all[data.rows]
    use = data.usable & (data.clicks > 0)
    # a day's GMV per click at today's price and today's shop-wide conversion level
    reprice = np.exp(-(1.0 + elasticity)[:, None] * data.log_price) * shop_factor[None, :]
    conversion_now = np.exp(elasticity[:, None] * data.log_price) / shop_factor[None, :]
    # orders per click, re-priced, tested for a recent break (a competitor undercut, a rating drop)
    long_w = recency(data.age, CURVE_HALF_LIFE) * use
    rate = (long_w * data.orders).sum(1) / np.maximum((long_w * data.clicks * conversion_now).sum(1), 1e-9)
    expected_orders = data.clicks * conversion_now * rate[:, None]
    shifts = level_shift(data.orders, expected_orders, use)
    weight = recency(data.age, VALUE_HALF_LIFE) * use
    for position, shift in enumerate(shifts):
        if shift is not None:
            weight[position, : shift.start] = 0.0
    numerator = data.gmv * reprice
    total_clicks = (weight * data.clicks).sum(1)
    value = (weight * numerator).sum(1) / np.maximum(total_clicks, 1e-9)
    residual = weight * (numerator - value[:, None] * data.clicks)
    se = np.sqrt((residual**2).sum(1)) / np.maximum((weight * numerator).sum(1), 1e-9)
    se = np.where(total_clicks > 0, np.maximum(se, 1.0 / np.sqrt(np.maximum((weight * data.orders).sum(1), 1))),
                  np.inf)
    # the prior: what the SKU's organic visitors are worth, times the shop's paid/organic ratio
    organic = _organic_value(panel, end, shop_factor, elasticity_all)[data.rows]
    ok = np.isfinite(se) & (value > 0) & (organic > 0)
    log_ratio = np.log(np.where(ok, value, 1.0) / np.where(organic > 0, organic, 1.0))
    if ok.sum() >= 3:
        precision = 1.0 / se[ok] ** 2
        centre = float(np.sum(precision * log_ratio[ok]) / precision.sum())
        spread = max(float(np.mean((log_ratio[ok] - centre) ** 2 - se[ok] ** 2)), 0.02)
    else:
        centre, spread = 0.0, 1.0
    prior_mean = np.where(organic > 0, np.log(np.where(organic > 0, organic, 1.0)) + centre, np.nan)
    own = np.log(np.where(value > 0, value, np.nan))
    own_precision = np.where(np.isfinite(own) & np.isfinite(se), 1.0 / np.where(np.isfinite(se), se, 1.0) ** 2, 0.0)
    prior_precision = np.where(np.isfinite(prior_mean), 1.0 / spread, 0.0)
    if not np.all(own_precision + prior_precision > 0):
        # no clicks converted and nothing organic to go on: a shop-typical conversion at today's price
        fallback = np.log(np.nanmedian(np.where(ok, value, np.nan)) if ok.any() else 1.0)
        prior_mean = np.where(own_precision + prior_precision > 0, prior_mean, fallback)
        prior_precision = np.where(own_precision + prior_precision > 0, prior_precision, 1.0)
    precision = own_precision + prior_precision
    mean = (np.nan_to_num(own) * own_precision + np.nan_to_num(prior_mean) * prior_precision) / precision
    return mean - 0.5 / precision, np.sqrt(1.0 / precision), shifts


def _organic_value(panel: ShopPanel, end: int, shop_factor: np.ndarray, elasticity: np.ndarray,
                   days: int = 28) -> np.ndarray:
    """Organic GMV per channel-weighted organic visitor at today's price, last `days` in-stock days.

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
    price_now = _price_now(panel, end)
    with np.errstate(invalid="ignore", divide="ignore"):
        reprice = np.exp((1.0 + elasticity)[:, None] * np.log(price_now[:, None] / panel.price[:, part]))
    organic_gmv = np.maximum(panel.gmv[:, part] - panel.ad_gmv[:, part], 0.0) * shop_factor[None, part]
    use = ~out & np.isfinite(reprice)
    total_visitors = np.where(use, effective, 0.0).sum(1)
    gmv = np.where(use, organic_gmv * np.where(use, reprice, 0.0), 0.0).sum(1)
    return np.where(np.where(use, visitors.sum(axis=2), 0.0).sum(1) >= 50, gmv / np.maximum(total_visitors, 1e-9),
                    np.nan)


@dataclass
class _ClickFit:
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


def _fit_clicks(panel: ShopPanel, data: _Days) -> _ClickFit:
    """Grid posterior of the Hill curve per SKU, a change-point in its level, and category priors."""
    weight = recency(data.age, CURVE_HALF_LIFE) * data.usable
    log_spend = np.log(np.where(data.usable, data.spend, 1.0))
    ref = np.exp((weight * log_spend).sum(1) / np.maximum(weight.sum(1), 1e-12))
    x = log_spend - np.log(ref)[:, None]
    no_break = np.full(data.rows.size, data.spend.shape[1])
    loglik, levels, ys = _grid_loglik(x, data.clicks, weight, no_break)
    weak = _log_prior(np.zeros((data.rows.size, 2)), np.diag(np.square(WEAK_PRIOR_SD)))
    best = (loglik + weak).reshape(data.rows.size, -1).argmax(1)
    k_best, h_best = np.unravel_index(best, loglik.shape[1:])
    c_best = levels[0].reshape(data.rows.size, -1)[np.arange(data.rows.size), best]
    fitted = c_best[:, None] * hill(np.exp(x), 1.0, np.exp(HEADROOM[h_best] / SHAPES[k_best])[:, None],
                                    SHAPES[k_best][:, None])
    pearson = (weight * (data.clicks - fitted) ** 2 / np.maximum(fitted, 1e-9)).sum(1)
    dispersion = np.maximum(pearson / np.maximum(weight.sum(1) - 3.0, 1.0), 1.0)
    shifts = level_shift(data.clicks, fitted, data.usable, dispersion)
    breaks = np.array([s.start if s else data.spend.shape[1] for s in shifts])
    redo = np.flatnonzero(breaks < data.spend.shape[1])
    current = levels[0]
    y_current = ys[0]
    if redo.size:
        loglik2, levels2, ys2 = _grid_loglik(x[redo], data.clicks[redo], weight[redo], breaks[redo])
        loglik[redo] = loglik2
        current = current.copy()
        current[redo] = levels2[1]
        y_current = y_current.copy()
        y_current[redo] = ys2[1]
    scaled = loglik / dispersion[:, None, None]
    prior, prior_share = _category_prior(scaled, [panel.catalog.categories[r] for r in data.rows])
    log_post = scaled + prior
    log_post -= log_post.max(axis=(1, 2), keepdims=True)
    log_post -= np.log(np.exp(log_post).sum(axis=(1, 2), keepdims=True))
    return _ClickFit(log_post=log_post, level=current, level_weight=y_current / dispersion, ref=ref,
                     prior_share=prior_share, shifts=shifts)


def _grid_loglik(x: np.ndarray, clicks: np.ndarray, weight: np.ndarray,
                 breaks: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Profile quasi-Poisson log likelihood on the (shape, half) grid, c_max profiled per segment.

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
    wy_sum = np.bincount(inverse, weights=(weight * clicks)[live])
    x_mean = np.bincount(inverse, weights=(weight * x)[live]) / np.maximum(w_sum, 1e-300)
    group_row, group_seg = unique // 1602, (unique // 801) % 2
    first = np.searchsorted(group_row, np.arange(n_rows))
    position = np.arange(unique.size) - first[group_row]
    width = int(position.max()) + 1 if unique.size else 1
    shape = (n_rows, width)
    w_grid, wy_grid, x_grid, seg_grid = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape, dtype=bool)
    w_grid[group_row, position] = w_sum
    wy_grid[group_row, position] = wy_sum
    x_grid[group_row, position] = x_mean
    seg_grid[group_row, position] = group_seg == 1
    loglik = np.zeros((n_rows, SHAPES.size, HEADROOM.size))
    level0, level1 = np.zeros_like(loglik), np.zeros_like(loglik)
    y0 = (wy_grid * ~seg_grid).sum(1)
    y1 = (wy_grid * seg_grid).sum(1)
    w_segments = [(w_grid * ~seg_grid)[:, :, None], (w_grid * seg_grid)[:, :, None]]
    cells = SHAPES.size * HEADROOM.size
    counts = np.bincount(group_row, minlength=n_rows)
    by_width = np.argsort(counts, kind="stable")
    for lo in range(0, n_rows, CHUNK):
        # rows with similar numbers of bins share a chunk, so few padded bins are evaluated
        part = by_width[lo:lo + CHUNK]
        used = max(int(counts[part].max()), 1)
        z = SHAPES[None, :, None, None] * x_grid[part, None, None, :used] - HEADROOM[None, None, :, None]
        log_g = -np.logaddexp(0.0, -z).reshape(z.shape[0], cells, used)
        g = np.exp(log_g)
        total = (log_g @ wy_grid[part, :used, None])[:, :, 0]
        for level, ysum, w_segment in ((level0, y0, w_segments[0]), (level1, y1, w_segments[1])):
            y = ysum[part][:, None]
            if not y.any():
                continue
            exposure = (g @ w_segment[part, :used])[:, :, 0]
            c = np.where(exposure > 0, y / np.maximum(exposure, 1e-300), 0.0)
            level[part] = c.reshape(-1, SHAPES.size, HEADROOM.size)
            total += np.where(y > 0, y * np.log(np.maximum(c, 1e-300)) - y, 0.0)
        loglik[part] = total.reshape(-1, SHAPES.size, HEADROOM.size)
    return loglik, (level0, level1), (y0, y1)


def _log_prior(mean: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """Bivariate normal log prior on (log shape, headroom) per row (means (row, 2), one 2x2 covariance)."""
    k = np.log(SHAPES)[None, :, None] - mean[:, 0, None, None]
    h = HEADROOM[None, None, :] - mean[:, 1, None, None]
    inverse = np.linalg.inv(covariance)
    return -0.5 * (inverse[0, 0] * k * k + 2.0 * inverse[0, 1] * k * h + inverse[1, 1] * h * h)


def _category_prior(loglik: np.ndarray, categories: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes prior on the curve's shape by EM over the shop's SKUs, and each SKU's prior share.

    Only the shape (log k) is pooled: it is how a SKU's auction responds to money, which SKUs of a category
    share. How saturated a SKU already is depends on what its merchant happened to spend, so its headroom
    keeps a wide prior. A SKU whose spend barely varied then takes its curvature from SKUs whose spend did,
    which is what keeps its curve honest beyond the spends it has seen. A category's centre is its SKUs'
    mean shrunk toward the shop's by three pseudo-SKUs, so a category of one does not become its own prior.
    """
    n = loglik.shape[0]
    k = np.log(SHAPES)[None, :, None]
    mean = np.zeros((n, 2))
    covariance = np.diag(np.square(WEAK_PRIOR_SD))
    codes = np.unique(np.array(categories), return_inverse=True)[1]
    for _ in range(EM_ROUNDS if n >= 3 else 0):
        weight = _normalised(loglik + _log_prior(mean, covariance))
        post = (weight * k).sum(axis=(1, 2))
        spread = (weight * (k - post[:, None, None]) ** 2).sum(axis=(1, 2))
        centre = float(post.mean())
        variance = float(spread.mean() + np.mean((post - centre) ** 2)) + PRIOR_SD_FLOOR**2
        covariance = np.diag([variance, WEAK_PRIOR_SD[1] ** 2])
        totals = np.bincount(codes, weights=post)
        counts = np.bincount(codes)
        mean[:, 0] = ((totals + 3.0 * centre) / (counts + 3.0))[codes]
    prior = _log_prior(mean, covariance)
    # how much of the curve's slope at typical spend (k x unbought share) the data left to the prior
    slope = SHAPES[None, :, None] / (1.0 + np.exp(-HEADROOM[None, None, :]))
    share = _variance(loglik + prior, slope) / np.maximum(_variance(prior, slope), 1e-12)
    return prior, np.clip(share, 0.0, 1.0)


def _normalised(log_weight: np.ndarray) -> np.ndarray:
    weight = np.exp(log_weight - log_weight.max(axis=(1, 2), keepdims=True))
    return weight / weight.sum(axis=(1, 2), keepdims=True)


def _variance(log_weight: np.ndarray, values: np.ndarray) -> np.ndarray:
    weight = _normalised(log_weight)
    mean = (weight * values).sum(axis=(1, 2))
    return (weight * (values - mean[:, None, None]) ** 2).sum(axis=(1, 2))


EXPLORATION_SHARE = 0.05  # when no spend reaches the target ROI the platform keeps testing with ~5% of the budget
DEFAULT_ELASTICITY = -1.5  # conversion elasticity assumed when no SKU in the shop ever changed its price
SHIFT_MIN_DAYS, SHIFT_MAX_DAYS = 5, 60


class LevelShift(BaseModel):
    """A break in a daily count's level: from day index `start` on it runs at `ratio` x what came before."""

    model_config = ConfigDict(frozen=True)

    start: int
    ratio: float
    z: float


def recency(age: np.ndarray, half_life: float) -> np.ndarray:
    """Weights that halve every `half_life` days back from as_of."""
    return 0.5 ** (age / half_life)


def hill(spend: np.ndarray, c_max: np.ndarray, half: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Hill curve c_max * s^k / (s^k + h^k), zero at zero spend."""
    u = np.maximum(spend, 0.0) / half
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        uk = np.where(u > 0, u ** shape, 0.0)
        return np.where(np.isinf(uk), c_max, c_max * uk / (1.0 + uk))


def platform_spend(height: np.ndarray, half: np.ndarray, shape: np.ndarray, target_roi: np.ndarray,
                   budget: np.ndarray) -> np.ndarray:
    """Spend a target-ROI bidder chooses: the most that keeps GMV / spend >= target, capped by the budget.

    height = c_max x GMV per click. ROI(u) with u = spend / half is A u^(k-1) / (1 + u^k) with A = height /
    half; it falls beyond its peak (u = (k-1)^(1/k), or 0 when k <= 1), so the answer is found by bisection
    on that falling branch. When even the peak misses the target the platform only explores.
    """
    height, half, shape, target_roi, budget = (np.array(x, dtype=float) for x in np.broadcast_arrays(
        height, half, shape, target_roi, budget))
    a = height / half
    u_peak = np.where(shape > 1.0, np.maximum(shape - 1.0, 1e-12) ** (1.0 / np.maximum(shape, 1e-9)), 1e-9)

    def roi(u: np.ndarray, a: np.ndarray, shape: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return a * u ** (shape - 1.0) / (1.0 + u**shape)

    feasible = (roi(u_peak, a, shape) >= target_roi) & (a > 0)
    u_budget = budget / half
    # the whole budget is spent when the target still holds there, or the budget stops short of the peak
    short = feasible & (u_budget > u_peak) & (roi(u_budget, a, shape) < target_roi)
    spend = np.where(feasible, budget, EXPLORATION_SHARE * budget)
    if short.any():
        a_s, k_s, t_s = a[short], shape[short], target_roi[short]
        lo, hi = np.log(u_peak[short]), np.log(u_budget[short])
        for _ in range(32):
            mid = 0.5 * (lo + hi)
            ok = roi(np.exp(mid), a_s, k_s) >= t_s
            lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
        spend[short] = half[short] * np.exp(lo)
    return spend


def level_shift(observed: np.ndarray, expected: np.ndarray, usable: np.ndarray,
                dispersion: np.ndarray | None = None) -> list[LevelShift | None]:
    """The most likely recent break in each row's level of observed / expected counts, if significant.

    A two-rate Poisson likelihood-ratio test at every break 5-60 days back, Bonferroni-adjusted for the
    rows and break days tried, so day-to-day noise in a large shop does not produce breaks.
    """
    n_rows, n_days = observed.shape
    obs = np.where(usable, observed, 0.0)
    exp = np.where(usable, expected, 0.0)
    post_obs = np.cumsum(obs[:, ::-1], axis=1)[:, ::-1]
    post_exp = np.cumsum(exp[:, ::-1], axis=1)[:, ::-1]
    post_days = np.cumsum(usable[:, ::-1], axis=1)[:, ::-1]
    total_obs, total_exp, total_days = post_obs[:, :1], post_exp[:, :1], post_days[:, :1]
    pre_obs, pre_exp = total_obs - post_obs, total_exp - post_exp
    rate = total_obs / np.maximum(total_exp, 1e-12)

    def term(o: np.ndarray, e: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((o > 0) & (e > 0), o * np.log(o / (rate * e)), 0.0)

    lr = 2.0 * (term(post_obs, post_exp) + term(pre_obs, pre_exp))
    if dispersion is not None:
        lr = lr / dispersion[:, None]
    day = np.arange(n_days)[None, :]
    candidate = ((day >= n_days - SHIFT_MAX_DAYS) & (post_days >= SHIFT_MIN_DAYS)
                 & (total_days - post_days >= SHIFT_MIN_DAYS) & (post_exp >= 5.0) & (pre_exp >= 5.0))
    lr = np.where(candidate, lr, 0.0)
    threshold = critical_z(max(1, n_rows * SHIFT_MAX_DAYS)) ** 2
    best = lr.argmax(axis=1)
    shifts: list[LevelShift | None] = []
    for row in range(n_rows):
        t = int(best[row])
        if lr[row, t] < threshold:
            shifts.append(None)
            continue
        ratio = (post_obs[row, t] / post_exp[row, t]) / max(pre_obs[row, t] / max(pre_exp[row, t], 1e-12), 1e-12)
        shifts.append(LevelShift(start=t, ratio=float(ratio), z=float(np.sqrt(lr[row, t]))))
    return shifts


def price_elasticity(panel: ShopPanel, end: int, days: int = 180) -> np.ndarray:
    """Each SKU's conversion elasticity to its own price, shrunk toward its category's.

    log conversion is regressed on log price with SKU and day effects (weighted by expected orders), so a
    festival that moves every SKU's conversion at once is not read as a price response.
    """
    part = slice(max(0, end - days), end)
    units, visitors, price = panel.units[:, part], panel.total_visitors[:, part], panel.price[:, part]
    ok = ~panel.stockout()[:, part] & ~np.isnan(price) & (visitors >= 5) & (price > 0)
    rate = np.where(ok, units, 0).sum(1) / np.maximum(np.where(ok, visitors, 0).sum(1), 1.0)
    expected = visitors * rate[:, None]
    weight = np.where(ok, expected / (1.0 + expected / 25.0), 0.0)  # Poisson noise plus ~20% day-level noise
    y = np.where(ok, np.log((units + 0.5) / (visitors + 0.5)), 0.0)
    x = np.where(ok, np.log(np.where(ok, price, 1.0)), 0.0)
    for _ in range(12):
        for axis in (1, 0):
            total = np.maximum(weight.sum(axis, keepdims=True), 1e-12)
            y = np.where(ok, y - (weight * y).sum(axis, keepdims=True) / total, 0.0)
            x = np.where(ok, x - (weight * x).sum(axis, keepdims=True) / total, 0.0)
    sxx, sxy = (weight * x * x).sum(1), (weight * x * y).sum(1)
    slope = np.where(sxx > 0, sxy / np.maximum(sxx, 1e-12), np.nan)
    residual = np.where(ok, y - np.nan_to_num(slope)[:, None] * x, 0.0)
    sigma2 = max(float((weight * residual**2).sum() / max(ok.sum() - 2 * ok.shape[0], 1)), 1e-6)
    se2 = np.where(sxx > 0, sigma2 / np.maximum(sxx, 1e-12), np.inf)
    informative = sxx > 1e-5 * np.maximum(weight.sum(1), 1.0)  # the price moved by more than ~0.3%
    if not informative.any():
        return np.full(panel.price.shape[0], DEFAULT_ELASTICITY)
    shop_slope = float(sxy[informative].sum() / sxx[informative].sum())
    categories = np.array(panel.catalog.categories)
    centre = np.full(slope.shape, shop_slope)
    for category in np.unique(categories):
        members = informative & (categories == category)
        if members.any():
            # a category's pooled slope, itself shrunk toward the shop's by a prior worth a few SKUs' data
            prior = 3.0 * float(np.median(sxx[informative]))
            centre[categories == category] = (sxy[members].sum() + prior * shop_slope) / (sxx[members].sum() + prior)
    spread = max(float(np.mean((slope[informative] - centre[informative]) ** 2 - se2[informative])), 0.04)
    precision = np.where(informative, 1.0 / se2, 0.0)
    shrunk = (np.nan_to_num(slope) * precision + centre / spread) / (precision + 1.0 / spread)
    return np.clip(shrunk, -6.0, 0.0)


class ConversionShift(BaseModel):
    """A shop-wide break in conversion (every SKU, every channel), e.g. after the store experience score fell."""

    model_config = ConfigDict(frozen=True)

    start: date
    ratio: float  # conversion since `start` / before it
    z: float


def conversion_shift(panel: ShopPanel, *, as_of: date) -> ConversionShift | None:
    """The shop-wide break in conversion over the last 60 days up to `as_of`, if there is a significant one."""
    end = (as_of - panel.days[0]).days + 1
    shift = _shop_shift(panel, end, price_elasticity(panel, end))
    if shift is None:
        return None
    return ConversionShift(start=panel.days[shift.start], ratio=round(shift.ratio, 4), z=round(shift.z, 2))


def _shop_conversion_factor(panel: ShopPanel, end: int, elasticity: np.ndarray) -> np.ndarray:
    """Per day, the multiplier that brings that day's conversion to the shop's level at as_of."""
    factor = np.ones(end)
    shift = _shop_shift(panel, end, elasticity)
    if shift is not None:
        factor[: shift.start] = shift.ratio
    return factor


def _shop_shift(panel: ShopPanel, end: int, elasticity: np.ndarray, days: int = 90) -> LevelShift | None:
    """Test the shop's orders against channel-mix- and price-adjusted visitors for one recent break."""
    start = max(0, end - days)
    part = slice(start, end)
    visitors = panel.visitors[:, part, :]
    channel_visitors = visitors.sum(axis=(0, 1))
    channel_gmv = panel.channel_gmv[part].sum(axis=0)
    # visitors weighted by their channel's GMV per visitor, so a drop in a weak channel is not a conversion gain
    worth = np.where(channel_visitors > 0, channel_gmv / np.maximum(channel_visitors, 1.0), 0.0)
    effective = (visitors * (worth / max(worth.max(), 1e-12))[None, None, :]).sum(axis=2)
    price_now = _price_now(panel, end)
    price = panel.price[:, part]
    ok = ~panel.stockout()[:, part] & ~np.isnan(price) & (effective > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        adjust = np.where(ok, np.exp(elasticity[:, None] * np.log(np.where(ok, price, 1.0) / price_now[:, None])), 0.0)
    base = effective * adjust
    orders = panel.orders[:, part]
    rate = np.where(ok, orders, 0.0).sum(1) / np.maximum(np.where(ok, base, 0.0).sum(1), 1e-12)
    expected = np.where(ok, base * rate[:, None], 0.0).sum(0)
    observed = np.where(ok, orders, 0.0).sum(0)
    usable = expected > 0
    if usable.sum() < 2 * SHIFT_MIN_DAYS:
        return None
    scale = observed[usable].sum() / expected[usable].sum()
    pearson = ((observed - scale * expected) / np.sqrt(np.maximum(scale * expected, 1e-9)))[usable]
    # a robust spread (MAD), so a festival week does not make every other day look quiet
    spread = 1.4826 * float(np.median(np.abs(pearson - np.median(pearson))))
    dispersion = np.array([max(spread**2, 1.0)])
    shift = level_shift(observed[None, :], expected[None, :], usable[None, :], dispersion)[0]
    if shift is None:
        return None
    return shift.model_copy(update={"start": shift.start + start})
