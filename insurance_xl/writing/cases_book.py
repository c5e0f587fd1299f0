"""The 案件跟踪 workbook: each claim case from report to refund (DOMAIN.md "Claim cases", §4.3, §1.1 duty 7).

案件跟踪 first: open cases first, grouped (an Excel outline level per step) by the step they wait at,
the longest waiting first, then the finished ones; filters, a frozen header, A4 landscape with the
header repeated. 保险公司对比: per insurer, with a native bar chart of the average days from 交接日期 to
回款日期. 理赔员: per adjuster, the average days of each step. No customer names: cases are found by
报案号 and plate. The report (report_book.py) reuses the insurer sheet for the month's cases.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..core.claim_cases import DAY_COLUMNS, DONE, WAITING, WITHDRAWN
from ..registers import REGISTERS
from ..settings import Settings
from ..xlsx.save import save_workbook
from .sheet import DATE_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, OutColumn, print_landscape, write_frame, write_title

CASES_KIND = "cases"
CASES_SHEET, INSURERS_SHEET, ADJUSTERS_SHEET = "案件跟踪", "保险公司对比", "理赔员"
HEADER_ROW = 4


def _h(register: str, key: str) -> str:
    return REGISTERS[register].column(key).header


def case_columns() -> list[OutColumn]:
    return [
        OutColumn("claim_no", _h("claims", "claim_no"), "@", 16), OutColumn("plate", _h("claims", "plate"), "@", 11),
        OutColumn("insurer", _h("claims", "insurer"), None, 11), OutColumn("adjuster", _h("claims", "adjuster"), None, 8),
        OutColumn("step", "等待环节", None, 9), OutColumn("days_waiting", "已等待天数", "0", 9),
        OutColumn("report_date", _h("claims", "report_date"), DATE_FORMAT, 11),
        OutColumn("settled_date", _h("claims", "settled_date"), DATE_FORMAT, 11),
        OutColumn("handover_date", _h("handovers", "handover_date"), DATE_FORMAT, 11),
        OutColumn("old_parts_date", "旧件交接日期", DATE_FORMAT, 11),
        OutColumn("paid_date", _h("payments", "paid_date"), DATE_FORMAT, 11),
        OutColumn("refund_date", _h("tp_refunds", "refund_date"), DATE_FORMAT, 11),
        *[OutColumn(column, f"{step}天数", "0", 8) for step, column in DAY_COLUMNS.items()],
        OutColumn("assessed_amount", _h("claims", "assessed_amount"), MONEY_FORMAT, 12),
        OutColumn("settled_amount", _h("claims", "settled_amount"), MONEY_FORMAT, 12),
        OutColumn("amount_due", _h("payments", "amount_due"), MONEY_FORMAT, 12),
        OutColumn("paid_amount", _h("payments", "paid_amount"), MONEY_FORMAT, 12),
        OutColumn("outstanding", "未回款金额", MONEY_FORMAT, 12),
        OutColumn("overdue", "逾期", None, 6), OutColumn("returned", _h("payments", "returned"), None, 8),
        OutColumn("third_party", _h("claims", "third_party"), None, 8),
    ]


def insurer_columns() -> list[OutColumn]:
    return [
        OutColumn("insurer", _h("claims", "insurer"), None, 12), OutColumn("cases", "案件数", "0", 8),
        OutColumn("assessed", "定损金额合计", MONEY_FORMAT, 15), OutColumn("settled", "结算金额合计", MONEY_FORMAT, 15),
        OutColumn("avg_days_to_pay", "平均回款天数(交接→回款)", "0.0", 14),
        OutColumn("paid_cases", "已回款件数", "0", 10), OutColumn("handed_over", "已交接件数", "0", 10),
        OutColumn("overdue_share", "逾期率", PERCENT_FORMAT, 9), OutColumn("returned_share", "核赔退回率", PERCENT_FORMAT, 10),
        OutColumn("outstanding", "未回款金额", MONEY_FORMAT, 15),
    ]


def write_insurer_sheet(ws: Worksheet, insurers: pd.DataFrame, title: str, header_row: int = 3) -> int:
    """The insurer comparison with a native bar chart of days-to-pay; returns the last table row."""
    columns = insurer_columns()
    last = write_frame(ws, insurers, columns, start_row=header_row)
    write_title(ws, title, len(columns))
    if len(insurers):
        chart = BarChart()
        chart.type, chart.title, chart.height, chart.width = "bar", "平均回款天数（交接→回款，按保险公司）", 7.5, 16
        col = [c.key for c in columns].index("avg_days_to_pay") + 1
        chart.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last))
        chart.x_axis.title, chart.y_axis.title = "保险公司", "天"
        chart.legend = None
        ws.add_chart(chart, f"A{last + 3}")
    print_landscape(ws, header_row)
    return last


def _cases_sheet(ws: Worksheet, cases: pd.DataFrame, settings: Settings, as_of: dt.date) -> None:
    columns = case_columns()
    open_cases = cases[~cases["step"].isin((DONE, WITHDRAWN))]
    counts = open_cases["step"].value_counts()
    write_title(ws, f"案件跟踪 · {settings.store} · 截至 {as_of:%Y-%m-%d}", len(columns))
    ws.cell(row=2, column=1, value=f"共 {len(cases)} 件，未完成 {len(open_cases)} 件：" +
            "，".join(f"待{step} {int(counts.get(step, 0))} 件" for step in WAITING))
    last = write_frame(ws, cases, columns, start_row=HEADER_ROW)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{max(last, HEADER_ROW + 1)}"
    steps = cases["step"].tolist()
    start = 0
    for i in range(1, len(steps) + 1):  # an outline group per step: the clerk folds a step away
        if i == len(steps) or steps[i] != steps[start]:
            ws.row_dimensions.group(HEADER_ROW + 1 + start, HEADER_ROW + i, outline_level=1, hidden=False)
            start = i
    ws.sheet_properties.outlinePr.summaryBelow = False
    print_landscape(ws, HEADER_ROW)


def _adjusters_sheet(ws: Worksheet, adjusters: pd.DataFrame, as_of: dt.date) -> None:
    columns = [OutColumn("adjuster", _h("claims", "adjuster"), None, 10), OutColumn("cases", "案件数", "0", 8),
               OutColumn("open", "未完成", "0", 8),
               *[OutColumn(column, f"平均{step}天数", "0.0", 11) for step, column in DAY_COLUMNS.items()]]
    write_frame(ws, adjusters, columns, start_row=3)
    write_title(ws, f"理赔员 · 截至 {as_of:%Y-%m-%d}（平均天数只计已完成该环节的案件）", len(columns))
    print_landscape(ws, 3)


def cases_workbook(cases: pd.DataFrame, insurers: pd.DataFrame, adjusters: pd.DataFrame, settings: Settings,
                   as_of: dt.date) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = CASES_SHEET
    _cases_sheet(ws, cases, settings, as_of)
    write_insurer_sheet(wb.create_sheet(INSURERS_SHEET), insurers, f"保险公司对比 · 截至 {as_of:%Y-%m-%d}")
    _adjusters_sheet(wb.create_sheet(ADJUSTERS_SHEET), adjusters, as_of)
    return wb


def write_cases_workbook(cases: pd.DataFrame, insurers: pd.DataFrame, adjusters: pd.DataFrame, settings: Settings,
                         as_of: dt.date, path: str | Path) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(cases_workbook(cases, insurers, adjusters, settings, as_of), target, kind=CASES_KIND)
    return target
