"""Creative drafting: n listing copies for one SKU in the brand's voice, each one checked before it is shown.

Every draft, from any backend, goes through `vet_draft`: ad-law problems are rewritten with the checker's
compliant wording, a missing must-include word is added, an over-long title is shortened, and what changed
is listed on the draft. A draft that still breaks a rule is not shown; the caller regenerates it (bounded).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shopagent.tools.brand import BrandProfile
from shopagent.tools.brand_memory import MemoryDraft, preferred_structures
from shopagent.tools.compliance import ComplianceResult, check_text, fix_text
from shopagent.tools.creative_facts import CreativeFacts, brand_word, creative_facts, load_brand
from shopagent.tools.creative_formats import (
    CreativeKind,
    DraftContent,
    Section,
    Shot,
    drop_repeats,
    format_problems,
    repeated_words,
    shorten_title,
    taobao_bytes,
)
from shopagent.tools.creative_offline import angle_label, angle_plan, compose, variants
from shopagent.tools.errors import ShopError
from shopagent.tools.store import Shop

MAX_TRIES = 3  # per angle offline, per request for a model: a draft that fails three times is not shown
MAX_DRAFTS = 10
PRESSURE_RULE = "pressure"


class DraftChange(BaseModel):
    """One thing the pipeline changed in a draft before showing it, and why."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["compliance", "must_include", "repeated_word", "length", "regenerated"]
    before: str
    after: str
    reason: str


class CreativeDraft(BaseModel):
    """One draft as shown: the copy, its angle, the checker's verdict and what was changed to get there."""

    model_config = ConfigDict(frozen=True)

    id: str
    text: str
    angle: str
    angle_label: str
    structure: str
    compliance: ComplianceResult
    title_bytes: int | None = None
    points: list[str] | None = None
    sections: list[Section] | None = None
    shots: list[Shot] | None = None
    changes: list[DraftChange] = []
    attempts: int = 1


