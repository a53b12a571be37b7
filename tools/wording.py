"""The planners' sentences in the merchant's language: templates in prompts/reasons.toml, filled with numbers."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Literal

from shopagent.prompts import load_prompt

Language = Literal["zh", "en"]


@cache
def _templates() -> dict[str, dict[str, dict[str, str]]]:
    return tomllib.loads(load_prompt("reasons.toml"))


def say(lang: Language, topic: str, key: str, **fields: object) -> str:
    """The `topic.key` sentence in `lang`, with `fields` filled in (every number comes from the caller)."""
    return _templates()[lang][topic][key].format(**fields)


def columns(lang: Language, topic: str, key: str) -> tuple[str, ...]:
    """The `topic.key` list of table column headings in `lang`."""
    return tuple(_templates()[lang][topic][key])
