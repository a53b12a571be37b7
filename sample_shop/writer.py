"""Writing the shop's tables as DATA_CONTRACT CSV files: fixed columns, two-decimal money, sorted rows."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import numpy as np

from .aftersales import REASONS, Refunds, Reviews, review_ids
from .catalog import Catalog
from .models import CHANNELS
from .orders import OrderBook
from .schedule import PROMO_TAGS
from .scores import ShopScores
from .texts import PROVINCES

BRAND_TEMPLATE = Path(__file__).with_name("brand.toml")
# traffic rows are ordered by date, sku_id, then channel name
CHANNELS_SORTED = np.array(sorted(range(len(CHANNELS)), key=lambda c: CHANNELS[c]))
PROMOTION = CHANNELS.index("promotion")
TableWriter = Callable[[str, Sequence[str], Sequence[Sequence[object]]], None]


@dataclass
class ShopData:
    """Everything the CSV files show, as arrays indexed [sku, day] or [sku, day, channel]."""

    dates: list[date]
    catalog: Catalog
    on_sale: np.ndarray
    price: np.ndarray
    tag: np.ndarray
    impressions: np.ndarray
    visitors: np.ndarray
    add_to_cart: np.ndarray
    in_plan: np.ndarray
    budget: np.ndarray
    target_roi: np.ndarray
    spend: np.ndarray
    book: OrderBook
    on_hand: np.ndarray
    inbound: np.ndarray
    competitor: np.ndarray
    refunds: Refunds
    scores: ShopScores
    reviews: Reviews


def write_csv(path: Path, header: Sequence[str], columns: Sequence[Sequence[object]]) -> None:
    """Write one table; csv quoting handles commas and quotes in titles, JSON and review text."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*columns, strict=True))


def money(yuan_or_cents: np.ndarray, *, cents: bool = False) -> list[str]:
    """Format money with exactly two decimals (formats each distinct amount once)."""
    values = np.asarray(yuan_or_cents)
    as_cents = values.astype(np.int64) if cents else np.round(values * 100.0).astype(np.int64)
    unique, inverse = np.unique(as_cents, return_inverse=True)
    table = np.array([f"{c // 100}.{c % 100:02d}" for c in unique.tolist()], dtype=object)
    return table[inverse.ravel()].tolist()


def fixed(values: np.ndarray, decimals: int) -> list[str]:
    """Format numbers with a fixed number of decimals."""
    return [f"{v:.{decimals}f}" for v in np.asarray(values).tolist()]


@cache
def _clock() -> np.ndarray:
    return np.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)])


def stamps(dates: list[date], day: np.ndarray, second: np.ndarray) -> list[str]:
    """ISO timestamps `YYYY-MM-DD HH:MM:SS` (shop-local time)."""
    prefix = np.array([f"{d.isoformat()} " for d in dates])
    return np.strings.add(prefix[day], _clock()[second]).tolist()


