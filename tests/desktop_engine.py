"""A stand-in for desktop Excel's xlwings engine, so every button's glue runs through the desktop
code path without Windows (ARCHITECTURE.md "The Excel face"; tests only).

- It reports itself as xlwings' Windows engine does (`name` "excel", `type` "desktop").
- It refuses what the Windows engine lacks: the installed xlwings' `_xlwindows.py` is parsed with
  `ast` (it does not import on Linux), and every member of an xlwings base class that the Windows
  class of the same name does not define falls back to the base class here too, which raises
  `NotImplementedError` as desktop Excel would (`Sheet.freeze_panes`, for one).
- It hands values over as COM does: numbers as floats, dates as datetimes, empty cells as None, error
  cells as COM's error codes, a block as a tuple of row tuples, one cell as a scalar. Writing text into a
  cell that is not formatted as text turns numeric text into a number, as Excel does; a leading
  apostrophe keeps the rest as text.
- What COM offers beyond xlwings (`book.app.api.ActiveWindow`'s FreezePanes, SplitRow, SplitColumn;
  `book.app.api.PrintCommunication`; `sheet.api.PageSetup`, `sheet.api.AutoFilterMode`,
  `range.api.AutoFilter(...)`) is a small fake object model that records what was set.

`desktop_book({sheet: rows})` gives an `xw.Book`; `cells(book, sheet)` what was written.
"""
from __future__ import annotations

import ast
import contextlib
import datetime as dt
import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import xlwings
from xlwings import base_classes

COM_ERRORS = {-2146826281: "#DIV/0!", -2146826246: "#N/A", -2146826259: "#NAME?", -2146826288: "#NULL!",
              -2146826252: "#NUM!", -2146826265: "#REF!", -2146826273: "#VALUE!"}


