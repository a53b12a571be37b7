"""Reads a merchant's export files (CSV in UTF-8/GBK/GB18030, or Parquet) into staging tables of text."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from shopagent.tools.errors import Problem
from shopagent.tools.schema import TABLES, Table

_CHUNK = 1 << 22


@dataclass
class StagedFile:
    """One file read into the staging table `raw_<table>`: every value as text, rows in file order."""

    table: Table
    path: Path
    encoding: str
    rows: int = 0
    first_line: int = 2  # line of the first data row (CSV: after the header; Parquet: record 1)
    rejected_lines: list[int] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # platform exports: the contract column a source header feeds, shown in messages instead of the field
    column_labels: dict[str, str] = field(default_factory=dict)
    # built from platform exports: each row carries its source `_file` and `_line` instead of a rowid
    traced: bool = False
    # built from platform exports whose own checks passed: the row rules (their `bad` predicates) that hold by
    # construction, and the columns whose every value is, by construction, in that column of another staged table
    held_rules: frozenset[str] = frozenset()
    within: dict[str, StagedFile] = field(default_factory=dict)

    @property
    def staging(self) -> str:
        return f"raw_{self.table.name}"

    def label(self, column: str) -> str:
        """The column as the merchant's file names it."""
        return ", ".join(self.column_labels.get(name, name) for name in column.split(", "))

    def locate(self, con: duckdb.DuckDBPyConnection, rowids: list[int]) -> dict[int, tuple[str, int]]:
        """(file, line) of staging rows: the file's own lines, or the platform export a row came from."""
        if not self.traced:
            return {rowid: (self.path.name, self.line_of(rowid)) for rowid in rowids}
        if not rowids:
            return {}
        found = con.execute(f"SELECT rowid, _file, _line FROM {self.staging} "
                            f"WHERE rowid IN ({', '.join(str(int(row)) for row in rowids)})").fetchall()
        return {rowid: (file, line) for rowid, file, line in found}

    def line_of(self, rowid: int) -> int:
        """The line in the file of staging row `rowid`, counting the malformed lines DuckDB skipped."""
        line = rowid + self.first_line
        for rejected in self.rejected_lines:
            if rejected > line:
                break
            line += 1
        return line

    @property
    def usable(self) -> bool:
        """Row-level checks make sense only if the file parsed and has every required column."""
        return not any(problem.rule in _FATAL_RULES for problem in self.problems)


# where a platform export can stand in for a required table, or why none can
_FROM_PLATFORM = {
    "products": " (no platform export carries unit costs, categories or launch dates: keep your own products.csv)",
    "price_history": " (no platform export carries the daily shelf price)",
    "traffic": ", nor a 生意参谋 商品流量来源 sheet (分日)",
    "orders": ", nor a 千牛 订单报表 (ExportOrderList*.csv/xlsx) or 拼多多 订单明细",
    "order_items": ", nor a 千牛 宝贝报表 (ExportOrderDetailList*.csv) or 拼多多 订单明细",
    "promotion_daily": ", nor a 万相台 商品报表 (商品报表_*.csv) with its plan settings",
    "inventory_daily": " (no platform export carries daily stock)",
}
_FATAL_RULES = {"unreadable file", "missing column", "empty file", "duplicate column"}


