"""The validated workbook for auditors: a copy of the clerk's workbook, never the original.

The copy gets a 校验结果 sheet in front (counts per register and rule, then one row per finding
linked to its cell), offending cells filled red (errors) or amber (warnings) with the message as a
cell comment, and the integrity stamp (integrity.py) in a hidden sheet and the document properties.
Formulas in register sheets are replaced by the values they showed when validated: openpyxl cannot
keep a formula's cached value, and an auditor's copy should show what was checked, not a recalculation.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink

from ..outputs import RESULTS_SHEET
from ..errors import InsuranceXlError, WorkbookLocked, WorkbookUnreadable
from ..findings import Finding, Severity
from .integrity import (STAMP_SHEET, SheetCells, Stamp, Verification, make_stamp, sheet_ref, stamp_properties,
                        stamp_rows, verify_workbook_stamp, workbook_cells)
from .validated_package import write_validated_package
from .validated_sheets import finding_rows, local_time
from ..xlsx.style_edit import Unsupported  # noqa: F401  (what the package editor raises; tests use it)
from ..tables import Registers
from ..reading.store import load_sheet_grids
from ..xlsx.properties import output_kind, set_properties, stamp_kind
from ..core.validation.validate import SEVERITY_LABEL, Validation, register_title, rule_title
from .sheet import BORDER, HEADER_FILL, HEADER_FONT, TITLE_FONT, fit_widths, print_ready_sheet, put
from ..xlsx.save import atomic_write, verify_workbook

log = logging.getLogger(__name__)
AUTHOR = "insurance-xl"
FILLS = {Severity.ERROR: PatternFill("solid", fgColor="FFC7CE"), Severity.WARNING: PatternFill("solid", fgColor="FFEB9C")}
LINK_FONT = Font(color="0563C1", underline="single")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?")
SUMMARY_HEADERS = ("登记表", "规则", "说明", "级别", "条数")
FINDING_HEADERS = ("序号", "级别", "登记表", "工作表", "行", "列", "单元格", "规则", "说明", "相关行")


def write_validated_workbook(source: str | Path, out: str | Path, registers: Registers, validation: Validation, *,
                             as_of: dt.date, now: dt.datetime, store: str = "",
                             cells: Mapping[str, SheetCells] | None = None) -> Stamp:
    """Write the validated copy of `source` to `out`; returns the stamp it carries. `cells`: the
    register sheets' cells, when the caller kept them while reading (else the file is read again)."""
    source, out = Path(source), Path(out)
    check_out_path(source, out)
    sheets = [lay.sheet for lay in registers.layouts]
    if cells is None or not set(sheets) <= set(cells):
        cells = workbook_cells(load_sheet_grids(source), sheets)
    cells = {s: cells[s] for s in sheets}
    stamp = make_stamp(cells, validated_at=now.isoformat(timespec="seconds"), ruleset=validation.ruleset,
                       as_of=as_of.isoformat(), errors=validation.errors, warnings=validation.warnings)
    touched: set[str] = set()

    def write(tmp: Path) -> None:
        touched.update(write_validated_package(source, tmp, sheets, validation, stamp, as_of=as_of,
                                               store=store or registers.source))

    def check(tmp: Path) -> None:  # never hand out a stamp that does not verify
        # parts copied byte for byte hold the cells they held (and passed the reading checks when
        # read): only the edited sheets are read again
        _verified(verify_workbook_stamp(tmp, known={s: c for s, c in cells.items() if s not in touched}))

    try:
        atomic_write(out, write, verify=check)
    except WorkbookLocked:
        raise
    except Exception as exc:  # noqa: BLE001  a package the editor does not edit (Unsupported), or one
        # it failed on (a damaged part, the self-check): the full rewrite through openpyxl, which
        # refuses what it cannot copy with a message
        log.info("validated workbook through openpyxl: %s: %s", type(exc).__name__, exc)
        _write_with_openpyxl(source, out, registers, validation, stamp, as_of=as_of, store=store)
    return stamp


def _verified(result: Verification | None) -> None:
    if result is None or not result.unchanged:
        raise InsuranceXlError(f"校验工作簿写入后自检失败：{', '.join((result.changed_cells + result.notes) if result else ())}")


