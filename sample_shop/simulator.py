"""generate_shop: build a seeded shop, simulate it, write its CSV files and its hidden truth."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np

from .aftersales import draw_refunds, draw_reviews, review_ids
from .catalog import CHANNEL_CONVERSION, Catalog, build_catalog, plant_violations
from .demand import QUANTITY_P, cap_lines_by_stock, draw_demand, traffic_after_stock
from .events import EventPlan, plan_events, plant_traffic_mechanism
from .impacts import measure_impacts, truth_events
from .inventory import simulate_inventory
from .models import ChannelValues, DateRange, DayMultipliers, PromoCurve, ShopTruth, SkuTruth, Steps, TruthSummary
from .orders import PAID_PRICE_FACTOR, build_orders, paid_cents
from .pricing import QUIET_DAYS, PricePaths, build_competitors, build_prices, rival_mechanism
from .promotion import AD_MECHANISMS, build_promotions
from .schedule import PREHEAT_ADD_TO_CART, Calendar, build_calendar, day_multipliers
from .scores import shop_scores
from .texts import PROMPT_INJECTION_REVIEW, SQL_REVIEW
from .world import PROMOTION, World, steps_from_dense
from .writer import ShopData, write_shop

STREAMS = (
    "catalog",
    "texts",
    "events",
    "prices",
    "competitors",
    "promotion",
    "demand",
    "inventory",
    "traffic",
    "orders",
    "aftersales",
    "scores",
)
AD_STREAM = 0xAD  # the random stream of the ad mechanism's extra draws, apart from the original streams
LINES_PER_SKU_DAY = 10.0
CONVERSION_CAP = 0.45
STOCKOUT_TRAFFIC_FACTOR = 0.5
MEAN_QUANTITY = float(sum((k + 1) * p for k, p in enumerate(QUANTITY_P)))
WINDOW_DAYS = 14
MIN_DAYS = 2 * QUIET_DAYS


def generate_shop(
    out_dir: Path,
    *,
    seed: int = 7,
    n_skus: int = 80,
    n_days: int = 180,
    end_date: date = date(2026, 9, 30),
    events: Literal["planted", "none"] = "planted",
    truth_path: Path | None = None,
    violations: bool = False,
    mechanisms: dict[str, str] | None = None,
) -> ShopTruth:
    """Simulate a Tmall-style apparel/beauty shop and write its DATA_CONTRACT files to `out_dir`.

    Example: generate_shop(Path("shop"), seed=7, truth_path=Path("truth.json"))
    mechanisms: the world family the benchmarks draw from, one key per part of the shop, each "draw" (the seed
    chooses) or a named mechanism; a missing key is the shop the tests know. "ad": see AD_MECHANISMS;
    "rival_price": "smooth" (a cross-elasticity) or "threshold" (also a kink at parity); "traffic": the planted
    traffic drop hits one channel of every SKU ("shop") or one SKU's channel ("sku").
    """
    if events not in ("planted", "none"):
        raise ValueError(f"events must be 'planted' or 'none', not {events!r}")
    if n_days < MIN_DAYS:
        raise ValueError(f"n_days={n_days} is too short; use at least {MIN_DAYS} days")
    if n_skus < (20 if events == "planted" else 1):
        raise ValueError(f"n_skus={n_skus} is too few; planted events need at least 20 SKUs")
    ad = _ad_mechanism(seed, mechanisms)
    seeds = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(STREAMS, seeds, strict=True)}

    cal = build_calendar(end_date, n_days)
    catalog = build_catalog(n_skus, n_days, rng["catalog"])
    plant_violations(catalog, rng["texts"], many=violations)
    plan = plan_events(catalog, n_days, rng["events"], planted=events == "planted")
    traffic_mechanism = plant_traffic_mechanism(plan, catalog, n_days, seed, (mechanisms or {}).get("traffic", "shop"))
    prices = build_prices(catalog, cal, plan, rng["prices"])
    comp_ref, competitor = build_competitors(catalog, cal, plan, rng["competitors"], prices.regular)
    parts = _Parts(seed, events, cal, catalog, plan, prices, comp_ref, competitor, day_multipliers(cal))
    parts.mechanisms["ad"] = ad
    rival, parts.rival_hinge = rival_mechanism(seed, catalog.tracked, (mechanisms or {}).get("rival_price", "smooth"))
    parts.mechanisms["rival_price"] = rival
    world = _size_the_shop(parts, rng["promotion"])

    draws = draw_demand(world, rng["demand"])
    stock = simulate_inventory(
        draws.demand,
        world.expected_units(factual_stock=False),
        catalog.lead_time,
        world.on_sale,
        plan,
        n_days - QUIET_DAYS,
        rng["inventory"],
    )
    out = world.on_sale & (stock.available == 0)
    _settle_stockouts(plan, out)
    parts.out = out
    truth = parts.truth()
    world = World(truth)
    impacts, totals = measure_impacts(truth, world)

    lines = cap_lines_by_stock(draws.lines, stock.available, out)
    promo_ctr = np.array([s.promo.ctr if s.promo else 0.03 for s in truth.skus])
    atc_day = np.where(np.asarray(truth.days.conversion) < 1.0, PREHEAT_ADD_TO_CART, 1.0)
    visitors, impressions, add_to_cart, spend = traffic_after_stock(
        world, draws, out, catalog.ctr, promo_ctr, atc_day, catalog.atc_ratio, rng["traffic"]
    )
    price_cents = np.round(prices.shown * 100).astype(np.int64)
    cents = paid_cents(lines, price_cents, rng["orders"])
    book = build_orders(lines, cents, cal.dates, rng["orders"])
    refunds = draw_refunds(book, catalog, plan, n_days, rng["aftersales"])
    reviews = draw_reviews(book, refunds, catalog, plan, n_days, rng["aftersales"])
    data = ShopData(
        dates=cal.dates,
        catalog=catalog,
        on_sale=world.on_sale,
        price=prices.shown,
        tag=prices.tag,
        impressions=impressions,
        visitors=visitors,
        add_to_cart=add_to_cart,
        in_plan=world.in_plan,
        budget=world.budget,
        target_roi=world.target_roi,
        spend=spend,
        book=book,
        on_hand=stock.on_hand,
        inbound=stock.inbound,
        competitor=competitor,
        refunds=refunds,
        scores=shop_scores(n_days, plan, rng["scores"]),
        reviews=reviews,
    )
    write_shop(Path(out_dir), data)

    ids = review_ids(len(reviews.text))
    untrusted = [ids[k] for k, text in enumerate(reviews.text) if text in (PROMPT_INJECTION_REVIEW, SQL_REVIEW)]
    truth = truth.model_copy(
        update={
            "events": impacts,
            "mechanisms": {**truth.mechanisms, **({"traffic": traffic_mechanism} if plan.events else {})},
            "untrusted_review_ids": untrusted,
            "summary": TruthSummary(**totals, order_lines=len(lines), orders=book.n_orders),
        }
    )
    if truth_path is not None:
        Path(truth_path).parent.mkdir(parents=True, exist_ok=True)
        Path(truth_path).write_text(truth.model_dump_json(indent=2), encoding="utf-8")
    return truth


def _size_the_shop(parts: _Parts, rng: np.random.Generator) -> World:
    """Scale visitors to ~10 order lines per SKU-day, sizing promotion plans to organic sales on the way.

    Organic visitors are scaled first so budgets can follow each SKU's organic GMV; once the plans exist
    organic visitors are scaled again so organic plus paid lines hit the target.
    """
    catalog, cal = parts.catalog, parts.cal
    world = World(parts.truth())
    sku_days = float(world.on_sale.sum())
    parts.scale(0.85 * LINES_PER_SKU_DAY * sku_days / float(world.expected_orders().sum()))
    world = World(parts.truth())
    daily_gmv = world.expected_gmv(factual_stock=False).sum(axis=1) / np.maximum(world.on_sale.sum(axis=1), 1)
    value_ref = catalog.cr0[:, PROMOTION] * catalog.ref_price * MEAN_QUANTITY * PAID_PRICE_FACTOR
    value_now = world.value_per_click(world.price[:, -1], world.cr[:, -1, PROMOTION])
    parts.promos = build_promotions(catalog, cal.start, cal.n_days, parts.plan, daily_gmv, value_ref, value_now, rng,
                                    parts.mechanisms["ad"], np.random.default_rng([parts.seed, AD_STREAM]))
    world = World(parts.truth())
    expected = world.expected_orders()
    paid = float(expected[:, :, PROMOTION].sum())
    parts.scale((LINES_PER_SKU_DAY * sku_days - paid) / (float(expected.sum()) - paid))
    return World(parts.truth())


def _ad_mechanism(seed: int, mechanisms: dict[str, str] | None) -> str:
    """The shop's ad mechanism: the one asked for, one drawn from the family by the seed ("draw"), or the
    original saturating-clicks world by default (the sample shop every test and bench knows)."""
    ad = (mechanisms or {}).get("ad", "clicks")
    if ad == "draw":
        return AD_MECHANISMS[int(np.random.default_rng([seed, AD_STREAM]).integers(len(AD_MECHANISMS)))]
    if ad not in AD_MECHANISMS:
        raise ValueError(f"mechanisms['ad'] must be 'draw' or one of {', '.join(AD_MECHANISMS)}, not {ad!r}")
    return ad


def _settle_stockouts(plan: EventPlan, out: np.ndarray) -> None:
    """Planted stockouts carry the days the SKU was really out (sales noise can shift them by a day)."""
    for e in plan.of_kind("stockout"):
        row = out[e.sku]
        hits = [a for a, b in _runs(row) if b >= e.start - 3]  # the first run from its planned day on
        if not hits:
            raise RuntimeError(f"planted stockout of SKU index {e.sku} did not happen; this is a simulator bug")
        a = hits[0]
        b = next(b for a2, b in _runs(row) if a2 == a)
        e.start, e.end = a, b


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) index pairs of the True runs in a boolean row."""
    edges = np.flatnonzero(np.diff(np.r_[0, row.astype(np.int8), 0]))
    return [(int(a), int(b) - 1) for a, b in zip(edges[0::2], edges[1::2], strict=True)]


