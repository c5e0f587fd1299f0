"""A package whose parts are damaged: the scan for error cells steps aside, and what the clerk gets is
the reader's answer — the rows it can read, or its one clear refusal (WorkbookUnreadable, exit 2) —
never a parser's traceback (the whole corpus found one: a bit flipped in workbook.xml.rels' XML
declaration)."""
import zipfile

import pytest

from insurance_xl.errors import WorkbookUnreadable
from insurance_xl.reading.store import read_store
from insurance_xl.xlsx.cell_marks import cell_marks
from insurance_xl.xlsx.parts import resolve

from tests.conftest import make_workbook


def damaged(path, part, old, new):
    with zipfile.ZipFile(path) as archive:
        items = [(i, archive.read(i.filename)) for i in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            archive.writestr(info, data.replace(old, new, 1) if info.filename == part else data)
    return path


@pytest.mark.parametrize("part, old, new, readable", [
    ("xl/_rels/workbook.xml.rels", b'version="1.0"', b'versioN="1.0"', True),  # the Rust reader copes
    ("xl/workbook.xml", b"<sheets>", b"<sheets", False),
])
def test_a_damaged_part_is_read_or_refused_clearly_never_a_traceback(tmp_path, part, old, new, readable):
    store = make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": [["报案号", "报案日期", "车牌号"],
                                                                     ["BA1", "2026-10-01", "京A1"]]})
    damaged(store, part, old, new)
    assert cell_marks(store) == {}
    if readable:
        assert list(read_store(store)["claims"]["claim_no"]) == ["BA1"]
    else:
        with pytest.raises(WorkbookUnreadable):
            read_store(store)


def test_a_relationship_target_climbing_above_the_package_stays_at_its_root():
    assert resolve("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve("xl/workbook.xml", "../../../evil.xml") == "evil.xml"


def test_the_safety_scan_names_the_sheets_with_marks_and_only_those_are_inflated_again(tmp_path):
    """The sheet checks stream every part anyway: they say which sheets hold an error value or a formula,
    and cell_marks looks only at the sheets it is given (a dealer group's sheets are gigabytes of XML)."""
    from openpyxl import load_workbook

    from insurance_xl.xlsx.sheet_checks import SheetChecks

    store = make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": [["报案号", "报案日期", "车牌号"], ["BA1", "2026-10-01", "京A1"]],
                                                   "备注": [["a"], ["b"]]})
    book = load_workbook(store)
    book["备注"]["B2"] = "=1+1"  # saved by openpyxl: a formula without its value
    book.save(store)
    checks = SheetChecks(store)
    try:
        checks.finish()
        assert not checks.marked("客户出险统计表") and checks.marked("备注")
    finally:
        checks.close()
    assert set(cell_marks(store, only=["备注"])) == {"备注"} == set(cell_marks(store))
    assert cell_marks(store, only=["客户出险统计表"]) == {}  # told to look at a sheet without one, it finds none
