"""Own-price elasticity per SKU: a log-log (Poisson pseudo-likelihood) demand model with controls, shrunk per category.

The model, for SKU i on day t (stockout and sell-out days left out):

    E[units_it] = traffic_it * exp(a_i + e_i * log price_it + c_i * log competitor_it + b_i * trend_t
                                   + k_i * max(0, log(price_it / competitor_it)) + day_t + tag_(i,t))

`traffic` weights each channel's visitors by the SKU's own conversion on that channel (shrunk towards the
shop's, `sku_channel_weights`), so a shift in channel mix (a live-stream day, a paid push on a festival) is
not read as a price effect. `day` is a shop-wide effect per day
(weekday, season, festival atmosphere, a store-score dip) and `tag` a shop-wide effect of each promotion
tag (618, coupon, ...), both estimated from every SKU by back-fitting, so a SKU's elasticity is identified
by its own price moves against the rest of the shop on the same days. Poisson pseudo-likelihood keeps the
zero-sale days a log-OLS would drop, and its sandwich (HC1) standard errors do not assume Poisson noise.
Each SKU's estimate is then shrunk towards its category's (empirical Bayes, precision-weighted; see
tools.elasticity_prior), which only matters for SKUs whose own price history says little. The fit itself
carries a weak normal prior on the price slopes (SLOPE_PRIOR_SD): a SKU whose price moves with its rival's
stays finite, and its covariance leaves the split the data cannot tell as uncertain as that prior.

The hinge k (a kink at price parity: shoppers who compare react to being dearer than the rival, not only to
our price's level) is not assumed: the shop's own data choose between the smooth form (k = 0) and the kinked
one by held-out fit (`choose_form`), and a SKU that never sat on both sides of its rival's price borrows the
shop's k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from shopagent.tools.elasticity_prior import LEVEL, ElasticityEstimate, shrink
from shopagent.tools.panel import ShopPanel, carried_forward
from shopagent.tools.store import Shop
from shopagent.tools.wording import Language, say

MIN_DAYS = 28  # fewer usable days than four weeks cannot separate a price move from a weekday pattern
MIN_UNITS = 30
MIN_PRICE_DAYS = 4  # days sold at a price other than the usual one; fewer is a price that never moved
PRICE_MOVE = 0.005  # a difference in log price below half a percent is rounding, not a price change
MIN_SKUS_FOR_DAY_EFFECTS = 10  # with fewer SKUs a day effect would soak up each SKU's own price move
COLUMNS = ("intercept", "log_price", "log_competitor_price", "trend", "above_rival")
HINGE = COLUMNS.index("above_rival")
MIN_SIDE_DAYS = 7  # days on each side of the rival's price before a SKU's own kink is estimated
CV_FOLDS = 4
MAX_COEFFICIENT = 12.0  # an own-price or kink coefficient beyond this is a fit running off, not a response
KINK_MARGIN = 2.0  # held-out deviance the kink must save: more than its one shop-wide parameter's worth
# a weak normal prior (mean 0) on each SKU's price slopes (own, rival's, kink): an elasticity of
# MAX_COEFFICIENT is three of its standard deviations out. Next to a SKU's own price moves it weighs nothing
# (a SKU with a few hundred sales at prices 5% apart carries ten times its precision), but a SKU whose price
# moves with its rival's leaves the difference of the two slopes unidentified: the prior keeps the pair
# finite and its variance large, so shrinkage then takes such a SKU's elasticity from its category's.
SLOPE_PRIOR_SD = MAX_COEFFICIENT / 3
SLOPES = (COLUMNS.index("log_price"), COLUMNS.index("log_competitor_price"), HINGE)


@dataclass
class PromoTags:
    """The promotion tag of each SKU-day as an integer code into `names` (0 = no tag)."""

    names: list[str]
    codes: np.ndarray  # (sku, day) int

    @classmethod
    def from_panel(cls, panel: ShopPanel) -> PromoTags:
        """One generic tag when only panel.promo_day is known."""
        return cls(names=["", "promo"], codes=panel.promo_day.astype(np.int64))


def load_promo_tags(shop: Shop, panel: ShopPanel) -> PromoTags:
    """The promo tag text (618, coupon, double11 ...) of every SKU-day in the panel, from price_history."""
    start, end = panel.days[0], panel.days[-1]
    position = panel.catalog.index()
    with shop.connect() as con:
        rows = con.execute(
            "SELECT sku_id, date, promo FROM price_history WHERE date BETWEEN ? AND ? "
            "AND promo IS NOT NULL AND trim(promo) <> '' ORDER BY sku_id, date", [start, end]).fetchall()
    names = [""] + sorted({row[2].strip() for row in rows})
    code = {name: index for index, name in enumerate(names)}
    codes = np.zeros(panel.units.shape, dtype=np.int64)
    for sku_id, day, tag in rows:
        codes[position[sku_id], (day - start).days] = code[tag.strip()]
    return PromoTags(names=names, codes=codes)


def sellable_days(panel: ShopPanel) -> np.ndarray:
    """Days a SKU's sales show its demand: on sale, in stock all day (a sell-out day hides demand), with traffic."""
    sold_out = np.nan_to_num(panel.on_hand, nan=1.0) <= 0
    return (np.isfinite(panel.price) & (np.nan_to_num(panel.price) > 0) & ~panel.stockout() & ~sold_out
            & (panel.total_visitors > 0))


