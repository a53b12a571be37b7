"""Empirical-Bayes shrinkage of each SKU's price elasticity towards its category's.

A SKU whose own price history says little borrows from similar products: its Poisson estimate
(tools.elasticity) is combined with the category's typical elasticity, each weighted by its precision.
The category prior leaves the SKU itself out, the spread within categories is estimated once for the shop
(Paule-Mandel), and Morris's correction widens the interval for the estimated shrinkage factor. A SKU with
a long, varied price history keeps (almost) its own estimate.
"""

from __future__ import annotations

import math
from copy import copy
from statistics import NormalDist
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.panel import ShopPanel, carried_forward

if TYPE_CHECKING:
    from shopagent.tools.elasticity import DemandFit

LEVEL = 0.90
HINGE = 4  # tools.elasticity.COLUMNS.index("above_rival")
DATA_DOMINATED = 0.1  # the weak prior's precision below this share of the data's: its pull is under a tenth
MIN_TAU = 0.10  # two products never respond identically; a zero spread would make intervals too narrow

Status = Literal["estimated", "cannot_estimate"]


class ElasticityEstimate(BaseModel):
    """How a SKU's units respond to its price: % change in units per 1% change in price, with a 90% interval."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    category: str
    status: Status
    elasticity: float | None  # after shrinkage towards the category; None when the data cannot identify it
    elasticity_ci: tuple[float, float] | None
    elasticity_se: float | None
    own_elasticity: float | None  # the SKU's own estimate before shrinkage
    own_se: float | None
    prior_weight: float | None  # share of the estimate that comes from the category (0 = all from own data)
    category_elasticity: float | None  # the category's typical elasticity (the prior)
    category_sd: float | None  # spread of elasticities within the category, plus the prior mean's error
    competitor_elasticity: float | None  # response of units to the competitor's price, shrunk towards the shop's
    competitor_se: float | None = None
    # the kink at price parity: extra elasticity while our price is above the rival's (None: smooth form, or
    # the rival is not tracked); rival_price is the rival's latest price the panel saw
    rival_hinge: float | None = None
    rival_hinge_se: float | None = None
    rival_price: float | None = None
    days_used: int
    units_used: float
    price_days_off_usual: int  # days sold at a price at least 0.5% away from the usual one
    price_low: float | None  # lowest and highest shown price on the days used
    price_high: float | None
    reason: str | None = None  # why it cannot be estimated

    def log_units_change(self, new: float, old: float, *, elasticity: float | None = None,
                         hinge: float | None = None) -> float:
        """log(units at `new` / units at `old`): own elasticity plus, with a kink, the crossing of the rival's price."""
        e = self.elasticity if elasticity is None else elasticity
        k = self.rival_hinge if hinge is None else hinge
        change = (e or 0.0) * math.log(new / old)
        if k and self.rival_price:
            change += k * (max(math.log(new / self.rival_price), 0.0) - max(math.log(old / self.rival_price), 0.0))
        return change

    def crosses_rival(self, new: float, old: float) -> bool:
        """A move from at or below the rival's price to above it."""
        return bool(self.rival_price) and old <= self.rival_price < new