def write_shop(out_dir: Path, data: ShopData) -> dict[str, int]:
    """Write every contract table plus brand.toml; returns row counts by table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cat = data.catalog
    iso = np.array([d.isoformat() for d in data.dates], dtype=object)
    skus = np.array(cat.sku_ids, dtype=object)
    counts: dict[str, int] = {}

    def table(name: str, header: Sequence[str], columns: Sequence[Sequence[object]]) -> None:
        write_csv(out_dir / f"{name}.csv", header, columns)
        counts[name] = len(columns[0])

    first = np.argmax(data.on_sale, axis=1)
    launch = [cat.launch[i] if cat.launch[i] < 0 else first[i] for i in range(cat.n)]
    status = ["active" if cat.delist[i] < 0 else "delisted" for i in range(cat.n)]
    table(
        "products",
        ("sku_id", "title", "category", "launch_date", "list_price", "unit_cost", "status", "attributes"),
        (
            cat.sku_ids,
            cat.titles,
            cat.category,
            [(data.dates[0] + timedelta(days=int(k))).isoformat() for k in launch],
            money(cat.list_price),
            money(cat.unit_cost),
            status,
            [cat.attributes_json(i) for i in range(cat.n)],
        ),
    )

    t, i = np.nonzero(data.on_sale.T)
    tags = np.array(PROMO_TAGS, dtype=object)
    table(
        "price_history",
        ("date", "sku_id", "price", "promo"),
        (iso[t].tolist(), skus[i].tolist(), money(data.price[i, t]), tags[data.tag[i, t]].tolist()),
    )
    table(
        "inventory_daily",
        ("date", "sku_id", "on_hand", "inbound"),
        (iso[t].tolist(), skus[i].tolist(), data.on_hand[i, t].tolist(), data.inbound[i, t].tolist()),
    )

    show = np.repeat(data.on_sale[:, :, None], len(CHANNELS), axis=2)
    show[:, :, PROMOTION] &= data.in_plan
    t, i, c = np.nonzero(show.transpose(1, 0, 2)[:, :, CHANNELS_SORTED])
    c = CHANNELS_SORTED[c]
    names = np.array(CHANNELS, dtype=object)
    table(
        "traffic",
        ("date", "sku_id", "channel", "impressions", "visitors", "add_to_cart"),
        (
            iso[t].tolist(),
            skus[i].tolist(),
            names[c].tolist(),
            data.impressions[i, t, c].tolist(),
            data.visitors[i, t, c].tolist(),
            data.add_to_cart[i, t, c].tolist(),
        ),
    )

    book = data.book
    width = book.customer_width
    customer_ids = np.strings.add("C", np.strings.zfill(book.customer.astype(str), width)).tolist()
    provinces = np.array([p for p, _ in PROVINCES], dtype=object)
    table(
        "orders",
        ("order_id", "created_at", "customer_id", "channel", "province"),
        (
            book.order_id.tolist(),
            stamps(data.dates, book.order_day, book.order_second),
            customer_ids,
            names[book.order_channel].tolist(),
            provinces[book.province].tolist(),
        ),
    )
    item_ids = book.order_id[book.item_order]
    table(
        "order_items",
        ("order_id", "sku_id", "quantity", "unit_price"),
        (
            item_ids.tolist(),
            skus[book.item_sku].tolist(),
            book.item_quantity.tolist(),
            money(book.item_cents, cents=True),
        ),
    )

    _write_promotion(data, iso, skus, table)

    r = data.refunds
    items = r.item
    amount = book.item_cents[items] * book.item_quantity[items]
    table(
        "refunds",
        ("order_id", "sku_id", "refunded_at", "quantity", "amount", "reason"),
        (
            item_ids[items].tolist(),
            skus[book.item_sku[items]].tolist(),
            stamps(data.dates, r.day, r.second),
            book.item_quantity[items].tolist(),
            money(amount, cents=True),
            np.array(REASONS, dtype=object)[r.reason].tolist(),
        ),
    )

    tracked = data.on_sale & ~np.isnan(data.competitor)
    t, i = np.nonzero(tracked.T)
    table(
        "competitor_prices",
        ("date", "sku_id", "competitor_price"),
        (iso[t].tolist(), skus[i].tolist(), money(data.competitor[i, t])),
    )
    s = data.scores
    table(
        "shop_scores",
        ("date", "experience_score", "product_score", "logistics_score", "service_score"),
        (iso.tolist(), fixed(s.experience, 2), fixed(s.product, 2), fixed(s.logistics, 2), fixed(s.service, 2)),
    )
    rv = data.reviews
    table(
        "reviews",
        ("review_id", "sku_id", "created_at", "rating", "text"),
        (
            review_ids(rv.sku.size),
            skus[rv.sku].tolist(),
            stamps(data.dates, rv.day, rv.second),
            rv.rating.tolist(),
            rv.text,
        ),
    )
    shutil.copyfile(BRAND_TEMPLATE, out_dir / "brand.toml")
    return counts


def _write_promotion(data: ShopData, iso: np.ndarray, skus: np.ndarray, table: TableWriter) -> None:
    book = data.book
    n, n_days = data.on_sale.shape
    promo_items = book.item_channel == PROMOTION
    key = book.item_sku[promo_items].astype(np.int64) * n_days + book.item_day[promo_items]
    ad_orders = np.bincount(key, minlength=n * n_days).reshape(n, n_days)
    gmv = book.item_cents[promo_items] * book.item_quantity[promo_items]
    ad_gmv = np.bincount(key, weights=gmv, minlength=n * n_days).reshape(n, n_days)
    t, i = np.nonzero(data.in_plan.T)
    table(
        "promotion_daily",
        (
            "date",
            "sku_id",
            "daily_budget",
            "target_roi",
            "spend",
            "impressions",
            "clicks",
            "ad_orders",
            "ad_gmv",
        ),
        (
            iso[t].tolist(),
            skus[i].tolist(),
            money(data.budget[i, t]),
            fixed(data.target_roi[i, t], 2),
            money(data.spend[i, t]),
            data.impressions[i, t, PROMOTION].tolist(),
            data.visitors[i, t, PROMOTION].tolist(),
            ad_orders[i, t].tolist(),
            money(ad_gmv[i, t], cents=True),
        ),
    )
