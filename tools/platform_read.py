"""Reads one platform export (CSV in any encoding, xlsx/xls) into a staging table of its layout's fields."""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from shopagent.tools.errors import Problem
from shopagent.tools.platform_formats import Layout, recognise
from shopagent.tools.schema import Table
from shopagent.tools.sources import StagedFile, as_utf8, detect_encoding

SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
GBK = "gb18030"  # GBK downloads are decoded as GB18030, its superset
_CHUNK = 1 << 22
HEADER_SEARCH_ROWS = 30  # 生意参谋 sheets put title and date lines above the header
TOTAL_ROWS = ("合计", "总计", "汇总")  # a totals row at the bottom would double every sum


@dataclass
class SourceFile:
    """One export file: the layout it was read as (or the closest one and what it lacks), and its rows."""

    path: Path
    encoding: str = ""
    layout: Layout | None = None
    closest: Layout | None = None
    missing: list[str] = field(default_factory=list)
    header_line: int = 0
    names: list[str] = field(default_factory=list)  # the header's cells, made unique
    staged: StagedFile | None = None
    problems: list[Problem] = field(default_factory=list)


def read_source(con: duckdb.DuckDBPyConnection, path: Path, workdir: Path, index: int) -> SourceFile:
    """Find the header, recognise the layout, and stage the layout's fields as cleaned text with their lines."""
    source = SourceFile(path=path)
    if path.suffix.lower() in SPREADSHEETS:
        sheet = f"sheet_file_{index}"
        if not _register_sheet(con, source, sheet):
            return source
        try:
            if not _stage_sheet(con, source, sheet, index):
                return source
        finally:
            con.execute(f"DROP TABLE IF EXISTS {sheet}")
    else:
        text = _as_csv(source, workdir)
        if text is None or not _stage_csv(con, source, text, index):
            return source
    if source.encoding == GBK:
        _decode_gbk(con, source)
    return source


def _recognised(source: SourceFile, rows: list[list[str]]) -> bool:
    line, header, trailing = _find_header(rows)
    source.header_line = line
    source.layout, source.closest, source.missing = recognise(header)
    source.names = _unique([cell.strip() for cell in header]) + (["_trailing"] if trailing else [])
    return source.layout is not None


def _stage_csv(con: duckdb.DuckDBPyConnection, source: SourceFile, text: Path, index: int) -> bool:
    """A CSV download read by DuckDB's own reader straight into its staged fields; False if it cannot be."""
    if not _recognised(source, _head_rows(text, source.encoding)):
        return False
    path = source.path
    columns = "{" + ", ".join(f"'{_sql_str(name)}': 'VARCHAR'" for name in source.names) + "}"
    rejects = f"rejects_file_{index}"
    # a GBK download is read byte for byte as latin-1 (no GBK byte is a quote, comma or line end) and only its
    # few distinct non-ASCII values are decoded afterwards: decoding a gigabyte in Python took most of the import
    encoding = ", encoding='latin-1'" if source.encoding == GBK else ""
    try:
        _fields(con, source, f"read_csv(?, auto_detect=false, header=true, skip={source.header_line - 1}, "
                             f"delim=',', quote='\"', escape='\"', columns={columns}, store_rejects=true, "
                             f"rejects_table='{rejects}', rejects_scan='scan_{rejects}'{encoding})",
                [str(text)], index)
    except duckdb.Error as error:
        source.problems.append(Problem(file=path.name, rule="unreadable file",
                                       reason=f"could not be parsed as CSV: {str(error).splitlines()[0]}"))
        return False
    for bad_line, column, message in con.execute(
            f"SELECT line, column_name, error_message FROM {rejects} ORDER BY line LIMIT 1000").fetchall():
        source.problems.append(Problem(file=path.name, rule="malformed line", row=bad_line,
                                       column=column, reason=message))
    con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS scan_{rejects}")
    return True


def _as_csv(source: SourceFile, workdir: Path) -> Path | None:
    path = source.path
    if path.stat().st_size == 0:
        source.problems.append(Problem(file=path.name, rule="empty file", reason="is empty"))
        return None
    if not _looks_utf8(path):
        source.encoding = GBK
        return path
    encoding, problem = detect_encoding(path)
    if problem:
        source.problems.append(problem)
        return None
    source.encoding = encoding or "utf-8"
    return as_utf8(path, source.encoding, workdir)


