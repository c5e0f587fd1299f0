"""Cells the Rust reader gives as empty although they are not: Excel error values (#N/A, #DIV/0!,
#VALUE!…, stored with t="e") and formulas saved without their computed value (files written by other
programs than Excel: the value is only known once Excel recalculates and saves). calamine reads both
as empty cells, so they are found here in the sheets' XML, only in sheets whose XML holds such a cell
at all (one byte search each)."""
from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree

from .parts import attrs_of, sheet_parts, split_ref, col_index

_ERROR_CELL = re.compile(rb'<c\b([^>]*\bt="e"[^>]*)>\s*<v>([^<]*)</v>')
_BARE_FORMULA = re.compile(rb'<c\b([^>]*)>\s*(?:<f\b[^>]*/>|<f\b[^>]*>([^<]*)</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_DATE_CALL = re.compile(r"^DATE\(\s*(\d{4})\s*,\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$", re.I)
_STRING = re.compile(r'^"([^"]*)"$')


@dataclass(frozen=True)
class Mark:
    row: int  # Excel row (1-based)
    column: int  # 0-based column index
    cell: str  # A1 reference
    error: str = ""  # the Excel error value, e.g. #N/A
    formula: str = ""  # a formula without a computed value
    value: str | None = None  # what the formula gives, when it is simple enough to know (=123, =DATE(y,m,d))


def cell_marks(file: Path, only: Collection[str] | None = None) -> dict[str, list[Mark]]:
    """Sheet name → its error cells and formulas without a value (sheets holding none are left out).
    `only`: the sheets to look at (all when None; the reader asks for those SheetChecks saw marks in)."""
    found: dict[str, list[Mark]] = {}
    try:
        with zipfile.ZipFile(file) as archive:
            for name, part in sheet_parts(archive):
                if only is not None and name not in only:
                    continue
                xml = archive.read(part)
                marks = []
                for cell in _cells_around(xml, b't="e"'):
                    if m := _ERROR_CELL.match(cell):
                        marks.append(_mark(m[1], error=m[2].decode("utf-8", "replace")))
                for cell in _cells_around(xml, b"<f"):
                    if m := _BARE_FORMULA.match(cell):
                        formula = (m[2] or b"").decode("utf-8", "replace")
                        marks.append(_mark(m[1], formula=formula or "（共享公式）", value=simple_value(formula)))
                marks = [m for m in marks if m is not None]
                if marks:
                    found[name] = marks
    except (OSError, EOFError, KeyError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error,
            ElementTree.ParseError):  # a damaged package: the Rust reader, which runs next, says what is wrong
        return {}
    return found


def _cells_around(xml: bytes, needle: bytes) -> list[bytes]:
    """The XML of each cell holding `needle` (found by byte search: most sheets hold none, and the
    cells that do are looked at alone, not the whole sheet through a regular expression)."""
    cells, at = [], xml.find(needle)
    while at >= 0:
        start, end = xml.rfind(b"<c ", 0, at), xml.find(b"</c>", at)
        if start < 0 or end < 0:
            break
        cells.append(xml[start:end + 4])
        at = xml.find(needle, end)
    return cells


def _mark(attrs: bytes, **what: str | None) -> Mark | None:
    ref = attrs_of(attrs.decode("utf-8", "replace")).get("r", "")
    try:
        letters, row = split_ref(ref)
    except (ValueError, TypeError):
        return None
    return Mark(row, col_index(letters), ref, **what)  # type: ignore[arg-type]


def simple_value(formula: str) -> str | None:
    """The value of a formula simple enough to know without Excel: =123, ="text", =DATE(2026,1,2)."""
    text = formula.strip().replace("&quot;", '"')
    if _NUMBER.match(text):
        return text
    if m := _STRING.match(text):
        return m[1]
    if m := _DATE_CALL.match(text):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return None
    return None