def shrink(fit: DemandFit, panel: ShopPanel, *, level: float = LEVEL,
           kink_spread: Literal["posterior", "point"] = "posterior") -> dict[str, ElasticityEstimate]:
    """Empirical-Bayes shrinkage of each SKU's elasticity towards its category (leave-one-out prior).

    kink_spread: how uncertain each SKU's kink is reported: "posterior" counts the spread of SKUs' kinks the data
    cannot rule out (`_posterior_spread`), "point" only the spread's point estimate (often its floor)."""
    z = NormalDist().inv_cdf(0.5 + level / 2)
    categories = panel.catalog.categories
    kinked = fit.form is not None and fit.form.kinked
    hinge_ok = fit.identified & fit.active[:, HINGE] & (fit.cov[:, HINGE, HINGE] > 0)
    hinge_mean, hinge_var = _category_priors(fit.beta[:, HINGE], fit.cov[:, HINGE, HINGE], hinge_ok,
                                             ["shop"] * len(categories))
    # the kink's point estimates keep the point spread (shrinking noisy kinks hard is right for the mean), but
    # the uncertainty a SKU's kink carries is the spread the data cannot rule out (`_posterior_spread`)
    _, hinge_doubt = _category_priors(fit.beta[:, HINGE], fit.cov[:, HINGE, HINGE], hinge_ok,
                                      ["shop"] * len(categories), spread=kink_spread)
    fit = _without_weak_prior(fit)
    if kinked and fit.hinge_loading is not None:
        fit = _unabsorb_kink(fit, hinge_mean, hinge_var)
    own = fit.beta[:, 1]
    own_var = fit.cov[:, 1, 1]
    ok = fit.identified & np.isfinite(own) & (own_var > 0)
    # the category means rest on the SKUs whose own data outweigh the fit's weak prior (mean 0) many times
    # over: the prior pulls the others' estimates towards 0, and averaging those would pull every SKU's
    # category towards 0 with them
    weak = fit.slope_prior[:, 1] if fit.slope_prior is not None else np.zeros(len(own))
    informed = ok & (own_var * weak < DATA_DOMINATED)
    prior_mean, prior_var = _category_priors(own, own_var, informed if informed.sum() >= 3 else ok, categories)
    # the competitor coefficient is shrunk too (towards the shop's): own and competitor prices often move
    # together (festivals), so a noisy competitor coefficient would otherwise leak into the elasticity
    rival_ok = ok & fit.active[:, 2] & (fit.cov[:, 2, 2] > 0)
    rival_mean, rival_var = _category_priors(fit.beta[:, 2], fit.cov[:, 2, 2], rival_ok, ["shop"] * len(categories))
    groups = len({categories[row] for row in np.flatnonzero(ok)})
    morris = 2 / max(int(ok.sum()) - groups - 2, 1)
    rival_now = latest_rival_price(panel)
    estimates = {}
    for row, sku_id in enumerate(panel.catalog.sku_ids):
        prices = panel.price[row][fit.usable[row]]
        common = dict(
            sku_id=sku_id, category=categories[row], days_used=int(fit.days_used[row]),
            units_used=round(float(fit.units_used[row]), 1), price_days_off_usual=int(fit.price_days[row]),
            price_low=round(float(prices.min()), 2) if prices.size else None,
            price_high=round(float(prices.max()), 2) if prices.size else None,
            category_elasticity=_round(prior_mean[row]), category_sd=_round(math.sqrt(prior_var[row]))
            if math.isfinite(prior_var[row]) else None,
            rival_price=_round(rival_now[row], 2),
        )
        borrows_kink = kinked and fit.tracked is not None and bool(fit.tracked[row]) and math.isfinite(hinge_var[row])
        if not ok[row]:
            # a SKU whose own price never moved still loses shoppers once it is dearer than its rival: in a kinked
            # shop it takes the shop's kink, as its elasticity takes its category's
            estimates[sku_id] = ElasticityEstimate(
                status="cannot_estimate", elasticity=None, elasticity_ci=None, elasticity_se=None,
                own_elasticity=None, own_se=None, prior_weight=None, competitor_elasticity=None,
                rival_hinge=_round(min(hinge_mean[row], 0.0)) if borrows_kink else None,
                rival_hinge_se=_round(math.sqrt(hinge_doubt[row]), 4) if borrows_kink else None,
                reason=fit.reasons[row] or "the model could not be fitted to this SKU's days", **common)
            continue
        priors = {1: (prior_mean[row], prior_var[row])}
        if rival_ok[row]:
            priors[2] = (rival_mean[row], rival_var[row])
        if borrows_kink:
            priors[HINGE] = (hinge_mean[row], hinge_var[row])
        post = _posterior(fit, row, priors)
        mean, variance = post[1]
        rival, rival_variance = post.get(2, (None, None))
        hinge, hinge_variance = post.get(HINGE, (None, None)) if HINGE in priors else (None, None)
        if HINGE in priors:
            hinge_variance = _posterior(fit, row, {**priors, HINGE: (hinge_mean[row], hinge_doubt[row])})[HINGE][1]
        weight = 1 - variance / own_var[row]
        if math.isfinite(prior_var[row]):
            # Morris's correction: the shrinkage factor is itself estimated, which matters most for a SKU
            # whose own estimate sits far from its category's
            variance += morris * weight**2 * (own[row] - prior_mean[row]) ** 2
        sd = math.sqrt(variance)
        estimates[sku_id] = ElasticityEstimate(
            status="estimated", elasticity=round(float(mean), 3),
            elasticity_ci=(round(float(mean - z * sd), 3), round(float(mean + z * sd), 3)),
            elasticity_se=round(sd, 4), own_elasticity=round(float(own[row]), 3),
            own_se=round(math.sqrt(own_var[row]), 4), prior_weight=round(float(weight), 3),
            competitor_elasticity=_round(rival),
            competitor_se=_round(math.sqrt(rival_variance), 4) if rival_variance is not None else None,
            # being dearer than the rival never wins shoppers: a kink estimated above 0 is noise, read as none
            rival_hinge=_round(min(hinge, 0.0)) if hinge is not None else None,
            rival_hinge_se=_round(math.sqrt(hinge_variance), 4) if hinge_variance is not None else None, **common)
    return estimates


