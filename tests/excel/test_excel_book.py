"""The open book reads exactly like the saved file, and tables go back into it safely."""
from __future__ import annotations

import datetime as dt
import os
from unittest import mock

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insurance_xl.excel.book import BookInputError, board_as_of, board_month, read_book, write_table
from insurance_xl.excel.cells import cell_grid
from insurance_xl.outputs import BOARD_SHEET
from insurance_xl.excel.layout import AS_OF, MONTH
from insurance_xl.reading.store import read_store
from insurance_xl.registers import DATA_REGISTERS, WORKBOOK
from insurance_xl.reading.clerk_values import reader_text
from insurance_xl.writing.sheet import OutColumn

from tests.conftest import sample
from tests.remote_book import remote, remote_unavailable_reason, workbook_sheets, written  # noqa: F401 (fixture)


def board_rows(month: object = None, as_of: object = None) -> list[list[object]]:
    rows = [[None, None] for _ in range(max(MONTH.row, AS_OF.row))]
    rows[MONTH.row - 1][1] = month
    rows[AS_OF.row - 1][1] = as_of
    return rows


def test_open_book_reads_like_the_saved_file(remote):
    store = sample("store.xlsx")
    book = remote(workbook_sheets(store))
    from_book, from_file = read_book(book), read_store(store)
    for key in DATA_REGISTERS:
        pd.testing.assert_frame_equal(from_book[key].drop(columns=[WORKBOOK]), from_file[key].drop(columns=[WORKBOOK]))
    assert from_book.findings == [] and from_file.findings == []
    assert [(lay.sheet, lay.header_row, lay.columns) for lay in from_book.layouts] == \
        [(lay.sheet, lay.header_row, lay.columns) for lay in from_file.layouts]


def test_reading_only_the_registers_a_button_needs_skips_the_others(remote):
    book = remote(workbook_sheets(sample("store.xlsx")))
    registers = read_book(book, ("policies",))
    assert len(registers["policies"]) > 0
    assert len(registers["claims"]) == 0 and "claims" in registers.missing


def test_cells_typed_in_excel_become_the_texts_the_file_reader_sees():
    grid = cell_grid([["档案编号", "联系电话", "保单止期", "是否本店投保"],
                      ["DA1", 13996030824.0, dt.datetime(2026, 10, 28), True],
                      [None, "  ", None]])
    assert grid.iloc[1].tolist() == ["DA1", "13996030824", "2026-10-28 00:00:00", "true"]
    assert grid.iloc[2].isna().all()


def test_board_month_defaults_to_the_month_before_as_of_and_accepts_what_excel_stores(remote):
    assert board_month(remote({BOARD_SHEET: board_rows()}), dt.date(2026, 11, 24)) == "2026-10"
    assert board_month(remote({BOARD_SHEET: board_rows("2026-09")}), dt.date(2026, 11, 24)) == "2026-09"
    # Excel turns a typed 2026-9 into a date: the first of the month
    assert board_month(remote({BOARD_SHEET: board_rows(dt.datetime(2026, 9, 1))}), dt.date(2026, 11, 24)) == "2026-09"
    assert board_as_of(remote({BOARD_SHEET: board_rows()}), dt.date(2026, 11, 24)) == dt.date(2026, 11, 24)
    assert board_as_of(remote({BOARD_SHEET: board_rows(None, dt.datetime(2026, 10, 2))}), dt.date(2030, 1, 1)) == \
        dt.date(2026, 10, 2)


def test_a_month_the_clerk_mistyped_stops_with_a_message_naming_the_cell(remote):
    with pytest.raises(BookInputError, match=f"{BOARD_SHEET}!{MONTH.cell}「月份」不是月份：'十月'"):
        board_month(remote({BOARD_SHEET: board_rows("十月")}), dt.date(2026, 11, 24))
    with pytest.raises(BookInputError, match="「评估日期」不是日期"):
        board_as_of(remote({BOARD_SHEET: board_rows(None, "昨天")}), dt.date(2026, 11, 24))


