"""月末对账 in the open book: our 本店 policies of one insurer and month against its statement (§4.6).

What `insurance-xl reconcile --out` does, from 看板's inputs: the summary lines of the CLI go into
the 月末对账 sheet, and the reconciliation workbook both parties sign (summary, one sheet per outcome,
月度业务明细清单) is saved in 对账 beside the workbook. A locked month whose lines changed gives no new
numbers, as on the command line.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..xlsx.save import save_workbook
from .book import (BookInputError, board_as_of, board_month, board_text, book_context, excel_value, output_sheet,
                   print_setup, read_book, status, write_title)
from ..outputs import BOARD_SHEET, RECONCILE_SHEET
from .layout import INSURER, STATEMENT

RECONCILE_FOLDER = "对账"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


@dataclass(frozen=True)
class BookReconciliation:
    result: Any  # month_end.MonthEnd
    lines: list[str]  # what the sheet shows: the CLI's summary (or what changed since the lock)
    workbook: Path | None  # the signed reconciliation workbook (None when the locked month changed)


def statement_path(book: Any, folder: Path) -> Path:
    text = board_text(book, STATEMENT)
    if not text:
        raise BookInputError(f"请在 {BOARD_SHEET}!{STATEMENT.cell}「{STATEMENT.label}」填写保险公司对账单的文件名或完整路径")
    path = Path(text.strip('"'))
    path = path if path.is_absolute() else folder / path
    if not path.is_file():
        raise BookInputError(f"{BOARD_SHEET}!{STATEMENT.cell}「{STATEMENT.label}」：找不到文件 {path}")
    return path


def reconcile_in(book: Any, today: dt.date, folder: Path) -> BookReconciliation:
    from ..services.month_end import locks_dir, reconcile_month
    from ..services.month_end import change_lines
    from ..writing.reconciliation_book import reconciliation_workbook, summary_lines

    month = board_month(book, board_as_of(book, today))
    insurer = board_text(book, INSURER)
    if not insurer:
        raise BookInputError(f"请在 {BOARD_SHEET}!{INSURER.cell}「{INSURER.label}」填写要对账的保险公司")
    path = statement_path(book, folder)
    status(book, f"月末对账：正在读取保单和 {path.name}…")
    registers = read_book(book, ("policies", "commission_settlements"))
    ctx = book_context(book, registers, today)
    result = reconcile_month(registers, ctx, insurer, month, path, locks_dir=locks_dir(folder / book.name))
    if result.status == "changed":  # §4.6: a locked month is never given new numbers silently
        lines = [f"{month} {insurer} 已锁定，且明细与锁定时不同：未生成新的对账结果，请核对后在命令行用 --reopen --lock 记调整行",
                 *change_lines(result)]
        workbook = None
    else:
        lines = summary_lines(result.rec, result.statement) + change_lines(result)
        workbook = folder / RECONCILE_FOLDER / f"{month}-{_UNSAFE.sub('_', insurer)}-手续费对账.xlsx"
        workbook.parent.mkdir(parents=True, exist_ok=True)
        save_workbook(reconciliation_workbook(result.rec, result.statement, ctx.settings.store, None), workbook,
                      kind="reconciliation")
    sheet = output_sheet(book, RECONCILE_SHEET)
    write_title(sheet, f"月末对账 · {insurer} · {month} · 评估日期 {ctx.as_of:%Y-%m-%d}")
    body = [[excel_value(line)] for line in lines] + ([[f"对账工作簿（双方签字用）：{workbook}"]] if workbook else [])
    sheet.range((3, 1)).value = body
    print_setup(sheet, None)  # lines of text, no list: printed landscape, one page wide, no header to repeat
    sheet.activate()
    return BookReconciliation(result, lines, workbook)

