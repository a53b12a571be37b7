"""The brand profile from brand.toml: voice, audience, must-include and forbidden words, title length."""

from __future__ import annotations

import tomllib

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shopagent.tools.errors import Problem


class BrandProfile(BaseModel):
    """How the brand speaks. Without a brand.toml a neutral default voice is used."""

    model_config = ConfigDict(frozen=True, extra="allow")

    name: str = ""
    voice: str = "清晰、真诚、不夸张"
    tone: str = "friendly"
    audience: str = ""
    must_include: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)
    title_max_bytes: int = Field(default=60, ge=10, le=120)


def parse_brand(text: str, file: str = "brand.toml") -> tuple[BrandProfile | None, list[Problem]]:
    """Parse brand.toml text; problems name the line (TOML syntax) or the key (wrong type)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        return None, [Problem(file=file, rule="invalid brand profile", row=line, reason=f"is not valid TOML: {error}")]
    try:
        return BrandProfile.model_validate(data), []
    except ValidationError as error:
        return None, [Problem(file=file, rule="invalid brand profile", column=".".join(map(str, item["loc"])),
                              reason=item["msg"], value=str(item.get("input"))[:80])
                      for item in error.errors()]