@functools.cache
def windows_members() -> dict[str, frozenset[str]]:
    """Each class of the installed xlwings' _xlwindows.py: the members it defines itself."""
    tree = ast.parse((Path(xlwings.__file__).parent / "_xlwindows.py").read_text(encoding="utf-8"))
    members: dict[str, frozenset[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
            names |= {t.id for item in node.body if isinstance(item, ast.Assign)
                      for t in item.targets if isinstance(t, ast.Name)}
            members[node.name] = frozenset(names)
    return members


def refused(name: str) -> frozenset[str]:
    """The members of xlwings' base class `name` that the Windows engine does not implement."""
    base = getattr(base_classes, name)
    own = windows_members().get(name, frozenset())
    return frozenset(n for n, _ in inspect.getmembers(base) if not n.startswith("__") and n not in own)


def like_windows(cls: type) -> type:
    """Drop from `cls` whatever the Windows class of its base lacks: the base's version (which
    raises NotImplementedError) answers instead, as it does in desktop Excel."""
    base = next(b for b in cls.__mro__[1:] if b.__module__ == base_classes.__name__)
    for name in refused(base.__name__):
        if name in cls.__dict__:
            delattr(cls, name)
    return cls


# ---- the sheet's cells --------------------------------------------------------------------------

@dataclass
class SheetStore:
    name: str
    values: dict[tuple[int, int], object] = field(default_factory=dict)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)
    colors: dict[tuple[int, int], object] = field(default_factory=dict)
    fonts: dict[tuple[int, int], dict[str, object]] = field(default_factory=dict)
    widths: dict[int, float] = field(default_factory=dict)
    formulas: set[tuple[int, int]] = field(default_factory=set)
    frozen: tuple[int, int] | None = None  # (SplitRow, SplitColumn) when the window froze panes
    page_setup: dict[str, object] = field(default_factory=dict)
    autofilter: tuple[int, int, int, int] | None = None  # (row, column, rows, columns) of the filtered range

    def used(self) -> tuple[int, int, int, int]:
        keys = set(self.values) | set(self.formats) | set(self.colors)
        if not keys:
            return 1, 1, 1, 1
        rows, cols = [k[0] for k in keys], [k[1] for k in keys]
        return min(rows), min(cols), max(rows) - min(rows) + 1, max(cols) - min(cols) + 1


def com_value(value: object, text_format: bool) -> object:
    """What a cell holds after COM wrote `value` into it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        if value.startswith("'"):
            return value[1:]
        if not text_format:
            try:
                return float(value.replace(",", "")) if value.strip() else value
            except ValueError:
                return value
        return value
    raise TypeError(f"COM cannot take {type(value).__name__}: {value!r}")


# ---- COM's own object model, the little of it the glue may use ---------------------------------

class ComWindow:
    def __init__(self, book: "BookImpl") -> None:
        object.__setattr__(self, "_book", book)
        object.__setattr__(self, "_split", [0, 0])
        object.__setattr__(self, "_frozen", False)

    def __setattr__(self, name: str, value: object) -> None:
        sheet = self._book.active_store()
        if name == "SplitRow":
            self._split[0] = int(value)
        elif name == "SplitColumn":
            self._split[1] = int(value)
        elif name == "FreezePanes":
            object.__setattr__(self, "_frozen", bool(value))
        elif name == "ScrollRow" or name == "ScrollColumn":
            return
        else:
            raise AttributeError(f"Window.{name}")
        sheet.frozen = tuple(self._split) if self._frozen else None  # type: ignore[assignment]


class ComApp:
    def __init__(self, book: "BookImpl") -> None:
        object.__setattr__(self, "_book", book)

    @property
    def ActiveWindow(self) -> ComWindow:  # noqa: N802 (COM's name)
        return self._book.window

    @property
    def PrintCommunication(self) -> bool:  # noqa: N802
        return self._book.print_communication[-1] if self._book.print_communication else True

    def __setattr__(self, name: str, value: object) -> None:
        if name != "PrintCommunication":
            raise AttributeError(f"Application.{name}")
        self._book.print_communication.append(bool(value))


class ComPageSetup:
    def __init__(self, store: SheetStore) -> None:
        object.__setattr__(self, "_store", store)

    def __setattr__(self, name: str, value: object) -> None:
        self._store.page_setup[name] = value

    def __getattr__(self, name: str) -> object:
        return self._store.page_setup.get(name)


class ComSheet:
    def __init__(self, store: SheetStore) -> None:
        self._store = store
        self.PageSetup = ComPageSetup(store)  # noqa: N815 (COM's name)
        self.Name = store.name  # noqa: N815

    @property
    def AutoFilterMode(self) -> bool:  # noqa: N802
        return self._store.autofilter is not None

    @AutoFilterMode.setter
    def AutoFilterMode(self, value: bool) -> None:  # noqa: N802
        if value:  # as in Excel: only False can be set (it takes the filter off)
            raise AttributeError("Worksheet.AutoFilterMode can only be set to False")
        self._store.autofilter = None


class ComRange:
    """Truthy, as a COM Range is (xlwings writes only when `rng.api` is truthy)."""

    def __init__(self, rng: "RangeImpl") -> None:
        self.rng = rng

    def AutoFilter(self, *args: object, **kwargs: object) -> bool:  # noqa: N802
        """Without arguments COM toggles the sheet's filter arrows; with a field it turns them on."""
        store = self.rng.sheet.store
        if not args and not kwargs and store.autofilter is not None:
            store.autofilter = None
        else:
            store.autofilter = (self.rng.row, self.rng.column, self.rng.nrows, self.rng.ncols)
        return True


# ---- the engine ---------------------------------------------------------------------------------

class DesktopEngine:
    name = "excel"
    type = "desktop"

    def __init__(self) -> None:
        self.open_apps: list[AppImpl] = []  # the active one first

    @property
    def apps(self) -> "AppsImpl":
        return AppsImpl(self)

    @staticmethod
    def prepare_xl_data_element(x: Any, date_format: Any) -> Any:
        import numpy as np
        import pandas as pd

        if isinstance(x, (dt.date, dt.datetime)):
            return x
        if x is None:
            return ""
        if isinstance(x, (np.floating, float)) and np.isnan(x):
            return ""
        if not isinstance(x, (str, list, tuple)) and pd.isna(x):
            return ""
        if isinstance(x, np.number):
            return float(x)
        return x

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value: Any) -> Any:
            if value in ("", None):
                return empty_as
            if isinstance(value, dt.datetime):
                return value if datetime_builder is dt.datetime else datetime_builder(
                    value.year, value.month, value.day, value.hour, value.minute, value.second)
            if number_builder is not None and isinstance(value, float):
                return number_builder(value)
            if isinstance(value, int) and not isinstance(value, bool) and value in COM_ERRORS:
                return COM_ERRORS[value] if err_to_str else None
            return value

        return [[clean(c) for c in row] for row in data]


