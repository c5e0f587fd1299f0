"""The commission workbook a finance clerk files (§4.6, §4.9.4): per insurer and month, expected at the
agreed rates, booked, reconciled, invoiced, received, outstanding and the write-down; a total row
per insurer and for the year, and signature lines."""
from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from ..core.commission import MONTH_COLUMNS, MONTH_LABELS
from .report_book import setup_page
from .sheet import MONEY_FORMAT, OutColumn, fit_widths, write_frame, write_title

SHEET = "手续费"
MONEY_KEYS = MONTH_COLUMNS[2:]


def with_totals(table: pd.DataFrame) -> pd.DataFrame:
    """The months, then one 小计 row per insurer and a 合计 row (money summed to the fen)."""
    if table.empty:
        return table
    per_insurer = table.groupby("insurer", sort=True)[list(MONEY_KEYS)].sum(min_count=1).reset_index()
    per_insurer["month"] = "小计"
    total = table[list(MONEY_KEYS)].sum(min_count=1).to_frame().T
    total["month"], total["insurer"] = "合计", ""
    out = pd.concat([table, per_insurer, total], ignore_index=True)
    out[list(MONEY_KEYS)] = out[list(MONEY_KEYS)].astype("float64").round(2)
    return out.loc[:, list(MONTH_COLUMNS)]


def build_commission_workbook(table: pd.DataFrame, store: str, year: int, as_of) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    columns = [OutColumn("month", MONTH_LABELS["month"], "@"), OutColumn("insurer", MONTH_LABELS["insurer"])]
    columns += [OutColumn(key, MONTH_LABELS[key], MONEY_FORMAT) for key in MONEY_KEYS]
    frame = with_totals(table)
    last = write_frame(ws, frame, columns, start_row=3)
    for row in ws.iter_rows(min_row=4 + len(table), max_row=last):
        for cell in row:
            cell.font = Font(bold=True)
    notes = ["按约定费率应得 = 保费 × 设置中的手续费率；对账确认 = 已锁定对账月份的应收手续费；",
             "未收回 = 应收（结算台账，无台账行时为台账手续费）− 已到账；月末后超过期限仍未收回且无确认函：应冲减利润（§4.9.4）。",
             f"截至 {as_of:%Y-%m-%d}", "", "制表：____________    财务经理：____________    日期：____________"]
    for i, text in enumerate(notes, start=last + 2):
        ws.cell(row=i, column=1, value=text)
    fit_widths(ws, maximum=24)
    write_title(ws, f"{store} {year} 年手续费结算跟踪", len(columns))
    setup_page(ws)
    return wb
