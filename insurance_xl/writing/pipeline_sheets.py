"""The renewal pipeline's sheets of the monthly report (DOMAIN.md rev 2): 续保漏斗 (per clerk: vehicles
due a call, quoted, renewed, 报价率, 成交率, with a native chart of the funnel), 周分析 (the ISO weeks of
the month: sold, 首保, 续保) and 首保未投保原因 (the month's own-brand cars sold without a 本店 新保
policy, by 未在店投保原因). Values computed by the core (core/pipeline.py), never formulas."""
from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from ..core.first_insurance import WEEK_COLUMNS, WEEK_LABELS
from ..core.funnel import FUNNEL_COLUMNS, FUNNEL_LABELS
from ..core.pipeline import RenewalPipeline
from ..registers import REGISTERS
from .sheet import OutColumn, fit_widths, put, write_frame, write_title

FUNNEL_SHEET, WEEKS_SHEET, REASONS_SHEET = "续保漏斗", "周分析", "首保未投保原因"
PIPELINE_SHEETS = (FUNNEL_SHEET, WEEKS_SHEET, REASONS_SHEET)
RATE_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"
HEADER_ROW = 3


def _columns(keys, labels, rates=()) -> list[OutColumn]:
    return [OutColumn(k, labels[k], RATE_FORMAT if k in rates else (None if i == 0 else COUNT_FORMAT), 12)
            for i, k in enumerate(keys)]


def _total(ws: Worksheet, row: int, values: list[object], formats: list[str | None]) -> None:
    for j, (value, fmt) in enumerate(zip(values, formats), start=1):
        put(ws.cell(row=row, column=j), value, fmt).font = Font(bold=True)


def write_funnel(ws: Worksheet, funnel: pd.DataFrame, month: str) -> None:
    columns = _columns(FUNNEL_COLUMNS, FUNNEL_LABELS, rates=("quote_rate", "close_rate"))
    last = write_frame(ws, funnel, columns, start_row=HEADER_ROW)
    due, quoted, renewed = (int(funnel[k].sum()) for k in ("due", "quoted", "renewed"))
    _total(ws, last + 1, ["合计", due, quoted, renewed, quoted / due if due else None,
                          renewed / quoted if quoted else None], [c.number_format for c in columns])
    fit_widths(ws, maximum=30)
    write_title(ws, f"{month} 续保漏斗：应联系 → 已报价 → 已续保（按出单员；报价率 = 已报价 ÷ 应联系，"
                    f"成交率 = 已续保 ÷ 已报价）", len(columns))
    chart = BarChart()
    chart.type, chart.grouping = "bar", "clustered"
    chart.title, chart.height, chart.width = "续保漏斗（合计）", 7.5, 16
    chart.add_data(Reference(ws, min_col=2, max_col=4, min_row=last + 1, max_row=last + 1), from_rows=True,
                   titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=2, max_col=4, min_row=HEADER_ROW, max_row=HEADER_ROW))
    chart.x_axis.scaling.orientation = "maxMin"  # 应联系 on top, narrowing downwards
    chart.legend = None
    chart.y_axis.number_format = "#,##0"
    ws.add_chart(chart, f"H{HEADER_ROW}")


def write_weeks(ws: Worksheet, weeks: pd.DataFrame, month: str) -> None:
    columns = _columns(WEEK_COLUMNS, WEEK_LABELS)
    last = write_frame(ws, weeks, columns, start_row=HEADER_ROW)
    _total(ws, last + 1, ["合计", *(int(weeks[k].sum()) for k in WEEK_COLUMNS[1:])],
           [c.number_format for c in columns])
    fit_widths(ws, maximum=30)
    write_title(ws, f"{month} 首保与续保周分析（ISO 周，只计本月内的日期；本店品牌）", len(columns))


def write_reasons(ws: Worksheet, reasons: dict[str, int], month: str) -> None:
    table = pd.DataFrame({"reason": list(reasons), "cars": list(reasons.values())})
    total = int(table["cars"].sum())
    table["share"] = table["cars"] / total if total else None
    header = REGISTERS["sales"].column("not_insured_reason").header
    columns = [OutColumn("reason", header, None, 16), OutColumn("cars", "车辆数", COUNT_FORMAT, 10),
               OutColumn("share", "占比", RATE_FORMAT, 10)]
    last = write_frame(ws, table, columns, start_row=HEADER_ROW)
    _total(ws, last + 1, ["合计", total, None], [None, COUNT_FORMAT, None])
    fit_widths(ws, maximum=30)
    write_title(ws, f"{month} 本店品牌新车未在本店投保原因（当月售出、无本店新保保单）", len(columns))


def add_pipeline_sheets(wb: Workbook, pipeline: RenewalPipeline) -> None:
    write_funnel(wb.create_sheet(FUNNEL_SHEET), pipeline.funnel, pipeline.month)
    write_weeks(wb.create_sheet(WEEKS_SHEET), pipeline.weeks, pipeline.month)
    write_reasons(wb.create_sheet(REASONS_SHEET), pipeline.not_insured_reasons, pipeline.month)
