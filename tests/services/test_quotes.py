"""Quotes in the renewal call (DOMAIN.md rev 2 "Renewal reminders", seed §4.5.3 电话通知…续保及报价): the
call list offers last year's premiums in 报价金额, `calls import` brings the quote into 续保跟进记录 once,
and the next list shows it as 上次报价."""
import json
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.reading.store import read_store
from insurance_xl.writing.call_list_book import SHEETS

from tests.v2 import expected_v2, sample_v2


@pytest.fixture(scope="module")
def sample_v2_expected() -> dict:
    return expected_v2()


def args(path, as_of):
    return [str(path), "--settings", str(sample_v2("settings.toml")), "--as-of", as_of]


def test_a_quote_is_offered_imported_once_and_shown_as_the_last_quote(tmp_path, capsys, sample_v2_expected):
    as_of = sample_v2_expected["as_of"]
    store = tmp_path / "store.xlsx"
    shutil.copy(sample_v2("store.xlsx"), store)
    out = tmp_path / "lists"
    assert main(["calls", *args(store, as_of), "--json", "--out", str(out)]) == 0
    listed = {r["archive_no"]: r for r in json.loads(capsys.readouterr().out)["phone"]}
    clerk_list = next(out.glob("*郑洁*.xlsx"))
    wb = load_workbook(clerk_list)
    ws = wb[SHEETS["电话"]]
    headers = [c.value for c in ws[3]]
    assert headers.index("报价金额") == headers.index("结果") + 1  # beside 结果
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=1).value == "DA000149")
    quote = ws.cell(row=row, column=headers.index("报价金额") + 1)
    assert quote.value == listed["DA000149"]["quote"]  # starts as last year's premiums
    ws.cell(row=row, column=headers.index("结果") + 1, value="考虑中")
    quote.value = 4321.5
    wb.save(clerk_list)

    imported = []
    for _ in range(2):  # a quote imported twice counts once
        assert main(["calls", "import", str(clerk_list), "--into", str(store), "--json"]) == 0
        got = json.loads(capsys.readouterr().out)
        imported.append((got["added"], got["already"]))
    assert imported == [(1, 0), (0, 1)]
    contacts = read_store(store)["contacts"]
    mine = contacts[contacts["archive_no"] == "DA000149"]
    assert len(mine) == 1 + len(read_store(sample_v2("store.xlsx"))["contacts"].query("archive_no == 'DA000149'"))
    assert mine["quote_amount"].dropna().tolist() == [4321.5]
    assert contacts["quote_amount"].notna().sum() == 1  # the untouched rows' starting quotes stay in the list

    assert main(["calls", *args(store, as_of), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert "DA000149" not in {r["archive_no"] for r in again["phone"]}  # called today
    sms = {r["archive_no"]: r for r in again["sms"]}
    assert sms["DA000149"]["last_quote"] == 4321.5
    assert pd.isna(sms["DA000114"]["last_quote"])
