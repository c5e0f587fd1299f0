"""The worksheets checked ahead on a thread (xlsx/sheet_checks.py) refuse what check_workbook_file refuses,
before the Rust reader parses the sheet concerned: a sheet before the bad one passes, the bad one raises
at its turn, a bad part nobody parses still refuses the file at the end, and the workbook's own parts
are checked before anything is opened."""
import pytest

from insurance_xl.errors import WorkbookUnreadable
from insurance_xl.reading.store import read_store
from insurance_xl.xlsx.safety import check_workbook_file
from insurance_xl.xlsx.sheet_checks import SheetChecks

from tests.conftest import make_workbook
from tests.corpus import add_rows, edit_part, sheet_parts

FAR = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'


def _store(tmp_path, name="store.xlsx"):
    return make_workbook(tmp_path / name, {
        "客户出险统计表": [["报案号", "报案日期", "车牌号"], ["BA1", "2026-10-01", "京A1"]],
        "备注": [["说明"], ["x"]],
        "第三张": [["y"]],
    })


def _with(path, part_index, change):
    data = path.read_bytes()
    path.write_bytes(edit_part(data, sheet_parts(data)[part_index], change))
    return path


def test_a_sheet_before_the_bad_one_passes_and_the_bad_one_raises_at_its_turn(tmp_path):
    store = _with(_store(tmp_path), 1, lambda xml: add_rows(xml, FAR))
    checks = SheetChecks(store)
    try:
        checks.wait("客户出险统计表")
        assert checks.marked("客户出险统计表") is False
        with pytest.raises(WorkbookUnreadable, match="XFD1048576") as info:
            checks.wait("备注")
        assert info.value.sheet == "备注"
        with pytest.raises(WorkbookUnreadable, match="XFD1048576"):
            checks.finish()
    finally:
        checks.close()
    with pytest.raises(WorkbookUnreadable, match="XFD1048576"):  # and the reader says what check_workbook_file says
        read_store(store)
    with pytest.raises(WorkbookUnreadable, match="XFD1048576"):
        check_workbook_file(store)


def test_a_bad_sheet_the_reader_never_parses_still_refuses_the_file(tmp_path):
    store = _with(_store(tmp_path), 2, lambda xml: xml.replace(b"<sheetData>", b"<!DOCTYPE x><sheetData>", 1))
    checks = SheetChecks(store)
    try:
        checks.wait("客户出险统计表")
        with pytest.raises(WorkbookUnreadable, match="DTD"):
            checks.finish()
    finally:
        checks.close()


def test_the_workbooks_own_parts_are_checked_before_any_sheet(tmp_path):
    store = _store(tmp_path)
    data = edit_part(store.read_bytes(), "xl/styles.xml", lambda xml: b"<!DOCTYPE x>" + xml)
    store.write_bytes(data)
    with pytest.raises(WorkbookUnreadable, match="DTD"):
        SheetChecks(store)


def test_a_sheet_holding_a_formula_is_marked_for_cell_marks(tmp_path):
    from openpyxl import load_workbook

    store = _store(tmp_path)
    book = load_workbook(store)
    book["第三张"]["B1"] = "=1+1"
    book.save(store)
    checks = SheetChecks(store)
    try:
        checks.finish()
        assert [checks.marked(s) for s in ("客户出险统计表", "备注", "第三张")] == [False, False, True]
    finally:
        checks.close()
