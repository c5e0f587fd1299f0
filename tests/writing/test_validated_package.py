"""The validated workbook written by editing the package (issue 19): parts we do not change are the
clerk's bytes, a clerk's note on a marked cell stays above ours, a formula is frozen to its value,
and a package this editor does not handle still gets its validated copy (through openpyxl)."""
import datetime as dt
import zipfile

import openpyxl
import pytest
from openpyxl.comments import Comment

from insurance_xl.cli import main
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context, Settings
from insurance_xl.core.validation.validate import validate
from insurance_xl.writing import validated_book
from insurance_xl.writing.integrity import verify_workbook_stamp
from insurance_xl.writing.validated_book import write_validated_workbook

from tests.conftest import make_workbook, sample

AS_OF = dt.date(2026, 11, 24)
NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
CLAIMS = [["报案号", "报案日期", "车牌号", "定损金额", "结算金额"],
          ["BA1", "2026-10-01", "京A1", 1000, "=D2*0.9"], ["BA1", "2026-10-02", "京A2", 2000, 1800],
          ["BA3", "2026-10-03", "京A3", 3000, 2700]]


def _write(source, out):
    registers = read_store(source)
    validation = validate(registers, Context(Settings(), AS_OF))
    return write_validated_workbook(source, out, registers, validation, as_of=AS_OF, now=NOW), validation


def _edited_by_package(monkeypatch):
    """Fail the test if the openpyxl fallback is taken."""
    def refuse(*args, **kwargs):
        raise AssertionError("fell back to openpyxl")
    monkeypatch.setattr(validated_book, "_write_with_openpyxl", refuse)


def test_the_sample_store_is_edited_in_place_and_unmarked_sheets_keep_their_bytes(tmp_path, monkeypatch):
    _edited_by_package(monkeypatch)
    out = tmp_path / "validated.xlsx"
    assert main(["validate", str(sample("store_errors.xlsx")), "--as-of", AS_OF.isoformat(), "--out", str(out)]) == 1
    assert verify_workbook_stamp(out).unchanged
    with zipfile.ZipFile(sample("store_errors.xlsx")) as before, zipfile.ZipFile(out) as after:
        old = {i.filename: i.CRC for i in before.infolist()}
        new = {i.filename: i.CRC for i in after.infolist()}
        assert "xl/calcChain.xml" not in new
        kept = [n for n in old if n in new and old[n] == new[n]]
        assert any(n.startswith("xl/worksheets/sheet") for n in kept)  # sheets without findings: as they were
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "校验结果" and wb.sheetnames[-1] == "_integrity"
    assert wb.active.title == "校验结果" and wb["_integrity"].sheet_state == "hidden"
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == ["校验结果"]


def test_a_clerks_note_stays_above_ours_and_a_formula_shows_its_value(tmp_path, monkeypatch):
    _edited_by_package(monkeypatch)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户出险统计表"
    for row in CLAIMS:
        ws.append(row)
    ws["A3"].comment = Comment("客户说报案号重复了", "张三")
    source = tmp_path / "store.xlsx"
    wb.save(source)
    # openpyxl keeps no cached value for a formula: the reader sees the cell empty, so must the copy
    out = tmp_path / "validated.xlsx"
    _, validation = _write(source, out)
    assert any(f.location.cell == "A3" for f in validation.findings)
    got = openpyxl.load_workbook(out)
    cell = got["客户出险统计表"]["A3"]
    assert cell.comment.text.startswith("客户说报案号重复了\n——\n【错误】")
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert got["客户出险统计表"]["E2"].value is None and got["客户出险统计表"]["E3"].value == 1800
    assert verify_workbook_stamp(out).unchanged


def test_an_empty_marked_cell_is_created_with_the_fill(tmp_path, monkeypatch):
    _edited_by_package(monkeypatch)
    source = make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": [
        ["报案号", "报案日期", "车牌号"], ["BA1", None, "京A1"], ["BA2", "2026-10-02", "京A2"]]})
    out = tmp_path / "validated.xlsx"
    _, validation = _write(source, out)
    empty = [f for f in validation.findings if f.location.cell == "B2"]
    assert empty, [f.location for f in validation.findings]
    cell = openpyxl.load_workbook(out)["客户出险统计表"]["B2"]
    assert cell.value is None and cell.comment is not None and cell.fill.fill_type == "solid"