def _unabsorb_kink(fit: DemandFit, hinge_mean: np.ndarray, hinge_var: np.ndarray) -> DemandFit:
    """Take the shop's kink out of the smooth coefficients of SKUs fitted without their own.

    Such a SKU's coefficients estimate beta + loading x kink; with the kink drawn from the shop's (mean m,
    variance v), beta is estimated by coefficients - loading x m, with loading loading' x v added to the
    covariance. Left in, a SKU always dearer than its rival reads the kink as its own elasticity."""
    loading = np.nan_to_num(fit.hinge_loading)
    rows = np.flatnonzero(np.any(loading != 0, axis=1) & np.isfinite(hinge_mean) & np.isfinite(hinge_var))
    if rows.size == 0:
        return fit
    beta, cov = fit.beta.copy(), fit.cov.copy()
    beta[rows] -= loading[rows] * hinge_mean[rows, None]
    cov[rows] += loading[rows, :, None] * loading[rows, None, :] * hinge_var[rows, None, None]
    fixed = copy(fit)
    fixed.beta, fixed.cov = beta, cov
    return fixed


def _without_weak_prior(fit: DemandFit) -> DemandFit:
    """The fit's weak zero-mean prior on the price slopes taken back out wherever the SKU's own data outweigh it
    (twice over) in every direction of its slopes, so shrinkage pulls such a SKU towards its category only, not
    towards 0 first.

    With H the Poisson information, P the weak prior and M the sandwich's meat, the fit's slopes solve
    (H + P) b = H b_data to first order, and its covariance is (H + P)^-1 (M + P) (H + P)^-1; so
    b_data = b + H^-1 P b and its covariance H^-1 M H^-1. A SKU whose slopes the data leave (nearly) unidentified
    (own and rival's price moving together) keeps the prior, which is what keeps it finite."""
    if fit.slope_prior is None or fit.hessian is None:
        return fit
    beta, cov, weak = fit.beta.copy(), fit.cov.copy(), fit.slope_prior.copy()
    for row in np.flatnonzero(np.any(fit.slope_prior > 0, axis=1)):
        used = np.flatnonzero(fit.active[row])
        prior = np.diag(fit.slope_prior[row, used])
        penalised = fit.hessian[row][np.ix_(used, used)]
        information = penalised - prior
        slopes = [k for k, column in enumerate(used) if fit.slope_prior[row, column] > 0]
        others = [k for k in range(used.size) if k not in slopes]
        # the data's information on the slopes once the unpenalised columns are profiled out (Schur complement)
        schur = information[np.ix_(slopes, slopes)]
        if others:
            block = information[np.ix_(slopes, others)]
            schur = schur - block @ np.linalg.solve(information[np.ix_(others, others)], block.T)
        if np.linalg.eigvalsh(0.5 * (schur + schur.T)).min() <= 2 * float(prior.max()):
            continue
        inverse = np.linalg.inv(information)
        sub = np.ix_(used, used)
        meat = penalised @ fit.cov[row][sub] @ penalised - prior
        beta[row, used] = fit.beta[row, used] + inverse @ prior @ fit.beta[row, used]
        cov[row][sub] = inverse @ meat @ inverse
        weak[row] = 0.0
    fixed = copy(fit)
    fixed.beta, fixed.cov, fixed.slope_prior = beta, cov, weak
    return fixed


def latest_rival_price(panel: ShopPanel) -> np.ndarray:
    """Each SKU's rival price on the panel's last day (the last one seen before it; NaN if never seen)."""
    return carried_forward(panel.competitor_price)[:, -1]


