"""Ad-law and platform compliance checks for Chinese e-commerce copy (titles, selling points, details).

The lexicon lives in ``data/ad_law.toml``: every term with its rule, source, severity and suggestion,
the exemptions of the 2023 enforcement guide, and which rules each platform enforces. The text is
normalised first (``compliance_text``: traditional characters, look-alikes, homophones, separators).
This module only matches: deterministic, no model, no I/O beyond reading the package data once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shopagent.tools.compliance_text import Origin, normalise

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
    why: str = ""  # what the rule forbids, in the merchant's words
    source: str = ""  # the law, regulation or platform rule it comes from


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
    why: str
    source: str
    when: re.Pattern[str] | None  # the rule applies only to copy that matches this
    exempt: frozenset[str]
    only: frozenset[str] | None
    uncategorised: bool  # whether an `only` rule also applies when no category is given
    order: int
    literals: tuple[str, ...] = ()  # for `text` terms: a cheap `in` test before running the regex


@dataclass(frozen=True)
class _Exemption:
    pattern: re.Pattern[str]
    rules: frozenset[str]  # empty: every rule
    whole_text: bool  # excuses those rules anywhere in a matching text, not only inside the match
    only: frozenset[str] | None


@dataclass(frozen=True)
class _Platform:
    names: frozenset[str]
    violations: frozenset[str]


@dataclass(frozen=True)
class _Lexicon:
    terms: tuple[_Term, ...]
    exemptions: tuple[_Exemption, ...]
    category_groups: dict[str, frozenset[str]]
    platforms: dict[str, _Platform]
    default_platform: str


@dataclass(frozen=True)
class _Hit:
    start: int  # offsets in the normalised text
    end: int
    term: _Term | None  # None for a brand-forbidden word
    brand_word: str = ""


def check_text(
    text: str, *, category: str | None = None, brand_forbidden: Sequence[str] = (), platform: str | None = None
) -> ComplianceResult:
    """Find Advertising-Law and platform compliance problems in Chinese e-commerce copy.

    `category` scopes the rules: cosmetics categories (skincare, makeup, ...) get the special-use
    cosmetics rules, food and health_food (蓝帽子) their own, medical categories may name treatments.
    `platform` (taobao, tmall, douyin, ..., or law for the statutes alone; default Taobao/Tmall) decides
    which platform rules are violations. `brand_forbidden` lists the brand's own banned words, matched as
    exact substrings (after normalisation).
    """
    lexicon = _lexicon()
    category = (category or "").strip() or None
    normalised, origin = normalise(text)
    groups = _groups_of(category, lexicon)
    hits = [
        _Hit(start, end, term)
        for term in lexicon.terms
        if _applies(term, category, groups, normalised) and _may_occur(term, normalised)
        for start, end in _spans(term.pattern, normalised)
    ]
    if hits:
        hits = _unexempted(hits, normalised, groups, lexicon.exemptions)
    hits.extend(_brand_hits(normalised, brand_forbidden))
    escalated = _platform(platform, lexicon).violations
    issues = [_issue(hit, text, origin, escalated) for hit in _longest_first(hits, escalated)]
    issues.sort(key=lambda issue: (issue.start, issue.end))
    return ComplianceResult(ok=all(issue.severity != "violation" for issue in issues), issues=issues)


def fix_text(
    text: str, *, category: str | None = None, brand_forbidden: Sequence[str] = (), platform: str | None = None
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
        result = check_text(text, category=category, brand_forbidden=brand_forbidden, platform=platform)
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


def _spans(pattern: re.Pattern[str], normalised: str) -> list[tuple[int, int]]:
    # Patterns are compiled as a capturing lookahead, so overlapping matches are all found.
    return [(m.start(1), m.end(1)) for m in pattern.finditer(normalised) if m.end(1) > m.start(1)]


def _may_occur(term: _Term, normalised: str) -> bool:
    return not term.literals or any(literal in normalised for literal in term.literals)


def _unexempted(hits: list[_Hit], normalised: str, groups: frozenset[str],
                exemptions: tuple[_Exemption, ...]) -> list[_Hit]:
    """Drop the hits an exemption excuses: inside its match, or anywhere for a whole-text exemption."""
    spans: list[tuple[frozenset[str], int, int]] = []
    excused_rules: set[str] = set()
    for exemption in exemptions:
        if exemption.only is not None and not exemption.only & groups:
            continue
        if exemption.whole_text:
            if exemption.pattern.search(normalised):
                excused_rules |= exemption.rules
            continue
        spans.extend((exemption.rules, start, end) for start, end in _spans(exemption.pattern, normalised))

    def excused(hit: _Hit) -> bool:
        rule_id = hit.term.rule_id if hit.term else ""
        if rule_id in excused_rules:
            return True
        return any((not rules or rule_id in rules) and start <= hit.start and hit.end <= end
                   for rules, start, end in spans)

    return [hit for hit in hits if not excused(hit)]


def _severity(term: _Term, escalated: frozenset[str]) -> Severity:
    return "violation" if term.rule_id in escalated else term.severity


def _platform(platform: str | None, lexicon: _Lexicon) -> _Platform:
    name = (platform or "").strip().casefold() or lexicon.default_platform
    for key, entry in lexicon.platforms.items():
        if name == key or name in entry.names:
            return entry
    known = ", ".join(sorted(lexicon.platforms))
    raise ValueError(f"unknown platform {platform!r}; use one of {known}")


def _brand_hits(normalised: str, brand_forbidden: Sequence[str]) -> list[_Hit]:
    hits = []
    for word in brand_forbidden:
        needle = _needle(word.strip())
        if not needle:
            continue
        at = normalised.find(needle)
        while at != -1:
            hits.append(_Hit(at, at + len(needle), None, brand_word=word.strip()))
            at = normalised.find(needle, at + 1)
    return hits


@lru_cache(maxsize=4096)
def _needle(word: str) -> str:
    # drafting checks every candidate phrase against the same brand list: normalise each word once
    return normalise(word)[0]


def _longest_first(hits: list[_Hit], escalated: frozenset[str]) -> list[_Hit]:
    """Keep the longest of overlapping hits; on equal length prefer brand words, then violations."""

    def rank(hit: _Hit) -> tuple[int, int, int, int]:
        if hit.term is None:
            return (hit.start - hit.end, 0, -1, hit.start)
        return (hit.start - hit.end, _severity(hit.term, escalated) != "violation", hit.term.order, hit.start)

    kept: list[_Hit] = []
    for hit in sorted(hits, key=rank):
        if all(hit.end <= other.start or other.end <= hit.start for other in kept):
            kept.append(hit)
    return kept


def _issue(hit: _Hit, text: str, origin: Origin, escalated: frozenset[str]) -> ComplianceIssue:
    start, end = origin[hit.start][0], origin[hit.end - 1][1]
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
            why="品牌方要求文案中不出现这个词",
            source="brand.toml forbidden",
        )
    return ComplianceIssue(
        term=term,
        start=start,
        end=end,
        rule=hit.term.rule,
        rule_id=hit.term.rule_id,
        severity=_severity(hit.term, escalated),
        suggestion=hit.term.suggestion,
        replacement=hit.term.replacement,
        why=hit.term.why,
        source=hit.term.source,
    )


def _groups_of(category: str | None, lexicon: _Lexicon) -> frozenset[str]:
    if category is None:
        return frozenset()
    name = category.strip().casefold()
    return frozenset(group for group, names in lexicon.category_groups.items() if name == group or name in names)


def _applies(term: _Term, category: str | None, groups: frozenset[str], normalised: str) -> bool:
    if term.exempt & groups:
        return False
    if term.when is not None and not term.when.search(normalised):
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
        for where, entry in _entries(rule_id, rule, raw["rules"]):
            terms.append(_compile_term(rule_id, rule, entry, where, len(terms)))
    exemptions = tuple(_compile_exemption(entry) for entry in raw["exemptions"].values())
    platforms = {name: _Platform(names=frozenset(n.casefold() for n in entry["names"]),
                                 violations=frozenset(entry["violations"]))
                 for name, entry in raw["platforms"].items() if isinstance(entry, dict)}
    return _Lexicon(terms=tuple(terms), exemptions=exemptions, category_groups=groups, platforms=platforms,
                    default_platform=raw["platforms"]["default"])


def _entries(rule_id: str, rule: dict, rules: dict) -> list[tuple[str, dict]]:
    """A rule's own terms, or those of the rules it names in `terms_from` (except entries with inherit = false)."""
    if "terms_from" not in rule:
        return [(f"rules.{rule_id}.terms[{index}]", entry) for index, entry in enumerate(rule["terms"])]
    sources = [rule["terms_from"]] if isinstance(rule["terms_from"], str) else rule["terms_from"]
    return [(f"rules.{source}.terms[{index}]", entry) for source in sources
            for index, entry in enumerate(rules[source]["terms"]) if entry.get("inherit", True)]


