"""A round trip holds (issue 3): whatever form each cell is written in, it reads back to the same value.

Hypothesis chooses the values (dates, amounts to the fen, yes/no, quantities, months, ids with
leading zeros and long all-digit ids) and, cell by cell, the messy form each is written in
(DOMAIN.md "Reading what clerks really type"); the clerk-style writer puts them in a workbook with
title rows, shuffled and varied headers, blank rows and a 合计 row, and the reader must return
exactly the typed values, with no finding.
"""
import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insurance_xl.demo.store import demo_tables
from insurance_xl.demo.messy_workbook import FORMS, write_messy_workbook
from insurance_xl.tables import table_from_records
from insurance_xl.reading.store import TOTAL_LABELS, read_store
from insurance_xl.registers import REGISTERS, ROW, SHEET, WORKBOOK, Kind

DATES = st.dates(dt.date(1950, 1, 1), dt.date(2100, 12, 31))
FEN = st.integers(-10**11, 10**11).map(lambda fen: fen / 100)  # to the fen, up to a billion yuan
ID_DIGITS = st.text("0123456789", min_size=1, max_size=25)  # leading zeros, 20-digit policy numbers
ID_MIXED = st.text("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", min_size=1, max_size=20)
WORDS = st.text("王李张刘陈保险公司理赔员ABCxyz0123-+=@", min_size=1, max_size=8).filter(
    lambda t: t not in TOTAL_LABELS)
# four registers hold every kind of value: ids, text, choices, dates, money (policies); yes/no and long
# all-digit bank accounts (tp_refunds); whole quantities (old_parts); months (commission_settlements)
KEY_COLUMN = {"policies": "archive_no", "tp_refunds": "claim_no", "old_parts": "claim_no",
              "commission_settlements": "month"}


def value_strategy(column):
    kind = column.kind
    if kind is Kind.DATE:
        return DATES
    if kind is Kind.MONEY:
        return FEN
    if kind is Kind.INT:
        return st.integers(0, 10**9)
    if kind is Kind.YESNO:
        return st.booleans()
    if kind is Kind.MONTH:
        return DATES.map(lambda d: f"{d.year:04d}-{d.month:02d}")
    if kind is Kind.ID:
        return ID_DIGITS | ID_MIXED
    if kind is Kind.CHOICE:
        return st.sampled_from(column.choices)
    return WORDS


@st.composite
def messy_register(draw, key):
    """A small register table and, for every cell, the form it is written in."""
    reg = REGISTERS[key]
    n = draw(st.integers(1, 10))
    records = []
    for _ in range(n):
        record = {}
        for col in reg.columns:
            strategy = value_strategy(col)
            record[col.key] = draw(strategy if col.key == KEY_COLUMN[key] else st.none() | strategy)
        records.append(record)
    table = table_from_records(key, records, workbook="store.xlsx")
    header_row = draw(st.integers(1, 3))
    gaps = np.cumsum([0] + [draw(st.integers(0, 2)) for _ in range(n - 1)])
    table[ROW] = header_row + 1 + np.arange(n) + gaps
    forms = {col.key: np.array(draw(st.lists(st.integers(0, len(FORMS[col.kind]) - 1), min_size=n, max_size=n)))
             for col in reg.columns}
    return table, forms


def assert_reads_back(tables, registers):
    assert [f.message for f in registers.findings] == []
    for key, table in tables.items():
        got = registers[key].set_index(ROW).sort_index()
        expected = table.set_index(ROW).sort_index()
        assert got.index.tolist() == expected.index.tolist(), key
        for col in REGISTERS[key].keys:
            pd.testing.assert_series_equal(got[col], expected[col], check_names=False, obj=f"{key}.{col}")
        assert (got[SHEET] == REGISTERS[key].sheet).all() and (got[WORKBOOK] == "store.xlsx").all()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_every_messy_form_of_every_value_reads_back_to_the_same_typed_value(data, seed):
    tables, forms = {}, {}
    for key in KEY_COLUMN:
        tables[key], forms[key] = data.draw(messy_register(key), label=key)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_messy_workbook(tables, Path(tmp) / "store.xlsx", np.random.default_rng(seed), store="测试店",
                                    forms=forms)
        registers = read_store(path)
    assert_reads_back(tables, registers)


@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 10_000), layout_seed=st.integers(0, 2**32 - 1), data=st.data())
def test_a_demo_store_rewritten_in_every_messy_form_reads_back_to_the_same_values(seed, layout_seed, data):
    tables = demo_tables(seed, 25, as_of=dt.date(2026, 11, 24))
    # every form of its kind in every column: cell i takes form (i + shift) of the list
    forms = {key: {col.key: (np.arange(len(table)) + data.draw(st.integers(0, 10))) % len(FORMS[col.kind])
                   for col in REGISTERS[key].columns}
             for key, table in tables.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_messy_workbook(tables, Path(tmp) / "store.xlsx", np.random.default_rng(layout_seed), forms=forms)
        registers = read_store(path)
    assert registers.missing == ()
    assert_reads_back(tables, registers)


def test_a_register_longer_than_a_sheet_goes_on_over_numbered_sheets_and_reads_back_whole(tmp_path):
    """A dealer group's register outgrows Excel's 1,048,576 rows: the writer goes on on 客户管理统计明细表2,
    …3 (here after 40 rows), and the reader puts the pieces back together, every row once."""
    tables = demo_tables(7, 60, as_of=dt.date(2026, 11, 24))
    policies = tables["policies"]
    assert len(policies) > 80
    path = write_messy_workbook(tables, tmp_path / "store.xlsx", np.random.default_rng(3), sheet_rows=40)
    registers = read_store(path)
    got = registers["policies"]
    base = REGISTERS["policies"].sheet
    pieces = -(-len(policies) // 40)
    assert sorted(set(got[SHEET])) == sorted([base] + [f"{base}{n}" for n in range(2, pieces + 1)])
    assert got.groupby(SHEET).size().max() == 40
    assert sorted(got["archive_no"].dropna()) == sorted(policies["archive_no"].dropna())
    assert [f.message for f in registers.findings if f.register == "policies"] == []
