"""拼多多 downloads (订单明细 and 推广 商品数据) import like the contract files they stand for."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.test_platform_import import assert_same_diagnosis, assert_same_tables, rewrite, run

AD_HEADER = "日期,计划ID,商品id,曝光量,点击量,花费(元),成交金额(元),投产比"


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same small shop twice: as contract files, and as the merchant's 拼多多 downloads."""
    from shopagent.sample_shop.platform_writer import write_platform_shop
    from shopagent.sample_shop.simulator import generate_shop

    root = tmp_path_factory.mktemp("pdd_twins")
    generate_shop(root / "contract", seed=7, n_skus=20, n_days=60)
    write_platform_shop(root / "contract", root / "pdd", "pdd")
    # the 订单明细 names neither the buyer nor the channel: the contract twin says the same
    rewrite(root / "contract" / "orders.csv",
            lambda row: {**row, "channel": "other", "customer_id": row["order_id"]})
    for name in ("contract", "pdd"):
        result = run("data", "import", root / name, "--db", root / f"{name}.duckdb", "--json")
        assert result.exit_code == 0, result.stderr
        (root / f"{name}.json").write_text(result.stdout, encoding="utf-8")
    return {"root": root, "contract": root / "contract.duckdb", "pdd": root / "pdd.duckdb"}


def test_pdd_downloads_import_to_the_same_tables_to_the_cent(twins):
    # 待支付 and 已取消 rows are in the 订单明细 but are not sales
    assert_same_tables(twins["contract"], twins["pdd"])


def test_pdd_downloads_give_the_same_diagnosis(twins):
    assert_same_diagnosis(twins["contract"], twins["pdd"])


def test_the_import_report_names_the_pdd_layouts(twins):
    report = json.loads((twins["root"] / "pdd.json").read_text(encoding="utf-8"))
    read_as = {item["file"]: (item["layout"], item["tables"], item["encoding"]) for item in report["platform_files"]}
    assert read_as["orders_export_20261001083012.csv"][:2] == ("拼多多 订单明细", ["orders", "order_items"])
    assert read_as["推广数据_商品数据_20261001.csv"] == ("拼多多 推广 商品数据", ["promotion_daily"], "gb18030")
    assert any("no buyer" in note for note in report["notes"])


def pdd_folder(root: Path, ad_rows: list[str], *, header: str = AD_HEADER, plans: bool = True) -> Path:
    """The small shop's contract files with a hand-written 拼多多 推广 report in place of promotion_daily.csv."""
    from tests.conftest import MINI_SHOP, write_folder

    folder = write_folder(root, {name: rows for name, rows in MINI_SHOP.items() if name != "promotion_daily"})
    (folder / "推广数据.csv").write_bytes(("\r\n".join([header, *ad_rows]) + "\r\n").encode("gbk"))
    if plans:
        (folder / "计划设置.csv").write_text("计划ID,日预算,目标投产比\nP1,80.00,2.5\nP2,60.00,3.0\n", encoding="utf-8")
    return folder


def test_a_pdd_report_without_order_counts_imports_with_a_note(tmp_path):
    rows = ["2026-03-02,P1,S002,\"1,200\",25,50.00,199.00,3.98", "2026-03-02,P2,S001,900,12,30.00,0.00,-"]
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", pdd_folder(tmp_path / "pdd", rows), "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    assert any("成交笔数" in note for note in json.loads(result.stdout)["notes"])
    with duckdb.connect(str(db), read_only=True) as con:
        promotion = con.execute("SELECT sku_id, CAST(daily_budget AS VARCHAR), target_roi, CAST(spend AS VARCHAR), "
                                "impressions, clicks, ad_orders, CAST(ad_gmv AS VARCHAR) FROM promotion_daily "
                                "ORDER BY sku_id").fetchall()
    assert promotion == [("S001", "60.00", 3.0, "30.00", 900, 12, 0, "0.00"),
                         ("S002", "80.00", 2.5, "50.00", 1200, 25, 0, "199.00")]


def test_a_pdd_report_without_plan_settings_names_each_plan(tmp_path):
    rows = ["2026-03-02,P1,S002,1200,25,50.00,199.00,3.98"]
    result = run("data", "check", pdd_folder(tmp_path / "pdd", rows, plans=False), "--json")
    assert result.exit_code == 1
    group = next(group for group in json.loads(result.stdout)["groups"] if group["rule"] == "missing plan settings")
    example = group["examples"][0]
    assert (example["file"], example["row"], example["value"]) == ("推广数据.csv", 2, "P1")
    assert "拼多多 推广 商品数据" in example["reason"] and "日预算" in example["reason"]
