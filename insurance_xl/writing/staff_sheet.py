"""The 考核 sheet (§4.4.4): each clerk's month against target, reward or penalty, and the adjusters."""
from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from ..core.staff import MEASURE_LABELS, MEASURES, STEP_LABELS, StaffMonth
from .sheet import MONEY_FORMAT, PERCENT_FORMAT, OutColumn, fit_widths, write_frame, write_title

STAFF_SHEET = "考核"


def _format(measure: str) -> str:
    return MONEY_FORMAT if measure == "commission" else "0"


def write_staff_sheet(ws: Worksheet, staff: StaffMonth, store: str) -> None:
    ws.title = STAFF_SHEET
    columns = [OutColumn("clerk", "出单员")]
    for m in MEASURES:
        columns += [OutColumn(m, MEASURE_LABELS[m], _format(m)), OutColumn(f"target_{m}", "目标", _format(m)),
                    OutColumn(f"achievement_{m}", "完成率", PERCENT_FORMAT)]
    columns += [OutColumn("due", "应跟进车辆", "0"), OutColumn("quoted", "已报价", "0"),
                OutColumn("quote_rate", "报价率", PERCENT_FORMAT), OutColumn("close_rate", "成交率", PERCENT_FORMAT),
                OutColumn("reward", "奖励(+)/扣款(−)", MONEY_FORMAT)]
    last = write_frame(ws, staff.clerks, columns, start_row=3, freeze=False)
    adjusters = [OutColumn("adjuster", "理赔员"), OutColumn("cases", "本月报案", "0")]
    adjusters += [OutColumn(k, label, "0.0") for k, label in STEP_LABELS.items()]
    adjusters += [OutColumn("overdue", "逾期未回款案件", "0")]
    ws.cell(row=last + 2, column=1, value="理赔员")
    write_frame(ws, staff.adjusters, adjusters, start_row=last + 3, freeze=False)
    fit_widths(ws, maximum=18)
    write_title(ws, f"{store} {staff.month} 出单员考核（§4.4.4）", len(columns))
