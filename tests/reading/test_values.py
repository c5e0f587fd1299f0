"""Every form DOMAIN.md lists under "Reading what clerks really type"."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insurance_xl.reading.clerk_values import (reader_text, parse_date_text, parse_dates, parse_ids, parse_ints,
                                               parse_money, parse_month_text, parse_yesno)


def texts(*values):
    return pd.Series(list(values), dtype="str")


@pytest.mark.parametrize("text", ["2026-10-01", "2026/10/1", "2026.10.1", "2026年10月1日", "20261001",
                                  "2026-10-01 00:00:00", "２０２６年１０月１日", " 2026 / 10 / 01 ", "46296"])
def test_every_date_form_reads_as_the_same_day(text):
    assert parse_date_text(text) == dt.date(2026, 10, 1)


@pytest.mark.parametrize("text", ["2026-13-45", "明天", "2026/2/30", "5", "-3", "10/1/2026"])
def test_impossible_dates_are_unreadable(text):
    assert repr(parse_date_text(text)) == "<unreadable>"


def test_date_column_keeps_empty_cells_empty_and_flags_only_bad_ones():
    column = pd.concat([texts("2026/10/1", None), texts("明天", "-", "20261002")], ignore_index=True)  # two chunks
    values, bad = parse_dates(column)
    assert values.tolist()[0] == pd.Timestamp("2026-10-01")
    assert pd.isna(values[1]) and pd.isna(values[2]) and pd.isna(values[3])
    assert bad.tolist() == [False, False, True, False, False]


def test_amounts_in_every_form_read_to_the_fen():
    values, bad = parse_money(texts("1234.5", "1,234.50", "¥1234", "1234元", "￥１，２３４.５０", "(12.30)", "一千", None))
    assert values.tolist()[:6] == [1234.5, 1234.5, 1234.0, 1234.0, 1234.5, -12.3]
    assert bad.tolist() == [False] * 6 + [True, False]


@pytest.mark.parametrize("text,expected", [("是", True), ("Y", True), ("√", True), ("TRUE", True), ("true", True),
                                           ("否", False), ("n", False), ("×", False), ("FALSE", False)])
def test_yes_no_forms(text, expected):
    values, bad = parse_yesno(texts(text))
    assert bool(values[0]) is expected and not bad[0]


def test_yes_no_nonsense_is_flagged():
    values, bad = parse_yesno(texts("也许"))
    assert pd.isna(values[0]) and bad[0]


def test_ids_stay_text_with_leading_zeros_and_full_width_digits_folded():
    values, _ = parse_ids(texts("0012345", "１３９９６０３０８２４", "p 4640 3036"), upper=True)
    assert values.tolist() == ["0012345", "13996030824", "P46403036"]


def test_quantities_must_be_whole():
    values, bad = parse_ints(texts("2", "1.5", "3件"))
    assert values[0] == 2 and pd.isna(values[1]) and bad.tolist() == [False, True, True]


@pytest.mark.parametrize("text", ["2026-10", "2026/10", "2026年10月", "202610", "2026-10-01 00:00:00", "2026.10"])
def test_month_forms(text):
    assert parse_month_text(text) == "2026-10"


@pytest.mark.parametrize("value,text", [(13996030824.0, "13996030824"), (665.0, "665"), (True, "true"),
                                        (dt.date(2026, 10, 1), "2026-10-01"), (12.5, "12.5"), ("  ", np.nan)])
def test_cell_text_matches_what_the_file_reader_yields(value, text):
    got = reader_text(value)
    assert (pd.isna(got) and pd.isna(text)) or got == text


DATE_PARTS = st.one_of(st.integers(0, 9999).map(lambda y: f"{y:04d}"), st.sampled_from(["1950", "2026", "2100", "2101"]))
DATE_TEXTS = st.one_of(
    st.builds(lambda y, m, d, sep, tail: f"{y}{sep[0]}{m}{sep[1]}{d}{tail}", DATE_PARTS,
              st.integers(0, 19).map(str), st.integers(0, 39).map(str),
              st.sampled_from(["--", "//", "..", "-/", "年月", "年-", "／／", "－－"]),
              st.sampled_from(["", "日", " 00:00:00", " 23:59:59", "T00:00:00", " 0:00", "日 08:30:00", " "])),
    st.builds(lambda y, m, d: f"{y}{m:02d}{d:02d}", DATE_PARTS, st.integers(0, 19), st.integers(0, 39)),
    st.integers(-10, 10**7).map(str),
    st.sampled_from(["", " ", "-", "无", "明天", "2026-10-01.5", "45254.0", "４５２５４", "20261001.0", "٢٠٢٦-١٠-٠١"]),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(DATE_TEXTS, min_size=1, max_size=20))
def test_a_date_column_reads_every_cell_as_parse_date_text_does(cells):
    values, bad = parse_dates(pd.Series(cells, dtype="str"))
    for text, value, unreadable in zip(cells, values, bad):
        expected = parse_date_text(text)
        assert unreadable == (expected is not None and not isinstance(expected, dt.date)), text
        assert (pd.isna(value) if not isinstance(expected, dt.date) else value.date() == expected), text
