"""staff: each clerk's month against target, and the adjusters' cases (§4.4.4)."""
from __future__ import annotations

import argparse

from openpyxl import Workbook

from ..core.kpi import KPI_NEEDS
from ..core.staff import staff_month
from ..writing.staff_sheet import write_staff_sheet
from ..writing.terminal import pad, percent
from ..xlsx.save import save_workbook
from .common import CommandSpec, add_store_args, emit_json, finish, load, parse_month, say

USES = dict.fromkeys(("sales", "policies", "contacts", "claims", "handovers", "payments"))


def cmd_staff(args: argparse.Namespace) -> int:
    registers, ctx = load(args)
    registers.require(KPI_NEEDS)
    staff = staff_month(registers, ctx, args.month)
    if args.out:
        wb = Workbook()
        write_staff_sheet(wb.active, staff, ctx.settings.store)
        save_workbook(wb, args.out, kind="staff")
    payload = staff.to_json()
    code = finish(registers, USES, payload)
    if args.json:
        emit_json(payload)
        return code
    say(f"{ctx.settings.store} {payload['month']} 出单员考核（截至 {ctx.as_of:%Y-%m-%d}）")
    for row in payload["clerks"]:
        reward = "" if row["reward"] is None else f"  奖惩 {row['reward']:+,.2f}"
        say(f"  {pad(row['clerk'], 10)}续保 {row['renewed']:>4}  首保 {row['first_insured']:>4}  "
            f"手续费 {row['commission']:>12,.2f}  应跟进 {row['due']:>4}  报价 {row['quoted']:>4}  "
            f"报价率 {percent(row['quote_rate']):>6}  成交率 {percent(row['close_rate']):>6}{reward}")
    for row in payload["adjusters"]:
        days = "  ".join("—" if row[k] is None else f"{row[k]:g}" for k in ("days_to_settle", "days_to_handover",
                                                                             "days_to_pay"))
        say(f"  理赔员 {pad(row['adjuster'], 10)}案件 {row['cases']:>4}  各环节平均天数 {days}  逾期 {row['overdue']}")
    if args.out:
        say(str(args.out))
    return code


def _staff_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="考核月份，如 2026-10")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出出单员和理赔员")
    p.add_argument("--out", metavar="FILE.xlsx", help="写出考核工作簿")


COMMANDS: tuple[CommandSpec, ...] = (
    ('staff', "出单员当月对照目标考核；理赔员的案件", _staff_args, cmd_staff),
)
