"""The shapes of listing copy: Taobao title bytes and words, selling points, sectioned detail copy, video shot lists.

Both backends hand their drafts over as `DraftContent`; this module renders it to the text the merchant
pastes and lists every way it breaks the format, so the offline and the model path are held to one rule set.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shopagent.prompts import load_prompt

CreativeKind = Literal["title", "selling_points", "detail", "video_script"]
WordRole = Literal["brand", "core", "material", "style", "feature", "audience", "season", "modifier", "spec", "other"]

DETAIL_HEADINGS = ("痛点", "核心卖点", "使用场景", "细节参数", "售后保障")
SELLING_POINTS_RANGE = (3, 5)
SELLING_POINT_MAX_CHARS = 24  # one line on a phone's item page; longer reads as a paragraph
HOOK_SECONDS = 3.0  # viewers decide in the first three seconds whether to keep watching
DEMO_SECONDS = (1.5, 2.5)  # ~2 s per demonstration shot keeps the cut rhythm of short-video feeds
CTA_SECONDS = (1.5, 4.0)
SCRIPT_MAX_SECONDS = 30.0

_CJK = re.compile(r"[\u3400-\u9fff]")
_SPEC = re.compile(r"\d+(?:\.\d+)?(?:ml|mL|ML|g|kg|cm|片|支|件)")


class TitleWord(BaseModel):
    """One word of a listing title and the role it plays in the title formula."""

    model_config = ConfigDict(frozen=True)

    word: str
    role: WordRole


class Section(BaseModel):
    """One section of detail-page copy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    heading: str
    body: str


