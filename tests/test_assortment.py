"""`plan assortment`: one call per active SKU with its numbers; planted problems get the right call."""

from __future__ import annotations

import json

import pytest

ACTIONS = {"push", "fix", "restock", "delist", "keep"}


@pytest.fixture(scope="module")
def plan(sample_world):
    from typer.testing import CliRunner

    from shopagent.cli import app

    result = CliRunner().invoke(app, ["plan", "assortment", "--db", str(sample_world.db), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _calls(plan) -> dict[str, dict]:
    return {call["sku_id"]: call for call in plan["skus"]}


def test_every_active_sku_gets_exactly_one_call(plan, sample_world):
    from shopagent.tools.store import Shop

    with Shop(sample_world.db).connect() as con:
        on_sale = {row[0] for row in con.execute(
            "SELECT p.sku_id FROM products p JOIN price_history h USING (sku_id) "
            "WHERE p.status = 'active' AND h.date = (SELECT max(date) FROM price_history)").fetchall()}
    assert [call["sku_id"] for call in plan["skus"]].count(plan["skus"][0]["sku_id"]) == 1
    assert set(_calls(plan)) == on_sale
    assert {call["action"] for call in plan["skus"]} <= ACTIONS
    assert sum(plan["counts"].values()) == len(plan["skus"])


def test_each_call_carries_its_numbers(plan):
    for call in plan["skus"]:
        assert call["reasons"]
        assert set(call) >= {"contribution", "days_of_cover", "lead_time_days", "reorder_quantity", "sell_through",
                             "refund_rate", "rating", "price_gap", "contribution_margin"}
        if call["gmv"] > 0:
            # contribution can never exceed GMV: refunds, unit cost and ad spend only take away
            assert call["contribution"] <= call["gmv"]


def test_the_most_urgent_calls_come_first(plan):
    order = ["restock", "delist", "fix", "push", "keep"]
    ranks = [order.index(call["action"]) for call in plan["skus"]]
    assert ranks == sorted(ranks)


def test_a_sku_out_of_stock_at_the_end_is_to_restock(plan, sample_world):
    last = sample_world.truth.end
    planted = [e for e in sample_world.truth.events if e.kind == "stockout" and e.end == last]
    assert planted
    calls = _calls(plan)
    for event in planted:
        call = calls[event.sku_id]
        assert call["action"] == "restock", call
        assert call["on_hand"] == 0 and call["reorder_quantity"] > 0
        assert "out of stock" in call["reasons"][0]


def test_a_planted_refund_spike_is_flagged_to_fix(plan, sample_world):
    (event,) = [e for e in sample_world.truth.events if e.kind == "refund_spike"]
    call = _calls(plan)[event.sku_id]
    assert call["refund_rate_trend"] == "up"
    assert any("refund rate up" in reason for reason in call["reasons"])
    assert call["action"] in ("fix", "restock")


def test_a_longer_lead_time_calls_for_more_restocks(sample_world, cli):
    short = json.loads(cli("plan", "assortment", "--db", sample_world.db, "--json", "--lead-time", "2").stdout)
    long = json.loads(cli("plan", "assortment", "--db", sample_world.db, "--json", "--lead-time", "20").stdout)
    assert long["counts"]["restock"] > short["counts"]["restock"]
    # a SKU that must be restocked with a 2-day lead time must be with a 20-day one too
    to_restock = {call["sku_id"] for call in long["skus"] if call["action"] == "restock"}
    assert {call["sku_id"] for call in short["skus"] if call["action"] == "restock"} <= to_restock
    assert all(call["lead_time_days"] >= 20 for call in long["skus"])


def test_reasons_follow_the_language(plan, sample_world):
    from typer.testing import CliRunner

    from shopagent.cli import app

    result = CliRunner().invoke(app, ["plan", "assortment", "--db", str(sample_world.db), "--json", "--lang", "zh"])
    assert result.exit_code == 0, result.stderr
    chinese = {call["sku_id"]: call for call in json.loads(result.stdout)["skus"]}
    for sku_id, call in _calls(plan).items():
        assert chinese[sku_id]["action"] == call["action"]
        assert len(chinese[sku_id]["reasons"]) == len(call["reasons"])
        assert all(any("\u4e00" <= char <= "\u9fff" for char in reason) for reason in chinese[sku_id]["reasons"])
