"""The assortment: what each SKU is and the hidden parameters of how shoppers and the platform treat it."""

from dataclasses import dataclass

import numpy as np

from .aftersales import expected_rating
from .platform import peak_roi_point
from .texts import listing_attributes, listing_title

# price range (yuan), unit cost as share of price, seasonal peak (day of year), amplitude, draw weight
CATEGORIES = {
    "dress": dict(price=(129, 399), cost=(0.28, 0.45), peak=200, amp=0.30, weight=0.17, beauty=False),
    "tshirt": dict(price=(59, 169), cost=(0.25, 0.42), peak=190, amp=0.25, weight=0.14, beauty=False),
    "jeans": dict(price=(129, 299), cost=(0.30, 0.45), peak=280, amp=0.15, weight=0.10, beauty=False),
    "jacket": dict(price=(199, 599), cost=(0.30, 0.48), peak=330, amp=0.35, weight=0.08, beauty=False),
    "sun_shirt": dict(price=(89, 259), cost=(0.25, 0.40), peak=175, amp=0.40, weight=0.10, beauty=False),
    "skincare": dict(price=(149, 499), cost=(0.12, 0.30), peak=320, amp=0.08, weight=0.14, beauty=True),
    "sunscreen": dict(price=(69, 199), cost=(0.15, 0.32), peak=170, amp=0.35, weight=0.10, beauty=True),
    "lipstick": dict(price=(99, 329), cost=(0.12, 0.28), peak=315, amp=0.10, weight=0.09, beauty=True),
    "mask": dict(price=(49, 129), cost=(0.18, 0.35), peak=300, amp=0.05, weight=0.08, beauty=True),
}


@dataclass
class Catalog:
    """Per-SKU facts (shown in products.csv) and hidden parameters, one array entry per SKU."""
    sku_ids: list[str]
    titles: list[str]
    categories: list[str]
    attributes: list[str]
    is_beauty: np.ndarray
    list_price: np.ndarray       # regular price on the first day of the history
    unit_cost: np.ndarray
    launch_day: np.ndarray       # day index of the first day on sale (negative: before the history)
    delist_day: np.ndarray       # first day no longer on sale (n_days: never)
    base_impressions: np.ndarray  # S x 5 organic impressions per day at reference conditions
    live_featured: np.ndarray
    ctr: np.ndarray              # S x 5 impressions -> item-page visitors
    atc_multiple: np.ndarray     # add-to-cart rate as a multiple of conversion
    alpha: np.ndarray            # logit utility of our item at its reference price
    base_conversion: np.ndarray  # item conversion at the reference price, competitor and rating
    price_sensitivity: np.ndarray
    has_competitor: np.ndarray
    competitor_ratio: np.ndarray  # competitor's regular price / our list price
    rival_weight: np.ndarray     # pull of the competitor's offer in the shopper's choice
    rival_sensitivity: np.ndarray
    rating_pull: np.ndarray      # conversion log-change per star of displayed rating
    good_rating_pmf: np.ndarray  # S x 5, ratings 1..5 of a happy buyer
    bad_share: np.ndarray        # share of unhappy buyers in normal times
    review_prob: np.ndarray
    qty_pmf: np.ndarray          # S x 3, quantities 1..3 per order line
    refund_size: np.ndarray
    refund_quality: np.ndarray
    refund_late: np.ndarray
    refund_changed_mind: np.ndarray
    clicks_max: np.ndarray       # paid clicks per day at saturation
    spend_scale: np.ndarray      # spend (yuan/day) that buys 63% of clicks_max
    spend_shape: np.ndarray      # Weibull shape of the spend -> clicks curve
    spend_peak: np.ndarray       # spend / spend_scale where predicted ROI is highest
    ad_ctr: np.ndarray
    paid_quality: np.ndarray     # conversion of paid visitors relative to the item's base conversion
    lead_days: np.ndarray
    review_phase: np.ndarray
    safety_days: np.ndarray
    trend: np.ndarray            # log change of demand per year
    season_peak: np.ndarray
    season_amp: np.ndarray
    # the "value" ad mechanism: paid conversion scales with (spend / value_ref) ** -value_slope (0: it does not)
    value_slope: np.ndarray | None = None
    value_ref: np.ndarray | None = None
    # the "both" ad mechanism: paid conversion scales with 1 - value_depth x (share of clicks_max bought): the
    # platform reaches the keenest shoppers first, so the audience it adds as spend saturates has less intent
    value_depth: np.ndarray | None = None
    click_form: str = "weibull"  # platform.CLICK_FORMS: "ladder" in cpc shops (each click dearer as spend rises)

    @property
    def mean_qty(self) -> np.ndarray:
        """Expected units per order line."""
        return self.qty_pmf @ np.array([1.0, 2.0, 3.0])

    @property
    def mean_rating(self) -> np.ndarray:
        """Expected rating of a review in normal times."""
        return expected_rating(self, self.bad_share)
    parity_kink: np.ndarray | None = None  # threshold shops: utility lost per log(ours / rival) above parity


def round_price(price: float) -> float:
    """Shop price ending in 9 (59, 129, 299)."""
    return float(max(9, round(price / 10) * 10 - 1))


