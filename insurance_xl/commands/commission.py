"""commission: each insurer's month followed from expected to received (§4.6, §4.9.4)."""
from __future__ import annotations

import argparse

from ..core.commission import MONTH_COLUMNS, MONTH_LABELS, commission_months
from ..tables import json_records
from ..writing.commission_book import build_commission_workbook
from ..writing.terminal import pad
from ..xlsx.save import save_workbook
from .common import CommandSpec, add_store_args, emit_json, finish, load, say

USES = {"policies": ("channel", "insurer", "issue_date", "compulsory_premium", "commercial_premium", "commission"),
        "commission_settlements": None}


def _year(text: str) -> int:
    if not (text.isdigit() and len(text) == 4):
        raise argparse.ArgumentTypeError(f"年份格式应为 YYYY：{text!r}")
    return int(text)


def cmd_commission(args: argparse.Namespace) -> int:
    registers, ctx = load(args)
    registers.require({"policies": ("channel", "insurer", "commission"), "commission_settlements": ()})
    table = commission_months(registers["policies"], registers["commission_settlements"], ctx, args.year)
    if args.out:
        save_workbook(build_commission_workbook(table, ctx.settings.store, args.year, ctx.as_of), args.out,
                      kind="commission")
    payload = {"year": args.year, "months": json_records(table, MONTH_COLUMNS)}
    code = finish(registers, USES, payload)
    if args.json:
        emit_json(payload)
        return code
    say(f"{ctx.settings.store} {args.year} 年手续费（截至 {ctx.as_of:%Y-%m-%d}）")
    say("  " + pad(MONTH_LABELS["month"], 9) + pad(MONTH_LABELS["insurer"], 12)
        + "".join(f"{MONTH_LABELS[k]:>12}" for k in MONTH_COLUMNS[2:]))
    for row in json_records(table, MONTH_COLUMNS):
        amounts = "".join("           —" if row[k] is None else f"{row[k]:>12,.2f}" for k in MONTH_COLUMNS[2:])
        say(f"  {pad(row['month'], 9)}{pad(row['insurer'], 12)}{amounts}")
    if args.out:
        say(str(args.out))
    return code


def _commission_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--year", type=_year, required=True, metavar="YYYY", help="跟踪的年份，如 2026")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出各月手续费")
    p.add_argument("--out", metavar="FILE.xlsx", help="写出给财务的手续费工作簿")


COMMANDS: tuple[CommandSpec, ...] = (
    ('commission', '各保险公司每月手续费：应收、入账、已对账、已开票、已到账',
     _commission_args, cmd_commission),
)
