"""An open book read for a few columns reads them exactly as the whole grid of its texts does: the
columns left unread still decide which rows are blank or 合计 rows, and amounts Excel holds as
numbers read as their texts would."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insurance_xl.excel.cells import BookCells, cell_grid
from insurance_xl.reading.store import read_grid
from insurance_xl.registers import REGISTERS
from insurance_xl.reading.clerk_values import reader_text

POLICIES = REGISTERS["policies"]
COLUMNS = ("archive_no", "plate", "channel", "policy_end", "commercial_premium", "commission")
READ = ("plate", "policy_end", "commercial_premium")  # archive_no, where a clerk may write 合计, is not read
HEADER = [POLICIES.column(key).header for key in COLUMNS]

BLANKS = st.sampled_from([None, "", " ", "\u3000", "\t", float("nan")])
LABELS = st.sampled_from(["合计", " 合 计：", "总计", "小计", "合计金额", "统计", "会计", "计"])
TEXTS = st.sampled_from(["京A12345", "ＪＦ２０５", "本店", "2026-10-01", "2026/10/1", "2026-10-01T00:00:00.000Z",
                         "¥1,234.50", "1234元", "(12.30)", "-", "x", "true", "#N/A"])
NUMBERS = st.one_of(st.integers(-10**6, 10**20), st.floats(allow_nan=False), st.booleans(),
                    st.sampled_from([665.0, 1234.5, 0.1, 1e15, -1e15, 999999999999999.9, 1e17, -0.0, 45254, 20261001,
                                     float("inf")]))
CELLS = st.one_of(BLANKS, LABELS, TEXTS, NUMBERS,
                  st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2100, 1, 1)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=len(COLUMNS), max_size=len(COLUMNS)), max_size=12), st.booleans())
def test_reading_a_few_columns_of_an_open_book_reads_them_as_the_whole_grid_does(rows, json_dates):
    values = [["某店 客户管理统计明细表"], HEADER, *rows]
    whole = read_grid(cell_grid(values, json_dates), "b", POLICIES.sheet, register="policies")
    part = read_grid(BookCells(values, json_dates), "b", POLICIES.sheet, register="policies", only=READ)
    assert whole is not None and part is not None
    assert (part.layout.rows_read, part.layout.blank_rows, part.layout.total_rows) == \
        (whole.layout.rows_read, whole.layout.blank_rows, whole.layout.total_rows)
    pd.testing.assert_frame_equal(part.table[[*READ, "_row"]], whole.table[[*READ, "_row"]])
    assert part.findings == [f for f in whole.findings if f.key in READ or f.rule == "read.missing_column"]
    assert part.table.drop(columns=[*READ, "_workbook", "_sheet", "_row"]).isna().all().all()


def test_a_total_row_labelled_in_a_column_not_read_is_left_out_and_a_blank_row_is_skipped():
    values = [HEADER,
              ["DA1", "京A1", "本店", "2026-10-31", 100.0, 10.0],
              [None, " ", None, None, None, None],  # blank
              [None, None, None, None, None, "备注"],  # only an unread column holds something: kept
              [" 合 计：", "京A1", "本店", "2026-10-31", 100.0, 10.0]]  # a total, whatever the other cells
    read = read_grid(BookCells(values), "b", POLICIES.sheet, register="policies", only=READ)
    assert read.layout.total_rows == [5] and read.layout.blank_rows == 1
    assert read.table["_row"].tolist() == [2, 4] and read.table["commercial_premium"].tolist()[0] == 100.0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(NUMBERS, TEXTS, BLANKS), min_size=1, max_size=20))
def test_amounts_held_as_numbers_read_as_their_texts_do(cells):
    column = POLICIES.column("commercial_premium")
    values = [[v] for v in cells]
    typed = BookCells(values).texts(0, slice(0, len(values)), numbers=True)
    texts = BookCells(values).texts(0, slice(0, len(values)))
    (a, bad_a), (b, bad_b) = typed.parse(column), texts.parse(column)
    pd.testing.assert_series_equal(a, b)
    assert bad_a.tolist() == bad_b.tolist()
    as_texts = [t if isinstance(t, str) else None for t in map(reader_text, cells)]
    assert [None if pd.isna(t) else t for t in typed.series()] == as_texts


@settings(max_examples=150, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=20), st.sampled_from(["计", "合", "京", "t", "1"]), st.booleans())
def test_a_column_tells_which_cells_hold_a_character_as_its_texts_do(cells, char, json_dates):
    book = BookCells([[v] for v in cells], json_dates)
    rows = slice(0, len(cells))
    expected = book.texts(0, rows).test(lambda t: pc.match_substring(t, char))
    assert book.containing(0, rows, char).tolist() == expected.tolist()


def test_values_of_other_types_are_looked_at_as_their_texts():
    class Odd:
        def __str__(self) -> str:
            return "合计"

    book = BookCells([[Odd()], [1.5], ["合计"]])
    assert book.containing(0, slice(0, 3), "计").tolist() == [True, False, True]


@pytest.mark.parametrize("equal", [[True, 1, 1.0], [False, 0, -0.0, 0.0], [10**17, 1e17], [1e16, 10**16]])
def test_values_python_holds_equal_keep_their_own_texts(equal):
    texts = BookCells([[v] for v in equal]).texts(0, slice(0, len(equal))).series().tolist()
    assert texts == [reader_text(v) for v in equal]


def test_short_rows_are_padded_and_a_cell_holding_a_list_is_one_cell():
    book = BookCells([["a"], ["b", [1, 2]]])
    assert book.shape == (2, 2)
    assert book.values[1, 1] == [1, 2] and book.values[0, 1] is None
    assert np.asarray(book.texts(1, slice(0, 2)).filled()).tolist() == [False, True]


@pytest.mark.parametrize("cells", [
    [["x"], ["合 计"]],  # the very last bytes of the sheet
    [["计"], [None], [""], ["合计"]],
    [["合"], ["计"]],  # 合计 only across two cells
    [[1.5], ["会计"], [None], ["计划"]],
])
def test_a_text_is_found_in_the_cells_holding_it_and_nowhere_else(cells):
    book = BookCells(cells)
    rows = slice(0, len(cells))
    for text in ("计", "合", "合计"):
        expected = [isinstance(v, str) and text in v for (v,) in cells]
        assert book.containing(0, rows, text).tolist() == expected, text


def test_characters_nobody_sees_are_removed_from_an_open_book_as_from_the_file(tmp_path):
    """A zero-width space pasted into a 报案号 reads as the file reader reads it: gone, and a cell holding
    only such characters is empty; the same claim then counts once on both paths."""
    from tests.conftest import make_workbook

    rows = [["报案号", "报案日期", "车牌号"], ["BA\u200b1", "2026-10-01", "京A\ufeff1"], ["\u200b\u200d", "2026-10-02", "京A2"]]
    from_book = read_grid(BookCells(rows), "store.xlsx", "客户出险统计表")
    from insurance_xl.reading.store import read_store

    from_file = read_store(make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": rows}))["claims"]
    assert from_book.table["claim_no"].tolist()[0] == "BA1" == from_file["claim_no"].tolist()[0]
    assert from_book.table["plate"].tolist()[0] == "京A1" == from_file["plate"].tolist()[0]
    assert pd.isna(from_book.table["claim_no"].iloc[1]) and pd.isna(from_file["claim_no"].iloc[1])
