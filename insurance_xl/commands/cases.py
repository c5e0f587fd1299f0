"""cases: each claim case from report to refund, open cases by the step they wait at, insurers and
adjusters compared (DOMAIN.md "Claim cases")."""
from __future__ import annotations

import argparse

from ..core.claim_cases import (DONE, WAITING, WITHDRAWN, adjuster_comparison, cases_json, claim_cases,
                                insurer_comparison)
from ..writing.cases_book import write_cases_workbook
from ..writing.terminal import pad, shown
from .common import CommandSpec, add_store_args, emit_json, finish, load, say

USES = dict.fromkeys(("claims", "handovers", "old_parts", "payments", "tp_refunds"))


def cmd_cases(args: argparse.Namespace) -> int:
    registers, ctx = load(args)
    registers.require({"claims": ("claim_no",)})
    cases = claim_cases(registers, ctx)
    insurers, adjusters = insurer_comparison(cases), adjuster_comparison(cases)
    if args.out:
        write_cases_workbook(cases, insurers, adjusters, ctx.settings, ctx.as_of, args.out)
    payload = cases_json(cases, insurers, adjusters)
    code = finish(registers, USES, payload)
    if args.json:
        emit_json(payload)
        return code
    open_cases = cases[~cases["step"].isin((DONE, WITHDRAWN))]
    say(f"截至 {ctx.as_of:%Y-%m-%d}：案件 {len(cases)} 件，未完成 {len(open_cases)} 件")
    for step in WAITING:
        waiting = open_cases[open_cases["step"] == step]
        if len(waiting):
            say(f"待{step} {len(waiting)} 件")
        for row in waiting.head(20).itertuples(index=False):
            say(f"  {row.claim_no:<16} {pad(shown(row.plate), 10)}{pad(shown(row.insurer), 12)}"
                f"{pad(shown(row.adjuster), 8)}已等待 {shown(row.days_waiting):>4} 天")
        if len(waiting) > 20:
            say(f"  …… 另有 {len(waiting) - 20} 件（--out 写出全部）")
    say("保险公司：")
    for row in insurers.itertuples(index=False):
        avg = "—" if row.avg_days_to_pay != row.avg_days_to_pay else f"{row.avg_days_to_pay:.1f}"
        say(f"  {pad(row.insurer, 12)}{row.cases:>4} 件  平均回款 {avg:>5} 天  未回款 ¥{row.outstanding:>12,.2f}")
    if args.out:
        say(f"案件跟踪：{args.out}")
    return code


def _cases_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象（给其他程序用）")
    p.add_argument("--out", metavar="FILE.xlsx", help="写出案件跟踪工作簿")


COMMANDS: tuple[CommandSpec, ...] = (
    ('cases', '每件理赔案件从报案到回款、退款走到哪一步；保险公司、理赔员对比', _cases_args, cmd_cases),
)
