"""Platform export layouts as data (tools/data/formats/*.toml): how to recognise a file and read its columns."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from shopagent.tools.schema import Column, Kind, Table

FORMATS_DIR = Path(__file__).with_name("data") / "formats"

# how a field's text becomes a contract value; the SQL lives in platform_read.py
PARSE_KINDS = {"id": Kind.TEXT, "text": Kind.TEXT, "status": Kind.TEXT, "province": Kind.TEXT,
               "money": Kind.MONEY, "number": Kind.NUMBER, "date": Kind.DATE, "timestamp": Kind.TIMESTAMP}


@dataclass(frozen=True)
class Field:
    """One meaning a layout carries: the header names it may have (first found wins) and its parser."""

    name: str
    headers: tuple[str, ...]
    parse: str
    optional: bool = False  # the header may be absent
    blank_ok: bool = False  # values may be empty (never-paid orders have no 订单付款时间)
    hint: str = ""  # how to get the column when a download lacks it


@dataclass(frozen=True)
class Layout:
    """One platform export layout, read from its format file."""

    name: str
    title: str
    platform: str
    dataset: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    overlap: str | None = None
    rules: dict[str, list[str]] = field(default_factory=dict)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    channels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def required(self) -> tuple[Field, ...]:
        return tuple(item for item in self.fields if not item.optional)

    def match(self, header: list[str]) -> dict[str, str]:
        """Field name -> the header it is read from, for the fields this header carries."""
        present = set(header)
        found = {}
        for item in self.fields:
            name = next((candidate for candidate in item.headers if candidate in present), None)
            if name is not None:
                found[item.name] = name
        return found

    def missing(self, header: list[str]) -> list[str]:
        """The required fields' header names (first alias) this header lacks."""
        found = self.match(header)
        return [item.headers[0] for item in self.required if item.name not in found]

    def hints(self, missing: list[str]) -> list[str]:
        """How to get the missing headers, where the format file says."""
        return [item.hint for item in self.required if item.headers[0] in missing and item.hint]

    def table(self) -> Table:
        """The layout's fields as a table, so the contract's type and range rules check them at the source."""
        columns = tuple(Column(item.name, PARSE_KINDS[item.parse], optional=item.optional or item.blank_ok,
                               non_negative=PARSE_KINDS[item.parse] in (Kind.MONEY, Kind.NUMBER))
                        for item in self.fields)
        return Table(f"src_{self.name}", columns, key=self.key)


@cache
def layouts() -> tuple[Layout, ...]:
    """Every layout in the formats folder, in file-name order."""
    return tuple(_layout(path) for path in sorted(FORMATS_DIR.glob("*.toml")))


def _layout(path: Path) -> Layout:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    fields = []
    for name, spec in data["fields"].items():
        if spec["parse"] not in PARSE_KINDS:
            raise ValueError(f"{path.name}: field {name} has unknown parser {spec['parse']!r}")
        optional = bool(spec.get("optional", False))
        fields.append(Field(name, tuple(spec["headers"]), spec["parse"], optional,
                            optional or bool(spec.get("blank_ok", False)), spec.get("hint", "")))
    return Layout(name=path.stem, title=data["title"], platform=data["platform"], dataset=data["dataset"],
                  fields=tuple(fields), key=tuple(data.get("key", ())), overlap=data.get("overlap"),
                  rules=data.get("rules", {}), reasons=data.get("reasons", {}), channels=data.get("channels", {}))


def recognise(header: list[str]) -> tuple[Layout | None, Layout | None, list[str]]:
    """(layout the header is, closest layout if none, that one's missing headers)."""
    names = [cell.strip() for cell in header]
    # the most specific layout wins: a line export that also carries order columns is the line export
    complete = [layout for layout in layouts() if not layout.missing(names)]
    if complete:
        return max(complete, key=lambda layout: len(layout.required)), None, []
    best: tuple[float, Layout, list[str]] | None = None
    for layout in layouts():
        missing = layout.missing(names)
        share = 1 - len(missing) / len(layout.required)
        if best is None or share > best[0]:
            best = (share, layout, missing)
    if best is None:
        return None, None, []
    return None, best[1], best[2]


def closeness(header: list[str]) -> float:
    """Share of the closest layout's required headers present (1.0: a known layout)."""
    layout, closest, missing = recognise(header)
    if layout is not None:
        return 1.0
    if closest is None:
        return 0.0
    return 1 - len(missing) / len(closest.required)
