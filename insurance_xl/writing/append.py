"""Append rows to one register of a clerk's workbook without touching anything else in it.

A store workbook may hold what openpyxl drops on a load/save round trip: charts, images, pivot tables,
form-control buttons, the VBA project of insurance.xlsm. So we never re-save it through a library:
the register sheet's XML part is edited as text inside the zip (new <row> elements with inline strings,
numbers and date serials, in the sheet's own styles), the sheet's <dimension>, the Excel Table and the
filter/drop-down ranges that end at the last row are stretched over the new rows, and every other part
is copied byte for byte. The new file goes through write.atomic_write (lock-file refusal, timestamped
backup, temp file, fsync, verify, os.replace), and the verification re-reads the sheet: the old rows and
the new ones must all be there.

    sheet = read_register(store, "contacts")          # where the register is, and its rows
    result = append_register_rows(store, "contacts", new_rows)

`new_rows` is a DataFrame whose columns are register column keys (registers.py); values as the reader
gives them (Timestamp dates, float money, booleans for 是/否, text). A column the sheet lacks gets a new
header cell after the last one; a workbook without the register gets a new sheet named as declared.
Rows go below the last row holding anything in the register's columns. Where the clerk closes the
register with a 合计 row (reading.recognise's totals labels, below the last register row), the new rows
go above it: blank rows above the 合计 are filled first, then the 合计 row and everything below it move
down as Excel's Insert Rows moves them (xlsx/shift.py: row and cell numbers, merged cells, drop-downs,
conditional formats, filters, tables, hyperlinks, print areas, other sheets' formulas pointing there),
and its sums grow over the new rows (`SUM(F3:F120)` → `SUM(F3:F122)`). Moved formulas lose their cached
values, Excel's calcChain.xml is dropped and the workbook asks for a full recalculation on opening, so
no spreadsheet shows the old total. The verification also checks the 合计 row is where it was moved.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import WorkbookUnreadable
from ..tables import SheetLayout, empty_table
from ..reading.store import HEADER_SCAN_ROWS, detect_register, read_grid, register_for_sheet_name
from ..xlsx.parts import column_letter
from ..registers import REGISTERS
from ..xlsx.safety import check_workbook_file
from ..xlsx.grids import load_grids
from ..xlsx.splice import (SQREF, SheetXml, cell_value, grow_dimension, merge_row, new_sheet_parts, pick_style,
                           render_cell, stretch_match, stretch_tables, text_cell)
from ..xlsx.parts import Styles, col_index, sheet_parts
from ..xlsx.shift import RowShift, ask_full_recalculation, shift_defined_names, shift_other_sheet, shift_sheet
from ..xlsx.save import atomic_write, verify_workbook, workbook_lock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RegisterSheet:
    """Where a register lives in a workbook, and the rows it holds (read as read_store reads them)."""

    path: Path
    sheet: str
    part: str  # zip member of the sheet XML, e.g. xl/worksheets/sheet8.xml
    layout: SheetLayout | None  # None: the workbook has no such sheet yet
    table: pd.DataFrame


@dataclass(frozen=True)
class AppendResult:
    path: Path
    sheet: str
    rows: tuple[int, ...]  # Excel rows written
    backup: Path | None
    created_sheet: bool = False
    added_headers: tuple[str, ...] = field(default=())


def _load_sheet(path: Path, sheet: str, rows: int | None = None) -> tuple[pd.DataFrame, list[int]]:
    try:
        _, grid, offsets = next(load_grids(path, only=[sheet], rows=rows))
    except WorkbookUnreadable as exc:
        raise WorkbookUnreadable(path, f"无法读取工作表「{sheet}」（{exc.reason}）", sheet=sheet) from None
    return grid, offsets


def read_register(path: str | Path, register_key: str, sheet: str | None = None) -> RegisterSheet:
    """The sheet holding `register_key` (by name, else by headers; the first in workbook order when
    several do) and its rows. A workbook without it gives layout None and an empty table."""
    book = Path(path)
    check_workbook_file(book)
    reg = REGISTERS[register_key]
    try:
        with zipfile.ZipFile(book) as archive:
            parts = sheet_parts(archive)
    except Exception as exc:  # the reading boundary: a missing or malformed part names the file
        raise WorkbookUnreadable(book, f"工作簿结构已损坏（{type(exc).__name__}: {str(exc).strip()[:200]}）") from None
    names = [name for name, _ in parts]
    if sheet is not None and sheet not in names:
        raise WorkbookUnreadable(book, f"没有名为「{sheet}」的工作表")
    candidates = [sheet] if sheet else [n for n in names if register_for_sheet_name(n) is reg]
    if not candidates:  # a sheet named Sheet1 holding the register: look at the headers
        for name in names:
            head, _ = _load_sheet(book, name, HEADER_SCAN_ROWS)
            found = detect_register(name, head)
            if found and found[0] is reg:
                candidates = [name]
                break
    for name in candidates:
        grid, offsets = _load_sheet(book, name)
        read = read_grid(grid, book.name, name, offsets, register=register_key)
        if read is not None:
            return RegisterSheet(book, name, dict(parts)[name], read.layout, read.table)
        # named like the register (or asked for) yet no header of it: never write beside it
        expected = "、".join(c.header for c in reg.columns[:3])
        raise WorkbookUnreadable(book, f"工作表「{name}」中找不到「{reg.sheet}」的表头（{expected}…）", sheet=name)
    return RegisterSheet(book, reg.sheet, "", None, empty_table(register_key))


# ---- appending ------------------------------------------------------------------------------------


def append_register_rows(path: str | Path, register_key: str, frame: pd.DataFrame, *, sheet: str | None = None,
                         keep_backup: bool = True, now: dt.datetime | None = None) -> AppendResult:
    """Append the rows of `frame` (columns = register keys) to the register's sheet in `path`.

    Refuses while the workbook is open (WorkbookLocked), keeps a timestamped backup, replaces the file
    atomically after re-reading the result. Rows that are entirely empty are skipped. The read and
    the write happen under the workbook's lock between processes (save.workbook_lock).
    """
    with workbook_lock(path):
        return _append_rows(Path(path), register_key, frame, sheet, keep_backup, now)


def _append_rows(book: Path, register_key: str, frame: pd.DataFrame, sheet: str | None, keep_backup: bool,
                 now: dt.datetime | None) -> AppendResult:
    reg = REGISTERS[register_key]
    located = read_register(book, register_key, sheet)
    keys = [k for k in reg.keys if k in frame.columns]
    rows = frame.loc[frame[keys].notna().any(axis=1), keys].reset_index(drop=True) if keys else frame.iloc[:0]
    if rows.empty:
        return AppendResult(book, located.sheet, (), None)
    with zipfile.ZipFile(book) as archive:
        infos = archive.infolist()
        data = {info.filename: archive.read(info) for info in infos}
        sheets = sheet_parts(archive)
    date1904 = re.search(rb'date1904="(1|true)"', data.get("xl/workbook.xml", b"")) is not None
    styles = Styles(data["xl/styles.xml"].decode("utf-8") if "xl/styles.xml" in data else None)
    changed: dict[str, bytes] = {}
    dropped: set[str] = set()
    moved: RowShift | None = None
    try:
        if located.layout is None:
            position = {c.key: i for i, c in enumerate(reg.columns)}
            cells = [{position[k]: v for k, v in values.items()} for values in _values(rows, register_key)]
            headers = [(c.header, c.width + 2) for c in reg.columns]
            part, written = new_sheet_parts(data, changed, reg.sheet, headers, cells, styles, date1904)
            added: tuple[str, ...] = ()
        else:
            part = located.part
            closing = _trailing_totals(located)
            written, added, moved, recalc = _append_to_sheet(data, changed, part, located.layout, register_key, rows, styles,
                                                     date1904, closing)
            if moved is not None:
                _follow_moved_rows(data, changed, dropped, sheets, located.sheet, moved, recalc)
    except (KeyError, ValueError) as exc:  # a part missing or malformed: the workbook is damaged, not our data
        raise WorkbookUnreadable(book, f"工作簿结构已损坏，无法追加（{exc}）") from None
    if styles.added:
        changed["xl/styles.xml"] = styles.xml.encode("utf-8")
    expected = len(located.table) + len(rows)

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w") as out:
            for info in infos:
                if info.filename in dropped:
                    continue
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
                copy.create_system, copy.comment = info.create_system, info.comment
                out.writestr(copy, changed.get(info.filename, data[info.filename]))
            for name in changed.keys() - data.keys():
                out.writestr(name, changed[name], compress_type=zipfile.ZIP_DEFLATED)

    def verify(tmp: Path) -> None:
        verify_workbook(tmp)
        with zipfile.ZipFile(tmp) as check:
            for info in infos:  # every part we did not mean to change is byte for byte the same
                if info.filename not in changed and info.filename not in dropped and check.getinfo(info.filename).CRC != info.CRC:
                    raise WorkbookUnreadable(tmp, f"写入后校验失败：{info.filename} 被改动")
        again = read_register(tmp, register_key, located.sheet)
        got = again.table["_row"].tolist()[-len(written):] if len(again.table) else []
        if len(again.table) != expected or got != list(written):
            raise WorkbookUnreadable(tmp, f"写入后校验失败：「{located.sheet}」应有 {expected} 行，读回 {len(again.table)} 行")
        if moved is not None and moved.row(moved.at) not in again.layout.total_rows:
            raise WorkbookUnreadable(tmp, f"写入后校验失败：「{located.sheet}」的合计行不在第 {moved.row(moved.at)} 行")

    made = atomic_write(book, write, keep_backup=keep_backup, verify=verify, now=now)
    log.info("appended %d rows to %s · %s", len(written), book.name, located.sheet)
    return AppendResult(book, located.sheet, tuple(written), made, located.layout is None, added)


def _values(rows: pd.DataFrame, register_key: str) -> list[dict[str, tuple[str, str]]]:
    reg = REGISTERS[register_key]
    kinds = {k: reg.column(k).kind for k in rows.columns}
    records = rows.astype(object).to_dict("records")
    return [{k: v for k, v in ((k, cell_value(val, kinds[k])) for k, val in rec.items()) if v} for rec in records]


def _trailing_totals(located: RegisterSheet) -> int | None:
    """The first 合计 row below the register's last row (the clerk's closing totals), if any."""
    last = int(located.table["_row"].max()) if len(located.table) else located.layout.header_row
    return min((r for r in located.layout.total_rows if r > last), default=None)


def _append_to_sheet(data: dict[str, bytes], changed: dict[str, bytes], part: str, layout: SheetLayout,
                     register_key: str, rows: pd.DataFrame, styles: Styles, date1904: bool,
                     closing: int | None) -> tuple[list[int], tuple[str, ...], RowShift | None, bool]:
    reg = REGISTERS[register_key]
    sheet = SheetXml(data[part].decode("utf-8"))
    p = sheet.prefix
    header = layout.header_row
    col_of = {key: col_index(letter) for key, (letter, _) in layout.columns.items()}
    occupied = set(col_of.values()) | {col_index(letter) for letter in layout.extras.values()}
    old_right = max(occupied)
    right = old_right
    added: list[str] = []
    header_cells: dict[int, str] = {}
    header_row = sheet.row(header)
    header_style = next((a.get("s", "") for c, a, _ in reversed(header_row.cells(p)) if c == old_right), "") \
        if header_row else ""
    for key in rows.columns:
        if key not in col_of and rows[key].notna().any():  # the clerk's sheet lacks it: never drop the value
            right += 1
            col_of[key] = right
            name = reg.column(key).header
            added.append(name)
            header_cells[right] = text_cell(f"{column_letter(right)}{header}", f' s="{header_style}"' if header_style else "",
                                             name, p)
    moved, recalc = None, False
    if closing is None:
        old_last = sheet.last_row_with_values(occupied, header)
    else:  # the new rows go above the 合计 row: it (and what is below it) moves down as far as needed
        old_last = sheet.last_row_with_values(occupied, header, before=closing)
        moved = RowShift(at=closing, by=max(0, old_last + len(rows) - closing + 1), top=header + 1,
                         old_last=old_last, new_last=old_last + len(rows))
        shifted, recalc = shift_sheet(sheet.xml, p, moved, layout.sheet, header)
        sheet = SheetXml(shifted)
    above = sheet.styles_above(old_last + 1, set(col_of.values()), header)
    numbers = list(range(old_last + 1, old_last + 1 + len(rows)))
    new_rows: dict[int, str] = {}
    if header_cells:
        new_rows[header] = merge_row(header, header_row, header_cells, p)
    for r, values in zip(numbers, _values(rows, register_key)):
        old = sheet.row(r)
        own = {c: a.get("s") for c, a, _ in old.cells(p)} if old else {}
        cells = {}
        for key, (kind, text) in values.items():
            col = col_of[key]
            style = pick_style(kind, own.get(col), above.get(col, []), styles)
            cells[col] = render_cell(kind, text, f"{column_letter(col)}{r}", style, p, date1904)
        new_rows[r] = merge_row(r, old, cells, p)
    sheet.replace_rows(new_rows)
    new_last = numbers[-1]
    xml = sheet.xml
    head, body, tail = xml[:sheet.body_start], xml[sheet.body_start:sheet.body_end], xml[sheet.body_end:]
    head = re.sub(rf'(<{p}dimension\b[^>]*?\bref=")([^"]*)(")',
                  lambda m: m[1] + grow_dimension(moved.refs(m[2]) if moved else m[2], new_last, right) + m[3],
                  head, count=1)
    if moved is None:  # (shift_sheet has moved and stretched the ranges already)
        tail = SQREF.sub(lambda m: stretch_match(m, header + 1, old_last, new_last), tail)
    changed[part] = (head + body + tail).encode("utf-8")
    stretch_tables(data, changed, part, header, old_last, new_last, old_right, right, added, moved)
    return numbers, tuple(added), moved, recalc


def _follow_moved_rows(data: dict[str, bytes], changed: dict[str, bytes], dropped: set[str],
                       sheets: list[tuple[str, str]], sheet: str, moved: RowShift, recalc: bool) -> None:
    """What points at the moved rows from outside the sheet follows them: defined names (print areas,
    filters), other sheets' formulas. Excel's calculation chain lists formula cells by address: it is
    dropped (Excel rebuilds it; a stale one makes Excel "repair" the file), and the workbook asks for a
    full recalculation since moved formulas lost their cached values."""
    for name, part in sheets:
        if name != sheet and part in data:
            other = data[part].decode("utf-8")
            m = re.search(r"<((?:\w+:)?)sheetData\b", other)
            new, did = shift_other_sheet(other, m[1] if m else "", moved, sheet)
            if did:
                changed[part] = new.encode("utf-8")
            recalc |= did
    book = data["xl/workbook.xml"].decode("utf-8")
    new_book = shift_defined_names(book, moved, sheet)
    if recalc:
        new_book = ask_full_recalculation(new_book)
    if new_book != book:
        changed["xl/workbook.xml"] = new_book.encode("utf-8")
    if "xl/calcChain.xml" in data and (recalc or moved.by):
        dropped.add("xl/calcChain.xml")
        for name, pattern in (("xl/_rels/workbook.xml.rels", r"<(?:\w+:)?Relationship\b[^>]*?calcChain[^>]*?/>"),
                              ("[Content_Types].xml", r"<(?:\w+:)?Override\b[^>]*?calcChain[^>]*?/>")):
            text = changed.get(name, data[name]).decode("utf-8")
            changed[name] = re.sub(pattern, "", text).encode("utf-8")
