"""`plan pricing`: contract JSON, guardrails that hold, and "cannot estimate" when the price never moved."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def plan(sample_world, runner):
    from shopagent.cli import app

    result = runner.invoke(app, ["plan", "pricing", "--db", str(sample_world.db), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def runner():
    from typer.testing import CliRunner

    return CliRunner()


def _unit_costs(world) -> dict[str, float]:
    with (world.folder / "products.csv").open(encoding="utf-8") as file:
        return {row["sku_id"]: float(row["unit_cost"]) for row in csv.DictReader(file)}


def test_json_matches_the_contract(plan):
    assert plan["objective"] == "profit"
    assert plan["recommendations"]
    for rec in plan["recommendations"]:
        assert set(rec) >= {"sku_id", "current_price", "recommended_price", "elasticity", "elasticity_ci",
                            "expected_units_change", "expected_profit_change", "reason"}
        assert rec["reason"]
        if rec["elasticity"] is not None:
            low, high = rec["elasticity_ci"]
            assert low <= rec["elasticity"] <= high


def test_most_skus_get_an_elasticity_and_some_get_a_new_price(plan):
    estimated = [rec for rec in plan["recommendations"] if rec["elasticity"] is not None]
    assert len(estimated) >= 0.8 * len(plan["recommendations"])
    assert any(rec["status"] == "change" for rec in plan["recommendations"])


def test_guardrails_hold(plan, sample_world):
    costs = _unit_costs(sample_world)
    for rec in plan["recommendations"]:
        current, new = rec["current_price"], rec["recommended_price"]
        assert abs(new / current - 1) <= 0.20 + 1e-9, rec["sku_id"]
        if rec["status"] != "change":
            assert new == current
            continue
        # never below unit cost plus the 15% minimum margin (the price paid is at most the shown price)
        assert new * (1 - 0.15) >= costs[rec["sku_id"]] - 1e-6, rec["sku_id"]
        # within 10% of the prices it has actually sold at
        assert rec["price_sold_low"] * 0.9 - 1e-6 <= new <= rec["price_sold_high"] * 1.1 + 1e-6, rec["sku_id"]
        # prices end the way the shop's prices end (the sample shop's end in 9)
        assert f"{new:.2f}".endswith("9.00"), new


def test_a_tighter_step_limit_is_respected(sample_world, cli):
    result = cli("plan", "pricing", "--db", sample_world.db, "--json", "--max-change", "0.05", "--objective", "gmv")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["objective"] == "gmv"
    for rec in data["recommendations"]:
        assert abs(rec["recommended_price"] / rec["current_price"] - 1) <= 0.05 + 1e-9


def test_unknown_sku_or_objective_is_a_usage_error(sample_world, cli):
    result = cli("plan", "pricing", "--db", sample_world.db, "--sku", "NOPE")
    assert result.exit_code == 2
    assert "NOPE" in result.output
    assert cli("plan", "pricing", "--db", sample_world.db, "--objective", "revenue").exit_code == 2


def test_same_data_same_bytes(sample_world, cli):
    first = cli("plan", "pricing", "--db", sample_world.db, "--json")
    second = cli("plan", "pricing", "--db", sample_world.db, "--json")
    assert first.stdout == second.stdout


@pytest.fixture(scope="module")
def flat_price_world(tmp_path_factory):
    """A shop in which one SKU was sold at the same price every day, with no promotion tag."""
    from shopagent.tools.importer import import_folder

    from .conftest import build_world

    world = build_world(tmp_path_factory.mktemp("flat"), seed=3, n_skus=30, n_days=120, events="none")
    path = world.folder / "price_history.csv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    flat = rows[-1]["sku_id"]  # on sale on the last day
    price = next(row["price"] for row in reversed(rows) if row["sku_id"] == flat)
    for row in rows:
        if row["sku_id"] == flat:
            row["price"], row["promo"] = price, ""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    import_folder(world.folder, world.db, replace=True)
    world.flat_sku = flat
    return world


def test_a_sku_whose_price_never_moved_cannot_be_estimated(flat_price_world, cli):
    result = cli("plan", "pricing", "--db", flat_price_world.db, "--json", "--sku", flat_price_world.flat_sku)
    assert result.exit_code == 0, result.stderr
    (rec,) = json.loads(result.stdout)["recommendations"]
    assert rec["sku_id"] == flat_price_world.flat_sku
    assert rec["status"] == "cannot_estimate"
    assert rec["elasticity"] is None and rec["elasticity_ci"] is None
    assert rec["recommended_price"] == rec["current_price"]
    assert "price" in rec["reason"] and "never changed" in rec["reason"]


def test_the_other_skus_of_that_shop_are_still_estimated(flat_price_world):
    from shopagent.tools.elasticity import estimate_elasticities, load_promo_tags
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.store import Shop

    shop = Shop(Path(flat_price_world.db))
    panel = load_panel(shop, *data_dates(shop))
    estimates = estimate_elasticities(panel, tags=load_promo_tags(shop, panel))
    assert estimates[flat_price_world.flat_sku].status == "cannot_estimate"
    others = [e for sku, e in estimates.items() if sku != flat_price_world.flat_sku and e.status == "estimated"]
    assert len(others) >= 20
    assert all(e.elasticity_ci[0] < e.elasticity < e.elasticity_ci[1] for e in others)


def test_reasons_follow_the_language_with_the_same_numbers(plan, sample_world, cli):
    result = cli("plan", "pricing", "--db", sample_world.db, "--json", "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    chinese = json.loads(result.stdout)["recommendations"]
    english = plan["recommendations"]
    assert [r["recommended_price"] for r in chinese] == [r["recommended_price"] for r in english]
    for zh, en in zip(chinese, english, strict=True):
        assert zh["reason"] != en["reason"]
        assert any(word in zh["reason"] for word in ("维持", "涨价", "降价")), zh["reason"]
        # the same prices are quoted in both languages
        assert f"¥{zh['current_price']:,.2f}" in zh["reason"] and f"¥{en['current_price']:,.2f}" in en["reason"]
