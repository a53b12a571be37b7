"""Price moves as causes: our price going up, a competitor cutting below us, valued through the SKU's own
estimated price response (elasticities from tools/elasticity.py) rather than a noisy before/after. When
the shop's history chose the kinked form, the part of a move that puts us above the rival's price is
valued with the kink too (a rival 20% under us costs more than its cross-elasticity alone says)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from shopagent.tools.detect_context import DetectContext
from shopagent.tools.elasticity import PromoTags, fit_demand
from shopagent.tools.elasticity_prior import shrink
from shopagent.tools.findings import Candidate
from shopagent.tools.panel import ShopPanel, carried_forward

PRICE_MOVE = 0.03  # a median price change smaller than this is a coupon wobble, not a price decision
COMPETITOR_CUT = 0.05
# Price causes are valued through the demand model, not tested on the period's own sales, and the shop-wide
# prior says every SKU answers its price and its rival's a little: so a small move always has a "significant"
# small cost. Only causes worth at least this share of the period's shop GMV explain a GMV move.
MATERIAL_SHARE = 0.0005
INTERVAL = 0.90


@dataclass
class PriceResponse:
    """Per SKU: own-price elasticity with its interval, and the response to the competitor's price."""

    own: np.ndarray
    own_low: np.ndarray
    own_high: np.ndarray
    competitor: np.ndarray
    competitor_se: np.ndarray
    hinge: np.ndarray | None = None  # the kink at the rival's price (0 where smooth), per SKU
    hinge_se: np.ndarray | None = None

    def kink(self, row: int, ours: np.ndarray, rival: np.ndarray, ours_then: np.ndarray | float,
             rival_then: np.ndarray | float, shift: float = 0.0) -> np.ndarray:
        """log(units now / units then) from how far above the rival's price we sit now against then."""
        if self.hinge is None or self.hinge_se is None or self.hinge[row] == 0:
            return np.zeros(np.shape(ours))
        with np.errstate(divide="ignore", invalid="ignore"):
            now = np.nan_to_num(np.maximum(np.log(ours / rival), 0.0))
            then = np.nan_to_num(np.maximum(np.log(ours_then / rival_then), 0.0))
        return (self.hinge[row] + shift * self.hinge_se[row]) * (now - then)


def price_response(panel: ShopPanel, tags: PromoTags | None) -> PriceResponse:
    """Fit the shop's demand model once and keep what the price detectors need (NaN where unidentified)."""
    fit = fit_demand(panel, tags=tags)
    # diagnose keeps the kink's point spread: its findings and their bars were set with it (issue 23's diagnose
    # half); what-ifs and price plans count the spread of kinks the data cannot rule out
    estimates = shrink(fit, panel, kink_spread="point")
    n = len(panel.catalog.sku_ids)
    own, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    z = NormalDist().inv_cdf(0.5 + INTERVAL / 2)
    for row, sku_id in enumerate(panel.catalog.sku_ids):
        estimate = estimates[sku_id]
        if estimate.elasticity is not None and estimate.elasticity_ci is not None:
            own[row], (low[row], high[row]) = estimate.elasticity, estimate.elasticity_ci
        elif estimate.category_elasticity is not None and estimate.category_sd is not None:
            # a SKU whose own history cannot tell is valued with its category's typical response
            own[row] = estimate.category_elasticity
            low[row] = estimate.category_elasticity - z * estimate.category_sd
            high[row] = estimate.category_elasticity + z * estimate.category_sd
    # the competitor coefficient as shrunk towards the shop's: one SKU's competitor rarely moves enough to pin
    # its own response down, while the shop's tracked SKUs together say how much a rival's price matters
    competitor, competitor_se = np.full(n, np.nan), np.full(n, np.nan)
    hinge, hinge_se = np.full(n, np.nan), np.full(n, np.nan)  # NaN: no kink fitted (0 after the borrowing)
    for row, sku_id in enumerate(panel.catalog.sku_ids):
        estimate = estimates[sku_id]
        if estimate.competitor_elasticity is not None and estimate.competitor_se is not None:
            competitor[row], competitor_se[row] = estimate.competitor_elasticity, estimate.competitor_se
        if estimate.rival_hinge is not None:
            hinge[row], hinge_se[row] = estimate.rival_hinge, estimate.rival_hinge_se or 0.0
    _borrow_shop_response(panel, competitor, competitor_se, hinge, hinge_se)
    return PriceResponse(own=own, own_low=low, own_high=high, competitor=competitor, competitor_se=competitor_se,
                         hinge=np.nan_to_num(hinge), hinge_se=np.nan_to_num(hinge_se))


