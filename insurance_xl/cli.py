"""The insurance-xl command: parse arguments, call the library, print (ARCHITECTURE.md contract).

Exit codes (EXIT_CODES, shown by --help): 0 done; 1 done and the data has errors (validate) or a
problem was found (doctor); 2 the input could not be read (one line on stderr naming file, sheet, row,
column); 3 an internal error (a bug: INSURANCE_XL_DEBUG=1 shows the trace). Each command is one module in insurance_xl/commands/; this module only
assembles them.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .commands import (calls, demo, kpi, overdue, reconcile, region, report, run, schedule, templates,
                       validate, workbook, doctor)
from .commands.common import EXIT_DATA_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_UNREADABLE, CommandSpec
from .errors import InsuranceXlError

log = logging.getLogger("insurance_xl")

COMMANDS: tuple[CommandSpec, ...] = tuple(
    spec for module in (run, demo, templates, validate, kpi, report, region, overdue, calls, reconcile, schedule,
                   workbook, doctor)
    for spec in module.COMMANDS
)
__all__ = ["COMMANDS", "EXIT_DATA_ERRORS", "EXIT_INTERNAL", "EXIT_OK", "EXIT_UNREADABLE", "build_parser", "main"]


EXIT_CODES = ("退出码：0 完成；1 完成，但数据有错误（validate）或发现问题（doctor）；"
              "2 无法读取输入（标准错误输出一行，指出文件、工作表、行、列）；"
              "3 内部错误（程序缺陷：设置环境变量 INSURANCE_XL_DEBUG=1 重试会显示详细信息，请反馈给维护人员）。")


def build_parser() -> argparse.ArgumentParser:
    parser = _chinese(argparse.ArgumentParser(
        prog="insurance-xl", add_help=False, description="4S 店保险业务台账工具：指标、续保名单、逾期回款、对账、校验、月报。",
        epilog="每个命令的说明：insurance-xl 命令 -h。" + EXIT_CODES))
    parser.add_argument("--version", action="version", version=f"insurance-xl {version()}", help="显示版本号")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    for name, help_text, add_args, handler in COMMANDS:
        p = _chinese(sub.add_parser(name, help=help_text, description=help_text, add_help=False, epilog=EXIT_CODES))
        add_args(p)
        p.set_defaults(handler=handler)
    return parser


def _chinese(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Headings and -h in Chinese for clerks (argparse has no public switch for its own words)."""
    parser.add_argument("-h", "--help", action="help", help="显示本说明")
    parser._positionals.title = "参数"
    parser._optionals.title = "选项"
    return parser


def version() -> str:
    """The installed distribution's version (the package's own when run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version as dist_version

    try:
        return dist_version("insurance-xl")
    except PackageNotFoundError:
        from . import __version__

        return __version__


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("INSURANCE_XL_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InsuranceXlError as exc:
        sys.stderr.write(f"insurance-xl: {exc}\n")
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        sys.stderr.write("insurance-xl: 已中断\n")
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error of ours
        sys.stderr.close()
        return 0
    except Exception as exc:  # a bug, not bad input: one line for the clerk, the trace for us
        if os.environ.get("INSURANCE_XL_DEBUG"):
            raise
        log.debug("internal error", exc_info=True)
        sys.stderr.write(f"insurance-xl: 内部错误（{type(exc).__name__}），请设置 INSURANCE_XL_DEBUG=1 重试并反馈\n")
        return EXIT_INTERNAL
