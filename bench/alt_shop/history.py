"""The shop's exogenous daily drivers: prices, traffic supply, scores, promotion settings and supply."""

from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from .aftersales import FESTIVAL_CHANGED_MIND
from .catalog import Catalog, build_catalog
from .platform import VISIT_RATE, click_share, peak_roi_point
from .prices import competitor_prices, regular_prices, shop_discounts
from .timeline import QUIET_DAYS, festival_calendar, history_dates, last_day_for, weekday_factors, yearly_cycle

LIVE_DAYS = 3   # live streams per week, on fixed weekdays
# purchase intent of organic channels relative to the item's base conversion (paid: paid_quality)
INTENT = np.array([1.2, 0.6, 0.0, 1.7, 1.0])


@dataclass
class Drivers:
    """Everything outside the shopper's choice, per day (and SKU); planted causes edit a copy."""
    on_sale: np.ndarray
    regular_price: np.ndarray
    price: np.ndarray
    promo_tag: np.ndarray
    competitor_price: np.ndarray
    competitor_seen: np.ndarray
    organic_impressions: np.ndarray   # D x S x 5, promotion column unused
    paid_supply_slow: np.ndarray      # season, trend and festival part of the paid click supply
    paid_supply: np.ndarray           # ... times the weekday cycle and daily auction noise
    spend_noise: np.ndarray
    experience_score: np.ndarray
    sub_scores: np.ndarray            # D x 3: product, logistics, service
    bad_share: np.ndarray             # share of unhappy buyers by purchase day
    paid_quality: np.ndarray
    quality_refund: np.ndarray
    changed_mind_boost: np.ndarray
    festival: np.ndarray              # D, a festival sale day
    daily_budget: np.ndarray
    target_roi: np.ndarray
    supply_fill: np.ndarray           # share of a due delivery that arrives
    supply_release: np.ndarray        # the supplier ships everything it owed that day

    def copy(self) -> "Drivers":
        """A deep copy that planted causes can edit."""
        return Drivers(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


@dataclass
class Shop:
    """The generated world before any planted cause."""
    seed: int
    dates: list[date]
    catalog: Catalog
    drivers: Drivers
    score_base: float
    quiet_from: int
    reference_sales: np.ndarray   # typical units per day per SKU (recommendation feedback anchor)
    initial_stock: np.ndarray

    @property
    def n_days(self) -> int:
        return len(self.dates)


def _ar1(rng, shape, rho, sigma):
    noise = rng.normal(0, sigma, size=shape)
    out = np.empty(shape)
    out[0] = noise[0] / np.sqrt(1 - rho**2)
    for t in range(1, shape[0]):
        out[t] = rho * out[t - 1] + noise[t]
    return out


def _traffic(rng, cat: Catalog, dates, festival_boost, on_sale):
    D, S = len(dates), len(cat.sku_ids)
    days = np.arange(D)[:, None]
    season = yearly_cycle(dates, cat.season_peak, cat.season_amp)
    trend = np.exp(cat.trend[None, :] * days / 365.0)
    age = days - cat.launch_day[None, :]
    lifecycle = np.clip(1 - 0.85 * np.exp(-np.maximum(age, 0) / 10.0), 0.15, 1.0)
    slow = season * trend * lifecycle * festival_boost[:, None] * on_sale
    week = weekday_factors(dates)
    live_days = rng.choice(7, size=LIVE_DAYS, replace=False)
    week[:, 3] = np.isin([d.weekday() for d in dates], live_days)
    shop_noise = rng.normal(0, 0.04, size=(D, 1, 1))
    sku_noise = _ar1(rng, (D, S), 0.7, 0.1)[:, :, None]
    channel_noise = rng.normal(0, 0.06, size=(D, S, 5))
    organic = (cat.base_impressions[None, :, :] * slow[:, :, None] * week[:, None, :]
               * np.exp(shop_noise + sku_noise + channel_noise))
    organic[:, :, 2] = 0.0
    paid = slow * week[:, 2:3] * np.exp(rng.normal(0, 0.07, size=(D, S)))
    return organic, slow, paid


def _scores(rng, D):
    weights = np.array([0.4, 0.3, 0.3])
    levels = rng.uniform(4.70, 4.86) + rng.uniform(-0.05, 0.05, size=3)
    subs = np.clip(levels + _ar1(rng, (D, 3), 0.85, 0.012), 0, 5)
    return float(levels @ weights), subs @ weights, subs


def _promotion_plans(rng, cat: Catalog, on_sale, slow, regular, quiet_from):
    """Merchant settings per day: budgets and target ROIs that change a few times before the quiet window."""
    D, S = on_sale.shape
    budget = np.zeros((D, S))
    target = np.zeros((D, S))
    steady = on_sale[-1] & (cat.launch_day < D - 60)
    # the merchant's rough view of a paid click's value at each regular price
    relative = regular / cat.list_price[None, :]
    value_per_click = (VISIT_RATE * cat.base_conversion * cat.paid_quality * cat.mean_qty * regular
                       * relative ** (-cat.price_sensitivity))
    # items whose paid clicks pay back best are the likelier to be promoted
    potential = value_per_click[-1] * cat.clicks_max / cat.spend_scale
    candidates = np.flatnonzero(steady)
    weights = potential[candidates] / potential[candidates].sum()
    final = rng.choice(candidates, size=int(round(rng.uniform(0.3, 0.5) * candidates.size)), replace=False, p=weights)
    others = np.setdiff1d(np.flatnonzero(on_sale[:quiet_from].any(0)), final)
    past = others[rng.random(others.size) < 0.12]
    for s in np.concatenate([final, past]):
        late_start = 0 if rng.random() < 0.55 else int(rng.integers(0, max(D - 80, 1)))
        first_day = max(int(np.argmax(on_sale[:, s])), late_start)
        if s in final:
            last_day = D
        elif first_day + 20 < quiet_from:
            last_day = int(rng.integers(first_day + 20, quiet_from))
        else:
            continue
        room = np.arange(first_day + 7, min(last_day, quiet_from))
        changes = np.sort(rng.choice(room, size=min(room.size, int(rng.integers(2, 6))), replace=False))
        starts, ends = np.concatenate([[first_day], changes]), np.concatenate([changes, [last_day]])
        for start, end in zip(starts, ends, strict=True):
            b = max(30.0, round(cat.spend_scale[s] * rng.uniform(0.2, 2.2), -1))
            value = (slow[start:end, s] * value_per_click[start:end, s]).mean()
            roi = [value * cat.clicks_max[s] * click_share(x, cat.spend_scale[s], cat.spend_shape[s], cat.click_form)
                   / x
                   for x in (b, 0.35 * b)]
            # merchants pick targets the campaign can nearly reach; it then spends at least a third of the budget
            wish = min(roi[0] * rng.uniform(0.55, 1.45), 0.95 * roi[1])
            budget[start:end, s] = b
            target[start:end, s] = float(np.clip(round(wish, 1), 0.8, 15.0))
    budget *= on_sale
    target *= on_sale
    return budget, target


def _supply_hiccups(rng, D, S, quiet_from, on_sale):
    """A few historical supplier delays, all over before the quiet window."""
    fill = np.ones((D, S))
    release = np.zeros((D, S), bool)
    if quiet_from < 45:
        return fill, release
    for s in rng.choice(S, size=rng.integers(0, 4), replace=False):
        start = int(rng.integers(10, quiet_from - 30))
        end = start + int(rng.integers(5, 13))
        if on_sale[start:end + 2, s].all():
            fill[start:end + 1, s] = 0.0
            release[end + 1, s] = True
    return fill, release


def build_shop(rng: np.random.Generator, seed: int, n_skus: int, n_days: int, click_form: str = "weibull") -> Shop:
    """Draw the catalog and all exogenous daily drivers of one shop (click_form: platform.CLICK_FORMS; it changes
    no draw, so a ladder shop is the same shop with another auction)."""
    dates = history_dates(last_day_for(seed), n_days)
    quiet_from = n_days - QUIET_DAYS
    cat = build_catalog(rng, n_skus, n_days, quiet_from)
    if click_form != "weibull":
        cat.click_form = click_form
        cat.spend_peak = peak_roi_point(cat.spend_shape, click_form)
    days = np.arange(n_days)[:, None]
    on_sale = (days >= cat.launch_day[None, :]) & (days < cat.delist_day[None, :])
    tags, boost = festival_calendar(dates, quiet_from)
    regular = regular_prices(rng, cat.list_price, n_days, quiet_from)
    discount, promo_tag = shop_discounts(rng, tags, n_skus, quiet_from)
    comp, comp_seen = competitor_prices(rng, cat.list_price, cat.has_competitor, cat.competitor_ratio, tags, quiet_from)
    organic, slow, paid = _traffic(rng, cat, dates, boost, on_sale)
    score_base, experience, subs = _scores(rng, n_days)
    budget, target = _promotion_plans(rng, cat, on_sale, slow, regular, quiet_from)
    fill, release = _supply_hiccups(rng, n_days, n_skus, quiet_from, on_sale)
    festival = np.array([bool(t) for t in tags])
    drivers = Drivers(
        on_sale=on_sale, regular_price=regular, price=np.round(regular * (1 - discount), 2), promo_tag=promo_tag,
        competitor_price=comp, competitor_seen=comp_seen & on_sale, organic_impressions=organic,
        paid_supply_slow=slow, paid_supply=paid, spend_noise=rng.uniform(0.95, 1.05, size=(n_days, n_skus)),
        experience_score=experience, sub_scores=subs, bad_share=np.tile(cat.bad_share, (n_days, 1)),
        paid_quality=np.tile(cat.paid_quality, (n_days, 1)), quality_refund=np.tile(cat.refund_quality, (n_days, 1)),
        changed_mind_boost=np.where(festival, FESTIVAL_CHANGED_MIND, 1.0), festival=festival,
        daily_budget=budget, target_roi=target, supply_fill=fill, supply_release=release)
    daily = (organic * cat.ctr[None] * INTENT[None, None, :]).sum(axis=2) * cat.base_conversion * cat.mean_qty
    alive_days = np.maximum(on_sale.sum(axis=0), 1)
    reference = np.maximum((daily * on_sale).sum(axis=0) / alive_days, 0.2)
    stock = np.ceil(reference * (7 + cat.lead_days + cat.safety_days))
    return Shop(seed=seed, dates=dates, catalog=cat, drivers=drivers, score_base=score_base,
                quiet_from=quiet_from, reference_sales=reference, initial_stock=stock)
