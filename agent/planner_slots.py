"""Slots the offline planner pulls out of a question: SKU ids, percentages, 折, money (3万, 8千, 12k), ROI,
day counts, dates, comparisons, objectives and creative kinds. Each parser removes what it consumed, so a
number is read once: the 3.5 of 投产比 3.5 is not also a budget.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
EN_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50}
NUM = r"\d+(?:\.\d+)?"
MONEY_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"  # 6,000 as well as 6000
CN_NUM = r"[零一二两三四五六七八九十]+"
UNIT_MULTIPLIER = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000}
UP = re.compile(r"涨|提|加|上调|贵|raise|increase|\bup\b|hike|higher|more", re.I)
DOWN = re.compile(r"降|减|砍|下调|便宜|打折|cut|lower|reduce|decrease|drop|down|cheaper|less", re.I)

_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
)
_SKU = re.compile(r"(?<![A-Za-z0-9])[sS]\d{2,5}(?!\d)")
_QUOTED = re.compile(r"[“\"「『‘']([^”\"」』’']{2,})[”\"」』’']")
_DISCOUNT = re.compile(r"打?\s*(\d(?:\.\d)?|\d\d|[一二三四五六七八九]{1,2})\s*折")
_PERCENT = re.compile(rf"([+\-]?{NUM})\s*(?:%|个百分点|个点|percent|pct)", re.I)
_TENTHS = re.compile(r"(\d|[一二三四五六七八九])\s*成")  # 三成 = 30%
_ROI_AFTER = re.compile(rf"(?:投产比?|\broi\b|\broas\b)[^0-9]{{0,14}}?({NUM})", re.I)
_ROI_BEFORE = re.compile(rf"({NUM})\s*(?:的|倍)?\s*(?:投产比?|\broi\b|\broas\b)", re.I)
_COUNT = re.compile(r"(\d+|[一两二三四五六七八九十])\s*(?:个|条|版|套|篇|份|句)(?!月|星期|礼拜)|"
                    r"(\d+)\s+(?:titles|options|versions|variants|drafts|ideas|scripts)", re.I)
_DAY_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"(\d+|{CN_NUM})\s*(?:天|日)(?!元)"), 1),
    (re.compile(r"(\d+)\s*days?\b", re.I), 1),
    (re.compile(rf"(\d+|{CN_NUM}|a|one|two|three|four)\s*(?:个)?\s*(?:周|星期|礼拜|weeks?\b)", re.I), 7),
    (re.compile(rf"(\d+|{CN_NUM})\s*个\s*月|(\d+|a|one|two|three|six|twelve)\s+months?\b", re.I), 30),
)
_DAY_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"(这|本|上|近|过去|最近|前)一?(个)?(周|星期|礼拜)|(this|last|past|previous) week", re.I), 7),
    (re.compile(r"(这个|本|上个|上|近一个|最近一个|过去一个)月|(this|last|past|previous) month", re.I), 30),
    (re.compile(r"季度|quarter", re.I), 90),
    (re.compile(r"昨天|昨日|yesterday|今天|today", re.I), 1),
)
# a Chinese numeral that counts something (三万, 两千, 十四天, 三点五, 八五折); "一下" or "一样" stay words
_CN_QUANTITY = re.compile(r"([零一二两三四五六七八九十]+(?:点[零一二三四五六七八九]+)?)"
                          r"(?=\s*(?:万|千|百|天|日|周|星期|礼拜|个|条|版|折|成|倍|块|元|%))|"
                          r"(?<=投产比)([零一二两三四五六七八九十]+点[零一二三四五六七八九]+)")
_EN_QUANTITY = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|fifty)\b"
                          r"(?=\s*(?:percent|%|days?\b|weeks?\b|months?\b|titles|drafts|options))", re.I)
_MONEY = re.compile(rf"([¥$])?\s*({MONEY_NUM})\s*(万|w|千|k)?\s*(元|块|yuan|rmb)?(?![A-Za-z0-9])", re.I)
_TARGET_WORD = re.compile(r"(到|至|改成|改为|变成|调成|设为|\bto\b|\bat\b|\bof\b)\s*[¥$]?\s*$", re.I)


class Slots(BaseModel):
    """Everything the planner read from a question; None/empty = not mentioned."""

    model_config = ConfigDict(frozen=True)

    skus: list[str] = []
    percent: float | None = None  # signed: +10 = up 10%
    discount: float | None = None  # 八折 = -20 (percent)
    money: float | None = None  # yuan: a budget or a new price
    target_roi: float | None = None
    days: int | None = None
    start: date | None = None
    end: date | None = None
    compare: Literal["yoy"] | None = None
    objective: Literal["profit", "gmv"] | None = None
    creative_kind: str | None = None
    count: int | None = None
    quoted: str | None = None
    raw_sql: str | None = None
    stockout: bool = False
    about_budget: bool = False

    def merged(self, newer: Slots) -> Slots:
        """These slots updated by a follow-up's: whatever the follow-up names replaces the old value."""
        changes = {name: getattr(newer, name) for name in type(newer).model_fields
                   if getattr(newer, name) not in (None, [], False)}
        if "days" in changes:
            changes.update(start=newer.start, end=newer.end)
        if "percent" in changes:
            changes["discount"] = None
        return self.model_copy(update=changes)


def cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def parse_slots(text: str) -> Slots:
    """Read every slot from NFKC-normalised text."""
    values: dict[str, object] = {}
    raw = re.sub(r"^\s*sql\s*:\s*|```(sql)?", "", text, flags=re.I).strip()
    if re.match(r"(select|with)\s", raw, re.I):
        return Slots(raw_sql=raw)
    quoted = _QUOTED.search(text)
    if quoted:
        values["quoted"] = quoted.group(1).strip()
    elif ":" in text:
        values["quoted"] = text.split(":", 1)[1].strip()
    # numerals become digits only after the copy to check was taken verbatim; the rest reads digits
    text = _CN_QUANTITY.sub(lambda match: _cn_digits(match.group(1) or match.group(2)), text)
    text = _EN_QUANTITY.sub(lambda match: str(EN_NUMBERS[match.group(1).lower()]), text)
    work = text
    work, dates = _take_dates(work)
    if dates:
        values.update(start=min(dates), end=max(dates))
    values["skus"] = list(dict.fromkeys(sku.upper() for sku in _SKU.findall(work)))
    work = _SKU.sub(_blank, work)
    work = _take(work, _DISCOUNT, lambda m: values.setdefault("discount", -(10 - _discount_value(m.group(1))) * 10))
    work = _take(work, _PERCENT, lambda m: values.setdefault("percent", _signed(m, text)))
    work = _take(work, _TENTHS, lambda m: values.setdefault("percent", _signed(m, text, scale=10)))
    for pattern in (_ROI_AFTER, _ROI_BEFORE):  # "投产比 3.5" first: in "预算 5000 roi 3" the 5000 is no ROI
        if "target_roi" not in values:
            work = _take(work, pattern, lambda m: values.setdefault("target_roi", float(m.group(1))), group=1)
    work = _take(work, _COUNT, lambda m: values.setdefault("count", _int(m.group(1) or m.group(2))))
    for pattern, scale in _DAY_PATTERNS:
        work = _take(work, pattern, lambda m, scale=scale: values.setdefault("days", _int(_first(m)) * scale))
    for pattern, days in _DAY_WORDS:
        if "days" not in values and pattern.search(work):
            values["days"] = days
    money = _money(work)
    if money is not None:
        values["money"] = money
    low = text.lower()
    if re.search(r"同比|去年|year[- ]over[- ]year|\byoy\b|y/y|last year|a year (ago|before)", low):
        values["compare"] = "yoy"
    objective = re.search(r"(利润|毛利|赚|profit|margin)|(gmv|销售额|冲量|营业额|revenue|\bsales\b|volume)", low)
    if objective:
        values["objective"] = "profit" if objective.group(1) else "gmv"
    for pattern, kind in ((r"标题|title", "title"), (r"卖点|selling point", "selling_points"),
                          (r"详情|detail|description", "detail"), (r"视频|脚本|video|script", "video_script")):
        if re.search(pattern, low):
            values["creative_kind"] = kind
            break
    values["stockout"] = bool(re.search(r"断货|缺货|没货|售罄|卖断|out of stock|stock ?outs?|sold out", low))
    values["about_budget"] = bool(re.search(r"预算|budget|推广费|ad spend|投放", low))
    return Slots(**values)


