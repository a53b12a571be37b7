"""Ad-law and platform compliance checks for Chinese e-commerce copy (titles, selling points, details).

The lexicon lives in ``data/ad_law.toml``: every term with its rule, severity, suggestion and the
contexts in which it is allowed. This module only matches it: deterministic, no model, no I/O
beyond reading that package data once.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["violation", "warning"]

_BRAND_RULE = "品牌方禁用词 (brand forbidden list)"
# After this many rounds fix_text deletes what is left instead of substituting, so it always ends:
# every deletion shortens the text.
_SUBSTITUTION_ROUNDS = 2


class ComplianceIssue(BaseModel):
    """One problem in the copy, located in the text exactly as the merchant wrote it."""

    model_config = ConfigDict(frozen=True)

    term: str
    start: int
    end: int
    rule: str
    rule_id: str
    severity: Severity
    suggestion: str
    replacement: str  # what fix_text writes in place of `term`; "" means the term is deleted


class ComplianceResult(BaseModel):
    """Whether the copy can be published, and every issue found in it."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    issues: list[ComplianceIssue]


@dataclass(frozen=True)
class _Term:
    pattern: re.Pattern[str]
    rule_id: str
    rule: str
    severity: Severity
    suggestion: str
    replacement: str
    exempt: frozenset[str]
    only: frozenset[str] | None
    uncategorised: bool  # whether an `only` rule also applies when no category is given
    order: int
    literals: tuple[str, ...] = ()  # for `text` terms: a cheap `in` test before running the regex


@dataclass(frozen=True)
class _Lexicon:
    terms: tuple[_Term, ...]
    allowed: tuple[re.Pattern[str], ...]
    category_groups: dict[str, frozenset[str]]


@dataclass(frozen=True)
class _Hit:
    start: int  # offsets in the normalised text
    end: int
    term: _Term | None  # None for a brand-forbidden word
    brand_word: str = ""


def check_text(text: str, *, category: str | None = None, brand_forbidden: Sequence[str] = ()) -> ComplianceResult:
    """Find Advertising-Law and platform compliance problems in Chinese e-commerce copy.

    `category` scopes the rules: cosmetics categories (skincare, makeup, ...) get the special-use
    cosmetics warnings, medical categories may name treatments. `brand_forbidden` lists the brand's
    own banned words, matched as exact substrings (after width and case folding).
    """
    lexicon = _lexicon()
    category = (category or "").strip() or None
    normalised, origin = _normalise(text)
    groups = _groups_of(category, lexicon)
    hits = [
        _Hit(start, end, term)
        for term in lexicon.terms
        if _applies(term, category, groups) and _may_occur(term, normalised)
        for start, end in _spans(term.pattern, normalised)
    ]
    if hits:
        allowed = [span for pattern in lexicon.allowed for span in _spans(pattern, normalised)]
        hits = [hit for hit in hits if not _inside_any(hit, allowed)]
    hits.extend(_brand_hits(normalised, brand_forbidden))
    issues = [_issue(hit, text, origin) for hit in _longest_first(hits)]
    issues.sort(key=lambda issue: (issue.start, issue.end))
    return ComplianceResult(ok=all(issue.severity != "violation" for issue in issues), issues=issues)


