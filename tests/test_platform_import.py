"""Platform exports (千牛, 万相台, 售后) import like the contract files they stand for, or are refused precisely."""

from __future__ import annotations

import csv
import json
import struct
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from shopagent.cli import app
from shopagent.sample_shop.xlsx import write_xlsx
from tests.conftest import MINI_SHOP, file_digest, write_folder

TABLES = ("products", "price_history", "traffic", "orders", "order_items", "promotion_daily", "inventory_daily",
          "refunds", "competitor_prices", "shop_scores", "reviews")


def run(*args: object):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def rewrite(path: Path, edit) -> None:
    """Apply `edit` to every row of a contract CSV file."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(edit(row) for row in rows)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same small shop twice: as contract files, and as the merchant's 千牛/万相台/售后 downloads."""
    from shopagent.sample_shop.platform_writer import write_platform_shop
    from shopagent.sample_shop.simulator import generate_shop

    root = tmp_path_factory.mktemp("twins")
    generate_shop(root / "contract", seed=7, n_skus=20, n_days=60)
    write_platform_shop(root / "contract", root / "platform")
    # 千牛 order reports say nothing of the channel that brought the buyer: the contract twin says 'other' too
    rewrite(root / "contract" / "orders.csv", lambda row: {**row, "channel": "other"})
    # nor do 生意参谋 traffic sheets carry impressions: the import sets them to the visitors
    rewrite(root / "contract" / "traffic.csv", lambda row: {**row, "impressions": row["visitors"]})
    for name in ("contract", "platform"):
        result = run("data", "import", root / name, "--db", root / f"{name}.duckdb", "--json")
        assert result.exit_code == 0, result.stderr
        (root / f"{name}.json").write_text(result.stdout, encoding="utf-8")
    return {"root": root, "contract": root / "contract.duckdb", "platform": root / "platform.duckdb"}


def assert_same_tables(contract: Path, platform: Path) -> None:
    """Every contract table has the same rows, to the cent, in both databases; no unpaid order is a sale."""
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{contract}' AS c (READ_ONLY); ATTACH '{platform}' AS p (READ_ONLY)")
        for table in TABLES:
            counts = con.execute(f"SELECT (SELECT count(*) FROM c.{table}), (SELECT count(*) FROM p.{table})"
                                 ).fetchone()
            assert counts[0] > 0 and counts[0] == counts[1], table
            differ = con.execute(f"SELECT count(*) FROM (SELECT * FROM c.{table} EXCEPT ALL SELECT * FROM p.{table})")
            assert differ.fetchone()[0] == 0, f"{table} differs between the contract and the platform import"
        # never-paid and closed orders are in the downloads but are not sales
        assert con.execute("SELECT count(*) FROM p.orders WHERE order_id LIKE 'U%' OR order_id LIKE 'K%'"
                           ).fetchone()[0] == 0


def assert_same_diagnosis(contract: Path, platform: Path) -> None:
    diagnoses = [run("diagnose", "--days", "14", "--db", db, "--json") for db in (contract, platform)]
    assert all(result.exit_code == 0 for result in diagnoses), [result.stderr for result in diagnoses]
    first, second = (json.loads(result.stdout) for result in diagnoses)
    assert first["findings"] and first["findings"] == second["findings"]


def test_platform_downloads_import_to_the_same_tables_to_the_cent(twins):
    assert_same_tables(twins["contract"], twins["platform"])


def test_platform_downloads_give_the_same_diagnosis(twins):
    assert_same_diagnosis(twins["contract"], twins["platform"])


def test_the_import_report_names_each_files_layout_and_what_it_fills(twins):
    report = json.loads((twins["root"] / "platform.json").read_text(encoding="utf-8"))
    read_as = {item["file"]: (item["layout"], item["tables"], item["encoding"]) for item in report["platform_files"]}
    assert read_as["ExportOrderList202610010830.csv"] == ("千牛 订单报表", ["orders"], "gb18030")
    assert read_as["ExportOrderDetailList202610010830.csv"][:2] == ("千牛 宝贝报表", ["order_items"])
    assert read_as["商品报表_20261001_083512.csv"][:2] == ("万相台无界 商品报表", ["promotion_daily"])
    # the 售后 and 生意参谋 downloads are workbooks, read through calamine; the 生意参谋 header is on row 5
    assert read_as["当日售后退货表.xlsx"] == ("淘宝 售后退款表", ["refunds"], "xlsx")
    traffic = next(item for item in report["platform_files"] if item["layout"] == "生意参谋 商品流量来源")
    assert (traffic["file"], traffic["tables"], traffic["header_line"], traffic["encoding"]) == (
        "【生意参谋平台】商品_流量来源_2026-10-01.xlsx", ["traffic"], 5, "xlsx")
    assert any("channel" in note for note in report["notes"])


