"""An open book's cell values as the texts the file reader yields (clerk_values.reader_text), for reading/store.py.

A cell's text is what values.reader_text makes of it, so the open book reads exactly like the saved
file. A five-year register holds two million cells, so nothing here goes cell by cell in Python:
the sheet's texts go to Arrow in one pass, numbers, dates and booleans are converted type by type,
once per distinct value, string work is done in Arrow on each column's distinct texts, and
`BookCells` turns into texts only the columns the reader asks for (grid.Cells).

With `json_dates`, texts are first read the way xlwings' remote engine reads its payload: ISO
datetimes ending in Z are dates, Excel error literals are empty.
"""
from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..reading.columns import Cells, ColumnTexts
from ..reading.clerk_values import NUMBER_AMOUNTS, reader_text
from ..xlsx.grids import INVISIBLE

# What xlwings' remote engine turns into a datetime (_xlremote.datetime_pattern) and into None
_JSON_DATETIME = re.compile(r"^[0-9]{4}-(?:1[0-2]|0[1-9])-(?:3[01]|0[1-9]|[12][0-9])T(?:2[0-3]|[01][0-9]):[0-5][0-9]:"
                            r"[0-5][0-9](?:\.[0-9]+)?Z$")  # the common case: cut, not parsed
_XL_DATETIME = re.compile(r"^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T"
                          r"(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?"
                          r"(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$")
_XL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#DATA!")
_ARROW_REFUSED = (pa.ArrowTypeError, pa.ArrowInvalid)  # a column holding more than texts


