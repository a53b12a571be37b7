"""Normalise shop copy before the ad-law checker matches it, remembering where every character came from.

Sellers hide banned words from keyword filters in ways a shopper reads straight through: full-width
letters (ＮＯ．１), traditional characters (頂級), look-alike digits (1OO%), homophones (醉便宜, 蕞好用),
separators and invisible characters inside a word (绝/对, 最\u200b好). `normalise` undoes them; the rules
are in ``data/normalise.toml`` and traditional characters go through OpenCC's t2s data.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files


@dataclass(frozen=True)
class _Context:
    chars: str
    reads: str
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    not_after: re.Pattern[str] | None


@dataclass(frozen=True)
class _Rules:
    confusables: dict[int, str]
    context: tuple[_Context, ...]
    context_chars: frozenset[str]
    gap: re.Pattern[str]
    pinyin: tuple[str, ...]  # what the pinyin group `p<i>` of `gap` reads as
    invisible: frozenset[str]


Origin = list[tuple[int, int]]  # for each normalised character, the span of `text` it came from


def normalise(text: str) -> tuple[str, Origin]:
    """The text as the checker matches it, and for each of its characters the span of `text` it came from."""
    rules = _rules()
    folded, origin = _fold(text)
    folded = folded.translate(rules.confusables)
    folded, origin = _simplified(folded, origin)
    if rules.context_chars.intersection(folded):
        folded = _read_in_context(folded, rules.context)
    folded, origin = _drop_invisible(folded, origin, rules.invisible)
    return _drop_gaps(folded, origin, rules)


def _fold(text: str) -> tuple[str, Origin]:
    # NFKC can change the length ("℃" becomes "°C", "ﬁ" becomes "fi"), so it goes one code point at a time
    if unicodedata.is_normalized("NFKC", text) and len(text.casefold()) == len(text):
        return text.casefold(), [(index, index + 1) for index in range(len(text))]
    pieces: list[str] = []
    origin: Origin = []
    for index, char in enumerate(text):
        piece = unicodedata.normalize("NFKC", char).casefold()
        pieces.append(piece)
        origin.extend([(index, index + 1)] * len(piece))
    return "".join(pieces), origin


def _simplified(text: str, origin: Origin) -> tuple[str, Origin]:
    if text.isascii():
        return text, origin
    converter = _converter()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted, origin
    # a phrase rule changed the length: convert character by character, which never does
    pieces = [converter.convert(char) for char in text]
    return "".join(pieces), [at for piece, at in zip(pieces, origin, strict=True) for _ in piece]


def _read_in_context(text: str, context: tuple[_Context, ...]) -> str:
    out: list[str] = []
    for index, char in enumerate(text):
        previous = out[-1] if out else ""
        for rule in context:
            if char not in rule.chars:
                continue
            if rule.after is not None and not (previous and rule.after.fullmatch(previous)):
                continue
            if rule.not_after is not None and previous and rule.not_after.fullmatch(previous):
                continue
            if rule.before is not None and not rule.before.match(text, index + 1):
                continue
            char = rule.reads
            break
        out.append(char)
    return "".join(out)


def _drop_invisible(text: str, origin: Origin, invisible: frozenset[str]) -> tuple[str, Origin]:
    if not invisible.intersection(text):
        return text, origin
    kept = [(char, at) for char, at in zip(text, origin, strict=True) if char not in invisible]
    return "".join(char for char, _ in kept), [at for _, at in kept]


def _drop_gaps(text: str, origin: Origin, rules: _Rules) -> tuple[str, Origin]:
    gap = rules.gap
    if not gap.search(text):
        return text, origin
    kept: list[str] = []
    kept_origin: Origin = []
    position = 0
    for match in gap.finditer(text):
        kept.append(text[position : match.start()])
        kept_origin.extend(origin[position : match.start()])
        if match.lastgroup and match.lastgroup.startswith("p"):
            kept.append(rules.pinyin[int(match.lastgroup[1:])])
            kept_origin.append((origin[match.start()][0], origin[match.end() - 1][1]))
        position = match.end()
    kept.append(text[position:])
    kept_origin.extend(origin[position:])
    return "".join(kept), kept_origin


@cache
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _rules() -> _Rules:
    raw = tomllib.loads(files(__package__).joinpath("data", "normalise.toml").read_text(encoding="utf-8"))
    confusables = raw["confusables"]
    if len(confusables["from"]) != len(confusables["to"]):
        raise ValueError("normalise.toml: [confusables] `from` and `to` must have the same length")

    def optional(entry: dict, key: str) -> re.Pattern[str] | None:
        return re.compile(entry[key]) if key in entry else None

    context = tuple(
        _Context(entry["chars"], entry["reads"], optional(entry, "before"), optional(entry, "after"),
                 optional(entry, "not_after"))
        for entry in raw["context"]
    )
    separators = re.escape(raw["separators"]["between_chinese"])
    # a separator run between two Chinese characters, or a pinyin syllable standing for a banned character
    pinyin = [
        (f"(?<={entry['after']})" if "after" in entry else "")
        + rf"(?<![a-z])(?P<p{index}>{re.escape(entry['text'])})(?![a-z])"
        + (f"(?={entry['before']})" if "before" in entry else "")
        for index, entry in enumerate(raw.get("pinyin", []))
    ]
    gap = re.compile("|".join([rf"(?<=[\u4e00-\u9fff])(?P<gap>[{separators}]+)(?=[\u4e00-\u9fff])", *pinyin]))
    return _Rules(
        confusables=str.maketrans(confusables["from"], confusables["to"]),
        context=context,
        context_chars=frozenset("".join(rule.chars for rule in context)),
        gap=gap,
        pinyin=tuple(entry["reads"] for entry in raw.get("pinyin", [])),
        invisible=frozenset(raw["separators"]["invisible"]),
    )
