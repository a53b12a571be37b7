"""A plain data question as one read-only SELECT: a shape (top N, by category, one SKU's days) and a measure,
both from sql_shapes.toml, filled only with checked values (ints, ISO dates, SKU ids)."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from functools import cache
from importlib import resources

_SKU_ID = re.compile(r"S\d{2,5}")
_TOP_N = re.compile(r"(?:前|top|best|worst|bottom|highest|lowest)\s*(\d+|[一二两三四五六七八九十]{1,2})"
                    r"(?![\d天日周月])|"
                    r"(\d+|[一二两三四五六七八九十]{1,2})\s*(?:个|款|名|大)(?!月)", re.I)
_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_DAILY = re.compile(r"每天|每日|逐日|日销|走势|趋势|曲线|daily|day by day|per day|each day|trend", re.I)


@cache
def library() -> dict:
    return tomllib.loads(resources.files("shopagent.intent").joinpath("sql_shapes.toml").read_text("utf-8"))


def _plain(text: str) -> str:
    """Lower case without 的, so 退货的理由 says 退货理由 and 下架的款 says 下架款."""
    return text.lower().replace("的", "")


def _says(low: str, words: list[str]) -> bool:
    return any(_plain(word) in low for word in words)


def names_data(text: str) -> bool:
    """Whether the question names a table, a measure or a breakdown of its own (渠道, 退款率, 各类目, daily)."""
    shapes, low = library(), _plain(text)
    words = [word for group in ("tables", "measures") for found in shapes[group] for word in found["words"]]
    words += shapes["shapes"]["by_category"]["words"]
    return bool(_DAILY.search(low)) or _says(low, words)


def data_query(text: str, *, skus: list[str], count: int | None, days: int | None,
               start: date | None, end: date | None, amount: float | None = None) -> str:
    """The SELECT answering a plain data question: a table it names by its words (channels, shop scores,
    competitor prices, refunds over an `amount`), else its measure (default GMV), shape and period (default 30
    days): a ranking of SKUs, or one shop total when it asks how much and ranks nothing."""
    shapes = library()
    low = _plain(text)
    top = _TOP_N.search(low)
    if top and count is None:  # a count the planner read (a follow-up's "前10呢") outranks the words reused
        written = top.group(1) or top.group(2)
        count = int(written) if written.isdigit() else (_CN.get(written) or 10 + _CN.get(written[-1], 0))
    measure = next((found for found in shapes["measures"] if _says(low, found["words"])),
                   shapes["measures"][-1])
    if start is not None and end is not None:
        period = f"t.day BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'"
    else:
        period = f"t.day > (SELECT max(date) FROM traffic) - INTERVAL {int(days or 30)} DAY"
    sku = skus[0] if skus else ""
    for named in skus:
        if not _SKU_ID.fullmatch(named):
            raise ValueError(f"not an SKU id: {named!r}")
    table = next((found for found in shapes["tables"] if _says(low, found["words"])), None)
    if table is not None:
        return table["sql"].format(period=period, sku_filter=f"AND t.sku_id = '{sku}'" if sku else "",
                                   amount_filter=f"AND t.amount > {float(amount):g}" if amount is not None else "")
    if _says(low, shapes["shapes"]["by_category"]["words"]):
        shape = "by_category"
    elif len(skus) > 1:  # two or more SKUs named: those SKUs side by side
        shape = "skus_daily" if _DAILY.search(low) else "skus"
    elif skus and not _DAILY.search(low) and not count and _says(
            low, shapes["shapes"]["shop_total"]["words"]):
        shape = "sku_total"
    elif skus and (_DAILY.search(low) or not count):
        shape = "sku_daily"
    elif _DAILY.search(low) and not top:
        shape = "shop_daily"
    elif not top and not count and not _says(low, shapes["shapes"]["top"]["words"]) and _says(
            low, shapes["shapes"]["shop_total"]["words"]):
        shape = "shop_total"
    else:
        shape = "top"
    ascending = _says(low, shapes["order"]["ascending"])
    source, name = shapes["sources"][measure["source"]], measure["name"]
    channel = next((found for found, words in shapes["channels"].items() if _says(low, words)), None)
    if measure["source"] == "traffic" and channel is not None:  # a name from sql_shapes.toml, never the question's
        source = source.replace("FROM traffic)", f"FROM traffic WHERE channel = '{channel}')")
        name = f"{channel}_{name}"
    return shapes["shapes"][shape]["sql"].format(
        value=measure["value"], name=name, source=source, period=period,
        order="ASC" if ascending else "DESC", n=max(1, min(int(count or 10), 50)), sku=sku,
        skus=", ".join(f"'{named}'" for named in skus))
