"""What the buttons of insurance.xlsm run (macros/InsuranceXl.bas: one RunPython line each).

Each entry point takes the calling book (`xw.Book.caller()`), today's date and the workbook's
folder, and hands them to a `*_in(book, today, ...)` function: read the registers from the open book,
call the core, write the results back. Only the entry points touch `Book.caller()` and the clock,
so the `*_in` glue runs in tests on xlwings' remote book. Bad input ends in a message box with a
Chinese message, never in a Python traceback dialog.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InsuranceXlError
from .book import BookInputError, alert, board_as_of, board_month, book_context, read_book, status
from .layout import REPORT_FOLDER
from ..excel import results


KPI_REGISTERS = ("sales", "policies", "claims", "contacts")  # kpi.USED_COLUMNS names their columns
MONEY_REGISTERS = ("claims", "handovers", "payments", "old_parts", "tp_refunds", "commission_settlements")
CALL_REGISTERS = ("sales", "policies", "contacts")


# ---- the glue, one per button -------------------------------------------------------------------

def refresh_kpis_in(book: Any, today: dt.date) -> Any:
    """刷新看板: the month's KPIs and the counts behind them into 看板."""
    from ..core.kpi import KPI_NEEDS, USED_COLUMNS, monthly_kpis
    from ..core.pipeline import PIPELINE_COLUMNS, renewal_pipeline
    from ..excel import board

    month = board_month(book, board_as_of(book, today))  # a mistyped month stops before any reading
    status(book, "刷新看板：正在读取登记表…")
    used = {key: tuple(dict.fromkeys((*USED_COLUMNS.get(key, ()), *PIPELINE_COLUMNS.get(key, ()))))
            for key in KPI_REGISTERS}
    registers = read_book(book, KPI_REGISTERS, used)  # only what the KPIs read: a five-year book
    ctx = book_context(book, registers, today)
    registers.require(KPI_NEEDS)
    status(book, f"刷新看板：正在计算 {month} 的指标…")
    kpis = monthly_kpis(registers, ctx, month)
    board.write_kpis(book, kpis, ctx, renewal_pipeline(registers, ctx, month))
    return kpis


def validate_in(book: Any, today: dt.date) -> Any:
    """校验: every finding of every register into 校验结果, errors red, warnings yellow."""
    from ..core.validation.validate import validate

    status(book, "校验：正在读取全部登记表…")
    registers = read_book(book)
    registers.require_some()
    ctx = book_context(book, registers, today)
    status(book, "校验：正在检查…")
    validation = validate(registers, ctx)
    results.write_validation(book, validation, ctx)
    return validation


def flag_overdue_in(book: Any, today: dt.date) -> Any:
    """逾期标记: overdue handovers highlighted in their register, the money flags listed in 逾期."""
    from ..core.claims import money_flags

    status(book, "逾期标记：正在读取理赔登记表…")
    registers = read_book(book, MONEY_REGISTERS)
    ctx = book_context(book, registers, today)
    registers.require({"handovers": ("claim_no",)})  # as `insurance-xl overdue`
    flags = money_flags(registers, ctx)
    results.write_money_flags(book, flags, registers, ctx)
    return flags


def renewal_calls_in(book: Any, today: dt.date) -> Any:
    """续保名单: today's SMS and phone lists, each clerk's customers together, and 首保跟进."""
    from ..core.first_insurance import first_insurance_follow_up
    from ..core.renewals import call_lists

    status(book, "续保名单：正在读取保单和跟进记录…")
    registers = read_book(book, CALL_REGISTERS)
    ctx = book_context(book, registers, today)
    registers.require({"policies": ("archive_no", "policy_end")})  # as `insurance-xl calls`
    lists = call_lists(registers, ctx)
    results.write_first_insurance(book, first_insurance_follow_up(registers, ctx), ctx)
    results.write_call_lists(book, lists)
    return lists


