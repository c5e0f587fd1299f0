"""Each button's glue on a real xw.Book (xlwings' remote engine) holding the sample store: it writes
the same numbers as the matching CLI command on the same data (issue 8's bar)."""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook

from insurance_xl import cli
from insurance_xl.excel import macros
from insurance_xl.excel.book import BookInputError
from insurance_xl.outputs import BOARD_SHEET, OVERDUE_SHEET, PHONE_SHEET, RECONCILE_SHEET, RESULTS_SHEET, SMS_SHEET
from insurance_xl.excel.layout import AS_OF, INSURER, MONTH, STATEMENT, STATUS_ROW
from insurance_xl.excel.results import OVERDUE_COLOR, VALIDATION_COLUMNS
from insurance_xl.registers import REGISTERS
from insurance_xl.settings import load_settings

from tests.conftest import sample
from tests.remote_book import actions, remote, settings_rows, workbook_sheets, written  # noqa: F401 (fixture)

AS_OF_DAY = "2026-11-24"  # the sample's answers are as of this day
MONTH_TEXT = "2026-10"
LATER = dt.date(2030, 1, 1)  # "today" when the buttons run: 看板's 评估日期 must win over it


@pytest.fixture(scope="module")
def store_sheets() -> dict[str, list[list[object]]]:
    """The sample store as a book: 看板 asking for 2026-10 as of 2026-11-24, the registers, 设置."""
    rows: list[list[object]] = [[None, None] for _ in range(max(MONTH.row, AS_OF.row, INSURER.row, STATEMENT.row))]
    rows[MONTH.row - 1][1] = MONTH_TEXT
    rows[AS_OF.row - 1][1] = dt.datetime.fromisoformat(AS_OF_DAY)
    sheets = {BOARD_SHEET: rows, **workbook_sheets(sample("store.xlsx"))}
    sheets["设置"] = settings_rows(load_settings(sample("settings.toml")))
    return sheets


def cli_json(*args: str) -> dict:
    """`insurance-xl COMMAND store.xlsx --settings … --as-of … --json ARGS` as the CLI prints it."""
    command, *rest = args
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main([command, str(sample("store.xlsx")), "--settings", str(sample("settings.toml")),
                         "--as-of", AS_OF_DAY, "--json", *rest])
    assert code in (cli.EXIT_OK, cli.EXIT_DATA_ERRORS), out.getvalue()
    return json.loads(out.getvalue())


def sheet_rows(book, start, sheet: str, header_row: int) -> list[dict]:
    """The table a button wrote under `header_row`, as dicts keyed by header."""
    cells = written(book, start, sheet)
    width = max(c for r, c in cells if r == header_row)
    headers = [cells[(header_row, j)] for j in range(1, width + 1)]
    rows, r = [], header_row + 1
    while (r, 1) in cells:
        rows.append({h: cells.get((r, j)) for j, h in enumerate(headers, start=1)})
        r += 1
    return rows


def test_refresh_kpis_writes_the_numbers_of_kpi_json(remote, store_sheets):
    from insurance_xl.excel import board

    book = remote(store_sheets)
    kpis = macros.refresh_kpis_in(book, LATER)
    cells = written(book, list(store_sheets), BOARD_SHEET)
    expected = cli_json("kpi", "--month", MONTH_TEXT)
    assert cells[(STATUS_ROW, 2)] == f"{MONTH_TEXT} · 评估日期 {AS_OF_DAY}"
    for cell in board.rate_cells():
        assert cells[(cell.row, 2)] == expected[cell.key], cell.key
        assert (cells[(cell.row, 3)], cells[(cell.row, 4)]) == kpis.fraction(cell.key)
    for cell in board.money_cells():
        assert cells[(cell.row, 2)] == expected[cell.key], cell.key
    for cell in board.count_cells():
        assert cells[(cell.row, 2)] == expected["counts"][cell.key], cell.key
    insurers = sheet_rows(book, list(store_sheets), BOARD_SHEET, board.BREAKDOWN_TOP + 1)
    assert [r["保单数"] for r in insurers] == kpis.by_insurer["policies"].tolist()


def test_validate_lists_every_finding_of_validate_json_errors_first_in_red(remote, store_sheets):
    book = remote(store_sheets)
    validation = macros.validate_in(book, LATER)
    expected = cli_json("validate")
    start = list(store_sheets)
    header = {c.key: c.header for c in VALIDATION_COLUMNS}
    rows = sheet_rows(book, start, RESULTS_SHEET, 3)
    key = lambda sheet, row, column, rule: (sheet, row or None, column or None, rule)  # noqa: E731 ("" = empty)
    assert sorted(key(r[header["sheet"]], r[header["row"]], r[header["column"]], r[header["rule"]]) for r in rows) == \
        sorted(key(f["sheet"], f["row"], f["column"], f["rule"]) for f in expected["findings"])
    assert (validation.errors, validation.warnings) == (expected["errors"], expected["warnings"])
    colours = [(a["start_row"] + 1, a["row_count"], a["args"][0]) for a in actions(book, start, "setRangeColor",
                                                                                     RESULTS_SHEET)]
    assert colours[-2:] == [(4, expected["errors"], "#FFC7CE"),
                            (4 + expected["errors"], expected["warnings"], "#FFEB9C")]