class Shot(BaseModel):
    """One shot of a short-video script; times in seconds from the start."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: float
    end: float
    role: Literal["hook", "demo", "cta"]
    visual: str
    voiceover: str


class DraftContent(BaseModel):
    """What a backend proposes for one draft; which fields are used depends on `kind`."""

    model_config = ConfigDict(frozen=True)

    kind: CreativeKind
    text: str = ""  # title
    points: list[str] = Field(default_factory=list)  # selling_points
    sections: list[Section] = Field(default_factory=list)  # detail
    shots: list[Shot] = Field(default_factory=list)  # video_script

    def rendered(self) -> str:
        """The copy as the merchant pastes it."""
        if self.kind == "title":
            return self.text
        if self.kind == "selling_points":
            return "\n".join(self.points)
        if self.kind == "detail":
            return "\n".join(f"【{section.heading}】{section.body}" for section in self.sections)
        return "\n".join(f"{timecode(shot.start)}-{timecode(shot.end)} {_SHOT_NAMES[shot.role]}｜画面：{shot.visual}"
                         f"｜口播：{shot.voiceover}" for shot in self.shots)

    def rewrite(self, change: Callable[[str], str]) -> DraftContent:
        """The same draft with `change` applied to every piece of copy (headings and times are ours, not copy)."""
        return self.model_copy(update={
            "text": change(self.text) if self.text else "",
            "points": [change(point) for point in self.points],
            "sections": [section.model_copy(update={"body": change(section.body)}) for section in self.sections],
            "shots": [shot.model_copy(update={"visual": change(shot.visual), "voiceover": change(shot.voiceover)})
                      for shot in self.shots],
        })


_SHOT_NAMES = {"hook": "开场钩子", "demo": "展示", "cta": "行动号召"}


def taobao_bytes(text: str) -> int:
    """Title length as Taobao counts it: one byte per ASCII character, two for every other (CJK) character."""
    return sum(1 if ord(char) < 128 else 2 for char in text)


def timecode(seconds: float) -> str:
    """00:03, or 00:03.5 for a half second."""
    whole, fraction = divmod(round(seconds * 10), 10)
    minutes, rest = divmod(whole, 60)
    return f"{minutes:02d}:{rest:02d}" + (f".{fraction}" if fraction else "")


def category_group(category: str) -> str:
    """apparel, beauty or general: which family of templates a category uses."""
    name = category.strip().casefold()
    for group, names in _words()["groups"].items():
        if name in {item.casefold() for item in names}:
            return group
    return "general"


def default_core(category: str) -> str:
    """The core keyword for a category whose title names no product noun we know."""
    return _words()["core_by_category"].get(category.strip().casefold(), category.strip())


def segment_title(title: str) -> list[TitleWord]:
    """Split a listing title into known words (longest first); unknown runs become `other` words."""
    lexicon = _lexicon()
    words: list[TitleWord] = []
    unknown = ""
    at = 0
    while at < len(title):
        if title[at].isspace():
            unknown, at = _flush(words, unknown), at + 1
            continue
        spec = _SPEC.match(title, at)
        match = next((word for word in lexicon.ordered if title.startswith(word, at)), None)
        if spec and (match is None or spec.end() - at >= len(match)):
            unknown = _flush(words, unknown)
            words.append(TitleWord(word=spec.group(), role="spec"))
            at = spec.end()
        elif match is not None:
            unknown = _flush(words, unknown)
            words.append(TitleWord(word=match, role=lexicon.roles[match]))
            at += len(match)
        else:
            unknown += title[at]
            at += 1
    _flush(words, unknown)
    return words


def repeated_words(text: str) -> list[str]:
    """Two-character Chinese words that occur more than once, a proxy for a title repeating a keyword."""
    seen: set[str] = set()
    repeated: list[str] = []
    for start in range(len(text) - 1):
        pair = text[start : start + 2]
        if _CJK.fullmatch(pair[0]) and _CJK.fullmatch(pair[1]):
            if pair in seen and pair not in repeated:
                repeated.append(pair)
            seen.add(pair)
    return repeated


def drop_repeats(title: str) -> str:
    """The title with the later occurrence of every repeated two-character word removed (高品质品质 -> 高品质)."""
    for word in repeated_words(title):
        first = title.index(word) + len(word)
        title = title[:first] + title[first:].replace(word, "")
    return title


def join_title(parts: Sequence[str], *, max_bytes: int, keep: int) -> str:
    """Join title words in order, skipping repeats, then drop the last droppable words until the title fits.

    The first `keep` parts (brand, must-include words, core keyword) are never dropped.
    """
    chosen: list[tuple[str, bool]] = []
    for index, part in enumerate(parts):
        part = part.strip()
        if not part or any(part in existing or existing in part for existing, _ in chosen):
            continue
        if repeated_words(_glue([word for word, _ in chosen] + [part])):
            continue
        chosen.append((part, index < keep))
    while taobao_bytes(_glue([word for word, _ in chosen])) > max_bytes:
        droppable = [position for position, (_, kept) in enumerate(chosen) if not kept]
        if not droppable:
            break
        chosen.pop(droppable[-1])
    return _glue([word for word, _ in chosen])


def shorten_title(title: str, *, max_bytes: int, keep: Sequence[str]) -> str:
    """Drop whole words from the end of a too-long title, never one of `keep`; cut characters only as a last resort."""
    words = [word.word for word in segment_title(title)]
    protected = [any(word in kept or kept in word for kept in keep if kept) for word in words]
    while taobao_bytes(_glue(words)) > max_bytes:
        droppable = [position for position, kept in enumerate(protected) if not kept]
        if not droppable:
            break
        position = droppable[-1]
        words.pop(position)
        protected.pop(position)
    text = _glue(words)
    while taobao_bytes(text) > max_bytes:
        text = text[:-1]
    return text


def format_problems(content: DraftContent, *, max_title_bytes: int, must_include: Sequence[str]) -> list[str]:
    """Every way the draft breaks its format or misses a must-include word; empty when it may be shown."""
    text = content.rendered()
    problems = [f"missing the brand's must-include word “{word}”" for word in must_include if word and word not in text]
    if content.kind == "title":
        size = taobao_bytes(content.text)
        if size > max_title_bytes:
            problems.append(f"title is {size} bytes; Taobao allows {max_title_bytes} (a Chinese character counts 2)")
        if "\n" in content.text or not content.text.strip():
            problems.append("a title is one non-empty line")
        problems.extend(f"title repeats the word “{word}”" for word in repeated_words(content.text))
    elif content.kind == "selling_points":
        low, high = SELLING_POINTS_RANGE
        if not low <= len(content.points) <= high:
            problems.append(f"{len(content.points)} selling points; write {low} to {high}")
        problems.extend(f"selling point “{point}” is {len(point)} characters; keep each within "
                        f"{SELLING_POINT_MAX_CHARS}" for point in content.points
                        if len(point) > SELLING_POINT_MAX_CHARS)
        problems.extend("a selling point is one non-empty line" for point in content.points
                        if "\n" in point or not point.strip())
    elif content.kind == "detail":
        headings = tuple(section.heading for section in content.sections)
        if headings != DETAIL_HEADINGS:
            problems.append(f"detail sections are {'/'.join(headings) or 'missing'}; use {'/'.join(DETAIL_HEADINGS)}")
        problems.extend(f"section {section.heading} is empty" for section in content.sections
                        if not section.body.strip())
    else:
        problems.extend(_script_problems(content.shots))
    return problems


def _script_problems(shots: Sequence[Shot]) -> list[str]:
    if len(shots) < 3:
        return [f"{len(shots)} shots; a script needs a hook, demonstration shots and a call to action"]
    problems = []
    if shots[0].role != "hook" or shots[0].start != 0 or abs(shots[0].end - HOOK_SECONDS) > 1e-9:
        problems.append(f"the first shot must be the hook, 00:00-{timecode(HOOK_SECONDS)}")
    if shots[-1].role != "cta" or not CTA_SECONDS[0] <= shots[-1].end - shots[-1].start <= CTA_SECONDS[1]:
        problems.append(f"the last shot must be the call to action, {CTA_SECONDS[0]:g}-{CTA_SECONDS[1]:g} s long")
    for before, after in zip(shots, shots[1:], strict=False):
        if abs(after.start - before.end) > 1e-9:
            problems.append(f"gap or overlap at {timecode(before.end)}: shots must follow each other")
    for shot in shots[1:-1]:
        if shot.role != "demo" or not DEMO_SECONDS[0] <= shot.end - shot.start <= DEMO_SECONDS[1]:
            problems.append(f"shot at {timecode(shot.start)} must be a demonstration of "
                            f"{DEMO_SECONDS[0]:g}-{DEMO_SECONDS[1]:g} s")
    if shots[-1].end > SCRIPT_MAX_SECONDS:
        problems.append(f"script runs {shots[-1].end:g} s; keep it within {SCRIPT_MAX_SECONDS:g} s")
    problems.extend(f"shot at {timecode(shot.start)} has no voice-over or visual" for shot in shots
                    if not shot.visual.strip() or not shot.voiceover.strip())
    return problems


def _glue(words: Sequence[str]) -> str:
    """Chinese title words run together; a space only where two Latin words would otherwise merge."""
    text = ""
    for word in words:
        if text and text[-1].isascii() and text[-1].isalnum() and word[:1].isascii() and word[:1].isalnum():
            text += " "
        text += word
    return text


def _flush(words: list[TitleWord], unknown: str) -> str:
    if unknown.strip():
        words.append(TitleWord(word=unknown.strip(), role="other"))
    return ""


class _Lexicon(BaseModel):
    roles: dict[str, WordRole]
    ordered: tuple[str, ...]  # longest first, so 宽松圆领 wins over 宽松


@cache
def _words() -> dict:
    return tomllib.loads(load_prompt("creative_words.toml"))


@cache
def _lexicon() -> _Lexicon:
    roles: dict[str, WordRole] = {}
    for role, words in _words()["roles"].items():
        for word in words:
            if word in roles:
                raise ValueError(f"creative_words.toml lists “{word}” under both {roles[word]} and {role}")
            roles[word] = role
    return _Lexicon(roles=roles, ordered=tuple(sorted(roles, key=lambda word: (-len(word), word))))