def find_table_files(folder: Path, fed: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, Path],
                                                                                     list[Problem]]:
    """Map each contract table to its file in `folder`; a missing required table (that no platform
    export in `fed` fills) is a problem."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    entries = {path.name.lower(): path for path in folder.iterdir() if path.is_file()}
    for table in TABLES:
        candidates = [entries[name] for name in (f"{table.name}.csv", f"{table.name}.parquet") if name in entries]
        if len(candidates) > 1:
            problems.append(Problem(file=candidates[0].name, rule="ambiguous file",
                                    reason=f"both {candidates[0].name} and {candidates[1].name} exist; keep one"))
        elif candidates:
            found[table.name] = candidates[0]
        elif table.required and table.name not in fed:
            problems.append(Problem(file=f"{table.name}.csv", rule="missing file",
                                    reason=f"required table '{table.name}' has no {table.name}.csv or "
                                           f"{table.name}.parquet in {folder}" + _FROM_PLATFORM[table.name]))
    return found, problems


def detect_encoding(path: Path) -> tuple[str | None, Problem | None]:
    """The file's text encoding: utf-8 (with or without BOM), utf-16 (with BOM) or gb18030 (GBK's superset)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    furthest: tuple[str, int, int] | None = None
    for encoding in candidates:
        failure = _first_undecodable(path, encoding)
        if failure is None:
            return encoding, None
        # a GBK file fails as UTF-8 on its first Chinese line; the bad byte is where GB18030 stops
        if furthest is None or failure[0] > furthest[1]:
            furthest = (encoding, *failure)
    encoding, line, byte = furthest  # type: ignore[misc]
    tried = " or ".join(candidates)
    return None, Problem(file=path.name, rule="unreadable file", row=line,
                         reason=f"is not valid {tried} text (byte 0x{byte:02x} on this line cannot be "
                                f"decoded); save the export as UTF-8 or GBK")


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """(line, byte) of the first byte that does not decode, or None if the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return lines_before + chunk[: error.start].count(b"\n") + 1, chunk[error.start]
            lines_before += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines_before + 1, 0
    return None


def as_utf8(path: Path, encoding: str, workdir: Path) -> Path:
    """DuckDB reads UTF-8 only; other encodings are transcoded to a scratch copy first."""
    if encoding in ("utf-8", "utf-8-sig"):
        return path
    target = workdir / f"{path.stem}.utf8.csv"
    with path.open("r", encoding=encoding, newline="") as source, target.open("w", encoding="utf-8",
                                                                                newline="") as sink:
        while chunk := source.read(_CHUNK):
            sink.write(chunk)
    return target


def _header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    return next(csv.reader(io.StringIO(first)), [])


def stage_file(con: duckdb.DuckDBPyConnection, table: Table, path: Path, workdir: Path) -> StagedFile:
    """Read one CSV or Parquet file into `raw_<table>` as text, recording every parse problem."""
    if path.suffix.lower() == ".parquet":
        return _stage_parquet(con, table, path)
    staged = StagedFile(table=table, path=path, encoding="utf-8")
    if path.stat().st_size == 0:
        staged.problems.append(Problem(file=path.name, rule="empty file",
                                       reason="is empty; it needs a header line with the contract's columns"))
        return staged
    encoding, problem = detect_encoding(path)
    if problem:
        staged.problems.append(problem)
        return staged
    staged.encoding = encoding or "utf-8"
    readable = as_utf8(path, staged.encoding, workdir)
    header = [name.strip() for name in _header(readable)]
    if not _check_header(staged, header):
        return staged
    columns = "{" + ", ".join(f"'{_sql_str(name)}': 'VARCHAR'" for name in header) + "}"
    rejects = f"rejects_{table.name}"
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {staged.staging} AS "
            f"SELECT * FROM read_csv(?, auto_detect=false, header=true, delim=',', quote='\"', "
            f"escape='\"', columns={columns}, store_rejects=true, rejects_table='{rejects}', "
            f"rejects_scan='scan_{rejects}')",
            [str(readable)],
        )
    except duckdb.Error as error:
        staged.problems.append(Problem(file=path.name, rule="unreadable file",
                                       reason=f"could not be parsed as CSV: {str(error).splitlines()[0]}"))
        return staged
    for line, column, message in con.execute(
        f"SELECT line, column_name, error_message FROM {rejects} ORDER BY line, column_name NULLS FIRST LIMIT 100000"
    ).fetchall():
        staged.problems.append(Problem(file=path.name, rule="malformed line", row=line, column=column,
                                       reason=message))
        staged.rejected_lines.append(line)
    staged.rejected_lines = sorted(set(staged.rejected_lines))
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS scan_{rejects}")
    return _finish(con, staged)


def _stage_parquet(con: duckdb.DuckDBPyConnection, table: Table, path: Path) -> StagedFile:
    staged = StagedFile(table=table, path=path, encoding="parquet", first_line=1)
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        staged.problems.append(Problem(file=path.name, rule="unreadable file",
                                       reason=f"is not a readable Parquet file: {str(error).splitlines()[0]}"))
        return staged
    header = [row[0] for row in described]
    if not _check_header(staged, header):
        return staged
    # an instant (TIMESTAMPTZ) becomes shop-local time in the staging session's time zone, whatever the
    # machine's own zone is, so the same file imports the same on every machine
    columns = []
    for name, kind, *_ in described:
        value = f"CAST({_quoted(name)} AS TIMESTAMP)" if kind == "TIMESTAMP WITH TIME ZONE" else _quoted(name)
        columns.append(f"CAST({value} AS VARCHAR) AS {_quoted(name.strip())}")
    as_text = ", ".join(columns)
    con.execute(f"CREATE OR REPLACE TABLE {staged.staging} AS "
                f"SELECT {as_text} FROM read_parquet(?)", [str(path)])
    return _finish(con, staged)


def _check_header(staged: StagedFile, header: list[str]) -> bool:
    names = [name.strip() for name in header]
    file = staged.path.name
    seen: set[str] = set()
    for name in names:
        if name in seen:
            staged.problems.append(Problem(file=file, rule="duplicate column", row=1, column=name,
                                           reason="appears twice in the header"))
        seen.add(name)
    for column in staged.table.columns:
        if column.name in seen:
            continue
        if column.optional:
            staged.missing_optional.append(column.name)
        else:
            staged.problems.append(Problem(
                file=file, rule="missing column", row=1, column=column.name,
                reason=f"required column is missing (the header has: {', '.join(names) or 'nothing'})"))
    staged.extra_columns = [name for name in names if name not in staged.table.column_names]
    return staged.usable


def _finish(con: duckdb.DuckDBPyConnection, staged: StagedFile) -> StagedFile:
    staged.rows = con.execute(f"SELECT count(*) FROM {staged.staging}").fetchone()[0]
    for name in staged.missing_optional:
        con.execute(f'ALTER TABLE {staged.staging} ADD COLUMN "{name}" VARCHAR')
    return staged


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _ident(name: str) -> str:
    return name.replace('"', '""')


def _quoted(name: str) -> str:
    return '"' + _ident(name) + '"'
