"""A sheet's cells as the reader (reading/store.py) asks for them: column by column, once per distinct text.

The reader decides which rows are blank or totals and parses each column it reads; all of that is
done cell by cell in meaning, so it is done once per distinct text and spread to the cells by code:
a five-year register has two million cells but far fewer distinct texts (a few thousand dates, a
handful of channels). `Cells` serves a grid of texts (the file reader's); excel.cells.BookCells
serves an open Excel book's values, turning into texts only the cells the reader asks for.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from ..registers import Column, Kind
from ..core.texts import arrow_texts
from .clerk_values import reader_text, money_numbers, parse_column


@dataclass(frozen=True)
class ColumnTexts:
    """Some cells of one column as codes into the column's distinct texts, followed by NaN: an
    empty cell's code is -1, which picks that last NaN.

    A money column of an open book keeps the cells holding numbers as numbers (`numbers`, NaN for
    the other cells; their code is -1): Excel's amounts need no text to be read.
    """

    codes: np.ndarray
    texts: pd.Series  # "str"
    numbers: np.ndarray | None = None

    @classmethod
    def of(cls, texts: pd.Series) -> ColumnTexts:
        """A Series of cell texts (NaN for empty)."""
        codes, distinct = pd.factorize(texts.array)
        return cls.from_distinct(codes, arrow_texts(distinct))

    @classmethod
    def from_distinct(cls, codes: np.ndarray, distinct: pa.Array, numbers: np.ndarray | None = None) -> ColumnTexts:
        """Codes into `distinct` (no nulls, no repeats), -1 for an empty cell or a number."""
        texts = pa.concat_arrays([distinct, pa.nulls(1, pa.string())])
        return cls(codes, pd.Series(pd.array(texts, dtype="str")), numbers)

    def __len__(self) -> int:
        return len(self.codes)

    def numeric(self) -> np.ndarray:
        """Which cells hold a number, kept as such."""
        return ~np.isnan(self.numbers) if self.numbers is not None else np.zeros(len(self.codes), dtype=bool)

    def filled(self) -> np.ndarray:
        """Which cells hold something."""
        return (self.codes >= 0) | self.numeric()

    def test(self, test: Callable[[pd.Series], object]) -> np.ndarray:
        """A test on texts (a Series → booleans), answered for each cell. A cell holding a number
        answers False: the reader asks whether cells are blank, or 合计 labels, and no number is."""
        return np.asarray(test(self.texts), dtype=bool)[self.codes] & ~self.numeric()

    def take(self, which: np.ndarray) -> ColumnTexts:
        return ColumnTexts(self.codes[which], self.texts, None if self.numbers is None else self.numbers[which])

    def text(self, i: int) -> object:
        if self.numbers is not None and not np.isnan(self.numbers[i]):
            return reader_text(float(self.numbers[i]))
        return self.texts.iloc[self.codes[i]]

    def series(self) -> pd.Series:
        """The cells' texts, indexed from 0."""
        texts = self.texts.iloc[self.codes].reset_index(drop=True)
        numeric = np.flatnonzero(self.numeric())
        if numeric.size:
            texts.iloc[numeric] = [reader_text(float(x)) for x in self.numbers[numeric]]  # type: ignore[index]
        return texts

    def parse(self, column: Column) -> tuple[pd.Series, pd.Series]:
        """values.parse_column on each cell (parsing is cell by cell: each distinct text once)."""
        values, bad = parse_column(self.texts, column)
        values = values.iloc[self.codes].reset_index(drop=True)
        bad = bad.iloc[self.codes].reset_index(drop=True) if bad.any() else pd.Series(np.zeros(len(self.codes), dtype=bool))
        numeric = self.numeric()
        if numeric.any():
            if column.kind is not Kind.MONEY:
                raise ValueError(f"{column.key}: numbers are kept as such for money columns only")
            values[numeric] = money_numbers(self.numbers[numeric])  # type: ignore[index]
        return values, bad


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
        return ColumnTexts.of(self.grid.iloc[rows, pos])

    def containing(self, pos: int, rows: slice, char: str) -> np.ndarray:
        """Which of these cells' texts hold `char` (a question some grids answer without the texts)."""
        return self.texts(pos, rows).test(lambda texts: texts.str.contains(char, regex=False).fillna(False))
