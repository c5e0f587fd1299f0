"""An open workbook as registers, and tables written back into it: the glue every button shares.

Reading: each sheet's cells from A1 to its last used cell are read by read.read_grid as the texts
the file reader would see (cells.py), so the open book (unsaved edits included) reads exactly like
the saved file. Writing: one `Range.value` per table, number formats set first
(so an ID never turns into 1.1E+17), text starting with = + - @ kept as text.

Works on any xlwings engine: desktop Excel when a button runs it, the remote engine in tests. A sheet's
list prints as the CLI's workbooks do (writing/sheet.py print_ready): landscape, one page wide, its header
repeated on each page, a filter on the header. xlwings offers none of that but the print area, so desktop
Excel gets it through COM (PageSetup, Range.AutoFilter); the remote engine goes without.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InsuranceXlError
from ..tables import Registers
from ..outputs import OWN_SHEETS
from ..reading.store import SheetRead, assemble, detect_register, read_grid, read_store, HEADER_SCAN_ROWS
from ..settings import Context, store_settings
from ..reading.clerk_values import reader_text, parse_date_text, parse_month_text
from ..xlsx.texts import FORMULA_LEAD
from ..writing.sheet import OutColumn
from .cells import BookCells
from ..outputs import BOARD_SHEET, BUTTON_SHEETS
from .layout import AS_OF, MONTH, Input
from ..core.months import previous_month

HEADER_COLOR = "#1F4E78"  # write.HEADER_FILL
WHITE = "#FFFFFF"
ERROR_COLOR = "#FFC7CE"  # Excel's "bad" fill
WARNING_COLOR = "#FFEB9C"  # Excel's "neutral" fill

log = logging.getLogger(__name__)


class BookInputError(InsuranceXlError):
    """Something on 看板 the clerk must correct before the button can run."""


# ---- reading ------------------------------------------------------------------------------------

def sheet_values(sheet: Any, rows: int | None = None) -> list[list[object]]:
    """The sheet's values from A1 to its last used cell (or only the first `rows` rows).

    Desktop Excel goes through xlwings' converter (COM dates and error codes need it). The remote
    engine's payload is JSON already typed, and its converter's per-cell regex costs seconds on a
    five-year register, so its values are taken as sent and `BookCells` reads them the same way.
    """
    if _is_remote(sheet):  # Sheet.api is the payload itself: its values, from A1
        values = sheet.api["values"]
        return values if rows is None else values[:rows]
    last = sheet.used_range.last_cell
    nrows = last.row if rows is None else min(rows, last.row)
    return sheet.range((1, 1), (nrows, last.column)).options(ndim=2).value or []


def _is_remote(sheet: Any) -> bool:
    return sheet.book.app.engine.type == "remote"


def read_book(book: Any, wanted: Collection[str] | None = None,
              columns: Mapping[str, Collection[str]] | None = None) -> Registers:
    """The registers of an open book; with `wanted`, only sheets holding those registers are read,
    and with `columns`, only those columns of a register are parsed (the others are left empty).
    A desktop book with no unsaved changes is read from its file, through the cache of parsed
    registers (reading/cache.py), instead of moving its cells through COM."""
    saved = saved_file(book)
    if saved is not None:
        try:
            return read_store(saved)
        except InsuranceXlError:  # refused as a file (a limit, a lock): the cells say the same
            pass
    sheets: list[SheetRead] = []
    unrecognised: list[tuple[str, str]] = []
    for sheet in book.sheets:
        if sheet.name in OWN_SHEETS:
            continue
        json_dates = _is_remote(sheet)
        head = BookCells(sheet_values(sheet, HEADER_SCAN_ROWS), json_dates).head(HEADER_SCAN_ROWS)
        found = detect_register(sheet.name, head)
        if found is None:
            if head.notna().to_numpy().any():
                unrecognised.append((book.name, sheet.name))
            continue
        register = found[0].key
        if wanted is not None and register not in wanted and register != "settings":
            continue
        only = columns.get(register) if columns is not None else None
        cells = BookCells(sheet_values(sheet), json_dates)
        item = read_grid(cells, book.name, sheet.name, register=register, only=only)
        if item is not None:
            sheets.append(item)
    return assemble(sheets, unrecognised, book.name)


def saved_file(book: Any) -> Path | None:
    """The file a desktop book was opened from, when the book has no unsaved changes (Excel's
    Workbook.Saved); None on the remote engine, for a new book, or when Excel cannot say."""
    try:
        if book.app.engine.type == "remote" or not book.api.Saved:
            return None
        path = Path(book.fullname)
    except Exception:  # noqa: BLE001  COM refusing a property: read the cells
        return None
    return path if path.suffix.lower() in (".xlsx", ".xlsm") and path.is_file() else None


def board_value(book: Any, item: Input) -> object:
    if BOARD_SHEET not in [s.name for s in book.sheets]:
        raise BookInputError(f"找不到「{BOARD_SHEET}」工作表：请用 insurance.xlsm 的原版，或把「{BOARD_SHEET}」改回原名")
    return book.sheets[BOARD_SHEET][item.cell].value


def board_text(book: Any, item: Input) -> str:
    text = reader_text(board_value(book, item))
    return "" if not isinstance(text, str) else text.strip()


def board_as_of(book: Any, today: dt.date) -> dt.date:
    """看板's 评估日期, or today when it is empty."""
    text = board_text(book, AS_OF)
    if not text:
        return today
    day = parse_date_text(text)
    if not isinstance(day, dt.date):
        raise BookInputError(f"{BOARD_SHEET}!{AS_OF.cell}「{AS_OF.label}」不是日期：{text!r}，请填写如 2026-11-24，或留空表示今天")
    return day


