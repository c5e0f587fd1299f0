"""report: the monthly report workbook; --send e-mails it as the scheduled job does."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..core.kpi import KPI_NEEDS, USED_COLUMNS
from ..errors import InsuranceXlError
from ..services.monthly_report import build_and_send, write_monthly_report
from ..writing.report_book import report_filename
from ..writing.terminal import describe_sending
from .common import (EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, add_store_args, finish, load, now, parse_month, say,
                     warn_without_own_brands)


def cmd_report(args: argparse.Namespace) -> int:
    if args.resend and not args.send:
        raise InsuranceXlError("--resend 需与 --send 一起使用")
    registers, ctx = load(args)
    registers.require(KPI_NEEDS)
    warn_without_own_brands(ctx)
    if args.send:
        report, result = build_and_send(lambda as_of: (registers, ctx), Path("."), ctx.settings,
                                        args.month, ctx.as_of, now(), resend=args.resend, out_file=args.out)
        say(str(report.path))
        for line in describe_sending(result):
            say(line)
        if result.skipped:
            say("（要重新发送，加 --resend）")
        return finish(registers, USES, code=EXIT_DATA_ERRORS if result.failed else EXIT_OK)
    path, _ = write_monthly_report(registers, ctx, args.month, args.out or report_filename(ctx.settings.store, args.month))
    say(str(path))
    return finish(registers, USES)


USES = {**USED_COLUMNS, **dict.fromkeys(("handovers", "payments", "tp_refunds", "old_parts", "commission_settlements"))}


def _report_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="月份，如 2026-10 或 2026/10")
    p.add_argument("--out", metavar="FILE.xlsx", help="月报工作簿（默认 保险业务月报-门店-月份.xlsx）")
    p.add_argument("--send", action="store_true", help="像定时任务一样发邮件（[mail] 设置）")
    p.add_argument("--resend", action="store_true", help="与 --send 一起：已发过的收件人再发一次")



COMMANDS: tuple[CommandSpec, ...] = (
    ('report', '月报工作簿', _report_args, cmd_report),
)