def fix_text(
    text: str, *, category: str | None = None, brand_forbidden: Sequence[str] = ()
) -> tuple[str, list[ComplianceIssue]]:
    """Rewrite every violation with its compliant replacement; warnings are left for the merchant.

    Returns the new text, which passes `check_text`, and the violations that were rewritten. Offsets
    of the first-round issues refer to `text`; in the rare case a rewrite exposes a new violation
    (the text around a deleted word now reads as one), the issues of that later round are appended
    with offsets into the intermediate text.
    """
    changed: list[ComplianceIssue] = []
    rounds = 0
    while True:
        result = check_text(text, category=category, brand_forbidden=brand_forbidden)
        violations = [issue for issue in result.issues if issue.severity == "violation"]
        if not violations:
            return text, changed
        changed.extend(violations)
        substitute = rounds < _SUBSTITUTION_ROUNDS
        for issue in reversed(violations):  # right to left keeps earlier offsets valid
            new = issue.replacement if substitute else ""
            before, after = text[: issue.start], text[issue.end :]
            if not new:  # "正品 NO.1 热卖" becomes "正品 热卖", not "正品  热卖"
                if not before or before[-1].isspace():
                    after = after.lstrip()
                if not after:
                    before = before.rstrip()
            text = before + new + after
        rounds += 1


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC + casefold the text, undo the usual ways of hiding a banned word, and keep the original index
    of every normalised character.

    NFKC can change the length (“℃” becomes “°C”, “ﬁ” becomes “fi”), so it is applied one code point at a
    time and each output character remembers where it came from. Then a space, dot or zero-width character
    between two Chinese characters is dropped (“顶 级”, “最·好”), and the pinyin “zui” before a Chinese
    character reads as 最 (“zui低价”): sellers use both to slip past keyword filters, and shoppers read
    straight through them.
    """
    if unicodedata.is_normalized("NFKC", text) and len(text.casefold()) == len(text):
        folded, origin = text.casefold(), list(range(len(text)))
    else:
        pieces: list[str] = []
        origin = []
        for index, char in enumerate(text):
            piece = unicodedata.normalize("NFKC", char).casefold()
            pieces.append(piece)
            origin.extend([index] * len(piece))
        folded = "".join(pieces)
    if not _DISGUISE.search(folded):
        return folded, origin
    kept: list[str] = []
    kept_origin: list[int] = []
    position = 0
    for match in _DISGUISE.finditer(folded):
        kept.append(folded[position:match.start()])
        kept_origin.extend(origin[position:match.start()])
        if match.group("pinyin"):
            kept.append("最")
            kept_origin.append(origin[match.start()])
        position = match.end()
    kept.append(folded[position:])
    kept_origin.extend(origin[position:])
    return "".join(kept), kept_origin


# a separator run between two Chinese characters, or the pinyin "zui" standing for 最 before one
_DISGUISE = re.compile(
    r"(?<=[\u4e00-\u9fff])(?P<gap>[\s\u00b7\u2022\u2027\u2219\u30fb\uff65.\-_*~\u200b-\u200d\u2060\ufeff]+)"
    r"(?=[\u4e00-\u9fff])"
    r"|(?<![a-z])(?P<pinyin>zui)(?=\s?[\u4e00-\u9fff])"
)


def _spans(pattern: re.Pattern[str], normalised: str) -> list[tuple[int, int]]:
    # Patterns are compiled as a capturing lookahead, so overlapping matches are all found.
    return [(m.start(1), m.end(1)) for m in pattern.finditer(normalised) if m.end(1) > m.start(1)]


def _may_occur(term: _Term, normalised: str) -> bool:
    return not term.literals or any(literal in normalised for literal in term.literals)


def _inside_any(hit: _Hit, allowed: list[tuple[int, int]]) -> bool:
    return any(start <= hit.start and hit.end <= end for start, end in allowed)


def _brand_hits(normalised: str, brand_forbidden: Sequence[str]) -> list[_Hit]:
    hits = []
    for word in brand_forbidden:
        needle = _normalise(word.strip())[0]
        if not needle:
            continue
        at = normalised.find(needle)
        while at != -1:
            hits.append(_Hit(at, at + len(needle), None, brand_word=word.strip()))
            at = normalised.find(needle, at + 1)
    return hits


def _longest_first(hits: list[_Hit]) -> list[_Hit]:
    """Keep the longest of overlapping hits; on equal length prefer brand words, then violations."""

    def rank(hit: _Hit) -> tuple[int, int, int, int]:
        if hit.term is None:
            return (hit.start - hit.end, 0, -1, hit.start)
        return (hit.start - hit.end, hit.term.severity != "violation", hit.term.order, hit.start)

    kept: list[_Hit] = []
    for hit in sorted(hits, key=rank):
        if all(hit.end <= other.start or other.end <= hit.start for other in kept):
            kept.append(hit)
    return kept


def _issue(hit: _Hit, text: str, origin: list[int]) -> ComplianceIssue:
    start, end = origin[hit.start], origin[hit.end - 1] + 1
    term = text[start:end]
    if hit.term is None:
        return ComplianceIssue(
            term=term,
            start=start,
            end=end,
            rule=_BRAND_RULE,
            rule_id="brand_forbidden",
            severity="violation",
            suggestion=f"删去“{hit.brand_word}”（品牌方禁用词）",
            replacement="",
        )
    return ComplianceIssue(
        term=term,
        start=start,
        end=end,
        rule=hit.term.rule,
        rule_id=hit.term.rule_id,
        severity=hit.term.severity,
        suggestion=hit.term.suggestion,
        replacement=hit.term.replacement,
    )


def _groups_of(category: str | None, lexicon: _Lexicon) -> frozenset[str]:
    if category is None:
        return frozenset()
    name = category.strip().casefold()
    return frozenset(group for group, names in lexicon.category_groups.items() if name == group or name in names)


def _applies(term: _Term, category: str | None, groups: frozenset[str]) -> bool:
    if term.exempt & groups:
        return False
    if term.only is None:
        return True
    return term.uncategorised if category is None else bool(term.only & groups)


@cache
def _lexicon() -> _Lexicon:
    source = files(__package__).joinpath("data", "ad_law.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(source)
    groups = {group: frozenset(name.casefold() for name in names) for group, names in raw["categories"].items()}
    terms: list[_Term] = []
    for rule_id, rule in raw["rules"].items():
        for index, entry in enumerate(rule["terms"]):
            terms.append(_compile_term(rule_id, rule, entry, f"rules.{rule_id}.terms[{index}]", len(terms)))
    allowed_literals = [_literal_source(phrase) for phrase in raw["allowed"]["phrases"]]
    allowed = [_lookahead(source) for source in [*raw["allowed"]["patterns"], "|".join(allowed_literals)]]
    return _Lexicon(terms=tuple(terms), allowed=tuple(allowed), category_groups=groups)


def _compile_term(rule_id: str, rule: dict, entry: dict, where: str, order: int) -> _Term:
    if ("text" in entry) == ("regex" in entry) or "suggest" not in entry:
        raise ValueError(f"{where} in ad_law.toml needs exactly one of `text`/`regex`, and `suggest`")
    texts = [entry["text"]] if isinstance(entry.get("text"), str) else entry.get("text", [])
    # longest first, so the alternation prefers "最先进" over "最先" at the same position
    source = "|".join(_literal_source(text) for text in sorted(texts, key=len, reverse=True))
    suggestion = entry["suggest"]
    only = rule.get("only")
    return _Term(
        pattern=_lookahead(source or entry["regex"]),
        rule_id=rule_id,
        rule=rule["title"],
        severity=entry.get("severity", rule["severity"]),
        suggestion=suggestion,
        replacement=entry.get("replace", suggestion.split(" / ")[0]),
        exempt=frozenset(entry.get("exempt", rule.get("exempt", []))),
        only=frozenset(only) if only is not None else None,
        uncategorised=rule.get("uncategorised", False),
        order=order,
        literals=tuple(_normalise(text)[0] for text in texts),
    )


def _literal_source(text: str) -> str:
    """Regex for a literal term; ASCII letters and digits at its edges only match at word edges."""
    folded = _normalise(text)[0]
    source = re.escape(folded)
    if folded[:1].isascii() and folded[:1].isalnum():
        source = r"(?<![a-z0-9])" + source
    if folded[-1:].isascii() and folded[-1:].isalnum():
        source += r"(?![a-z0-9])"
    return source


def _lookahead(source: str) -> re.Pattern[str]:
    return re.compile(f"(?=({source}))")