def _write_with_openpyxl(source: Path, out: Path, registers: Registers, validation: Validation, stamp: Stamp, *,
                         as_of: dt.date, store: str) -> None:
    sheets = [lay.sheet for lay in registers.layouts]
    grids = load_sheet_grids(source)
    try:
        wb = load_workbook(source, keep_vba=source.suffix.lower() == ".xlsm", rich_text=False)
    except Exception as exc:  # openpyxl failing on a file the reader could read
        raise WorkbookUnreadable(source, f"无法复制工作簿：{exc}") from None
    for name in (RESULTS_SHEET, STAMP_SHEET):  # a workbook validated before: replace our sheets
        if name in wb.sheetnames:
            wb.remove(wb[name])
    grids_by_sheet = {name: (grid, offsets) for name, grid, offsets in grids}
    for sheet in sheets:
        freeze_formulas(wb[sheet], *grids_by_sheet[sheet])
    mark_cells(wb, validation.findings)
    write_results_sheet(wb, validation, stamp, as_of=as_of, store=store or registers.source)
    write_stamp(wb, stamp)
    stamp_kind(wb, "validated")

    def check(tmp: Path) -> None:
        verify_workbook(tmp)
        _verified(verify_workbook_stamp(tmp))

    atomic_write(out, lambda tmp: wb.save(tmp), verify=check)


def check_out_path(source: str | Path, out: str | Path) -> None:
    """Refuse, before any work, an --out that would touch the clerk's workbook or cannot hold it."""
    source, out = Path(source), Path(out)
    if source.is_dir():
        raise InsuranceXlError("--out 只能用于单个工作簿：请对门店文件夹中的每个工作簿分别校验")
    if out.suffix.lower() not in (".xlsx", ".xlsm") or (out.suffix.lower() == ".xlsm") != (source.suffix.lower() == ".xlsm"):
        raise InsuranceXlError(f"--out 应为与原工作簿同类型的 {source.suffix or '.xlsx'} 文件：{out}")
    if out.resolve() == source.resolve() or (out.exists() and out.samefile(source)):
        raise InsuranceXlError(f"--out 不能是原工作簿本身（原工作簿不会被修改）：{out}")
    if output_kind(source) == "validated":  # its red cells and comments are the old findings
        raise InsuranceXlError(f"{source} 本身是校验结果工作簿：请在原始台账上修改后重新校验")


def freeze_formulas(ws, grid: pd.DataFrame, offsets: list[int]) -> int:
    """Replace formulas by the values the reader read for them; returns how many."""
    column_pos = {o + 1: i for i, o in enumerate(offsets)}  # 1-based column → grid column
    frozen = 0
    # only the cells the sheet holds: iter_rows() would make one for every position of the sheet's
    # range, and one formatted cell at XFD1048576 makes that 17 billion (the corpus found it)
    for cell in list(ws._cells.values()):
        if cell.data_type == "f":
            pos = column_pos.get(cell.column)
            text = grid.iat[cell.row - 1, pos] if pos is not None and cell.row <= len(grid) else None
            put(cell, typed_text(text))
            frozen += 1
    return frozen


