"""validate: findings for auditors, the validated workbook and its integrity stamp."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..errors import InsuranceXlError
from ..tables import Registers
from ..settings import Context
from .progress import step
from .common import EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, emit_json, load, parse_date, say


def run_validation(store: Path, registers: Registers, ctx: Context, out: Path) -> None:
    """`run`'s validation step: findings counted, the validated workbook beside the other results."""
    from ..core.validation.validate import validate
    from ..writing.validated_book import write_validated_workbook

    validation = validate(registers, ctx)
    target = out / "validated-store.xlsx"
    write_validated_workbook(store, target, registers, validation, as_of=ctx.as_of,
                             now=dt.datetime.now().astimezone(), store=ctx.settings.store)
    say(f"校验：错误 {validation.errors} 条，警告 {validation.warnings} 条 → {target}")


def cmd_validate(args: argparse.Namespace) -> int:
    from ..errors import RegisterMissing
    from ..core.validation.validate import report_lines, validate

    if args.verify:
        if args.path or args.out:
            raise InsuranceXlError("--verify 单独使用：insurance-xl validate --verify 已校验的工作簿.xlsx")
        return verify_validated(args)
    if not args.path:
        raise InsuranceXlError("请给出要校验的工作簿或文件夹（或用 --verify 检查已校验的工作簿）")
    cells: dict = {}
    on_grid = None
    if args.out:
        from ..writing.integrity import SheetCells
        from ..writing.validated_book import check_out_path

        check_out_path(args.path, args.out)

        def on_grid(sheet, grid, offsets) -> None:  # the stamp's cells, taken while reading
            cells[sheet] = SheetCells.from_grid(grid, offsets)
    registers, ctx = load(args, on_grid)
    if not registers.layouts:
        raise RegisterMissing(args.path, "没有找到任何登记表（按工作表名和表头查找）")
    with step("校验", json_output=args.json):
        validation = validate(registers, ctx)
    if args.out:
        from ..writing.validated_book import write_validated_workbook

        with step(f"写入 {Path(args.out).name}", json_output=args.json):
            write_validated_workbook(args.path, args.out, registers, validation, as_of=ctx.as_of,
                                     now=dt.datetime.now().astimezone(), store=ctx.settings.store, cells=cells)
    if args.json:
        emit_json(validation.to_json())
    else:
        for line in report_lines(validation, str(args.path), ctx.as_of):
            say(line)
        if args.out:
            say(f"已写入校验工作簿 {args.out}")
    return EXIT_DATA_ERRORS if validation.errors else EXIT_OK


def verify_validated(args: argparse.Namespace) -> int:
    from ..writing.integrity import verify_workbook_stamp

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
    p.add_argument("path", nargs="?", help="store workbook (.xlsx/.xlsm) or a folder of workbooks")
    p.add_argument("--settings", metavar="FILE.toml", help="settings file (the workbook's 设置 sheet wins)")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="evaluation date (default: today)")
    p.add_argument("--json", action="store_true", help="print findings as one JSON object")
    p.add_argument("--out", metavar="FILE.xlsx", help="write the validated copy (findings sheet, marked cells, stamp)")
    p.add_argument("--verify", metavar="FILE.xlsx", help="check a validated workbook's integrity stamp")


COMMANDS: tuple[CommandSpec, ...] = (
    ('validate', 'findings for auditors; --out writes the validated workbook', _validate_args, cmd_validate),
)
