"""`data import` / `data check`: validate a whole export folder, then load it all or nothing."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
from pydantic import BaseModel

from shopagent.tools.brand import parse_brand
from shopagent.tools.errors import ImportRejected, Problem, ProblemGroup, ShopError
from shopagent.tools.platform_import import (
    PlatformFile,
    PlatformRead,
    assemble,
    is_candidate,
    read_platform_files,
    release,
)
from shopagent.tools.schema import TABLES, Column, Kind
from shopagent.tools.sources import StagedFile, find_table_files, stage_file
from shopagent.tools.store import create_schema, staging_connection
from shopagent.tools.validation import (
    EXAMPLES_PER_RULE,
    check_appended_order_lines,
    check_keys,
    check_references,
    check_rows,
    typed,
)


class ImportReport(BaseModel):
    """What an import read and wrote (or, for `data check`, would write)."""

    folder: str
    database: str | None
    mode: Literal["check", "append", "replace"]
    rows: dict[str, int]
    encodings: dict[str, str]
    extra_columns: dict[str, list[str]]
    absent_optional_tables: list[str]
    brand_profile: bool
    # platform exports (千牛, 万相台, 售后 ...): how each file was read, and what they could not say
    platform_files: list[PlatformFile] = []
    disabled_analyses: dict[str, str] = {}
    notes: list[str] = []


# what an absent optional table turns off, said in the merchant's terms
DISABLED_BY = {
    "refunds": "diagnose cannot see refund-rate changes (no 售后/退款 export, no refunds.csv)",
    "competitor_prices": "pricing runs without competitor prices; diagnose cannot see competitor price moves",
    "shop_scores": "diagnose cannot see 店铺体验分 changes (no platform export carries them)",
    "reviews": "no review-based findings or creative facts from reviews",
}


@dataclass(frozen=True)
class _Validated:
    staged: dict[str, StagedFile]
    brand_text: str | None
    platform: PlatformRead | None = None


def check_folder(folder: Path, database: Path | None = None) -> ImportReport:
    """Validate a folder against the data contract without writing anything; raises ImportRejected.

    With `database`, also check it the way an append into that shop would (overlapping days, known SKUs),
    so a folder that passes the check also imports.
    """
    folder = _existing_folder(folder)
    with tempfile.TemporaryDirectory(prefix="shopagent-check-") as workdir, staging_connection() as con:
        existing = None
        if database is not None and Path(database).exists():
            _attach_current(con, Path(database))
            existing = "current"
        validated = _validate(con, folder, Path(workdir), existing=existing)
        return _report(folder, None, "check", validated)


def import_folder(folder: Path, database: Path, *, replace: bool = False) -> ImportReport:
    """Import a folder into `database`: all or nothing, atomically, even if the process is killed half-way."""
    folder = _existing_folder(folder)
    database = Path(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    with _import_lock(database), tempfile.TemporaryDirectory(prefix="shopagent-import-") as workdir:
        _remove_stale_scratch(database)
        appending = database.exists() and not replace
        with staging_connection() as con:
            if appending:
                _attach_current(con, database)
            validated = _validate(con, folder, Path(workdir), existing="current" if appending else None)
            if appending:
                con.execute("DETACH current")
            # Write a complete new database beside the old one, then swap it in with one atomic rename:
            # readers and a killed process only ever see the old file or the new one, never a half-written one.
            scratch = database.with_name(f".{database.name}.import-{os.getpid()}.tmp")
            try:
                if appending:
                    shutil.copyfile(database, scratch)
                _write(con, validated, scratch)
                _fsync(scratch)
                os.replace(scratch, database)
                _fsync(database.parent)
            finally:
                scratch.unlink(missing_ok=True)
                scratch.with_name(scratch.name + ".wal").unlink(missing_ok=True)
        return _report(folder, database, "append" if appending else "replace", validated)


def _existing_folder(folder: Path) -> Path:
    folder = Path(folder)
    if not folder.is_dir():
        raise ShopError(f"{folder} is not a folder; point `data import` at the folder holding products.csv, "
                        "orders.csv, ...")
    return folder


def _attach_current(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    try:
        con.execute("ATTACH ? AS current (READ_ONLY)", [str(database)])
    except duckdb.Error as error:
        raise ShopError(f"cannot read the existing shop database {database}: {error}") from error


def _validate(con: duckdb.DuckDBPyConnection, folder: Path, workdir: Path, existing: str | None) -> _Validated:
    candidates = sorted(path for path in folder.iterdir() if path.is_file() and is_candidate(path))
    platform = read_platform_files(con, candidates, workdir) if candidates else None
    files, file_problems = find_table_files(folder, fed=platform.tables if platform else set())
    groups: list[ProblemGroup] = [_single(problem) for problem in file_problems]
    staged: dict[str, StagedFile] = {}
    for table in TABLES:
        if table.name not in files:
            continue
        staged_file = stage_file(con, table, files[table.name], workdir)
        staged[table.name] = staged_file
        groups.extend(_grouped(staged_file))
        groups.extend(_checked(con, staged_file, existing))
    if platform is not None:
        assemble(con, platform, staged)
        release(con, platform)
        groups.extend(platform.groups)
        for name, staged_file in platform.staged.items():
            staged[name] = staged_file
            groups.extend(_checked(con, staged_file, existing))
        staged = {table.name: staged[table.name] for table in TABLES if table.name in staged}
    groups.extend(check_references(con, staged, existing))
    groups.extend(check_appended_order_lines(con, staged, existing))
    brand_text = None
    brand_path = folder / "brand.toml"
    if brand_path.is_file():
        brand_text = brand_path.read_text(encoding="utf-8-sig", errors="replace")
        _, brand_problems = parse_brand(brand_text)
        groups.extend(_single(problem) for problem in brand_problems)
    if groups:
        raise ImportRejected(str(folder), groups)
    return _Validated(staged=staged, brand_text=brand_text, platform=platform)


def _checked(con: duckdb.DuckDBPyConnection, staged: StagedFile, existing: str | None) -> list[ProblemGroup]:
    groups = []
    if staged.usable and staged.rows == 0 and staged.table.required and existing is None:
        groups.append(_single(Problem(file=staged.path.name, rule="empty file", row=1,
                                      reason=f"has no data rows for '{staged.table.name}'; a new shop needs "
                                             "at least one")))
    if staged.usable:
        groups.extend(check_rows(con, staged))
        groups.extend(check_keys(con, staged, existing))
    return groups


def _single(problem: Problem) -> ProblemGroup:
    return ProblemGroup(file=problem.file, rule=problem.rule, count=1, examples=[problem])


def _grouped(staged: StagedFile) -> list[ProblemGroup]:
    by_rule: dict[str, list[Problem]] = {}
    for problem in staged.problems:
        by_rule.setdefault(problem.rule, []).append(problem)
    return [ProblemGroup(file=staged.path.name, rule=rule, count=len(items), examples=items[:EXAMPLES_PER_RULE])
            for rule, items in by_rule.items()]


def _write(con: duckdb.DuckDBPyConnection, validated: _Validated, scratch: Path) -> None:
    con.execute("ATTACH ? AS shop", [str(scratch)])
    try:
        create_schema(con, "shop")
        for name, staged in validated.staged.items():
            table = staged.table
            for extra in staged.extra_columns:
                con.execute(f'ALTER TABLE shop.{name} ADD COLUMN IF NOT EXISTS "{_ident(extra)}" VARCHAR')
            targets = [f'"{_ident(column)}"' for column in (*table.column_names, *staged.extra_columns)]
            values = [_loaded(column) for column in table.columns]
            values += [f'"{_ident(extra)}"' for extra in staged.extra_columns]
            if name == "products":
                con.execute(f"DELETE FROM shop.products WHERE sku_id IN (SELECT trim(sku_id) FROM {staged.staging})")
            con.execute(f"INSERT INTO shop.{name} ({', '.join(targets)}) "
                        f"SELECT {', '.join(values)} FROM {staged.staging}")
        if validated.brand_text is not None:
            con.execute("DELETE FROM shop.brand_profile")
            con.execute("INSERT INTO shop.brand_profile VALUES (?)", [validated.brand_text])
        con.execute("CHECKPOINT shop")
    finally:
        con.execute("DETACH shop")


def _loaded(column: Column) -> str:
    value = typed(column)
    if column.kind in (Kind.TEXT, Kind.JSON):
        return f"NULLIF({value}, '')"
    return value


def _report(folder: Path, database: Path | None, mode, validated: _Validated) -> ImportReport:
    staged = validated.staged
    platform = validated.platform
    absent = [table.name for table in TABLES if not table.required and table.name not in staged]
    return ImportReport(
        folder=str(folder),
        database=str(database) if database else None,
        mode=mode,
        rows={name: item.rows for name, item in staged.items()},
        encodings={item.path.name: item.encoding for item in staged.values() if not item.traced},
        extra_columns={name: item.extra_columns for name, item in staged.items() if item.extra_columns},
        absent_optional_tables=absent,
        brand_profile=validated.brand_text is not None,
        platform_files=platform.files() if platform else [],
        disabled_analyses={name: DISABLED_BY[name] for name in absent if name in DISABLED_BY},
        notes=platform.notes if platform else [],
    )


@contextmanager
def _import_lock(database: Path) -> Iterator[None]:
    """Two imports into one database run one after the other, never interleaved."""
    lock_path = database.with_name(f".{database.name}.lock")
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_stale_scratch(database: Path) -> None:
    """Scratch files left by a killed import are never the database; remove them (we hold the lock)."""
    for stale in database.parent.glob(f".{database.name}.import-*.tmp*"):  # the scratch file and its WAL
        stale.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ident(name: str) -> str:
    return name.replace('"', '""')