def test_a_package_with_our_sheet_already_in_it_falls_back_to_the_full_rewrite(tmp_path):
    source = make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": CLAIMS[:1] + [["BA1", "2026-10-01", "京A1"]] * 2,
                                                     "校验结果": [["旧的"]]})
    out = tmp_path / "validated.xlsx"
    _write(source, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames.count("校验结果") == 1 and wb["校验结果"]["A1"].value != "旧的"
    assert verify_workbook_stamp(out).unchanged


@pytest.mark.parametrize("name", ["store.xlsx", "store_errors.xlsx"])
def test_the_package_writer_and_openpyxl_agree_on_the_results_sheet(tmp_path, monkeypatch, name):
    source = sample(name)
    registers = read_store(source)
    validation = validate(registers, Context(Settings(), AS_OF))
    fast = tmp_path / "fast.xlsx"
    write_validated_workbook(source, fast, registers, validation, as_of=AS_OF, now=NOW)
    slow = tmp_path / "slow.xlsx"
    monkeypatch.setattr(validated_book, "write_validated_package",
                        lambda *a, **k: (_ for _ in ()).throw(validated_book.Unsupported("compare")))
    write_validated_workbook(source, slow, registers, validation, as_of=AS_OF, now=NOW)
    a, b = openpyxl.load_workbook(fast), openpyxl.load_workbook(slow)
    assert a.sheetnames == b.sheetnames
    for sheet in ("校验结果", "_integrity"):
        assert [[c.value for c in r] for r in a[sheet].iter_rows()] == [[c.value for c in r] for r in b[sheet].iter_rows()]
    links = lambda ws: sorted((c.coordinate, c.hyperlink.location) for r in ws.iter_rows() for c in r if c.hyperlink)  # noqa: E731
    assert links(a["校验结果"]) == links(b["校验结果"])
    marked = lambda wb: sorted((ws.title, c.coordinate, c.fill.fgColor.rgb[-6:], c.comment.text)  # noqa: E731
                               for ws in wb.worksheets for r in ws.iter_rows() for c in r if c.comment)
    assert marked(a) == marked(b)


# ---- the sheet editor on its own -------------------------------------------------------------------

from insurance_xl.writing.validated_cells import SheetEdit, frozen  # noqa: E402
from insurance_xl.xlsx.style_edit import StyleSheet  # noqa: E402

STYLES = ('<styleSheet xmlns="x"><fonts count="1"><font/></fonts><fills count="2"><fill/><fill/></fills>'
          '<borders count="1"><border/></borders><cellXfs count="2"><xf numFmtId="0" fillId="0"/>'
          '<xf numFmtId="14" fillId="0" applyNumberFormat="1"/></cellXfs></styleSheet>')


@pytest.mark.parametrize("cell,expected", [
    (b'<c r="E2" s="1"><f>D2*0.9</f><v>900</v></c>', b'<c r="E2" s="1"><v>900</v></c>'),
    (b'<c r="E3" t="str"><f t="shared" si="0"/><v>a&amp;b</v></c>',
     b'<c r="E3" t="inlineStr"><is><t xml:space="preserve">a&amp;b</t></is></c>'),
    (b'<c r="E4" s="2"><f>NOW()</f></c>', b'<c r="E4" s="2"/>'),
    (b'<c r="E5" t="e"><f>1/0</f><v>#DIV/0!</v></c>', b'<c r="E5" t="e"><v>#DIV/0!</v></c>'),
])
def test_a_formula_cell_is_frozen_to_what_it_showed(cell, expected):
    assert frozen(cell, b"") == expected


def test_marks_go_into_existing_cells_missing_cells_and_missing_rows_in_row_order():
    sheet = (b'<worksheet><sheetData><row r="1"><c r="A1" s="1"><v>5</v></c><c r="C1"><v>1</v></c></row>'
             b'<row r="3" spans="1:3"/><row r="5"><c r="B5"><f>A5</f><v>2</v></c></row></sheetData></worksheet>')
    styles = StyleSheet(STYLES)
    fill = styles.fill("FFC7CE")
    edit = SheetEdit(sheet)
    spans = edit.mark({"A1": fill, "B1": fill, "A3": fill, "B4": fill}, styles)
    edit.freeze_formulas(spans)
    out = b"".join(bytes(c) for c in edit.chunks())
    body = out[out.index(b"<sheetData>"):]
    # A1 keeps its date format under the fill (a copy of format 1); the new cells get a copy of 0
    assert body == (b'<sheetData><row r="1"><c r="A1" s="2"><v>5</v></c><c r="B1" s="3"/><c r="C1"><v>1</v></c></row>'
                    b'<row r="3" spans="1:3"><c r="A3" s="3"/></row><row r="4"><c r="B4" s="3"/></row>'
                    b'<row r="5"><c r="B5"><v>2</v></c></row></sheetData></worksheet>')
    text = styles.text()
    assert '<cellXfs count="4">' in text and '<xf numFmtId="14" fillId="2" applyNumberFormat="1" applyFill="1"/>' in text