# A hand-written 千牛 folder with the quirks the platform writes, small enough to read in full.
ORDER_HEADER = ('"订单编号","买家会员名","买家应付邮费","买家实际支付金额","订单状态","收货地址 ","联系手机",'
                '"订单创建时间","订单付款时间 ","买家服务费"')
ORDERS = [
    '="100001","tb_anna","0.00","89.00","交易成功","浙江省 杭州市 西湖区 文三路1号(310000)",'
    '"\'13800000001","2026/3/1 10:00","2026/3/1 10:05","0元"',
    '="100002","tb_bo","0.00","398.00","买家已付款,等待卖家发货","江苏省 南京市 玄武区 某路2号(210000)","",'
    '"2026-03-01 11:00:00","2026-03-01 11:01:00","0元"',
    '="100003","tb_anna","0.00","199.00","卖家已发货，等待买家确认","浙江省 杭州市 某区(310000)","",'
    '"2026-03-02 20:30:00","2026-03-02 20:31:00","0元"',
    '="100004","tb_cy","10.00","278.20","交易成功","上海 上海市 浦东新区 某路4号(200000)","",'
    '"2026-03-02 21:00:00","2026-03-02 21:00:30","0元"',
    '="100005","tb_dd","0.00","0.00","等待买家付款","","","2026-03-02 21:10:00","","0元"',
    '="100006","tb_ee","0.00","0.00","交易关闭","","","2026-03-02 21:20:00","","0元"',
    '="100007","tb_ff","0.00","99.00","交易关闭","","","2026-03-02 21:30:00","2026-03-02 21:31:00","0元"',
]
LINE_HEADER = '"订单编号","标题","价格","购买数量","外部系统编号","商品属性","套餐信息","备注","订单状态","商家编码"'
LINES = [
    '="100001","云朵棉T恤","99.00","1","S001","颜色分类：白色;尺码：M","","","交易成功","S001",',
    '="100002","针织开衫","199.00","2","S002","","","","买家已付款,等待卖家发货","S002",',
    '="100003","针织开衫","199.00","1","S002","","","","卖家已发货，等待买家确认","S002",',
    '="100004","云朵棉T恤","99.00","1","S001","","","","交易成功","S001",',
    '="100004","针织开衫","199.00","1","S002","","","","交易成功","S002",',
    '="100005","针织开衫","199.00","1","S002","","","","等待买家付款","S002",',
    '="100006","针织开衫","199.00","1","S002","","","","交易关闭","S002",',
    '="100007","云朵棉T恤","99.00","1","S001","","","","交易关闭","S001",',
]
AD_HEADER = "日期,场景名字,计划ID,主体ID,展现量,点击量,花费,总成交金额,总成交笔数,投入产出比"
AD_ROWS = [
    "2026-03-02,货品全站推广,P1,S002,1200,25,50.00,199.00,1,3.98",
    "2026-03-02,货品全站推广,P2,S002,800,15,45.00,0.00,0,0.00",
    "2026-03-02,关键词推广,K9,S002,500,9,20.00,0.00,0,0.00",
    "合计,-,-,-,2500,49,115.00,199.00,1,-",
]
PLAN_ROWS = ["计划ID,计划名字,日预算,目标投产比", "P1,全店模式_1,60.00,3.0", "P2,全店模式_2,40.00,3.0"]


def qianniu_folder(root: Path, *, orders: list[str] = ORDERS, ad_rows: list[str] = AD_ROWS,
                   plans: list[str] | None = PLAN_ROWS) -> Path:
    kept = {name: MINI_SHOP[name] for name in ("products", "price_history", "traffic", "inventory_daily")}
    folder = write_folder(root, kept)
    (folder / "ExportOrderList202603030900.csv").write_bytes(
        ("\r\n".join([ORDER_HEADER, *orders]) + "\r\n").encode("gbk"))
    (folder / "ExportOrderDetailList202603030900.csv").write_bytes(
        ("\r\n".join([LINE_HEADER, *LINES]) + "\r\n").encode("gbk"))
    (folder / "商品报表_20260303_090000.csv").write_bytes(("\n".join([AD_HEADER, *ad_rows]) + "\n").encode("gb18030"))
    if plans is not None:
        (folder / "计划列表.csv").write_text("\n".join(plans) + "\n", encoding="utf-8")
    return folder


