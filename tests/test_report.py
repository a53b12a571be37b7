"""`report daily`: deterministic markdown and HTML, offline charts, planner parity, webhooks, missing days, locking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import urllib.parse
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import MINI_SHOP, write_folder

DINGTALK_SECRET = "SECtest0123456789"
FEISHU_SECRET = "feishu-test-secret"


@pytest.fixture(scope="module")
def report_json(sample_world, runner_module):
    from shopagent.cli import app

    result = runner_module.invoke(app, ["report", "daily", "--db", str(sample_world.db), "--format", "json",
                                        "--lang", "en"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def runner_module():
    from typer.testing import CliRunner

    return CliRunner()


def flat(text: str) -> str:
    """stderr with rich's line wrapping undone."""
    return " ".join(text.split())


def test_json_has_the_contract_fields(report_json, sample_world):
    assert report_json["date"] == sample_world.truth.end.isoformat()
    assert set(report_json["kpis"]) >= {"gmv", "gmv_prev", "visitors", "conversion", "aov", "orders", "ad_spend",
                                        "roi", "refund_rate"}
    assert {row["name"] for row in report_json["kpi_rows"]} == {"gmv", "visitors", "conversion", "aov", "orders",
                                                                "ad_spend", "roi", "refund_rate"}
    impacts = [abs(finding["impact_gmv"]) for finding in report_json["findings"]]
    assert impacts and impacts == sorted(impacts, reverse=True)
    blocks = {block["planner"]: block for block in report_json["actions"]}
    assert set(blocks) == {"promotion", "pricing", "assortment"}
    for block in blocks.values():
        assert block["unavailable"] is None, block["unavailable"]
        assert block["actions"], block["planner"]
    budget = blocks["promotion"]["actions"][0]
    assert budget["kind"] == "budget" and budget["current"] != budget["proposed"]
    assert budget["expected_gmv_per_day"] is not None
    assert blocks["pricing"]["actions"][0]["expected_profit_per_day"] > 0
    restock = [action for action in blocks["assortment"]["actions"] if action["kind"] == "restock"]
    assert restock and all(action["quantity"] > 0 for action in restock)
    assert report_json["not_computed"] == []


def test_the_day_is_compared_with_the_same_weekday_and_the_week_before(report_json):
    kpis, gmv = report_json["kpis"], report_json["kpi_rows"][0]
    assert kpis["compare_date"] == "2026-09-23"
    assert gmv["same_weekday_last_week"] == kpis["gmv_prev"]
    assert gmv["change_vs_last_week"] == pytest.approx(kpis["gmv"] / kpis["gmv_prev"] - 1, abs=1e-4)
    trend = report_json["gmv_trend"]
    assert len(trend) == 30 and trend[-1]["date"] == report_json["date"]
    week = [point["gmv"] for point in trend[-8:-1]]
    assert gmv["avg_7d"] == pytest.approx(sum(week) / 7, abs=0.02)


def test_the_diagnosis_is_diagnose_over_the_last_7_days(report_json, sample_world):
    from shopagent.tools.diagnose import diagnose
    from shopagent.tools.store import Shop

    expected = diagnose(Shop(sample_world.db), days=7, lang="en")
    assert report_json["diagnosis_period"]["start"] == expected.period.start.isoformat()
    found = [(finding["kind"], finding["sku_id"]) for finding in report_json["findings"]]
    assert found == [(finding.kind, finding.sku_id) for finding in expected.findings]
    # the report holds GMV to exact cents (daily_report.exact_money); diagnose may differ in the last bit
    assert [f["impact_gmv"] for f in report_json["findings"]] == pytest.approx(
        [f.impact_gmv for f in expected.findings], abs=0.05)


