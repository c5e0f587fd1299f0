"""案件跟踪 in the open book: each claim case from report to refund (DOMAIN.md "Claim cases").

What `insurance-xl cases` computes, from the open book (unsaved edits included) as of 看板's 评估日期:
the 案件跟踪 sheet lists open cases first, grouped by the step they wait at, the longest waiting
first, then the finished ones; the insurer comparison (days from handover to payment, overdue and
returned shares, outstanding) follows below the cases.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..core.claim_cases import DONE, WITHDRAWN
from ..outputs import CASES_SHEET
from ..settings import Context
from ..writing.cases_book import case_columns, insurer_columns
from ..writing.sheet import OutColumn
from .book import book_context, output_sheet, read_book, status, write_table, write_title

CASE_REGISTERS = ("claims", "handovers", "payments", "old_parts", "tp_refunds")


def case_tracking_in(book: Any, today: dt.date) -> Any:
    """案件跟踪: every claim case with the step it waits at, and the insurers compared."""
    from ..core.claim_cases import adjuster_comparison, claim_cases, insurer_comparison

    status(book, "案件跟踪：正在读取理赔登记表…")
    registers = read_book(book, CASE_REGISTERS)
    ctx = book_context(book, registers, today)
    registers.require({"claims": ("claim_no",)})  # as `insurance-xl cases`
    cases = claim_cases(registers, ctx)
    insurers = insurer_comparison(cases)
    write_cases(book, cases, insurers, ctx)
    return cases, insurers, adjuster_comparison(cases)


def _picked(columns: list[OutColumn], keys: tuple[str, ...]) -> list[OutColumn]:
    """Some of the CLI workbook's columns (writing/cases_book.py), in this order: one header, format
    and width for each, whichever face writes it."""
    by_key = {c.key: c for c in columns}
    return [by_key[key] for key in keys]


CASE_COLUMNS = _picked(case_columns(), ("step", "days_waiting", "claim_no", "plate", "insurer", "adjuster", "report_date",
                                        "settled_date", "handover_date", "paid_date", "refund_date", "outstanding"))
INSURER_COLUMNS = _picked(insurer_columns(), ("insurer", "cases", "avg_days_to_pay", "overdue_share", "returned_share",
                                              "outstanding"))


def write_cases(book: Any, cases: pd.DataFrame, insurers: pd.DataFrame, ctx: Context) -> None:
    sheet = output_sheet(book, CASES_SHEET)
    open_cases = int((~cases["step"].isin((DONE, WITHDRAWN))).sum())
    write_title(sheet, f"案件跟踪 · 评估日期 {ctx.as_of:%Y-%m-%d} · {len(cases)} 件，未完成 {open_cases} 件")
    last = write_table(sheet, cases, CASE_COLUMNS, top=3)
    row = last + 3
    write_title(sheet, "保险公司对比（平均回款天数：交接日期 → 回款日期）", row)
    write_table(sheet, insurers, INSURER_COLUMNS, top=row + 1, freeze=False, widths=False)
    sheet.activate()