def test_qianniu_quirks_become_contract_rows(tmp_path):
    folder = qianniu_folder(tmp_path / "qianniu")
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", folder, "--db", db)
    assert result.exit_code == 0, result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        orders = con.execute("SELECT order_id, CAST(created_at AS VARCHAR), customer_id, channel, province "
                             "FROM orders ORDER BY order_id").fetchall()
        lines = con.execute("SELECT order_id, sku_id, quantity, CAST(unit_price AS VARCHAR) FROM order_items "
                            "ORDER BY order_id, sku_id").fetchall()
        promotion = con.execute("SELECT CAST(date AS VARCHAR), sku_id, CAST(daily_budget AS VARCHAR), target_roi, "
                                "CAST(spend AS VARCHAR), impressions, clicks, ad_orders, CAST(ad_gmv AS VARCHAR) "
                                "FROM promotion_daily").fetchall()
    # unpaid and closed orders (100005-100007) are not sales; an ASCII comma in the status is still 已付款
    assert orders == [("100001", "2026-03-01 10:00:00", "tb_anna", "other", "浙江省"),
                      ("100002", "2026-03-01 11:00:00", "tb_bo", "other", "江苏省"),
                      ("100003", "2026-03-02 20:30:00", "tb_anna", "other", "浙江省"),
                      ("100004", "2026-03-02 21:00:00", "tb_cy", "other", "上海")]
    # 价格 is the list price: the paid 89.00 of order 100001 is what S001 sold for; order 100004 paid 268.20
    # for goods listed at 99 + 199, shared by list price
    assert lines == [("100001", "S001", 1, "89.00"), ("100002", "S002", 2, "199.00"), ("100003", "S002", 1, "199.00"),
                     ("100004", "S001", 1, "89.10"), ("100004", "S002", 1, "179.10")]
    # two full-site plans summed for the day; 关键词推广 and the 合计 row are not full-site promotion
    assert promotion == [("2026-03-02", "S002", "100.00", 3.0, "95.00", 2000, 40, 1, "199.00")]


def test_a_report_without_plan_settings_says_what_is_missing(tmp_path):
    folder = qianniu_folder(tmp_path / "qianniu", plans=None)
    result = run("data", "check", folder, "--json")
    assert result.exit_code == 1
    groups = json.loads(result.stdout)["groups"]
    problem = next(group for group in groups if group["rule"] == "missing plan settings")
    assert problem["count"] == 2
    example = problem["examples"][0]
    assert (example["file"], example["row"], example["column"], example["value"]) == \
        ("商品报表_20260303_090000.csv", 2, "计划ID", "P1")
    assert "日预算" in example["reason"]


def rejected(folder: Path, tmp_path: Path) -> list[dict]:
    """Import a bad folder over a good shop: refused, every problem located, the database unchanged."""
    db = tmp_path / "shop.duckdb"
    assert run("data", "import", qianniu_folder(tmp_path / "good"), "--db", db).exit_code == 0
    before = file_digest(db)
    result = run("data", "import", folder, "--db", db, "--replace", "--json")
    assert result.exit_code == 1, result.stdout
    assert file_digest(db) == before
    return json.loads(result.stdout)["groups"]


def test_a_bad_value_is_named_by_file_line_and_source_column(tmp_path):
    bad = [*AD_ROWS]
    bad[1] = bad[1].replace("45.00", "四十五")
    groups = rejected(qianniu_folder(tmp_path / "bad", ad_rows=bad), tmp_path)
    example = groups[0]["examples"][0]
    assert (groups[0]["rule"], example["file"], example["row"], example["column"], example["value"]) == \
        ("not a number", "商品报表_20260303_090000.csv", 3, "花费", "四十五")


