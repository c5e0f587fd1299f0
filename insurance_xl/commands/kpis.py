"""kpi, report and region: the supervisor's numbers, the monthly report, the regional ranking."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..errors import InsuranceXlError
from ..settings import Settings, load_settings
from .common import (EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, add_store_args, emit_json, load, pad, parse_date,
                     parse_month, percent, say, warn_without_own_brands)
from .mailing import build_and_send, describe_sending


def cmd_kpi(args: argparse.Namespace) -> int:
    from ..core.kpi import COUNT_LABELS, KPI_NEEDS, MONEY_LABELS, RATE_LABELS, monthly_kpis

    registers, ctx = load(args)
    registers.require(KPI_NEEDS)
    warn_without_own_brands(ctx)
    kpis = monthly_kpis(registers, ctx, args.month)
    payload = kpis.to_json()
    if args.json:
        emit_json(payload)
        return EXIT_OK
    say(f"{ctx.settings.store} {payload['month']} 关键指标（截至 {ctx.as_of:%Y-%m-%d}）")
    for key, label in RATE_LABELS.items():
        value = payload[key]
        num, den = kpis.fraction(key)
        say(f"  {pad(label, 22)}{'—' if value is None else f'{value:.2%}':>9}   {num} / {den}")
    for key in ("premium_compulsory", "premium_commercial", "commission"):
        say(f"  {pad(MONEY_LABELS[key], 22)}{payload[key]:>14,.2f}")
    for key, value in payload["counts"].items():
        say(f"  {pad(COUNT_LABELS[key], 26)}{value:>8}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..core.kpi import KPI_NEEDS
    from ..writing.report_book import report_filename, write_report

    if args.resend and not args.send:
        raise InsuranceXlError("--resend 需与 --send 一起使用")
    registers, ctx = load(args)
    registers.require(KPI_NEEDS)
    warn_without_own_brands(ctx)
    if args.send:
        report, result = build_and_send(lambda as_of: (registers, ctx), Path("."), ctx.settings,
                                        args.month, ctx.as_of, resend=args.resend, out_file=args.out)
        say(str(report.path))
        for line in describe_sending(result):
            say(line)
        if result.skipped:
            say("（要重新发送，加 --resend）")
        return EXIT_DATA_ERRORS if result.failed else EXIT_OK
    path = write_report(registers, ctx, args.month, args.out or report_filename(ctx.settings.store, args.month))
    say(str(path))
    return EXIT_OK


def cmd_region(args: argparse.Namespace) -> int:
    from ..core.region import RULE_LABELS, STATUS_LABELS, region_month
    from ..writing.region_book import build_region_workbook
    from ..reading.reports import read_report
    from ..xlsx.save import save_workbook

    settings = load_settings(args.settings) if args.settings else Settings()
    as_of = args.as_of or dt.date.today()
    result = region_month([read_report(p) for p in args.reports], settings.region, args.month, as_of)
    if args.out:
        save_workbook(build_region_workbook(result), args.out, kind="region")
    if args.json:
        emit_json(result.to_json())
        return EXIT_OK
    say(f"区域门店排名 {args.month}（截至 {as_of:%Y-%m-%d}）")
    payload = result.to_json()

    for row in payload["ranking"]:
        say(f"  {row['rank'] or '-':>3} {pad(row['store'], 16)}新车投保 {row['new_car_rank'] or '-':>3}"
            f"（首保 {percent(row['first_insurance_rate'])}，新车手续费 {row['new_car_commission'] or 0:,.2f}）  "
            f"续险 {row['renewal_rank'] or '-':>3}（续保 {percent(row['renewal_rate'])}，"
            f"续保手续费 {row['renewal_commission'] or 0:,.2f}）  目标进度 {row['target_rank'] or '-':>3}"
            f"（{percent(row['target_progress'])}）  {STATUS_LABELS[row['status']]}")
    for row in payload["penalties"]:
        say(f"  处罚：{row['store']} {RULE_LABELS[row['rule']]}（{'、'.join(row['months'])}）"
            f"扣 {row['points']:g} 分，罚款 {row['fine']:,.2f} 元")
    for row in payload["notices"]:
        say(f"  通报：{row['store']} {row['message']}")
    if args.out:
        say(str(args.out))
    return EXIT_OK


def _kpi_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="the month to report")
    p.add_argument("--json", action="store_true", help="print the KPIs as one JSON object")


def _report_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="the month to report")
    p.add_argument("--out", metavar="FILE.xlsx", help="report workbook (default: 保险业务月报-STORE-MONTH.xlsx)")
    p.add_argument("--send", action="store_true", help="e-mail the report as the scheduled job does ([mail] settings)")
    p.add_argument("--resend", action="store_true", help="with --send: send again to recipients already sent to")


def _region_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="+", metavar="REPORT", help="stores' monthly report workbooks")
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="the month to rank")
    p.add_argument("--settings", metavar="FILE.toml", help="settings with [region] and [[region.stores]]")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="evaluation date (default: today)")
    p.add_argument("--json", action="store_true", help="print ranking and penalties as one JSON object")
    p.add_argument("--out", metavar="FILE.xlsx", help="write the region workbook")


COMMANDS: tuple[CommandSpec, ...] = (
    ('kpi', 'the supervisor KPIs of a month', _kpi_args, cmd_kpi),
    ('report', 'the monthly report workbook', _report_args, cmd_report),
    ('region', 'rank stores from their monthly reports', _region_args, cmd_region),
)
