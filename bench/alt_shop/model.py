"""The day-by-day shop model, run either as expected values (no draws) or as one sampled history.

Expected runs carry the slow states (sales velocity that feeds recommendation traffic, the
merchant's demand forecast, the displayed recent rating and the platform's belief of a paid
click's value) as deterministic paths; a sampled run borrows those paths, so its only extra
randomness is in counts, order sizes and its own stock.
"""

from dataclasses import dataclass

import numpy as np

from .aftersales import (
    BAD_RATING_PMF,
    MAX_DELAY,
    REFUND_DELAY,
    REVIEW_DELAY,
    UNHAPPY_REVIEW_DELAY,
    UNHAPPY_REVIEW_LIFT,
    good_mean,
    refund_rates,
)
from .history import INTENT, Drivers, Shop
from .platform import VISIT_RATE, click_share, platform_spend
from .prices import parity_factor

OOS_TRAFFIC = 0.15        # platforms bury sold-out items; a few shoppers still land on the page
RECOMMEND_FEEDBACK = 0.3  # recommendation impressions ~ (recent sales / usual sales) ** this
SCORE_PULL = 0.35         # conversion log-change per point of store experience score
RATING_MEMORY = 0.5 ** (1 / 6)   # shoppers read recent reviews: 6-day half-life
RATING_PRIOR = 3.0        # pseudo-reviews at the usual rating, so one review cannot swing it
SALES_MEMORY = 1 - 0.5 ** (1 / 5)
BELIEF_SPEED = 1 - 0.5 ** (1 / 21)   # the platform's value-per-click estimate has a 21-day half-life
MAX_CONVERSION = 0.6
FESTIVAL_STOCK = 1.8      # cover multiplier the merchant stocks up to ahead of a festival
PAD = MAX_DELAY + 12


@dataclass
class Latent:
    """Slow states per day and SKU, as used on that day."""
    sales_velocity: np.ndarray
    demand_rate: np.ndarray
    displayed_rating: np.ndarray
    belief: np.ndarray


@dataclass
class Outcome:
    """What happened per day, SKU (and channel); money in yuan."""
    impressions: np.ndarray
    visitors: np.ndarray
    add_to_cart: np.ndarray
    orders: np.ndarray
    units: np.ndarray
    gmv: np.ndarray
    on_hand: np.ndarray
    inbound: np.ndarray
    spend: np.ndarray
    clicks: np.ndarray
    value_per_click: np.ndarray   # true expected GMV per paid click, ignoring stock
    refund_amount: np.ndarray     # expected refunds by refund date and reason (expected runs)
    latent: Latent
    lines: list | None            # sampled runs: (day, sku, channel, quantity) per day


def _empty(D: int, S: int) -> Outcome:
    cube = lambda: np.zeros((D, S, 5))  # noqa: E731
    grid = lambda: np.zeros((D, S))  # noqa: E731
    return Outcome(cube(), cube(), cube(), cube(), cube(), cube(), grid(), grid(), grid(), grid(), grid(),
                   np.zeros((D + PAD, S, 4)), Latent(grid(), grid(), grid(), grid()), None)


def item_conversion(shop: Shop, drivers: Drivers, t: int, displayed_rating: np.ndarray) -> np.ndarray:
    """Base conversion per SKU on day t: a logit choice between our item, the competitor's and leaving."""
    cat = shop.catalog
    own = np.exp(cat.alpha - cat.price_sensitivity * np.log(drivers.price[t] / cat.list_price))
    comp = drivers.competitor_price[t]
    relative = np.where(np.isnan(comp), cat.competitor_ratio, comp / cat.list_price)
    rival = cat.rival_weight * relative ** (-cat.rival_sensitivity)
    if cat.parity_kink is not None:
        own = own * parity_factor(cat.parity_kink, drivers.price[t], comp)
    share = own / (1.0 + own + rival)
    mood = cat.rating_pull * (displayed_rating - cat.mean_rating)
    mood += SCORE_PULL * (drivers.experience_score[t] - shop.score_base)
    return share * np.exp(mood)


def paid_value_factor(cat, spend) -> np.ndarray:  # noqa: ANN001 - a Catalog
    """Paid conversion at a daily spend relative to its value at the SKU's value_ref (the "value" ad mechanism:
    the marginal clicks of a larger spend have less intent), or relative to its first click's (the "both"
    mechanism: it falls with the share of the paid audience already bought); 1 everywhere in the original world."""
    if cat.value_depth is not None:
        return 1.0 - cat.value_depth * click_share(spend, cat.spend_scale, cat.spend_shape, cat.click_form)
    if cat.value_slope is None:
        return np.ones(np.shape(spend))
    return (np.maximum(np.asarray(spend, float), 1e-9) / cat.value_ref) ** -cat.value_slope