def test_the_actions_match_the_planners_own_commands(report_json, sample_world):
    from shopagent.tools.assortment import plan_assortment
    from shopagent.tools.pricing import plan_pricing
    from shopagent.tools.promotion_plan import plan_promotion
    from shopagent.tools.store import Shop

    shop = Shop(sample_world.db)
    blocks = {block["planner"]: block for block in report_json["actions"]}
    prices = [(r.sku_id, r.recommended_price) for r in plan_pricing(shop).recommendations if r.status == "change"]
    aside = {aside["action"]["sku_id"] for aside in blocks["pricing"]["set_aside"]}
    kept = [price for price in prices if price[0] not in aside]
    assert [(a["sku_id"], a["proposed"]) for a in blocks["pricing"]["actions"]] == kept[:5]
    assert len(blocks["pricing"]["actions"]) + blocks["pricing"]["more"] + len(aside) == len(prices)
    expected = blocks["promotion"]["expected"]
    plan = plan_promotion(shop, budget=expected["total_budget"], target_roi=expected["target_roi"])
    budgets = {allocation.sku_id: allocation.daily_budget for allocation in plan.allocations}
    assert all(budgets[a["sku_id"]] == a["proposed"] for a in blocks["promotion"]["actions"])
    assert expected["expected_gmv"] == pytest.approx(plan.expected.gmv, rel=1e-6)
    calls = {call.sku_id: call for call in plan_assortment(shop).skus}
    for action in blocks["assortment"]["actions"]:
        assert calls[action["sku_id"]].action == action["kind"]
        if action["kind"] == "restock":
            assert calls[action["sku_id"]].reorder_quantity == action["quantity"]


def test_the_promotion_headline_says_what_more_budget_would_buy_or_that_it_would_go_unspent(report_json):
    block = next(block for block in report_json["actions"] if block["planner"] == "promotion")
    next_1000 = block["expected"]["next_1000"]
    if next_1000 >= 1:
        assert f"would add about ¥{next_1000:,.0f}" in block["headline"]
    else:  # held back by the ROI target: never "the next ¥1,000 would add about ¥0"
        assert "more budget would go unspent" in block["headline"] and "¥0." not in block["headline"]


def test_one_history_load_cut_to_size_equals_loading_the_tail(sample_world):
    import numpy as np

    from shopagent.tools.daily_report import exact_money
    from shopagent.tools.panel import load_panel
    from shopagent.tools.report_actions import tail_panel
    from shopagent.tools.store import Shop

    shop = Shop(sample_world.db)
    end = sample_world.truth.end
    # exact_money: two loads of the same days may differ in the last bit of GMV (see daily_report.exact_money)
    cut = tail_panel(exact_money(load_panel(shop, date(2026, 6, 1), end)), 40)
    fresh = exact_money(load_panel(shop, end - timedelta(days=39), end))
    assert cut.days == fresh.days
    for name, value in vars(fresh).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(cut, name), value, err_msg=name)


RENDER_BOTH = """
import hashlib, sys
from pathlib import Path
from shopagent.render.report_html import render_html
from shopagent.render.report_md import render_markdown
from shopagent.tools.daily_report import daily_report
from shopagent.tools.store import Shop
report = daily_report(Shop(Path(sys.argv[1])))
for text in (render_markdown(report), render_html(report)):
    print(hashlib.sha256(text.encode()).hexdigest())
"""


