"""An open workbook as registers, and tables written back into it: the glue every button shares.

Reading: each sheet's cells from A1 to its last used cell become the texts the file reader would
see (values.cell_text), and read.read_grid parses them, so the open book (unsaved edits included)
reads exactly like the saved file. Writing: one `Range.value` per table, number formats set first
(so an ID never turns into 1.1E+17), text starting with = + - @ kept as text.

Works on any xlwings engine: desktop Excel when a button runs it, the remote engine in tests.
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InsuranceXlError
from ..model import Registers
from ..read import OWN_SHEETS, SheetRead, assemble, detect_register, read_grid, HEADER_SCAN_ROWS
from ..settings import Context, Settings, load_settings
from ..values import cell_text, parse_date_text, parse_month_text
from ..write import FORMULA_LEAD, OutColumn
from .layout import AS_OF, BOARD, MONTH, OUTPUT_SHEETS, Input

HEADER_COLOR = "#1F4E78"  # write.HEADER_FILL
WHITE = "#FFFFFF"
ERROR_COLOR = "#FFC7CE"  # Excel's "bad" fill
WARNING_COLOR = "#FFEB9C"  # Excel's "neutral" fill


class BookInputError(InsuranceXlError):
    """Something on 看板 the clerk must correct before the button can run."""


# ---- reading ------------------------------------------------------------------------------------

def sheet_values(sheet: Any, rows: int | None = None) -> list[list[object]]:
    """The sheet's values from A1 to its last used cell (or only the first `rows` rows).

    Desktop Excel goes through xlwings' converter (COM dates and error codes need it). The remote
    engine's payload is JSON already typed, and its converter's per-cell regex costs seconds on a
    five-year register, so its values are taken as sent and `cell_grid` reads them the same way.
    """
    if _is_remote(sheet):  # Sheet.api is the payload itself: its values, from A1
        values = sheet.api["values"]
        return values if rows is None else values[:rows]
    last = sheet.used_range.last_cell
    nrows = last.row if rows is None else min(rows, last.row)
    return sheet.range((1, 1), (nrows, last.column)).options(ndim=2).value or []


def _is_remote(sheet: Any) -> bool:
    return sheet.book.app.engine.type == "remote"


# What xlwings' remote engine turns into a datetime (_xlremote.datetime_pattern) and into None
_JSON_DATETIME = re.compile(r"^[0-9]{4}-(?:1[0-2]|0[1-9])-(?:3[01]|0[1-9]|[12][0-9])T(?:2[0-3]|[01][0-9]):[0-5][0-9]:"
                            r"[0-5][0-9](?:\.[0-9]+)?Z$")  # the common case: cut, not parsed
_XL_DATETIME = re.compile(r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T"
                          r"(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?"
                          r"(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$")
_XL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!")


def cell_grid(values: Sequence[Sequence[object]], json_dates: bool = False) -> pd.DataFrame:
    """Cell values as the grid of texts read.read_grid parses (row i = Excel row i + 1).

    Each cell becomes what values.cell_text makes of it, column by column and type by type rather
    than cell by cell (a 100k-row register has two million cells), string work done in Arrow. With
    `json_dates`, texts are first read the way xlwings' remote engine reads its payload: ISO
    datetimes ending in Z are dates, Excel error literals are empty.
    """
    lengths = set(map(len, values))
    width = max(lengths, default=0)
    if not width:
        return pd.DataFrame()
    rows = values if len(lengths) == 1 else [list(row) + [None] * (width - len(row)) for row in values]
    cells = np.array(rows, dtype=object)  # transposing through numpy: several times faster than zip(*rows)
    if cells.shape != (len(rows), width):  # a cell numpy took for a sequence: place them one by one
        cells = np.empty((len(rows), width), dtype=object)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                cells[i, j] = value
    return pd.DataFrame({j: pd.array(_column_texts(cells[:, j], json_dates), dtype="str") for j in range(width)})


def _column_texts(column: np.ndarray, json_dates: bool) -> pa.Array:
    try:  # most columns hold texts only
        texts = pa.array(column, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        texts = pa.array(_as_texts(column), type=pa.string(), from_pandas=True)
    empty = pc.equal(pc.utf8_trim(texts, characters=_python_whitespace()), "")
    if json_dates:
        empty = pc.or_(empty, pc.is_in(texts, value_set=pa.array(_XL_ERRORS)))
    if json_dates and pc.any(pc.match_substring(texts, ":")).as_py():  # every datetime has a colon
        dated = pc.fill_null(pc.match_substring_regex(texts, _JSON_DATETIME.pattern), False)
        joined = pc.binary_join_element_wise(pc.utf8_slice_codeunits(texts, 0, 10),
                                             pc.utf8_slice_codeunits(texts, 11, 19), " ")
        odd = pc.and_(pc.invert(dated), pc.match_substring_regex(texts, r"^-?\d{4,}-\d\d-\d\dT"))
        texts = pc.if_else(dated, joined, texts)
        if pc.any(odd).as_py():  # other ISO forms the engine also takes for dates: rare, one by one
            fixed = texts.to_pylist()
            for k in np.flatnonzero(pc.fill_null(odd, False).to_numpy(zero_copy_only=False)):
                fixed[k] = _engine_datetime_text(fixed[k])
            texts = pa.array(fixed, type=pa.string())
    return pc.if_else(pc.fill_null(empty, False), pa.scalar(None, pa.string()), texts)


def _engine_datetime_text(text: str) -> str:
    """A text the remote engine reads as a datetime (its own regex and its own slicing), as cell_text."""
    if not _XL_DATETIME.match(text):
        return text
    try:
        return cell_text(dt.datetime.fromisoformat(text[:-1]))
    except ValueError:  # the engine would fail on it too: keep the text for the reader to report
        return text


def _as_texts(column: np.ndarray) -> np.ndarray:
    """A column holding numbers, booleans, dates…: each non-text cell as values.cell_text makes it."""
    cells = column
    kinds = np.fromiter(map(_KIND.get, map(type, column), itertools.repeat(_OTHER)), dtype=np.int8,
                        count=len(column))
    out = np.where(kinds == _KIND[str], cells, None)
    floats = kinds == _KIND[float]
    if floats.any():
        numbers = cells[floats].astype(np.float64)
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < 1e17)
        texts = np.full(len(numbers), None, dtype=object)
        texts[whole] = numbers[whole].astype(np.int64).astype(str).astype(object)
        fraction = ~whole & ~np.isnan(numbers)
        texts[fraction] = [repr(float(x)) for x in numbers[fraction]]
        out[floats] = texts
    integers = kinds == _KIND[int]
    if integers.any():
        out[integers] = [str(x) for x in cells[integers]]
    booleans = kinds == _KIND[bool]
    if booleans.any():
        out[booleans] = np.where(cells[booleans].astype(bool), "true", "false")
    for k in np.flatnonzero(kinds == _OTHER):  # dates from desktop Excel, numpy scalars: cell by cell
        text = cell_text(cells[k])
        out[k] = text if isinstance(text, str) else None
    return out


_KIND = {type(None): 0, str: 1, float: 2, int: 3, bool: 4}  # exact types: bool is not an int here
_OTHER = 5


@functools.cache
def _python_whitespace() -> str:
    """What str.strip() removes (cell_text's notion of a blank cell), for Arrow's utf8_trim."""
    return "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def read_book(book: Any, wanted: Collection[str] | None = None,
              columns: Mapping[str, Collection[str]] | None = None) -> Registers:
    """The registers of an open book; with `wanted`, only sheets holding those registers are read,
    and with `columns`, only those columns of a register are parsed (the others are left empty)."""
    sheets: list[SheetRead] = []
    unrecognised: list[tuple[str, str]] = []
    for sheet in book.sheets:
        if sheet.name in OWN_SHEETS:
            continue
        json_dates = _is_remote(sheet)
        head = cell_grid(sheet_values(sheet, HEADER_SCAN_ROWS), json_dates)
        found = detect_register(sheet.name, head)
        if found is None:
            if head.notna().to_numpy().any():
                unrecognised.append((book.name, sheet.name))
            continue
        register = found[0].key
        if wanted is not None and register not in wanted and register != "settings":
            continue
        only = columns.get(register) if columns is not None else None
        grid = cell_grid(sheet_values(sheet), json_dates)
        item = read_grid(grid, book.name, sheet.name, register=register, only=only)
        if item is not None:
            sheets.append(item)
    return assemble(sheets, unrecognised, book.name)


def book_settings(registers: Registers) -> Settings:
    """Settings from the book's 设置 sheet (defaults where it is silent)."""
    table = registers["settings"]
    rows = list(zip(table["key"], table["value"], table["_row"])) if len(table) else None
    return load_settings(None, rows)


def board_value(book: Any, item: Input) -> object:
    if BOARD not in [s.name for s in book.sheets]:
        raise BookInputError(f"找不到「{BOARD}」工作表：请用 insurance.xlsm 的原版，或把「{BOARD}」改回原名")
    return book.sheets[BOARD][item.cell].value


def board_text(book: Any, item: Input) -> str:
    text = cell_text(board_value(book, item))
    return "" if not isinstance(text, str) else text.strip()


def board_as_of(book: Any, today: dt.date) -> dt.date:
    """看板's 评估日期, or today when it is empty."""
    text = board_text(book, AS_OF)
    if not text:
        return today
    day = parse_date_text(text)
    if not isinstance(day, dt.date):
        raise BookInputError(f"{BOARD}!{AS_OF.cell}「{AS_OF.label}」不是日期：{text!r}，请填写如 2026-11-24，或留空表示今天")
    return day


def board_month(book: Any, as_of: dt.date) -> str:
    """看板's 月份 (YYYY-MM), or the month before `as_of` when it is empty."""
    text = board_text(book, MONTH)
    if not text:
        return (as_of.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    month = parse_month_text(text)
    if not isinstance(month, str):
        raise BookInputError(f"{BOARD}!{MONTH.cell}「{MONTH.label}」不是月份：{text!r}，请填写如 2026-10")
    return month


def book_context(book: Any, registers: Registers, today: dt.date) -> Context:
    return Context(settings=book_settings(registers), as_of=board_as_of(book, today))


# ---- writing ------------------------------------------------------------------------------------

def output_sheet(book: Any, name: str) -> Any:
    """The sheet `name`, emptied, or a new one after 看板 (where clerks look first), the button
    sheets in the order of layout.OUTPUT_SHEETS."""
    names = [s.name for s in book.sheets]
    if name in names:
        sheet = book.sheets[name]
        sheet.clear()
        return sheet
    earlier = OUTPUT_SHEETS[:OUTPUT_SHEETS.index(name)] if name in OUTPUT_SHEETS else OUTPUT_SHEETS
    after = next((n for n in reversed((BOARD, *earlier)) if n in names), names[-1])
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
        sheet.freeze_panes.freeze_at(f"{top}:{top}")
    return last


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