def channel_weights(panel: ShopPanel) -> np.ndarray:
    """Relative conversion of each channel (orders per visitor, shop-wide): the weights of the traffic index."""
    visitors = panel.visitors.sum(axis=(0, 1))
    orders = panel.channel_orders.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(visitors > 0, orders / np.where(visitors > 0, visitors, 1.0), 0.0)
    if not np.any(rate > 0):
        return np.ones_like(rate)
    # a channel whose orders cannot be tied to visitors (no rows) still counts at the shop's average rate
    average = orders.sum() / max(visitors.sum(), 1.0)
    return np.where((visitors > 0) & (rate > 0), rate, average) / average


def sku_channel_weights(panel: ShopPanel, days: np.ndarray) -> np.ndarray:
    """(sku, channel): each SKU's own relative conversion per channel on `days`, shrunk towards the shop's.

    Channels convert differently for different items (a SKU's paid clicks may buy far less than its search
    visitors), and a festival or a budget change moves a SKU's channel mix on the very days its price moves:
    weighted by the shop's rates, its traffic index would read that mix shift as a weaker price response. A
    SKU's orders on channel c are taken as Poisson around its expected orders at the shop's rate times a factor
    with mean 1 and a spread per channel; that spread is the moment estimate (observed scatter of the factors
    across SKUs less their Poisson noise), so a shop whose SKUs convert alike keeps the shop's weights."""
    shop = channel_weights(panel)
    visitors = np.where(days[..., None], panel.visitors, 0.0).sum(axis=1)
    orders = np.where(days[..., None], panel.sku_channel_orders, 0.0).sum(axis=1)
    weighted = visitors @ shop
    conversion = np.where(weighted > 0, orders.sum(axis=1) / np.where(weighted > 0, weighted, 1.0), 0.0)
    expected = visitors * shop[None, :] * conversion[:, None]  # orders at the shop's relative rates
    seen = expected > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(seen, orders / np.where(seen, expected, 1.0), 1.0)
    # sum of e (f - 1)^2 has expectation spread^2 x sum of e plus one per SKU (Poisson noise of f is 1 / e)
    scatter = (expected * (factor - 1.0) ** 2).sum(axis=0) - seen.sum(axis=0)
    spread = np.where(expected.sum(axis=0) > 0, np.maximum(scatter, 0.0) / np.maximum(expected.sum(axis=0), 1e-9),
                      0.0)
    # the gamma prior's weight in expected orders: 1 / spread^2 (no spread: every SKU takes the shop's rate)
    with np.errstate(divide="ignore"):
        strength = np.where(spread > 0, 1.0 / np.where(spread > 0, spread, 1.0), np.inf)
    posterior = np.where(np.isfinite(strength)[None, :],
                         (orders + np.where(np.isfinite(strength), strength, 0.0)[None, :])
                         / (expected + np.where(np.isfinite(strength), strength, 1.0)[None, :]), 1.0)
    return shop[None, :] * posterior


