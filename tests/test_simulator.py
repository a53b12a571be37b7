"""The sample-shop simulator: deterministic contract files, planted causes in its truth, a usable TrueModel."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import tomllib
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from shopagent.sample_shop import ShopTruth, TrueModel, generate_shop, load_truth
from shopagent.tools.schema import TABLES

SMALL = {"n_skus": 20, "n_days": 60}
# the importer's schema is the contract: the simulator must write exactly what it reads
CONTRACT = {table.name: list(table.column_names) for table in TABLES}
MONEY = {
    "products": ["list_price", "unit_cost"],
    "price_history": ["price"],
    "order_items": ["unit_price"],
    "promotion_daily": ["daily_budget", "spend", "ad_gmv"],
    "refunds": ["amount"],
    "competitor_prices": ["competitor_price"],
}
KEYS = {
    "products": "sku_id",
    "price_history": "date, sku_id",
    "traffic": "date, sku_id, channel",
    "orders": "order_id",
    "order_items": "order_id, sku_id",
    "promotion_daily": "date, sku_id",
    "inventory_daily": "date, sku_id",
    "refunds": "order_id, sku_id",
    "competitor_prices": "date, sku_id",
    "shop_scores": "date",
    "reviews": "review_id",
}
AD_LAW_TERMS = ("最", "第一", "顶级", "国家级", "唯一", "100%", "治疗", "药妆", "美白")
PLANTED_KINDS = Counter(
    {
        "stockout": 2,
        "price_increase": 1,
        "price_above_competitor": 1,
        "promotion_below_target_roi": 1,
        "traffic_drop": 1,
        "refund_spike": 1,
        "rating_drop": 1,
        "demand_surge": 1,
        "experience_score_drop": 1,
    }
)


class Shop:
    """A generated shop folder, its truth, and an in-memory DuckDB holding its CSV files as text."""

    def __init__(self, folder: Path, truth_path: Path, truth: ShopTruth) -> None:
        self.folder, self.truth_path, self.truth = folder, truth_path, truth
        self._con: duckdb.DuckDBPyConnection | None = None

    def query(self, sql: str) -> list[tuple]:
        if self._con is None:
            self._con = duckdb.connect()
            for table in CONTRACT:
                self._con.execute(
                    f"CREATE TABLE {table} AS SELECT * FROM read_csv('{self.folder / (table + '.csv')}', "
                    "header = true, all_varchar = true)"
                )
        return self._con.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


def make_shop(root: Path, name: str, **options) -> Shop:
    folder, truth_path = root / name, root / f"{name}_truth.json"
    truth = generate_shop(folder, truth_path=truth_path, **{**SMALL, **options})
    return Shop(folder, truth_path, truth)


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Shop]:
    root = tmp_path_factory.mktemp("simulator")
    return {
        "planted": make_shop(root, "planted", seed=3),
        "again": make_shop(root, "again", seed=3),
        "other": make_shop(root, "other", seed=4),
        "quiet": make_shop(root, "quiet", seed=3, events="none"),
    }


@pytest.fixture(scope="module")
def shop(shops: dict[str, Shop]) -> Shop:
    return shops["planted"]


def test_same_seed_writes_identical_bytes_and_another_seed_does_not(shops):
    first, again, other = shops["planted"], shops["again"], shops["other"]
    names = sorted(p.name for p in first.folder.iterdir())
    assert names == sorted(p.name for p in again.folder.iterdir())
    for name in names:
        assert (first.folder / name).read_bytes() == (again.folder / name).read_bytes(), name
    assert first.truth_path.read_bytes() == again.truth_path.read_bytes()
    assert (first.folder / "orders.csv").read_bytes() != (other.folder / "orders.csv").read_bytes()
    assert first.truth_path.read_bytes() != other.truth_path.read_bytes()


def test_every_contract_table_is_written_with_its_columns(shop):
    for table, columns in CONTRACT.items():
        with (shop.folder / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == columns, table
            assert next(reader, None) is not None, f"{table} has no rows"
    brand = tomllib.loads((shop.folder / "brand.toml").read_text(encoding="utf-8"))
    assert {"name", "voice", "tone", "audience", "must_include", "forbidden"} <= brand.keys()
    assert brand["title_max_bytes"] == 60


def test_the_importers_integrity_rules_hold(shop):
    checks = {
        "visitors > impressions": "SELECT count(*) FROM traffic WHERE visitors::INT > impressions::INT",
        "add_to_cart > visitors": "SELECT count(*) FROM traffic WHERE add_to_cart::INT > visitors::INT",
        "clicks > impressions": "SELECT count(*) FROM promotion_daily WHERE clicks::INT > impressions::INT",
        "spend > 1.1 budget": "SELECT count(*) FROM promotion_daily WHERE spend::DOUBLE > 1.1 * daily_budget::DOUBLE",
        "cost >= list price": "SELECT count(*) FROM products WHERE unit_cost::DOUBLE >= list_price::DOUBLE",
        "unknown sku": (
            "SELECT count(*) FROM (SELECT sku_id FROM traffic UNION ALL SELECT sku_id FROM order_items "
            "UNION ALL SELECT sku_id FROM price_history UNION ALL SELECT sku_id FROM inventory_daily "
            "UNION ALL SELECT sku_id FROM promotion_daily UNION ALL SELECT sku_id FROM refunds "
            "UNION ALL SELECT sku_id FROM reviews UNION ALL SELECT sku_id FROM competitor_prices) "
            "WHERE sku_id NOT IN (SELECT sku_id FROM products)"
        ),
        "item without order": "SELECT count(*) FROM order_items WHERE order_id NOT IN (SELECT order_id FROM orders)",
        "negative": (
            "SELECT count(*) FROM order_items WHERE quantity::INT <= 0 OR unit_price::DOUBLE < 0 "
            "UNION ALL SELECT count(*) FROM promotion_daily WHERE spend::DOUBLE < 0 OR ad_gmv::DOUBLE < 0"
        ),
    }
    for rule, sql in checks.items():
        assert all(row[0] == 0 for row in shop.query(sql)), rule
    for table, key in KEYS.items():
        duplicates = shop.scalar(f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}")
        assert duplicates == 0, table
    two_decimals = re.compile(r"^\d+\.\d{2}$")
    for table, columns in MONEY.items():
        for column in columns:
            values = [row[0] for row in shop.query(f"SELECT {column} FROM {table}")]
            assert all(two_decimals.match(v) for v in values), f"{table}.{column}"


def test_ad_orders_are_the_promotion_channel_orders(shop):
    mismatched = shop.scalar(
        "SELECT count(*) FROM promotion_daily p FULL JOIN ("
        " SELECT o.created_at::DATE::VARCHAR AS date, i.sku_id, count(*) AS n,"
        " sum(i.quantity::INT * i.unit_price::DECIMAL(18,2)) AS gmv"
        " FROM orders o JOIN order_items i USING (order_id) WHERE o.channel = 'promotion' GROUP BY ALL"
        ") a USING (date, sku_id)"
        " WHERE coalesce(p.ad_orders::INT, 0) <> coalesce(a.n, 0)"
        " OR coalesce(p.ad_gmv::DECIMAL(18,2), 0) <> coalesce(a.gmv, 0)"
    )
    assert mismatched == 0


def test_stock_on_hand_follows_inbound_and_units_sold(shop):
    unbalanced = shop.scalar(
        "WITH sold AS (SELECT o.created_at::DATE::VARCHAR AS date, i.sku_id, sum(i.quantity::INT) AS units"
        " FROM orders o JOIN order_items i USING (order_id) GROUP BY ALL),"
        " stock AS (SELECT *, lag(on_hand::INT) OVER (PARTITION BY sku_id ORDER BY date) AS before"
        " FROM inventory_daily)"
        " SELECT count(*) FROM stock LEFT JOIN sold USING (date, sku_id)"
        " WHERE before IS NOT NULL AND before + inbound::INT - coalesce(units, 0) <> on_hand::INT"
    )
    assert unbalanced == 0


def test_planted_events_are_in_the_truth_and_in_the_last_14_days(shop):
    truth = shop.truth
    assert Counter(e.kind for e in truth.events) == PLANTED_KINDS
    assert truth.window_end == truth.end and truth.window_start == truth.end - timedelta(days=13)
    assert truth.compare_end == truth.window_start - timedelta(days=1)
    sku_events = [e for e in truth.events if e.sku_id is not None]
    assert len({e.sku_id for e in sku_events}) == len(sku_events) == 8
    for event in truth.events:
        assert truth.window_start <= event.start <= event.end <= truth.end, event.kind
        if event.kind in ("traffic_drop", "experience_score_drop"):
            assert event.sku_id is None
    drop = next(e for e in truth.events if e.kind == "traffic_drop")
    assert drop.channel in ("search", "recommend")
    impact = {e.kind: e.impact_gmv for e in truth.events if e.kind != "stockout"}
    assert impact["demand_surge"] > 0 and impact["traffic_drop"] < 0 and impact["refund_spike"] < 0
    assert all(e.impact_gmv < 0 for e in truth.events if e.kind == "stockout")


def test_a_planted_stockout_shows_zero_stock_and_no_sales(shop):
    for event in (e for e in shop.truth.events if e.kind == "stockout"):
        on_hand = shop.query(
            f"SELECT on_hand::INT FROM inventory_daily WHERE sku_id = '{event.sku_id}' "
            f"AND date BETWEEN '{event.start}' AND '{event.end}'"
        )
        assert on_hand and all(row[0] == 0 for row in on_hand)
        sold = shop.scalar(
            "SELECT count(*) FROM orders o JOIN order_items i USING (order_id) "
            f"WHERE i.sku_id = '{event.sku_id}' AND o.created_at::DATE BETWEEN '{event.start}' AND '{event.end}'"
        )
        assert sold == 0


def test_the_quiet_shop_has_no_events_and_stays_in_stock_at_the_end(shops):
    quiet = shops["quiet"]
    assert quiet.truth.events == []
    since = quiet.truth.end - timedelta(days=27)
    assert quiet.scalar(f"SELECT count(*) FROM inventory_daily WHERE on_hand::INT = 0 AND date >= '{since}'") == 0
    assert all(r.start < since for s in quiet.truth.skus for r in s.out_of_stock)


def test_truth_round_trips_through_json(shop):
    assert load_truth(shop.truth_path) == shop.truth


def test_true_model_price_response_is_the_elasticity(shop):
    model = TrueModel(load_truth(shop.truth_path))
    day = shop.truth.end - timedelta(days=20)
    sku = next(s for s in shop.truth.skus if s.delist_date is None and model.in_stock(s.sku_id, day))
    price = model.price(sku.sku_id, day)
    base = model.expected_units(sku.sku_id, day)
    assert base > 0
    higher = model.expected_units(sku.sku_id, day, price=price * 1.1)
    assert higher == pytest.approx(base * 1.1**sku.elasticity, rel=1e-9)
    assert model.expected_gmv(sku.sku_id, day) == pytest.approx(base * price * shop.truth.paid_price_factor, rel=1e-9)
    assert model.expected_units(sku.sku_id, day, in_stock=False) == 0.0


def test_true_model_promotion_answers_follow_the_platform_rule(shop):
    model = TrueModel(shop.truth)
    sku = next(s for s in shop.truth.skus if s.promo is not None and s.delist_date is None)
    day = shop.truth.end - timedelta(days=20)
    assert model.promo_gmv(sku.sku_id, 0.0, day=day) == 0.0
    assert model.promo_gmv(sku.sku_id, 400.0, day=day) > model.promo_gmv(sku.sku_id, 200.0, day=day) > 0
    for target in (1.0, 2.0, 3.0, 4.0, 6.0):
        spend = model.promo_spend_for_target(sku.sku_id, target, 500.0, day=day)
        assert 0 < spend <= 500.0
        roi = model.promo_gmv(sku.sku_id, spend, day=day) / spend
        assert roi >= target * (1 - 1e-6) or spend == pytest.approx(25.0)
    with pytest.raises(ValueError, match="no full-site promotion"):
        plain = next(s for s in shop.truth.skus if s.promo is None)
        model.promo_gmv(plain.sku_id, 100.0)


def test_removing_an_event_gives_its_impact(shop):
    truth = shop.truth
    event = next(e for e in truth.events if e.kind == "price_increase")
    factual, without = TrueModel(truth), TrueModel(truth, without=[event.event_id])
    days = [truth.window_start + timedelta(days=k) for k in range(14)]
    difference = sum(
        factual.expected_gmv(s.sku_id, d, in_stock=factual.in_stock(s.sku_id, d))
        - without.expected_gmv(s.sku_id, d, in_stock=without.in_stock(s.sku_id, d))
        for s in truth.skus
        for d in days
    )
    assert difference == pytest.approx(event.impact_gmv, abs=0.05)


def test_reviews_carry_exactly_one_injection_and_one_sql_text(shop):
    texts = [row[0] for row in shop.query("SELECT text FROM reviews")]
    assert sum("999999" in t for t in texts) == 1
    assert sum("DROP TABLE orders" in t for t in texts) == 1
    ids = [
        row[0]
        for row in shop.query("SELECT review_id FROM reviews WHERE text LIKE '%999999%' OR text LIKE '%DROP TABLE%'")
    ]
    assert sorted(ids) == sorted(shop.truth.untrusted_review_ids)


def test_only_two_titles_break_advertising_law_unless_asked(shops, tmp_path):
    titles = [row[0] for row in shops["planted"].query("SELECT title FROM products")]
    assert sum(any(term in t for term in AD_LAW_TERMS) for t in titles) == 2
    laced = make_shop(tmp_path, "laced", seed=3, violations=True, n_skus=50)
    flagged = {issue.sku_id for issue in laced.truth.compliance}
    assert 15 <= len(flagged) <= 25
    listings = laced.query("SELECT sku_id, title || attributes FROM products")
    for sku_id, text in listings:
        assert any(term in text for term in AD_LAW_TERMS) == (sku_id in flagged), sku_id


def test_cli_writes_a_shop_and_rejects_too_few_days(tmp_path):
    out, truth = tmp_path / "cli_shop", tmp_path / "truth.json"
    command = [sys.executable, "-m", "shopagent.sample_shop", str(out), "--skus", "20", "--days", "60"]
    done = subprocess.run([*command, "--seed", "5", "--truth", str(truth)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "orders.csv").exists() and load_truth(truth).seed == 5
    bad = subprocess.run([*command[:-1], "10"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("Error:")


def test_importing_the_package_does_not_import_numpy():
    code = "import sys, shopagent.sample_shop; print('numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_default_shop_is_the_documented_size(tmp_path):
    truth = generate_shop(tmp_path / "default", end_date=date(2026, 9, 30))
    assert len(truth.skus) == 80 and truth.n_days == 180
    assert truth.summary is not None and 100_000 <= truth.summary.order_lines <= 250_000


def test_a_shop_draws_its_ad_mechanism_and_the_truth_records_it(tmp_path):
    """The bench's world family: the ad mechanism is asked for or drawn by the seed, recorded in the truth, and in
    the "value" world the marginal paid clicks convert worse, so attributed GMV per click falls with spend while
    the original "clicks" world keeps a steady GMV per click."""
    default = generate_shop(tmp_path / "a", seed=3, **SMALL)
    value = generate_shop(tmp_path / "b", seed=3, mechanisms={"ad": "value"}, **SMALL)
    drawn = generate_shop(tmp_path / "c", seed=3, mechanisms={"ad": "draw"}, **SMALL)
    assert default.mechanisms["ad"] == "clicks" and value.mechanisms["ad"] == "value"
    assert drawn.mechanisms["ad"] in {"clicks", "value", "both", "cpc", "underdelivery"}

    def per_click(truth: ShopTruth, sku: str, spend: float) -> float:
        model = TrueModel(truth)
        i = model._sku(sku)
        return model.promo_gmv(sku, spend) / model._clicks(i, truth.n_days - 1, spend)

    for truth, falls in ((default, False), (value, True)):
        sku = next(s.sku_id for s in truth.skus if s.promo is not None and s.promo.plan_end >= truth.end
                   and s.promo.collapse_multiplier is None)
        low, high = per_click(truth, sku, 50.0), per_click(truth, sku, 500.0)
        assert (high < 0.8 * low) if falls else high == pytest.approx(low)
    with pytest.raises(ValueError, match="mechanisms"):
        generate_shop(tmp_path / "d", seed=3, mechanisms={"ad": "magic"}, **SMALL)


def test_a_threshold_shop_loses_conversion_once_it_is_dearer_than_its_rival(tmp_path):
    """The rival-price mechanism is drawn per shop (or forced) and recorded; under a threshold, crossing the
    rival's price costs more conversion than the smooth own-price response alone."""
    from shopagent.sample_shop.simulator import generate_shop
    from shopagent.sample_shop.truth import TrueModel

    kinked = generate_shop(tmp_path / "a", seed=5, n_skus=20, n_days=60, events="none",
                           mechanisms={"rival_price": "threshold"})
    smooth = generate_shop(tmp_path / "b", seed=5, n_skus=20, n_days=60, events="none")
    assert kinked.mechanisms["rival_price"] == "threshold" and smooth.mechanisms["rival_price"] == "smooth"
    sku = next(s for s in kinked.skus if s.rival_hinge < 0)
    model, day = TrueModel(kinked), kinked.end
    rival = model.world.rival[model.world.index[sku.sku_id], -1]
    below, above = (model.conversion(sku.sku_id, day, price)["search"] for price in (rival * 0.95, rival * 1.05))
    own_only = (1.05 / 0.95) ** sku.elasticity
    assert above / below < own_only * 0.95
    assert all(s.rival_hinge == 0 for s in smooth.skus)


