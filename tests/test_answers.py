"""What the chat says about a plan: counts that are the plan's own, and every SKU it counts named."""

from __future__ import annotations

import json
import re


def answer(tool: str, result, arguments: dict | None = None) -> str:
    """The offline narration of a real tool result, through the same payload the model reads."""
    from shopagent.narration import narrate
    from shopagent.tool_payload import read_payload, tool_payload

    return narrate("zh", [(tool, arguments or {}, read_payload(tool_payload(tool, result)))])


def test_the_promotion_answer_counts_every_funded_sku(sample_db):
    from shopagent.tools.promotion_plan import plan_promotion
    from shopagent.tools.store import Shop

    plan = plan_promotion(Shop(sample_db), budget=8000, target_roi=3)
    funded = sum(allocation.daily_budget > 0 for allocation in plan.allocations)
    text = answer("plan_promotion", plan, {"budget": 8000, "target_roi": 3})
    listed = re.findall(r"^\| (S\d+) \|", text, re.M)
    assert funded > 12 and listed  # more than the payload's list cut, so the count must not come from it
    assert f"另有 {funded - len(listed)} 个 SKU 也分到了预算" in text


def test_the_assortment_answer_names_the_sku_it_proposes_to_delist(sample_db):
    from shopagent.tools.assortment import plan_assortment
    from shopagent.tools.store import Shop

    plan = plan_assortment(Shop(sample_db))
    delist = [call.sku_id for call in plan.skus if call.action == "delist"]
    assert delist and plan.counts["restock"] + plan.counts["fix"] + plan.counts["push"] > 12
    text = answer("plan_assortment", plan)
    group = text.split("**建议下架**")[1].split("**")[0]
    assert all(f"- {sku}：" in group for sku in delist[:5])
    restock = text.split("**需要补货**")[1].split("**")[0]
    shown = len(re.findall(r"^- S\d+：", restock, re.M))
    assert f"另有 {plan.counts['restock'] - shown} 个" in restock


def test_ask_names_the_sku_to_delist(sample_db, cli):
    result = cli("ask", "哪些商品该下架？", "--db", sample_db, "--json")
    assert result.exit_code == 0, result.stderr
    reply = json.loads(result.stdout)
    assert reply["tool_calls"][0]["name"] == "plan_assortment"
    assert re.search(r"建议下架\S*\s+- S\d+：", reply["answer"]), reply["answer"]