class BookCells(Cells):
    """A sheet's values from A1, rows as xlwings gives them, turned into texts where reading/store.py asks.

    The reader asks for the texts of the columns it parses; of the others it asks only whether a
    cell holds 计 (a 合计 row) and, in rows blank so far, what the cells hold. Every cell's type and
    every text go to numpy and Arrow in one pass over the sheet in row order, the order the values
    lie in memory (xlwings builds them row by row): column by column, each cell is a cache miss,
    and a five-year register took several times longer. Numbers, dates and other values are
    turned into texts column by column, once per distinct value, where the reader asks.
    """

    def __init__(self, values: Sequence[Sequence[object]], json_dates: bool = False) -> None:
        self.rows = values
        self.json_dates = json_dates
        self._found: dict[str, np.ndarray] = {}

    @functools.cached_property
    def values(self) -> np.ndarray:
        return _matrix(self.rows)

    @functools.cached_property
    def kinds(self) -> np.ndarray:
        """Each cell's type as a _KINDS code, in the values' shape."""
        flat = self.values.ravel()
        types = np.fromiter(map(type, flat), dtype=object, count=flat.size)
        kinds = np.full(flat.size, _TEXT, dtype=np.int8)
        other = np.flatnonzero(types != str)  # most cells hold texts: code the others only
        kinds[other] = np.fromiter(map(_KINDS.__getitem__, types[other]), dtype=np.int8, count=other.size)
        return kinds.reshape(self.values.shape)

    @functools.cached_property
    def strings(self) -> pa.Array:
        """The cells holding texts, as they are (null for the other cells), in row order."""
        return pa.array(self.values.ravel(), mask=self.kinds.ravel() != _TEXT, type=pa.string())

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape  # type: ignore[return-value]

    def head(self, rows: int) -> pd.DataFrame:
        """The first rows as texts: a few cells, converted in one go (conversion is cell by cell)."""
        top = _matrix(self.rows[:rows])
        texts = _column_texts(top.ravel(), self.json_dates).to_numpy(zero_copy_only=False).reshape(top.shape)
        return pd.DataFrame({j: pd.array(texts[:, j], dtype="str") for j in range(top.shape[1])})

    def texts(self, pos: int, rows: slice | np.ndarray, numbers: bool = False) -> ColumnTexts:
        """Converted, like parsed, once per distinct value. With `numbers` (a money column), cells
        holding plain numbers (int or float, smaller than values.NUMBER_AMOUNTS) keep them."""
        index = np.arange(self.shape[0])[rows]
        kinds = self.kinds[rows, pos]
        encoded = self._column_strings(rows, pos).dictionary_encode()
        codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
        distinct = encoded.dictionary
        texts = _clean_texts(distinct, self.json_dates)
        other = np.flatnonzero(kinds > _TEXT)  # numbers, booleans, dates…; None is an empty cell
        kept = None
        if other.size and numbers:
            where, amounts = _plain_numbers(self.values[index[other], pos], kinds[other])
            if where.size:
                kept = np.full(len(index), np.nan)
                kept[other[where]] = amounts
                other = np.delete(other, where)
        if other.size:
            cells = self.values[index[other], pos]
            try:
                other_codes, uniques = _distinct_values(cells)
            except TypeError:  # an unhashable cell: every cell on its own
                other_codes, uniques = np.arange(len(cells)), cells
            codes[other] = np.where(other_codes >= 0, other_codes + len(texts), -1)
            texts = pa.concat_arrays([texts, _column_texts(uniques, self.json_dates)])
        elif texts is distinct:  # still distinct, none empty
            return ColumnTexts.from_distinct(codes, texts, kept)
        merged = _merged(codes, texts)
        return ColumnTexts(merged.codes, merged.distinct, kept)

    def containing(self, pos: int, rows: slice, char: str) -> np.ndarray:
        if char.isascii() or char.isspace():  # converting may add or remove such characters
            return super().containing(pos, rows, char)
        # Converting a text adds or removes no other character (blank → empty, the engine's ISO
        # dates), and the text of a number, date or boolean holds none: only texts need a look,
        # and values of any other type (their reader_text is their str()).
        found = np.array(self._holding(char)[rows, pos])
        index = np.arange(self.shape[0])[rows]
        for k in np.flatnonzero(self.kinds[rows, pos] == _OTHER):
            found[k] = char in str(self.values[index[k], pos])
        return found

    def _holding(self, char: str) -> np.ndarray:
        """Which cells hold a text holding `char`: the whole sheet in one go, once."""
        if char not in self._found:
            self._found[char] = _holding_text(self.strings, char).reshape(self.shape)
        return self._found[char]

    def _column_strings(self, rows: slice | np.ndarray, pos: int) -> pa.Array:
        height, width = self.shape
        index = np.arange(height, dtype=np.int32 if height * width < 2**31 else np.int64)[rows]
        return self.strings.take(index * width + pos)  # 32-bit positions where they fit: a faster take


def _holding_text(strings: pa.Array, text: str) -> np.ndarray:
    """Which of these strings hold `text`, found in their UTF-8 bytes all at once (a sheet's texts
    rarely hold it, and Arrow's per-string search cost several times more). UTF-8 is
    self-synchronising: the bytes of a text occur only where the text does, or across two strings,
    which the end check leaves out."""
    found = np.zeros(len(strings), dtype=bool)
    _, offsets_buffer, data_buffer = strings.buffers()
    needle = np.frombuffer(text.encode(), dtype=np.uint8)
    if data_buffer is None or not len(strings) or not needle.size:
        return found
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=len(strings) + 1, offset=4 * strings.offset)
    data = np.frombuffer(data_buffer, dtype=np.uint8, count=int(offsets[-1]))
    starts = np.flatnonzero(data[offsets[0] + needle.size - 1:] == needle[-1]) + offsets[0]
    for k in range(needle.size - 1):
        starts = starts[data[starts + k] == needle[k]]
    cells = np.searchsorted(offsets, starts, side="right") - 1  # the string each match starts in
    found[cells[starts + needle.size <= offsets[cells + 1]]] = True
    return found


