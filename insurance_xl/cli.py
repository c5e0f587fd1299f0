"""The insurance-xl command: parse arguments, call the library, print (ARCHITECTURE.md contract).

Exit codes (EXIT_CODES, shown by --help): 0 done; 1 done and the data has errors (validate) or a
problem was found (doctor); 2 the input could not be read (one line on stderr naming file, sheet, row,
column); 3 an internal error (a bug: INSURANCE_XL_DEBUG=1 shows the trace). Each command is one module in insurance_xl/commands/; this module only
assembles them.
"""
from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from .commands import (calls, cases, commission, demo, doctor, kpi, overdue, reconcile, region, report, run,
                       schedule, staff, templates, validate, workbook)
from .commands.common import (EXIT_DATA_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_UNREADABLE, CommandSpec, reading_options,
                              say_left_out)
from .errors import InsuranceXlError

log = logging.getLogger("insurance_xl")
OUT_SUFFIXES = (".xlsx", ".xlsm")  # what an --out file may be (xlsx.safety.WORKBOOK_SUFFIXES)

COMMANDS: tuple[CommandSpec, ...] = tuple(
    spec for module in (run, demo, templates, validate, kpi, report, region, overdue, calls, reconcile, schedule,
                        cases, commission, staff, workbook, doctor)
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
        p.add_argument("--no-cache", action="store_true", help="不用缓存，重新解析每个工作簿")
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
    say_left_out(done=False)  # nothing left over from an earlier call in this process
    try:
        check_out(getattr(args, "out", None))
        reading_options(args)
        with warnings.catch_warnings():
            if not os.environ.get("INSURANCE_XL_DEBUG"):
                warnings.simplefilter("ignore")  # a library's warning text is no message for a clerk
            code = args.handler(args)
        say_left_out(done=code in (EXIT_OK, EXIT_DATA_ERRORS))
        return code
    except InsuranceXlError as exc:
        sys.stderr.write(f"insurance-xl: {exc}\n")
        return EXIT_UNREADABLE
    except OSError as exc:
        if not isinstance(exc, BrokenPipeError) and (message := os_error_message(exc)):
            sys.stderr.write(f"insurance-xl: {message}\n")
            return EXIT_UNREADABLE
        if isinstance(exc, BrokenPipeError):  # output piped into `head` and the like: not an error of ours
            sys.stderr.close()
            return 0
        return _internal(exc)
    except KeyboardInterrupt:
        sys.stderr.write("insurance-xl: 已中断\n")
        return 130
    except Exception as exc:  # a bug, not bad input: one line for the clerk, the trace for us
        return _internal(exc)


def check_out(out: str | None) -> None:
    """An --out that names a file must name a workbook: said before any work starts (a folder, for
    the commands writing one workbook per clerk, has no suffix)."""
    if not out:
        return
    path = Path(out)
    if path.suffix and path.suffix.lower() not in OUT_SUFFIXES and not path.is_dir():
        raise InsuranceXlError(f"--out {out}：只能写入 .xlsx 工作簿（{path.suffix} 不是 Excel 工作簿格式），"
                               f"请改为 {path.with_suffix('.xlsx').name}")


def _internal(exc: Exception) -> int:
    if os.environ.get("INSURANCE_XL_DEBUG"):
        raise exc
    log.debug("internal error", exc_info=True)
    sys.stderr.write(f"insurance-xl: 内部错误（{type(exc).__name__}），请设置 INSURANCE_XL_DEBUG=1 重试并反馈\n")
    return EXIT_INTERNAL


_OS_REASONS = {
    errno.EACCES: "没有权限（文件夹只读，或文件被其他程序占用）",
    errno.EPERM: "没有权限（文件夹只读，或文件被其他程序占用）",
    errno.EROFS: "所在磁盘只读",
    errno.ENOSPC: "磁盘空间已满",
    getattr(errno, "EDQUOT", -1): "磁盘配额已满",
    errno.ENOENT: "文件或文件夹不存在",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EISDIR: "这是文件夹，不是文件",
}


def os_error_message(exc: OSError) -> str | None:
    """A clerk's message for a file-system error that is not our bug: what happened, and to which path."""
    reason = _OS_REASONS.get(exc.errno or 0)
    if reason is None:
        return None
    path = exc.filename or ""
    return f"无法写入或读取 {path}：{reason}" if path else f"文件操作失败：{reason}"
