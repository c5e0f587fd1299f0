"""Every form DOMAIN.md lists under "Reading what clerks really type"."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from insurance_xl.values import (cell_text, parse_date_text, parse_dates, parse_ids, parse_ints, parse_money,
                                 parse_month_text, parse_yesno)


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
    values, bad = parse_dates(texts("2026/10/1", None, "明天", "-", "20261002"))
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
    got = cell_text(value)
    assert (pd.isna(got) and pd.isna(text)) or got == text
