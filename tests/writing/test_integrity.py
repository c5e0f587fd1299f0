"""The integrity stamp of a validated workbook: what it covers, what it ignores, how it names changes."""
import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

from insurance_xl.cli import main
from insurance_xl.writing.integrity import SheetCells, make_stamp, read_stamp, verify_workbook_stamp
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context, Settings
from insurance_xl.core.validation.validate import validate
from insurance_xl.writing.validated_book import typed_text, write_validated_workbook

from tests.conftest import make_workbook

CLAIMS = [["某店 客户出险统计表"], ["报案号", "报案日期", "车牌号", "定损金额", "备注"]] + [
    [f"BA{i}", f"2026-10-{i % 28 + 1:02d}", f"京A{i:04d}", 1000 + i, None] for i in range(1, 151)]
HANDOVERS = [["报案号", "交接日期", "交接金额", "签字确认"], ["BA1", "2026-10-05", 1001, "是"], ["BA404", "2026-10-06", 5, "否"]]


@pytest.fixture()
def validated(tmp_path):
    source = make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": CLAIMS, "保险公司案件交接单登记表": HANDOVERS,
                                                     "备忘": [["随手记"]]})
    registers = read_store(source)
    validation = validate(registers, Context(Settings(), dt.date(2026, 11, 24)))
    out = tmp_path / "validated.xlsx"
    stamp = write_validated_workbook(source, out, registers, validation, as_of=dt.date(2026, 11, 24),
                                     now=dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    return out, stamp, validation


def edit(path, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


def test_stamp_records_time_ruleset_counts_and_the_register_sheets(validated):
    out, stamp, validation = validated
    kept = read_stamp(out)
    assert kept == stamp
    assert (kept.validated_at, kept.errors, kept.warnings) == ("2026-11-24T09:30:00+08:00", validation.errors,
                                                               validation.warnings)
    assert kept.sheets == ("保险公司案件交接单登记表", "客户出险统计表")  # not the note sheet, not ours


def test_restyling_commenting_and_our_own_sheets_do_not_count_as_changes(validated):
    out, _, _ = validated

    def restyle(wb):
        ws = wb["客户出险统计表"]
        ws["A5"].fill = PatternFill("solid", fgColor="00FF00")
        ws["B7"].comment = Comment("核对过", "审计")
        ws.column_dimensions["C"].width = 30
        wb["校验结果"]["A1"] = "看过了"
        wb["备忘"]["A2"] = "不是登记表"
    edit(out, restyle)
    assert verify_workbook_stamp(out).unchanged


@pytest.mark.parametrize("change,named", [
    (lambda wb: wb["客户出险统计表"].cell(row=100, column=4, value=9999), ["客户出险统计表!D100"]),
    (lambda wb: wb["客户出险统计表"].cell(row=7, column=5, value="加了备注"), ["客户出险统计表!E7"]),
    (lambda wb: setattr(wb["客户出险统计表"]["A40"], "value", None), ["客户出险统计表!A40"]),
    (lambda wb: wb["客户出险统计表"].append(["BA999", "2026-11-01", "京B1", 5]),
     ["客户出险统计表!A153", "客户出险统计表!B153", "客户出险统计表!C153", "客户出险统计表!D153"]),
    (lambda wb: wb["保险公司案件交接单登记表"].cell(row=3, column=4, value="是"), ["保险公司案件交接单登记表!D3"]),
    (lambda wb: wb["客户出险统计表"].cell(row=1, column=1, value="改了标题"), ["客户出险统计表!A1"]),
])
def test_a_changed_added_or_cleared_cell_is_named(validated, change, named):
    out, _, _ = validated
    edit(out, change)
    result = verify_workbook_stamp(out)
    assert not result.unchanged and list(result.changed_cells) == named


def test_two_changes_in_different_rows_and_columns_are_both_named(validated):
    out, _, _ = validated

    def two(wb):
        wb["客户出险统计表"]["D10"] = 1
        wb["客户出险统计表"]["B120"] = "2026-01-01"
    edit(out, two)
    assert verify_workbook_stamp(out).changed_cells == ("客户出险统计表!D10", "客户出险统计表!B120")


def test_a_removed_sheet_a_new_register_sheet_and_an_edited_stamp_are_reported(validated):
    out, _, _ = validated
    edit(out, lambda wb: setattr(wb["保险公司案件交接单登记表"], "title", "交接"))
    notes = verify_workbook_stamp(out).notes
    assert any("保险公司案件交接单登记表" in n and "删除或改名" in n for n in notes)
    assert any("新增了登记表工作表「交接」" in n for n in notes)


def test_editing_the_counts_in_the_stamp_is_caught(validated, capsys):
    out, _, _ = validated

    def forge(wb):
        ws = wb["_integrity"]
        row = next(r for r in ws.iter_rows() if r[0].value == "错误条数")
        row[1].value = "0"
        props = wb.custom_doc_props
        for prop in list(props):
            if prop.name == "insurance-xl-errors":
                prop.value = "0"
    edit(out, forge)
    assert main(["validate", "--verify", str(out), "--json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["changed"] == [] and any("印章" in n for n in payload["notes"])


def test_a_workbook_without_a_stamp_cannot_be_verified(tmp_path, capsys):
    path = make_workbook(tmp_path / "s.xlsx", {"客户出险统计表": CLAIMS})
    assert verify_workbook_stamp(path) is None
    assert main(["validate", "--verify", str(path)]) == 2
    assert "没有完整性印章" in capsys.readouterr().err


def test_the_seal_is_over_values_and_their_places_not_over_how_the_grid_was_cut():
    import pandas as pd

    grid = pd.DataFrame({0: ["a", None, "c"], 1: [None, None, None], 2: ["x", "y", None]}, dtype="str")
    narrow = pd.DataFrame({0: ["a", None, "c"], 1: ["x", "y", None]}, dtype="str")
    wide = make_stamp({"S": SheetCells.from_grid(grid, [0, 1, 2])}, validated_at="t", ruleset="r", as_of="d",
                      errors=0, warnings=0)
    same = make_stamp({"S": SheetCells.from_grid(narrow, [0, 2])}, validated_at="t", ruleset="r", as_of="d",
                      errors=0, warnings=0)
    moved = make_stamp({"S": SheetCells.from_grid(narrow, [0, 1])}, validated_at="t", ruleset="r", as_of="d",
                       errors=0, warnings=0)
    assert wide.sha256 == same.sha256 != moved.sha256


@pytest.mark.parametrize("text,value", [("900", 900), ("4749.12", 4749.12), ("-35.5", -35.5), ("00123", "00123"),
                                        ("2026-10-01 00:00:00", dt.datetime(2026, 10, 1)), ("true", True),
                                        ("京A1", "京A1"), (None, None)])
def test_a_frozen_formula_takes_the_value_the_reader_read_for_it(text, value):
    assert typed_text(text) == value and type(typed_text(text)) is type(value)


def test_the_canonical_form_is_pinned_so_stamps_made_by_earlier_versions_still_verify():
    """Stamps live in auditors' workbooks for years: the hash and the location digests of a fixed
    grid must not change with the code that computes them (values from the first implementation)."""
    grid = pd.DataFrame({0: pd.array(["a", None, "", "x y"], dtype="str"), 1: pd.array([None, "2", "中文\n3", None], dtype="str")})
    stamp = make_stamp({"S": SheetCells.from_grid(grid, [0, 3])}, validated_at="t", ruleset="r", as_of="d",
                       errors=0, warnings=0)
    assert stamp.sha256 == "568d9bc5e519992ece07f1ea45dafbaa72b38cde708491e8dd8f21d1ce0188f3"
    assert stamp.locator == {"S": {"rows": {1: "702f70168e", 2: "37f7402009", 3: "7fea87b0cc", 4: "d1ded3c461"},
                                   "blocks": {"A:0": "1c055a3bf7", "D:0": "3294cd29d6"}}}
