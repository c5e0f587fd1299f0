"""Formatted sheets from DataFrames: column specs, number formats, titles, widths, print set-up."""
from __future__ import annotations
import datetime as dt
from copy import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from ..registers import REGISTERS, YES_NO, Column, Kind
from ..xlsx.texts import text_for_cell, python_value


DATE_FORMAT = "yyyy-mm-dd"

MONEY_FORMAT = '"¥"#,##0.00'

PERCENT_FORMAT = "0.0%"

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")

HEADER_FONT = Font(bold=True, color="FFFFFF")

TITLE_FONT = Font(bold=True, size=14)

THIN = Side(style="thin", color="BFBFBF")

BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

_FORMATS = {Kind.DATE: DATE_FORMAT, Kind.MONEY: MONEY_FORMAT, Kind.INT: "0", Kind.ID: "@", Kind.MONTH: "@"}


def put(cell: Cell, value: object, number_format: str | None = None) -> Cell:
    """Store a value; text that looks like a formula stays text (never evaluated)."""
    value = python_value(value)
    if isinstance(value, str):
        cell.value = text_for_cell(value)
        # always a text cell: openpyxl would make '=…' a formula and '#N/A' an error value
        cell.data_type = "s"
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


@dataclass(frozen=True)

class OutColumn:
    """A column of a written sheet: which frame column, what header, how formatted."""

    key: str
    header: str
    number_format: str | None = None
    width: int = 12
    choices: tuple[str, ...] = ()


def register_columns(register_key: str, keys: Sequence[str] | None = None) -> list[OutColumn]:
    reg = REGISTERS[register_key]
    cols = [reg.column(k) for k in keys] if keys else list(reg.columns)
    return [out_column(c) for c in cols]


def out_column(col: Column) -> OutColumn:
    choices = col.choices or (YES_NO if col.kind is Kind.YESNO else ())
    return OutColumn(col.key, col.header, _FORMATS.get(col.kind), col.width, choices)


def write_frame(ws: Worksheet, frame: pd.DataFrame, columns: Sequence[OutColumn], *, start_row: int = 1,
                table_name: str | None = None, validation_rows: int = 0, freeze: bool = True,
                yes_no: bool = True) -> int:
    """Write a header and one row per frame row; returns the last row written.

    Adds an Excel Table (when `table_name`), drop-down lists for choice columns over the data and
    `validation_rows` blank rows below, number formats, widths and a frozen header.
    """
    for j, col in enumerate(columns, start=1):
        cell = ws.cell(row=start_row, column=j, value=col.header)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(j)].width = content_width(frame, col)
    values = {c.key: _column_values(frame, c.key) for c in columns}
    # a column's style (border, number format) is set on its first cell and copied to the others:
    # assigning a Border per cell makes openpyxl hash it every time (20 s for 50k cells)
    styles: dict[int, object] = {}
    for i in range(len(frame)):
        r = start_row + 1 + i
        for j, col in enumerate(columns, start=1):
            value = values[col.key][i]
            if yes_no and isinstance(value, (bool, np.bool_)):
                value = "是" if value else "否"
            cell = put(ws.cell(row=r, column=j), value)
            if j in styles:
                cell._style = copy(styles[j])
            else:
                if col.number_format:
                    cell.number_format = col.number_format
                cell.border = BORDER
                styles[j] = copy(cell._style)
    last = start_row + len(frame)
    end = max(last, start_row + 1)
    for j, col in enumerate(columns, start=1):  # formats for rows clerks will add
        if col.number_format and validation_rows:
            for r in range(last + 1, last + 1 + validation_rows):
                ws.cell(row=r, column=j).number_format = col.number_format
    if table_name:
        ref = f"A{start_row}:{get_column_letter(len(columns))}{end + validation_rows}"
        table = Table(displayName=table_name, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    for j, col in enumerate(columns, start=1):
        if col.choices:
            formula = '"' + ",".join(col.choices) + '"'
            dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                                errorTitle="无效的值", error=f"请从列表中选择：{'、'.join(col.choices)}")
            letter = get_column_letter(j)
            dv.add(f"{letter}{start_row + 1}:{letter}{end + validation_rows}")
            ws.add_data_validation(dv)
    if freeze:
        ws.freeze_panes = ws.cell(row=start_row + 1, column=1)
    return last


def content_width(frame: pd.DataFrame, col: OutColumn, maximum: int = 50) -> float:
    """The declared width, widened to the header and the longest value (CJK characters count double),
    so a 保单号 or a name is never cut: one vectorised pass over the column."""
    longest = display_width([col.header])
    if col.key in frame.columns and len(frame):
        values = frame[col.key]
        if pd.api.types.is_datetime64_any_dtype(values):
            longest = max(longest, 10)
        elif pd.api.types.is_numeric_dtype(values):
            top = values.abs().max()
            longest = max(longest, len(f"{top:,.2f}") + 2 if pd.notna(top) else 0)
        else:
            longest = max(longest, display_width(values.dropna().astype(str)))
    return max(col.width, min(maximum, longest + 2))


_WIDE = "[\u2e80-\uffff]"  # CJK and full-width forms: two columns of a fixed-width font


