"""Turning sampled order lines into orders, refunds and reviews with timestamps and customers."""

import numpy as np

from .aftersales import (
    BAD_RATING_PMF,
    REASONS,
    REFUND_DELAY,
    REVIEW_DELAY,
    UNHAPPY_REVIEW_DELAY,
    UNHAPPY_REVIEW_LIFT,
    refund_rates,
)
from .history import Drivers, Shop
from .texts import review_text

DAY = 86400
HOUR_WEIGHTS = np.array([1.0, 0.6, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 3.0, 4.0, 4.2,
                         3.8, 3.5, 3.6, 3.7, 3.6, 3.5, 3.8, 4.5, 5.5, 6.5, 6.0, 3.5])
PROVINCES = {"广东": 14, "浙江": 10, "江苏": 10, "上海": 6, "北京": 5, "山东": 7, "四川": 6, "河南": 6,
             "湖北": 5, "福建": 5, "湖南": 4, "安徽": 4, "河北": 4, "陕西": 3, "辽宁": 3, "重庆": 3,
             "天津": 2, "云南": 2, "广西": 2, "江西": 2}


def _draw_delay(rng, pmf_rows: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(pmf_rows, axis=1)
    return np.argmax(rng.random(len(pmf_rows))[:, None] * cdf[:, -1:] < cdf, axis=1)


def build_ledger(shop: Shop, drivers: Drivers, lines: list, rng: np.random.Generator) -> dict:
    """Order lines with times, customers and provinces, plus their refunds and reviews (all dated <= last day)."""
    cat, D = shop.catalog, shop.n_days
    day = np.concatenate([np.full(len(s), t) for t, s, _, _ in lines]).astype(int)
    sku = np.concatenate([s for _, s, _, _ in lines]).astype(int)
    channel = np.concatenate([c for _, _, c, _ in lines]).astype(int)
    qty = np.concatenate([q for _, _, _, q in lines]).astype(int)
    n = day.size
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    hour = np.where(channel == 3, rng.integers(19, 23, size=n), hour)   # live streams run 19:00-23:00
    second = hour * 3600 + rng.integers(0, 3600, size=n)
    order = np.lexsort((sku, second, day))
    day, sku, channel, qty, second = day[order], sku[order], channel[order], qty[order], second[order]
    price = drivers.price[day, sku]
    pool = max(200, int(0.55 * n))
    customer = np.floor(pool * rng.random(n) ** 1.3).astype(np.int64)   # loyal buyers come back
    names = list(PROVINCES)
    weights = np.array([PROVINCES[p] for p in names], float)
    province = rng.choice(len(names), size=n, p=weights / weights.sum())
    ledger = {"day": day, "second": second, "sku": sku, "channel": channel, "qty": qty, "price": price,
              "customer": (customer * 7919 + 104729) % 10**8, "province": np.array(names)[province]}

    rates = refund_rates(cat, drivers)[day, sku]
    u = rng.random(n)
    cum = np.cumsum(rates, axis=1)
    refunded = u < cum[:, -1]
    reason = np.argmax(u[:, None] < cum, axis=1)
    delay = _draw_delay(rng, REFUND_DELAY[reason])
    at = day * DAY + second + delay * DAY + rng.integers(3600, 12 * 3600, size=n)
    dated = refunded & (at < D * DAY)
    ledger["refunds"] = {"line": np.flatnonzero(dated), "at": at[dated],
                         "reason": np.array(REASONS)[reason[dated]]}

    unhappy = rng.random(n) < drivers.bad_share[day, sku]
    propensity = cat.review_prob[sku] * np.where(unhappy, UNHAPPY_REVIEW_LIFT, 1.0)
    writes = ~refunded & (rng.random(n) < propensity)
    delay = _draw_delay(rng, np.where(unhappy[:, None], UNHAPPY_REVIEW_DELAY[None, :], REVIEW_DELAY[None, :]))
    at = day * DAY + second + delay * DAY + rng.integers(600, 20 * 3600, size=n)
    posted = writes & (at < D * DAY)
    lines_idx = np.flatnonzero(posted)
    pmf = np.where(unhappy[lines_idx, None], BAD_RATING_PMF[None, :], cat.good_rating_pmf[sku[lines_idx]])
    cdf = np.cumsum(pmf, axis=1)
    rating = 1 + np.argmax(rng.random(lines_idx.size)[:, None] * cdf[:, -1:] < cdf, axis=1)
    style, pick = rng.random(lines_idx.size), rng.random(lines_idx.size)
    text = [review_text(int(r), bool(cat.is_beauty[s]), float(a), float(b))
            for r, s, a, b in zip(rating, sku[lines_idx], style, pick, strict=True)]
    by_time = np.argsort(at[lines_idx], kind="stable")
    ledger["reviews"] = {"line": lines_idx[by_time], "at": at[lines_idx][by_time], "rating": rating[by_time],
                         "text": [text[i] for i in by_time]}
    return ledger
