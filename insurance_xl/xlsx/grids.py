"""A workbook file's sheets as grids of cell texts: the one place the Rust reader (fastexcel) is called.

Registers, statements, the integrity stamp, the appending editor and the check after every write all
read through here, so they see the same texts and fail the same way: any parser failure, a Rust
panic included, becomes one WorkbookUnreadable naming the file. Rust's panic hook writes its message
(and, with RUST_BACKTRACE set, a backtrace) straight to the process's stderr before the panic
reaches Python; while the reader runs, that stream is diverted, so the clerk sees only our one line.
Callers check the file first (safety.check_workbook_file). `Sheets` opens a file once for its
names and its grids (a statement or a stamp sheet is looked up by name before it is read).
"""
from __future__ import annotations

import contextlib
import os
import zipfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import WorkbookUnreadable

Grid = tuple[str, pd.DataFrame, list[int]]  # sheet name, cell texts (NaN for empty), column offsets
# Characters nobody sees, pasted from insurers' web systems into ids and names: zero-width spaces and
# joiners, the BOM, the soft hyphen, direction marks. Removed from every cell text as it is read.
INVISIBLE = "[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
# A date cell stored as an ISO date (t="d", as LibreOffice and some exports write it) reads as
# 2026-10-03T00:00:00; the same day stored as a serial number reads as 2026-10-03 00:00:00. One text
# for one day: the reader, the integrity stamp and the check after every write compare these texts.
_ISO_T = "^(\\d{4}-\\d{2}-\\d{2})T(\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?)$"
_NEEDS_CLEANING = f"{INVISIBLE}|^\\d{{4}}-\\d{{2}}-\\d{{2}}T\\d"


class Sheets:
    """An open workbook file: its sheet names, and its sheets as grids when asked."""

    def __init__(self, file: Path) -> None:
        self.file = file
        with _reading(file):
            import fastexcel

            self._reader = fastexcel.read_excel(str(file))
            self.names: list[str] = list(self._reader.sheet_names)

    def grids(self, only: Collection[str] | None = None, skip: Collection[str] = (),
              rows: int | None = None, before: Callable[[str], None] | None = None) -> Iterator[Grid]:
        """Each sheet (those named in `only`, in the workbook's order; none of `skip`) as its grid
        of cell texts: row i is Excel row i + 1, and only columns holding something are kept, with
        their offsets (0 = column A). With `rows`, the first rows only. `before(sheet)` is called
        before a sheet is parsed (sheet_checks.SheetChecks.wait)."""
        for name in [n for n in self.names if n not in skip and (only is None or n in only)]:
            if before is not None:
                before(name)
            with _reading(self.file):
                grid, offsets = _grid(self._reader, name, rows)
            yield name, grid, offsets


def load_grids(file: Path, only: Collection[str] | None = None, skip: Collection[str] = (),
               rows: int | None = None, before: Callable[[str], None] | None = None) -> Iterator[Grid]:
    """Sheets(file).grids(...): the file is opened at the call, not when the first grid is asked for."""
    return Sheets(file).grids(only, skip, rows, before)


def _grid(reader, name: str, rows: int | None) -> tuple[pd.DataFrame, list[int]]:
    sheet = reader.load_sheet(name, header_row=None, skip_rows=0, n_rows=rows, dtypes="string")
    offsets = [c.absolute_index for c in sheet.selected_columns]
    grid = pd.DataFrame()
    if sheet.width:
        # Only columns holding something reach pandas: one stray value in column XFD makes a
        # 16,384-column grid, and per-column work on it would take minutes.
        batch = sheet.to_arrow()
        used = [i for i in range(batch.num_columns) if batch.column(i).null_count < batch.num_rows]
        if len(used) < batch.num_columns:
            batch, offsets = batch.select(used), [offsets[i] for i in used]
        grid = _clean_texts(batch).to_pandas()
    grid.columns = range(len(grid.columns))
    return grid, offsets


def _clean_texts(batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch | pa.Table:
    """The cells' texts with INVISIBLE characters removed (a cell holding only those becomes empty)
    and ISO date-times written as the reader gives date cells; columns needing neither are left as
    they are (one vectorised test per column)."""
    columns = list(batch.columns)
    changed = False
    for i, column in enumerate(columns):
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            continue
        if not pc.any(pc.match_substring_regex(column, _NEEDS_CLEANING)).as_py():
            continue
        cleaned = pc.replace_substring_regex(pc.replace_substring_regex(column, INVISIBLE, ""), _ISO_T, "\\1 \\2")
        columns[i] = pc.if_else(pc.equal(cleaned, ""), pa.scalar(None, column.type), cleaned)
        changed = True
    if not changed:
        return batch
    return type(batch).from_arrays(columns, schema=batch.schema) if isinstance(batch, pa.RecordBatch) \
        else pa.table(columns, schema=batch.schema)


@contextlib.contextmanager
def _reading(file: Path) -> Iterator[None]:
    try:
        with _native_stderr_diverted():
            yield
    except WorkbookUnreadable:
        raise
    except BaseException as exc:  # the one boundary: any parser failure, Rust panics included
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError, GeneratorExit)):
            raise
        text = str(exc).strip()
        reason = text.splitlines()[0][:200] if text else type(exc).__name__
        if "TimeDelta" in reason:  # calamine on a date cell holding no day: say which cells
            raise _impossible_dates(file) from None
        raise WorkbookUnreadable(file, f"文件已损坏或格式无法识别（{reason}）") from None


def _impossible_dates(file: Path) -> WorkbookUnreadable:
    from .parts import impossible_dates  # sheetxml needs read, which needs this module

    try:
        with zipfile.ZipFile(file) as archive:  # the file passed the safety checks already
            found = impossible_dates(archive)
    except Exception:  # noqa: BLE001  only the message is at stake: say what we know
        found = []
    cells = "、".join(f"{sheet}!{cell} = {value}" for sheet, cell, value in found)
    where = f"（{cells}）" if cells else "（如 -1E+308）"
    return WorkbookUnreadable(file, f"有日期格式的单元格数值超出日期范围{where}，请改正或清除这些单元格",
                              sheet=found[0][0] if len(found) == 1 else "")


@contextlib.contextmanager
def _native_stderr_diverted() -> Iterator[None]:
    """File descriptor 2 goes to /dev/null meanwhile: only the reader runs inside."""
    try:
        saved = os.dup(2)
        sink = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no descriptor 2 (a GUI host): nothing to divert
        yield
        return
    try:
        os.dup2(sink, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(sink)
