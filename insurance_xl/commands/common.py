"""What every command shares: argument types, loading a store with its settings, printing, and the
clock: "today" and "now" are decided here, once for the command line (ARCHITECTURE.md)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..reading.clerk_values import parse_date_text, parse_month_text
from ..reading.store import read_store
from ..settings import Context, store_settings
from ..tables import Registers

EXIT_OK, EXIT_DATA_ERRORS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3


CommandSpec = tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def parse_date(text: str) -> dt.date:
    """A day as the sheets read one: 2026-11-24, 2026/11/24, 2026.11.24, 20261124, 2026年11月24日."""
    day = parse_date_text(text)
    if not isinstance(day, dt.date):
        raise argparse.ArgumentTypeError(f"不是日期：{text!r}（写成 2026-11-24 或 2026/11/24）")
    return day


def parse_month(text: str) -> str:
    """A month as the sheets read one: 2026-10, 2026/10, 2026.10, 202610, 2026年10月."""
    month = parse_month_text(text)
    if not isinstance(month, str):
        raise argparse.ArgumentTypeError(f"不是月份：{text!r}（写成 2026-10 或 2026/10）")
    return month


def parse_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text!r}")
    return count


def add_store_args(p: argparse.ArgumentParser, as_of: bool = True) -> None:
    p.add_argument("path", help="门店工作簿（.xlsx/.xlsm）或放工作簿的文件夹")
    p.add_argument("--settings", metavar="FILE.toml", help="设置文件 .toml（工作簿的「设置」表优先）")
    if as_of:
        p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="评估日期，如 2026-11-24 或 2026/11/24（默认今天）")


def today() -> dt.date:
    return dt.date.today()


def now() -> dt.datetime:
    """The local time, with its offset (validation stamps, mail dates)."""
    return dt.datetime.now().astimezone()


def load(args: argparse.Namespace) -> tuple[Registers, Context]:
    registers = read_store(args.path)
    registers.require_some()  # a path without registers is an input error, not a month of zeros
    settings = store_settings(registers, getattr(args, "settings", None))
    as_of = getattr(args, "as_of", None) or today()
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


def warn_without_own_brands(ctx: Context) -> None:
    if not ctx.settings.own_brands:
        sys.stderr.write("insurance-xl: 设置中没有本店品牌（own_brands），首保率、续保率、流失率将为空\n")
