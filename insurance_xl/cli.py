"""The insurance-xl command: parse arguments, call the library, print (ARCHITECTURE.md contract).

Exit codes: 0 done; 1 done and the data has errors; 2 the input could not be read (one line on
stderr naming file, sheet, row, column); 3 an internal error (a bug: the trace is logged with
INSURANCE_XL_DEBUG=1). Each command is one module in insurance_xl/commands/; this module only
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="insurance-xl", description="4S 店保险业务台账工具")
    parser.add_argument("--version", action="version", version=f"insurance-xl {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text, add_args, handler in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(handler=handler)
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