def board_month(book: Any, as_of: dt.date) -> str:
    """看板's 月份 (YYYY-MM), or the month before `as_of` when it is empty."""
    text = board_text(book, MONTH)
    if not text:
        return previous_month(as_of)
    month = parse_month_text(text)
    if not isinstance(month, str):
        raise BookInputError(f"{BOARD_SHEET}!{MONTH.cell}「{MONTH.label}」不是月份：{text!r}，请填写如 2026-10")
    return month


def book_context(book: Any, registers: Registers, today: dt.date) -> Context:
    return Context(settings=store_settings(registers), as_of=board_as_of(book, today))


# ---- writing ------------------------------------------------------------------------------------

def output_sheet(book: Any, name: str) -> Any:
    """The sheet `name`, emptied, or a new one after 看板 (where clerks look first), the button
    sheets in the order of layout.BUTTON_SHEETS."""
    names = [s.name for s in book.sheets]
    if name in names:
        sheet = book.sheets[name]
        sheet.clear()
        return sheet
    earlier = BUTTON_SHEETS[:BUTTON_SHEETS.index(name)] if name in BUTTON_SHEETS else BUTTON_SHEETS
    after = next((n for n in reversed((BOARD_SHEET, *earlier)) if n in names), names[-1])
    return book.sheets.add(name, after=book.sheets[after])