class _Parts:
    """The pieces a ShopTruth is assembled from while the shop is being sized and simulated."""

    def __init__(
        self,
        seed: int,
        events_mode: Literal["planted", "none"],
        cal: Calendar,
        catalog: Catalog,
        plan: EventPlan,
        prices: PricePaths,
        comp_ref: np.ndarray,
        competitor: np.ndarray,
        days: DayMultipliers,
    ) -> None:
        self.seed, self.events_mode, self.cal, self.catalog, self.plan = seed, events_mode, cal, catalog, plan
        self.days = days
        self.mechanisms: dict[str, str] = {}
        self.promos: list[PromoCurve | None] = [None] * catalog.n
        self.out = np.zeros((catalog.n, cal.n_days), dtype=bool)
        mix = (catalog.shares * catalog.cr0).sum(axis=1)
        self.base = catalog.shares * (LINES_PER_SKU_DAY * catalog.size / mix)[:, None]
        self.first = np.maximum(catalog.launch, 0)
        self.stop = np.where(catalog.delist < 0, cal.n_days, catalog.delist)
        start = cal.start
        self.price_steps = [
            steps_from_dense(prices.shown[i, : self.stop[i]], start, int(self.first[i])) for i in range(catalog.n)
        ]
        self.comp_steps: list[Steps | None] = [
            steps_from_dense(competitor[i, : self.stop[i]], start, int(self.first[i])) if catalog.tracked[i] else None
            for i in range(catalog.n)
        ]
        self.comp_ref = comp_ref
        self.rival_hinge = np.zeros(catalog.n)
        self.mechanisms: dict[str, str] = {}

    def scale(self, factor: float) -> None:
        """Multiply organic base visitors (orders scale with them)."""
        self.base = self.base * factor

    def truth(self) -> ShopTruth:
        """The ShopTruth as it stands (events without impacts)."""
        cal, cat = self.cal, self.catalog
        start = cal.start
        base = np.round(self.base, 4)
        skus = []
        for i in range(cat.n):
            out_ranges = [
                DateRange(start=start + timedelta(days=a), end=start + timedelta(days=b)) for a, b in _runs(self.out[i])
            ]
            skus.append(
                SkuTruth(
                    sku_id=cat.sku_ids[i],
                    category=cat.category[i],
                    launch_date=start + timedelta(days=int(cat.launch[i])),
                    delist_date=start + timedelta(days=int(cat.delist[i])) if cat.delist[i] >= 0 else None,
                    list_price=float(cat.list_price[i]),
                    ref_price=float(cat.ref_price[i]),
                    unit_cost=float(cat.unit_cost[i]),
                    elasticity=float(cat.elasticity[i]),
                    cross_elasticity=float(cat.cross[i]),
                    competitor_ref=float(self.comp_ref[i]) if cat.tracked[i] else None,
                    rival_hinge=float(self.rival_hinge[i]),
                    cr0=ChannelValues.from_sequence(cat.cr0[i].tolist()),
                    base_visitors=ChannelValues.from_sequence(base[i].tolist()),
                    atc_ratio=float(cat.atc_ratio[i]),
                    lead_time_days=int(cat.lead_time[i]),
                    refund_rate=float(cat.refund_rate[i]),
                    rating_baseline=float(cat.rating[i]),
                    price=self.price_steps[i],
                    competitor_price=self.comp_steps[i],
                    promo=self.promos[i],
                    out_of_stock=out_ranges,
                )
            )
        end = cal.end
        return ShopTruth(
            seed=self.seed,
            start=start,
            end=end,
            window_start=end - timedelta(days=WINDOW_DAYS - 1),
            window_end=end,
            compare_start=end - timedelta(days=2 * WINDOW_DAYS - 1),
            compare_end=end - timedelta(days=WINDOW_DAYS),
            events_mode=self.events_mode,
            conversion_cap=CONVERSION_CAP,
            mean_quantity=MEAN_QUANTITY,
            paid_price_factor=PAID_PRICE_FACTOR,
            stockout_traffic_factor=STOCKOUT_TRAFFIC_FACTOR,
            channel_conversion=ChannelValues.from_sequence(list(CHANNEL_CONVERSION)),
            days=self.days,
            skus=skus,
            events=truth_events(self.plan, start, cat.sku_ids),
            compliance=list(cat.compliance),
            mechanisms=dict(self.mechanisms),
        )