ENGINE = DesktopEngine()


@like_windows
class AppsImpl(base_classes.Apps):
    def __init__(self, engine: DesktopEngine) -> None:
        self.engine = engine

    def keys(self):
        return [app.pid for app in self.engine.open_apps]

    def __iter__(self):
        return iter(list(self.engine.open_apps))

    def __len__(self):
        return len(self.engine.open_apps)


@like_windows
class AppImpl(base_classes.App):
    def __init__(self, book: "BookImpl") -> None:
        self._book = book
        self.alerts: list[tuple[str, str, str | None]] = []
        self._status: object = False

    engine = ENGINE
    pid = 4242
    version = "16.0"

    @property
    def api(self) -> ComApp:
        return ComApp(self._book)

    @property
    def status_bar(self) -> object:
        return self._status

    @status_bar.setter
    def status_bar(self, value: object) -> None:
        self._status = value

    def activate(self, steal_focus=False):
        pass

    def alert(self, prompt, title, buttons, mode, callback):
        self.alerts.append((prompt, title, mode))
        return "ok"


@like_windows
class SheetsImpl(base_classes.Sheets):
    def __init__(self, book: "BookImpl") -> None:
        self.book = book

    @property
    def api(self) -> Any:
        return None

    @property
    def active(self) -> "SheetImpl":
        return SheetImpl(self.book, self.book.active_store())

    def __call__(self, name_or_index: int | str) -> "SheetImpl":
        stores = self.book.stores
        if isinstance(name_or_index, int):
            return SheetImpl(self.book, stores[name_or_index - 1])
        for store in stores:
            if store.name.lower() == str(name_or_index).lower():
                return SheetImpl(self.book, store)
        raise KeyError(name_or_index)  # COM raises com_error; xlwings passes it on

    def __len__(self) -> int:
        return len(self.book.stores)

    def __iter__(self):
        for store in list(self.book.stores):
            yield SheetImpl(self.book, store)

    def add(self, before=None, after=None, name=None):
        stores = self.book.stores
        store = SheetStore(name or f"Sheet{len(stores) + 1}")
        if before is not None:
            stores.insert(stores.index(before.store), store)
        elif after is not None:
            stores.insert(stores.index(after.store) + 1, store)
        else:
            stores.insert(stores.index(self.book.active_store()), store)
        self.book.active = store
        return SheetImpl(self.book, store)


