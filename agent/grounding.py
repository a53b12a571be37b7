"""The grounding guard: every number in an answer must come from this turn's tool results.

A number is supported when some tool value equals it once the written precision is allowed for: "97.7万" is
976,851 to the nearest thousand, "3.0%" may be 0.0302 or 3.0, "¥1,234" is 1234. Differences and percent
changes of the pairs a tool reports (gmv / gmv_prev, *_before / *_after) and totals of a list's column count as
reported too. Quoting shop data verbatim (a review) is not a claim; numbers inside shop data support nothing.
Nor is a `shopagent ...` command in backticks: its numbers are what the merchant may choose to run.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from shopagent.tool_payload import is_fenced, read_payload, unfence

_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.:/\-])[+\-−]?[¥￥$]?[+\-−]?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<unit>%|％|‰|百万|万|千|亿|[kKwWM](?![A-Za-z])))?")
_DATES = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"),
    re.compile(r"(?<!\d)(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"),
)
# Chinese numerals (九千八百万, 三点五万, 两千): a token must start with a digit character, so words such as
# 千万 ("by all means") or 万一 ("in case") are not read as numbers
_CHINESE_NUMBER = re.compile(r"[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿点]*")
_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                   "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_BIG = {"万": 1e4, "亿": 1e8}  # also scale a decimal numeral: 三点五万
_MULTIPLIER = {"百万": 1e6, "M": 1e6, "万": 1e4, "w": 1e4, "W": 1e4, "千": 1e3, "k": 1e3, "K": 1e3, "亿": 1e8}
_PERCENT = {"%": 100.0, "％": 100.0, "‰": 1000.0}
_COMMAND = re.compile(r"`shopagent [^`\n]*`")
CORRECTION_FLAG = "grounding_correction"  # additional_kwargs key on the guard's (and the loop's) own requests
SMALL_COUNT = 10  # "3 causes", "top 5", list markers: counting words, not measurements
MIN_QUOTE = 6


class Grounding(BaseModel):
    """The verdict on one answer: unsupported numbers as written, and where they are."""

    model_config = ConfigDict(frozen=True)

    unsupported: list[str]
    spans: list[tuple[int, int]]
    checked: int

    @property
    def ok(self) -> bool:
        return not self.unsupported


@dataclass
class Evidence:
    """The numbers, dates and shop-data strings of one turn's tool activity."""

    values: list[float] = field(default_factory=list)
    dates: set[tuple[int, int, int]] = field(default_factory=set)
    quotes: set[str] = field(default_factory=set)
    _ordered: list[float] = field(default_factory=list, repr=False)
    _ordered_from: int = field(default=-1, repr=False)

    def add_payload(self, content: str) -> None:
        """A tool result as the model saw it (see tool_payload)."""
        payload = read_payload(content)
        self._walk(payload["result"] if "result" in payload else payload.get("error", ""))

    def add_arguments(self, arguments: dict[str, Any]) -> None:
        """A tool call's arguments: what the merchant asked for ("涨价 10%") may be repeated."""
        self._walk(arguments)

    def supports(self, value: float, tolerance: float) -> bool:
        ordered = self._sorted()
        target = abs(value)
        slack = tolerance * (1 + 1e-9) + 1e-9
        position = bisect.bisect_left(ordered, target - slack)
        return position < len(ordered) and ordered[position] <= target + slack

    def _sorted(self) -> list[float]:
        if self._ordered_from != len(self.values):
            self._ordered = sorted({abs(value) for value in self.values})
            self._ordered_from = len(self.values)
        return self._ordered

    def _walk(self, value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float):
            self.values.append(float(value))
        elif isinstance(value, str):
            self._text(value)
        elif isinstance(value, list):
            for item in value:
                self._walk(item)
            self._totals(value)
        elif isinstance(value, dict):
            for item in value.values():
                self._walk(item)
            self._pairs(value)

    def _text(self, text: str) -> None:
        if is_fenced(text):
            if len(unfence(text)) >= MIN_QUOTE:
                self.quotes.add(unfence(text).strip())
            return
        blanked, found = _take_dates(text)
        self.dates.update(found)
        self.values.extend(year for year, _, _ in found)
        for token in _tokens(blanked):
            self.values.extend(candidate for candidate, _ in token.candidates)

    def _pairs(self, record: dict[str, Any]) -> None:
        """Changes between the paired values a tool reports: x and x_prev, x_before and x_after."""
        pairs = [(key, f"{key}_prev") for key in record]
        pairs += [(key, key.removesuffix("_after") + "_before") for key in record if key.endswith("_after")]
        pairs += [("recommended_price", "current_price")]
        for now_key, before_key in pairs:
            now, before = record.get(now_key), record.get(before_key)
            if _is_number(now) and _is_number(before):
                self.values.append(now - before)
                if before:
                    self.values.append((now / before - 1) * 100)
        for start, end in (("start", "end"), ("compare_start", "compare_end"), ("first_day", "last_day")):
            try:
                days = (date.fromisoformat(record[end]) - date.fromisoformat(record[start])).days + 1
            except (KeyError, TypeError, ValueError):
                continue
            self.values.append(days)

    def _totals(self, items: list[Any]) -> None:
        """Running totals of each numeric column of a list (findings are ranked, so "the top 3 cost ...")."""
        if items and all(_is_number(item) for item in items):
            self.values.append(sum(items))
            return
        columns: dict[str, float] = {}
        for item in items:
            if not isinstance(item, dict):
                return
            for key, value in item.items():
                if _is_number(value):
                    columns[key] = columns.get(key, 0.0) + value
                    self.values.append(columns[key])


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int
    candidates: tuple[tuple[float, float], ...]  # (value, tolerance) readings of the written number
    exempt: bool