def test_a_table_is_written_in_one_block_with_text_formats_first_and_formulas_kept_as_text(remote):
    book = remote({"out": [[None]]})
    frame = pd.DataFrame({"claim_no": ["=HYPERLINK(\"x\")", "00123"], "amount": [1.5, float("nan")],
                          "day": pd.to_datetime(["2026-10-01", None]), "ok": pd.array([True, None], dtype="boolean")})
    columns = [OutColumn("claim_no", "报案号", None, 16), OutColumn("amount", "金额", "0.00", 10),
               OutColumn("day", "日期", "yyyy-mm-dd", 11), OutColumn("ok", "签字", None, 6)]
    assert write_table(book.sheets["out"], frame, columns, top=3) == 5
    cells = written(book, ["out"], "out")
    assert [cells[(3, j)] for j in range(1, 5)] == ["报案号", "金额", "日期", "签字"]
    assert [cells[(4, j)] for j in range(1, 5)] == ["'=HYPERLINK(\"x\")", 1.5, "2026-10-01", "是"]
    assert [cells[(5, j)] for j in range(1, 5)] == ["00123", "", "", ""]
    actions = book.json()["actions"]
    text_format = next(i for i, a in enumerate(actions) if a["func"] == "setNumberFormat" and a["args"] == ["@"])
    assert text_format < next(i for i, a in enumerate(actions) if a["func"] == "setValues")


JSON_CELLS = st.one_of(  # what the remote client sends: numbers, booleans, texts
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=False), st.sampled_from([665.0, 1234.5, 0.1, 1e17, -3.0, 13996030824.0]),
    st.text(max_size=6), st.sampled_from(["", " ", "\u3000", "\x1c", "#N/A", "#DIV/0!", "2026-10-01T00:00:00.000Z",
                                          "2026-10-01T08:30:00Z", "2026-13-01T00:00:00.000Z", "20261001", "京A12345"]),
)
CELLS = st.one_of(  # what desktop Excel's converter gives besides: dates
    JSON_CELLS,
    st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 1, 1)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(CELLS, min_size=1, max_size=4), min_size=1, max_size=6))
def test_cell_grid_gives_each_cell_what_cell_text_gives_it(rows):
    grid = cell_grid(rows)
    width = max(len(r) for r in rows)
    for i, row in enumerate(rows):
        for j in range(width):
            expected = reader_text(row[j]) if j < len(row) else float("nan")
            got = grid.iat[i, j]
            assert (pd.isna(got) and pd.isna(expected)) or got == expected, (row, j)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(JSON_CELLS, min_size=3, max_size=3), min_size=1, max_size=5))
def test_the_remote_payload_reads_as_the_engines_own_conversion_would(rows):
    # the JSON the client sends, read raw and converted here, versus xlwings' per-cell conversion
    with mock.patch.dict(os.environ, {"XLWINGS_LICENSE_KEY": "noncommercial"}):
        reason = remote_unavailable_reason()
        if reason:
            pytest.skip(reason)
        from xlwings.pro._xlremote import _clean_value_data_element

    payload = [["" if v is None else v for v in row] for row in rows]
    engine = [[_clean_value_data_element(v, dt.datetime, None, None, False) for v in row] for row in payload]
    assert_same_grid(cell_grid(payload, json_dates=True), cell_grid(engine))


def assert_same_grid(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert a.shape == b.shape
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            x, y = a.iat[i, j], b.iat[i, j]
            assert (pd.isna(x) and pd.isna(y)) or x == y, (i, j, x, y)


def test_button_sheets_come_after_the_board_in_a_fixed_order_and_are_reused(remote):
    from insurance_xl.excel.book import output_sheet
    from insurance_xl.outputs import BUTTON_SHEETS

    book = remote({BOARD_SHEET: [[None]], "客户管理统计明细表": [[None]], "设置": [[None]]})
    for name in reversed(BUTTON_SHEETS):
        output_sheet(book, name)
    output_sheet(book, BUTTON_SHEETS[0]).range("A1").value = "again"
    assert [s.name for s in book.sheets] == [BOARD_SHEET, *BUTTON_SHEETS, "客户管理统计明细表", "设置"]
    assert [a["func"] for a in book.json()["actions"]].count("addSheet") == len(BUTTON_SHEETS)