def estimate_elasticities(panel: ShopPanel, *, tags: PromoTags | None = None, trend: bool = True,
                          level: float = LEVEL) -> dict[str, ElasticityEstimate]:
    """Estimate every SKU's own-price elasticity from its history, with a 90% interval, or say it cannot."""
    fit = fit_demand(panel, tags=tags, trend=trend)
    return shrink(fit, panel, level=level)


@dataclass
class DemandFit:
    """The per-SKU Poisson fits before shrinkage; arrays are indexed like the panel's catalog."""

    beta: np.ndarray  # (sku, column)
    cov: np.ndarray  # (sku, column, column) HC1 sandwich
    active: np.ndarray  # (sku, column) which columns each SKU's model uses
    identified: np.ndarray  # (sku,) bool: the price column is identified
    reasons: list[str | None]
    usable: np.ndarray  # (sku, day)
    days_used: np.ndarray
    units_used: np.ndarray
    price_days: np.ndarray
    day_effect: np.ndarray  # (day,)
    tag_effect: np.ndarray  # (tag,)
    tag_names: list[str]
    trend_used: bool
    form: Form | None = None
    tracked: np.ndarray | None = None  # (sku,) bool: the rival's price is known on most days
    # (sku, column): in a kinked shop, how much of the kink a SKU's smooth coefficients absorbed (the
    # Fisher-weighted regression of its hinge column on its own columns); 0 where the kink is fitted or absent
    hinge_loading: np.ndarray | None = None
    # (sku, column): the precision of the fit's weak prior (mean 0) on each price slope: shrinkage builds the
    # category priors from the SKUs that prior barely moves
    slope_prior: np.ndarray | None = None
    hessian: np.ndarray | None = None  # (sku, column, column) the Poisson information plus the weak prior's


