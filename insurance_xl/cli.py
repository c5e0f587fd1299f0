"""The insurance-xl command: parse arguments, call the library, print (ARCHITECTURE.md contract).

Exit codes: 0 done; 1 done and the data has errors; 2 the input could not be read (one line on
stderr naming file, sheet, row, column). Each command lives in insurance_xl/commands/ as a few
lines over library functions; this module only assembles them.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from .commands import audit, kpis, mailing, money, reconciling, store
from .commands.audit import run_validation
from .commands.common import (EXIT_DATA_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_UNREADABLE, CommandSpec, reading_options,
                              settings_for)
from .commands.store import run_monthly_report
from .errors import InsuranceXlError

log = logging.getLogger("insurance_xl")

COMMANDS: tuple[CommandSpec, ...] = (
    *store.COMMANDS, *audit.COMMANDS, *kpis.COMMANDS, *money.COMMANDS, *reconciling.COMMANDS, *mailing.COMMANDS,
)
__all__ = ["COMMANDS", "EXIT_DATA_ERRORS", "EXIT_INTERNAL", "EXIT_OK", "EXIT_UNREADABLE", "build_parser", "main",
           "run_monthly_report", "run_validation", "settings_for"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="insurance-xl", description="4S 店保险业务台账工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text, add_args, handler in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.add_argument("--no-cache", action="store_true", help="parse every workbook afresh (no cached registers)")
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("INSURANCE_XL_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        reading_options(args)
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
