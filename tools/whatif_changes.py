"""The changes a what-if is asked about: `--price S001=+5%`, `--budget total=+20%`, `--stock S003=0`.

Each change is parsed into a `Change` (relative or absolute) and checked against the shop's catalog before
anything is simulated; a malformed or impossible request raises `RequestError`, which the CLI turns into
exit code 2 with a message that shows how to write it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.errors import RequestError, unknown_skus
from shopagent.tools.panel import ShopPanel

ChangeKind = Literal["price", "budget", "stock"]


class Change(BaseModel):
    """One requested change, as typed and as understood."""

    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    target: str  # a sku_id, or "total" for the shop's whole promotion budget
    text: str
    relative: float | None = None  # +0.05 for "+5%"
    absolute: float | None = None  # 129 for "=129"
    added: float | None = None  # +3 for a price "+3元": yuan on top of today's price


_VALUE = re.compile(r"^\s*(?P<value>[+-]?\d+(?:\.\d+)?)\s*(?:(?P<pct>%)|(?P<yuan>元|块|yuan|rmb))?\s*$", re.I)
EXAMPLES = {"price": "S001=+5%, S001=+3元 or S001=129", "budget": "S001=800, total=+20% or S001=0 (stopped)",
            "stock": "S001=0"}


def parse_assignments(texts: list[str], kind: ChangeKind) -> dict[str, str]:
    """`["S001=+5%", "S002=129"]` (the CLI's repeated option) as {"S001": "+5%", "S002": "129"}."""
    out: dict[str, str] = {}
    for text in texts:
        target, sign, value = text.partition("=")
        if not sign or not target.strip() or not value.strip():
            raise RequestError(f"--{kind} {text!r} is not understood; write it like {EXAMPLES[kind]}")
        if target.strip() in out:
            raise RequestError(f"--{kind} is given twice for {target.strip()}; give one change per SKU")
        out[target.strip()] = value.strip()
    return out


def parse_changes(*, price: Mapping[str, str | float] | None = None, budget: Mapping[str, str | float] | None = None,
                  stock: Mapping[str, str | float] | None = None) -> list[Change]:
    """Understand {"S001": "+5%"} / {"S001": 129} / {"total": "+20%"} / {"S001": 0}; RequestError if malformed."""
    changes: list[Change] = []
    for kind, given in (("price", price), ("budget", budget), ("stock", stock)):
        for target, value in sorted((given or {}).items()):
            changes.append(_change(kind, str(target).strip(), str(value).strip()))
    return changes


def _change(kind: ChangeKind, target: str, value: str) -> Change:
    text = f"{target}={value}"
    match = _VALUE.match(value)
    if not match:
        raise RequestError(f"--{kind} {text!r} is not understood; write it like {EXAMPLES[kind]}")
    number, pct, signed = float(match["value"]), match["pct"] == "%", match["value"][0] in "+-"
    if kind == "price" and signed and match["yuan"]:  # "+3元": yuan on top of today's price, which the
        return Change(kind=kind, target=target, text=text, added=number)  # simulation knows and checks
    if target.lower() == "total":
        if kind != "budget":
            raise RequestError(f"--{kind} {text!r}: 'total' only works with --budget (e.g. total=+20%)")
        target = "total"
    if kind == "stock":
        if number < 0:
            raise RequestError(f"--stock {text!r}: stock cannot be negative; {target}=0 is an empty shelf")
        if pct or signed or number != int(number):
            raise RequestError(f"--stock {text!r}: give the units on hand as a whole number, e.g. {target}=0")
        return Change(kind=kind, target=target, text=text, absolute=number)
    if pct:
        if number / 100 < -1 or (number / 100 == -1 and kind == "price"):  # a budget cut by 100% stops the ads
            raise RequestError(f"--{kind} {text!r} would make the {kind} "
                               f"{'negative' if kind == 'budget' else 'zero or negative'}")
        return Change(kind=kind, target=target, text=text, relative=number / 100)
    in_yuan = f" or in yuan ({target}={number:+g}元)" if kind == "price" else ""
    if number < 0:
        raise RequestError(f"--{kind} {text!r}: a {kind} cannot be negative; for a cut write it in %, "
                           f"e.g. {target}={number:+g}%{in_yuan}")
    if signed:
        raise RequestError(f"--{kind} {text!r}: write a change in % ({target}={number:+g}%){in_yuan}, or the "
                           f"new {kind} in yuan ({target}={number:g})")
    if kind == "price" and number == 0:
        raise RequestError(f"--price {text!r}: a price must be above zero")
    return Change(kind=kind, target=target, text=text, absolute=number)


def check_targets(changes: list[Change], panel: ShopPanel) -> None:
    """RequestError unless every change names a SKU that is in the catalog and on sale on the last day."""
    index = panel.catalog.index()
    for change in changes:
        if change.target == "total":
            continue
        if change.target not in index:
            raise RequestError(f"--{change.kind} {change.text!r}: {unknown_skus([change.target], set(index))}")
        row = index[change.target]
        if panel.catalog.status[row] != "active" or not np.isfinite(panel.price[row, -1]):
            raise RequestError(f"--{change.kind} {change.text!r}: {change.target} is not on sale on "
                                f"{panel.days[-1]}, so it has no baseline to change")
