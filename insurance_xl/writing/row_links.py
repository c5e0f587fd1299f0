"""Links from the rows of a list we write back to the clerk's register row they come from.

Each list row carries where it comes from (registers.ROW_META: _workbook, _sheet, _row). The 位置 column
says it in words (`保险公司案件交接单登记表!12`), and its cell links there: Excel opens the store workbook
at that row. The link is relative to the output workbook when both live under a common folder (the
store and its 催款清单 moved or shared together keep working), else absolute (a `file:` URI).
"""
from __future__ import annotations

import os
from pathlib import Path, PurePath

import pandas as pd
from openpyxl.styles import Font
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..registers import ROW, SHEET, WORKBOOK

PLACE = "place"  # the column key of the 位置 text in the frames written
PLACE_HEADER = "登记位置"
LINK_FONT = Font(color="0563C1", underline="single")  # Excel's own Hyperlink style


def with_places(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with a 位置 text per row: sheet!row (empty where the row is not known)."""
    if ROW not in frame or SHEET not in frame or frame.empty:
        return frame.assign(**{PLACE: pd.Series([""] * len(frame), index=frame.index, dtype=object)})
    places = [f"{sheet}!{int(row)}" if isinstance(sheet, str) and sheet and pd.notna(row) else ""
              for sheet, row in zip(frame[SHEET], frame[ROW])]
    return frame.assign(**{PLACE: places})


def store_file(store: Path, workbook: str) -> Path:
    """The workbook a row was read from: the store itself, or a file in the store's folder."""
    if store.is_dir():
        return store / workbook
    return store if store.name == workbook or not workbook else store.parent / workbook


def link_target(out: Path, source: Path) -> str:
    """The link's file part: relative from `out`'s folder when they share a folder below the root."""
    out, source = out.resolve(), source.resolve()
    try:
        common = Path(os.path.commonpath([out.parent, source]))
    except ValueError:  # another drive (Windows)
        common = None
    if common is not None and common != Path(common.anchor):
        return PurePath(os.path.relpath(source, out.parent)).as_posix()
    return source.as_uri()


def link_rows(ws: Worksheet, frame: pd.DataFrame, column: int, first_row: int, out: Path | None,
              store: Path | None) -> None:
    """Each row's 位置 cell (`column`, rows from `first_row`) links to its register row."""
    if out is None or store is None or frame.empty or WORKBOOK not in frame:
        return
    targets: dict[str, str] = {}
    for i, (workbook, sheet, row) in enumerate(zip(frame[WORKBOOK], frame[SHEET], frame[ROW])):
        if not isinstance(sheet, str) or not sheet or pd.isna(row) or not isinstance(workbook, str):
            continue
        if workbook not in targets:
            targets[workbook] = link_target(out, store_file(store, workbook))
        cell = ws.cell(row=first_row + i, column=column)
        quoted = sheet.replace("'", "''")
        cell.hyperlink = Hyperlink(ref=cell.coordinate, target=targets[workbook], location=f"'{quoted}'!A{int(row)}",
                                   tooltip=f"打开 {workbook} · {sheet} 第 {int(row)} 行")
        cell.font = LINK_FONT
