"""The offline backend of creative drafting: copy composed from the templates in prompts/ and a SKU's facts.

A pure function of (facts, brand, kind, angle, structure, seed): no model, no clock, no global random
state, so the same seed always gives the same drafts. The templates carry the brand's one voice; the
angles (material, scenario, audience, value, praise, objection) make the variants differ.
"""

from __future__ import annotations

import random
import re
import string
import tomllib
from collections.abc import Sequence
from functools import cache

from shopagent.prompts import load_prompt
from shopagent.tools.brand import BrandProfile
from shopagent.tools.creative_facts import CreativeFacts, brand_word
from shopagent.tools.creative_formats import (
    HOOK_SECONDS,
    SELLING_POINT_MAX_CHARS,
    SELLING_POINTS_RANGE,
    CreativeKind,
    DraftContent,
    Section,
    Shot,
    join_title,
)

ANGLES = ("material", "scenario", "audience", "value", "praise", "objection")
DEMO_SECONDS = 2.0
CTA_SECONDS = 3.0
# Padding for selling points when a structure's own lines run out before the minimum count.
_FALLBACK_LINES = ("composition", "colors", "sizes", "scene", "value", "material", "material_plain", "service")
_FALLBACK_DEMOS = ("overview", "closeup")  # need only the core keyword, so thin product data still gets a script
MIN_DEMOS = 2
_MULTI_SLOTS = ("style", "feature", "audience", "season", "modifier", "spec", "other")
_LEAD_TOPIC = {"scenario": "scene", "value": "value", "praise": "praise", "objection": "answer", "material": "material"}
_TITLE_SLOTS = {"material": "material_word"}  # a title names one material word, not the composition
_LETTER_OR_NUMBER_SIZE = re.compile(r"(?:X{0,3}[SML]|\d{1,3})")


def structure_id(kind: CreativeKind, angle: str, variant: int) -> str:
    """How a draft was built, e.g. title.material.1: what brand memory keeps and prefers."""
    return f"{kind}.{angle}.{variant}"


def parse_structure(structure: str) -> tuple[str, str, int | None] | None:
    """(kind, angle, variant) of a structure id; a model's draft (title.material) has an angle but no variant."""
    parts = structure.split(".")
    if len(parts) not in (2, 3) or parts[1] not in ANGLES or (len(parts) == 3 and not parts[2].isdigit()):
        return None
    return parts[0], parts[1], int(parts[2]) if len(parts) == 3 else None


def variants(kind: CreativeKind, angle: str) -> int:
    """How many structures the templates define for this kind and angle."""
    return len(_template(kind)["structures"].get(angle, []))


def angle_plan(kind: CreativeKind, *, seed: int, sku_id: str, preferred: Sequence[str] = ()) -> list[tuple[str, int]]:
    """Every (angle, structure) to try, in order: the brand's kept structures first, then the rest shuffled by seed."""
    plan: list[tuple[str, int]] = []
    rng = random.Random(f"plan|{seed}|{sku_id}|{kind}")
    for structure in preferred:
        parsed = parse_structure(structure)
        if parsed is None or parsed[0] != kind or not variants(kind, parsed[1]):
            continue
        _, angle, variant = parsed
        if angle not in {planned for planned, _ in plan}:
            plan.append((angle, variant if variant is not None and variant < variants(kind, angle)
                         else rng.randrange(variants(kind, angle))))
    rest = [angle for angle in ANGLES if variants(kind, angle) and angle not in {angle for angle, _ in plan}]
    rng.shuffle(rest)
    plan.extend((angle, rng.randrange(variants(kind, angle))) for angle in rest)
    return plan


def compose(facts: CreativeFacts, brand: BrandProfile, kind: CreativeKind, angle: str, variant: int, *,
            seed: int = 0, attempt: int = 0) -> DraftContent | None:
    """One draft from one angle and structure, or None when the SKU's facts cannot support that angle."""
    rng = random.Random(f"draft|{seed}|{facts.sku_id}|{kind}|{angle}|{variant}|{attempt}")
    slots = _slots(facts, brand, rng)
    if kind == "title":
        return _title(facts, brand, slots, angle, variant)
    if kind == "selling_points":
        points = _points(facts, slots, angle, variant, rng)
        return DraftContent(kind=kind, points=points) if points else None
    if kind == "detail":
        return _detail(facts, slots, angle, variant, rng)
    return _script(facts, slots, angle, variant, rng)


