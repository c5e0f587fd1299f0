"""The insurance-xl command: parse arguments, call the library, print (ARCHITECTURE.md contract).

Exit codes: 0 done; 1 done and the data has errors; 2 the input could not be read (one line on
stderr naming file, sheet, row, column). Every command is a few lines over library functions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import InsuranceXlError
from .model import Registers
from .read import read_store
from .registers import DATA_REGISTERS, REGISTERS
from .settings import Context, Settings, load_settings

log = logging.getLogger("insurance_xl")

EXIT_OK, EXIT_DATA_ERRORS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3


# ---- shared plumbing ----------------------------------------------------------------------------

def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None


def parse_month(text: str) -> str:
    try:
        dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"月份格式应为 YYYY-MM：{text!r}") from None
    return text


def add_store_args(p: argparse.ArgumentParser, as_of: bool = True) -> None:
    p.add_argument("path", help="store workbook (.xlsx/.xlsm) or a folder of workbooks")
    p.add_argument("--settings", metavar="FILE.toml", help="settings file (the workbook's 设置 sheet wins)")
    if as_of:
        p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="evaluation date (default: today)")


def settings_for(registers: Registers, settings_file: str | None) -> Settings:
    table = registers["settings"]
    rows = list(zip(table["key"], table["value"], table["_row"])) if len(table) else None
    return load_settings(settings_file, rows)


def load(args: argparse.Namespace) -> tuple[Registers, Context]:
    registers = read_store(args.path)
    settings = settings_for(registers, getattr(args, "settings", None))
    as_of = getattr(args, "as_of", None) or dt.date.today()
    return registers, Context(settings=settings, as_of=as_of)


def json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=json_default) + "\n")


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


# ---- commands -----------------------------------------------------------------------------------

def cmd_templates(args: argparse.Namespace) -> int:
    from .templates import write_templates

    for path in write_templates(args.dir):
        say(str(path))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import write_demo_store

    written = write_demo_store(args.dir, seed=args.seed, vehicles=args.vehicles, as_of=args.as_of)
    for path in written:
        say(str(path))
    return EXIT_OK


def register_summary(registers: Registers) -> list[str]:
    """One line per register: rows read and rows with findings."""
    lines = []
    flagged: dict[str, set] = {}
    for f in registers.findings:
        flagged.setdefault(f.register, set()).add((f.location.workbook, f.location.sheet, f.location.row))
    for key in DATA_REGISTERS:
        reg = REGISTERS[key]
        if key in registers.missing:
            lines.append(f"{reg.sheet:<14} 未找到")
            continue
        rows = len(registers[key])
        lines.append(f"{reg.sheet:<14} {rows:>7} 行  {len(flagged.get(key, ())):>4} 行有问题")
    return lines


def cmd_run(args: argparse.Namespace) -> int:
    from .demo import write_demo_store

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = write_demo_store(out / "demo-store", seed=args.seed, vehicles=args.vehicles)
    store = next(p for p in written if p.name == "store.xlsx")
    registers = read_store(store)
    say(f"示例门店 {store}")
    for line in register_summary(registers):
        say("  " + line)
    return EXIT_OK


CommandSpec = tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _templates_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="folder to write the blank register workbooks into")


def parse_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text!r}")
    return count


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="folder to write the sample store into")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed and date, same store)")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="own-brand vehicles sold over three years")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD",
                   help="the store's last day: history runs three years up to it (default: today)")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out-dir", default="out", help="where the demo store and results go (default ./out)")
    p.add_argument("--seed", type=int, default=2026, help="demo store seed")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="demo store size (own-brand vehicles)")


COMMANDS: tuple[CommandSpec, ...] = (
    ("run", "the main job on the built-in sample store", _run_args, cmd_run),
    ("demo", "write a realistic sample store", _demo_args, cmd_demo),
    ("templates", "write blank register workbooks", _templates_args, cmd_templates),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="insurance-xl", description="4S 店保险业务台账工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text, add_args, handler in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(handler=handler)
    return parser


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
    except Exception as exc:  # a bug, not bad input: one line for the clerk, the trace for us
        if os.environ.get("INSURANCE_XL_DEBUG"):
            raise
        log.debug("internal error", exc_info=True)
        sys.stderr.write(f"insurance-xl: 内部错误（{type(exc).__name__}），请设置 INSURANCE_XL_DEBUG=1 重试并反馈\n")
        return EXIT_INTERNAL