def _looks_utf8(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(_CHUNK)
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _register_sheet(con: duckdb.DuckDBPyConnection, source: SourceFile, name: str) -> bool:
    """The first sheet of a workbook (千牛 and 售后 files have one, `export`) as the table `name`:
    fastexcel (calamine underneath) reads every cell as text straight into Arrow, no Python object per cell
    (ids stored as numbers print whole, 1.0e15 as 1000000000000000; dates as YYYY-MM-DD HH:MM:SS); skip_rows=0
    keeps the empty rows above a 生意参谋 header, so a row's number stays its line in the sheet."""
    import fastexcel

    source.encoding = source.path.suffix.lower().lstrip(".")
    try:
        sheet = fastexcel.read_excel(str(source.path)).load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
    except Exception as error:  # fastexcel raises its own types for truncated, foreign or encrypted files
        source.problems.append(_workbook_problem(source, error))
        return False
    if sheet.height == 0:
        source.problems.append(Problem(file=source.path.name, rule="empty file", reason="has no rows"))
        return False
    # copied once into DuckDB: every query of the Arrow view converts the whole sheet again, even a LIMIT
    con.register(f"{name}_arrow", sheet)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    finally:
        con.unregister(f"{name}_arrow")
    return True


def _workbook_problem(source: SourceFile, error: Exception) -> Problem:
    """Why a workbook cannot be read: python-calamine tells a password-protected one by its own error type."""
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        CalamineWorkbook.from_path(str(source.path)).get_sheet_by_index(0)
    except PasswordError:
        # Excel and WPS write a workbook saved with a password as an encrypted container calamine cannot open
        return Problem(file=source.path.name, rule="password-protected file",
                       reason=f"is a password-protected (encrypted) {source.encoding} workbook; open it with its "
                              "password and save it unprotected (or as CSV), then import again")
    except Exception:  # noqa: S110 - the first reader's error is the one reported
        pass
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return Problem(file=source.path.name, rule="unreadable file",
                   reason=f"is not a readable {source.encoding} workbook ({reason}); download it again or save it "
                          "as CSV")


def _stage_sheet(con: duckdb.DuckDBPyConnection, source: SourceFile, sheet: str, index: int) -> bool:
    """The sheet's rows below its header staged as its layout's fields, in DuckDB from Arrow."""
    width = len(con.execute(f"DESCRIBE SELECT * FROM {sheet}").fetchall())
    head = con.execute(f"SELECT * FROM {sheet} LIMIT {HEADER_SEARCH_ROWS + 1}").fetchall()
    if not _recognised(source, [["" if cell is None else cell for cell in row] for row in head]):
        return False
    named = ", ".join(f'"__UNNAMED__{position}" AS {_q(name)}'
                      for position, name in enumerate(source.names[:width]))
    _fields(con, source, f"(SELECT {named} FROM {sheet} OFFSET {source.header_line})", [], index)
    return True


def _head_rows(text: Path, encoding: str) -> list[list[str]]:
    """The first rows of a CSV download, where its header is looked for."""
    # an undecodable byte near the top is found, with its line, where its column is read (_decode_gbk)
    with text.open("r", encoding=GBK if encoding == GBK else "utf-8-sig", errors="replace", newline="") as handle:
        rows = []
        for row in csv.reader(handle):
            rows.append(row)
            if len(rows) > HEADER_SEARCH_ROWS:
                break
    return rows


def _find_header(rows: list[list[str]]) -> tuple[int, list[str], bool]:
    """(line, header cells, rows end with one extra empty field): the first row a layout recognises,
    else the row closest to one."""
    best = (-1.0, 0)
    for number, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if not any(cell.strip() for cell in row):
            continue
        layout, closest, missing = recognise(row)
        score = 1.0 if layout else (1 - len(missing) / len(closest.required) if closest else 0.0)
        if score > best[0]:
            best = (score, number)
        if layout:
            break
    number = best[1]
    header = rows[number] if rows else []
    following = rows[number + 1] if number + 1 < len(rows) else []
    trailing = len(following) == len(header) + 1 and following[-1] == ""
    # the line of the header (lines and rows agree: no header area cell spans lines)
    return number + 1, header, trailing


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for position, name in enumerate(names):
        name = name or f"_column{position + 1}"
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return unique


def _fields(con: duckdb.DuckDBPyConnection, source: SourceFile, rows: str, parameters: list, index: int) -> None:
    """Stage the layout's fields of `rows` (the download's rows below its header, in file order), cleaned and
    parsed as they are read, each row with its file and line; totals rows are dropped."""
    layout = source.layout
    assert layout is not None
    names = source.names
    found = layout.match(names)
    table = layout.table()
    table = type(table)(f"{table.name}_{index}", table.columns, key=table.key)
    lit = _literal(source.encoding)
    # one pass from the file to the staged fields: only the columns the layout reads are kept (an 订单报表 has
    # dozens, many of them buyers' personal data); the row number counts the rows as read, before the totals
    # row is dropped (a filter is never pushed below the window), so it is the row's line in the file
    parsed = [f"{_parsed(item.parse, _q(found[item.name]), lit)} AS {_q(item.name)}" if item.name in found
              else f"NULL::VARCHAR AS {_q(item.name)}" for item in layout.fields]
    totals = ", ".join(lit(word) for word in TOTAL_ROWS)
    # the first column names a totals row; when a field reads it, its parsed value is the cleaned text (no
    # parser changes 合计) and the row is deleted once staged, else the filter cleans it once more
    first = next((item.name for item in layout.fields if found.get(item.name) == names[0]), None)
    kept = "" if first else f"WHERE NOT list_contains([{totals}], coalesce({_clean(_q(names[0]))}, '')) "
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE raw_{table.name} AS "
        f"WITH numbered AS (SELECT *, CAST(row_number() OVER () + {source.header_line} AS BIGINT) AS _line "
        f"FROM {rows}) "
        f"SELECT {', '.join(parsed)}, '{_sql_str(source.path.name)}' AS _file, _line FROM numbered {kept}",
        parameters)
    if first:
        con.execute(f"DELETE FROM raw_{table.name} WHERE coalesce({_q(first)}, '') IN ({totals})")
    source.staged = traced(con, table, source, dict(found))


