"""The 案件跟踪 button's glue on xlwings' remote Book holding the sample store: it lists the cases of
`insurance-xl cases --json`, open cases first by step, and the insurers compared below them."""
from __future__ import annotations

from insurance_xl.excel import macros
from insurance_xl.excel.cases import case_tracking_in
from insurance_xl.excel.layout import BUTTONS
from insurance_xl.outputs import CASES_SHEET
from insurance_xl.registers import REGISTERS

from tests.remote_book import remote, written  # noqa: F401 (fixture)
from tests.excel.test_excel_macros import LATER, cli_json, sheet_rows, store_sheets  # noqa: F401 (fixture)


def test_case_tracking_lists_the_cases_of_cases_json_open_ones_first(remote, store_sheets):
    book = remote(store_sheets)
    case_tracking_in(book, LATER)  # 看板's 评估日期 wins over "today"
    expected = cli_json("cases")
    rows = sheet_rows(book, list(store_sheets), CASES_SHEET, 3)
    claim = REGISTERS["claims"].column("claim_no").header
    assert [(r[claim], r["等待环节"]) for r in rows] == [(c["claim_no"], c["step"]) for c in expected["cases"]]
    cells = written(book, list(store_sheets), CASES_SHEET)
    top = 3 + len(rows) + 4  # the insurer table's header, below a title
    insurers = []
    r = top + 1
    while (r, 1) in cells:
        insurers.append((cells[(r, 1)], cells[(r, 2)], cells.get((r, 3)) or None))  # empty: none paid
        r += 1
    assert insurers == [(i["insurer"], i["cases"], i["avg_days_to_pay"]) for i in expected["insurers"]]


def test_the_case_tracking_button_runs_the_entry_point_of_the_glue():
    button = next(b for b in BUTTONS if b.caption == "案件跟踪")
    assert button.macro == "CaseTracking" and callable(macros.case_tracking)