def _compile_exemption(entry: dict) -> _Exemption:
    sources = [*entry.get("patterns", []), "|".join(_literal_source(phrase) for phrase in entry.get("phrases", []))]
    only = entry.get("only")
    return _Exemption(
        pattern=_lookahead("|".join(f"(?:{source})" for source in sources if source)),
        rules=frozenset(entry.get("rules", [])),
        whole_text=entry.get("scope", "span") == "text",
        only=frozenset(only) if only is not None else None,
    )


def _compile_term(rule_id: str, rule: dict, entry: dict, where: str, order: int) -> _Term:
    if ("text" in entry) == ("regex" in entry) or "suggest" not in entry:
        raise ValueError(f"{where} in ad_law.toml needs exactly one of `text`/`regex`, and `suggest`")
    texts = [entry["text"]] if isinstance(entry.get("text"), str) else entry.get("text", [])
    # longest first, so the alternation prefers "最先进" over "最先" at the same position
    source = "|".join(_literal_source(text) for text in sorted(texts, key=len, reverse=True))
    suggestion = entry["suggest"]
    only = entry.get("only", rule.get("only"))
    return _Term(
        pattern=_lookahead(source or entry["regex"]),
        rule_id=rule_id,
        rule=rule["title"],
        severity=entry.get("severity", rule["severity"]),
        suggestion=suggestion,
        replacement=entry.get("replace", suggestion.split(" / ")[0]),
        why=rule.get("why", ""),
        source=rule.get("source", ""),
        when=re.compile(rule["when"]) if "when" in rule else None,
        exempt=frozenset(entry.get("exempt", rule.get("exempt", []))),
        only=frozenset(only) if only is not None else None,
        uncategorised=rule.get("uncategorised", False),
        order=order,
        literals=tuple(normalise(text)[0] for text in texts),
    )


def _literal_source(text: str) -> str:
    """Regex for a literal term; ASCII letters and digits at its edges only match at word edges."""
    folded = normalise(text)[0]
    source = re.escape(folded)
    if folded[:1].isascii() and folded[:1].isalnum():
        source = r"(?<![a-z0-9])" + source
    if folded[-1:].isascii() and folded[-1:].isalnum():
        source += r"(?![a-z0-9])"
    return source


def _lookahead(source: str) -> re.Pattern[str]:
    return re.compile(f"(?=({source}))")
