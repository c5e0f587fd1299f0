"""validate: findings for auditors, the validated workbook and its integrity stamp."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..core.validation.validate import report_lines, validate
from ..errors import InsuranceXlError
from ..writing.integrity import SheetCells, verify_workbook_stamp
from ..writing.validated_book import check_out_path, write_validated_workbook
from .common import EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, emit_json, load, now, parse_date, say
from .progress import step


def cmd_validate(args: argparse.Namespace) -> int:
    if args.verify:
        if args.path or args.out:
            raise InsuranceXlError("--verify 单独使用：insurance-xl validate --verify 已校验的工作簿.xlsx")
        return verify_validated(args)
    if not args.path:
        raise InsuranceXlError("请给出要校验的工作簿或文件夹（或用 --verify 检查已校验的工作簿）")
    cells: dict = {}

    def take_cells(sheet, grid, offsets) -> None:  # the stamp's cells, taken while reading
        cells[sheet] = SheetCells.from_grid(grid, offsets)

    if args.out:
        check_out_path(args.path, args.out)
    registers, ctx = load(args, take_cells if args.out else None)  # a path without registers stops there
    with step("校验", json_output=args.json):
        validation = validate(registers, ctx)
    if args.out:
        with step(f"写入 {Path(args.out).name}", json_output=args.json):
            write_validated_workbook(args.path, args.out, registers, validation, as_of=ctx.as_of, now=now(),
                                     store=ctx.settings.store, cells=cells)
    if args.json:
        emit_json(validation.to_json())
    else:
        for line in report_lines(validation, str(args.path), ctx.as_of):
            say(line)
        if args.out:
            say(f"已写入校验工作簿 {args.out}")
    return EXIT_DATA_ERRORS if validation.errors else EXIT_OK


def verify_validated(args: argparse.Namespace) -> int:
    result = verify_workbook_stamp(args.verify)
    if result is None:
        raise InsuranceXlError(f"{args.verify} 不是经过校验的工作簿（没有完整性印章），请先运行 validate --out")
    stamp = result.stamp
    if args.json:
        emit_json({"unchanged": result.unchanged, "validated_at": stamp.validated_at, "sha256": stamp.sha256,
                   "ruleset": stamp.ruleset, "errors": stamp.errors, "warnings": stamp.warnings,
                   "changed": list(result.changed_cells), "notes": list(result.notes)})
    elif result.unchanged:
        say(f"unchanged since validation at {stamp.validated_at}：自校验以来登记表未被修改"
            f"（规则版本 {stamp.ruleset}，错误 {stamp.errors} 条，警告 {stamp.warnings} 条，SHA-256 {stamp.sha256}）")
    else:
        say(f"changed since validation at {stamp.validated_at}：校验后登记表被修改")
        for note in result.notes:
            say(f"  {note}")
        if result.changed_cells:
            say("  改动的单元格：" + "、".join(result.changed_cells))
    return EXIT_OK if result.unchanged else EXIT_DATA_ERRORS


def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="门店工作簿（.xlsx/.xlsm）或放工作簿的文件夹")
    p.add_argument("--settings", metavar="FILE.toml", help="设置文件 .toml（工作簿的「设置」表优先）")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="评估日期，如 2026-11-24 或 2026/11/24（默认今天）")
    p.add_argument("--json", action="store_true", help="以一个 JSON 对象输出问题清单")
    p.add_argument("--out", metavar="FILE.xlsx", help="写出校验后的副本（问题清单、标注单元格、完整性印记）")
    p.add_argument("--verify", metavar="FILE.xlsx", help="检查校验后工作簿的完整性印记（未改 0，已改 1）")


COMMANDS: tuple[CommandSpec, ...] = (
    ('validate', '校验登记表，列出问题（--out 写出校验后的工作簿）', _validate_args, cmd_validate),
)
