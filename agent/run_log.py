"""The run log: one JSON line per answered question in the user data directory, so answers can be traced.

Each line has the question, backend, model, every tool call with its arguments, token usage and a fingerprint
of the shop data: enough to replay the turn against the same data and see whether it still answers the same.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from shopagent.location import data_dir

LOG_NAME = "agent_log.jsonl"


class LogEntry(BaseModel):
    """One turn as logged."""

    id: str
    time: str  # wall clock: when the merchant asked, unlike analysis dates, which come from the data
    question: str
    backend: str
    model: str | None
    tool_calls: list[dict[str, Any]]
    usage: dict[str, int]
    data_fingerprint: str
    database: str
    answer: str
    unsupported_numbers: list[str]
    corrected: bool
    seconds: float


def log_path() -> Path:
    return data_dir() / LOG_NAME


def new_id(question: str, when: datetime) -> str:
    """Sortable and short: the time to the second plus a hash of the question."""
    digest = hashlib.sha256(f"{when.isoformat()}|{question}".encode()).hexdigest()[:6]
    return f"{when:%Y%m%d-%H%M%S}-{digest}"


def append_entry(entry: LogEntry) -> Path:
    """Append one line; the directory is created on first use."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(entry.model_dump_json() + "\n")
    return path


def recent_entries(limit: int = 20) -> list[LogEntry]:
    """The last `limit` turns, oldest first; a damaged line is skipped rather than failing the listing."""
    path = log_path()
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines()[-limit:]:
        try:
            entries.append(LogEntry.model_validate(json.loads(line)))
        except (ValueError, ValidationError):
            continue
    return entries