def angle_label(angle: str) -> str:
    """The angle's name as the merchant sees it (材质, 场景 ...)."""
    return _common()["angles"].get(angle, angle)


def _title(facts: CreativeFacts, brand: BrandProfile, slots: dict[str, str], angle: str,
           variant: int) -> DraftContent | None:
    structure = _template("title")["structures"][angle][variant]
    if not slots.get(_TITLE_SLOTS.get(structure[0], structure[0])):
        return None
    head = [slots["brand"], *(word for word in brand.must_include if word and word not in slots["brand"])]
    parts = [part for part in head if part]
    keep = len(parts)
    for position, slot in enumerate(structure):
        values = facts.words(slot) if slot in _MULTI_SLOTS else [slots.get(_TITLE_SLOTS.get(slot, slot), "")]
        parts.extend(value for value in values if value)
        if position <= structure.index("core"):
            keep = len(parts)
    return DraftContent(kind="title", text=join_title(parts, max_bytes=brand.title_max_bytes, keep=keep))


def _points(facts: CreativeFacts, slots: dict[str, str], angle: str, variant: int,
            rng: random.Random, *, count: int | None = None) -> list[str]:
    template = _template("selling_points")
    lead = _first_fill(_grouped(template["lead"].get(angle, {}), facts), slots, rng)
    if lead is None or len(lead) > SELLING_POINT_MAX_CHARS:
        return []
    structure = template["structures"][angle][variant]
    wanted = count or min(len(structure) + 1, SELLING_POINTS_RANGE[1])
    points = [lead]
    # the lead already says what the angle is about; a second line on the same topic would repeat it
    for line in dict.fromkeys(line for line in [*structure, *_FALLBACK_LINES] if line != _LEAD_TOPIC.get(angle)):
        if len(points) >= wanted:
            break
        options = template["lines"].get(line, [])
        options = _grouped(options, facts) if isinstance(options, dict) else options
        candidates = facts.selling_points if line == "points" else [_first_fill(options, slots, rng) or ""]
        for candidate in candidates:
            if (candidate and len(candidate) <= SELLING_POINT_MAX_CHARS and len(points) < wanted
                    and not any(candidate in point for point in points)):
                points.append(candidate)
    return points if len(points) >= SELLING_POINTS_RANGE[0] else []


def _detail(facts: CreativeFacts, slots: dict[str, str], angle: str, variant: int,
            rng: random.Random) -> DraftContent | None:
    template = _template("detail")
    pain = _first_fill(_grouped(template["pain"].get(angle, {}), facts), slots, rng)
    points = _points(facts, slots, angle, 0, rng, count=template["structures"][angle][variant])
    scenes = _first_fill(_grouped(template["scenes"], facts), slots, rng)
    if not (pain and points and scenes):
        return None
    specs = [_fill(template["specs"][key], slots) for key in ("composition", "colors", "sizes", "keyword")]
    if not slots.get("composition"):
        specs[0] = _fill(template["specs"]["material"], slots)
    after_sales = _grouped_text(_common()["after_sales"], facts)
    if slots.get("objection_answer"):
        after_sales += slots["objection_answer"] + "。"
    bodies = [pain, "；".join(points) + "。", scenes, "；".join(spec for spec in specs if spec) + "。", after_sales]
    headings = ("痛点", "核心卖点", "使用场景", "细节参数", "售后保障")
    return DraftContent(kind="detail", sections=[Section(heading=heading, body=body)
                                                 for heading, body in zip(headings, bodies, strict=True)])


def _script(facts: CreativeFacts, slots: dict[str, str], angle: str, variant: int,
            rng: random.Random) -> DraftContent | None:
    template = _template("video_script")
    hook = _first_shot(_grouped(template["hook"].get(angle, {}), facts), slots, rng)
    if hook is None:
        return None
    shots = [Shot(start=0.0, end=HOOK_SECONDS, role="hook", **hook)]
    demos = template["demo"].get(facts.group, template["demo"]["apparel"])
    names = list(template["structures"][angle][variant])
    for name in names + [fallback for fallback in _FALLBACK_DEMOS if fallback not in names]:
        if len(shots) > MIN_DEMOS and name in _FALLBACK_DEMOS:
            break
        filled = _first_shot([demos[name]], slots, rng) if name in demos else None
        if filled:
            start = shots[-1].end
            shots.append(Shot(start=start, end=start + DEMO_SECONDS, role="demo", **filled))
    cta = _first_shot(_grouped(template["cta"], facts), slots, rng)
    if cta is None or len(shots) < 3:
        return None
    shots.append(Shot(start=shots[-1].end, end=shots[-1].end + CTA_SECONDS, role="cta", **cta))
    return DraftContent(kind="video_script", shots=shots)


