"""overdue and calls: the claims clerk's money flags and the policy clerk's renewal lists."""
from __future__ import annotations

import argparse

from ..errors import InsuranceXlError
from .common import EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, add_store_args, emit_json, load, pad, say, shown


def cmd_overdue(args: argparse.Namespace) -> int:
    from ..core.claims import flags_json, money_flags
    from ..writing.overdue_book import band_totals, write_overdue_workbook

    registers, ctx = load(args)
    registers.require({"handovers": ("claim_no",)})
    flags = money_flags(registers, ctx)
    if args.out:
        write_overdue_workbook(flags, ctx.settings, args.out)
    if args.json:
        emit_json(flags_json(flags))
        return EXIT_OK
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
    return EXIT_OK


def cmd_calls(args: argparse.Namespace) -> int:
    if args.path == "import":
        return _calls_import(args)
    if args.filled or args.into:
        raise InsuranceXlError("FILLED.xlsx 和 --into 只用于 insurance-xl calls import FILLED.xlsx --into STORE.xlsx")
    from ..writing.call_list_book import write_call_lists
    from ..core.mask import mask_name
    from ..core.renewals import call_lists, calls_json

    registers, ctx = load(args)
    registers.require({"policies": ("archive_no", "policy_end")})
    lists = call_lists(registers, ctx)
    written = write_call_lists(lists, args.out) if args.out else []
    if args.json:
        emit_json(calls_json(lists))
        return EXIT_OK
    say(f"截至 {ctx.as_of:%Y-%m-%d}：短信 {len(lists.sms)} 位，电话 {len(lists.phone)} 位")
    for title, frame in (("短信", lists.sms), ("电话", lists.phone)):
        for row in frame.itertuples(index=False):  # names masked: a terminal may be logged, the workbook is not
            say(f"  {title} {shown(row.archive_no):<10} {pad(mask_name(shown(row.customer)), 6)}{pad(shown(row.plate), 10)}"
                f"{pad(shown(row.channel), 4)}止期 {row.policy_end:%Y-%m-%d} 剩 {row.days_left:>2} 天  {shown(row.clerk)}")
    for path in written:
        say(f"名单：{path}")
    return EXIT_OK


def _calls_import(args: argparse.Namespace) -> int:
    from ..services.calls_import import import_call_list

    if not args.filled or not args.into:
        raise InsuranceXlError("用法：insurance-xl calls import FILLED.xlsx --into STORE.xlsx")
    result = import_call_list(args.filled, args.into)
    if args.json:
        emit_json({"added": len(result.added), "already": result.already, "store": result.store,
                   "sheet": result.sheet, "backup": result.backup,
                   "problems": [f.to_json() for f in result.problems]})
    else:
        say(f"{result.store} · {result.sheet}：新增 {len(result.added)} 条跟进记录，"
            f"{result.already} 条此前已导入")
        if result.backup:
            say(f"备份：{result.backup}")
        for finding in result.problems:
            say(f"  未导入 {finding}")
    return EXIT_DATA_ERRORS if result.problems else EXIT_OK


def _overdue_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--json", action="store_true", help="print the ARCHITECTURE.md JSON object")
    p.add_argument("--out", metavar="FILE.xlsx", help="write the 催款清单 workbook")


def _calls_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("filled", nargs="?", metavar="FILLED.xlsx", help="calls import: the filled-in call list")
    p.add_argument("--into", metavar="STORE.xlsx", help="calls import: the store workbook (or folder) to append to")
    p.add_argument("--json", action="store_true", help="print the ARCHITECTURE.md JSON object")
    p.add_argument("--out", metavar="FILE.xlsx|DIR",
                   help="write one call list per clerk: FILE-<clerk>.xlsx, or DIR/续保提醒-<clerk>-<date>.xlsx")


COMMANDS: tuple[CommandSpec, ...] = (
    ('overdue', 'overdue insurer payments and the other money flags', _overdue_args, cmd_overdue),
    ('calls', 'renewal call lists (calls import FILLED --into STORE records the contacts)', _calls_args, cmd_calls),
)
