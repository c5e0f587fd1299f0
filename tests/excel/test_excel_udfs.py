"""The worksheet functions as plain functions: the rules of DOMAIN.md through the core, cells as clerks type them."""
from __future__ import annotations

import datetime as dt

import pytest

from insurance_xl.excel.udfs import (INS_BAND, INS_DAYS_OVERDUE, INS_DUE_DATE, INS_MASK_ID, INS_MASK_NAME,
                                     INS_MASK_PHONE, INS_RENEWAL_STAGE, UNREADABLE)
from insurance_xl.registers import REGISTERS

SETTINGS = [["设置项", "值"],
            ['insurers."人保财险".promised_days', 45],
            ['insurers."平安产险".promised_days', 20],
            ["小额案件上限", 3000]]  # a label works as well as a dotted key
D = dt.datetime


def column(*values: object) -> list[list[object]]:
    return [[v] for v in values]


def test_bands_include_both_ends_of_the_middle_band_and_read_amounts_as_typed():
    assert INS_BAND(column(4999.99, 5000, "10,000.00", "¥10000.01", "1万", None)) == \
        column("小额", "5000-10000", "5000-10000", "10000以上", UNREADABLE, "")


def test_band_thresholds_come_from_the_settings_range():
    assert INS_BAND(column(2999, 3000), SETTINGS) == column("小额", "5000-10000")


def test_the_worked_example_a_45_day_insurer_is_due_after_30_days_and_overdue_by_1_on_the_2nd():
    # DOMAIN.md: handed to an insurer promising 45 days on 2026-09-01 and unpaid: due 2026-10-01
    assert INS_DUE_DATE(column(D(2026, 9, 1)), column("人保财险"), SETTINGS) == column(D(2026, 10, 1))
    assert INS_DAYS_OVERDUE(column(D(2026, 9, 1)), column("人保财险"), column(5000), column(None),
                            D(2026, 10, 2), SETTINGS) == column(1)
    assert INS_DAYS_OVERDUE(column(D(2026, 9, 1)), column("人保财险"), column(5000), column(None),
                            D(2026, 10, 1), SETTINGS) == column(0)


def test_a_20_day_insurer_is_due_after_20_days_and_an_unknown_one_after_30():
    dates = column("2026/9/1", "20260901")
    assert INS_DUE_DATE(dates, column("平安产险", "某某保险"), SETTINGS) == column(D(2026, 9, 21), D(2026, 10, 1))


def test_a_partial_payment_stays_overdue_and_a_full_one_does_not():
    days = INS_DAYS_OVERDUE(column(D(2026, 9, 1), D(2026, 9, 1)), column("人保财险", "人保财险"),
                            column(5000, 5000), column(4999.99, 5000), D(2026, 10, 11), SETTINGS)
    assert days == column(10, 0)


def test_one_cell_stands_for_every_row_and_a_range_answers_in_its_own_shape():
    dates = [[D(2026, 9, 1), D(2026, 9, 11)], [D(2026, 9, 21), None]]
    assert INS_DUE_DATE(dates, "人保财险", SETTINGS) == [[D(2026, 10, 1), D(2026, 10, 11)], [D(2026, 10, 21), ""]]
    with pytest.raises(ValueError, match="范围大小不一致"):
        INS_DUE_DATE(dates, column("人保财险", "平安产险", "人保财险"), SETTINGS)


def test_an_unreadable_date_says_so_in_its_own_cell():
    assert INS_DUE_DATE(column("九月一日", D(2026, 9, 1)), "人保财险", SETTINGS) == column(UNREADABLE, D(2026, 10, 1))


def test_renewal_stage_day_45_and_46_day_30_and_31_and_an_ended_policy():
    # DOMAIN.md rev 2 "Lapsed": a policy ended at most 30 days ago is still called (电话), then 已到期
    as_of = D(2026, 11, 24)
    ends = column(D(2027, 1, 8), D(2027, 1, 9), D(2026, 12, 24), D(2026, 12, 25), D(2026, 11, 24), D(2026, 11, 23),
                  D(2026, 10, 25), D(2026, 10, 24))
    assert INS_RENEWAL_STAGE(ends, as_of) == column("短信", "未到提醒期", "短信+电话", "短信", "短信+电话", "电话",
                                                    "电话", "已到期")


def test_a_date_dependent_function_wants_the_date_it_is_given():
    with pytest.raises(ValueError, match="评估日期 应为日期"):
        INS_RENEWAL_STAGE(column(D(2027, 1, 8)), None)


def test_masks_for_what_leaves_the_store():
    assert INS_MASK_PHONE(column(13996030824.0, "139-9603-0824", None)) == column("139****0824", "139****0824", "")
    assert INS_MASK_NAME("张三") == [["张*"]]
    assert INS_MASK_ID(column("110101199001011234")) == column("110***********1234")



def test_ins_kpi_reads_the_register_ranges_and_gives_the_samples_answers(sample_expected):
    from insurance_xl.excel.udfs import INS_KPI
    from insurance_xl.settings import load_settings

    from tests.conftest import sample
    from tests.remote_book import settings_rows, workbook_sheets

    sheets = workbook_sheets(sample("store.xlsx"))
    ranges = [sheets[REGISTERS[k].sheet] for k in ("policies", "sales", "claims")]
    settings = settings_rows(load_settings(sample("settings.toml")))
    contacts = sheets[REGISTERS["contacts"].sheet]
    expected = sample_expected["kpi"]
    for key in ("renewal_rate", "premium_commercial", "lost"):
        want = expected["counts"][key] if key in expected["counts"] else expected[key]
        got = INS_KPI(key, "2026-10", *ranges, settings, D(2026, 11, 24), contacts)
        assert got == pytest.approx(want), key
    with pytest.raises(ValueError, match="未知的指标 'renewal'"):
        INS_KPI("renewal", "2026-10", *ranges, settings, D(2026, 11, 24))
