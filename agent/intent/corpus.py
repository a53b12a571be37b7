"""The generated paraphrase corpus the intent model is trained on: templates x synonyms x slot values x typos,
in Chinese and English, written the way merchants write (投产/roi/ROI, 预算拉到一万, 掉量, 2k/两千/2000).

`corpus(seed)` is a pure function of the seed. The templates, synonyms, slot values and typos are data, in
corpus.toml: templates use {field}s, filled from [synonyms] or else [slots].
"""

from __future__ import annotations

import random
import re
import tomllib
from functools import cache
from importlib import resources

_FIELD = re.compile(r"\{(\w+)\}")


@cache
def library() -> dict:
    return tomllib.loads(resources.files("shopagent.intent").joinpath("corpus.toml").read_text("utf-8"))


def corpus(seed: int = 0, per_template: int = 14) -> list[tuple[str, str, str]]:
    """(text, intent, language) rows: every template filled `per_template` times, some with a typo, deduplicated."""
    rows = {row[0]: row for rows in corpus_by_template(seed, per_template) for row in rows}
    return sorted(rows.values(), key=lambda row: (row[1], row[2], row[0]))


def corpus_by_template(seed: int = 0, per_template: int = 14) -> list[list[tuple[str, str, str]]]:
    """The corpus's rows grouped by the template that wrote them, in the library's order (a question two
    templates both wrote stays with the first)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    groups: list[list[tuple[str, str, str]]] = []
    for intent, languages in library()["templates"].items():
        for language, templates in languages.items():
            for written in templates:
                group = []
                for _ in range(per_template):
                    text = fill(written, rng)
                    if rng.random() < 0.15:
                        text = _typo(text, rng)
                    if rng.random() < 0.3 and language == "en":
                        text = text.lower() if rng.random() < 0.5 else text.capitalize()
                    if text not in seen:
                        seen.add(text)
                        group.append((text, intent, language))
                groups.append(group)
    return groups


def fill(written: str, rng: random.Random) -> str:
    """One reading of a template: each field drawn from its synonyms or slot values (nested fields too)."""
    data = library()
    for _ in range(3):
        if "{" not in written:
            break
        written = _FIELD.sub(lambda match: rng.choice(data["synonyms"].get(match.group(1))
                                                      or data["slots"][match.group(1)]), written)  # noqa: B023
    return written


def _typo(text: str, rng: random.Random) -> str:
    present = [(right, wrong) for right, wrong in library()["typos"]["pairs"] if right in text]
    if present:
        right, wrong = rng.choice(present)
        return text.replace(right, wrong, 1)
    if len(text) > 6:  # a doubled or dropped character
        at = rng.randrange(1, len(text) - 1)
        return text[:at] + text[at] * 2 + text[at + 1:] if rng.random() < 0.5 else text[:at] + text[at + 1:]
    return text