def test_flag_overdue_lists_what_overdue_json_lists_and_colours_those_handover_rows(remote, store_sheets):
    book = remote(store_sheets)
    flags = macros.flag_overdue_in(book, LATER)
    expected = cli_json("overdue")
    start = list(store_sheets)
    rows = sheet_rows(book, start, OVERDUE_SHEET, 3)
    claim = REGISTERS["handovers"].column("claim_no").header
    assert [(r[claim], r["逾期天数"], r["未回款金额"]) for r in rows] == \
        [(o["claim_no"], o["days_overdue"], o["outstanding"]) for o in expected["overdue"]]
    handover_sheet = REGISTERS["handovers"].sheet
    coloured = [a["start_row"] + 1 for a in actions(book, start, "setRangeColor", handover_sheet)
                if a["args"][0] == OVERDUE_COLOR]
    assert sorted(coloured) == sorted(int(r) for r in flags.overdue["_row"])
    assert len(coloured) == len(expected["overdue"])


def test_renewal_calls_lists_the_customers_of_calls_json(remote, store_sheets):
    book = remote(store_sheets)
    macros.renewal_calls_in(book, LATER)
    expected = cli_json("calls")
    start = list(store_sheets)
    archive = REGISTERS["contacts"].column("archive_no").header
    for sheet, method in ((SMS_SHEET, "sms"), (PHONE_SHEET, "phone")):
        rows = sheet_rows(book, start, sheet, 3)
        assert sorted(r[archive] for r in rows) == sorted(c["archive_no"] for c in expected[method]), sheet
    assert "首保跟进" in [s.name for s in book.sheets]  # the button writes the 首保跟进 list too


def test_monthly_report_writes_the_report_the_cli_writes(remote, store_sheets, tmp_path):
    book = remote(store_sheets)
    path = macros.monthly_report_in(book, LATER, tmp_path)
    assert path.parent == tmp_path / "月报" and path.exists()
    assert_same_report_as_the_cli(path, tmp_path)


def assert_same_report_as_the_cli(path, tmp_path) -> None:
    """The report a button wrote holds, sheet by sheet and cell by cell, what `insurance-xl report` writes."""
    cli_out = tmp_path / "cli.xlsx"
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["report", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")),
                         "--as-of", AS_OF_DAY, "--month", MONTH_TEXT, "--out", str(cli_out)]) == cli.EXIT_OK
    ours, theirs = load_workbook(path), load_workbook(cli_out)
    assert ours.sheetnames == theirs.sheetnames
    for name in ours.sheetnames:
        assert [[c.value for c in row] for row in ours[name].iter_rows()] == \
            [[c.value for c in row] for row in theirs[name].iter_rows()], name


def with_board(store_sheets: dict, **cells: object) -> dict:
    sheets = dict(store_sheets)
    sheets[BOARD_SHEET] = [list(r) for r in store_sheets[BOARD_SHEET]]
    for item in (MONTH, AS_OF, INSURER, STATEMENT):
        if item.key in cells:
            sheets[BOARD_SHEET][item.row - 1][1] = cells[item.key]
    return sheets


def test_reconcile_shows_the_summary_of_reconcile_and_saves_the_workbook_both_sides_sign(remote, store_sheets,
                                                                                          tmp_path):
    from insurance_xl.excel.reconcile import reconcile_in

    statement = tmp_path / "人保财险10月对账单.xlsx"  # beside the workbook, named as the clerk saved it
    shutil.copyfile(sample("statement.xlsx"), statement)
    sheets = with_board(store_sheets, insurer="人保财险", statement=statement.name)
    book = remote(sheets)
    done = reconcile_in(book, LATER, tmp_path)
    cells = written(book, list(sheets), RECONCILE_SHEET)
    shown = [cells[(r, 1)] for r in range(3, 3 + len(done.lines))]
    out = io.StringIO()
    cli_book = tmp_path / "cli.xlsx"
    with contextlib.redirect_stdout(out):
        assert cli.main(["reconcile", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")),
                         "--as-of", AS_OF_DAY, "--month", MONTH_TEXT, "--insurer", "人保财险",
                         "--statement", str(statement), "--out", str(cli_book)]) == cli.EXIT_OK
    assert shown == [line for line in out.getvalue().splitlines() if not line.startswith("对账工作簿")]
    ours, theirs = load_workbook(done.workbook), load_workbook(cli_book)
    assert ours.sheetnames == theirs.sheetnames
    for name in ours.sheetnames:
        assert [[c.value for c in row] for row in ours[name].iter_rows()] == \
            [[c.value for c in row] for row in theirs[name].iter_rows()], name


