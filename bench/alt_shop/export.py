"""Writing the sampled history as the CSV tables of DATA_CONTRACT.md."""

import csv
from datetime import timedelta
from pathlib import Path

import numpy as np

from .history import Drivers, Shop
from .ledger import DAY
from .model import Outcome
from .timeline import CHANNELS, PAID


def _money(x) -> str:
    return f"{x:.2f}"


def _write(folder: Path, name: str, header: list[str], rows) -> None:
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _stamp(shop: Shop, seconds: int) -> str:
    day, rest = divmod(int(seconds), DAY)
    hh, rest = divmod(rest, 3600)
    mm, ss = divmod(rest, 60)
    return f"{shop.dates[day].isoformat()} {hh:02d}:{mm:02d}:{ss:02d}"


def write_export(folder: Path, shop: Shop, drivers: Drivers, history: Outcome, ledger: dict) -> None:
    """Write every required table plus refunds, competitor_prices, shop_scores and reviews."""
    folder.mkdir(parents=True, exist_ok=True)
    cat, d = shop.catalog, drivers
    days = [x.isoformat() for x in shop.dates]
    alive = [(t, s) for t in range(shop.n_days) for s in range(len(cat.sku_ids)) if d.on_sale[t, s]]
    ids = cat.sku_ids

    last_on_sale = np.array([np.flatnonzero(d.on_sale[:, s]).max() if d.on_sale[:, s].any() else 0
                             for s in range(len(ids))])
    first = shop.dates[0]
    _write(folder, "products", ["sku_id", "title", "category", "launch_date", "list_price", "unit_cost",
                                "status", "attributes"],
           [[ids[s], cat.titles[s], cat.categories[s], (first + timedelta(days=int(cat.launch_day[s]))).isoformat(),
             _money(d.regular_price[last_on_sale[s], s]), _money(cat.unit_cost[s]),
             "active" if cat.delist_day[s] >= shop.n_days else "delisted", cat.attributes[s]]
            for s in range(len(ids))])
    _write(folder, "price_history", ["date", "sku_id", "price", "promo"],
           [[days[t], ids[s], _money(d.price[t, s]), d.promo_tag[t, s]] for t, s in alive])
    _write(folder, "traffic", ["date", "sku_id", "channel", "impressions", "visitors", "add_to_cart"],
           [[days[t], ids[s], CHANNELS[c], int(history.impressions[t, s, c]), int(history.visitors[t, s, c]),
             int(history.add_to_cart[t, s, c])] for t, s in alive for c in range(len(CHANNELS))])
    _write(folder, "inventory_daily", ["date", "sku_id", "on_hand", "inbound"],
           [[days[t], ids[s], int(history.on_hand[t, s]), int(history.inbound[t, s])] for t, s in alive])

    lg = ledger
    promo = lg["channel"] == PAID
    ad_orders = np.zeros(d.price.shape)
    ad_gmv = np.zeros(d.price.shape)
    np.add.at(ad_orders, (lg["day"][promo], lg["sku"][promo]), 1)
    np.add.at(ad_gmv, (lg["day"][promo], lg["sku"][promo]), (lg["qty"] * lg["price"])[promo])
    _write(folder, "promotion_daily", ["date", "sku_id", "daily_budget", "target_roi", "spend", "impressions",
                                       "clicks", "ad_orders", "ad_gmv"],
           [[days[t], ids[s], _money(d.daily_budget[t, s]), f"{d.target_roi[t, s]:.2f}", _money(history.spend[t, s]),
             int(history.impressions[t, s, PAID]), int(history.clicks[t, s]), int(ad_orders[t, s]),
             _money(ad_gmv[t, s])] for t, s in alive if d.daily_budget[t, s] > 0])

    order_ids = []
    count = {}
    for t in lg["day"]:
        count[t] = count.get(t, 0) + 1
        order_ids.append(f"T{shop.dates[t]:%y%m%d}{count[t]:05d}")
    _write(folder, "orders", ["order_id", "created_at", "customer_id", "channel", "province"],
           [[oid, _stamp(shop, t * DAY + sec), f"c{cust:08d}", CHANNELS[ch], prov]
            for oid, t, sec, cust, ch, prov in zip(order_ids, lg["day"], lg["second"], lg["customer"],
                                                   lg["channel"], lg["province"], strict=True)])
    _write(folder, "order_items", ["order_id", "sku_id", "quantity", "unit_price"],
           [[oid, ids[s], int(q), _money(p)]
            for oid, s, q, p in zip(order_ids, lg["sku"], lg["qty"], lg["price"], strict=True)])

    rf = lg["refunds"]
    order = np.lexsort((rf["line"], rf["at"]))
    _write(folder, "refunds", ["order_id", "sku_id", "refunded_at", "quantity", "amount", "reason"],
           [[order_ids[i], ids[lg["sku"][i]], _stamp(shop, rf["at"][k]), int(lg["qty"][i]),
             _money(lg["qty"][i] * lg["price"][i]), rf["reason"][k]] for k in order for i in [rf["line"][k]]])
    rv = lg["reviews"]
    _write(folder, "reviews", ["review_id", "sku_id", "created_at", "rating", "text"],
           [[f"R{k + 1:07d}", ids[lg["sku"][i]], _stamp(shop, rv["at"][k]), int(rv["rating"][k]), rv["text"][k]]
            for k, i in enumerate(rv["line"])])
    _write(folder, "competitor_prices", ["date", "sku_id", "competitor_price"],
           [[days[t], ids[s], _money(d.competitor_price[t, s])] for t, s in alive if d.competitor_seen[t, s]])
    _write(folder, "shop_scores", ["date", "experience_score", "product_score", "logistics_score", "service_score"],
           [[days[t], f"{d.experience_score[t]:.2f}"] + [f"{x:.2f}" for x in d.sub_scores[t]]
            for t in range(shop.n_days)])