def _plain_numbers(cells: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of these cells hold an int or a float (not a boolean) smaller than NUMBER_AMOUNTS, and those numbers."""
    where = [np.flatnonzero(kinds == _KINDS[float])]
    amounts = [cells[where[0]].astype(np.float64)]
    ints = np.flatnonzero(kinds == _KINDS[int])
    if ints.size:
        try:
            amounts.append(cells[ints].astype(np.int64).astype(np.float64))
            where.append(ints)
        except OverflowError:  # beyond 64 bits: read as text, like any odd amount
            pass
    found, numbers = np.concatenate(where), np.concatenate(amounts)
    small = np.abs(numbers) < NUMBER_AMOUNTS  # NaN is not: an empty cell
    return found[small], numbers[small]


def cell_grid(values: Sequence[Sequence[object]], json_dates: bool = False) -> pd.DataFrame:
    """Cell values as the grid of texts read.read_grid parses (row i = Excel row i + 1)."""
    return _frame(BookCells(values, json_dates))


def _frame(cells: BookCells) -> pd.DataFrame:
    height, width = cells.shape
    return pd.DataFrame({j: cells.texts(j, slice(0, height)).series() for j in range(width)})


def _matrix(values: Sequence[Sequence[object]]) -> np.ndarray:
    """Rows of values as a 2-D object array (short rows padded with None)."""
    if isinstance(values, np.ndarray):
        return values
    lengths = set(map(len, values))
    width = max(lengths, default=0)
    rows = values if len(lengths) <= 1 else [list(row) + [None] * (width - len(row)) for row in values]
    cells = np.fromiter(itertools.chain.from_iterable(rows), dtype=object, count=len(rows) * width)
    return cells.reshape(len(rows), width)


def _distinct_values(column: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the distinct values of a column (empty cells, None or NaN: -1).

    Python holds True == 1 == 1.0 and 1e17 == 10**17, whose texts differ: cells sharing a value
    of another type get a code of their own.
    """
    codes, uniques = pd.factorize(column)
    kinds = np.fromiter(map(type, uniques), dtype=object, count=len(uniques))
    loose = np.flatnonzero(kinds != str)  # a text equals nothing but the same text
    if not loose.size:
        return codes, uniques
    cells = np.flatnonzero(np.isin(codes, loose))
    cell_kinds = np.fromiter(map(type, column[cells]), dtype=object, count=len(cells))
    odd = cells[cell_kinds != kinds[codes[cells]]]
    if not odd.size:
        return codes, uniques
    keys = np.empty(len(odd), dtype=object)
    keys[:] = list(zip(map(type, column[odd]), codes[odd]))
    odd_codes, odd_keys = pd.factorize(keys)
    firsts = odd[np.unique(odd_codes, return_index=True)[1]]  # one cell standing for each new value
    codes = codes.copy()
    codes[odd] = len(uniques) + odd_codes
    return codes, np.concatenate([uniques, column[firsts]])


def _merged(codes: np.ndarray, texts: pa.Array) -> ColumnTexts:
    """Cells as codes into `texts`, which may be null or repeat (distinct values sharing a text)."""
    encoded = texts.dictionary_encode()
    merged = np.append(pc.fill_null(encoded.indices, -1).to_numpy(), -1)  # the extra slot: code -1 stays -1
    return ColumnTexts.from_distinct(merged[codes], encoded.dictionary)


def _column_texts(column: np.ndarray, json_dates: bool) -> pa.Array:
    try:  # most columns hold texts only
        texts = pa.array(column, type=pa.string(), from_pandas=True)
    except _ARROW_REFUSED:
        texts = pa.array(_as_texts(column), type=pa.string(), from_pandas=True)
    return _clean_texts(texts, json_dates)


def _clean_texts(texts: pa.Array, json_dates: bool) -> pa.Array:
    """Texts as reader_text leaves them: blank ones empty; with `json_dates`, the remote engine's reading.
    Characters nobody sees (grids.INVISIBLE: zero-width spaces pasted from insurers' web systems) go,
    as the file reader removes them: a button reads the open book as the command line reads the file."""
    if pc.any(pc.match_substring_regex(texts, INVISIBLE)).as_py():
        texts = pc.replace_substring_regex(texts, INVISIBLE, "")
    empty = pc.equal(pc.utf8_trim(texts, characters=_python_whitespace()), "")
    if json_dates:
        empty = pc.or_(empty, pc.is_in(texts, value_set=pa.array(_XL_ERRORS)))
    if json_dates and pc.any(pc.match_substring(texts, ":")).as_py():  # every datetime has a colon
        dated = pc.fill_null(pc.match_substring_regex(texts, _JSON_DATETIME.pattern), False)
        joined = pc.binary_join_element_wise(pc.utf8_slice_codeunits(texts, 0, 10),
                                             pc.utf8_slice_codeunits(texts, 11, 19), " ")
        odd = pc.and_(pc.invert(dated), pc.match_substring_regex(texts, r"^-?\d{4,}-\d\d-\d\dT"))
        texts = pc.if_else(dated, joined, texts)
        if pc.any(odd).as_py():  # other ISO forms the engine also takes for dates: rare, one by one
            fixed = texts.to_pylist()
            for k in np.flatnonzero(pc.fill_null(odd, False).to_numpy(zero_copy_only=False)):
                fixed[k] = _engine_datetime_text(fixed[k])
            texts = pa.array(fixed, type=pa.string())
    empty = pc.fill_null(empty, False)
    if not pc.any(empty).as_py():
        return texts  # (the very array given when nothing changed)
    return pc.if_else(empty, pa.scalar(None, pa.string()), texts)


def _engine_datetime_text(text: str) -> str:
    """A text the remote engine reads as a datetime (its own regex and its own slicing), as reader_text."""
    if not _XL_DATETIME.match(text):
        return text
    try:
        return reader_text(dt.datetime.fromisoformat(text[:-1]))
    except ValueError:  # the engine would fail on it too: keep the text for the reader to report
        return text


def _as_texts(column: np.ndarray) -> np.ndarray:
    """A column holding numbers, booleans, dates…: each non-text cell as values.reader_text makes it."""
    cells = column
    kinds = np.fromiter(map(_KINDS.__getitem__, map(type, column)), dtype=np.int8, count=len(column))
    out = np.where(kinds == _TEXT, cells, None)
    floats = kinds == _KINDS[float]
    if floats.any():
        numbers = cells[floats].astype(np.float64)
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < 1e17)
        texts = np.full(len(numbers), None, dtype=object)
        texts[whole] = numbers[whole].astype(np.int64).astype(str).astype(object)
        fraction = ~whole & ~np.isnan(numbers)
        texts[fraction] = [repr(float(x)) for x in numbers[fraction]]
        out[floats] = texts
    integers = kinds == _KINDS[int]
    if integers.any():
        out[integers] = [str(x) for x in cells[integers]]
    booleans = kinds == _KINDS[bool]
    if booleans.any():
        out[booleans] = np.where(cells[booleans].astype(bool), "true", "false")
    for k in np.flatnonzero(kinds >= _KINDS[dt.datetime]):  # dates from desktop Excel, numpy scalars: cell by cell
        text = reader_text(cells[k])
        out[k] = text if isinstance(text, str) else None
    return out


class _Kinds(dict):
    """Exact types as small codes (bool is not an int here); any type not listed: _OTHER."""

    def __missing__(self, key: type) -> int:
        return _OTHER


_KINDS = _Kinds({type(None): 0, str: 1, float: 2, int: 3, bool: 4, dt.datetime: 5, dt.date: 6})
_TEXT = _KINDS[str]
_OTHER = 7  # numpy scalars, Decimal…: reader_text makes their str(), which may hold any character


@functools.cache
def _python_whitespace() -> str:
    """What str.strip() removes (reader_text's notion of a blank cell), for Arrow's utf8_trim."""
    return "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