def test_reconcile_asks_for_the_insurer_and_a_statement_that_exists(remote, store_sheets, tmp_path):
    from insurance_xl.excel.reconcile import reconcile_in

    with pytest.raises(BookInputError, match="对账保险公司"):
        reconcile_in(remote(with_board(store_sheets)), LATER, tmp_path)
    with pytest.raises(BookInputError, match="找不到文件"):
        reconcile_in(remote(with_board(store_sheets, insurer="人保财险", statement="没有这个.xlsx")), LATER, tmp_path)


def test_a_mistyped_month_ends_in_a_message_box_not_a_traceback(remote, store_sheets):
    book = remote(with_board(store_sheets, month="十月"))
    macros.run_button(book, "刷新看板", macros.refresh_kpis_in, LATER)
    alerts = [a["args"] for a in book.json()["actions"] if a["func"] == "alert"]
    assert alerts == [[f"{BOARD_SHEET}!{MONTH.cell}「月份」不是月份：'十月'，请填写如 2026-10", "刷新看板", "ok", "critical", ""]]


def test_a_missing_register_is_named_in_the_message_box(remote, store_sheets):
    sheets = {k: v for k, v in store_sheets.items() if k != REGISTERS["policies"].sheet}
    book = remote(sheets)
    macros.run_button(book, "刷新看板", macros.refresh_kpis_in, LATER)
    (alert,) = [a["args"] for a in book.json()["actions"] if a["func"] == "alert"]
    assert REGISTERS["policies"].sheet in alert[0] and alert[3] == "critical"


def test_a_bug_shows_one_line_not_a_traceback(remote, store_sheets, monkeypatch):
    monkeypatch.delenv("INSURANCE_XL_DEBUG", raising=False)
    book = remote({BOARD_SHEET: store_sheets[BOARD_SHEET]})

    def broken(book, today):
        raise ZeroDivisionError("x")

    macros.run_button(book, "校验", broken, LATER)
    (alert,) = [a["args"] for a in book.json()["actions"] if a["func"] == "alert"]
    assert alert[0].startswith("内部错误（ZeroDivisionError）") and "Traceback" not in alert[0]


def test_the_report_and_reconciliation_need_a_saved_workbook(remote, store_sheets):
    with pytest.raises(BookInputError, match="请先把工作簿保存"):
        macros.book_folder(remote({BOARD_SHEET: store_sheets[BOARD_SHEET]}))


def test_the_kpis_read_only_the_columns_kpi_declares(store_sheets, remote):
    """刷新看板 parses only kpi.USED_COLUMNS: the KPIs, breakdowns and failures must not change."""
    from insurance_xl.demo.store import demo_settings, demo_tables, typed_table
    from insurance_xl.excel.book import read_book
    from insurance_xl.core.kpi import USED_COLUMNS, monthly_kpis
    from insurance_xl.tables import registers_from_tables
    from insurance_xl.settings import Context

    as_of = dt.date(2026, 11, 24)
    full = registers_from_tables({k: typed_table(k, v) for k, v in demo_tables(vehicles=600, as_of=as_of).items()})
    only = {}
    for key, columns in USED_COLUMNS.items():
        table = full[key].copy()
        for column in REGISTERS[key].keys:
            if column not in columns:
                table[column] = table[column].where(pd.Series(False, index=table.index))
        only[key] = table
    ctx = Context(demo_settings(), as_of)
    for month in ("2026-10", "2026-03"):
        a, b = monthly_kpis(full, ctx, month), monthly_kpis(registers_from_tables(only), ctx, month)
        assert a.to_json() == b.to_json()
        for part in ("by_insurer", "by_clerk", "failures", "history"):
            assert getattr(a, part).equals(getattr(b, part)), part
    # the book read that way keeps every row (blank and 合计 rows decided on all columns) and parses
    # only those columns
    used = list(USED_COLUMNS["policies"])
    whole = read_book(remote(store_sheets), ("policies",))["policies"]
    partial = read_book(remote(store_sheets), ("policies",), {"policies": used})["policies"]
    assert partial["_row"].tolist() == whole["_row"].tolist()
    pd.testing.assert_frame_equal(partial[used], whole[used])
    assert partial["customer"].isna().all() and whole["customer"].notna().any()
