"""Error cells and formulas without a value (xlsx/cell_marks.py) in a register: the simple formulas are
given their value before the sheet is read; the others become findings at their cell when they sit in a
register column of a row read (the figures would otherwise rest on an empty cell nobody sees)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..findings import Finding, Location, Severity
from ..registers import ROW
from ..xlsx.cell_marks import Mark
from ..xlsx.parts import column_letter
from ..tables import SheetLayout


def fill_simple(grid: pd.DataFrame, offsets: list[int], marks: list[Mark]) -> tuple[pd.DataFrame, list[int]]:
    """The grid with the value of each simple formula (=123, =DATE(y,m,d)) in its cell."""
    known = [m for m in marks if m.value is not None and m.row <= len(grid)]
    if not known:
        return grid, offsets
    grid, offsets = grid.copy(), list(offsets)
    for mark in known:
        if mark.column not in offsets:
            grid[len(offsets)] = pd.Series([np.nan] * len(grid), index=grid.index, dtype="object")
            offsets.append(mark.column)
        pos = offsets.index(mark.column)
        if grid[pos].dtype != object:
            grid[pos] = grid[pos].astype(object)
        grid.iat[mark.row - 1, pos] = mark.value
    return grid, offsets


def mark_findings(layout: SheetLayout, table: pd.DataFrame, marks: list[Mark]) -> list[Finding]:
    """A finding for each error cell or formula without a value in a register column of a row read."""
    by_letter = {letter: (key, header) for key, (letter, header) in layout.columns.items()}
    rows = set(table[ROW].tolist()) if len(table) else set()
    found = []
    for mark in marks:
        column = by_letter.get(column_letter(mark.column))
        if mark.value is not None or column is None or mark.row not in rows:
            continue
        key, header = column
        if mark.error:
            rule, message = "read.excel_error", f"「{header}」是 Excel 错误值 {mark.error}，已按空值处理：请改正该单元格"
        else:
            rule = "read.formula_without_value"
            message = (f"「{header}」是公式 ={mark.formula}，但文件中没有计算结果（由其他程序导出？），已按空值处理："
                       f"请在 Excel 中打开并保存此文件后再试")
        found.append(Finding(layout.register, rule, Severity.ERROR,
                             Location(layout.workbook, layout.sheet, mark.row, header, mark.cell), message, key=key))
    return found