def test_markdown_and_html_are_byte_identical_across_runs(sample_world, tmp_path, cli):
    outputs = []
    for run in range(2):
        out = tmp_path / f"run{run}.md"
        result = cli("report", "daily", "--db", sample_world.db, "--out", out)
        assert result.exit_code == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    markdown = outputs[0].decode()
    for heading in ("## 核心指标 KPIs", "## 渠道 Channels", "## 近7天诊断 Diagnosis", "## 今日建议 Today's actions",
                    "### 全站推广预算", "### 价格", "### 商品"):
        assert heading in markdown
    assert "2026-09-30" in markdown and "last Wed" in markdown
    # separate processes with different hash seeds: no set or dict order may leak into the bytes
    digests = [subprocess.run([sys.executable, "-c", RENDER_BOTH, str(sample_world.db)], capture_output=True,
                              text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("0", "1")]
    assert digests[0] == digests[1]
    assert digests[0].split()[0] == hashlib.sha256(outputs[0]).hexdigest()


def test_the_html_page_has_inline_charts_and_no_network_reference(sample_world, tmp_path, cli):
    out = tmp_path / "report.html"
    result = cli("report", "daily", "--db", sample_world.db, "--out", out)
    assert result.exit_code == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'name="viewport"' in page
    assert page.count("<svg") == 4  # GMV trend, channel mix, top movers, budget curve
    assert re.search(r"<svg[^>]*aria-label=\"GMV per day", page)
    assert not re.search(r"https?://", page), "the page must not reference the network"
    assert not re.search(r"<script|<link|<img|<iframe|@import|@font-face|\ssrc=", page, re.I)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "element ids must be unique across the embedded charts"


def test_a_day_after_the_data_exits_1_and_says_it_has_not_arrived(sample_world, cli, tmp_path):
    out = tmp_path / "report.md"
    result = cli("report", "daily", "--db", sample_world.db, "--date", "2026-10-01", "--out", out)
    assert result.exit_code == 1
    assert "data for 2026-10-01 has not arrived yet" in flat(result.stderr)
    assert "2026-09-30" in flat(result.stderr) and "Traceback" not in flat(result.stderr)
    assert not out.exists()


@pytest.fixture
def gappy_shop(tmp_path: Path) -> Path:
    """The mini shop over 2026-03-01..03, with no traffic on 03-02 and no promotion rows on 03-03."""
    from shopagent.tools.importer import import_folder

    tables = {name: list(lines) for name, lines in MINI_SHOP.items()}
    tables["traffic"] = [line for line in tables["traffic"] if not line.startswith("2026-03-02")]
    tables["traffic"] += ["2026-03-03,S001,search,1000,90,9", "2026-03-03,S002,promotion,400,40,4"]
    tables["orders"].append("O4,2026-03-03 09:00:00,C3,search,浙江")
    tables["order_items"].append("O4,S001,1,99.00")
    tables["inventory_daily"] += ["2026-03-03,S001,8,0", "2026-03-03,S002,2,0"]
    tables["price_history"] += ["2026-03-03,S001,99.00,", "2026-03-03,S002,199.00,"]
    db = tmp_path / "gappy.duckdb"
    import_folder(write_folder(tmp_path / "gappy", tables), db, replace=True)
    return db


def test_a_missing_day_inside_the_data_exits_1(gappy_shop, cli):
    result = cli("report", "daily", "--db", gappy_shop, "--date", "2026-03-02")
    assert result.exit_code == 1
    assert "data for 2026-03-02 is missing" in flat(result.stderr)


def test_a_young_shop_still_gets_a_report_that_says_what_it_could_not_compute(gappy_shop, cli):
    result = cli("report", "daily", "--db", gappy_shop, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["date"] == "2026-03-03" and report["kpis"]["gmv_prev"] is None
    parts = {gap["part"] for gap in report["not_computed"]}
    assert {"data", "kpis", "diagnosis", "promotion"} <= parts
    assert any("promotion_daily has no rows for 2026-03-03" in gap["reason"] for gap in report["not_computed"])


def test_a_failing_planner_becomes_a_gap_not_a_crash(sample_world, monkeypatch):
    from shopagent.tools import report_actions
    from shopagent.tools.daily_report import daily_report
    from shopagent.tools.store import Shop

    def broken(shop, request):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(report_actions.PLANNERS, "pricing", broken)
    report = daily_report(Shop(sample_world.db), planners=("pricing",))
    assert report.actions[0].unavailable == "the pricing planner failed: ZeroDivisionError: division by zero"
    assert [gap.part for gap in report.not_computed] == ["pricing"]


class Webhooks(ThreadingHTTPServer):
    """A group-bot server for all three platforms that checks each request's format like the real ones do."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.failures: list[int] = []  # HTTP statuses to answer with before accepting

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Webhooks

    def log_message(self, format, *args):  # noqa: A002 - keep the test output clean
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        body = json.loads(raw)
        self.server.requests.append({"path": url.path, "query": query, "body": body, "size": len(raw)})
        if self.server.failures:
            self._answer(self.server.failures.pop(0), {"errcode": -1, "errmsg": "busy"})
        elif url.path == "/robot/send":
            self._answer(200, _check_dingtalk(query, body, len(raw)))
        elif url.path == "/cgi-bin/webhook/send":
            self._answer(200, _check_wecom(query, body))
        elif url.path.startswith("/open-apis/bot/v2/hook/"):
            self._answer(200, _check_feishu(body, len(raw)))
        else:
            self._answer(404, {"errcode": 404, "errmsg": "not found"})

    def _answer(self, status: int, reply: dict) -> None:
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _check_dingtalk(query: dict, body: dict, size: int) -> dict:
    if query.get("access_token", "").startswith("reject"):
        return {"errcode": 310000, "errmsg": "keywords not in content"}
    if "timestamp" in query:
        expected = base64.b64encode(hmac.new(DINGTALK_SECRET.encode(), f"{query['timestamp']}\n{DINGTALK_SECRET}"
                                             .encode(), hashlib.sha256).digest()).decode()
        if query.get("sign") != expected:
            return {"errcode": 310000, "errmsg": "sign not match"}
    ok = (body.get("msgtype") == "markdown" and isinstance(body["markdown"].get("title"), str)
          and isinstance(body["markdown"].get("text"), str) and size <= 20_000)
    return {"errcode": 0, "errmsg": "ok"} if ok else {"errcode": 40035, "errmsg": "invalid message"}


def _check_wecom(query: dict, body: dict) -> dict:
    if not query.get("key"):
        return {"errcode": 93000, "errmsg": "invalid webhook url"}
    content = body.get("markdown", {}).get("content", "")
    if body.get("msgtype") != "markdown" or not content:
        return {"errcode": 40008, "errmsg": "invalid message type"}
    if len(content.encode()) > 4096:
        return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
    return {"errcode": 0, "errmsg": "ok"}


def _check_feishu(body: dict, size: int) -> dict:
    if size > 20_000:
        return {"code": 9499, "msg": "request body too large"}
    card = body.get("card", {})
    if body.get("msg_type") != "interactive" or card.get("elements", [{}])[0].get("tag") != "markdown":
        return {"code": 9499, "msg": "Bad Request"}
    if "sign" in body:
        key = f"{body['timestamp']}\n{FEISHU_SECRET}".encode()
        if body["sign"] != base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode():
            return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
    return {"code": 0, "msg": "success"}


@pytest.fixture
def webhooks(monkeypatch):
    monkeypatch.setattr("shopagent.notify.BACKOFF_SECONDS", 0.01)
    server = Webhooks()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _text(request: dict) -> str:
    body = request["body"]
    if "card" in body:
        return body["card"]["elements"][0]["content"]
    return body["markdown"].get("text") or body["markdown"].get("content")


@pytest.mark.parametrize("path", ["/robot/send?access_token=t0k", "/cgi-bin/webhook/send?key=k3y",
                                  "/open-apis/bot/v2/hook/h00k"])
def test_each_platform_accepts_the_posted_report(path, webhooks, sample_world, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPAGENT_DINGTALK_SECRET", DINGTALK_SECRET)
    monkeypatch.setenv("SHOPAGENT_FEISHU_SECRET", FEISHU_SECRET)
    out = tmp_path / "report.md"
    result = cli("report", "daily", "--db", sample_world.db, "--out", out, "--notify", webhooks.base + path)
    assert result.exit_code == 0, result.stderr
    assert "Posted to" in flat(result.stderr)
    texts = [_text(request) for request in webhooks.requests]
    assert texts and "GMV" in texts[0] and "|---" not in "".join(texts)  # tables became lines
    if "webhook" in path:  # WeCom's 4,096-byte cap splits the report into numbered messages
        assert len(texts) > 1 and texts[1].startswith(f"**店铺日报 2026-09-30 (2/{len(texts)})**")
    if "robot" in path:
        assert {"timestamp", "sign"} <= set(webhooks.requests[0]["query"])
    if "/open-apis/" in path:
        assert "sign" in webhooks.requests[0]["body"] and "##" not in texts[0]


def test_a_rejected_delivery_exits_1_after_the_report_is_written(webhooks, sample_world, cli, tmp_path):
    out = tmp_path / "report.md"
    result = cli("report", "daily", "--db", sample_world.db, "--out", out,
                 "--notify", webhooks.base + "/robot/send?access_token=reject-t0ken9876")
    assert result.exit_code == 1
    assert out.read_text(encoding="utf-8").startswith("# 店铺日报")
    assert "keywords not in content" in flat(result.stderr) and "keyword" in flat(result.stderr)
    assert "t0ken9876" not in result.stderr, "the webhook token must not be printed"
    assert len(webhooks.requests) == 1, "a final error is not retried"


def test_a_busy_platform_is_retried_with_backoff(webhooks, sample_world, cli, tmp_path):
    webhooks.failures = [503, 429]
    result = cli("report", "daily", "--db", sample_world.db, "--out", tmp_path / "r.md",
                 "--notify", webhooks.base + "/open-apis/bot/v2/hook/h00k")
    assert result.exit_code == 0, result.stderr
    assert len(webhooks.requests) == 3


def test_an_unreachable_webhook_exits_1_with_the_file_written(sample_world, cli, tmp_path, monkeypatch):
    import socket

    monkeypatch.setattr("shopagent.notify.BACKOFF_SECONDS", 0.01)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "report.html"
    result = cli("report", "daily", "--db", sample_world.db, "--out", out,
                 "--notify", f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=k3y")
    assert result.exit_code == 1
    assert out.exists() and "failed after 4 attempts" in flat(result.stderr)


def test_an_unknown_webhook_is_a_usage_error(sample_world, cli):
    result = cli("report", "daily", "--db", sample_world.db, "--notify", "https://example.com/hook")
    assert result.exit_code == 2


def test_the_chat_text_fits_each_platform_limit():
    from shopagent.notify import WECOM_CONTENT_LIMIT, prepare

    markdown = "# 店铺日报\n\n" + "\n".join(f"## 第{n}节\n\n" + "很长的一行字 " * 400 for n in range(12))
    platform, chunks, truncated = prepare("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x", markdown,
                                          title="t", max_messages=5)
    assert platform == "wecom" and len(chunks) == 5 and truncated
    assert all(len(chunk.encode()) <= WECOM_CONTENT_LIMIT for chunk in chunks)
    assert chunks[-1].endswith("the full report is in the report file)")


def test_an_overlapping_run_waits_or_gives_up_cleanly(sample_world, cli, tmp_path):
    import fcntl

    from shopagent.commands.report import lock_path

    path = lock_path(sample_world.db)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        held.write("pid 4242")
        held.flush()
        out = tmp_path / "skipped.md"
        result = cli("report", "daily", "--db", sample_world.db, "--out", out, "--wait", "0")
        assert result.exit_code == 1
        assert "still running (pid 4242)" in flat(result.stderr) and "Traceback" not in flat(result.stderr)
        assert not out.exists()
        timer = threading.Timer(0.5, lambda: fcntl.flock(held.fileno(), fcntl.LOCK_UN))
        timer.start()
        result = cli("report", "daily", "--db", sample_world.db, "--out", out, "--wait", "30")
        timer.join()
    assert result.exit_code == 0, result.stderr
    assert out.exists()


def test_report_help_imports_no_heavy_module():
    probe = ("import sys\nfrom shopagent.cli import app\n"
             "try:\n    app(['report', 'daily', '--help'])\nexcept SystemExit:\n    pass\n"
             "print('HEAVY:' + ','.join(sorted(m for m in ('duckdb', 'numpy', 'matplotlib', 'httpx')"
             " if m in sys.modules)))\n")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.splitlines()[-1] == "HEAVY:"


def test_a_chinese_report_proposes_the_same_actions_in_chinese(report_json, sample_world, runner_module):
    from shopagent.cli import app

    result = runner_module.invoke(app, ["report", "daily", "--db", str(sample_world.db), "--format", "json",
                                        "--lang", "zh"])
    assert result.exit_code == 0, result.stderr
    chinese = {block["planner"]: block for block in json.loads(result.stdout)["actions"]}
    english = {block["planner"]: block for block in report_json["actions"]}
    for planner in ("pricing", "assortment", "promotion"):
        assert [(a["sku_id"], a["proposed"]) for a in chinese[planner]["actions"]] == \
            [(a["sku_id"], a["proposed"]) for a in english[planner]["actions"]]
        assert any("\u4e00" <= char <= "\u9fff" for char in chinese[planner]["headline"]), planner
    for planner in ("pricing", "assortment", "promotion"):
        for action in chinese[planner]["actions"]:
            assert any("\u4e00" <= char <= "\u9fff" for char in action["reason"]), action["reason"]


def test_control_characters_in_shop_text_never_reach_a_terminal_or_a_report(sample_world, tmp_path, runner_module):
    """A title (or refund reason) carrying escape sequences could clear the merchant's screen or fake output."""
    from shopagent.cli import app
    from tests.conftest import edited_world

    def lace(row: dict) -> None:
        row["title"] = "\x1b]0;pwned\x07\x1b[2J" + row["title"] + "\u202e"

    db = edited_world(sample_world, tmp_path, "products", lace).db
    for args in (["diagnose"], ["plan", "promotion", "--budget", "5000", "--target-roi", "3"], ["plan", "pricing"],
                 ["plan", "assortment"], ["report", "daily", "--format", "md"]):
        result = runner_module.invoke(app, [*args, "--db", str(db), "--lang", "zh"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (args, result.stderr)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout, args


def test_no_action_contradicts_another_part_of_the_report(report_json, sample_world):
    """No price rise on a SKU that is out of stock or that the report says loses sales to its price."""
    import duckdb

    from shopagent.tools.assortment import COMPETITOR_GAP, plan_assortment
    from shopagent.tools.store import Shop

    with duckdb.connect(str(sample_world.db), read_only=True) as con:
        empty = {sku for (sku,) in con.execute("SELECT sku_id FROM inventory_daily WHERE date = ? AND on_hand <= 0",
                                               [report_json["date"]]).fetchall()}
    pricey = {call.sku_id for call in plan_assortment(Shop(sample_world.db)).skus
              if call.price_gap is not None and call.price_gap > COMPETITOR_GAP}
    pricey |= {f["sku_id"] for f in report_json["findings"] if f["kind"] in ("price_above_competitor",
                                                                              "price_increase")}
    assert empty and pricey
    shown = [a for block in report_json["actions"] for a in block["actions"]] + report_json["top_actions"]
    rises = {a["sku_id"] for a in shown if a["kind"] == "price" and a["proposed"] > a["current"]}
    assert rises and not rises & (empty | pricey)
    delisted = {a["sku_id"] for a in shown if a["kind"] == "delist"}
    more_traffic = {a["sku_id"] for a in shown if a["kind"] == "push" or (
        a["kind"] == "budget" and a["proposed"] > a["current"])}
    assert not more_traffic & (delisted | empty)
    # the planted stockout (S017) had a price rise proposed: it is set aside with the reason, not dropped silently
    aside = {x["action"]["sku_id"]: x for b in report_json["actions"] for x in b["set_aside"]}
    assert "S017" in empty and aside["S017"]["rule"] == "out_of_stock" and "out of stock" in aside["S017"]["why"]


def test_the_top_actions_are_few_ranked_by_value_and_carry_a_confidence(report_json):
    top = report_json["top_actions"]
    assert len(top) == 5 and len({a["kind"] for a in top}) >= 2
    values = [abs(a["expected_profit_per_day"] if a["expected_profit_per_day"] is not None
                  else a["expected_gmv_per_day"]) for a in top]
    assert values == sorted(values, reverse=True)
    assert all(a["confidence"] in ("high", "medium", "low") for a in top)
    for block in report_json["actions"]:
        assert len(block["actions"]) <= 5


def test_top_n_sets_how_many_actions_the_report_lists_and_its_counts_are_true(sample_world, runner_module):
    from shopagent.cli import app

    def report(*args: str) -> str:
        result = runner_module.invoke(app, ["report", "daily", "--db", str(sample_world.db), "--lang", "en", *args])
        assert result.exit_code == 0, result.stderr
        return result.stdout

    every = {b["planner"]: b for b in json.loads(report("--format", "json", "--top", "0"))["actions"]}
    assert all(block["more"] == 0 for block in every.values())
    markdown = report("--format", "md", "--top", "2")
    assert "## 今天先做 Top 2" in markdown
    top = markdown.split("## 今天先做 Top 2")[1].split("##")[0]
    assert re.findall(r"^\d+\. ", top, re.M) == ["1. ", "2. "]
    pricing = markdown.split("### 价格 Prices")[1].split("###")[0]
    assert re.findall(r"^\d+\. ", pricing, re.M) == ["1. ", "2. "]
    # the header's counts are what the planners propose once contradictions are set aside, listed or not
    header = re.search(r"今日建议 Actions: (.*)", markdown).group(1)
    assert f"价格 {len(every['pricing']['actions'])}" in header
    assert f"…另有 {len(every['pricing']['actions']) - 2} 条 more" in pricing
