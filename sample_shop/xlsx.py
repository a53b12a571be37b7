"""A minimal streaming xlsx writer (inline strings, numeric cells): what the sample shop's 生意参谋 and 售后
downloads are written with, and what tests write their workbooks with. No writer library: the few parts of
an Office Open XML workbook are written directly, row by row, so a big sheet never sits in memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

_NS = "http://schemas.openxmlformats.org"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
# fixed timestamp in the archive: the same rows give the same bytes
_STAMP = (2026, 1, 1, 0, 0, 0)
# with date_styles: style 1 shows a datetime cell (built-in number format 22), style 2 a date (format 14)
_STYLES = ('<styleSheet xmlns="{ns}/spreadsheetml/2006/main"><cellXfs count="3"><xf numFmtId="0"/>'
           '<xf numFmtId="22" applyNumberFormat="1"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (the 1900 system, past its leap-year bug)


def column_name(index: int) -> str:
    """A, B, ... Z, AA, AB ... for the 0-based column `index`."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str, value: object, date_styles: bool = False) -> str:
    if value is None or value == "":
        return ""
    if date_styles and isinstance(value, date):
        # a date or time is a number of days since 1899-12-30 that its style shows as a date
        moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
        serial = (moment - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{1 if isinstance(value, datetime) else 2}"><v>{serial!r}</v></c>'
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def write_xlsx(path: Path, rows: Iterable[list[object]], sheet: str = "export", *, date_styles: bool = False) -> Path:
    """Write `rows` (str cells as text, int/float cells as numbers) as the one sheet `sheet` of `path`; with
    `date_styles`, date and datetime cells are date-formatted numbers, as Excel stores them."""
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{_NS}/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_NS}/package/2006/relationships"><Relationship Id="rId1" '
        f'Type="{_NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" '
        f'xmlns:r="{_NS}/officeDocument/2006/relationships"><sheets><sheet name="{escape(sheet)}" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_NS}/package/2006/relationships"><Relationship '
        f'Id="rId1" Type="{_NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
    }
    if date_styles:
        styles_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            "</Types>", f'<Override PartName="/xl/styles.xml" ContentType="{styles_type}"/></Types>')
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            "</Relationships>", f'<Relationship Id="rId2" Type="{_NS}/officeDocument/2006/relationships/styles" '
                                'Target="styles.xml"/></Relationships>')
        parts["xl/styles.xml"] = _STYLES.format(ns=_NS)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, _STAMP), _DECLARATION + text, zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", _STAMP)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as sink:
            sink.write((_DECLARATION + f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main"><sheetData>')
                       .encode())
            columns: list[str] = []
            for number, row in enumerate(rows, start=1):
                columns.extend(column_name(index) for index in range(len(columns), len(row)))
                cells = "".join(_cell(f"{columns[index]}{number}", value, date_styles)
                                for index, value in enumerate(row))
                sink.write(f'<row r="{number}">{cells}</row>'.encode())
            sink.write(b"</sheetData></worksheet>")
    return path
