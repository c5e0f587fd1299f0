"""A sheet's cells as the reader (reading/store.py) asks for them: column by column, once per distinct text.

The reader decides which rows are blank or totals and parses each column it reads; all of that is
done cell by cell in meaning, so it is done once per distinct text and spread to the cells by code:
a five-year register has two million cells but far fewer distinct texts (a few thousand dates, a
handful of channels). `Cells` serves a grid of texts (the file reader's); excel.cells.BookCells
serves an open Excel book's values, turning into texts only the cells the reader asks for.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..registers import Column, Kind
from ..core.texts import arrow_texts
from .clerk_values import reader_text, money_numbers, parse_column


@dataclass(frozen=True)
class ColumnTexts:
    """Some cells of one column as codes into the column's distinct texts (an Arrow array ending
    with one null: an empty cell's code is -1, which picks it).

    The texts stay in Arrow: the reader's questions (blank? a 合计 label?) are Arrow compute calls,
    and a pandas Series is made only where a parser wants one — pandas' fixed cost per operation
    is what a small workbook's read is mostly made of.
    A money column of an open book keeps the cells holding numbers as numbers (`numbers`, NaN for
    the other cells; their code is -1): Excel's amounts need no text to be read.
    """

    codes: np.ndarray
    distinct: pa.Array  # string, no repeats, the last one null
    numbers: np.ndarray | None = None

    @classmethod
    def of(cls, texts: pd.Series | pa.Array | pa.ChunkedArray) -> ColumnTexts:
        """Cell texts (NaN or null for empty), as a Series or an Arrow array."""
        if isinstance(texts, pa.ChunkedArray):
            texts = texts.combine_chunks()
        encoded = pc.dictionary_encode(texts if isinstance(texts, pa.Array) else arrow_texts(texts))
        return cls.from_distinct(_codes(encoded.indices), encoded.dictionary)

    @classmethod
    def from_distinct(cls, codes: np.ndarray, distinct: pa.Array, numbers: np.ndarray | None = None) -> ColumnTexts:
        """Codes into `distinct` (no nulls, no repeats), -1 for an empty cell or a number."""
        if distinct.type != pa.string():
            distinct = distinct.cast(pa.string())
        return cls(codes, pa.concat_arrays([distinct, pa.nulls(1, pa.string())]), numbers)

    def __len__(self) -> int:
        return len(self.codes)

    def numeric(self) -> np.ndarray:
        """Which cells hold a number, kept as such."""
        return ~np.isnan(self.numbers) if self.numbers is not None else np.zeros(len(self.codes), dtype=bool)

    def filled(self) -> np.ndarray:
        """Which cells hold something."""
        return (self.codes >= 0) | self.numeric()

    def test(self, test: Callable[[pa.Array], object]) -> np.ndarray:
        """A test on texts (an Arrow string array → booleans, nulls read as False), answered for each
        cell. A cell holding a number answers False: the reader asks whether cells are blank, or 合计
        labels, and no number is."""
        return test_columns([self], test)[0]

    def take(self, which: np.ndarray) -> ColumnTexts:
        return ColumnTexts(self.codes[which], self.distinct, None if self.numbers is None else self.numbers[which])

    def text(self, i: int) -> object:
        if self.numbers is not None and not np.isnan(self.numbers[i]):
            return reader_text(float(self.numbers[i]))
        text = self.distinct[int(self.codes[i])].as_py()
        return np.nan if text is None else text

    def series(self) -> pd.Series:
        """The cells' texts, indexed from 0."""
        texts = pd.Series(pd.array(self.distinct.take(pa.array(_positions(self.codes, len(self.distinct)))), dtype="str"))
        numeric = np.flatnonzero(self.numeric())
        if numeric.size:
            texts.iloc[numeric] = [reader_text(float(x)) for x in self.numbers[numeric]]  # type: ignore[index]
        return texts

    def parse(self, column: Column) -> tuple[pd.Series, np.ndarray]:
        """values.parse_column on each cell (parsing is cell by cell: each distinct text once)."""
        return parse_columns([self], [column])[0]