@pytest.fixture(scope="module")
def alt_shops(tmp_path_factory):
    """bench/alt_shop's original and under-delivering versions of one small quiet shop (about 0.6 s each)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from alt_shop import generate

    root = tmp_path_factory.mktemp("alt")
    return {ad: (root / ad, generate(root / ad, 3, n_skus=20, n_days=90, events="none", mechanisms={"ad": ad}))
            for ad in ("clicks", "underdelivery")}


def _alt_spend(folder: Path) -> dict[tuple[str, str], float]:
    with open(folder / "export" / "promotion_daily.csv", encoding="utf-8") as handle:
        return {(row["date"], row["sku_id"]): float(row["spend"]) for row in csv.DictReader(handle)}


def test_alt_shop_underdelivery_spends_less_on_some_days_and_its_truth_says_so(alt_shops):
    """The second simulator's under-delivery mechanism: the same shop, but on thin-auction days the platform spends
    only part of what its rule wants, and the truth's spend for a target is the rule's times the expected share."""
    (plain_folder, plain), (thin_folder, thin) = alt_shops["clicks"], alt_shops["underdelivery"]
    assert thin.data["mechanisms"]["ad"] == "underdelivery"
    plain_spend, thin_spend = _alt_spend(plain_folder), _alt_spend(thin_folder)
    ratios = [thin_spend[key] / spend for key, spend in plain_spend.items() if spend > 0]
    assert 0.05 < sum(ratio < 0.85 for ratio in ratios) / len(ratios) < 0.5
    assert max(ratios) < 1.02
    sku, setting = next(iter(thin.promoted_skus().items()))
    rule = plain.promo_spend_for_target(sku, setting["target_roi"], setting["daily_budget"])
    expected = thin.promo_spend_for_target(sku, setting["target_roi"], setting["daily_budget"])
    assert expected == pytest.approx(rule * thin.data["skus"][sku]["delivery_mean"], rel=0.02)
    assert expected < rule


def test_alt_shop_counterfactual_rebuilds_the_generated_shop(alt_shops):
    """The pricing bench's truth on alt_shop re-simulates a rebuilt shop: rebuilt, it sells what was generated, and
    a price rise on a selling SKU loses it GMV."""
    from alt_shop.counterfactual import Counterfactual

    _, truth = alt_shops["clicks"]
    world = Counterfactual(truth)
    week = truth.last_day - timedelta(days=6)
    selling = [sku for sku, s in truth.data["skus"].items() if s["units_last_week"] > 1]
    for sku in selling:
        assert world.gmv(sku, week, 7) / truth.data["skus"][sku]["price"] == pytest.approx(
            truth.data["skus"][sku]["units_last_week"], rel=1e-4)
    assert world.price_change_gmv_delta({selling[0]: 1.1}, week, 7) < 0


def test_a_planted_stockout_happens_even_when_lost_sales_left_stock_over(tmp_path):
    # seed 50 with one SKU's traffic drop: S067's earlier lost sales left it 1 unit on its last planned day, so the
    # simulator used to stop with "planted stockout did not happen"; it now holds the restock until the shelf is empty
    truth = generate_shop(tmp_path, seed=50, mechanisms={"traffic": "sku"})
    stockouts = [e for e in truth.events if e.kind == "stockout"]
    assert len(stockouts) == 2
    con = duckdb.connect()
    for event in stockouts:
        on_hand = con.execute(f"SELECT on_hand FROM read_csv('{tmp_path}/inventory_daily.csv') WHERE sku_id = "
                              f"'{event.sku_id}' AND date BETWEEN '{event.start}' AND '{event.end}'").fetchall()
        assert on_hand and all(row[0] == 0 for row in on_hand)
        assert truth.window_start <= event.start <= event.end <= truth.end
