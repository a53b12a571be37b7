"""The sample shop as a merchant downloads it: 千牛 order reports, 万相台 reports, 生意参谋 traffic sources
and the 售后 export (`qianniu`), or the 拼多多 order export and 推广 report (`pdd`).

Written from the shop's contract files, with the platforms' encodings and quirks (GBK, every field
quoted, `="..."` around long ids, `'` before phones, headers with a trailing space, `0元`, a trailing
comma on 宝贝报表 rows, orders that were never paid). What no platform exports (costs, daily stock and
prices, competitor prices, scores, reviews) stays as the merchant's own contract files. The 生意参谋 流量来源
sheet and the 售后 export are xlsx workbooks, as the pages download them (title lines above the 生意参谋
header, counts shown as "11,269", "-" for none), written by the small writer in xlsx.py.
"""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
from collections.abc import Iterator
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from .xlsx import write_xlsx

KEPT_AS_CONTRACT = ("products", "price_history", "inventory_daily", "competitor_prices", "shop_scores", "reviews")
ORDER_FILE = "ExportOrderList202610010830.csv"
LINE_FILE = "ExportOrderDetailList202610010830.csv"
AD_FILE = "商品报表_20261001_083512.csv"
PLAN_FILE = "万相台计划设置.csv"
REFUND_FILE = "当日售后退货表.xlsx"
TRAFFIC_FILE = "【生意参谋平台】商品_流量来源_2026-10-01.xlsx"
TRAFFIC_HEADER = tuple("统计日期,商品ID,商品名称,一级流量来源,二级流量来源,三级流量来源,访客数,浏览量,加购人数"
                       .split(","))
SOURCES = {"search": "手淘搜索", "recommend": "手淘推荐", "promotion": "智能场景(原万相台)", "live": "淘宝直播",
           "other": "淘内免费其他"}
# header cells as the platform writes them, trailing spaces included
ORDER_HEADER = tuple((
    "订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家实际支付金额,订单状态,收货人姓名,"
    "收货地址 ,联系手机,订单创建时间,订单付款时间 ,宝贝标题 ,宝贝种类 ,宝贝总数量,订单关闭原因,"
    "买家服务费,退款金额"
).split(","))
LINE_HEADER = tuple((
    "订单编号,标题,价格,购买数量,外部系统编号,商品属性,套餐信息,备注,"
    "订单状态,商家编码,商品ID,买家实际支付金额"
).split(","))
AD_HEADER = tuple((
    "日期,场景ID,场景名字,计划ID,计划名字,主体ID,主体类型,主体名称,"
    "展现量,点击量,花费,点击率,平均点击花费,总成交金额,总成交笔数,投入产出比"
).split(","))
PLAN_HEADER = tuple((
    "日期,计划ID,计划名字,日预算,目标投产比"
).split(","))
REFUND_HEADER = tuple((
    "订单编号,退款编号,支付宝交易号,退款完结时间,买家实际支付金额,退款总额,宝贝标题,退款状态,"
    "买家退款原因,售后类型,商品id,退给买家金额,商家编码"
).split(","))
# 拼多多: the 订单查询 export and the 推广 商品数据 report; its 售后 and 商品数据 pages are not written (yet), so
# traffic and refunds stay contract files
PDD_KEPT_AS_CONTRACT = ("traffic", "refunds")
PDD_ORDER_FILE = "orders_export_20261001083012.csv"
PDD_AD_FILE = "推广数据_商品数据_20261001.csv"
PDD_PLAN_FILE = "推广计划设置.csv"
PDD_ORDER_HEADER = tuple((
    "商品,订单号,订单状态,商品总价(元),邮费(元),店铺优惠折扣(元),用户实付金额(元),商家实收金额(元),商品数量(件),"
    "订单成交时间,商品id,商品规格,收货省份,售后状态"
).split(","))
PDD_AD_HEADER = tuple("日期,计划ID,计划名称,商品id,商品名称,曝光量,点击量,点击率,花费(元),成交笔数,成交金额(元),投产比"
                      .split(","))
REASONS = {"size": "尺码不合适", "quality": "质量问题", "late_delivery": "发货太慢", "changed_mind": "不想要了"}
UNPAID_EVERY = 40  # one never-paid and one closed order per this many real ones: they are not sales


