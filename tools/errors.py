"""The one user-facing error type: what went wrong, where (file, row, column) and what to do."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ShopError(Exception):
    """A request failed because of the shop's data or the user's request; the CLI exits 1."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (
                self.file,
                f"line {self.row}" if self.row is not None else None,
                f"column '{self.column}'" if self.column else None,
            ) if part
        )
        return f"{where}: {self.message}" if where else self.message


class RequestError(ShopError):
    """The request itself is wrong (unknown SKU, malformed or impossible value): the CLI exits 2."""


def unknown_skus(unknown: list[str], known: frozenset[str] | set[str] = frozenset()) -> RequestError:
    """The error for SKU ids the shop does not have: the id each one most likely means ("S43" -> S043), else
    the query that lists the ones it has."""
    from shopagent.tools.sku_ids import catalogue_id, catalogue_ids

    by_number = catalogue_ids(known)
    meant = {sku: catalogue_id(sku, known, by_number) for sku in unknown}
    hints = [f"{sku} (did you mean {meant[sku]}?)" if meant[sku] else sku for sku in unknown]
    return RequestError(f"unknown SKU(s): {', '.join(hints)}; list them with "
                        "`shopagent sql \"SELECT sku_id, title FROM products ORDER BY sku_id\"`")


class Problem(BaseModel):
    """One thing wrong with an import folder, located as precisely as the file allows."""

    model_config = ConfigDict(frozen=True)

    file: str
    rule: str
    reason: str
    row: int | None = None  # line number in the file, header = line 1 (Parquet: record number)
    column: str | None = None
    value: str | None = None

    def describe(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" line {self.row}"
        if self.column:
            where += f" column '{self.column}'"
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: {self.reason}{shown}"


class ProblemGroup(BaseModel):
    """Every problem of one rule in one file: how many, and the first few as examples."""

    model_config = ConfigDict(frozen=True)

    file: str
    rule: str
    count: int
    examples: list[Problem]


class ImportRejected(ShopError):
    """A folder broke the data contract; nothing was written. Carries every problem, grouped."""

    def __init__(self, folder: str, groups: list[ProblemGroup]) -> None:
        self.folder = folder
        self.groups = groups
        self.total = sum(group.count for group in groups)
        first = groups[0].examples[0] if groups and groups[0].examples else None
        super().__init__(self.render(), file=first.file if first else None,
                         row=first.row if first else None, column=first.column if first else None)

    def render(self, per_group: int = 5) -> str:
        lines = [f"{self.folder} was rejected with {self.total} problem(s) in {len(self.groups)} group(s); "
                 "nothing was imported and the database is unchanged."]
        for group in self.groups:
            lines.append(f"  {group.file} - {group.rule}: {group.count} row(s)")
            lines.extend(f"    {problem.describe()}" for problem in group.examples[:per_group])
            if group.count > per_group:
                lines.append(f"    ... and {group.count - per_group} more")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()
