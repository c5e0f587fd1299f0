"""A path that holds no register is an input error (exit 2, one line), never a month of zeros (issue 20)."""
from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from insurance_xl import cli
from insurance_xl.errors import RegisterMissing
from insurance_xl.excel import macros
from insurance_xl.outputs import BOARD_SHEET

from tests.desktop_engine import desktop  # noqa: F401 (fixture)


@pytest.fixture
def no_registers(tmp_path):
    wb = Workbook()
    wb.active.title = "随手记"
    wb.active["A1"] = "下周一交车"
    path = tmp_path / "notes.xlsx"
    wb.save(path)
    return path


@pytest.mark.parametrize("args", [["kpi", "--month", "2026-10"], ["overdue"], ["calls"], ["report", "--month", "2026-10"],
                                  ["validate"]])
def test_a_workbook_without_registers_exits_2_with_one_line(no_registers, tmp_path, capsys, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    command, *rest = args
    assert cli.main([command, str(no_registers), "--as-of", "2026-11-24", *rest]) == cli.EXIT_UNREADABLE
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "没有找到任何登记表" in err and "notes.xlsx" in err


def test_an_empty_folder_exits_2_too(tmp_path, capsys):
    (tmp_path / "空").mkdir()
    code = cli.main(["kpi", str(tmp_path / "空"), "--month", "2026-10"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_UNREADABLE and err.count("\n") == 1, err


def test_a_button_on_a_book_without_registers_says_so(desktop):
    book = desktop({BOARD_SHEET: [[None]], "随手记": [["下周一交车"]]})
    for glue in (macros.refresh_kpis_in, macros.flag_overdue_in, macros.renewal_calls_in, macros.validate_in):
        with pytest.raises(RegisterMissing, match="没有找到任何登记表"):
            glue(book, dt.date(2026, 11, 24))
