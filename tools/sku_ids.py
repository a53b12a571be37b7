"""SKU ids as merchants type them: "s12", "S-12" or "S0012" is the catalogue's S012 when exactly one id matches."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WRITTEN_SKU = re.compile(r"([A-Za-z]+)[-_ ]?0*(\d+)")


def catalogue_ids(known: Iterable[str]) -> dict[tuple[str, int], list[str]]:
    """The catalogue's ids by (letters, number): the key a typed id is matched on."""
    by_number: dict[tuple[str, int], list[str]] = {}
    for sku in known:
        found = _WRITTEN_SKU.fullmatch(sku)
        if found:
            by_number.setdefault((found.group(1).upper(), int(found.group(2))), []).append(sku)
    return by_number


def catalogue_id(written: str, known: frozenset[str] | set[str],
                 by_number: dict[tuple[str, int], list[str]] | None = None) -> str | None:
    """The one catalogue id `written` means ("s43" -> "S043"), itself if the catalogue has it, else None."""
    if written in known:
        return written
    found = _WRITTEN_SKU.fullmatch(written.strip())
    if found is None:
        return None
    matches = (by_number if by_number is not None else catalogue_ids(known)).get(
        (found.group(1).upper(), int(found.group(2))), [])
    return matches[0] if len(matches) == 1 else None
