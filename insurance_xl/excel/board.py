"""The 看板 sheet: where each KPI of `kpi --json` sits, with the counts behind it (DOMAIN.md "KPIs").

The keys and their Chinese labels come from kpi.py (RATE_KEYS, MONEY_KEYS, COUNT_KEYS: the `kpi --json`
contract), so 看板, the monthly report and the JSON name the same things. `build`
writes the labels; the 刷新看板 button writes the values into the cells `kpi_cells()` names.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ..core.kpi_counts import COUNT_LABELS
from ..core.kpi import BREAKDOWN_COLUMNS, COUNT_KEYS, MONEY_KEYS, MONEY_LABELS, RATE_KEYS, RATE_LABELS
from ..writing.report_book import BREAKDOWN_HEADERS
from ..settings import Context
from ..writing.sheet import BORDER, HEADER_FILL, HEADER_FONT, MONEY_FORMAT, TITLE_FONT, OutColumn
from .book import write_table, write_title
from ..outputs import BOARD_SHEET
from .layout import BUTTON_COLUMN, BUTTONS, INPUTS, KPI_TOP, STATUS_LABEL, STATUS_ROW

RATE_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # cells the clerk fills in
OUTPUT_FILL = PatternFill("solid", fgColor="F2F2F2")  # cells the buttons fill in
HINT_FONT = Font(italic=True, color="7F7F7F")
# A: label, B: value, C-D: the counts behind a rate (Kpis.fraction), C-G: the inputs' hints, H-I: buttons,
# J: gap, K: what each button does
WIDTHS = (30, 14, 12, 12, 10, 10, 2, 12, 12, 2, 70)
RATE_HEADERS = ("指标", "本月", "分子", "分母")


@dataclass(frozen=True)
class KpiCell:
    key: str  # a `kpi --json` key (a rate, a money key, or a count under `counts`)
    label: str
    row: int
    number_format: str


def rate_cells() -> list[KpiCell]:
    """Rates in B; their numerator and denominator (Kpis.fraction) in C and D."""
    return [KpiCell(key, RATE_LABELS[key], KPI_TOP + 1 + i, RATE_FORMAT) for i, key in enumerate(RATE_KEYS)]


MONEY_TOP = KPI_TOP + len(RATE_KEYS) + 2
COUNT_TOP = MONEY_TOP + len(MONEY_KEYS) + 2
BREAKDOWN_TOP = COUNT_TOP + len(COUNT_KEYS) + 2  # tables of varying length go below everything
BREAKDOWN_ROWS = 400  # rows cleared below the fixed block before the breakdowns are rewritten


def money_cells() -> list[KpiCell]:
    return [KpiCell(key, MONEY_LABELS[key], MONEY_TOP + 1 + i, MONEY_FORMAT) for i, key in enumerate(MONEY_KEYS)]


def count_cells() -> list[KpiCell]:
    return [KpiCell(key, COUNT_LABELS[key], COUNT_TOP + 1 + i, COUNT_FORMAT) for i, key in enumerate(COUNT_KEYS)]


def column_widths() -> tuple[int, ...]:
    return WIDTHS


def write_board(ws: Worksheet) -> None:
    """The 看板 as built: inputs, labels and empty value cells; the buttons are added by `build`."""
    for j, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = width
    ws["A1"] = "保险业务看板"
    ws["A1"].font = TITLE_FONT
    ws["A2"] = "在黄色格子里填写，再按右侧按钮；灰色格子由按钮填写。"
    ws["A2"].font = HINT_FONT
    for item in INPUTS:
        ws.cell(row=item.row, column=1, value=item.label).font = Font(bold=True)
        cell = ws.cell(row=item.row, column=2)
        cell.fill, cell.border, cell.number_format = INPUT_FILL, BORDER, item.number_format
        ws.cell(row=item.row, column=3, value=item.hint).font = HINT_FONT
    ws.cell(row=STATUS_ROW, column=1, value=STATUS_LABEL).font = Font(bold=True)
    ws.cell(row=STATUS_ROW, column=2).fill = OUTPUT_FILL
    for button in BUTTONS:
        ws.cell(row=button.row, column=BUTTON_COLUMN + 4, value=f"{button.caption}：{button.doc}").font = HINT_FONT
        ws.cell(row=button.row, column=BUTTON_COLUMN + 4).alignment = Alignment(vertical="center")

    _header(ws, KPI_TOP, RATE_HEADERS)
    for item in rate_cells():
        _label(ws, item)
        _output(ws, item.row, 3, COUNT_FORMAT)
        _output(ws, item.row, 4, COUNT_FORMAT)
    _header(ws, MONEY_TOP, ("金额", "本月（元）"))
    for item in money_cells():
        _label(ws, item)
    _header(ws, COUNT_TOP, ("台数", "本月"))
    for item in count_cells():
        _label(ws, item)
    ws.freeze_panes = "A3"
    ws.page_setup.orientation = "landscape"  # printed for the weekly review: one page wide
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0


def _header(ws: Worksheet, row: int, texts: tuple[str, ...]) -> None:
    for j, text in enumerate(texts, start=1):
        cell = ws.cell(row=row, column=j, value=text)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center")


def _label(ws: Worksheet, item: KpiCell) -> None:
    ws.cell(row=item.row, column=1, value=item.label).border = BORDER
    _output(ws, item.row, 2, item.number_format)


def _output(ws: Worksheet, row: int, column: int, number_format: str) -> None:
    cell = ws.cell(row=row, column=column)
    cell.fill, cell.border, cell.number_format = OUTPUT_FILL, BORDER, number_format


# ---- 刷新看板 writes the values --------------------------------------------------------------------

def write_kpis(book: Any, kpis: Any, ctx: Context, pipeline: Any = None) -> None:
    """The `kpi --json` numbers into 看板's cells, then the month's breakdowns below them (and the
    renewal pipeline's tables when given: core/pipeline.py)."""
    payload = kpis.to_json()
    sheet = book.sheets[BOARD_SHEET]
    sheet.range((STATUS_ROW, 2)).value = f"{kpis.month} · 评估日期 {ctx.as_of:%Y-%m-%d}"
    rates = rate_cells()
    sheet.range((rates[0].row, 2)).value = [[payload[c.key], *kpis.fraction(c.key)] for c in rates]
    money = money_cells()
    sheet.range((money[0].row, 2)).value = [[payload[c.key]] for c in money]
    counts = count_cells()
    sheet.range((counts[0].row, 2)).value = [[payload["counts"][c.key]] for c in counts]

    top = BREAKDOWN_TOP
    sheet.range((top, 1), (top + BREAKDOWN_ROWS, len(WIDTHS))).clear()
    formats = {"policies": COUNT_FORMAT, "new": COUNT_FORMAT, "renewal": COUNT_FORMAT,
               "premium_share": RATE_FORMAT}
    row = top
    for by, title, frame in (("insurer", "本月本店出单 · 按保险公司", kpis.by_insurer),
                             ("clerk", "本月本店出单 · 按出单员", kpis.by_clerk)):
        columns = [OutColumn(by, BREAKDOWN_HEADERS[by], None, WIDTHS[0])] + [
            OutColumn(k, BREAKDOWN_HEADERS[k], formats.get(k, MONEY_FORMAT), 12) for k in BREAKDOWN_COLUMNS]
        write_title(sheet, title, row)
        row = write_table(sheet, frame, columns, top=row + 1, freeze=False, widths=False) + 2
    write_title(sheet, "本月续保失败原因", row)
    row = write_table(sheet, kpis.failures, [OutColumn("reason", "失败原因", None, 12),
                                             OutColumn("vehicles", "台数", COUNT_FORMAT, 12),
                                             OutColumn("share", "占比", RATE_FORMAT, 12)],
                      top=row + 1, freeze=False, widths=False) + 2
    if pipeline is not None:
        _write_pipeline(sheet, pipeline, row)


def _write_pipeline(sheet: Any, pipeline: Any, row: int) -> None:
    """首保未投保原因, 周分析 and 续保漏斗 below the failures (the report's sheets of the same names)."""
    import pandas as pd

    from ..core.first_insurance import WEEK_COLUMNS, WEEK_LABELS
    from ..core.funnel import FUNNEL_COLUMNS, FUNNEL_LABELS

    reasons = pd.DataFrame({"reason": list(pipeline.not_insured_reasons),
                            "cars": list(pipeline.not_insured_reasons.values())})
    tables = (
        ("本月新车未在本店投保原因", reasons, [OutColumn("reason", "未在店投保原因", None, 12),
                                       OutColumn("cars", "台数", COUNT_FORMAT, 12)]),
        ("本月首保与续保周分析", pipeline.weeks,
         [OutColumn(k, WEEK_LABELS[k], None if k == "week" else COUNT_FORMAT, 12) for k in WEEK_COLUMNS]),
        ("本月续保漏斗（按出单员）", pipeline.funnel,
         [OutColumn(k, FUNNEL_LABELS[k], None if k == "clerk" else (RATE_FORMAT if k.endswith("rate") else COUNT_FORMAT), 12)
          for k in FUNNEL_COLUMNS]),
    )
    for title, frame, columns in tables:
        write_title(sheet, title, row)
        row = write_table(sheet, frame, columns, top=row + 1, freeze=False, widths=False) + 2