def fit_demand(panel: ShopPanel, *, tags: PromoTags | None = None, trend: bool = True, rounds: int = 6,
               kink: bool | None = None) -> DemandFit:
    """Back-fit per-SKU Poisson regressions and the shop-wide day and tag effects they share.

    kink: True fits the hinge at price parity, False the smooth form, None lets held-out fit choose."""
    tags = tags or PromoTags.from_panel(panel)
    n, n_days = panel.units.shape
    usable = sellable_days(panel)
    units = np.where(usable, panel.units, 0.0)
    traffic = np.einsum("ntc,nc->nt", panel.visitors, sku_channel_weights(panel, usable))
    log_traffic = np.log(np.where(usable, traffic, 1.0))

    log_price = np.log(np.where(usable, panel.price, 1.0))
    centre = _masked_median(log_price, usable)
    x_price = np.where(usable, log_price - centre[:, None], 0.0)
    x_rival, has_rival, log_rival = _competitor_column(panel, usable)
    day = np.arange(n_days, dtype=float)
    x_trend = np.broadcast_to((day - day.mean()) / max(n_days, 1), (n, n_days))
    x_hinge = np.where(usable & has_rival[:, None], np.maximum(log_price - np.nan_to_num(log_rival), 0.0), 0.0)
    design = np.stack([np.ones((n, n_days)), x_price, x_rival, x_trend, x_hinge], axis=2) * usable[..., None]

    days_used = usable.sum(axis=1)
    units_used = units.sum(axis=1)
    price_days = (np.abs(x_price) > PRICE_MOVE).sum(axis=1)
    reasons = [_why_not(int(days_used[i]), float(units_used[i]), int(price_days[i]), panel.price[i][usable[i]])
               for i in range(n)]
    identified = np.array([reason is None for reason in reasons])
    fitted = (days_used >= MIN_DAYS // 2) & (units_used > 0)
    active = np.zeros((n, len(COLUMNS)), dtype=bool)
    active[:, 0] = fitted
    active[:, 1] = identified
    active[:, 2] = fitted & has_rival & (days_used >= MIN_DAYS)
    active[:, 3] = fitted & trend & (days_used >= 2 * MIN_DAYS)
    mask = usable & fitted[:, None]
    above = (mask & (x_hinge > PRICE_MOVE)).sum(axis=1)
    hinge_rows = active[:, 2] & identified & (above >= MIN_SIDE_DAYS) & (days_used - above >= MIN_SIDE_DAYS)

    tag_codes = np.where(usable, tags.codes, 0)
    use_day_effects = int(fitted.sum()) >= MIN_SKUS_FOR_DAY_EFFECTS
    weekday = np.array([d.weekday() for d in panel.days])
    shared = _Shared(units=units, mask=mask, log_traffic=log_traffic, tag_codes=tag_codes, n_tags=len(tags.names),
                     day_of=np.arange(n_days) if use_day_effects else weekday)
    beta = np.zeros((n, len(COLUMNS)))
    day_effect, tag_effect = np.zeros(n_days), np.zeros(len(tags.names))
    wants_trend = active[:, 3].copy()
    active[:, 3] = False
    beta, day_effect, tag_effect = _backfit(design, shared, active, beta, day_effect, tag_effect, rounds)
    trend_used = False
    if wants_trend.any():
        # does each SKU drifting on its own (lifecycle, a listing ageing) explain more than noise would?
        with_trend = active.copy()
        with_trend[:, 3] = wants_trend
        offset = shared.offset(day_effect, tag_effect)
        trial, hessian = _poisson_fit(design, units, mask, offset, with_trend, beta)
        cov = _sandwich(design, units, mask, offset, trial, hessian, with_trend)
        if _trends_matter(trial[:, 3], cov[:, 3, 3], with_trend[:, 3]):
            active, trend_used = with_trend, True
            beta, day_effect, tag_effect = _backfit(design, shared, active, trial, day_effect, tag_effect, rounds)
    smooth = (beta, day_effect, tag_effect)
    form = Form(kinked=False, reason="no SKU sat on both sides of its rival's price long enough to tell")
    if hinge_rows.any() and kink is not False:
        kinked = active.copy()
        kinked[:, HINGE] = hinge_rows
        fitted_kink = _backfit(design, shared, kinked, beta, day_effect, tag_effect, rounds)
        # a SKU nearly always on one side of its rival cannot tell its own price from the gap: the pair runs
        # off to hundreds in opposite directions; such a SKU borrows the shop's kink instead
        lost = hinge_rows & (np.abs(fitted_kink[0][:, [1, HINGE]]).max(axis=1) > MAX_COEFFICIENT)
        if lost.any():
            hinge_rows = hinge_rows & ~lost
            kinked[:, HINGE] = hinge_rows
            fitted_kink = _backfit(design, shared, kinked, beta, day_effect, tag_effect, rounds)
    if hinge_rows.any() and kink is not False:
        form = choose_form(design, shared, (active, smooth), (kinked, fitted_kink), hinge_rows) if kink is None \
            else Form(kinked=True, reason="asked for")
        if form.kinked:
            active, (beta, day_effect, tag_effect) = kinked, fitted_kink
    offset = shared.offset(day_effect, tag_effect)
    beta, hessian = _poisson_fit(design, units, mask, offset, active, beta)
    cov = _sandwich(design, units, mask, offset, beta, hessian, active)
    loading = None
    if form.kinked:
        loading = _hinge_loading(design, mask, offset, beta, active, has_rival & fitted & ~active[:, HINGE])
    return DemandFit(beta=beta, cov=cov, active=active, identified=identified & fitted, reasons=reasons,
                     usable=mask, days_used=days_used, units_used=units_used, price_days=price_days,
                     day_effect=day_effect, tag_effect=tag_effect, tag_names=tags.names, trend_used=trend_used,
                     form=form, tracked=has_rival & fitted, hinge_loading=loading,
                     slope_prior=_slope_precision(active), hessian=hessian)


def _hinge_loading(design: np.ndarray, mask: np.ndarray, offset: np.ndarray, beta: np.ndarray, active: np.ndarray,
                   rows: np.ndarray) -> np.ndarray:
    """Per SKU fitted without its own kink: the coefficients of its hinge column regressed on its active columns.

    A SKU that sat above its rival's price on too few days (or on all of them) cannot separate its own price
    from the gap, yet the kink still acts on its above-parity days: its smooth coefficients then estimate
    beta + loading x kink (omitted-variable bias, to first order). Always above its rival, the loading is 1 on
    the own price and -1 on the rival's; never above, 0. Shrinkage subtracts loading x the shop's kink."""
    loading = np.zeros(beta.shape)
    if not rows.any():
        return loading
    x, w = design[rows], mask[rows].astype(float)
    mu = np.exp(np.clip(_linear(x, beta[rows]) + offset[rows], -30, 30)) * w
    hessian = _gram(x, mu)
    use = active[rows].copy()
    use[:, HINGE] = False
    rhs = hessian[:, :, HINGE] * use
    solved = _solve(_pin_inactive(hessian, ~use, np.eye(design.shape[2])), rhs)
    loading[rows] = np.where(use, solved, 0.0)
    return loading


@dataclass(frozen=True)
class Form:
    """Which price response the shop's data chose, and the held-out evidence for it."""

    kinked: bool
    reason: str
    deviance_smooth: float | None = None  # held-out Poisson deviance of the SKUs that crossed their rival
    deviance_kinked: float | None = None
    skus_compared: int = 0

    def describe(self) -> dict[str, str | int | float]:
        out: dict[str, str | int | float] = {"form": "kink at the rival's price" if self.kinked else "smooth",
                                             "why": self.reason, "skus_compared": self.skus_compared}
        if self.deviance_smooth is not None and self.deviance_kinked is not None:
            out.update(heldout_deviance_smooth=round(self.deviance_smooth, 1),
                       heldout_deviance_kinked=round(self.deviance_kinked, 1))
        return out


def choose_form(design: np.ndarray, shared: _Shared, smooth: tuple, kinked: tuple, rows: np.ndarray) -> Form:
    """Smooth or kinked, by the Poisson deviance of held-out SKU-days (every CV_FOLDS-th day, staggered by SKU).

    Each fold refits every SKU's coefficients without its held-out days (the shop-wide day and tag effects,
    which rest on all SKUs, stay) and scores the days left out, on the SKUs that crossed their rival's price:
    the only ones whose forecasts the two forms disagree on. The kinked form is scored with the shop's
    pooled kink (one number learnt from the fold's training days), as the estimates lean on it too: a kink
    per SKU would lose to noise what a shared one wins.
    """
    n, n_days = shared.units.shape
    fold = (np.arange(n_days)[None, :] + 3 * np.arange(n)[:, None]) % CV_FOLDS
    y = shared.units
    (smooth_active, (beta, day_effect, tag_effect)), (kinked_active, (k_beta, k_day, k_tag)) = smooth, kinked
    deviance = [0.0, 0.0]
    for k in range(CV_FOLDS):
        train = shared.mask & (fold != k)
        held = shared.mask & (fold == k) & rows[:, None]
        offset = shared.offset(day_effect, tag_effect)
        trial, _ = _poisson_fit(design, y, train, offset, smooth_active, beta, iterations=25)
        deviance[0] += _deviance(y, np.exp(np.clip(_linear(design, trial) + offset, -30, 30)), held)
        offset = shared.offset(k_day, k_tag)
        trial, hessian = _poisson_fit(design, y, train, offset, kinked_active, k_beta, iterations=25)
        variance = _inverse(hessian[rows])[:, HINGE, HINGE]
        ok = np.isfinite(variance) & (variance > 0) & np.isfinite(trial[rows, HINGE])
        pooled = float(np.sum(trial[rows, HINGE][ok] / variance[ok]) / np.sum(1 / variance[ok])) if ok.any() else 0.0
        offset = offset + pooled * design[:, :, HINGE]
        trial, _ = _poisson_fit(design, y, train, offset, smooth_active, beta, iterations=25)
        deviance[1] += _deviance(y, np.exp(np.clip(_linear(design, trial) + offset, -30, 30)), held)
    kinked_wins = deviance[1] < deviance[0] - KINK_MARGIN
    reason = ("the kink forecasts held-out days better" if kinked_wins
              else "the kink does not forecast held-out days better than the smooth response")
    return Form(kinked=kinked_wins, reason=reason, deviance_smooth=deviance[0], deviance_kinked=deviance[1],
                skus_compared=int(rows.sum()))


def _deviance(units: np.ndarray, mu: np.ndarray, cells: np.ndarray) -> float:
    """Poisson deviance of the chosen cells."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(units > 0, units * np.log(np.where(units > 0, units, 1.0) / mu), 0.0) - (units - mu)
    return 2 * float(term[cells].sum())


@dataclass
class _Shared:
    """What the shop-wide effects are estimated from; `day_of` maps days to day effects (days or weekdays)."""

    units: np.ndarray
    mask: np.ndarray
    log_traffic: np.ndarray
    tag_codes: np.ndarray
    n_tags: int
    day_of: np.ndarray

    def offset(self, day_effect: np.ndarray, tag_effect: np.ndarray) -> np.ndarray:
        return self.log_traffic + day_effect[self.day_of][None, :] + tag_effect[self.tag_codes]


def _backfit(design: np.ndarray, shared: _Shared, active: np.ndarray, beta: np.ndarray, day_effect: np.ndarray,
             tag_effect: np.ndarray, rounds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Alternate the per-SKU fits and the shared effects until the day effects settle."""
    n_groups = int(shared.day_of.max()) + 1
    groups = np.broadcast_to(shared.day_of, shared.units.shape)
    day_effect = day_effect[:n_groups] if day_effect.size >= n_groups else np.zeros(n_groups)
    for _ in range(rounds):
        beta, _ = _poisson_fit(design, shared.units, shared.mask, shared.offset(day_effect, tag_effect), active, beta)
        linear = _linear(design, beta) + shared.log_traffic
        previous = day_effect
        day_effect = _shared_effect(shared.units, linear + tag_effect[shared.tag_codes], shared.mask, groups,
                                    n_groups)
        tag_effect = _shared_effect(shared.units, linear + day_effect[shared.day_of][None, :],
                                    shared.mask & (shared.tag_codes > 0), shared.tag_codes, shared.n_tags,
                                    centred=False)
        tag_effect[0] = 0.0
        if np.max(np.abs(day_effect - previous)) < 1e-4:
            break
    return beta, day_effect, tag_effect


def _trends_matter(slope: np.ndarray, variance: np.ndarray, active: np.ndarray, alpha: float = 0.01) -> bool:
    """Chi-square test that the SKUs' own trends, taken together, exceed their noise (Wilson-Hilferty tail)."""
    ok = active & (variance > 0)
    k = int(ok.sum())
    if k == 0:
        return False
    statistic = float(np.sum(slope[ok] ** 2 / variance[ok]))
    z = ((statistic / k) ** (1 / 3) - (1 - 2 / (9 * k))) / math.sqrt(2 / (9 * k))
    return z > NormalDist().inv_cdf(1 - alpha)


def _why_not(days: int, units: float, price_days: int, prices: np.ndarray) -> str | None:
    usual = float(np.median(prices)) if prices.size else 0.0
    return why_not_estimated("en", days=days, units=units, price_days=price_days, usual_price=usual)


def why_not_estimated(lang: Language, *, days: int, units: float, price_days: int, usual_price: float) -> str | None:
    """Why a SKU's price response cannot be estimated from its own history (None when it can)."""
    if days < MIN_DAYS:
        return say(lang, "elasticity", "few_days", days=days, needed=MIN_DAYS)
    if units < MIN_UNITS:
        return say(lang, "elasticity", "few_units", units=units, needed=MIN_UNITS)
    if price_days < MIN_PRICE_DAYS:
        key = "price_never_moved" if price_days == 0 else "price_rarely_moved"
        return say(lang, "elasticity", key, price=usual_price, days=days, usual_days=days - price_days)
    return None


def _masked_median(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = np.zeros(values.shape[0])
    for row in np.flatnonzero(mask.any(axis=1)):
        out[row] = float(np.median(values[row, mask[row]]))
    return out


def _competitor_column(panel: ShopPanel, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log competitor price (centred; gaps carried forward), whether the SKU is tracked on most of its days and
    the uncentred log competitor price (NaN where never seen)."""
    rival = panel.competitor_price
    seen = np.isfinite(rival) & (np.nan_to_num(rival) > 0)
    tracked = (seen & usable).sum(axis=1) >= 0.5 * np.maximum(usable.sum(axis=1), 1)
    # a missing day is a missed scrape: the last seen offer carries forward (and the first one back)
    filled = np.log(carried_forward(rival))
    raw = np.where(tracked[:, None], filled, np.nan)
    filled = np.where(tracked[:, None], filled, 0.0)
    centre = _masked_median(filled, usable & tracked[:, None])
    return np.where(usable & tracked[:, None], filled - centre[:, None], 0.0), tracked, raw


def _poisson_fit(design: np.ndarray, units: np.ndarray, mask: np.ndarray, offset: np.ndarray,
                 active: np.ndarray, start: np.ndarray, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps on every SKU's Poisson log-likelihood at once; inactive columns stay at zero."""
    beta = start.copy()
    weights = mask.astype(float)
    total = (units * weights).sum(axis=1)
    base = (np.exp(np.clip(offset, -30, 30)) * weights).sum(axis=1)
    fresh = ~np.any(beta != 0, axis=1) & (total > 0) & (base > 0)
    beta[fresh, 0] = np.log(total[fresh] / base[fresh])
    eye = np.eye(design.shape[2])
    off = ~active
    penalty = _slope_precision(active)
    # each SKU's fit is its own: a SKU whose last step was below 1e-7 has converged and drops out of later
    # steps (on a 1,000-SKU shop most converge in a few steps, while a handful take dozens)
    todo = np.arange(beta.shape[0])
    for _ in range(iterations):
        x, b, w = design[todo], beta[todo], weights[todo]
        mu = np.exp(np.clip(_linear(x, b) + offset[todo], -30, 30)) * w
        gradient = _gram_vector(x, units[todo] * w - mu) - penalty[todo] * b
        hessian = _pin_inactive(_gram(x, mu), off[todo], eye) + eye[None] * penalty[todo][:, :, None]
        gradient[off[todo]] = 0.0
        step = _solve(hessian, gradient)
        # a bounded step keeps a SKU with a handful of sales from overshooting into exp overflow
        step = np.clip(step, -2.0, 2.0)
        beta[todo] = b + step
        todo = todo[np.max(np.abs(step), axis=1) >= 1e-7]
        if todo.size == 0:
            break
    mu = np.exp(np.clip(_linear(design, beta) + offset, -30, 30)) * weights
    hessian = _pin_inactive(_gram(design, mu), off, eye) + eye[None] * penalty[:, :, None]
    return beta, hessian


def _slope_precision(active: np.ndarray) -> np.ndarray:
    """(sku, column): the precision of the weak prior on the price slopes each SKU's model uses."""
    precision = np.zeros(active.shape[1])
    precision[list(SLOPES)] = 1.0 / SLOPE_PRIOR_SD**2
    return active * precision


def _solve(matrices: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Every SKU's system at once; a SKU whose columns the data make collinear (its price always moving with its
    rival's) gets the least-squares solution instead of stopping the whole shop's fit."""
    try:
        return np.linalg.solve(matrices, vectors[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return (np.linalg.pinv(matrices) @ vectors[..., None])[..., 0]


def _inverse(matrices: np.ndarray) -> np.ndarray:
    """Batched inverse with the pseudo-inverse for singular systems, as _solve."""
    try:
        return np.linalg.inv(matrices)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(matrices)


def _linear(design: np.ndarray, beta: np.ndarray) -> np.ndarray:
    return (design @ beta[:, :, None])[:, :, 0]


def _gram(design: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """X' diag(weight) X for every SKU at once (batched matrix products are far faster than einsum here)."""
    return np.swapaxes(design * weight[:, :, None], 1, 2) @ design


def _gram_vector(design: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return (np.swapaxes(design, 1, 2) @ weight[:, :, None])[:, :, 0]


def _pin_inactive(hessian: np.ndarray, off: np.ndarray, eye: np.ndarray) -> np.ndarray:
    """Zero the rows and columns of unused coefficients and put 1 on their diagonal so every system solves."""
    hessian = hessian * (~off[:, :, None]) * (~off[:, None, :])
    hessian += eye[None] * off[:, :, None]
    # a tiny ridge only matters for columns the data leave (almost) flat
    return hessian + 1e-9 * eye[None]


def _sandwich(design: np.ndarray, units: np.ndarray, mask: np.ndarray, offset: np.ndarray, beta: np.ndarray,
              hessian: np.ndarray, active: np.ndarray) -> np.ndarray:
    """HC3 sandwich covariance: robust to over-dispersion and uneven day-to-day noise."""
    weights = mask.astype(float)
    mu = np.exp(np.clip(_linear(design, beta) + offset, -30, 30)) * weights
    bread = _inverse(hessian)
    # leverage of each day in its SKU's fit; dividing squared residuals by (1 - h)^2 is HC3, which keeps
    # the few days that carry a SKU's price moves from understating their own noise
    used = design * active[:, None, :]
    leverage = np.einsum("ntk,nkl,ntl->nt", used, bread, used) * mu
    residual = (units * weights - mu) / np.clip(1.0 - leverage, 0.05, 1.0)
    meat = _gram(design, residual**2)
    # the robust variance of the data's part plus the prior's own: along a direction the SKU's days leave
    # unidentified (own and rival's price moving together) the variance is the prior's, not the near-zero
    # spread of scores that cannot move there, so shrinkage is free to settle that direction
    cov = bread @ (meat + _slope_precision(active)[:, :, None] * np.eye(design.shape[2])[None]) @ bread
    return cov * active[:, :, None] * active[:, None, :]


def _shared_effect(units: np.ndarray, linear: np.ndarray, mask: np.ndarray, groups: np.ndarray,
                   n_groups: int, *, centred: bool = True) -> np.ndarray:
    """log(actual / expected units) per group, pooled over SKUs: the maximum-likelihood shared effect."""
    expected = np.exp(np.clip(linear, -30, 30)) * mask
    actual = np.bincount(groups[mask], weights=units[mask], minlength=n_groups)
    predicted = np.bincount(groups[mask], weights=expected[mask], minlength=n_groups)
    # half a unit on both sides keeps a day with no sales finite without moving a busy day
    effect = np.where(predicted > 0, np.log((actual + 0.5) / (predicted + 0.5)), 0.0)
    if centred and predicted.sum() > 0:
        effect -= np.sum(effect * predicted) / predicted.sum()
    return effect