class CreativeDrafts(BaseModel):
    """Drafts for one SKU and kind, with the facts that were held back and how brand memory was used."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    kind: CreativeKind
    backend: str
    model: str | None = None
    seed: int | None = None
    brand: str
    drafts: list[CreativeDraft]
    withheld: list[str] = []  # product-data phrases left out because they break the ad law or the brand's list
    memory_used: list[str] = []  # kept drafts whose structure or example these drafts follow
    notes: list[str] = []

    def memory_records(self) -> list[MemoryDraft]:
        """The drafts as brand memory stores them."""
        return [MemoryDraft(id=draft.id, brand=self.brand, sku_id=self.sku_id, kind=self.kind, angle=draft.angle,
                            structure=draft.structure, text=draft.text, backend=self.backend)
                for draft in self.drafts]


class Vetted(BaseModel):
    """The outcome of vetting one proposed draft: the draft to show, or why it cannot be shown."""

    model_config = ConfigDict(frozen=True)

    draft: CreativeDraft | None
    problems: list[str] = []


def draft_creative(shop: Shop, sku_id: str, kind: CreativeKind = "title", n: int = 3, seed: int = 0,
                   memory: Sequence[MemoryDraft] = ()) -> CreativeDrafts:
    """Draft n listing copies (title, selling points, detail or video script) for one SKU, each ad-law checked."""
    brand = load_brand(shop)
    return draft_offline(creative_facts(shop, sku_id, brand=brand), brand, kind, n, seed=seed, memory=memory)


def draft_offline(facts: CreativeFacts, brand: BrandProfile, kind: CreativeKind, n: int = 3, *, seed: int = 0,
                  memory: Sequence[MemoryDraft] = ()) -> CreativeDrafts:
    """Compose drafts from the templates, one angle each, vetting every one (a pure function of its inputs)."""
    if not 1 <= n <= MAX_DRAFTS:
        raise ShopError(f"n must be between 1 and {MAX_DRAFTS}, not {n}")
    preferred = preferred_structures(memory, brand=brand.name, kind=kind)
    plan = angle_plan(kind, seed=seed, sku_id=facts.sku_id, preferred=preferred)
    # a second pass takes each angle's other structure, for n larger than the angles the facts support
    plan += [(angle, (variant + 1) % variants(kind, angle)) for angle, variant in plan if variants(kind, angle) > 1]
    drafts: list[CreativeDraft] = []
    notes: list[str] = []
    for angle, variant in plan:
        if len(drafts) == n:
            break
        problems: list[str] = []
        for attempt in range(MAX_TRIES):
            content = compose(facts, brand, kind, angle, variant, seed=seed, attempt=attempt)
            if content is None:
                break  # the facts cannot support this angle: not a failure, just not an option
            vetted = vet_draft(content, angle=angle, structure=f"{kind}.{angle}.{variant}", facts=facts, brand=brand,
                               attempts=attempt + 1)
            if vetted.draft is not None:
                if all(vetted.draft.text != other.text for other in drafts):
                    drafts.append(vetted.draft)
                break
            problems = vetted.problems
        else:
            notes.append(f"angle {angle} dropped after {MAX_TRIES} tries: {'; '.join(problems)}")
    if not drafts:
        raise ShopError(f"no {kind} draft for {facts.sku_id} passed the checks: "
                        + ("; ".join(notes) or "the product data is too thin; add material, colors, sizes and "
                           "selling_points to its attributes"), file="products.csv", column="attributes")
    if len(drafts) < n:
        notes.append(f"{len(drafts)} distinct draft(s) instead of {n}: the SKU's data supports no more angles")
    # a kept model draft (structure title.scenario) steers the angle only, so it counts for any variant
    used = {draft.structure for draft in drafts} | {draft.structure.rsplit(".", 1)[0] for draft in drafts}
    return CreativeDrafts(
        sku_id=facts.sku_id, kind=kind, backend="offline", seed=seed, brand=brand.name, drafts=drafts,
        withheld=facts.withheld, notes=notes,
        memory_used=[kept.id for kept in memory if kept.brand == brand.name and kept.structure in used])


def vet_draft(content: DraftContent, *, angle: str, structure: str, facts: CreativeFacts, brand: BrandProfile,
              attempts: int = 1, changes: Sequence[DraftChange] = ()) -> Vetted:
    """Repair what can be repaired (ad-law wording, must-include words, title length), then check everything."""
    changed = list(changes)

    def repair(text: str) -> str:
        fixed, issues = fix_text(text, category=facts.category, brand_forbidden=brand.forbidden)
        # pressure words are only a warning for the merchant's own copy, but drafts we write invite, never push
        pressure = [issue for issue in check_text(fixed, category=facts.category).issues
                    if issue.rule_id == PRESSURE_RULE]
        for issue in reversed(pressure):
            fixed = fixed[: issue.start] + issue.replacement + fixed[issue.end :]
        changed.extend(DraftChange(kind="compliance", before=issue.term, after=issue.replacement, reason=issue.rule)
                       for issue in [*issues, *pressure])
        return _tidy(fixed) if issues or pressure else fixed

    content = _with_must_include(content.rewrite(repair), brand, changed)
    if content.kind == "title" and repeated_words(content.text):
        # a compliant rewrite can double a word (国家级品质 -> 高品质品质); Taobao penalises repeated keywords
        once = drop_repeats(content.text)
        changed.append(DraftChange(kind="repeated_word", before=content.text, after=once,
                                   reason="repeated words: " + "、".join(repeated_words(content.text))))
        content = content.model_copy(update={"text": once})
    if content.kind == "title" and taobao_bytes(content.text) > brand.title_max_bytes:
        keep = [brand_word(brand), *brand.must_include, facts.core_keyword]
        shorter = shorten_title(content.text, max_bytes=brand.title_max_bytes, keep=keep)
        changed.append(DraftChange(kind="length", before=content.text, after=shorter,
                                   reason=f"{taobao_bytes(content.text)} bytes > {brand.title_max_bytes}: "
                                          "dropped words from the end"))
        content = content.model_copy(update={"text": shorter})
    problems = format_problems(content, max_title_bytes=brand.title_max_bytes, must_include=brand.must_include)
    text = content.rendered()
    compliance = check_text(text, category=facts.category, brand_forbidden=brand.forbidden)
    problems.extend(f"“{issue.term}” still breaks {issue.rule}" for issue in compliance.issues
                    if issue.severity == "violation")
    if problems:
        return Vetted(draft=None, problems=problems)
    return Vetted(draft=CreativeDraft(
        id=draft_id(facts.sku_id, content.kind, text), text=text, angle=angle, angle_label=angle_label(angle),
        structure=structure, compliance=compliance,
        title_bytes=taobao_bytes(text) if content.kind == "title" else None,
        points=content.points or None, sections=content.sections or None, shots=content.shots or None,
        changes=changed, attempts=attempts))


def draft_id(sku_id: str, kind: str, text: str) -> str:
    """A short id that is the same whenever the same copy is drafted for the same SKU, so `keep` is stable."""
    return "d" + hashlib.sha256(f"{sku_id}\n{kind}\n{text}".encode()).hexdigest()[:8]


def _tidy(text: str) -> str:
    """Punctuation a deleted word leaves behind: “冰丝面料，再不抢就没了” becomes “冰丝面料”, not “冰丝面料，”."""
    text = re.sub(r"([，、,；;])\s*(?=[，、,；;。！？!?]|$)", "", text)
    return re.sub(r"^\s*[，、,；;]\s*", "", text)


def _with_must_include(content: DraftContent, brand: BrandProfile, changed: list[DraftChange]) -> DraftContent:
    """Put each missing must-include word where a reader meets it first: the title's or the copy's start."""
    for word in brand.must_include:
        if not word or word in content.rendered():
            continue
        if content.kind == "title":
            lead = brand_word(brand)  # 栖木包邮..., not 包邮栖木...: the brand stays the title's first word
            at = len(lead) if lead and content.text.startswith(lead) else 0
            content = content.model_copy(update={"text": content.text[:at] + word + content.text[at:]})
        elif content.kind == "selling_points" and content.points:
            content = content.model_copy(update={"points": [f"{word}｜{content.points[0]}", *content.points[1:]]})
        elif content.kind == "detail" and content.sections:
            at = 1 if len(content.sections) > 1 else 0  # the core selling points, where the brand speaks
            sections = list(content.sections)
            sections[at] = sections[at].model_copy(update={"body": f"{word}：{sections[at].body}"})
            content = content.model_copy(update={"sections": sections})
        elif content.shots:
            last = content.shots[-1]
            content = content.model_copy(update={"shots": [
                *content.shots[:-1], last.model_copy(update={"voiceover": f"{word}，{last.voiceover}"})]})
        changed.append(DraftChange(kind="must_include", before="", after=word,
                                   reason="the brand profile says this word must appear"))
    return content