def write_platform_shop(contract: Path, out_dir: Path, platform: str = "qianniu") -> dict[str, int]:
    """Write the contract folder `contract` as platform exports into `out_dir`; returns rows per file."""
    if platform not in ("qianniu", "pdd"):
        raise ValueError(f"unknown platform format {platform!r}; 'qianniu' and 'pdd' are written")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in KEPT_AS_CONTRACT + (PDD_KEPT_AS_CONTRACT if platform == "pdd" else ()):
        if (contract / f"{name}.csv").exists():
            shutil.copyfile(contract / f"{name}.csv", out_dir / f"{name}.csv")
    if (contract / "brand.toml").exists():
        shutil.copyfile(contract / "brand.toml", out_dir / "brand.toml")
    products = {row["sku_id"]: row for row in _rows(contract / "products.csv")}
    if platform == "pdd":
        return {**_pdd_orders(contract, out_dir, products), **_pdd_promotion(contract, out_dir, products)}
    counts = _orders(contract, out_dir, products)
    counts.update(_promotion(contract, out_dir, products))
    counts.update(_traffic(contract, out_dir, products))
    if (contract / "refunds.csv").exists():
        counts.update(_refunds(contract, out_dir, products))
    return counts


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _stream(path: Path):
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _excel_text(value: str) -> str:
    # written raw after a quoted field would be re-quoted by csv; the platform writes ="..." unquoted
    return f'="{value}"'


def _orders(contract: Path, out_dir: Path, products: dict[str, dict[str, str]]) -> dict[str, int]:
    """Both reports, streamed: orders.csv and order_items.csv are both sorted by order_id."""
    counts = {ORDER_FILE: 0, LINE_FILE: 0}
    with (contract / "orders.csv").open(encoding="utf-8", newline="") as order_source, \
            (contract / "order_items.csv").open(encoding="utf-8", newline="") as line_source, \
            (out_dir / ORDER_FILE).open("w", encoding="gbk", newline="") as order_sink, \
            (out_dir / LINE_FILE).open("w", encoding="gbk", newline="") as line_sink:
        order_sink.write(_quoted(ORDER_HEADER) + "\r\n")
        line_sink.write(_quoted(LINE_HEADER) + "\r\n")
        lines = groupby(csv.DictReader(line_source), key=itemgetter("order_id"))
        pending = next(lines, None)
        for number, order in enumerate(csv.DictReader(order_source)):
            items: list[dict[str, str]] = []
            if pending is not None and pending[0] == order["order_id"]:
                items = list(pending[1])
                pending = next(lines, None)
            # refunded orders stay 交易成功: a refund after receipt does not close the order
            status = "卖家已发货，等待买家确认" if number % 20 == 19 else "交易成功"
            written = [(order, status, True)]
            if number % UNPAID_EVERY == 0:
                written += [({**order, "order_id": prefix + order["order_id"][1:]}, unpaid, False)
                            for prefix, unpaid in (("U", "等待买家付款"), ("K", "交易关闭"))]
            for shown, shown_status, paid in written:
                row = _order_row(shown, items, products, shown_status, paid=paid)
                order_sink.write(_excel_text(row[0]) + "," + _quoted(row[1:]) + "\r\n")
                for item in items:
                    line = _line_row(shown["order_id"], item, products, shown_status)
                    # the platform's trailing comma
                    line_sink.write(_excel_text(line[0]) + "," + _quoted(line[1:]) + ",\r\n")
                counts[ORDER_FILE] += 1
                counts[LINE_FILE] += len(items)
    return counts


def _order_row(order: dict[str, str], items: list[dict[str, str]], products: dict[str, dict[str, str]],
               status: str, *, paid: bool) -> list[str]:
    goods = sum(_cents(item["unit_price"]) * int(item["quantity"]) for item in items)
    digits = order["order_id"][-8:]
    titles = "，".join(products[item["sku_id"]]["title"] for item in items)
    return [order["order_id"], order["customer_id"], f"{order['customer_id'].lower()}@example.com", _yuan(goods),
            "0.00", _yuan(goods) if paid else "0.00", status, "王**",
            f"{order.get('province') or '浙江'} 某市 某区 某路{int(digits) % 97 + 1}号(000000)",
            f"'138{digits}", order["created_at"], order["created_at"] if paid else "", titles, str(len(items)),
            str(sum(int(item["quantity"]) for item in items)),
            "订单未关闭" if status != "交易关闭" else "买家未付款", "0元", "0.00"]


def _line_row(order_id: str, item: dict[str, str], products: dict[str, dict[str, str]], status: str) -> list[str]:
    product = products[item["sku_id"]]
    attributes = json.loads(product["attributes"]) if product.get("attributes") else {}
    shown = ";".join(f"{label}：{values[0]}" for label, values in
                     (("颜色分类", attributes.get("colors")), ("尺码", attributes.get("sizes"))) if values)
    paid = _cents(item["unit_price"]) * int(item["quantity"])
    return [order_id, product["title"], product["list_price"], item["quantity"], item["sku_id"], shown, "", "",
            status, item["sku_id"], item["sku_id"], _yuan(paid)]


