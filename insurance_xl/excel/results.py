"""What the buttons write back into the open book: 校验结果, 逾期, the call lists (看板: excel.board).

Column headers and formats come from the core's own declarations (report_book.py, overdue_book.py,
call_list_book.py, registers.py), so a sheet written here reads like the CLI's workbook of the same name.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..findings import Finding, Severity
from ..tables import Registers
from ..registers import REGISTERS, ROW, SHEET
from ..settings import Context
from ..xlsx.parts import col_index
from ..writing.sheet import DATE_FORMAT, MONEY_FORMAT, OutColumn
from .book import ERROR_COLOR, WARNING_COLOR, output_sheet, write_table, write_title
from ..outputs import FIRST_INSURANCE_SHEET, OVERDUE_SHEET, PHONE_SHEET, RESULTS_SHEET, SMS_SHEET

OVERDUE_COLOR = "#FFC7CE"
SEVERITY_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}


# ---- 校验 ---------------------------------------------------------------------------------------

VALIDATION_COLUMNS = [
    OutColumn("severity", "严重程度", None, 9),
    OutColumn("register", "登记表", None, 22),
    OutColumn("sheet", "工作表", None, 22),
    OutColumn("cell", "单元格", "@", 9),
    OutColumn("row", "行", "0", 7),
    OutColumn("column", "列", None, 14),
    OutColumn("message", "问题", None, 70),
    OutColumn("related", "相关位置", None, 24),
    OutColumn("rule", "规则", "@", 30),
]


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Errors first, then warnings; each in the order validation gives (register, sheet, row)."""
    ordered = sorted(findings, key=lambda f: f.severity is not Severity.ERROR)
    return pd.DataFrame([{
        "severity": SEVERITY_LABEL[f.severity],
        "register": REGISTERS[f.register].sheet if f.register in REGISTERS else "工作簿",
        "sheet": f.location.sheet,
        "cell": f.location.cell or None,
        "row": f.location.row,
        "column": f.location.column or None,
        "message": f.message,
        "related": "、".join(str(r) for r in f.related) or None,
        "rule": f.rule,
    } for f in ordered], columns=[c.key for c in VALIDATION_COLUMNS])


def write_validation(book: Any, validation: Any, ctx: Context) -> None:
    sheet = output_sheet(book, RESULTS_SHEET)
    write_title(sheet, f"校验结果 · 评估日期 {ctx.as_of:%Y-%m-%d} · 错误 {validation.errors} 条，"
                       f"警告 {validation.warnings} 条")
    frame = findings_frame(list(validation.findings))
    top = 3
    write_table(sheet, frame, VALIDATION_COLUMNS, top=top)
    width = len(VALIDATION_COLUMNS)
    if validation.errors:
        sheet.range((top + 1, 1), (top + validation.errors, width)).color = ERROR_COLOR
    if validation.warnings:
        first = top + 1 + validation.errors
        sheet.range((first, 1), (first + validation.warnings - 1, width)).color = WARNING_COLOR
    sheet.activate()


def validation_message(validation: Any) -> str:
    if not validation.findings:
        return "校验完成：没有发现问题。"
    return (f"校验完成：错误 {validation.errors} 条，警告 {validation.warnings} 条，"
            f"逐条列在「{RESULTS_SHEET}」工作表（错误红色、警告黄色）。")


# ---- 逾期标记 -------------------------------------------------------------------------------------