def _value_per_click(conv_item, drivers: Drivers, t: int, mean_qty) -> np.ndarray:
    """Expected GMV per paid click, whatever the stock."""
    paid_conversion = np.minimum(conv_item * drivers.paid_quality[t], MAX_CONVERSION)
    return VISIT_RATE * paid_conversion * mean_qty * drivers.price[t]


def _draw_lines(rng, n_orders, on_hand, qty_cdf):
    """Order lines for one day; a SKU that runs out sells its last units to a random subset of buyers."""
    sku, ch = np.nonzero(n_orders)
    counts = n_orders[sku, ch].astype(int)
    sku, ch = np.repeat(sku, counts), np.repeat(ch, counts)
    u = rng.random(sku.size)
    qty = 1 + (u > qty_cdf[sku, 0]).astype(int) + (u > qty_cdf[sku, 1]).astype(int)
    wanted = np.bincount(sku, weights=qty, minlength=on_hand.size)
    short = np.flatnonzero(wanted > on_hand)
    if short.size:
        keep = np.ones(sku.size, bool)
        for s in short:
            idx = np.flatnonzero(sku == s)
            idx = idx[rng.permutation(idx.size)]
            before = np.concatenate([[0], np.cumsum(qty[idx])[:-1]])
            left = on_hand[s] - before
            keep[idx[left <= 0]] = False
            partial = (left > 0) & (left < qty[idx])
            qty[idx[partial]] = left[partial].astype(int)
        sku, ch, qty = sku[keep], ch[keep], qty[keep]
    return sku, ch, qty