def check_answer(answer: str, evidence: Evidence) -> Grounding:
    """Which numbers (and dates) in `answer` no tool result supports."""
    text = answer
    for quote in sorted(evidence.quotes, key=len, reverse=True):
        text = text.replace(quote, " " * len(quote))
    # a command the merchant may run ("`shopagent whatif --price S001=+10%`") is an input to choose, not a claim
    text = _COMMAND.sub(lambda found: " " * len(found.group(0)), text)
    unsupported: list[str] = []
    spans: list[tuple[int, int]] = []
    checked = 0
    for match in _date_matches(text):
        checked += 1
        year, month, day = (int(match.group(part)) if part in match.re.groupindex else 0 for part in "ymd")
        if not any((y == year or not year) and m == month and d == day for y, m, d in evidence.dates):
            unsupported.append(match.group(0))
            spans.append(match.span())
    blanked, _ = _take_dates(text)
    for token in _tokens(blanked) + _chinese_tokens(blanked):
        if token.exempt:
            continue
        checked += 1
        if not any(evidence.supports(value, tolerance) for value, tolerance in token.candidates):
            unsupported.append(token.text)
            spans.append((token.start, token.end))
    order = sorted(range(len(spans)), key=lambda index: spans[index])
    return Grounding(unsupported=[unsupported[i] for i in order], spans=[spans[i] for i in order], checked=checked)


def mark_unsupported(answer: str, spans: list[tuple[int, int]], *, marker: str = "⚠") -> str:
    """The answer with every unsupported number flagged in bold, for human output."""
    marked = answer
    for start, end in sorted(spans, reverse=True):
        marked = f"{marked[:start]}**{marker}{marked[start:end]}**{marked[end:]}"
    return marked


def evidence_from(payloads: Iterable[str], arguments: Iterable[dict[str, Any]]) -> Evidence:
    evidence = Evidence()
    for content in payloads:
        evidence.add_payload(content)
    for args in arguments:
        evidence.add_arguments(args)
    return evidence


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _NUMBER.finditer(text):
        written = match.group("num")
        unit = match.group("unit") or ""
        digits = written.replace(",", "")
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        number = float(digits)
        if unit in _PERCENT:
            scale = _PERCENT[unit]
            tolerance = 0.5 * 10 ** -decimals
            candidates = ((number, tolerance), (number / scale, tolerance / scale))
        else:
            multiplier = _MULTIPLIER.get(unit, 1.0)
            tolerance = 0.5 * 10 ** -decimals * multiplier
            if not unit and not decimals:
                # "12,300" may be 12,345 rounded to hundreds; keep at least two significant digits
                zeros = len(digits) - len(digits.rstrip("0"))
                tolerance = max(tolerance, 0.5 * 10 ** min(zeros, max(0, len(digits) - 2)))
            candidates = ((number * multiplier, tolerance),)
        exempt = not unit and not decimals and number <= SMALL_COUNT and "¥" not in match.group(0)
        tokens.append(_Token(text=written + unit, start=match.start("num"), end=match.end(), candidates=candidates,
                             exempt=exempt))
    return tokens


def _chinese_tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _CHINESE_NUMBER.finditer(text):
        written = match.group(0)
        value = chinese_number(written)
        if value is None:
            continue
        significant = sum(1 for character in written if character in _CHINESE_DIGITS and character not in "零〇")
        magnitude = math.floor(math.log10(value)) if value > 0 else 0
        tolerance = 0.5 * 10 ** (magnitude - max(significant, 1) + 1)
        exempt = value <= SMALL_COUNT
        tokens.append(_Token(text=written, start=match.start(), end=match.end(), candidates=((value, tolerance),),
                             exempt=exempt))
    return tokens


def chinese_number(written: str) -> float | None:
    """The value of a Chinese numeral (九千八百万 -> 98,000,000; 三点五万 -> 35,000), or None if it is not one."""
    integer_part, _, rest = written.partition("点")
    fraction_digits = "".join(character for character in rest if character in _CHINESE_DIGITS)
    scale = 1.0
    for character in rest[len(fraction_digits):]:
        scale *= _CHINESE_BIG.get(character, 1.0)
    yi = wan = section = number = 0.0  # 亿 and 万 are separate levels: 一亿二千万 = 1亿 + 2千万
    for character in integer_part:
        if character in _CHINESE_DIGITS:
            number = _CHINESE_DIGITS[character]
        elif character in _CHINESE_UNITS:
            section += (number or 1) * _CHINESE_UNITS[character]
            number = 0
        elif character == "万":
            wan = (section + number) * 1e4
            section = number = 0
        elif character == "亿":
            yi = (yi + wan + section + number) * 1e8
            wan = section = number = 0
        else:
            return None
    value = yi + wan + section + number
    if fraction_digits:
        value += float("0." + "".join(str(_CHINESE_DIGITS[character]) for character in fraction_digits))
    return value * scale


def _date_matches(text: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATES:
        for match in pattern.finditer(text):
            if not any(start < match.end() and match.start() < end for start, end in taken):
                found.append(match)
                taken.append(match.span())
    return sorted(found, key=lambda match: match.start())


def _take_dates(text: str) -> tuple[str, set[tuple[int, int, int]]]:
    """The text with its dates blanked out (offsets kept), and the dates as (year, month, day)."""
    dates = set()
    blanked = text
    for match in _date_matches(text):
        year = int(match.group("y")) if "y" in match.re.groupindex else 0
        dates.add((year, int(match.group("m")), int(match.group("d"))))
        blanked = blanked[:match.start()] + " " * (match.end() - match.start()) + blanked[match.end():]
    return blanked, dates


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