def _take(text: str, pattern: re.Pattern[str], use, group: int = 0) -> str:
    """Apply `use` to every match of `pattern` and blank the matched part (or one group) out of the text."""
    def blank(match: re.Match[str]) -> str:
        use(match)
        start, end = match.span(group)
        whole_start = match.start()
        inner = match.group(0)
        return inner[:start - whole_start] + " " * (end - start) + inner[end - whole_start:]
    return pattern.sub(blank, text)


def _take_dates(text: str) -> tuple[str, list[date]]:
    dates: list[date] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                dates.append(date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
            except ValueError:
                continue
        text = pattern.sub(_blank, text)
    return text, dates


def _blank(match: re.Match[str]) -> str:
    """Spaces as long as the match: offsets into the working text stay offsets into the question."""
    return " " * len(match.group(0))


def _money(text: str) -> float | None:
    """A budget or price: numbers with 万/千/k or a currency word count; bare numbers under 50 are counts."""
    found: list[tuple[float, bool, int]] = []
    for match in _MONEY.finditer(text):
        currency, number, unit, word = match.groups()
        value = float(number.replace(",", "")) * UNIT_MULTIPLIER.get((unit or "").lower(), 1)
        marked = bool(currency or unit or word)
        if marked or value >= 50:
            targeted = bool(_TARGET_WORD.search(text[:match.start()]))
            found.append((value, targeted, match.start()))
    if not found:
        return None
    targeted = [value for value, is_target, _ in found if is_target]
    return targeted[-1] if targeted else max(value for value, _, _ in found)


def _signed(match: re.Match[str], text: str, scale: float = 1.0) -> float:
    """The percentage, negative when the nearest direction word before it (or else after it) says down."""
    written = match.group(1)
    value = float(CN_DIGITS.get(written, written)) * scale
    if written.startswith(("+", "-")):
        return value
    before = list(UP.finditer(text[:match.start()])) + list(DOWN.finditer(text[:match.start()]))
    if before:
        nearest = max(before, key=lambda found: found.end())
        return -value if nearest.re is DOWN else value
    after_down, after_up = DOWN.search(text, match.end()), UP.search(text, match.end())
    if after_down and (not after_up or after_down.start() < after_up.start()):
        return -value
    return value


def _discount_value(written: str) -> float:
    """八折 -> 8, 八五折 / 85折 -> 8.5, 8.5折 -> 8.5."""
    if all(char in CN_DIGITS for char in written):
        written = "".join(str(CN_DIGITS[char]) for char in written)
    if len(written) == 2 and written.isdigit():
        return int(written) / 10
    return float(written)


def _cn_digits(written: str | None) -> str:
    """三 -> 3, 十四 -> 14, 三点五 -> 3.5, 八五 -> 85 (as in 八五折)."""
    if not written:
        return ""
    whole, _, fraction = written.partition("点")
    if "十" in whole or len(whole) == 1:
        digits = str(_int(whole))
    else:
        digits = "".join(str(CN_DIGITS[char]) for char in whole)
    return digits + ("." + "".join(str(CN_DIGITS[char]) for char in fraction) if fraction else "")


def _first(match: re.Match[str]) -> str:
    return next(group for group in match.groups() if group)


def _int(written: str) -> int:
    """12, 十四, 两, three -> an int."""
    if written.isdigit():
        return int(written)
    if written.lower() in EN_NUMBERS:
        return EN_NUMBERS[written.lower()]
    if "十" in written:
        tens, _, units = written.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(units, 0) if units else 0)
    return CN_DIGITS.get(written, 1)