def test_a_missing_column_names_the_closest_layout(tmp_path):
    folder = qianniu_folder(tmp_path / "bad")
    header, *rows = (folder / "ExportOrderList202603030900.csv").read_bytes().decode("gbk").splitlines()
    cut = [",".join(cells[:8] + cells[9:]) for cells in (line.split(",") for line in [header, *rows])]
    (folder / "ExportOrderList202603030900.csv").write_bytes(("\r\n".join(cut) + "\r\n").encode("gbk"))
    groups = rejected(folder, tmp_path)
    problem = next(group for group in groups if group["rule"] == "missing column")["examples"][0]
    assert problem["file"] == "ExportOrderList202603030900.csv" and problem["column"] == "订单付款时间"
    assert "千牛 订单报表" in problem["reason"]


def test_an_undecodable_byte_is_located(tmp_path):
    folder = qianniu_folder(tmp_path / "bad")
    path = folder / "ExportOrderDetailList202603030900.csv"
    data = path.read_bytes().splitlines(keepends=True)
    # the second S002 of line 4 is its 商家编码, the column sku_id is read from
    first, _, rest = data[3].partition(b"S002")
    data[3] = first + b"S002" + rest.replace(b"S002", b"S\xff\xff2", 1)
    path.write_bytes(b"".join(data))
    problem = next(group for group in rejected(folder, tmp_path) if group["rule"] == "unreadable file")
    example = problem["examples"][0]
    assert (example["file"], example["row"], example["column"]) == (path.name, 4, "商家编码")
    assert "0xff" in example["reason"]


def test_an_undecodable_byte_in_a_column_never_read_does_not_block_the_import(tmp_path):
    # only the columns a layout reads are decoded (a GBK download is staged as bytes, its text decoded per value)
    folder = qianniu_folder(tmp_path / "ok")
    path = folder / "ExportOrderDetailList202603030900.csv"
    data = path.read_bytes().splitlines(keepends=True)
    data[3] = data[3].replace(b"S002", b"S\xff\xff2", 1)  # its 外部系统编号
    path.write_bytes(b"".join(data))
    result = run("data", "import", folder, "--db", tmp_path / "shop.duckdb")
    assert result.exit_code == 0, result.stdout


def test_overlapping_downloads_are_refused_not_summed(tmp_path):
    folder = qianniu_folder(tmp_path / "bad")
    week = "\n".join([AD_HEADER, AD_ROWS[0].replace("2026-03-02", "2026-03-01"), AD_ROWS[1]]) + "\n"
    (folder / "商品报表_20260303_091500.csv").write_bytes(week.encode("gb18030"))
    problem = next(group for group in rejected(folder, tmp_path) if group["rule"] == "overlapping exports")
    assert problem["examples"][0]["value"] == "2026-03-02"
    assert "商品报表_20260303_090000.csv" in problem["examples"][0]["reason"]


XLSX_ORDERS = [["订单编号", "支付单号", "买家实付金额", "订单状态", "订单创建时间", "订单付款时间", "买家会员名"],
               ["100001", "2026030122001", 89, "交易成功", "2026-03-01 10:00:00", "2026-03-01 10:05:00", ""],
               ["100002", "2026030122002", 398, "交易成功", "2026-03-01 11:00:00", "2026-03-01 11:01:00", "tb_bo"],
               ["100003", "2026030122003", 199, "交易成功", "2026-03-02 20:30:00", "2026-03-02 20:31:00", "tb_anna"],
               ["100004", "2026030122004", 268.2, "交易成功", "2026-03-02 21:00:00", "2026-03-02 21:00:30", "tb_cy"],
               ["100005", "", 0, "等待买家付款", "2026-03-02 21:10:00", "", "tb_dd"],
               ["100006", "", 0, "交易关闭", "2026-03-02 21:20:00", "", "tb_ee"],
               ["100007", "2026030122007", 99, "交易关闭", "2026-03-02 21:30:00", "2026-03-02 21:31:00", "tb_ff"]]


def test_the_newer_xlsx_order_export_imports(tmp_path):
    folder = qianniu_folder(tmp_path / "xlsx")
    (folder / "ExportOrderList202603030900.csv").unlink()
    write_xlsx(folder / "ExportOrderList26355889926(1).xlsx", XLSX_ORDERS)
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT order_id, CAST(unit_price AS VARCHAR) FROM order_items WHERE sku_id = 'S001' "
                           "ORDER BY order_id").fetchall() == [("100001", "89.00"), ("100004", "89.10")]
        # the merchant left 买家会员名 out of this order's row: the order stands for its buyer
        assert con.execute("SELECT customer_id FROM orders WHERE order_id = '100001'").fetchone() == ("100001",)


