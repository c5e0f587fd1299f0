"""doctor: what a button would use on this PC (Python, insurance-xl, xlwings, the interpreter, the VBA)."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..services.doctor import checkup
from .common import EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, say


def cmd_doctor(args: argparse.Namespace) -> int:
    report = checkup(Path(args.workbook) if args.workbook else None)
    for line in report.lines:
        say(line)
    return EXIT_DATA_ERRORS if report.problems else EXIT_OK


def _doctor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("workbook", nargs="?", help="要检查的 insurance.xlsm（看它的 xlwings.conf 和 VBA 版本）")


COMMANDS: tuple[CommandSpec, ...] = (
    ("doctor", "检查环境：按钮会用哪个 Python、insurance-xl 和 xlwings 版本、工作簿 VBA 是否匹配（有问题时退出码 1）",
     _doctor_args, cmd_doctor),
)