def monthly_report_in(book: Any, today: dt.date, folder: Path) -> Path:
    """生成月报: the month's report workbook, saved in 月报 beside the workbook."""
    from ..core.kpi import KPI_NEEDS
    from ..services.monthly_report import write_monthly_report
    from ..writing.report_book import report_filename

    month = board_month(book, board_as_of(book, today))
    status(book, "生成月报：正在读取登记表…")
    registers = read_book(book)
    ctx = book_context(book, registers, today)
    registers.require(KPI_NEEDS)
    status(book, f"生成月报：正在生成 {month} 月报…")
    target = folder / REPORT_FOLDER / report_filename(ctx.settings.store, month)
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(write_monthly_report(registers, ctx, month, target)[0])



# ---- entry points (RunPython) -------------------------------------------------------------------

def refresh_kpis() -> None:
    _run("刷新看板", refresh_kpis_in)


def validate() -> None:
    def glue(book: Any, today: dt.date) -> None:
        alert(book, results.validation_message(validate_in(book, today)), "校验")

    _run("校验", glue)


def flag_overdue() -> None:
    _run("逾期标记", flag_overdue_in)


def renewal_calls() -> None:
    _run("续保名单", renewal_calls_in)


def reconcile() -> None:
    import xlwings as xw

    from .reconcile import reconcile_in

    def glue(book: Any, today: dt.date) -> None:
        done = reconcile_in(book, today, book_folder(book))
        if done.workbook:
            xw.Book(str(done.workbook))  # the workbook both parties sign

    _run("月末对账", glue)


def monthly_report() -> None:
    import xlwings as xw

    def glue(book: Any, today: dt.date) -> None:
        xw.Book(str(monthly_report_in(book, today, book_folder(book))))  # open the new report

    _run("生成月报", glue)


def case_tracking() -> None:
    from .cases import case_tracking_in

    _run("案件跟踪", case_tracking_in)


def check_environment_in(book: Any) -> Any:
    """检查环境: `insurance-xl doctor` for this workbook, about the Python this button started."""
    import sys

    from ..services.doctor import Interpreter, checkup

    path = Path(book.fullname)
    started = Interpreter(sys.executable, "本次按钮实际启动的 Python", sys.executable)
    return checkup(path if path.is_absolute() and path.is_file() else None, started)


def check_environment() -> None:
    def glue(book: Any, today: dt.date) -> None:
        report = check_environment_in(book)
        alert(book, "\n".join(report.lines), "检查环境", critical=bool(report.problems))

    _run("检查环境", glue)


def book_folder(book: Any) -> Path:
    """The folder of the calling workbook; it must have been saved somewhere first."""
    path = Path(book.fullname)
    if not path.is_absolute() or not path.parent.is_dir():
        raise BookInputError("请先把工作簿保存到文件夹中（月报、对账单都放在工作簿旁边），再按按钮")
    return path.parent


def _run(title: str, glue: Callable[[Any, dt.date], object]) -> None:
    import xlwings as xw

    run_button(xw.Book.caller(), title, glue, dt.date.today())


def run_button(book: Any, title: str, glue: Callable[[Any, dt.date], object], today: dt.date) -> None:
    """The one boundary between Excel and Python: every failure becomes a message box."""
    try:
        glue(book, today)
    except InsuranceXlError as exc:
        alert(book, str(exc), title, critical=True)
    except Exception as exc:  # a bug, not bad input: one line for the clerk, the trace in the log
        if os.environ.get("INSURANCE_XL_DEBUG"):
            raise  # xlwings then shows the traceback
        from ..services.button_log import log_button_error

        logged = log_button_error(title, exc, dt.datetime.now().astimezone())
        where = f"详细信息已记录在 {logged}，请把这个文件发给维护人员" if logged else \
            "请设置环境变量 INSURANCE_XL_DEBUG=1 后重试，把显示的错误信息反馈给维护人员"
        alert(book, f"内部错误（{type(exc).__name__}）。{where}。", title, critical=True)
    finally:
        status(book, False)