def traced(con: duckdb.DuckDBPyConnection, table: Table, source: SourceFile, labels: dict[str, str]) -> StagedFile:
    """The staged `raw_<table>` whose rows carry the `_file` and `_line` of the download they came from."""
    staged = StagedFile(table=table, path=source.path, encoding=source.encoding, traced=True,
                        column_labels=labels)
    staged.rows = con.execute(f"SELECT count(*) FROM {staged.staging}").fetchone()[0]
    return staged


def _clean(ref: str) -> str:
    # ="0123..." keeps Excel from mangling long ids; '139... and a tab do the same for phones and ids
    bare = f"trim({ref})"
    full = (f"trim(ltrim(CASE WHEN starts_with({bare}, '=\"') AND ends_with({bare}, '\"') THEN {bare}[3:-2] "
            f"ELSE {bare} END, '''\t'))")
    # most cells need nothing: test the first byte and the last once, clean only the few that do (prefix and
    # suffix compare bytes; left/right count characters, a fifth of a big download's read)
    test = " OR ".join([f"prefix({ref}, {mark})" for mark in ("'='", "''''", "'\t'", "' '")] + [f"suffix({ref}, ' ')"])
    # an id written ="..." (every one, in a 订单报表) with nothing inside to trim is only unwrapped: the general
    # cleaning trims it four times over, a third of the reading of a big download
    wrapped = (f"prefix({ref}, '=\"') AND suffix({ref}, '\"') AND strlen({ref}) > 2 AND NOT (prefix({ref}, '=\"''') "
               f"OR prefix({ref}, '=\"\t') OR prefix({ref}, '=\" ') OR suffix({ref}, ' \"'))")
    # substring by length(), which is fast, not a [3:-2] slice, which cost as much again as the rest of the parsing
    return f"CASE WHEN {wrapped} THEN substring({ref}, 3, length({ref}) - 3) WHEN {test} THEN {full} ELSE {ref} END"


def _literal(encoding: str):
    """SQL string literals as the staged text holds them: a GBK file's text is its bytes read as latin-1."""
    def literal(text: str) -> str:
        if encoding == GBK:
            text = text.encode(GBK).decode("latin-1")
        return "'" + text.replace("'", "''") + "'"
    return literal