@like_windows
class SheetImpl(base_classes.Sheet):
    def __init__(self, book: "BookImpl", store: SheetStore) -> None:
        self._book, self.store = book, store

    @property
    def api(self) -> ComSheet:
        return ComSheet(self.store)

    @property
    def name(self) -> str:
        return self.store.name

    @name.setter
    def name(self, value: str) -> None:
        self.store.name = value

    @property
    def book(self) -> "BookImpl":
        return self._book

    @property
    def index(self) -> int:
        return self._book.stores.index(self.store) + 1

    def range(self, arg1, arg2=None):
        first = self._cell(arg1)
        last = self._cell(arg2) if arg2 is not None else (first[0] + first[2] - 1, first[1] + first[3] - 1)
        top, left = min(first[0], last[0]), min(first[1], last[1])
        bottom = max(first[0] + first[2] - 1, last[0] + (last[2] - 1 if len(last) > 2 else 0))
        right = max(first[1] + first[3] - 1, last[1] + (last[3] - 1 if len(last) > 2 else 0))
        return RangeImpl(self, top, left, bottom - top + 1, right - left + 1)

    def _cell(self, arg: Any) -> tuple[int, int, int, int]:
        if isinstance(arg, RangeImpl):
            return arg.row, arg.column, arg.nrows, arg.ncols
        if isinstance(arg, tuple):
            if len(arg) == 4:
                return arg  # type: ignore[return-value]
            if 0 in arg:
                raise IndexError("Attempted to access 0-based Range. xlwings/Excel Ranges are 1-based.")
            return arg[0], arg[1], 1, 1
        from openpyxl.utils.cell import range_boundaries

        left, top, right, bottom = range_boundaries(str(arg).replace("$", ""))
        return top, left, bottom - top + 1, right - left + 1

    @property
    def cells(self):
        return RangeImpl(self, 1, 1, 1048576, 16384)

    def activate(self):
        self._book.active = self.store

    def select(self):
        self.activate()

    def clear_contents(self):
        self.store.values.clear()
        self.store.formulas.clear()

    def clear_formats(self):
        self.store.formats.clear()
        self.store.colors.clear()
        self.store.fonts.clear()

    def clear(self):
        self.clear_contents()
        self.clear_formats()

    @property
    def used_range(self):
        return RangeImpl(self, *self.store.used())


@like_windows
class FontImpl(base_classes.Font):
    def __init__(self, rng: "RangeImpl") -> None:
        self.rng = rng

    @property
    def api(self) -> Any:
        return None

    def _get(self, key: str) -> object:
        return self.rng.sheet.store.fonts.get((self.rng.row, self.rng.column), {}).get(key)

    def _set(self, key: str, value: object) -> None:
        for cell in self.rng.each():
            self.rng.sheet.store.fonts.setdefault(cell, {})[key] = value

    bold = property(lambda self: self._get("bold"), lambda self, v: self._set("bold", v))
    italic = property(lambda self: self._get("italic"), lambda self, v: self._set("italic", v))
    size = property(lambda self: self._get("size"), lambda self, v: self._set("size", v))
    color = property(lambda self: self._get("color"), lambda self, v: self._set("color", v))
    name = property(lambda self: self._get("name"), lambda self, v: self._set("name", v))


