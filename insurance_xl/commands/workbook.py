"""workbook: insurance.xlsm and the blank templates, from the installed package (ARCHITECTURE.md)."""
from __future__ import annotations

import argparse

from ..services.package_files import write_workbook_files
from .common import EXIT_OK, CommandSpec, say


def cmd_workbook(args: argparse.Namespace) -> int:
    for path in write_workbook_files(args.dir, replace=args.replace):
        say(str(path))
    return EXIT_OK


def _workbook_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="放工作簿的文件夹（没有就新建）")
    p.add_argument("--replace", action="store_true",
                   help="覆盖文件夹里已有的同名文件（先备份到 .insurance-xl-backups/）")


COMMANDS: tuple[CommandSpec, ...] = (
    ("workbook", "写出 insurance.xlsm 和空白登记表模板（随安装包提供）", _workbook_args, cmd_workbook),
)