def _decode_gbk(con: duckdb.DuckDBPyConnection, source: SourceFile) -> None:
    """Decode the staged values of a GBK file that are not ASCII (statuses, provinces, names: few distinct
    values); a value that is not GBK/GB18030 is refused with its line and column."""
    staged = source.staged
    assert staged is not None and source.layout is not None
    names = [item.name for item in source.layout.fields]
    # a non-ASCII character takes more bytes than one: those columns alone need decoding
    wide = con.execute("SELECT " + ", ".join(f"count_if(strlen({_q(name)}) <> length({_q(name)}))"
                                             for name in names) + f" FROM {staged.staging}").fetchone()
    for name, count in zip(names, wide, strict=True):
        if not count:
            continue
        values = [value for (value,) in con.execute(
            f"SELECT DISTINCT {_q(name)} FROM {staged.staging} WHERE strlen({_q(name)}) <> length({_q(name)})"
        ).fetchall()]
        keys, decoded, bad = [], [], []
        for value in values:
            try:
                decoded.append(value.encode("latin-1").decode(GBK))
                keys.append(value)
            except UnicodeDecodeError as error:
                bad.append((value, value.encode("latin-1")[error.start]))
        if bad:
            # the first line holding an undecodable value of this column, and its first bad byte
            line, value = con.execute(f"SELECT _line, {_q(name)} FROM {staged.staging} WHERE {_q(name)} = ANY(?) "
                                      "ORDER BY _line LIMIT 1", [[value for value, _ in bad]]).fetchone()
            byte = dict(bad)[value]
            source.problems.append(Problem(
                file=source.path.name, rule="unreadable file", row=line, column=staged.label(name),
                reason=f"is neither UTF-8 nor GBK/GB18030 text (byte 0x{byte:02x} cannot be decoded); "
                       "download the export again"))
            continue
        con.execute("CREATE OR REPLACE TEMP TABLE gbk_values AS SELECT unnest(?::VARCHAR[]) AS k, "
                    "unnest(?::VARCHAR[]) AS v", [keys, decoded])
        con.execute(f"UPDATE {staged.staging} SET {_q(name)} = g.v FROM gbk_values g WHERE {_q(name)} = g.k")
    con.execute("DROP TABLE IF EXISTS gbk_values")


def _parsed(parse: str, raw: str, lit) -> str:
    """SQL parsing the raw text `raw` of a download's cell as `parse`, cleaned of its export quirks."""
    value = _clean(raw)
    if parse in ("id", "text"):
        return f"NULLIF({value}, '')"
    if parse == "status":
        return f"NULLIF(replace({value}, ',', {lit('，')}), '')"
    if parse == "province":
        return f"NULLIF(split_part({value}, ' ', 1), '')"
    # most numbers, dates and times are written plainly: kept as they are, only the others are cleaned and
    # parsed (a plain one has no quirk to clean: a leading ' or = fails the cast, and spaces are tested)
    plain = f"NOT (prefix({raw}, ' ') OR prefix({raw}, '\t') OR suffix({raw}, ' '))"
    if parse in ("money", "number"):
        return (f"CASE WHEN TRY_CAST({raw} AS DOUBLE) IS NOT NULL AND {plain} THEN {raw} "
                f"ELSE {_parsed_number(parse, value, lit)} END")
    if parse == "date":
        parsed = (f"coalesce(TRY_CAST({value} AS DATE), CAST(TRY_CAST({value} AS TIMESTAMP) AS DATE), "
                  f"CAST(try_strptime({value}, '%Y/%m/%d') AS DATE), CAST(try_strptime({value}, '%Y%m%d') AS DATE))")
        # the contract's own way is kept as it is, the rest parsed and rewritten (strlen counts bytes, cheaper
        # than length's characters: a value with non-ASCII is parsed below)
        return (f"CASE WHEN strlen({raw}) = 10 AND TRY_CAST({raw} AS DATE) IS NOT NULL AND {plain} THEN {raw} "
                f"ELSE coalesce(strftime({parsed}, '%Y-%m-%d'), NULLIF({value}, '')) END")
    parsed = (f"coalesce(TRY_CAST({value} AS TIMESTAMP), try_strptime({value}, '%Y/%m/%d %H:%M:%S'), "
              f"try_strptime({value}, '%Y/%m/%d %H:%M'))")
    return (f"CASE WHEN strlen({raw}) = 19 AND TRY_CAST({raw} AS TIMESTAMP) IS NOT NULL AND {raw}[11] = ' ' "
            f"AND {plain} THEN {raw} ELSE coalesce(strftime({parsed}, '%Y-%m-%d %H:%M:%S'), NULLIF({value}, '')) END")


def _parsed_number(parse: str, value: str, lit) -> str:
    """A cleaned money or count that is not plainly written: "11,269", "0元", "78.15%", "-" for none."""
    plain = f"replace({value}, ',', '')"
    for sign in ("元", "￥", "¥"):
        plain = f"replace({plain}, {lit(sign)}, '')"
    if parse == "number":
        plain = (f"CASE WHEN ends_with({plain}, '%') THEN "
                 f"CAST(TRY_CAST(rtrim({plain}, '%') AS DOUBLE) / 100 AS VARCHAR) ELSE {plain} END")
    # a value that is a number once cleaned needs none of the replacing (any sign or separator fails the cast)
    return (f"CASE WHEN {value} IN ('', '-', '--') THEN NULL WHEN TRY_CAST({value} AS DOUBLE) IS NOT NULL "
            f"THEN {value} ELSE {plain} END")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(text: str) -> str:
    return text.replace("'", "''")
