"""The model backend of creative drafting: prompt a chat model from prompts/, parse its JSON, vet every draft.

The model only proposes. Its reply is parsed and validated against a pydantic schema, and each draft then
goes through the same `vet_draft` as the offline drafts (ad-law repair, must-include, length). A reply that
is not valid JSON, or drafts that cannot be repaired, are sent back with the reason, at most MAX_TRIES
requests in all. The model sees the grounded facts only: review themes as our labels, never review text,
and the listing's words with the ad-law violations already held back.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from functools import cache
from string import Template
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from shopagent.prompts import load_prompt
from shopagent.tools.brand import BrandProfile
from shopagent.tools.brand_memory import MemoryDraft, few_shot_examples
from shopagent.tools.creative import MAX_DRAFTS, MAX_TRIES, CreativeDraft, CreativeDrafts, DraftChange, vet_draft
from shopagent.tools.creative_facts import CreativeFacts, brand_word
from shopagent.tools.creative_formats import CreativeKind, DraftContent, Section, Shot
from shopagent.tools.creative_offline import ANGLES
from shopagent.tools.errors import ShopError


class Complete(Protocol):
    """One chat-completions call: messages in, the assistant's text out."""

    def __call__(self, messages: list[dict[str, str]], *, response_format: dict | None) -> str: ...


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    angle: str


class _Title(_Draft):
    text: str


class _Points(_Draft):
    points: list[str]


class _Detail(_Draft):
    sections: list[Section]


class _Script(_Draft):
    shots: list[Shot]


_SHAPES: dict[str, type[_Draft]] = {"title": _Title, "selling_points": _Points, "detail": _Detail,
                                    "video_script": _Script}


def response_format(kind: CreativeKind) -> dict:
    """The structured-output request: a JSON schema for {"drafts": [...]} of this kind."""
    shape = _SHAPES[kind]

    class Reply(BaseModel):
        model_config = ConfigDict(extra="forbid")

        drafts: list[shape]  # type: ignore[valid-type]

    return {"type": "json_schema",
            "json_schema": {"name": f"creative_{kind}", "strict": True, "schema": Reply.model_json_schema()}}


def parse_reply(kind: CreativeKind, reply: str) -> list[tuple[str, DraftContent]]:
    """(angle, content) of every draft in the model's reply; ValueError says what is wrong with it."""
    text = re.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", reply)  # models often fence JSON despite being told not to
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"the reply is not valid JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("drafts"), list):
        raise ValueError('the reply is not an object with a "drafts" list')
    parsed = []
    for number, item in enumerate(data["drafts"], start=1):
        try:
            draft = _SHAPES[kind].model_validate(item)
        except ValidationError as error:
            first = error.errors()[0]
            raise ValueError(f"draft {number} does not match the schema: {'.'.join(map(str, first['loc']))}: "
                             f"{first['msg']}") from None
        content = DraftContent(kind=kind, **draft.model_dump(exclude={"angle"}))
        parsed.append((draft.angle.strip().lower(), content))
    return parsed


