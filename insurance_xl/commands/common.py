"""What every command shares: argument types, loading a store with its settings, printing."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..tables import Registers
from ..reading.store import GridHook, read_store
from ..settings import Context, Settings, load_settings

EXIT_OK, EXIT_DATA_ERRORS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3


CommandSpec = tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


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


def parse_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text!r}")
    return count


def add_store_args(p: argparse.ArgumentParser, as_of: bool = True) -> None:
    p.add_argument("path", help="store workbook (.xlsx/.xlsm) or a folder of workbooks")
    p.add_argument("--settings", metavar="FILE.toml", help="settings file (the workbook's 设置 sheet wins)")
    if as_of:
        p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="evaluation date (default: today)")


def settings_for(registers: Registers, settings_file: str | None) -> Settings:
    table = registers["settings"]
    rows = list(zip(table["key"], table["value"], table["_row"])) if len(table) else None
    return load_settings(settings_file, rows)


def reading_options(args: argparse.Namespace) -> None:
    """Per run: the settings file's [limits] for the reading checks, and whether the cache is used."""
    from ..reading import cache
    from ..settings import file_limits
    from ..xlsx import safety

    safety.configure(file_limits(getattr(args, "settings", None)))
    cache.set_enabled(not getattr(args, "no_cache", False))


def load(args: argparse.Namespace, on_grid: GridHook | None = None) -> tuple[Registers, Context]:
    from .progress import step

    with step(f"读取 {Path(args.path).name}", json_output=getattr(args, "json", False)):
        registers = read_store(args.path, on_grid=on_grid)
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


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def shown(value: object) -> str:
    """A cell for a terminal line: empty (None, NaN, NA) as nothing, never as 'nan'."""
    return "" if value is None or (not isinstance(value, str) and bool(pd.isna(value))) else str(value)


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal where CJK characters take two columns."""
    used = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(width - used, 1)


def warn_without_own_brands(ctx: Context) -> None:
    if not ctx.settings.own_brands:
        sys.stderr.write("insurance-xl: 设置中没有本店品牌（own_brands），首保率、续保率、流失率将为空\n")
