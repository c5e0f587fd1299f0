"""Registers: one DataFrame per register, and where every row and column came from."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import RegisterMissing
from .findings import Finding, Location
from .registers import DATA_REGISTERS, REGISTERS, ROW, ROW_META, SHEET, WORKBOOK, Kind

NO_REGISTERS = "没有找到任何登记表（按工作表名和表头查找）"

_DTYPES = {
    Kind.TEXT: "str",
    Kind.ID: "str",
    Kind.CHOICE: "str",
    Kind.MONTH: "str",
    Kind.DATE: "datetime64[ns]",
    Kind.MONEY: "float64",
    Kind.INT: "Int64",
    Kind.YESNO: "boolean",
}


def column_dtype(kind: Kind) -> str:
    return _DTYPES[kind]


def empty_column(kind: Kind, rows: int) -> pd.Series:
    """`rows` empty values of a kind's dtype, built without a Python list (a register has 100k rows)."""
    dtype = _DTYPES[kind]
    if dtype == "str":
        return pd.Series(pd.array(pa.nulls(rows, pa.large_string()), dtype="str"))
    if dtype == "float64":
        return pd.Series(np.full(rows, np.nan))
    if dtype == "datetime64[ns]":
        return pd.Series(np.full(rows, np.datetime64("NaT"), dtype="datetime64[ns]"))
    missing = np.ones(rows, dtype=bool)
    if dtype == "Int64":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(rows, dtype="int64"), missing))
    return pd.Series(pd.arrays.BooleanArray(np.zeros(rows, dtype=bool), missing))  # "boolean"


def text_column(text: str, rows: int) -> pd.Series:
    """The same text `rows` times."""
    return pd.Series(pd.array(pa.repeat(pa.scalar(text, pa.string()), rows), dtype="str"))


def empty_table(register_key: str, rows: int = 0) -> pd.DataFrame:
    """A register table with every declared column, typed, all values empty."""
    if rows:
        return _empty_table(register_key, rows)
    if register_key not in _NO_ROWS:  # built once: a read asks for one per register and sheet
        _NO_ROWS[register_key] = _empty_table(register_key, 0)
    return _NO_ROWS[register_key].copy()


_NO_ROWS: dict[str, pd.DataFrame] = {}


def _empty_table(register_key: str, rows: int) -> pd.DataFrame:
    reg = REGISTERS[register_key]
    data = {c.key: empty_column(c.kind, rows) for c in reg.columns}
    data[WORKBOOK] = text_column("", rows)
    data[SHEET] = text_column("", rows)
    data[ROW] = pd.Series(np.zeros(rows, dtype="int64"))
    return pd.DataFrame(data)


def table_from_records(register_key: str, records: Iterable[Mapping[str, object]], *,
                       workbook: str = "", sheet: str = "", first_row: int = 2) -> pd.DataFrame:
    """A typed register table built from Python values (tests, demo data, the Excel face)."""
    rows = list(records)
    table = empty_table(register_key, len(rows))
    reg = REGISTERS[register_key]
    for col in reg.columns:
        values = [r.get(col.key) for r in rows]
        if col.kind is Kind.DATE:
            table[col.key] = pd.to_datetime(pd.Series(values, dtype="object")).astype("datetime64[ns]")
        else:
            table[col.key] = pd.Series(values, dtype="object").astype(_DTYPES[col.kind])
    table[WORKBOOK] = workbook
    table[SHEET] = sheet or reg.sheet
    table[ROW] = np.arange(first_row, first_row + len(rows), dtype="int64")
    return table


def json_records(frame: pd.DataFrame, keys: Iterable[str]) -> list[dict]:
    """Rows of `frame` as plain Python dicts for JSON: None for empty, dates for timestamps."""
    part = frame.loc[:, list(keys)]
    rows = part.astype(object).where(part.notna(), None).to_dict("records")
    for row in rows:
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                row[key] = value.date()
            elif isinstance(value, np.generic):
                row[key] = value.item()
    return rows