def test_columns(columns: Sequence[ColumnTexts], test: Callable[..., object],
                 per_column: Sequence[object] | None = None) -> list[np.ndarray]:
    """ColumnTexts.test for several columns in one call of `test` on their distinct texts together
    (a small sheet pays each call's fixed cost once, not once per column). `per_column` gives each
    column's own second argument to `test` (spread over its texts)."""
    if not columns:
        return []
    joined, bounds = _joined(columns)
    if per_column is None:
        answers = test(joined)
    else:
        answers = test(joined, pa.array(np.repeat(np.asarray(per_column, dtype=object), np.diff(bounds)), pa.string()))
    flags = _booleans(answers)
    return [flags[start:end][c.codes] & ~c.numeric() for c, start, end in zip(columns, bounds, bounds[1:])]


def parse_columns(columns: Sequence[ColumnTexts], declared: Sequence[Column]) -> list[tuple[pd.Series, np.ndarray]]:
    """ColumnTexts.parse for several columns, each parser called once for all the columns it reads
    (parsing is cell by cell in meaning, so the columns' texts can be parsed together)."""
    out: list[tuple[pd.Series, np.ndarray] | None] = [None] * len(columns)
    groups: dict[tuple, list[int]] = {}
    for i, column in enumerate(declared):
        groups.setdefault((column.kind, column.upper, column.amount_tier), []).append(i)
    for members in groups.values():
        joined, bounds = _joined([columns[i] for i in members])
        values, bad = parse_column(pd.Series(pd.array(joined, dtype="str")), declared[members[0]])
        array, flags = values.array, bad.to_numpy(dtype=bool)
        for i, start, end in zip(members, bounds, bounds[1:]):
            cells = columns[i]
            column_values = pd.Series(array[start:end][cells.codes])
            numeric = cells.numeric()
            if numeric.any():
                if declared[i].kind is not Kind.MONEY:
                    raise ValueError(f"{declared[i].key}: numbers are kept as such for money columns only")
                column_values[numeric] = money_numbers(cells.numbers[numeric])  # type: ignore[index]
            out[i] = (column_values, flags[start:end][cells.codes])
    return out  # type: ignore[return-value]


def _joined(columns: Sequence[ColumnTexts]) -> tuple[pa.Array, np.ndarray]:
    """The columns' distinct texts (each ending with its null) one after the other, and where each starts."""
    bounds = np.cumsum([0, *(len(c.distinct) for c in columns)])
    if len(columns) == 1:
        return columns[0].distinct, bounds
    return pa.concat_arrays([c.distinct for c in columns]), bounds


def _booleans(answers: object) -> np.ndarray:
    """A test's answer (Arrow or numpy booleans, nulls as False) as a numpy array."""
    if isinstance(answers, (pa.Array, pa.ChunkedArray)):
        return np.asarray(pc.fill_null(answers, False).to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(answers, dtype=bool)


def _codes(indices: pa.Array) -> np.ndarray:
    return pc.fill_null(indices, -1).to_numpy(zero_copy_only=False).astype(np.intp, copy=False)


def _positions(codes: np.ndarray, size: int) -> np.ndarray:
    """Codes as positions into the distinct texts (-1, an empty cell, is the last: the null)."""
    return np.where(codes < 0, size - 1, codes)


class Cells:
    """A grid of cell texts (NaN for empty; row i is Excel row i + 1), as the reader asks for it."""

    def __init__(self, grid: pd.DataFrame) -> None:
        self.grid = grid

    @property
    def shape(self) -> tuple[int, int]:
        return self.grid.shape  # type: ignore[return-value]

    def head(self, rows: int) -> pd.DataFrame:
        """The first rows as a grid of texts (headers are looked for there)."""
        return self.grid.head(rows)

    def texts(self, pos: int, rows: slice | np.ndarray, numbers: bool = False) -> ColumnTexts:
        """Some cells of column `pos` (a slice or positions of rows). With `numbers` (a money
        column), cells holding numbers may keep them as such; a grid of texts has none."""
        cells = self.grid.iloc[:, pos].array[rows]
        return ColumnTexts.of(pa.array(cells) if isinstance(cells, pd.arrays.ArrowStringArray) else pd.Series(cells))

    def containing(self, pos: int, rows: slice, char: str) -> np.ndarray:
        """Which of these cells' texts hold `char` (a question some grids answer without the texts)."""
        return self.texts(pos, rows).test(lambda texts: pc.match_substring(texts, char))