def _borrow_shop_response(panel: ShopPanel, competitor: np.ndarray, competitor_se: np.ndarray, hinge: np.ndarray,
                          hinge_se: np.ndarray) -> None:
    """A SKU whose rival is watched but whose own price never moved has no fitted response at all (its own
    price, and with it the rival's, cannot be told apart from its level), so a rival's cut on it would go
    unvalued: it is given the shop's typical response to a rival, and the kink when the shop has one (in place).

    The shop's typical response is the mixture of the estimated SKUs' responses: their mean, with the spread of
    their estimates plus their own uncertainty as its variance, as a SKU drawn at random from the shop would
    respond; its own-price response already falls back on its category's the same way."""
    rival = panel.competitor_price
    watched = (np.isfinite(rival) & (np.nan_to_num(rival) > 0)).sum(axis=1) >= 0.5 * rival.shape[1]
    known = np.isfinite(competitor) & np.isfinite(competitor_se)
    if known.sum() < 3:
        return
    borrow = watched & ~known
    competitor[borrow] = float(competitor[known].mean())
    competitor_se[borrow] = math.sqrt(float(competitor[known].var() + (competitor_se[known] ** 2).mean()))
    kinked = np.isfinite(hinge)  # the shop chose the kinked form: its tracked SKUs carry a kink (0 included)
    if kinked.sum() >= 3:
        borrow &= ~kinked
        hinge[borrow] = float(hinge[kinked].mean())
        hinge_se[borrow] = math.sqrt(float(hinge[kinked].var() + (hinge_se[kinked] ** 2).mean()))


def _gmv_effect(gmv: np.ndarray, ratio: np.ndarray, exponent: float, kink: np.ndarray | float = 0.0) -> float:
    """GMV sold minus the counterfactual GMV, which is each day's GMV x ratio^exponent / exp(kink)."""
    return float((gmv * (1 - ratio ** exponent * np.exp(-kink))).sum())


def _median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if values.size else math.nan


def _beyond(prices: np.ndarray, reference: float, factor: float, *, above: bool) -> np.ndarray:
    """Days whose price is at least (above) or at most (below) reference x factor; days without a price (or a
    price of 0, a missed scrape) are not."""
    known = np.isfinite(prices) & (np.nan_to_num(prices) > 0)
    level = np.where(known, prices, reference)
    return known & (level >= reference * factor if above else level <= reference * factor)


def _first_lasting(moved: np.ndarray) -> int:
    """Index of the day a move began: the first of two days in a row beyond the old price, so a one-day blip
    (a mistyped price, a scrape of a flash sale) before the real change is not named as its day; the first
    day beyond it when no move lasted two days."""
    lasting = np.flatnonzero(moved[:-1] & moved[1:])
    return int(lasting[0]) if lasting.size else int(np.argmax(moved))


def _material(ctx: DetectContext) -> float:
    return MATERIAL_SHARE * float(ctx.panel.gmv[:, ctx.current].sum())