def display_width(texts: pd.Series | Sequence[str]) -> int:
    """The widest text's width, CJK characters counting double (Arrow calls: a report writes a
    hundred columns, and pandas' string methods cost a millisecond each however short the column)."""
    array = pa.array(texts, type=pa.string(), from_pandas=True)
    if not len(array):
        return 0
    widest = pc.max(pc.add(pc.utf8_length(array), pc.count_substring_regex(array, _WIDE))).as_py()
    return int(widest or 0)


def _column_values(frame: pd.DataFrame, key: str) -> list[object]:
    if key not in frame.columns:
        return [None] * len(frame)
    return frame[key].astype(object).where(frame[key].notna(), None).tolist()


def write_title(ws: Worksheet, title: str, width: int, row: int = 1) -> None:
    ws.cell(row=row, column=1, value=title).font = TITLE_FONT
    if width > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def print_landscape(ws: Worksheet, header_row: int) -> None:
    """Printed on A4 landscape, one page wide, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"


def fit_widths(ws: Worksheet, minimum: int = 6, maximum: int = 50) -> None:
    """Column widths from the longest text (CJK characters count double)."""
    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or type(cell).__name__ == "MergedCell":
                continue
            text = cell.value.strftime("%Y-%m-%d") if isinstance(cell.value, (dt.date, dt.datetime)) else str(cell.value)
            longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in text.split("\n")), default=0)
            widths[cell.column] = max(widths.get(cell.column, 0), longest)
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = max(minimum, min(maximum, width + 2))


def table_name_for(register_key: str) -> str:
    return f"tbl_{register_key}"


def write_register(wb: Workbook, register_key: str, frame: pd.DataFrame | None = None, *,
                   validation_rows: int = 500, sheet_name: str | None = None) -> Worksheet:
    """A register sheet as clerks should keep it: declared headers, formats, drop-downs, a Table."""
    reg = REGISTERS[register_key]
    ws = wb.create_sheet(sheet_name or reg.sheet)
    frame = frame if frame is not None else pd.DataFrame(columns=list(reg.keys))
    write_frame(ws, frame, register_columns(register_key), table_name=table_name_for(register_key),
                validation_rows=validation_rows)
    return ws


def rows_of(frame: pd.DataFrame, keys: Iterable[str]) -> list[list[object]]:
    """Frame rows as lists of Python values (None for empty), in the given key order."""
    cols = [_column_values(frame, k) for k in keys]
    return [list(row) for row in zip(*cols)] if cols else []


# ---- every workbook we write, before it is saved -------------------------------------------------

CJK_FONT = "等线"  # Office 2016+'s default Chinese font (Windows 10+); Excel falls back to 微软雅黑 where absent


def print_ready(wb: Workbook) -> Workbook:
    """Make every sheet of an output workbook print and read well: A4 landscape, one page wide
    (LibreOffice and Excel scale it down), the header rows repeated on each printed page, a filter on
    the header of a list, and a Chinese font instead of Calibri (where Chinese falls back to whatever
    the PC has). A sheet's own choices (a print title set by its writer) are kept."""
    chinese_fonts(wb)
    for ws in wb.worksheets:
        print_ready_sheet(ws)
        header = _frozen_header_row(ws)
        if header and not ws.print_title_rows:
            ws.print_title_rows = f"1:{header}"
        width = _header_width(ws, header) if header else 0
        if width > 1 and not ws.tables and not ws.auto_filter.ref and ws.max_row > header:  # a list, not a form
            ws.auto_filter.ref = f"A{header}:{get_column_letter(width)}{ws.max_row}"
    return wb


def print_ready_sheet(ws: Worksheet) -> None:
    """A4 landscape, one page wide (a sheet of ours in a workbook that is the clerk's, fonts left alone)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _frozen_header_row(ws: Worksheet) -> int:
    """The last row kept on screen by the sheet's frozen panes (0: none)."""
    if not ws.freeze_panes:
        return 0
    from openpyxl.utils.cell import coordinate_from_string

    return coordinate_from_string(ws.freeze_panes)[1] - 1


def _header_width(ws: Worksheet, row: int) -> int:
    filled = [c.column for c in ws[row] if c.value is not None]
    return max(filled) if len(filled) > 1 else 0


def chinese_fonts(wb: Workbook) -> None:
    """Calibri (openpyxl's default) and unnamed fonts become CJK_FONT, in place: cells keep their
    font index, so this costs nothing per cell."""
    from openpyxl.styles import Font as FontStyle

    def chinese(font: FontStyle) -> FontStyle:
        if font.name not in (None, "Calibri"):
            return font
        new = copy(font)
        new.name, new.scheme = CJK_FONT, None
        return new

    fonts = wb._fonts  # openpyxl keeps no public handle on the default font
    for i, font in enumerate(list(fonts)):
        list.__setitem__(fonts, i, chinese(font))
    fonts._dict = {font: i for i, font in reversed(list(enumerate(fonts)))}
    fonts.clean = True
    for style in wb._named_styles:
        if style.name == "Normal":
            style.font = chinese(style.font)
