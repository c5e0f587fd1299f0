"""reconcile: month-end reconciliation with an insurer's statement, locked months."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..reading.statements import StatementForWrongMonth
from ..services.month_end import change_lines, lock_json, lock_refusal, locks_dir, reconcile_month, record_lock
from ..writing.append import append_register_rows
from ..writing.reconciliation_book import reconciliation_json, reconciliation_workbook, summary_lines
from ..xlsx.grids import Sheets
from ..xlsx.safety import check_workbook_file
from ..xlsx.save import save_workbook
from .common import EXIT_DATA_ERRORS, CommandSpec, add_store_args, data_errors, emit_json, finish, load, parse_month, say

RECONCILED = {"policies": None}  # what a reconciliation's figures rest on (commands/common.Uses)


def cmd_reconcile(args: argparse.Namespace) -> int:
    _check_statement_file(Path(args.statement))
    registers, ctx = load(args)
    try:
        result = reconcile_month(registers, ctx, args.insurer, args.month, args.statement,
                                 locks_dir=locks_dir(args.path), accept_suggested=args.accept_suggested)
    except StatementForWrongMonth as exc:  # §4.6: the wrong statement must not be reconciled, nor written
        sys.stderr.write(f"insurance-xl: {exc}\n")
        return EXIT_DATA_ERRORS
    if result.status == "changed" and not args.reopen:  # never new numbers for a locked month
        locked = (result.snapshot or {}).get("result") or {}
        body = {**{k: locked.get(k) for k in ("matched", "differences", "only_ours", "only_theirs", "totals")},
                "insurer": args.insurer, "month": args.month, "lock": lock_json(result)}
        if args.json:
            emit_json(body)
        else:
            for line in change_lines(result):
                say(line)
        sys.stderr.write(f"insurance-xl: {args.month} {args.insurer} 已锁定且明细有变化，未输出新数字；"
                         f"核对后用 --reopen --lock 在下月记调整行\n")
        return EXIT_DATA_ERRORS
    payload = reconciliation_json(result.rec, result.statement)
    recorded = None
    if args.lock and result.status != "locked":
        refusal = lock_refusal(registers, ctx, args.insurer, args.month, result.rec)
        if refusal:
            sys.stderr.write(f"insurance-xl: {refusal}\n")
            return EXIT_DATA_ERRORS
        unreadable = [f for f in result.statement.findings if f.is_error]
        if unreadable:
            sys.stderr.write(f"insurance-xl: 对账单有 {len(unreadable)} 个无法识别的值（{unreadable[0]}），不能锁定\n")
            return EXIT_DATA_ERRORS
        ours = data_errors(registers, RECONCILED)  # a lock is for good: never on figures resting on unreadable cells
        if ours:
            sys.stderr.write(f"insurance-xl: 本店登记表中有 {len(ours)} 处无法读取的值（如 {ours[0]}），不能锁定；"
                             f"请用 insurance-xl validate 查看并改正后再锁定\n")
            return EXIT_DATA_ERRORS
        recorded = record_lock(args.path, registers, result, ctx.as_of, append_register_rows, payload)
    payload["lock"] = lock_json(result, recorded)
    code = finish(registers, RECONCILED, payload)
    if args.out:
        save_workbook(reconciliation_workbook(result.rec, result.statement, ctx.settings.store,
                                              change_lines(result) if result.status == "changed" else None),
                      args.out, kind="reconciliation")
    if args.json:
        emit_json(payload)
    else:
        for line in [*summary_lines(result.rec, result.statement), *change_lines(result, recorded)]:
            say(line)
        if args.out:
            say(f"对账工作簿：{args.out}")
    return code


def _check_statement_file(path: Path) -> None:
    """A statement that cannot be opened fails at once, not after a five-year store has been read
    (its columns are read later, with the store's settings)."""
    check_workbook_file(path)
    Sheets(path)


def _reconcile_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="对账月份，如 2026-10")
    p.add_argument("--insurer", required=True, metavar="NAME", help="保险公司全称（与登记表和「设置」一致）")
    p.add_argument("--statement", required=True, metavar="FILE.xlsx", help="保险公司的当月对账单")
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    p.add_argument("--out", metavar="FILE.xlsx", help="写出对账工作簿（汇总、逐单结果、月度业务明细清单）")
    p.add_argument("--accept-suggested", action="store_true",
                   help="把按车牌+保费建议的匹配算作一致（核对过之后）")
    p.add_argument("--lock", action="store_true", help="在手续费结算台账锁定该月（重新对账时记调整行）")
    p.add_argument("--reopen", action="store_true", help="重新对已锁定的月份对账（与 --lock 一起：记下变化）")


COMMANDS: tuple[CommandSpec, ...] = (
    ('reconcile', '月末与一家保险公司的对账单逐单核对', _reconcile_args, cmd_reconcile),
)
