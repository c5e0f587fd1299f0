"""region: rank stores from their monthly reports and apply the reporting rules."""
from __future__ import annotations

import argparse

from ..core.region import RULE_LABELS, STATUS_LABELS, region_month
from ..reading.reports import read_report
from ..settings import Settings, load_settings
from ..writing.region_book import build_region_workbook
from ..writing.terminal import pad, percent
from ..xlsx.save import save_workbook
from .common import EXIT_OK, CommandSpec, emit_json, parse_date, parse_month, say, today


def cmd_region(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings) if args.settings else Settings()
    as_of = args.as_of or today()
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


def _region_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="+", metavar="REPORT", help="各门店的月报工作簿")
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="排名月份，如 2026-10")
    p.add_argument("--settings", metavar="FILE.toml", help="含 [region] 和 [[region.stores]] 的设置文件")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="评估日期，如 2026-11-24 或 2026/11/24（默认今天）")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出排名和扣分")
    p.add_argument("--out", metavar="FILE.xlsx", help="写出区域排名工作簿")



COMMANDS: tuple[CommandSpec, ...] = (
    ('region', '按各门店月报排名', _region_args, cmd_region),
)
