"""What every command shares: argument types, loading a store with its settings, printing, and the
clock: "today" and "now" are decided here, once for the command line (ARCHITECTURE.md)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..reading.clerk_values import parse_date_text, parse_month_text
from ..reading.store import GridHook, read_store
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


def reading_options(args: argparse.Namespace) -> None:
    """Per run: the settings file's [limits] for the reading checks, and whether the cache is used."""
    from ..reading import cache
    from ..settings import file_limits
    from ..xlsx import safety

    safety.configure(file_limits(getattr(args, "settings", None)))
    cache.set_enabled(not getattr(args, "no_cache", False))


def load(args: argparse.Namespace, on_grid: GridHook | None = None) -> tuple[Registers, Context]:
    """The store and its settings. What was left out on purpose (copies, backups, summaries, files in
    formats we cannot read) is said on stderr: the figures never silently rest on less, or more."""
    from .progress import step

    with step(f"读取 {Path(args.path).name}", json_output=getattr(args, "json", False)):
        registers = read_store(args.path, on_grid=on_grid)
    tell_left_out(registers)
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


_left_out: list[str] = []  # said once the command has its result (an exit 2 says one line only)


def tell_left_out(registers: Registers) -> None:
    """Remember what the store read left out, to be said on stderr after the command's result."""
    for text in [*registers.notes, *(f.message for f in registers.findings if f.rule == "read.duplicate_sheet")]:
        if text not in _left_out:
            _left_out.append(text)


def say_left_out(done: bool) -> None:
    """After a command: what was left out on purpose, on stderr (only when it gave a result)."""
    if done:
        for text in _left_out:
            sys.stderr.write(f"insurance-xl: 注意：{text}\n")
    _left_out.clear()


Uses = Mapping[str, Iterable[str] | None]  # register -> the columns a command's figures rest on (None: all)


def data_errors(registers: Registers, uses: Uses) -> list:
    """The reading errors (cells that could not be read: unreadable values, Excel error cells,
    formulas without a value) in the registers and columns a command uses."""
    wanted = {reg: (None if cols is None else set(cols)) for reg, cols in uses.items()}
    return [f for f in registers.findings if f.is_error and f.register in wanted
            and (wanted[f.register] is None or f.key in wanted[f.register])]


def finish(registers: Registers, uses: Uses, payload: dict | None = None, code: int = EXIT_OK) -> int:
    """The exit code of a command whose figures rest on `uses`: 1 (done, the data has errors) when
    those cells hold errors, said on stderr with the first of them, and as `data_errors` in the JSON
    payload (before it is printed)."""
    errors = data_errors(registers, uses)
    if not errors:
        return code
    if payload is not None:
        payload["data_errors"] = len(errors)
    sys.stderr.write(f"insurance-xl: 以上数字所依据的数据中有 {len(errors)} 处无法读取的值（如 {errors[0]}），"
                     f"结果可能不准：请用 insurance-xl validate 查看并改正\n")
    return max(code, EXIT_DATA_ERRORS)