def typed_text(text: object) -> object:
    """The value whose cell the reader reads back as `text`: numbers and dates stay numbers and dates."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or text is pd.NA:
        return None
    text = str(text)
    if _NUMBER.fullmatch(text):
        number = float(text)
        if text in (repr(number), str(int(number)) if number.is_integer() else None):  # not '00123'
            return int(number) if number.is_integer() else number
    if text in ("true", "false"):
        return text == "true"
    if _DATETIME.fullmatch(text):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    return text


def mark_cells(wb: Workbook, findings: tuple[Finding, ...]) -> None:
    """Fill each offending cell (red error, amber warning) and comment it with the messages."""
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        loc = f.location
        if loc.cell and loc.sheet in wb.sheetnames:
            by_cell.setdefault((loc.sheet, loc.cell), []).append(f)
    for (sheet, ref), items in by_cell.items():
        cell = wb[sheet][ref]
        severity = Severity.ERROR if any(f.is_error for f in items) else Severity.WARNING
        cell.fill = FILLS[severity]
        text = "\n".join(f"【{SEVERITY_LABEL[f.severity]}】{f.message}" for f in items)
        if cell.comment and cell.comment.author != AUTHOR:  # keep the clerk's own note above ours
            text = f"{cell.comment.text}\n——\n{text}"
        comment = Comment(text, AUTHOR)
        comment.width, comment.height = 320, min(60 + 40 * len(items), 400)
        cell.comment = comment


def write_results_sheet(wb: Workbook, validation: Validation, stamp: Stamp, *, as_of: dt.date, store: str) -> None:
    ws = wb.create_sheet(RESULTS_SHEET, 0)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    put(ws.cell(row=1, column=1), f"校验结果：{store}").font = TITLE_FONT
    put(ws.cell(row=2, column=1), f"校验时间 {local_time(stamp.validated_at)}　基准日 {as_of:%Y-%m-%d}　规则版本 {stamp.ruleset}　"
                                  f"错误 {validation.errors} 条　警告 {validation.warnings} 条")
    put(ws.cell(row=3, column=1), f"完整性校验码 SHA-256：{stamp.sha256}（用 insurance-xl validate --verify 本文件 "
                                  f"可验证登记表自校验后未被修改）")
    row = 5
    _header(ws, row, SUMMARY_HEADERS)
    for register, rule, severity, count in validation.summary():
        row += 1
        for j, value in enumerate((register_title(register), rule, rule_title(rule), SEVERITY_LABEL[severity], count), 1):
            put(ws.cell(row=row, column=j), value).border = BORDER
    if not validation.findings:
        row += 1
        put(ws.cell(row=row, column=1), "没有发现问题")
    row += 2
    _header(ws, row, FINDING_HEADERS)
    first = row
    for f, values in finding_rows(validation):
        row += 1
        loc, related = f.location, values[9]
        for j, value in enumerate(values, 1):
            put(ws.cell(row=row, column=j), value).border = BORDER
        status = ws.cell(row=row, column=2)
        status.fill = FILLS[f.severity]
        target = loc.cell or (f"A{loc.row}" if loc.row else "A1")
        if loc.sheet in wb.sheetnames:
            _link(ws.cell(row=row, column=7), loc.cell or ("整行" if loc.row else "整表"), sheet_ref(loc.sheet, target))
        if f.related and f.related[0].sheet in wb.sheetnames:
            _link(ws.cell(row=row, column=10), related, sheet_ref(f.related[0].sheet, f"A{f.related[0].row}"))
        ws.cell(row=row, column=9).alignment = Alignment(wrap_text=True, vertical="top")
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(FINDING_HEADERS))}{max(row, first + 1)}"
    fit_widths(ws, maximum=40)
    ws.column_dimensions["I"].width = 70
    ws.column_dimensions["A"].width = max(6, min(30, max((len(str(c.value)) * 2 for c in ws["A"][4:] if c.value), default=6)))
    ws.freeze_panes = None  # the summary sits above the findings: frozen, it would fill the screen
    ws.print_title_rows = f"{first}:{first}"  # printed, each page repeats the findings' header
    print_ready_sheet(ws)


def _header(ws, row: int, headers: tuple[str, ...]) -> None:
    for j, text in enumerate(headers, 1):
        cell = put(ws.cell(row=row, column=j), text)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER


def _link(cell, text: str, location: str) -> None:
    put(cell, text)
    cell.hyperlink = Hyperlink(ref=cell.coordinate, location=location, display=text)
    cell.font = LINK_FONT


def write_stamp(wb: Workbook, stamp: Stamp) -> None:
    ws = wb.create_sheet(STAMP_SHEET)
    ws.sheet_state = "hidden"
    put(ws.cell(row=1, column=1), "insurance-xl 完整性印章（请勿修改：SHA-256 覆盖所列登记表工作表的全部单元格值）")
    for i, (label, value) in enumerate(stamp_rows(stamp), start=2):
        put(ws.cell(row=i, column=1), label)
        if value:
            put(ws.cell(row=i, column=2), value)
    set_properties(wb, stamp_properties(stamp))

