"""Tables → formatted sheets, and saving a workbook without ever losing the old one.

ARCHITECTURE.md "Files we touch": a clerk's workbook is never written while Excel or LibreOffice
holds it, a timestamped backup is kept first (the last 10), and the new file is written beside it,
fsynced, re-opened to verify and only then swapped in with os.replace, so a crash at any moment
leaves either the old file or the complete new one. Text starting with = + - @ is written as text.
"""
from __future__ import annotations

import datetime as dt
import math
from copy import copy
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from .errors import WorkbookLocked, WorkbookUnreadable
from .registers import REGISTERS, YES_NO, Column, Kind

BACKUP_DIR = ".insurance-xl-backups"
BACKUPS_KEPT = 10
KIND_PROPERTY = "insurance-xl-kind"
DATE_FORMAT = "yyyy-mm-dd"
MONEY_FORMAT = '"¥"#,##0.00'
PERCENT_FORMAT = "0.0%"
FORMULA_LEAD = ("=", "+", "-", "@")
# Not representable in XML 1.0 (C0 controls but tab, LF, CR; lone surrogates; U+FFFE, U+FFFF): dropped
# when written (SECURITY.md). A workbook holding one would not open.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Excel reads _xHHHH_ in cell text as an escaped character; a clerk's literal '_x0041_' must stay
# literal, so its underscore is escaped the way Excel does it (_x005F_).
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
THIN = Side(style="thin", color="BFBFBF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
_FORMATS = {Kind.DATE: DATE_FORMAT, Kind.MONEY: MONEY_FORMAT, Kind.INT: "0", Kind.ID: "@", Kind.MONTH: "@"}


# ---- locks, backups, atomic replace -------------------------------------------------------------

def lock_files(path: Path) -> list[Path]:
    """Lock files showing the workbook open: Excel's ~$name, LibreOffice's .~lock.name#."""
    folder, name = path.parent, path.name
    candidates = [folder / f"~${name}", folder / f"~${name[2:]}", folder / f".~lock.{name}#"]
    return [c for c in candidates if c.exists()]


def check_not_open(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        raise WorkbookLocked(path, locks[0].name)


def backup(path: Path, now: dt.datetime | None = None) -> Path:
    """Copy `path` into .insurance-xl-backups/ with a timestamp; keep the newest BACKUPS_KEPT."""
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S-%f")
    folder = path.parent / BACKUP_DIR
    folder.mkdir(exist_ok=True)
    target = folder / f"{path.stem}.{stamp}{path.suffix}"
    data = path.read_bytes()
    with open(target, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(folder)
    olds = sorted(folder.glob(f"{glob_escape(path.stem)}.*{path.suffix}"))
    for old in olds[:-BACKUPS_KEPT]:
        old.unlink()
    return target


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[Path], None], *, keep_backup: bool = True,
                 verify: Callable[[Path], None] | None = None, now: dt.datetime | None = None) -> Path | None:
    """Write a workbook through `write(temp_path)` and swap it in atomically.

    Returns the backup made of the old file (None when there was no old file or no backup asked).
    """
    target = Path(path)
    check_not_open(target)
    made = backup(target, now) if keep_backup and target.exists() else None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        _keep_mode(target, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        (verify or verify_workbook)(tmp)
        check_not_open(target)  # opened while we were writing: leave the clerk's file alone
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
    return made


def _keep_mode(target: Path, tmp: Path) -> None:
    """mkstemp makes the temp file 0600: give it the old file's permissions (a store on a shared
    folder must stay readable by the others), or the umask's default for a new file."""
    if target.exists():
        shutil.copymode(target, tmp)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)


def verify_workbook(path: Path) -> None:
    """Re-open a freshly written workbook: it must pass the reading checks and list its sheets."""
    from .safety import check_workbook_file
    from .sheets import load_grids

    check_workbook_file(path)
    try:
        for _ in load_grids(path, rows=1):
            pass
    except WorkbookUnreadable as exc:
        raise WorkbookUnreadable(path, f"写入后校验失败：{exc.reason}") from None


def save_workbook(wb: Workbook, path: str | Path, *, keep_backup: bool = True, kind: str | None = None,
                  now: dt.datetime | None = None) -> Path | None:
    """Save an openpyxl workbook atomically; `kind` marks it as an insurance-xl output."""
    if kind:
        stamp_kind(wb, kind)
    return atomic_write(path, lambda tmp: wb.save(tmp), keep_backup=keep_backup, now=now)


def stamp_kind(wb: Workbook, kind: str) -> None:
    """Mark a workbook we wrote (report, call list…) so that reading a store folder skips it."""
    props = wb.custom_doc_props
    for prop in list(props):
        if prop.name == KIND_PROPERTY:
            props.props.remove(prop)
    props.append(StringProperty(name=KIND_PROPERTY, value=kind))


# ---- cells --------------------------------------------------------------------------------------

def python_value(value: object) -> object:
    """A value openpyxl can store: NaN/NA → None, Timestamp → date, numpy scalars → Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, np.generic):
        return python_value(value.item())
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def xml_safe_text(text: str) -> str:
    """Text as a cell can hold it: characters XML 1.0 cannot carry dropped."""
    return _ILLEGAL.sub("", text)


def cell_text(text: str) -> str:
    """Text as written into a cell: XML-safe, and Excel's _xHHHH_ escapes kept literal."""
    return _EXCEL_ESCAPE.sub(r"_x005F_\1", xml_safe_text(text))


def put(cell: Cell, value: object, number_format: str | None = None) -> Cell:
    """Store a value; text that looks like a formula stays text (never evaluated)."""
    value = python_value(value)
    if isinstance(value, str):
        cell.value = cell_text(value)
        # always a text cell: openpyxl would make '=…' a formula and '#N/A' an error value
        cell.data_type = "s"
    else:
        cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def text_cell_value(value: object) -> object:
    """For write-only sheets: the value with illegal characters dropped (formula-safe via put())."""
    value = python_value(value)
    return cell_text(value) if isinstance(value, str) else value


# ---- sheets -------------------------------------------------------------------------------------

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
        ws.column_dimensions[get_column_letter(j)].width = col.width
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
