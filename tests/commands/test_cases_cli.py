"""`overdue` and `cases` on the revision-2 sample store (store-500-v2): the money first shown by one
register (not_handed_over, tp_waiting), avg_days_to_pay per insurer, and the existing overdue,
returned, commission and bands answers, on both shapes of the store; the 案件跟踪 workbook."""
import json

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.xlsx.properties import output_kind

from tests.v2 import expected_v2
from tests.v2 import sample_v2 as v2

STORES = ("store.xlsx", "store_rows.xlsx")


@pytest.fixture(scope="module")
def expected() -> dict:
    return expected_v2()


def run_json(capsys, command, store, expected, *extra):
    args = [command, str(v2(store)), "--settings", str(v2("settings.toml")), "--as-of", expected["as_of"], "--json",
            *extra]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("store", STORES)
def test_overdue_lists_money_from_the_first_register_that_shows_it(capsys, store, expected):
    got = run_json(capsys, "overdue", store, expected)
    assert sorted(r["claim_no"] for r in got["not_handed_over"]) == sorted(expected["not_handed_over"])
    assert sorted(r["claim_no"] for r in got["tp_refunds"]) == sorted(expected["tp_waiting"])
    assert all(r["days_waiting"] > 10 for r in got["not_handed_over"])
    assert all(r["days_waiting"] > 7 for r in got["tp_refunds"])
    mine = {r["claim_no"]: (r["due_date"], r["days_overdue"], r["outstanding"]) for r in got["overdue"]}
    assert mine == {r["claim_no"]: (r["due_date"], r["days_overdue"], r["outstanding"]) for r in expected["overdue"]}
    assert sorted(r["claim_no"] for r in got["returned"]) == sorted(expected["returned"])
    assert ({(r["month"], r["insurer"], r["outstanding"]) for r in got["commission"]}
            == {(r["month"], r["insurer"], r["outstanding"]) for r in expected["commission"]})
    assert got["bands"] == expected["bands"]


@pytest.mark.parametrize("store", STORES)
def test_cases_compare_insurers_on_days_from_handover_to_payment(capsys, store, expected):
    got = run_json(capsys, "cases", store, expected)
    assert set(got) == {"cases", "insurers", "adjusters"}
    assert {r["insurer"]: r["avg_days_to_pay"] for r in got["insurers"]} == pytest.approx(expected["avg_days_to_pay"],
                                                                                         abs=5e-5)
    assert all(set(r) == {"claim_no", "plate", "insurer", "adjuster", "step", "report_date", "settled_date",
                          "handover_date", "paid_date", "refund_date", "days"} for r in got["cases"])
    assert all(set(r) == {"insurer", "cases", "assessed", "settled", "avg_days_to_pay", "overdue_share",
                          "returned_share", "outstanding"} for r in got["insurers"])
    assert all(set(r) == {"adjuster", "cases", "avg_days", "open"} for r in got["adjusters"])
    by_step = {}
    for case in got["cases"]:
        by_step.setdefault(case["step"], set()).add(case["claim_no"])
    assert set(expected["not_handed_over"]) <= by_step["交案"]
    assert set(expected["tp_waiting"]) <= by_step["三者退款"]
    assert sum(r["cases"] for r in got["insurers"]) == len(got["cases"]) == sum(r["cases"] for r in got["adjusters"])
    overdue = run_json(capsys, "overdue", store, expected)
    assert round(sum(r["outstanding"] for r in overdue["overdue"]), 2) <= round(
        sum(r["outstanding"] for r in got["insurers"]), 2)


def test_cases_workbook_puts_open_cases_first_with_filters_frozen_header_and_a_chart(tmp_path, capsys, expected):
    out = tmp_path / "案件跟踪.xlsx"
    got = run_json(capsys, "cases", "store.xlsx", expected, "--out", str(out))
    assert output_kind(out) == "cases"
    wb = load_workbook(out)
    assert wb.sheetnames == ["案件跟踪", "保险公司对比", "理赔员"]
    ws = wb["案件跟踪"]
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref.startswith("A4:")
    assert ws.print_title_rows == "$4:$4" and ws.page_setup.orientation == "landscape"
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True)]
    assert [r[0] for r in rows] == [c["claim_no"] for c in got["cases"]]
    steps = [r[4] for r in rows]
    order = ["结算", "交案", "旧件", "回款", "三者退款", "已完成", "已撤案"]
    assert [order.index(s) for s in steps] == sorted(order.index(s) for s in steps)  # open first, by step
    assert ws.row_dimensions[5].outline_level == 1
    insurers = wb["保险公司对比"]
    assert len(insurers._charts) == 1
    table = {r[0]: r[4] for r in insurers.iter_rows(min_row=4, max_row=3 + len(got["insurers"]), values_only=True)}
    assert table == {r["insurer"]: r["avg_days_to_pay"] for r in got["insurers"]}


def test_readable_cases_output_names_each_waiting_step(capsys, expected):
    assert main(["cases", str(v2("store.xlsx")), "--settings", str(v2("settings.toml")),
                 "--as-of", expected["as_of"]]) == 0
    out = capsys.readouterr().out
    assert "待交案" in out and expected["not_handed_over"][0] in out and "人保财险" in out


def test_the_collection_workbook_has_a_sheet_per_list_and_totals_on_the_summary(tmp_path, capsys, expected):
    out = tmp_path / "催款清单.xlsx"
    got = run_json(capsys, "overdue", "store.xlsx", expected, "--out", str(out))
    wb = load_workbook(out)
    for sheet, key in (("结案未交接", "not_handed_over"), ("三者款待退", "tp_refunds"), ("核赔退回", "returned"),
                       ("手续费未收回", "commission"), ("旧件未签收", "old_parts")):
        rows = [r for r in wb[sheet].iter_rows(min_row=4, values_only=True) if r[0] is not None]
        assert len(rows) == len(got[key]), sheet
    listed = [r[0] for r in wb["三者款待退"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert sorted(listed) == sorted(expected["tp_waiting"])
    untyped = [r for r in wb["三者款待退"].iter_rows(min_row=4, values_only=True) if r[0] and r[4].startswith("未登记")]
    assert untyped and all(r[3] is None for r in untyped)  # nobody typed the amount yet
    summary = {r[0]: r for r in wb["汇总"].iter_rows(values_only=True) if r[0]}
    assert summary["结案未交接"][1] == len(expected["not_handed_over"])
    assert summary["三者款待退"][1] == len(expected["tp_waiting"])
    assert summary["手续费未收回"][1] == len(expected["commission"])
    assert summary["手续费未收回"][2] == round(sum(r["outstanding"] for r in expected["commission"]), 2)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_case_tracking_workbook_with_the_same_values(tmp_path, capsys, expected):
    from tests.commands.test_validate_store import soffice_resave

    out = tmp_path / "案件跟踪.xlsx"
    got = run_json(capsys, "cases", "store.xlsx", expected, "--out", str(out))
    resaved = load_workbook(soffice_resave(out, tmp_path / "lo"), data_only=True)
    rows = [r for r in resaved["案件跟踪"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert [(r[0], r[4]) for r in rows] == [(c["claim_no"], c["step"]) for c in got["cases"]]
    table = {r[0]: r[4] for r in resaved["保险公司对比"].iter_rows(min_row=4, max_row=3 + len(got["insurers"]),
                                                                 values_only=True)}
    assert table == pytest.approx({r["insurer"]: r["avg_days_to_pay"] for r in got["insurers"]})