def _posterior(fit: DemandFit, row: int, priors: dict[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """Posterior means and variances of the price coefficients (own, competitor, kink), normal priors.

    The coefficients the SKU's own fit estimates are updated jointly with their covariance; one it could not
    estimate (a kink for a SKU that never crossed its rival) is its prior. An infinite prior variance is flat.
    """
    columns = [c for c in priors if c == 1 or (fit.active[row, c] and fit.cov[row, c, c] > 0)]
    estimate = fit.beta[row, columns]
    # a sandwich covariance of three coefficients need not be positive definite: clip its eigenvalues so
    # the update never yields a negative variance
    values, vectors = np.linalg.eigh(fit.cov[row][np.ix_(columns, columns)])
    values = np.maximum(values, 1e-9 * max(float(values.max()), 1e-12))
    data_precision = (vectors / values) @ vectors.T
    means = np.array([priors[c][0] for c in columns])
    prior_precision = np.diag([1 / priors[c][1] if math.isfinite(priors[c][1]) else 0.0 for c in columns])
    covariance = np.linalg.inv(data_precision + prior_precision)
    mean = covariance @ (data_precision @ estimate + prior_precision @ np.nan_to_num(means))
    out = {c: (float(mean[k]), float(covariance[k, k])) for k, c in enumerate(columns)}
    for c, (prior, variance) in priors.items():
        if c not in out and math.isfinite(variance):
            out[c] = (float(prior), float(variance))
    return out


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def _category_priors(own: np.ndarray, own_var: np.ndarray, ok: np.ndarray, categories: list[str], *,
                     spread: Literal["point", "posterior"] = "point") -> tuple[np.ndarray, np.ndarray]:
    """Per SKU: the category's mean elasticity without that SKU, and the prior variance around it.

    The spread within categories (tau^2) is estimated once for the shop (Paule-Mandel, or with spread
    "posterior" its posterior mean, `_posterior_spread`); category means are precision-weighted and themselves
    pulled towards the shop mean when a category has few SKUs.
    """
    n = own.size
    mean = np.full(n, np.nan)
    variance = np.full(n, np.inf)
    rows = np.flatnonzero(ok)
    if rows.size < 3:
        return mean, variance
    names = sorted({categories[row] for row in rows})
    group = np.array([names.index(categories[row]) for row in rows])
    estimate, var = own[rows], own_var[rows]
    tau2 = _paule_mandel(estimate, var, group, len(names)) if spread == "point" else _posterior_spread(estimate, var)
    weight = 1 / (var + tau2)
    sums = np.bincount(group, weights=weight * estimate, minlength=len(names))
    totals = np.bincount(group, weights=weight, minlength=len(names))
    shop_mean = float(sums.sum() / totals.sum())
    # spread of category means around the shop mean (method of moments, never negative)
    category_mean = sums / totals
    between = max(float(np.sum(totals * (category_mean - shop_mean) ** 2) - (len(names) - 1))
                  / max(float(totals.sum() - np.sum(totals**2) / totals.sum()), 1e-9), 0.0)
    for row in range(n):
        name = categories[row]
        if name in names:
            g = names.index(name)
            s, t = sums[g], totals[g]
            if ok[row]:
                mine = 1 / (own_var[row] + tau2)
                s, t = s - mine * own[row], t - mine
        else:
            s, t = 0.0, 0.0
        # the category mean (without this SKU) shrunk towards the shop mean by its own precision
        if t > 1e-12 and between > 0:
            precision = t + 1 / between
            centre = (s + shop_mean / between) / precision
            centre_var = 1 / precision
        elif t > 1e-12:
            centre, centre_var = shop_mean, 1 / totals.sum()
        else:
            centre, centre_var = shop_mean, between + 1 / totals.sum()
        mean[row] = centre
        variance[row] = tau2 + centre_var
    return mean, variance


def _paule_mandel(estimate: np.ndarray, var: np.ndarray, group: np.ndarray, n_groups: int) -> float:
    """The within-category spread tau^2 at which the weighted residuals match their degrees of freedom."""
    dof = estimate.size - n_groups

    def excess(tau2: float) -> float:
        weight = 1 / (var + tau2)
        means = (np.bincount(group, weights=weight * estimate, minlength=n_groups)
                 / np.maximum(np.bincount(group, weights=weight, minlength=n_groups), 1e-300))
        return float(np.sum(weight * (estimate - means[group]) ** 2)) - dof

    if dof <= 0 or excess(MIN_TAU**2) <= 0:
        return MIN_TAU**2
    low, high = MIN_TAU**2, 1.0
    while excess(high) > 0 and high < 1e4:
        high *= 4
    for _ in range(60):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if excess(middle) > 0 else (low, middle)
    return 0.5 * (low + high)



SPREAD_GRID = 400


def _posterior_spread(estimate: np.ndarray, var: np.ndarray) -> float:
    """E[tau^2 | estimates]: the spread of SKUs' true values around one mean, averaged over its posterior
    (REML likelihood, uniform prior on tau), never below MIN_TAU^2.

    For the kink at parity a SKU's own estimate rests on its few days above the rival's price (standard errors
    of 1-3 against a spread of well under 1): the likelihood of the spread is then flat from 0 to about the
    spread itself, so the point estimate sits at its floor and every SKU's kink would be read as the shop's
    to within +-0.1. Averaged over what the data cannot rule out, the spread keeps a what-if across the
    rival's price as uncertain as the kinks really are."""
    top = 3.0 * (math.sqrt(float(np.median(var))) + float(np.std(estimate)))
    tau2 = np.linspace(0.0, top, SPREAD_GRID)[:, None] ** 2
    total = var[None, :] + tau2
    weight = 1 / total
    mean = (weight * estimate).sum(axis=1, keepdims=True) / weight.sum(axis=1, keepdims=True)
    log_likelihood = -0.5 * (np.log(total).sum(axis=1) + np.log(weight.sum(axis=1))
                             + (weight * (estimate - mean) ** 2).sum(axis=1))
    posterior = np.exp(log_likelihood - log_likelihood.max())
    return max(float((posterior * tau2[:, 0]).sum() / posterior.sum()), MIN_TAU**2)