def draft_with_model(facts: CreativeFacts, brand: BrandProfile, kind: CreativeKind, n: int, *, complete: Complete,
                     backend: str, model: str | None = None, memory: Sequence[MemoryDraft] = ()) -> CreativeDrafts:
    """Ask the model for n drafts, vet each one, and send back what failed (at most MAX_TRIES requests)."""
    if not 1 <= n <= MAX_DRAFTS:
        raise ShopError(f"n must be between 1 and {MAX_DRAFTS}, not {n}")
    examples = few_shot_examples(memory, brand=brand.name, kind=kind)
    messages = [{"role": "system", "content": _system_prompt(brand)},
                {"role": "user", "content": _request(facts, brand, kind, n, examples)}]
    drafts: list[CreativeDraft] = []
    notes: list[str] = []
    retry_reason = ""
    for attempt in range(1, MAX_TRIES + 1):
        reply = complete(messages, response_format=response_format(kind))
        messages.append({"role": "assistant", "content": reply})
        try:
            proposals = parse_reply(kind, reply)
        except ValueError as error:
            notes.append(f"request {attempt}: {error}")
            retry_reason = str(error)
            messages.append({"role": "user", "content": _text("correction_json", error=error, n=n - len(drafts))})
            continue
        problems: list[str] = []
        accepted = 0
        for number, (angle, content) in enumerate(proposals, start=1):
            if len(drafts) == n:
                break
            regenerated = [DraftChange(kind="regenerated", before="", after="", reason=f"request {attempt}: "
                                       f"{retry_reason}")] if attempt > 1 and retry_reason else []
            vetted = vet_draft(content, angle=angle if angle in ANGLES else "other", structure=f"{kind}.{angle}",
                               facts=facts, brand=brand, attempts=attempt, changes=regenerated)
            if vetted.draft is None:
                problems.append(f"- draft {number}: {'; '.join(vetted.problems)}")
            elif all(vetted.draft.text != other.text for other in drafts):
                drafts.append(vetted.draft)
                accepted += 1
        if len(drafts) == n:
            break
        if problems:
            notes.append(f"request {attempt}: {len(problems)} draft(s) rejected: " + " ".join(problems))
        retry_reason = "; ".join(problems) or f"{len(proposals)} draft(s) instead of {n}"
        messages.append({"role": "user", "content": _text("correction_rules", accepted=accepted, n=n - len(drafts),
                                                          problems="\n".join(problems) or retry_reason)})
    if not drafts:
        raise ShopError(f"the model gave no usable {kind} draft in {MAX_TRIES} requests ({'; '.join(notes)}); "
                        "try again, use a stronger model, or use --backend offline")
    if len(drafts) < n:
        notes.append(f"{len(drafts)} draft(s) instead of {n} after {MAX_TRIES} requests")
    return CreativeDrafts(sku_id=facts.sku_id, kind=kind, backend=backend, model=model, brand=brand.name,
                          drafts=drafts, withheld=facts.withheld, notes=notes,
                          memory_used=[example.id for example in examples])


def backend_complete(name: str, model: str | None) -> tuple[Complete, str | None]:
    """A `Complete` over the agent's chat backend `name` (e.g. openai), and the model it resolved to."""
    from shopagent.backends.base import get_backend

    chat_model = get_backend(name).chat_model(model)

    def complete(messages: list[dict[str, str]], *, response_format: dict | None) -> str:
        options = {"response_format": response_format} if response_format else {}
        content = chat_model.invoke(messages, **options).content
        if isinstance(content, str):
            return content
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)

    return complete, getattr(chat_model, "model", model)


def _system_prompt(brand: BrandProfile) -> str:
    return Template(load_prompt("creative_system.md")).safe_substitute(
        brand_name=brand.name or "(unnamed)", voice=brand.voice, tone=brand.tone, audience=brand.audience or "—",
        forbidden="、".join(brand.forbidden) or "—", must_include="、".join(brand.must_include) or "—")


def _request(facts: CreativeFacts, brand: BrandProfile, kind: CreativeKind, n: int,
             examples: Sequence[MemoryDraft]) -> str:
    spec = _templates()["kinds"][kind]
    rules = Template(spec["rules"]).safe_substitute(max_bytes=brand.title_max_bytes, brand_word=brand_word(brand))
    items = "\n".join(f"- ({example.angle}) {json.dumps(example.text, ensure_ascii=False)}" for example in examples)
    return _text("request", n=n, kind_name=spec["name"], angles=", ".join(ANGLES), kind_rules=rules,
                 facts=json.dumps(_facts_for_model(facts, brand), ensure_ascii=False, indent=1),
                 examples=_text("examples", items=items) if examples else "")


def _facts_for_model(facts: CreativeFacts, brand: BrandProfile) -> dict:
    """What the model may build on: cleaned listing words and attributes, price position, review themes."""
    answers = tomllib.loads(load_prompt("creative_common.toml"))["answers"]
    return {
        "brand_word": brand_word(brand), "category": facts.category, "core_keyword": facts.core_keyword,
        "listing_words": [{"word": word.word, "role": word.role} for word in facts.title_words],
        "material": facts.material, "colors": facts.colors, "sizes": facts.sizes,
        "selling_points": facts.selling_points,
        "price_vs_competitor": facts.price.position,
        "buyers_praise": [{"theme": theme.label, "mentions": theme.mentions} for theme in facts.praise],
        "buyers_worry_about": [{"theme": theme.label, "mentions": theme.mentions,
                                "suggested_answer": answers.get(theme.theme, "")} for theme in facts.objections],
    }


def _text(name: str, **values: object) -> str:
    return Template(_templates()[name]).safe_substitute({key: str(value) for key, value in values.items()})


@cache
def _templates() -> dict:
    return tomllib.loads(load_prompt("creative_model.toml"))