def write_money_flags(book: Any, flags: Any, registers: Registers, ctx: Context) -> None:
    """Overdue handovers highlighted in their register; 逾期 lists them with the returned cases."""
    from ..writing.overdue_book import band_totals, overdue_columns

    highlight_overdue(book, flags.overdue, registers)
    sheet = output_sheet(book, OVERDUE_SHEET)
    overdue = flags.overdue
    total = round(float(overdue["outstanding"].sum()), 2) if len(overdue) else 0.0
    write_title(sheet, f"逾期未回款 · 评估日期 {ctx.as_of:%Y-%m-%d} · {len(overdue)} 件 · 未回款合计 ¥{total:,.2f}")
    handovers = REGISTERS["handovers"]
    columns = [OutColumn("insurer", handovers.column("insurer").header, None, 12), *overdue_columns()]
    last = write_table(sheet, overdue, columns, top=3)
    bands = band_totals(overdue)
    row = last + 2
    write_table(sheet, bands, [OutColumn("band", "案件分档", None, 12), OutColumn("cases", "件数", "0", 12),
                               OutColumn("outstanding", "未回款金额", MONEY_FORMAT, 12)],
                top=row, freeze=False, widths=False)
    row += len(bands) + 3
    payments = REGISTERS["payments"]
    write_title(sheet, f"核赔退回（不计入逾期，需重新提交）· {len(flags.returned)} 件", row)
    write_table(sheet, flags.returned, [
        OutColumn("claim_no", payments.column("claim_no").header, "@", 16),
        OutColumn("insurer", payments.column("insurer").header, None, 12),
        OutColumn("plate", REGISTERS["claims"].column("plate").header, "@", 11),
        OutColumn("handover_date", handovers.column("handover_date").header, DATE_FORMAT, 11),
        OutColumn("amount_due", payments.column("amount_due").header, MONEY_FORMAT, 13),
    ], top=row + 1, freeze=False, widths=False)
    sheet.activate()


def highlight_overdue(book: Any, overdue: pd.DataFrame, registers: Registers) -> None:
    """Colour each overdue case's handover row; the register's other rows lose their fill first."""
    table = registers["handovers"]
    cases = overdue[["claim_no", ROW]].merge(table[["claim_no", ROW, SHEET]], on=["claim_no", ROW])
    for layout in registers.layouts:
        if layout.register != "handovers":
            continue
        rows = table.loc[table[SHEET] == layout.sheet, ROW]
        if not len(rows):
            continue
        width = max(col_index(letter) + 1 for letter, _ in layout.columns.values())
        width = max([width, *(col_index(letter) + 1 for letter in layout.extras.values())])
        sheet = book.sheets[layout.sheet]
        sheet.range((layout.header_row + 1, 1), (int(rows.max()), width)).color = None
        for row in sorted(cases.loc[cases[SHEET] == layout.sheet, ROW].astype(int)):
            sheet.range((row, 1), (row, width)).color = OVERDUE_COLOR


# ---- 续保名单 -------------------------------------------------------------------------------------

def write_call_lists(book: Any, lists: Any) -> None:
    """One sheet per method, soonest policy end first within each clerk's block."""
    from ..writing.call_list_book import FILL_KEYS, TITLES, call_columns
    from ..core.renewals import PHONE, SMS

    columns = [c for c in call_columns() if c.key not in FILL_KEYS or c.key == "clerk"]
    for method, frame, name in ((SMS, lists.sms, SMS_SHEET), (PHONE, lists.phone, PHONE_SHEET)):
        sheet = output_sheet(book, name)
        write_title(sheet, f"{TITLES[method]} · {lists.as_of:%Y-%m-%d} · {len(frame)} 位客户")
        ordered = frame.sort_values("clerk", kind="stable", na_position="last")
        write_table(sheet, ordered, columns, top=3)
    book.sheets[SMS_SHEET].activate()


def write_first_insurance(book: Any, frame: pd.DataFrame, ctx: Context) -> None:
    """首保跟进: the new cars not yet insured here, per salesperson (as calls --out writes it)."""
    from ..writing.first_insurance_book import follow_up_columns, follow_up_title

    sheet = output_sheet(book, FIRST_INSURANCE_SHEET)
    write_title(sheet, follow_up_title(frame, ctx.as_of, ctx.thresholds.first_insurance_days))
    write_table(sheet, frame, follow_up_columns(), top=3)
