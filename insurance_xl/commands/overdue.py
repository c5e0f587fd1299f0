"""overdue: the claims clerk's money flags (DOMAIN.md "Claims and money") and the 催款清单 workbook."""
from __future__ import annotations

import argparse

from ..core.claims import flags_json, money_flags
from ..writing.overdue_book import band_totals, write_overdue_workbook
from .common import CommandSpec, add_store_args, emit_json, finish, load, say

USES = dict.fromkeys(("claims", "handovers", "payments", "tp_refunds", "old_parts", "commission_settlements"))


def cmd_overdue(args: argparse.Namespace) -> int:
    registers, ctx = load(args)
    registers.require({"handovers": ("claim_no",)})
    flags = money_flags(registers, ctx)
    if args.out:
        write_overdue_workbook(flags, ctx.settings, args.out, args.path)
    payload = flags_json(flags)
    code = finish(registers, USES, payload)
    if args.json:
        emit_json(payload)
        return code
    say(f"截至 {ctx.as_of:%Y-%m-%d}：逾期未回款 {len(flags.overdue)} 件，合计 ¥{flags.outstanding_total:,.2f}")
    for row in flags.overdue.itertuples(index=False):
        say(f"  {row.claim_no:<16} {row.insurer or '':<8} 交接 {row.handover_date:%Y-%m-%d} 应回款 {row.due_date:%Y-%m-%d}"
            f" 逾期 {row.days_overdue:>4} 天  未回款 ¥{row.outstanding:>12,.2f}  {row.band if isinstance(row.band, str) else ''}")
    for band, count, amount in band_totals(flags.overdue).itertuples(index=False):
        say(f"  {band:<12} {count:>4} 件  ¥{amount:>12,.2f}")
    say(f"结案未交接 {len(flags.not_handed_over)} 件；核赔退回 {len(flags.returned)} 件；三者款超期未退 {len(flags.tp_refunds)} 件；"
        f"旧件超期未签收 {len(flags.old_parts)} 件；"
        f"手续费超期未收回 {len(flags.commission)} 个月份")
    if len(flags.undated_handovers):
        say(f"注意：{len(flags.undated_handovers)} 条交接记录没有交接日期，无法计算回款期限")
    say("案件分档：" + "，".join(f"{k} {v} 件" for k, v in flags.bands.items()))
    if args.out:
        say(f"催款清单：{args.out}")
    return code


def _overdue_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象（给其他程序用）")
    p.add_argument("--out", metavar="FILE.xlsx", help="写出催款清单工作簿")



COMMANDS: tuple[CommandSpec, ...] = (
    ('overdue', '保险公司逾期未回款及其他资金提醒', _overdue_args, cmd_overdue),
)
