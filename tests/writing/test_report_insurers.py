"""The monthly report's insurer comparison (DOMAIN.md "Claim cases": the month's cases), in a sheet with
a native chart and in `_data` as new keys the region reads along (revision-2 sample store)."""
import datetime as dt

import pytest
from openpyxl import load_workbook

from insurance_xl.core.claim_cases import claim_cases, insurer_comparison
from insurance_xl.reading.reports import read_report
from insurance_xl.reading.store import read_store
from insurance_xl.services.monthly_report import write_monthly_report
from insurance_xl.settings import Context, store_settings
from insurance_xl.outputs import DATA_SHEET

from tests.v2 import sample_v2 as v2

MONTH = "2026-10"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    registers = read_store(v2("store.xlsx"))
    ctx = Context(store_settings(registers, str(v2("settings.toml"))), dt.date(2026, 11, 24))
    path, _ = write_monthly_report(registers, ctx, MONTH, tmp_path_factory.mktemp("report") / "report.xlsx")
    return registers, ctx, path


def test_report_compares_insurers_on_the_months_cases_with_a_chart(report):
    registers, ctx, path = report
    cases = claim_cases(registers, ctx)
    month = cases[cases["report_date"].dt.strftime("%Y-%m") == MONTH]
    expected = insurer_comparison(month)
    assert 0 < expected["cases"].sum() == len(month) < len(cases)
    ws = load_workbook(path)["保险公司对比"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, max_row=3 + len(expected), values_only=True)}
    assert {k: (r[1], r[4]) for k, r in rows.items()} == {
        r["insurer"]: (r["cases"], None if r["avg_days_to_pay"] != r["avg_days_to_pay"] else r["avg_days_to_pay"])
        for r in expected.to_dict("records")}
    assert len(ws._charts) == 1 and ws.print_area


def test_report_data_carries_the_insurer_comparison_as_new_keys_the_region_still_reads(report):
    registers, ctx, path = report
    data = {k: v for k, v, *_ in load_workbook(path)[DATA_SHEET].iter_rows(min_row=2, values_only=True)}
    cases = claim_cases(registers, ctx)
    expected = insurer_comparison(cases[cases["report_date"].dt.strftime("%Y-%m") == MONTH])
    for r in expected.to_dict("records"):
        assert data[f"insurers.{r['insurer']}.cases"] == r["cases"]
        assert data[f"insurers.{r['insurer']}.outstanding"] == r["outstanding"]
    store = read_report(path)
    assert store.store == "斯巴鲁京南店" and store.month == MONTH
    assert any(k.startswith("insurers.") for k in store.extras)
