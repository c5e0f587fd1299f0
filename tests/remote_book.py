"""A workbook's data as xlwings' remote client sends it, so the Excel glue runs on a real `xw.Book`
without Excel (ARCHITECTURE.md "The Excel face"; tests and bench/ only).

The payload follows what the Office.js client posts (xlwings/pro/_xlremote.py reads it): the book's
name, and per sheet the values from A1 to the last used cell (empty cells as "", date cells as ISO
text ending in Z), with tables, pictures and the rest empty. `book.json()["actions"]` then holds
what the glue asked Excel to do: which range gets which values, colours, formats, new sheets.

The remote engine is licensed: the test sets XLWINGS_LICENSE_KEY=noncommercial for itself; nothing
at run time uses it.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

LICENSE_ENV = "XLWINGS_LICENSE_KEY"


def remote_unavailable_reason() -> str:
    """'' when xlwings' remote engine can be used in this process, else why not.

    xlwings registers its licensed engines when first imported; when that happened before the
    key was set, the engine is added now.
    """
    if os.environ.get(LICENSE_ENV) != "noncommercial":
        return f"{LICENSE_ENV} is not set to noncommercial"
    try:
        import xlwings
        from xlwings.main import Engine

        if "remote" not in [engine.name for engine in xlwings.engines]:
            from xlwings.pro import _xlremote

            xlwings.engines.add(Engine(impl=_xlremote.engine))
    except Exception as exc:  # any import or licence failure means: skip, and say why
        return f"xlwings remote engine unavailable: {type(exc).__name__}: {exc}"
    return ""


def json_cell(value: object) -> object:
    """One cell as the client sends it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # JSON numbers: Office.js sends 665, not 665.0
    return value


def column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def sheet_json(name: str, rows: list[list[object]]) -> dict:
    width = max((len(r) for r in rows), default=0)
    values = [[json_cell(v) for v in row] + [""] * (width - len(row)) for row in rows] or [[]]
    used = f"A1:{column_letters(width)}{len(rows)}" if rows and width else None
    return {"name": name, "values": values, "used_range_address": used, "visibility": "Visible",
            "pictures": [], "shapes": [], "charts": [], "notes": [], "tables": [], "pivot_tables": [],
            "print_area": None, "show_gridlines": True}


def book_json(sheets: Mapping[str, list[list[object]]], name: str = "insurance.xlsm", active: int = 0) -> dict:
    import xlwings

    return {
        "client": "Office.js",
        "version": xlwings.__version__,
        "book": {"name": name, "active_sheet_index": active, "selection": "A1"},
        "names": [],
        "sheets": [sheet_json(sheet, rows) for sheet, rows in sheets.items()],
    }


def workbook_sheets(path: str | Path, skip: Iterable[str] = ()) -> dict[str, list[list[object]]]:
    """Every sheet's values from A1, as python-calamine reads them from the file."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    skipped = set(skip)
    out = {}
    for name in book.sheet_names:
        if name in skipped:
            continue
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        out[name] = [[None if v == "" else v for v in row] for row in rows]
    return out


def settings_rows(settings: object) -> list[list[object]]:
    """A 设置 sheet (设置项 | 值) holding the store, brands, partner insurers and thresholds of `settings`."""
    import dataclasses

    from insurance_xl.registers import REGISTERS

    rows: list[list[object]] = [[c.header for c in REGISTERS["settings"].columns[:2]]]
    rows.append(["store", settings.store])  # type: ignore[attr-defined]
    rows.append(["own_brands", ",".join(settings.own_brands)])  # type: ignore[attr-defined]
    for name, insurer in settings.insurers.items():  # type: ignore[attr-defined]
        for key in ("promised_days", "commission_rate_commercial", "commission_rate_compulsory", "contact"):
            rows.append([f'insurers."{name}".{key}', getattr(insurer, key)])
    thresholds = settings.thresholds  # type: ignore[attr-defined]
    for field in dataclasses.fields(thresholds):
        value = getattr(thresholds, field.name)
        # a list (三者险保额档次) is one cell, its items joined as a clerk types them
        rows.append([f"thresholds.{field.name}", ",".join(value) if isinstance(value, list) else value])
    return rows


def actions(book: object, start: list[str], func: str | None = None, sheet: str | None = None) -> list[dict]:
    """The book's recorded actions, optionally of one kind and on one sheet (by name).

    An action names its sheet by position at the time it was recorded; `start` (the sheet names of
    the payload) and the addSheet/sheetDelete/setSheetName actions replayed give the name.
    """
    names = list(start)
    found = []
    for action in book.json()["actions"]:  # type: ignore[attr-defined]
        position = action.get("sheet_position")
        name = names[position] if position is not None and 0 <= position < len(names) else None
        if action["func"] == "addSheet":
            names.insert(action["args"][0], action["args"][1])
            name = action["args"][1]
        elif action["func"] == "sheetDelete":
            names.pop(position)
        elif action["func"] == "setSheetName":
            names[position] = action["args"][0]
        if (func is None or action["func"] == func) and (sheet is None or name == sheet):
            found.append(action)
    return found


def written(book: object, start: list[str], sheet: str) -> dict[tuple[int, int], object]:
    """Every value setValues wrote on a sheet, by (Excel row, column), the last write winning."""
    cells: dict[tuple[int, int], object] = {}
    for action in actions(book, start, "setValues", sheet):
        for i, row in enumerate(action["values"]):
            for j, value in enumerate(row):
                cells[(action["start_row"] + 1 + i, action["start_column"] + 1 + j)] = value
    return cells


@pytest.fixture
def remote(monkeypatch):
    """Open books on xlwings' remote engine: `remote(sheets)` → xw.Book (licence key set for the
    test only; skipped, saying why, where the engine is unavailable)."""
    monkeypatch.setenv(LICENSE_ENV, "noncommercial")
    reason = remote_unavailable_reason()
    if reason:
        print(f"skipping: {reason}")
        pytest.skip(reason)
    import xlwings as xw

    opened = []

    def open_book(sheets: Mapping[str, list[list[object]]], name: str = "insurance.xlsm") -> object:
        book = xw.Book(json=book_json(sheets, name))
        opened.append(book)
        return book

    yield open_book
    for book in opened:
        book.close()
