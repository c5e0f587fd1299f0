"""calls: the policy clerk's renewal call lists; `calls import` records the contacts a clerk filled in."""
from __future__ import annotations

import argparse
import sys

from ..core.mask import mask_name
from ..core.first_insurance import first_insurance_follow_up
from ..core.renewals import call_lists, calls_json
from ..errors import InsuranceXlError
from ..registers import REGISTERS
from ..services.calls_import import import_call_list
from ..writing.call_list_book import write_call_lists
from ..writing.first_insurance_book import follow_up_path, write_follow_up
from ..writing.terminal import pad, shown
from .common import EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, add_store_args, emit_json, finish, load, say

USES = {"policies": None, "contacts": None}


def cmd_calls(args: argparse.Namespace) -> int:
    if args.path == "import":
        return _calls_import(args)
    if args.filled or args.into:
        raise InsuranceXlError("FILLED.xlsx 和 --into 只用于 insurance-xl calls import FILLED.xlsx --into STORE.xlsx")
    registers, ctx = load(args)
    registers.require({"policies": ("archive_no", "policy_end")})
    if "contacts" in registers.missing:  # nobody reached is known: the lists hold everyone due
        sys.stderr.write(f"insurance-xl: 注意：没有找到「{REGISTERS['contacts'].sheet}」，已联系过的客户也会列入名单\n")
    lists = call_lists(registers, ctx)
    written = write_call_lists(lists, args.out) if args.out else []
    new_cars = first_insurance_follow_up(registers, ctx)
    if args.out:  # the 首保跟进 list beside the call lists
        written.append(write_follow_up(new_cars, follow_up_path(args.out, ctx.as_of), ctx.as_of,
                                       ctx.thresholds.first_insurance_days))
    payload = calls_json(lists)
    code = finish(registers, USES, payload)
    if args.json:
        emit_json(payload)
        return code
    say(f"截至 {ctx.as_of:%Y-%m-%d}：短信 {len(lists.sms)} 位，电话 {len(lists.phone)} 位，"
        f"首保跟进 {len(new_cars)} 台")
    for title, frame in (("短信", lists.sms), ("电话", lists.phone)):
        for row in frame.itertuples(index=False):  # names masked: a terminal may be logged, the workbook is not
            say(f"  {title} {shown(row.archive_no):<10} {pad(mask_name(shown(row.customer)), 6)}{pad(shown(row.plate), 10)}"
                f"{pad(shown(row.channel), 4)}{pad(row.kind, 6)}止期 {row.policy_end:%Y-%m-%d} 剩 {row.days_left:>3} 天  "
                f"{shown(row.clerk)}")
    for row in new_cars.itertuples(index=False):
        say(f"  首保 {shown(row.vin):<18}{pad(mask_name(shown(row.customer)), 6)}售出 {row.days_since_sale:>2} 天  "
            f"{pad(shown(row.salesperson), 8)}{shown(row.clerk)}")
    for path in written:
        say(f"名单：{path}")
    return code


def _calls_import(args: argparse.Namespace) -> int:
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


def _calls_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("filled", nargs="?", metavar="FILLED.xlsx", help="calls import 用：填好的续保名单")
    p.add_argument("--into", metavar="STORE.xlsx", help="calls import 用：要追加跟进记录的门店工作簿（或文件夹）")
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象（给其他程序用）")
    p.add_argument("--out", metavar="FILE.xlsx|DIR",
                   help="每位出单员一份名单：FILE-<出单员>.xlsx，或 DIR/续保提醒-<出单员>-<日期>.xlsx")



COMMANDS: tuple[CommandSpec, ...] = (
    ('calls', '续保名单（calls import 填好的名单 --into 门店工作簿：记录跟进结果）', _calls_args, cmd_calls),
)