def detect_price_increases(ctx: DetectContext, response: PriceResponse) -> list[Candidate]:
    """Our price went up: GMV now minus what the same visitors would have bought at the old price."""
    panel, current, previous = ctx.panel, ctx.current, ctx.previous
    found = []
    for row in range(len(panel.catalog.sku_ids)):
        before = _median(panel.price[row, previous])
        # the days priced a real step above the comparison period, not the period's median: a rise five days
        # before the end is most of what moved the last days and would never move a fortnight's median
        raised = _beyond(panel.price[row, current], before, 1 + PRICE_MOVE, above=True)
        if not (before > 0 and raised.any() and np.isfinite(response.own[row])):
            continue
        now = _median(panel.price[row, current][raised])
        days = ~ctx.out[row, current] & (np.nan_to_num(panel.price[row, current]) > before)
        gmv, ratio = panel.gmv[row, current][days], before / panel.price[row, current][days]
        ours, rival = panel.price[row, current][days], carried_forward(panel.competitor_price[row:row + 1])[0]
        rival = rival[current][days]

        def kink(shift: float, ours=ours, rival=rival, row=row, before=before) -> np.ndarray:
            return response.kink(row, ours, rival, before, rival, shift)

        # at the old price units would be units x (old/new)^e, each sold at the old price: GMV x (old/new)^(1+e),
        # and, had the rise put us above the rival's price, without the kink's loss
        z = NormalDist().inv_cdf(0.5 + INTERVAL / 2)
        estimate = _gmv_effect(gmv, ratio, 1 + response.own[row], kink(0.0))
        bounds = sorted((_gmv_effect(gmv, ratio, 1 + response.own_low[row], kink(-z)),
                         _gmv_effect(gmv, ratio, 1 + response.own_high[row], kink(z))))
        if bounds[0] <= 0 <= bounds[1] or abs(estimate) < _material(ctx):
            continue
        found.append(Candidate(
            kind="price_increase", row=row, impact_gmv=round(estimate, 2),
            evidence={"price_before": round(before, 2), "price_after": round(now, 2),
                      "price_change_pct": round(100 * (now / before - 1), 1),
                      "raised_on": ctx.days(current)[_first_lasting(raised)],
                      "days_at_new_price": int(days.sum()), "elasticity": round(float(response.own[row]), 2),
                      "elasticity_ci": [round(float(response.own_low[row]), 2),
                                        round(float(response.own_high[row]), 2)],
                      "impact_gmv_interval": [round(bounds[0], 2), round(bounds[1], 2)]},
        ))
    return found


def detect_competitor_cuts(ctx: DetectContext, response: PriceResponse) -> list[Candidate]:
    """A competitor cut below our unchanged price: GMV now minus what it would have been at their old price."""
    panel, current, previous = ctx.panel, ctx.current, ctx.previous
    z = NormalDist().inv_cdf(0.5 + INTERVAL / 2)
    found = []
    for row in range(len(panel.catalog.sku_ids)):
        rival = np.where(np.nan_to_num(panel.competitor_price[row]) > 0, panel.competitor_price[row], np.nan)
        # the rival's price in the comparison period: a cut made a few days before the period began still
        # explains why this period sold less than that one
        reference = _median(rival[previous])
        if not np.isfinite(reference) and current.start > 0:
            reference = rival[current.start - 1]
        # the days the rival sat a real step below its old price (a cut late in the period counts from its day)
        cut = _beyond(rival[current], reference, 1 - COMPETITOR_CUT, above=False)
        if not (reference > 0 and cut.any() and np.isfinite(response.competitor[row])):
            continue
        rival_now, ours_now = _median(rival[current][cut]), _median(panel.price[row, current][cut])
        ours_before = _median(panel.price[row, previous])
        if not (ours_now > rival_now and ours_now / ours_before - 1 < PRICE_MOVE):
            continue
        days = ~ctx.out[row, current] & (np.nan_to_num(rival[current], nan=reference) < reference)
        gmv, ratio = panel.gmv[row, current][days], reference / rival[current][days]
        gamma, spread = float(response.competitor[row]), z * float(response.competitor_se[row])
        ours = panel.price[row, current][days]

        def kink(shift: float, ours=ours, row=row, now=rival[current][days], then=reference) -> np.ndarray:
            # dearer than the rival now than against its old price: the kink's loss, when the shop has one
            return response.kink(row, ours, now, ours, then, shift)

        bounds = sorted((_gmv_effect(gmv, ratio, gamma - spread, kink(z)),
                         _gmv_effect(gmv, ratio, gamma + spread, kink(-z))))
        estimate = _gmv_effect(gmv, ratio, gamma, kink(0.0))
        if bounds[0] <= 0 <= bounds[1] or abs(estimate) < _material(ctx):
            continue
        found.append(Candidate(
            kind="price_above_competitor", row=row, impact_gmv=round(estimate, 2),
            evidence={"our_price": round(ours_now, 2), "competitor_price_before": round(float(reference), 2),
                      "competitor_price_after": round(rival_now, 2),
                      "gap_pct": round(100 * (ours_now / rival_now - 1), 1), "days_undercut": int(days.sum()),
                      "cut_on": ctx.days(current)[_first_lasting(cut)],
                      "competitor_elasticity": round(gamma, 2),
                      "rival_hinge": round(float(response.hinge[row]), 2) if response.hinge is not None else 0.0,
                      "impact_gmv_interval": [round(bounds[0], 2), round(bounds[1], 2)]},
        ))
    return found