@like_windows
class RangeImpl(base_classes.Range):
    def __init__(self, sheet: SheetImpl, row: int, column: int, nrows: int, ncols: int) -> None:
        self._sheet = sheet
        self._row, self._column, self.nrows, self.ncols = row, column, nrows, ncols

    def each(self):
        for r in range(self._row, self._row + self.nrows):
            for c in range(self._column, self._column + self.ncols):
                yield r, c

    @property
    def coords(self):
        return self._sheet.store, self._row, self._column, self.nrows, self.ncols

    @property
    def api(self) -> ComRange:
        return ComRange(self)

    @property
    def sheet(self) -> SheetImpl:
        return self._sheet

    def __len__(self) -> int:
        return self.nrows * self.ncols

    @property
    def row(self) -> int:
        return self._row

    @property
    def column(self) -> int:
        return self._column

    @property
    def shape(self) -> tuple[int, int]:
        return self.nrows, self.ncols

    def __call__(self, *args):
        row, col = args if len(args) == 2 else (args[0], 1)
        return RangeImpl(self._sheet, self._row + row - 1, self._column + col - 1, 1, 1)

    @property
    def raw_value(self) -> object:
        values = self._sheet.store.values
        rows = tuple(tuple(values.get((r, c)) for c in range(self._column, self._column + self.ncols))
                     for r in range(self._row, self._row + self.nrows))
        return rows[0][0] if self.nrows == self.ncols == 1 else rows

    @raw_value.setter
    def raw_value(self, data: Any) -> None:
        store = self._sheet.store
        block = data if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)) else None
        for r, c in self.each():
            value = data if block is None else block[r - self._row][c - self._column]
            if isinstance(value, str) and value.startswith("="):
                store.formulas.add((r, c))
            stored = com_value(value, store.formats.get((r, c)) == "@")
            if stored is None:
                store.values.pop((r, c), None)
            else:
                store.values[(r, c)] = stored

    def clear_contents(self):
        for cell in self.each():
            self._sheet.store.values.pop(cell, None)

    def clear_formats(self):
        store = self._sheet.store
        for cell in self.each():
            store.formats.pop(cell, None)
            store.colors.pop(cell, None)
            store.fonts.pop(cell, None)

    def clear(self):
        self.clear_contents()
        self.clear_formats()

    @property
    def number_format(self) -> str:
        return self._sheet.store.formats.get((self._row, self._column), "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        for cell in self.each():
            self._sheet.store.formats[cell] = value

    @property
    def color(self) -> object:
        return self._sheet.store.colors.get((self._row, self._column))

    @color.setter
    def color(self, value: object) -> None:
        for cell in self.each():
            if value is None:
                self._sheet.store.colors.pop(cell, None)
            else:
                self._sheet.store.colors[cell] = value

    @property
    def column_width(self) -> float | None:
        return self._sheet.store.widths.get(self._column, 8.43)

    @column_width.setter
    def column_width(self, value: float) -> None:
        for c in range(self._column, self._column + self.ncols):
            self._sheet.store.widths[c] = value

    @property
    def font(self) -> FontImpl:
        return FontImpl(self)

    @property
    def address(self) -> str:
        from openpyxl.utils import get_column_letter

        first = f"${get_column_letter(self._column)}${self._row}"
        if self.nrows == self.ncols == 1:
            return first
        return f"{first}:${get_column_letter(self._column + self.ncols - 1)}${self._row + self.nrows - 1}"


@like_windows
class BookImpl(base_classes.Book):
    def __init__(self, sheets: Mapping[str, list[list[object]]], fullname: str) -> None:
        self.stores = []
        for name, rows in sheets.items():
            store = SheetStore(name)
            for i, row in enumerate(rows, start=1):
                for j, value in enumerate(row, start=1):
                    stored = com_value(value, text_format=True)  # a read cell keeps its type
                    if stored is not None:
                        store.values[(i, j)] = stored
            self.stores.append(store)
        self.active = self.stores[0]
        self._fullname = fullname
        self._app = AppImpl(self)
        self.window = ComWindow(self)
        self.print_communication: list[bool] = []  # Application.PrintCommunication as set, in order
        ENGINE.open_apps.insert(0, self._app)

    def active_store(self) -> SheetStore:
        return self.active

    @property
    def api(self) -> Any:
        return None

    @property
    def name(self) -> str:
        return Path(self._fullname).name

    @property
    def fullname(self) -> str:
        return self._fullname

    @property
    def sheets(self) -> SheetsImpl:
        return SheetsImpl(self)

    @property
    def app(self) -> AppImpl:
        return self._app

    def close(self):
        if self._app in ENGINE.open_apps:
            ENGINE.open_apps.remove(self._app)

    def activate(self):
        ENGINE.open_apps.remove(self._app)
        ENGINE.open_apps.insert(0, self._app)


def desktop_book(sheets: Mapping[str, list[list[object]]], fullname: str = "insurance.xlsm") -> Any:
    """An xw.Book on the desktop stand-in holding `sheets` (values from A1, as a file reader gives
    them). Use inside `desktop_engine()`, which makes the stand-in xlwings' active engine."""
    return xlwings.Book(impl=BookImpl(sheets, fullname))


@contextlib.contextmanager
def desktop_engine():
    """The stand-in as xlwings' active engine (as the Windows engine is in Excel), for a while."""
    from xlwings.main import Engine, engines

    before = engines.active
    engines.active = Engine(impl=ENGINE)
    try:
        yield desktop_book
    finally:
        engines.active = before
        ENGINE.open_apps.clear()


@pytest.fixture
def desktop():
    """`desktop(sheets, fullname)` → an xw.Book on the desktop stand-in."""
    with desktop_engine() as open_book:
        yield open_book


def store(book: Any, sheet: str) -> SheetStore:
    return next(s for s in book.impl.stores if s.name == sheet)


def alerts(book: Any) -> list[tuple[str, str, str | None]]:
    return book.impl.app.alerts
