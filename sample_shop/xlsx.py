"""A minimal streaming xlsx writer (inline strings, numeric cells): what the sample shop's 生意参谋 and 售后
downloads are written with, and what tests write their workbooks with. No writer library: the few parts of
an Office Open XML workbook are written directly, row by row, so a big sheet never sits in memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

_NS = "http://schemas.openxmlformats.org"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
# fixed timestamp in the archive: the same rows give the same bytes
_STAMP = (2026, 1, 1, 0, 0, 0)


def column_name(index: int) -> str:
    """A, B, ... Z, AA, AB ... for the 0-based column `index`."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(ref: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'
    return f'<c r="{ref}"><v>{value}</v></c>'


def write_xlsx(path: Path, rows: Iterable[list[object]], sheet: str = "export") -> Path:
    """Write `rows` (str cells as text, int/float cells as numbers) as the one sheet `sheet` of `path`."""
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
                cells = "".join(_cell(f"{columns[index]}{number}", value) for index, value in enumerate(row))
                sink.write(f'<row r="{number}">{cells}</row>'.encode())
            sink.write(b"</sheetData></worksheet>")
    return path