@dataclass
class SheetLayout:
    """How one sheet holds a register: its header row and where each column is."""

    workbook: str
    sheet: str
    register: str
    header_row: int  # Excel row of the header
    columns: dict[str, tuple[str, str]]  # column key -> (column letter, header as written)
    extras: dict[str, str] = field(default_factory=dict)  # header as written -> column letter
    rows_read: int = 0
    blank_rows: int = 0
    total_rows: list[int] = field(default_factory=list)  # Excel rows recognised as 合计/总计
    header_rows: list[int] = field(default_factory=list)  # Excel rows repeating the header mid-sheet


@dataclass
class Registers:
    tables: dict[str, pd.DataFrame]
    layouts: list[SheetLayout] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # problems met while reading
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)  # columns not in the declaration
    unrecognised: list[tuple[str, str]] = field(default_factory=list)  # (workbook, sheet)
    source: str = ""
    notes: list[str] = field(default_factory=list)  # what was left out on purpose (copies, backups, summaries)
    searched: bool = False  # read from workbooks (True) or built in memory (tests, the demo)

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self.tables[key]

    @property
    def missing(self) -> tuple[str, ...]:
        if not self.layouts:  # built in memory: nothing was looked for
            return ()
        found = {layout.register for layout in self.layouts}
        return tuple(k for k in DATA_REGISTERS if k not in found)

    def layout(self, workbook: str, sheet: str) -> SheetLayout | None:
        for layout in self.layouts:
            if layout.workbook == workbook and layout.sheet == sheet:
                return layout
        return None

    def locate(self, register: str, workbook: str, sheet: str, row: int | None, key: str = "") -> Location:
        """The Location of one cell, with the header and column letter as the sheet has them."""
        layout = self.layout(workbook, sheet)
        letter, header = ("", "")
        if layout and key in layout.columns:
            letter, header = layout.columns[key]
        elif key:
            header = REGISTERS[register].column(key).header
        cell = f"{letter}{row}" if letter and row is not None else ""
        return Location(workbook, sheet, row, header, cell)

    def locations(self, register: str, rows: pd.DataFrame, key: str = "") -> list[Location]:
        """Locations of a column in the given rows of a register table."""
        return [self.locate(register, wb, sh, int(r), key)
                for wb, sh, r in zip(rows[WORKBOOK], rows[SHEET], rows[ROW])]

    def has_column(self, register: str, key: str) -> pd.Series:
        """Per row: whether the row's sheet has that column at all."""
        table = self.tables[register]
        present = {(lay.workbook, lay.sheet) for lay in self.layouts
                   if lay.register == register and key in lay.columns}
        if not len(table):
            return pd.Series(False, index=table.index)
        if not self.layouts:  # built in memory (tests, Excel face): every column is there
            return pd.Series(True, index=table.index)
        keys = pd.Series(list(zip(table[WORKBOOK], table[SHEET])), index=table.index)
        return keys.isin(present)

    def require_some(self) -> None:
        """Stop when the workbooks read hold no register at all: every number would be an empty 0."""
        if self.searched and not any(lay.register in DATA_REGISTERS for lay in self.layouts):
            raise RegisterMissing(self.source, NO_REGISTERS)

    def require(self, needs: Mapping[str, Iterable[str]]) -> None:
        """Stop with a one-line message when a register or a column a command needs is absent."""
        self.require_some()
        for reg_key, columns in needs.items():
            reg = REGISTERS[reg_key]
            lays = [lay for lay in self.layouts if lay.register == reg_key]
            if (self.layouts or self.searched) and not lays:
                raise RegisterMissing(self.source, f"找不到登记表「{reg.sheet}」({reg_key})")
            for key in columns:
                for lay in lays:
                    if key not in lay.columns:
                        col = reg.column(key)
                        raise RegisterMissing(lay.workbook or self.source,
                                              f"第{lay.header_row}行表头缺少列「{col.header}」",
                                              sheet=lay.sheet, column=col.header)


def registers_from_tables(tables: Mapping[str, pd.DataFrame], source: str = "") -> Registers:
    """Registers built in memory; absent registers become empty tables."""
    full = {k: (tables[k] if k in tables else empty_table(k)) for k in REGISTERS}
    for key, table in full.items():
        for meta in ROW_META:
            if meta not in table.columns:
                raise ValueError(f"table {key} lacks the {meta} column")
    return Registers(tables=dict(full), source=source)
