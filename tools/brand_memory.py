"""Brand memory: drafts the merchant kept, so later drafts for the same brand follow them.

Stored as JSON lines in a folder the caller chooses (the CLI uses the user data directory), never in the
shop database, which stays read-only for analysis. Two files: the drafts recently shown (so `keep` can find
one by its id) and the kept ones. Kept drafts steer later drafts: the offline backend prefers their
structures, the model backend gets them as few-shot examples.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from shopagent.tools.errors import ShopError

KEPT_FILE = "brand_memory.jsonl"
RECENT_FILE = "recent_drafts.jsonl"
RECENT_LIMIT = 300  # enough for a working session; older drafts can be drafted again with the same seed
FEW_SHOT_LIMIT = 3


class MemoryDraft(BaseModel):
    """A draft as memory stores it: enough to show it again and to follow its structure."""

    model_config = ConfigDict(frozen=True)

    id: str
    brand: str
    sku_id: str
    kind: str
    angle: str
    structure: str
    text: str
    backend: str
    kept_at: str | None = None  # set by the caller when kept; tools never read the clock


def remember_drafts(folder: Path, drafts: Sequence[MemoryDraft]) -> None:
    """Record drafts that were shown, so `keep DRAFT_ID` can find them; only the last RECENT_LIMIT stay."""
    path = folder / RECENT_FILE
    records = [*_read(path), *drafts]
    if len(records) > RECENT_LIMIT:
        _write(path, records[-RECENT_LIMIT:])
    else:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.writelines(draft.model_dump_json() + "\n" for draft in drafts)


def keep_draft(folder: Path, draft_id: str, *, kept_at: str | None = None) -> MemoryDraft:
    """Add a recently shown draft to the brand's memory; keeping it twice changes nothing."""
    draft_id = draft_id.strip()
    for kept in _read(folder / KEPT_FILE):
        if kept.id == draft_id:
            return kept
    shown = [draft for draft in _read(folder / RECENT_FILE) if draft.id == draft_id]
    if not shown:
        raise ShopError(f"no draft {draft_id!r} among the last {RECENT_LIMIT} drafts shown; draft again with "
                        "`shopagent creative draft SKU --kind ...` and keep one of the ids it prints",
                        file=str(folder / RECENT_FILE))
    kept = shown[-1].model_copy(update={"kept_at": kept_at})
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / KEPT_FILE).open("a", encoding="utf-8") as file:
        file.write(kept.model_dump_json() + "\n")
    return kept


def forget_draft(folder: Path, draft_id: str) -> MemoryDraft:
    """Remove a kept draft from the brand's memory."""
    records = _read(folder / KEPT_FILE)
    gone = [draft for draft in records if draft.id == draft_id.strip()]
    if not gone:
        raise ShopError(f"no kept draft {draft_id!r}; `shopagent creative kept` lists them",
                        file=str(folder / KEPT_FILE))
    _write(folder / KEPT_FILE, [draft for draft in records if draft.id != draft_id.strip()])
    return gone[0]


def kept_drafts(folder: Path, *, brand: str | None = None, kind: str | None = None) -> list[MemoryDraft]:
    """Kept drafts, oldest first, optionally for one brand and one kind."""
    return [draft for draft in _read(folder / KEPT_FILE)
            if (brand is None or draft.brand == brand) and (kind is None or draft.kind == kind)]


def preferred_structures(kept: Sequence[MemoryDraft], *, brand: str, kind: str) -> list[str]:
    """The brand's kept structures for this kind, most often kept first (ties: most recently kept first)."""
    mine = [draft.structure for draft in kept if draft.brand == brand and draft.kind == kind and draft.structure]
    counts = Counter(mine)
    latest = {structure: position for position, structure in enumerate(mine)}
    return sorted(counts, key=lambda structure: (-counts[structure], -latest[structure]))


def few_shot_examples(kept: Sequence[MemoryDraft], *, brand: str, kind: str,
                      limit: int = FEW_SHOT_LIMIT) -> list[MemoryDraft]:
    """The brand's most recently kept drafts of this kind, newest first, as examples for a model."""
    mine = [draft for draft in kept if draft.brand == brand and draft.kind == kind]
    return list(reversed(mine))[:limit]


def _read(path: Path) -> list[MemoryDraft]:
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(MemoryDraft.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as error:
            reason = str(error).splitlines()[0]
            raise ShopError(f"is not a stored draft ({reason}); delete that line or the file", file=str(path),
                            row=number) from None
    return records


def _write(path: Path, records: Sequence[MemoryDraft]) -> None:
    """Replace the file in one rename, so a crash never leaves half a memory behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("".join(record.model_dump_json() + "\n" for record in records), encoding="utf-8")
    os.replace(temporary, path)
