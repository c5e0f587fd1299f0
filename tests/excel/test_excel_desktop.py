"""Each button's glue on the desktop stand-in (tests/desktop_engine.py): the path desktop Excel takes,
with COM's values, and nothing the Windows engine lacks. The numbers are the CLI's (issue 20's bar)."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil

import pytest
from openpyxl import load_workbook

from insurance_xl import cli
from insurance_xl.excel import macros
from insurance_xl.excel.layout import STATUS_ROW
from insurance_xl.excel.results import OVERDUE_COLOR, VALIDATION_COLUMNS
from insurance_xl.outputs import (BOARD_SHEET, CASES_SHEET, FIRST_INSURANCE_SHEET, OVERDUE_SHEET, PHONE_SHEET,
                                  RECONCILE_SHEET, RESULTS_SHEET, SMS_SHEET)
from insurance_xl.registers import REGISTERS

from tests.conftest import sample
from tests.desktop_engine import alerts, desktop, refused, store, windows_members  # noqa: F401 (fixture)
from tests.excel.test_excel_macros import assert_same_report_as_the_cli, store_sheets, with_board  # noqa: F401 (fixture)

AS_OF_DAY = "2026-11-24"
MONTH_TEXT = "2026-10"
LATER = dt.date(2030, 1, 1)  # "today" when the buttons run: 看板's 评估日期 wins over it


def cli_json(*args: str) -> dict:
    command, *rest = args
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main([command, str(sample("store.xlsx")), "--settings", str(sample("settings.toml")),
                         "--as-of", AS_OF_DAY, "--json", *rest])
    assert code in (cli.EXIT_OK, cli.EXIT_DATA_ERRORS), out.getvalue()
    return json.loads(out.getvalue())


def table(book, sheet: str, header_row: int) -> list[dict]:
    """The table a button wrote under `header_row`, as dicts keyed by header (COM's values)."""
    values = store(book, sheet).values
    width = max(c for r, c in values if r == header_row)
    headers = [values.get((header_row, j)) for j in range(1, width + 1)]
    rows, r = [], header_row + 1
    while any((r, j) in values for j in range(1, width + 1)):
        rows.append({h: values.get((r, j)) for j, h in enumerate(headers, start=1)})
        r += 1
    return rows


LANDSCAPE_ONE_PAGE_WIDE = {"Orientation": 2, "Zoom": False, "FitToPagesWide": 1, "FitToPagesTall": False}


def printed_as_list(book, sheet: str, header_row: int, rows: int) -> None:
    """The list under `header_row` prints as the CLI's lists do and has Excel's filter on its header,
    over its `rows` rows, all through COM (PrintCommunication given back to the printer afterwards)."""
    written = store(book, sheet)
    width = max(c for r, c in written.values if r == header_row)
    assert written.page_setup == {**LANDSCAPE_ONE_PAGE_WIDE, "PrintTitleRows": f"${header_row}:${header_row}"}, sheet
    assert written.autofilter == (header_row, 1, max(rows, 1) + 1, width), sheet
    assert book.impl.print_communication[-1] is True


def number(value: object) -> object:
    """A JSON number as COM hands it back (every number a float)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


# ---- the stand-in is strict where desktop Excel is ----------------------------------------------

def test_the_stand_in_refuses_freeze_panes_as_the_windows_engine_does(desktop, store_sheets):
    assert "freeze_panes" in refused("Sheet") and "freeze_panes" not in windows_members()["Sheet"]
    book = desktop(store_sheets)
    assert book.app.engine.type == "desktop"
    with pytest.raises(NotImplementedError):
        book.sheets[0].freeze_panes.freeze_at("3:3")


def test_the_stand_in_hands_values_over_as_com_does(desktop, store_sheets):
    book = desktop({"A": [["0123", 5, dt.date(2026, 10, 3), None]]})
    sheet = book.sheets["A"]
    assert sheet.range("A1:D1").value == ["0123", 5.0, dt.datetime(2026, 10, 3), None]
    sheet.range("A2").value = [["0123", "'=1+1"]]
    assert sheet.range("A2:B2").value == [123.0, "=1+1"]  # General cell: Excel makes a number of it


# ---- every button ---------------------------------------------------------------------------------

def test_refresh_kpis_on_desktop_writes_the_numbers_of_kpi_json(desktop, store_sheets):
    from insurance_xl.excel import board

    book = desktop(store_sheets)
    kpis = macros.refresh_kpis_in(book, LATER)
    values = store(book, BOARD_SHEET).values
    expected = cli_json("kpi", "--month", MONTH_TEXT)
    assert values[(STATUS_ROW, 2)] == f"{MONTH_TEXT} · 评估日期 {AS_OF_DAY}"
    for cell in board.rate_cells():
        assert values.get((cell.row, 2)) == number(expected[cell.key]), cell.key
        assert (values.get((cell.row, 3)), values.get((cell.row, 4))) == tuple(map(number, kpis.fraction(cell.key)))
    for cell in board.money_cells():
        assert values.get((cell.row, 2)) == number(expected[cell.key]), cell.key
    for cell in board.count_cells():
        assert values.get((cell.row, 2)) == number(expected["counts"][cell.key]), cell.key


def test_validate_on_desktop_lists_every_finding_of_validate_json(desktop, store_sheets):
    book = desktop(store_sheets)
    validation = macros.validate_in(book, LATER)
    expected = cli_json("validate")
    header = {c.key: c.header for c in VALIDATION_COLUMNS}
    rows = table(book, RESULTS_SHEET, 3)
    key = lambda sheet, row, column, rule: (sheet, int(row) if row else None, column or None, rule)  # noqa: E731
    assert sorted(key(r[header["sheet"]], r[header["row"]], r[header["column"]], r[header["rule"]])
                  for r in rows) == sorted(key(f["sheet"], f["row"], f["column"], f["rule"])
                                           for f in expected["findings"])
    assert (validation.errors, validation.warnings) == (expected["errors"], expected["warnings"])
    sheet = store(book, RESULTS_SHEET)
    assert sheet.frozen == (3, 0)  # the header row stays on screen, through the window as COM offers it
    printed_as_list(book, RESULTS_SHEET, 3, len(rows))
    assert sheet.colors[(4, 1)] == "#FFC7CE"


def test_flag_overdue_on_desktop_lists_what_overdue_json_lists_and_colours_those_rows(desktop, store_sheets):
    book = desktop(store_sheets)
    flags = macros.flag_overdue_in(book, LATER)
    expected = cli_json("overdue")
    claim = REGISTERS["handovers"].column("claim_no").header
    rows = table(book, OVERDUE_SHEET, 3)
    assert [(r[claim], r["逾期天数"], r["未回款金额"]) for r in rows] == \
        [(o["claim_no"], number(o["days_overdue"]), number(o["outstanding"])) for o in expected["overdue"]]
    handovers = store(book, REGISTERS["handovers"].sheet)
    coloured = sorted({r for (r, c), colour in handovers.colors.items() if colour == OVERDUE_COLOR})
    assert coloured == sorted(int(r) for r in flags.overdue["_row"])
    assert store(book, OVERDUE_SHEET).frozen == (3, 0)
    printed_as_list(book, OVERDUE_SHEET, 3, len(rows))  # the filter stops above the band totals


def test_renewal_calls_on_desktop_list_the_customers_of_calls_json(desktop, store_sheets):
    book = desktop(store_sheets)
    macros.renewal_calls_in(book, LATER)
    expected = cli_json("calls")
    archive = REGISTERS["contacts"].column("archive_no").header
    for sheet, method in ((SMS_SHEET, "sms"), (PHONE_SHEET, "phone")):
        rows = table(book, sheet, 3)
        assert sorted(r[archive] for r in rows) == sorted(c["archive_no"] for c in expected[method]), sheet
        assert store(book, sheet).frozen == (3, 0)
        printed_as_list(book, sheet, 3, len(rows))
    printed_as_list(book, FIRST_INSURANCE_SHEET, 3, len(table(book, FIRST_INSURANCE_SHEET, 3)))


def test_case_tracking_on_desktop_prints_and_filters_the_case_list(desktop, store_sheets):
    from insurance_xl.excel.cases import case_tracking_in

    book = desktop(store_sheets)
    case_tracking_in(book, LATER)
    cases = table(book, CASES_SHEET, 3)
    assert len(cases) > 10 and store(book, CASES_SHEET).frozen == (3, 0)
    printed_as_list(book, CASES_SHEET, 3, len(cases))  # not over the insurers compared below it


def test_pressing_a_button_again_leaves_one_filter_over_the_new_list(desktop, store_sheets):
    book = desktop(store_sheets)
    macros.validate_in(book, LATER)
    store(book, RESULTS_SHEET).autofilter = (3, 1, 999, 9)  # the first press's, over a longer list
    macros.validate_in(book, LATER)
    printed_as_list(book, RESULTS_SHEET, 3, len(table(book, RESULTS_SHEET, 3)))


def test_monthly_report_on_desktop_writes_the_report_the_cli_writes(desktop, store_sheets, tmp_path):
    book = desktop(store_sheets, str(tmp_path / "insurance.xlsm"))
    path = macros.monthly_report_in(book, LATER, macros.book_folder(book))
    assert_same_report_as_the_cli(path, tmp_path)


def test_reconcile_on_desktop_shows_the_summary_of_reconcile(desktop, store_sheets, tmp_path):
    from insurance_xl.excel.reconcile import reconcile_in

    statement = tmp_path / "人保财险10月对账单.xlsx"
    shutil.copyfile(sample("statement.xlsx"), statement)
    book = desktop(with_board(store_sheets, insurer="人保财险", statement=statement.name),
                        str(tmp_path / "insurance.xlsm"))
    done = reconcile_in(book, LATER, macros.book_folder(book))
    values = store(book, RECONCILE_SHEET).values
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["reconcile", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")),
                         "--as-of", AS_OF_DAY, "--month", MONTH_TEXT, "--insurer", "人保财险",
                         "--statement", str(statement), "--out", str(tmp_path / "cli.xlsx")]) == cli.EXIT_OK
    shown = [values.get((r, 1)) for r in range(3, 3 + len(done.lines))]
    assert shown == [line for line in out.getvalue().splitlines() if not line.startswith("对账工作簿")]
    assert done.workbook is not None and done.workbook.exists()
    assert store(book, RECONCILE_SHEET).page_setup == LANDSCAPE_ONE_PAGE_WIDE  # lines of text: no header, no filter


def test_every_entry_point_runs_on_desktop_without_an_error_box(desktop, store_sheets, tmp_path, monkeypatch):
    """The RunPython entry points themselves, as a button press runs them (Book.caller() mocked)."""
    import xlwings as xw

    statement = tmp_path / "statement.xlsx"
    shutil.copyfile(sample("statement.xlsx"), statement)
    sheets = with_board(store_sheets, insurer="人保财险", statement=statement.name)
    opened: list[str] = []
    for entry in (macros.refresh_kpis, macros.validate, macros.flag_overdue, macros.renewal_calls,
                  macros.reconcile, macros.monthly_report):
        book = desktop(sheets, str(tmp_path / "insurance.xlsm"))
        monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda book=book: book))
        monkeypatch.setattr(xw, "Book", _Opener(xw.Book, opened))
        entry()
        monkeypatch.undo()
        shown = alerts(book)
        assert all(mode != "critical" for _, _, mode in shown), (entry.__name__, shown)
    assert len(opened) == 2  # the reconciliation workbook and the report were opened for the clerk


class _Opener:
    """xw.Book(path) opens a file in Excel: here it is only noted."""

    def __init__(self, book_class, opened: list[str]) -> None:
        self.book_class, self.opened = book_class, opened
        self.caller = book_class.caller

    def __call__(self, path: str):
        self.opened.append(path)