def build_catalog(rng: np.random.Generator, n_skus: int, n_days: int, quiet_from: int) -> Catalog:
    """Draw the assortment and every SKU's hidden parameters."""
    names = list(CATEGORIES)
    weights = np.array([CATEGORIES[c]["weight"] for c in names])
    cats = [names[i] for i in rng.choice(len(names), size=n_skus, p=weights / weights.sum())]
    spec = [CATEGORIES[c] for c in cats]
    S = n_skus
    beauty = np.array([s["beauty"] for s in spec])
    lo = np.array([s["price"][0] for s in spec], float)
    hi = np.array([s["price"][1] for s in spec], float)
    price = np.array([round_price(p) for p in np.exp(rng.uniform(np.log(lo), np.log(hi)))])
    cost_lo = np.array([s["cost"][0] for s in spec])
    cost_hi = np.array([s["cost"][1] for s in spec])
    unit_cost = np.round(price * rng.uniform(cost_lo, cost_hi), 2)

    launch = -rng.integers(30, 500, size=S)
    late = (rng.random(S) < 0.12) & (n_days >= 100)
    launch[late] = rng.integers(10, n_days - 60, size=late.sum())
    delist = np.full(S, n_days)
    for s in np.flatnonzero(rng.random(S) < 0.05):
        first = max(launch[s] + 45, 45)
        if first < quiet_from - 1:
            delist[s] = rng.integers(first, quiet_from - 1)

    popularity = np.exp(rng.normal(np.log(3500), 0.9, size=S))
    search_share = rng.uniform(0.35, 0.6, size=S)
    featured = rng.random(S) < 0.25
    base = np.zeros((S, 5))
    base[:, 0] = popularity * search_share
    base[:, 1] = popularity * (1 - search_share)
    base[:, 3] = np.where(featured, popularity * rng.uniform(0.15, 0.4, size=S), 0.0)
    base[:, 4] = popularity * rng.uniform(0.03, 0.08, size=S)
    ctr = np.column_stack([rng.uniform(0.035, 0.08, S), rng.uniform(0.012, 0.03, S), np.zeros(S),
                           rng.uniform(0.05, 0.12, S), rng.uniform(0.1, 0.25, S)])

    conv0 = np.where(beauty, np.exp(rng.uniform(np.log(0.02), np.log(0.06), S)),
                     np.exp(rng.uniform(np.log(0.012), np.log(0.045), S)))
    has_comp = rng.random(S) < 0.85
    comp_ratio = rng.uniform(0.85, 1.3, size=S)
    rival_weight = rng.uniform(0.25, 1.2, size=S)
    rival_sens = rng.uniform(1.2, 3.5, size=S)
    rival0 = rival_weight * comp_ratio ** (-rival_sens)
    own0 = conv0 * (1 + rival0) / (1 - conv0)

    p5 = rng.uniform(0.7, 0.88, size=S)
    p4 = (1 - p5) * rng.uniform(0.6, 0.85, size=S)
    good_pmf = np.column_stack([np.zeros(S), np.zeros(S), 1 - p5 - p4, p4, p5])
    qty_pmf = np.where(beauty[:, None], [0.76, 0.18, 0.06], [0.9, 0.08, 0.02])
    shape = rng.uniform(0.85, 1.5, size=S)
    clicks_max = popularity * rng.uniform(0.03, 0.1, size=S)
    cpc = rng.uniform(0.4, 1.5, size=S) * (price / 150.0) ** 0.35

    title_rng = np.random.default_rng(rng.integers(2**32))
    return Catalog(
        sku_ids=[f"P{i + 1:04d}" for i in range(S)],
        titles=[listing_title(c, title_rng) for c in cats],
        categories=cats,
        attributes=[listing_attributes(c, b, title_rng) for c, b in zip(cats, beauty, strict=True)],
        is_beauty=beauty, list_price=price, unit_cost=unit_cost,
        launch_day=launch, delist_day=delist, base_impressions=base, live_featured=featured,
        ctr=ctr, atc_multiple=rng.uniform(2.5, 5.0, size=S),
        alpha=np.log(own0), base_conversion=conv0, price_sensitivity=rng.uniform(1.0, 3.5, size=S),
        has_competitor=has_comp, competitor_ratio=comp_ratio,
        rival_weight=rival_weight, rival_sensitivity=rival_sens,
        rating_pull=rng.uniform(0.5, 0.9, size=S), good_rating_pmf=good_pmf,
        bad_share=rng.uniform(0.02, 0.06, size=S), review_prob=rng.uniform(0.2, 0.4, size=S),
        qty_pmf=np.asarray(qty_pmf, float),
        refund_size=np.where(beauty, 0.002, rng.uniform(0.05, 0.12, size=S)),
        refund_quality=rng.uniform(0.01, 0.03, size=S),
        refund_late=rng.uniform(0.004, 0.01, size=S),
        refund_changed_mind=rng.uniform(0.015, 0.04, size=S),
        clicks_max=clicks_max, spend_scale=clicks_max * cpc, spend_shape=shape,
        spend_peak=peak_roi_point(shape), ad_ctr=rng.uniform(0.015, 0.04, size=S),
        paid_quality=rng.uniform(0.65, 1.1, size=S),
        lead_days=rng.integers(3, 9, size=S), review_phase=rng.integers(0, 7, size=S),
        safety_days=rng.uniform(8, 14, size=S), trend=rng.uniform(-0.5, 0.5, size=S),
        season_peak=np.array([s["peak"] for s in spec], float) + rng.uniform(-15, 15, size=S),
        season_amp=np.array([s["amp"] for s in spec]) * rng.uniform(0.7, 1.3, size=S),
    )