def test_a_truncated_or_wrong_layout_workbook_is_refused(tmp_path):
    folder = qianniu_folder(tmp_path / "bad")
    (folder / "ExportOrderList202603030900.csv").unlink()
    whole = write_xlsx(tmp_path / "whole.xlsx", XLSX_ORDERS).read_bytes()
    (folder / "ExportOrderList(1).xlsx").write_bytes(whole[: len(whole) // 2])
    # the 站内商品推广 download has no 场景名字 / 计划ID: it cannot say which rows are full-site promotion
    wrong = [["日期", "主体ID", "主体类型", "主体名称", "展现量", "点击量", "花费", "总成交金额", "总成交笔数"],
             ["2026-03-02", "S002", "商品", "针织开衫", 2000, 40, 95, 199, 1]]
    write_xlsx(folder / "商品报表(2).xlsx", wrong)
    groups = rejected(folder, tmp_path)
    by_rule = {group["rule"]: group["examples"][0] for group in groups}
    assert by_rule["unreadable file"]["file"] == "ExportOrderList(1).xlsx"
    assert by_rule["missing column"]["file"] == "商品报表(2).xlsx"
    assert "万相台无界 商品报表" in by_rule["missing column"]["reason"]
    assert "Pbix 数据模板" in by_rule["missing column"]["reason"]


def write_cfb(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal OLE2 compound file (one FAT sector, one directory sector, each stream >= 4096 bytes so no mini
    stream): the container Excel/WPS write a password-protected xlsx in, and the one an xls lives in."""
    sector, data, fat, starts = 512, b"", [0xFFFFFFFD, 0xFFFFFFFE], {}
    for name, body in streams.items():
        body = body.ljust(4096, b"\0")
        body = body.ljust(-(-len(body) // sector) * sector, b"\0")
        first, count = 2 + len(data) // sector, len(body) // sector
        fat += [first + step + 1 for step in range(count - 1)] + [0xFFFFFFFE]
        starts[name] = (first, len(body))
        data += body
    fat += [0xFFFFFFFF] * (128 - len(fat))

    def entry(name: str, kind: int, child: int = 0xFFFFFFFF, right: int = 0xFFFFFFFF, start: int = 0xFFFFFFFE,
              size: int = 0) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, 0xFFFFFFFF, right, child)
                + b"\0" * 36 + struct.pack("<IQ", start, size))

    names = sorted(streams, key=lambda name: (len(name), name.upper()))  # the directory's sibling order
    directory = entry("Root Entry", 5, child=1) + b"".join(
        entry(name, 2, right=number + 2 if number + 1 < len(names) else 0xFFFFFFFF, start=starts[name][0],
              size=starts[name][1]) for number, name in enumerate(names))
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0, 0)
              + b"\xff" * 4 * 108)
    path.write_bytes(header + struct.pack("<128I", *fat) + directory.ljust(sector, b"\0") + data)
    return path


def test_a_password_protected_workbook_is_refused_with_what_to_do(tmp_path):
    folder = qianniu_folder(tmp_path / "locked")
    (folder / "ExportOrderList202603030900.csv").unlink()
    # a protected xlsx is no zip but an encrypted package in a compound file; a protected xls has a FILEPASS
    write_cfb(folder / "ExportOrderList(2).xlsx", {"EncryptionInfo": b"\x04\x00\x04\x00\x40\x00\x00\x00",
                                                   "EncryptedPackage": bytes(range(256)) * 20})
    globals_bof = struct.pack("<HHHHHHII", 0x0809, 16, 0x0600, 5, 0, 0x07CC, 0, 0x0600)
    filepass = struct.pack("<HHHHH", 0x002F, 54, 1, 1, 1) + b"\0" * 48
    write_cfb(folder / "【生意参谋平台】商品_全部_2026-03-01_2026-03-02.xls", {"Workbook": globals_bof + filepass})
    groups = [group for group in rejected(folder, tmp_path) if group["rule"] == "password-protected file"]
    assert sorted(group["examples"][0]["file"] for group in groups) == [
        "ExportOrderList(2).xlsx", "【生意参谋平台】商品_全部_2026-03-01_2026-03-02.xls"]
    assert all("save it unprotected" in group["examples"][0]["reason"] for group in groups)


def contract_only(folder: Path) -> Path:
    """The mini shop's own files for everything but orders and their lines."""
    return write_folder(folder, {name: lines for name, lines in MINI_SHOP.items()
                                 if name in ("products", "price_history", "traffic", "inventory_daily",
                                             "promotion_daily")})


def test_a_pinduoduo_order_export_fills_orders_and_lines(tmp_path):
    folder = contract_only(tmp_path / "pdd")
    header = ("订单成交时间,商品,订单号,订单状态,商品总价(元),邮费(元),店铺优惠折扣(元),用户实付金额(元),"
              "商家实收金额(元),商品数量(件),商品id,商品规格,售后状态").split(",")
    none = "无售后或售后取消"
    write_xlsx(folder / "订单明细.xlsx", [
        ["说明：订单数据仅供参考"], header,
        ["2026-03-01 10:00:00", "T恤", "260301-100000000000001", "已收货", 99, 0, 10, 89, 89, 1, "S001", "", none],
        ["", "针织开衫", "260301-100000000000002", "已发货，待收货", 398, 6, 0, 404, 398, 2, "S002", "", none],
        ["2026-03-02 20:30:00", "针织开衫", "260302-100000000000003", "已取消", 199, 0, 0, 0, 0, 1, "S002", "", ""]])
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["platform_files"][0]["header_line"] == 2
    with duckdb.connect(str(db), read_only=True) as con:
        orders = con.execute("SELECT order_id, CAST(created_at AS VARCHAR), customer_id FROM orders ORDER BY 1"
                             ).fetchall()
        lines = con.execute("SELECT order_id, sku_id, quantity, CAST(unit_price AS VARCHAR) FROM order_items "
                            "ORDER BY 1").fetchall()
    # a blank 订单成交时间 is the day in the order number; 已取消 is not a sale; postage is not the goods' price
    assert orders == [("260301-100000000000001", "2026-03-01 10:00:00", "260301-100000000000001"),
                      ("260301-100000000000002", "2026-03-01 00:00:00", "260301-100000000000002")]
    assert lines == [("260301-100000000000001", "S001", 1, "89.00"), ("260301-100000000000002", "S002", 2, "199.00")]


def test_a_malformed_row_under_a_title_line_is_located(tmp_path):
    folder = qianniu_folder(tmp_path / "bad", ad_rows=[AD_ROWS[0], "2026-03-02,货品全站推广,P2,S002,800"])
    path = folder / "商品报表_20260303_090000.csv"
    path.write_bytes("说明：数据仅供参考\n".encode("gb18030") + path.read_bytes())
    problem = next(group for group in rejected(folder, tmp_path) if group["rule"] == "malformed line")
    assert (problem["examples"][0]["file"], problem["examples"][0]["row"]) == (path.name, 4)


def test_the_newer_line_level_xlsx_fills_orders_and_lines_on_its_own(tmp_path):
    folder = contract_only(tmp_path / "lines")
    header = ("子订单编号,主订单编号,商品标题,商品价格,购买数量,订单状态,商家编码,买家实付金额,退款状态,退款金额,"
              "订单创建时间,订单付款时间,商品ID").split(",")
    at, paid = "2026-03-01 10:00:00", "2026-03-01 10:01:00"
    write_xlsx(folder / "订单导出.xlsx", [header,
        ["5001", "100001", "T恤", 99, 1, "交易成功", "S001", 89, "无退款申请", "0.00", at, paid, "S001"],
        ["5002", "100001", "开衫", 199, 2, "交易成功", "S002", 358.2, "无退款申请", "0.00", at, paid, "S002"],
        ["5003", "100002", "开衫", 199, 1, "交易关闭", "S002", 199, "退款成功", "199.00", at, paid, "S002"],
        ["5004", "100003", "开衫", 199, 1, "等待买家付款", "S002", 0, "无退款申请", "0.00", at, "", "S002"]])
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["platform_files"][0]["tables"] == ["orders", "order_items"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT order_id, customer_id FROM orders").fetchall() == [("100001", "100001")]
        assert con.execute("SELECT sku_id, quantity, CAST(unit_price AS VARCHAR) FROM order_items ORDER BY 1"
                           ).fetchall() == [("S001", 1, "89.00"), ("S002", 2, "179.10")]


DOUYIN_HEADER = ("主订单编号,子订单编号,选购商品,商品规格,商品数量,商品ID,商家编码,商品单价,订单应付金额,运费,"
                 "优惠总金额,订单提交时间,支付完成时间,订单完成时间,订单状态,取消原因,售后状态,买家留言,流量来源,"
                 "流量体裁,达人ID,达人昵称").split(",")


def test_a_douyin_order_export_fills_orders_lines_and_their_channel(tmp_path):
    folder = contract_only(tmp_path / "douyin")
    at, paid = "2026-03-01 10:00:00", "2026-03-01 10:01:00"
    rows = [["6001", "7001", "T恤", "白色", 1, "S001", "S001", "99", "89", "0", "10", at, paid, "", "已完成", "",
             "-", "", "精选联盟", "直播", "", ""],
            ["6001", "7002", "开衫", "M", 6, "S002", "S002", "199", "1,074.60", "0", "119.4", at, paid, "",
             "已完成", "", "-", "", "", "直播", "", ""],
            ["6002", "7003", "开衫", "M", 1, "S002", "S002", "199", "199", "0", "0", at, paid, "", "已发货", "",
             "-", "", "", "其他", "", ""],
            ["6003", "7004", "开衫", "M", 1, "S002", "S002", "199", "199", "0", "0", at, paid, "", "已关闭",
             "不想要了", "退款成功", "", "", "其他", "", ""],
            ["6004", "7005", "开衫", "M", 1, "S002", "S002", "199", "199", "0", "0", at, "", "", "待支付", "",
             "-", "", "", "数据将于第二天更新", "", ""]]
    write_xlsx(folder / "订单导出_20260302.xlsx", [DOUYIN_HEADER, *rows])
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["platform_files"][0][
        "layout"] == "抖店 订单导出" and report["platform_files"][0]["tables"] == ["orders", "order_items"]
    assert not any("no channel" in note for note in report["notes"])
    with duckdb.connect(str(db), read_only=True) as con:
        # 已关闭 and 待支付 are not sales; 流量体裁 直播 is the live channel, anything else other
        assert con.execute("SELECT order_id, channel, customer_id FROM orders ORDER BY 1").fetchall() == [
            ("6001", "live", "6001"), ("6002", "other", "6002")]
        assert con.execute("SELECT order_id, sku_id, quantity, CAST(unit_price AS VARCHAR) FROM order_items "
                           "ORDER BY 1, 2").fetchall() == [("6001", "S001", 1, "89.00"), ("6001", "S002", 6, "179.10"),
                                                          ("6002", "S002", 1, "199.00")]


def test_the_same_downloads_appended_twice_are_refused_by_their_own_lines(tmp_path):
    folder = qianniu_folder(tmp_path / "qianniu")
    db = tmp_path / "shop.duckdb"
    assert run("data", "import", folder, "--db", db).exit_code == 0
    before = file_digest(db)
    result = run("data", "import", folder, "--db", db, "--json")
    assert result.exit_code == 1 and file_digest(db) == before
    again = {(group["file"], group["rule"]): group["examples"][0] for group in json.loads(result.stdout)["groups"]}
    order = again[("ExportOrderList202603030900.csv", "already imported")]
    assert (order["row"], order["column"], order["value"]) == (2, "订单编号", "100001")
    assert ("商品报表_20260303_090000.csv", "already imported") in again


def test_data_check_prints_each_downloads_layout_and_what_stays_empty(tmp_path):
    folder = qianniu_folder(tmp_path / "qianniu")
    (folder / "店铺笔记.csv").write_text("备注,日期\n记得补货,2026-03-01\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["data", "check", str(folder)], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    for expected in ("千牛 订单报表", "ExportOrderDetailList202603030900.csv", "万相台无界 商品报表", "店铺笔记.csv",
                     "not read", "refunds", "refund-rate", "channel"):
        assert expected in text, expected


def test_the_sycm_item_sheet_gives_traffic_when_no_channel_split_is_there(tmp_path):
    folder = qianniu_folder(tmp_path / "sycm")
    (folder / "traffic.csv").unlink()
    header = ("统计日期,商品ID,商品名称,商品类型,商品状态,商品标签,商品访客数,商品浏览量,"
              "商品加购件数,商品加购人数,商品支付转化率")
    # values as the page shows them: thousands separators, percentages, "-" for none
    lines = ["2026-03-01,S001,云朵棉T恤,主商品,当前在线,-,1|269,2|003,130,112,7.15%",
             "2026-03-01,S002,针织开衫,主商品,当前在线,-,50,71,6,5,0.00%",
             "2026-03-02,S001,云朵棉T恤,主商品,当前在线,-,110,150,12,12,1.5%"]
    rows = [[""] * 3] * 4 + [header.split(",")] + [[cell.replace("|", ",") for cell in line.split(",")]
                                                   for line in lines]
    write_xlsx(folder / "【生意参谋平台】商品_全部_2026-03-01_2026-03-02.xlsx", rows, sheet="【生意参谋平台】1")
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    sheet = next(item for item in json.loads(result.stdout)["platform_files"] if item["layout"] == "生意参谋 商品_全部")
    assert sheet["header_line"] == 5
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT CAST(date AS VARCHAR), sku_id, channel, visitors, add_to_cart FROM traffic "
                           "ORDER BY 1, 2").fetchall() == [("2026-03-01", "S001", "other", 1269, 112),
                                                           ("2026-03-01", "S002", "other", 50, 5),
                                                           ("2026-03-02", "S001", "other", 110, 12)]


def test_workbook_cells_stored_as_dates_and_numbers_read_as_the_contract_writes_them(tmp_path):
    """Excel keeps a time as a date-formatted number and a long id typed in as a number: both must read as
    the text the CSV export would have had."""
    from datetime import datetime

    folder = qianniu_folder(tmp_path / "typed")
    (folder / "ExportOrderList202603030900.csv").unlink()
    typed = [XLSX_ORDERS[0]] + [
        [float(row[0]), row[1], row[2], row[3], datetime.fromisoformat(row[4]),
         datetime.fromisoformat(row[5]) if row[5] else "", row[6]] for row in XLSX_ORDERS[1:]]
    write_xlsx(folder / "ExportOrderList26355889926(2).xlsx", typed, date_styles=True)
    db = tmp_path / "shop.duckdb"
    result = run("data", "import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT order_id, CAST(created_at AS VARCHAR) FROM orders ORDER BY 1").fetchall() == [
            ("100001", "2026-03-01 10:00:00"), ("100002", "2026-03-01 11:00:00"), ("100003", "2026-03-02 20:30:00"),
            ("100004", "2026-03-02 21:00:00")]


def test_a_built_table_skips_only_the_checks_its_downloads_already_passed(twins):
    # a contract rule is skipped on a table built from downloads only where the download's own check ran the same
    # predicate on the column copied from it: run anyway, it finds nothing; the lines' orders are all in orders
    import tempfile

    from shopagent.tools.platform_import import assemble, is_candidate, read_platform_files
    from shopagent.tools.store import staging_connection
    from shopagent.tools.validation import rules_for

    folder = twins["root"] / "platform"
    with tempfile.TemporaryDirectory() as workdir, staging_connection() as con:
        read = read_platform_files(con, sorted(path for path in folder.iterdir() if is_candidate(path)),
                                   Path(workdir))
        assemble(con, read, {})
        assert not read.groups
        checked = {rule.bad for source in read.sources if source.staged for rule in rules_for(source.staged.table)}
        for name, staged in read.staged.items():
            assert staged.held_rules <= checked, name
            held = [rule for rule in rules_for(staged.table) if rule.bad in staged.held_rules]
            assert held or name not in ("orders", "order_items", "refunds"), name
            for rule in held:
                assert con.execute(f"SELECT count_if({rule.bad}) FROM {staged.staging}").fetchone()[0] == 0
        lines = read.staged["order_items"]
        assert lines.within["order_id"] is read.staged["orders"]
        assert con.execute("SELECT count(*) FROM raw_order_items WHERE order_id NOT IN "
                           "(SELECT order_id FROM raw_orders)").fetchone()[0] == 0


def test_a_contract_rule_the_download_does_not_check_still_refuses_the_built_row(tmp_path):
    # 购买数量 is read as a count (>= 0); the contract wants at least 1 of a sold line, checked on the built table
    # and located in the download it came from
    folder = qianniu_folder(tmp_path / "bad")
    path = folder / "ExportOrderDetailList202603030900.csv"
    lines = [LINE_HEADER, *LINES]
    lines[3] = lines[3].replace('"199.00","1"', '"199.00","0"')
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    problem = next(group for group in rejected(folder, tmp_path) if group["rule"] == "out of range")
    example = problem["examples"][0]
    assert (example["file"], example["row"], example["column"], example["value"]) == (path.name, 4, "购买数量", "0")