@contextlib.contextmanager
def _ad_report(ad_path: Path, encoding: str, header: tuple[str, ...], plan_path: Path) -> Iterator[tuple[Any, Any]]:
    """CSV writers for a platform's ad report (in its encoding) and the merchant's plan settings beside it,
    headers written, lines ending in CRLF as the platforms' downloads do."""
    with ad_path.open("w", encoding=encoding, newline="") as ad_sink, \
            plan_path.open("w", encoding="utf-8-sig", newline="") as plan_sink:
        ads = csv.writer(ad_sink, lineterminator="\r\n")
        plans = csv.writer(plan_sink, lineterminator="\r\n")
        ads.writerow(header)
        plans.writerow(PLAN_HEADER)
        yield ads, plans


def _promotion(contract: Path, out_dir: Path, products: dict[str, dict[str, str]]) -> dict[str, int]:
    """One 货品全站推广 plan per item (two for every other item, to be summed back), and 关键词推广 rows that
    are not full-site promotion; budgets and target ROIs in the merchant's plan settings file."""
    position_of = {sku: position for position, sku in enumerate(sorted(products))}
    counts = {AD_FILE: 0, PLAN_FILE: 0}
    with _ad_report(out_dir / AD_FILE, "gb18030", AD_HEADER, out_dir / PLAN_FILE) as (ads, plans):
        for row in _stream(contract / "promotion_daily.csv"):
            position = position_of[row["sku_id"]]
            title = products[row["sku_id"]]["title"]
            parts = 2 if position % 2 == 0 else 1
            values = {name: _cents(row[name]) for name in ("spend", "ad_gmv", "daily_budget")}
            values.update({name: int(row[name]) for name in ("impressions", "clicks", "ad_orders")})
            for part in range(parts):
                plan = str(3_000_000_001 + position * 10 + part)
                share = {name: _split(value, parts, part) for name, value in values.items()}
                roi = share["ad_gmv"] / share["spend"] if share["spend"] else 0.0
                name = f"全店模式_{row['sku_id']}_{part + 1}"
                ads.writerow([row["date"], "411", "货品全站推广", plan, name, row["sku_id"], "商品", title,
                              str(share["impressions"]), str(share["clicks"]), _yuan(share["spend"]),
                              f"{share['clicks'] / share['impressions']:.4f}" if share["impressions"] else "",
                              _yuan(share["spend"] // share["clicks"]) if share["clicks"] else "",
                              _yuan(share["ad_gmv"]), str(share["ad_orders"]), f"{roi:.2f}"])
                plans.writerow([row["date"], plan, name, _yuan(share["daily_budget"]), row["target_roi"]])
                counts[AD_FILE] += 1
                counts[PLAN_FILE] += 1
            if position % 3 == 0:
                ads.writerow([row["date"], "371", "关键词推广", str(2_000_000_001 + position), "关键词_日常",
                              row["sku_id"], "商品", title, "800", "20", "31.50", "0.0250", "1.58", "0.00", "0",
                              "0.00"])
                counts[AD_FILE] += 1
    return counts


def _pdd_orders(contract: Path, out_dir: Path, products: dict[str, dict[str, str]]) -> dict[str, int]:
    """One row per order and item under a 说明 line (UTF-8 with BOM); postage on some orders, paid with the goods,
    on the order's first row; a 待支付 and an 已取消 copy of some orders, which are not sales."""
    orders = {row["order_id"]: row for row in _stream(contract / "orders.csv")}
    rows = 0
    with (out_dir / PDD_ORDER_FILE).open("w", encoding="utf-8-sig", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\r\n")
        writer.writerow(["说明：导出的订单数据仅供参考，以订单详情为准"])
        writer.writerow(PDD_ORDER_HEADER)
        lines = groupby(_stream(contract / "order_items.csv"), key=itemgetter("order_id"))
        for number, (order_id, items) in enumerate(lines):
            order = orders[order_id]
            written = [(order_id, "已签收" if number % 7 else "已发货，待签收", True)]
            if number % UNPAID_EVERY == 0:
                written += [(f"U{order_id[1:]}", "待支付", False), (f"K{order_id[1:]}", "已取消", False)]
            items = list(items)
            for shown_id, status, paid in written:
                for position, item in enumerate(items):
                    goods = _cents(item["unit_price"]) * int(item["quantity"])
                    postage = 600 if number % 5 == 0 and position == 0 else 0
                    payment = goods + postage if paid else 0
                    writer.writerow([products[item["sku_id"]]["title"], shown_id, status, _yuan(goods), _yuan(postage),
                                     "0.00", _yuan(payment), _yuan(payment), item["quantity"], order["created_at"],
                                     item["sku_id"], "默认", order.get("province", ""),
                                     "无售后或售后取消"])
                    rows += 1
    return {PDD_ORDER_FILE: rows}


def _pdd_promotion(contract: Path, out_dir: Path, products: dict[str, dict[str, str]]) -> dict[str, int]:
    """One plan per goods item and day (GBK), `-` for the ROI of a day without spend; the budgets and target
    ROIs, which the report lacks, in the merchant's plan settings file."""
    position_of = {sku: position for position, sku in enumerate(sorted(products))}
    rows = 0
    with _ad_report(out_dir / PDD_AD_FILE, "gbk", PDD_AD_HEADER, out_dir / PDD_PLAN_FILE) as (ads, plans):
        for row in _stream(contract / "promotion_daily.csv"):
            plan = str(5_100_000_001 + position_of[row["sku_id"]])
            name = f"全站推广_{row['sku_id']}"
            spend, gmv = _cents(row["spend"]), _cents(row["ad_gmv"])
            impressions, clicks = int(row["impressions"]), int(row["clicks"])
            ads.writerow([row["date"], plan, name, row["sku_id"], products[row["sku_id"]]["title"],
                          str(impressions), str(clicks), f"{clicks / impressions:.2%}" if impressions else "-",
                          _yuan(spend), row["ad_orders"], _yuan(gmv), f"{gmv / spend:.2f}" if spend else "-"])
            plans.writerow([row["date"], plan, name, row["daily_budget"], row["target_roi"]])
            rows += 1
    return {PDD_AD_FILE: rows, PDD_PLAN_FILE: rows}


def _traffic(contract: Path, out_dir: Path, products: dict[str, dict[str, str]]) -> dict[str, int]:
    """Visitors by 二级 source as 生意参谋 shows them (4 title lines above the header, counts as displayed:
    "1,269"), with some 三级 detail rows that must not be counted again."""
    counts = {TRAFFIC_FILE: 0}

    def rows() -> Iterator[list[object]]:
        yield from [["【生意参谋平台】商品流量来源"], ["统计时间：分日"], [""], ["说明：按最后一次访问来源"]]
        yield list(TRAFFIC_HEADER)
        for number, row in enumerate(_stream(contract / "traffic.csv")):
            title = products[row["sku_id"]]["title"]
            base = [row["date"], row["sku_id"], title, "平台流量", SOURCES[row["channel"]]]
            visitors = int(row["visitors"])
            yield base + ["汇总", _shown(visitors), _shown(visitors * 2), _shown(int(row["add_to_cart"]))]
            counts[TRAFFIC_FILE] += 1
            if number % 10 == 0 and row["channel"] == "search":
                # "-" where the page has nothing to show (detail rows carry no 浏览量 / 加购)
                yield base + ["直接搜索", _shown(visitors // 2), "-", "-"]
                counts[TRAFFIC_FILE] += 1

    write_xlsx(out_dir / TRAFFIC_FILE, rows(), sheet="【生意参谋平台】1")
    return counts


def _shown(count: int) -> object:
    """A count as the 生意参谋 page shows it: text with thousands separators from 1,000."""
    return f"{count:,}" if count >= 1000 else count


def _refunds(contract: Path, out_dir: Path, products: dict[str, dict[str, str]]) -> dict[str, int]:
    """Every refund as 退款成功, and one withdrawn request (退款关闭) per ten that is not a refund; ids as text
    cells, amounts as numbers, as the 售后 export's sheet `export` has them."""
    rows: list[list[object]] = [list(REFUND_HEADER)]
    for number, refund in enumerate(_rows(contract / "refunds.csv")):
        title = products[refund["sku_id"]]["title"]
        amount = float(refund["amount"])
        base = [refund["order_id"], f"{260000000000 + number}", f"2026{number:020d}", refund["refunded_at"],
                amount, amount, title]
        tail = [REASONS.get(refund["reason"], refund["reason"]), "仅退款" if number % 2 else "退货退款",
                refund["sku_id"], amount, refund["sku_id"]]
        rows.append(base + ["退款成功"] + tail)
        if number % 10 == 0:
            withdrawn = [refund["order_id"], f"{270000000000 + number}", f"2027{number:020d}", "", amount,
                         amount, title]
            rows.append(withdrawn + ["退款关闭"] + tail)
    write_xlsx(out_dir / REFUND_FILE, rows)
    return {REFUND_FILE: len(rows) - 1}


def _quoted(values) -> str:
    return ",".join('"' + str(value).replace('"', '""') + '"' for value in values)


def _split(value: int, parts: int, part: int) -> int:
    """Part `part` of `value` split into `parts` whole pieces that add back up to it."""
    return value // parts + (1 if part < value % parts else 0)


def _cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int((fraction + "00")[:2])


def _yuan(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