def simulate(shop: Shop, drivers: Drivers, rng: np.random.Generator | None = None,
             latent: Latent | None = None) -> Outcome:
    """Run the shop over its history: expected values without rng, one sampled history with it."""
    cat = shop.catalog
    D, S = drivers.price.shape
    sampled = rng is not None
    res = _empty(D, S)
    res.lines = [] if sampled else None
    mean_qty, usual_rating = cat.mean_qty, cat.mean_rating
    qty_cdf = np.cumsum(cat.qty_pmf, axis=1)
    rates = refund_rates(cat, drivers)
    happy_stars, unhappy_stars = good_mean(cat), BAD_RATING_PMF @ np.arange(1.0, 6.0)
    on_hand = shop.initial_stock.astype(float).copy()
    pipeline = np.zeros((D + PAD, S))
    backlog = np.zeros(S)
    velocity, demand = shop.reference_sales.copy(), shop.reference_sales.copy()
    belief = np.full(S, np.nan)
    rating_num, rating_den = np.zeros(S), np.zeros(S)
    posts, post_stars = np.zeros((D + PAD, S)), np.zeros((D + PAD, S))
    cols = np.arange(S)
    for t in range(D):
        alive = drivers.on_sale[t]
        due = pipeline[t]
        arrived = due * drivers.supply_fill[t]
        backlog += due - arrived
        release = drivers.supply_release[t]
        arrived = arrived + np.where(release, backlog, 0.0)
        backlog[release] = 0.0
        on_hand += arrived
        res.inbound[t] = arrived

        if latent is None:
            displayed = (rating_num + RATING_PRIOR * usual_rating) / (rating_den + RATING_PRIOR)
            conv_item = item_conversion(shop, drivers, t, displayed)
            vpc = _value_per_click(conv_item, drivers, t, mean_qty)
            fresh = np.isnan(belief) & alive
            belief[fresh] = vpc[fresh]
            day_state = Latent(velocity.copy(), demand.copy(), displayed, np.nan_to_num(belief))
            for name in ("sales_velocity", "demand_rate", "displayed_rating", "belief"):
                getattr(res.latent, name)[t] = getattr(day_state, name)
        else:
            day_state = Latent(*(getattr(latent, n)[t] for n in ("sales_velocity", "demand_rate",
                                                                   "displayed_rating", "belief")))
            conv_item = item_conversion(shop, drivers, t, day_state.displayed_rating)
            vpc = _value_per_click(conv_item, drivers, t, mean_qty)
        res.value_per_click[t] = vpc * alive

        oos = on_hand < 0.5
        sellable = alive & ~oos
        impr = drivers.organic_impressions[t].copy()
        ratio = (day_state.sales_velocity + 0.3) / (shop.reference_sales + 0.3)
        impr[:, 1] *= np.clip(ratio ** RECOMMEND_FEEDBACK, 0.4, 2.5)
        impr[oos] *= OOS_TRAFFIC
        impr[~alive] = 0.0
        budget = np.where(sellable, drivers.daily_budget[t], 0.0)
        planned = platform_spend(cat.clicks_max * drivers.paid_supply_slow[t] * day_state.belief, cat.spend_scale,
                                 cat.spend_shape, cat.spend_peak, budget, drivers.target_roi[t], cat.click_form)
        spend = planned * drivers.spend_noise[t]
        conv = conv_item[:, None] * INTENT[None, :]
        conv[:, 2] = conv_item * drivers.paid_quality[t] * paid_value_factor(cat, planned)
        conv = np.minimum(conv, MAX_CONVERSION)
        conv[~sellable] = 0.0
        bought = click_share(spend, cat.spend_scale, cat.spend_shape, cat.click_form)
        clicks = cat.clicks_max * drivers.paid_supply[t] * bought
        impr[:, 2] = clicks / cat.ad_ctr
        atc_rate = np.minimum(conv * cat.atc_multiple[:, None], 0.9)
        if sampled:
            impr = rng.poisson(impr).astype(float)
            clicks = rng.binomial(impr[:, 2].astype(np.int64), cat.ad_ctr).astype(float)
            visitors = rng.binomial(impr.astype(np.int64), cat.ctr).astype(float)
            visitors[:, 2] = rng.binomial(clicks.astype(np.int64), VISIT_RATE)
            atc = rng.binomial(visitors.astype(np.int64), atc_rate).astype(float)
            n_orders = rng.binomial(visitors.astype(np.int64), conv)
            sku, ch, qty = _draw_lines(rng, n_orders, on_hand, qty_cdf)
            res.lines.append((t, sku, ch, qty))
            orders, units = np.zeros((S, 5)), np.zeros((S, 5))
            np.add.at(orders, (sku, ch), 1.0)
            np.add.at(units, (sku, ch), qty)
            wanted = units.sum(axis=1)
        else:
            visitors = impr * cat.ctr
            visitors[:, 2] = clicks * VISIT_RATE
            atc = visitors * atc_rate
            orders = visitors * conv
            units = orders * mean_qty[:, None]
            wanted = units.sum(axis=1)
            cap = np.where(wanted > on_hand, on_hand / np.maximum(wanted, 1e-12), 1.0)
            orders, units = orders * cap[:, None], units * cap[:, None]
        gmv = units * drivers.price[t][:, None]
        on_hand -= units.sum(axis=1)
        on_hand = np.maximum(on_hand, 0.0)
        res.impressions[t], res.visitors[t], res.add_to_cart[t] = impr, visitors, atc
        res.orders[t], res.units[t], res.gmv[t] = orders, units, gmv
        res.on_hand[t], res.spend[t], res.clicks[t] = on_hand, spend, clicks

        # the merchant's periodic review (order up to a cover level) plus a rush order when short
        rate = day_state.demand_rate
        outstanding = pipeline[t + 1:].sum(axis=0) + backlog
        position = on_hand + outstanding
        # a few spare units on top of the cover days keeps slow sellers from running dry by chance
        level = rate * (7 + cat.lead_days + cat.safety_days) + 3 + 2 * np.sqrt(rate * (7 + cat.lead_days))
        if drivers.festival[t + 1:t + 15].any():
            level *= FESTIVAL_STOCK
        review = alive & ((t + cat.review_phase) % 7 == 0)
        regular = np.where(review, np.maximum(level - position, 0.0), 0.0)
        rush = np.where(alive & ~review & (position < 3 * rate + 2), np.maximum(level - position, 0.0), 0.0)
        if sampled:
            regular, rush = np.ceil(regular), np.ceil(rush)
        pipeline[t + cat.lead_days, cols] += regular
        pipeline[t + 2] += rush

        if latent is None:
            velocity = np.where(alive, velocity + SALES_MEMORY * (units.sum(axis=1) - velocity), velocity)
            # the merchant's forecast ignores festival days: their lift is planned for separately
            learn = sellable & ~drivers.festival[t]
            demand = np.where(learn, demand + SALES_MEMORY * (wanted - demand), demand)
            belief = np.where(sellable, belief + BELIEF_SPEED * (vpc - belief), belief)
            kept = orders.sum(axis=1) * (1 - rates[t].sum(axis=1)) * cat.review_prob
            happy = kept * (1 - drivers.bad_share[t])
            unhappy = kept * drivers.bad_share[t] * UNHAPPY_REVIEW_LIFT
            posts[t:t + MAX_DELAY] += (happy[None, :] * REVIEW_DELAY[:, None]
                                       + unhappy[None, :] * UNHAPPY_REVIEW_DELAY[:, None])
            post_stars[t:t + MAX_DELAY] += ((happy * happy_stars)[None, :] * REVIEW_DELAY[:, None]
                                            + (unhappy * unhappy_stars)[None, :] * UNHAPPY_REVIEW_DELAY[:, None])
            res.refund_amount[t:t + MAX_DELAY] += (gmv.sum(axis=1)[None, :, None] * rates[t][None, :, :]
                                                   * REFUND_DELAY.T[:, None, :])
            rating_num = RATING_MEMORY * rating_num + post_stars[t]
            rating_den = RATING_MEMORY * rating_den + posts[t]
    return res