def excel_value(value: object) -> object:
    """A frame value as a cell gets it: empty → None, dates as dates, 是/否 for yes/no."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    if isinstance(value, str) and value.startswith(FORMULA_LEAD):
        return "'" + value  # Excel keeps the text after the apostrophe, never a formula
    return value


def table_rows(frame: pd.DataFrame, columns: Sequence[OutColumn]) -> list[list[object]]:
    cols = [frame[c.key].astype(object).tolist() if c.key in frame.columns else [None] * len(frame)
            for c in columns]
    return [[excel_value(v) for v in row] for row in zip(*cols)] if cols else []


def _is_text(frame: pd.DataFrame, key: str) -> bool:
    return key in frame.columns and (frame[key].dtype == object or pd.api.types.is_string_dtype(frame[key]))


def write_table(sheet: Any, frame: pd.DataFrame, columns: Sequence[OutColumn], top: int = 1,
                freeze: bool = True, widths: bool = True) -> int:
    """A header row at `top` and one row per frame row below; returns the last row written.

    `freeze`: this is the sheet's list: its header stays on screen, is repeated on each printed page
    and carries the filter (one per sheet in Excel; the smaller tables below a list go without).
    `widths=False` leaves the column widths alone (a table written under 看板's fixed block)."""
    last = top + len(frame)
    for j, col in enumerate(columns, start=1):
        fmt = col.number_format or ("@" if _is_text(frame, col.key) else None)
        if fmt and len(frame):
            sheet.range((top + 1, j), (last, j)).number_format = fmt
        if widths:
            sheet.range((top, j)).column_width = col.width
    header = [[c.header for c in columns]]
    sheet.range((top, 1)).value = header + table_rows(frame, columns)
    head = sheet.range((top, 1), (top, len(columns)))
    head.color = HEADER_COLOR
    head.font.bold = True
    head.font.color = WHITE
    if freeze:
        freeze_rows(sheet, top)
        print_setup(sheet, top)
        filter_list(sheet, top, max(last, top + 1), len(columns))
    return last


def freeze_rows(sheet: Any, rows: int) -> None:
    """Keep the sheet's first `rows` rows on screen.

    xlwings' desktop engines have no `Sheet.freeze_panes` (only Office.js and the remote engine do):
    desktop Excel freezes through the window, as VBA does. A platform without that window object
    (macOS' AppleScript) keeps the list unfrozen rather than failing the button after it wrote.
    """
    if not _is_desktop(sheet):
        sheet.freeze_panes.freeze_at(f"{rows}:{rows}")
        return
    try:
        sheet.activate()
        window = sheet.book.app.api.ActiveWindow
        window.FreezePanes = False
        window.SplitColumn = 0
        window.SplitRow = rows
        window.FreezePanes = True
    except Exception:  # cosmetic: a list that scrolls its header away is still the right list
        log.debug("could not freeze the first %s rows of %s", rows, sheet.name, exc_info=True)


XL_LANDSCAPE = 2  # XlPageOrientation.xlLandscape


def print_setup(sheet: Any, header_row: int | None) -> None:
    """Landscape, one page wide (as tall as it takes), `header_row` repeated on each printed page.

    Desktop Excel only, through COM's PageSetup (xlwings' page_setup has the print area alone); with
    PrintCommunication off meanwhile, as each PageSetup property otherwise waits for the printer
    driver. The remote engine has no page set-up to give: the sheet prints as Excel's default.
    """
    if not _is_desktop(sheet):
        log.debug("no page set-up for %s on the %s engine", sheet.name, sheet.book.app.engine.type)
        return
    app = sheet.book.app.api
    try:
        app.PrintCommunication = False
    except Exception:  # noqa: BLE001  older Excel, macOS: set-up goes through slower, that is all
        log.debug("PrintCommunication not available", exc_info=True)
    try:
        page = sheet.api.PageSetup
        page.Orientation = XL_LANDSCAPE
        page.Zoom = False  # FitToPages* apply only with Zoom off
        page.FitToPagesWide = 1
        page.FitToPagesTall = False  # as many pages tall as the list takes
        if header_row:
            page.PrintTitleRows = f"${header_row}:${header_row}"
    except Exception:  # cosmetic, like freezing: the list is written, printing stays Excel's default
        log.debug("could not set up printing of %s", sheet.name, exc_info=True)
    finally:
        with contextlib.suppress(Exception):
            app.PrintCommunication = True


def filter_list(sheet: Any, header_row: int, last_row: int, width: int) -> None:
    """Excel's filter arrows on the list's header, over its rows (any earlier filter of the sheet,
    from a previous press, is taken off first: a sheet has one). Desktop Excel through COM: xlwings'
    AutoFilter only filters a range already filtered, and the remote engine's needs Office.js."""
    if not _is_desktop(sheet):
        log.debug("no filter for %s on the %s engine", sheet.name, sheet.book.app.engine.type)
        return
    try:
        sheet.api.AutoFilterMode = False
        # with a field and no criteria, Range.AutoFilter turns the arrows on (without, it toggles them)
        sheet.range((header_row, 1), (last_row, width)).api.AutoFilter(1)
    except Exception:  # noqa: BLE001  cosmetic: the list is there, unfiltered
        log.debug("could not filter %s", sheet.name, exc_info=True)


def _is_desktop(sheet: Any) -> bool:
    return sheet.book.app.engine.type == "desktop"


def write_title(sheet: Any, text: str, row: int = 1) -> None:
    cell = sheet.range((row, 1))
    cell.value = text
    cell.font.bold = True
    cell.font.size = 14


# ---- talking to the clerk -----------------------------------------------------------------------

def status(book: Any, text: str | bool) -> None:
    """Excel's status bar (False gives it back to Excel); engines without one are left alone."""
    try:
        book.app.status_bar = text
    except NotImplementedError:  # the remote engine has no status bar
        pass


def alert(book: Any, text: str, title: str, critical: bool = False) -> None:
    book.app.alert(text, title=title, mode="critical" if critical else "info")