def _slots(facts: CreativeFacts, brand: BrandProfile, rng: random.Random) -> dict[str, str]:
    """Every placeholder value for this SKU; an empty string means the templates needing it are skipped."""
    common = _common()
    materials = facts.words("material")
    attribute = facts.material or ""
    composition = attribute if "%" in attribute and re.search(r"\d", attribute) else ""
    scenes = list(common["scenes"].get(facts.category, common["scenes"]["any"]))
    rng.shuffle(scenes)
    values = common["value_words_beauty" if facts.group == "beauty" else "value_words"][facts.price.position]
    praise = facts.praise
    answers = [(theme, common["answers"][theme.theme]) for theme in facts.objections
               if theme.theme in common["answers"]]
    colors = facts.colors[:4]
    slots = {
        "brand": brand_word(brand),
        "core": facts.core_keyword,
        "this": common["measure"].get(facts.category) or _grouped_text(common["measure"], facts),
        "material_word": materials[0] if materials else attribute if attribute and not composition
        and len(attribute) <= 6 else "",
        "composition": composition,
        "feature": next(iter(facts.words("feature")), ""),
        "style": next(iter(facts.words("style")), ""),
        "scene": scenes[0] if scenes else "",
        "scene2": scenes[1] if len(scenes) > 1 else "",
        "scene3": scenes[2] if len(scenes) > 2 else "",
        "audience_word": rng.choice(_grouped(common["audience_words"], facts)),
        "value_word": rng.choice(values),
        "value_phrase": rng.choice(common["value_phrases"][facts.price.position]),
        "praise_word": next((common["praise_words"][theme.theme] for theme in praise
                             if theme.theme in common["praise_words"]), ""),
        "praise_label": praise[0].label if praise else "",
        "praise_count": str(praise[0].mentions) if praise else "",
        "praise2_label": praise[1].label if len(praise) > 1 else "",
        "objection_label": answers[0][0].label if answers else "",
        "objection_answer": answers[0][1] if answers else "",
        "colors": "、".join(colors) if len(colors) > 1 else "",
        "n_colors": str(len(facts.colors)) if len(facts.colors) > 1 else "",
        "sizes": "/".join(facts.sizes),
        "size_range": _size_range(facts.sizes),
    }
    for number in range(3):
        slots[f"point{number + 1}"] = facts.selling_points[number] if len(facts.selling_points) > number else ""
    return slots


def _size_range(sizes: list[str]) -> str:
    if len(sizes) < 2:
        return ""
    # S-XL and 25-30 read as ranges; 30ml/50ml and 标准装/小样 are a list of choices
    if all(_LETTER_OR_NUMBER_SIZE.fullmatch(size) for size in sizes):
        return f"{sizes[0]}-{sizes[-1]}"
    return "/".join(sizes)


def _fill(template: str, slots: dict[str, str]) -> str | None:
    """The template with its placeholders filled, or None if any of them has no value for this SKU."""
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if any(not slots.get(name) for name in names):
        return None
    return template.format_map(slots)


def _first_fill(options: Sequence[str], slots: dict[str, str], rng: random.Random) -> str | None:
    shuffled = list(options)
    rng.shuffle(shuffled)
    return next((text for text in (_fill(option, slots) for option in shuffled) if text), None)


def _first_shot(options: Sequence[dict[str, str]], slots: dict[str, str],
                rng: random.Random) -> dict[str, str] | None:
    shuffled = list(options)
    rng.shuffle(shuffled)
    for option in shuffled:
        visual, voiceover = _fill(option["visual"], slots), _fill(option["voiceover"], slots)
        if visual and voiceover:
            return {"visual": visual, "voiceover": voiceover}
    return None


def _grouped(table: dict, facts: CreativeFacts) -> list:
    return table.get(facts.group) or table.get("any") or []


def _grouped_text(table: dict, facts: CreativeFacts) -> str:
    return table.get(facts.group) or table.get("any") or ""


@cache
def _common() -> dict:
    return tomllib.loads(load_prompt("creative_common.toml"))


@cache
def _template(kind: str) -> dict:
    return tomllib.loads(load_prompt(f"creative_{kind}.toml"))
