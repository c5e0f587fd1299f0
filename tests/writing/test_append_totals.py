"""append_register_rows on a register closed by the clerk's 合计 row: the new rows go above it, the
totals row (and what points at it) moves down, and its sums grow over the new rows."""
import shutil
import subprocess
import uuid
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table

from insurance_xl.reading.store import read_store
from insurance_xl.tables import table_from_records
from insurance_xl.writing.append import append_register_rows

from tests.conftest import make_workbook

HEADERS = ["结算月份", "保险公司", "应收手续费", "开票日期", "到账日期", "到账金额"]
LEDGER = [["2026-07", "人保", 1000], ["2026-08", "人保", 2000.5], ["2026-09", "平安", 300]]
LOCKS = [dict(month="2026-10", insurer="人保", amount_due=400, fingerprint="abc123", locked_on="2026-11-05"),
         dict(month="2026-10", insurer="平安", amount_due=25.25, fingerprint="def456", locked_on="2026-11-05")]


def ledger_with_totals(path, *, gap=0, title=True, extras=True):
    """手续费结算台账: a title row, the header in row 2, three rows, `gap` blank rows, then 合计 with
    SUM formulas (cached values as Excel leaves them), a merged label, a filter, a drop-down, a
    conditional format, a print area and a 看板 cell showing the total."""
    wb = Workbook()
    ws = wb.active
    ws.title = "手续费结算台账"
    ws.append(["手续费结算台账（2026年）"] if title else [])
    ws.append(HEADERS)
    for row in LEDGER:
        ws.append(row)
    last = 2 + len(LEDGER) + gap
    total = last + 1
    ws.cell(total, 1, "合计")
    ws.cell(total, 3, f"=SUM(C3:C{last})")
    ws.cell(total, 6, f"=SUM(F3:F{last})")
    if extras:
        ws.merge_cells(f"A{total}:B{total}")
        ws.auto_filter.ref = f"A2:F{last}"
        dv = DataValidation(type="list", formula1='"人保,平安"')
        dv.add(f"B3:B{last}")
        ws.add_data_validation(dv)
        ws.conditional_formatting.add(f"C{total}", CellIsRule(operator="greaterThan", formula=[f"$C${total}"]))
        ws.print_area = f"A1:F{total}"
        board = wb.create_sheet("看板")
        board["A1"] = f"=手续费结算台账!C{total}"
        board["A2"] = "=手续费结算台账!F3"  # a data row: stays where it points
    wb.save(path)
    return path, total


def locks(records=LOCKS):
    return table_from_records("commission_settlements", records)


def sheet_xml(path, name="xl/worksheets/sheet1.xml"):
    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


def test_new_rows_go_above_the_totals_row_which_moves_down_with_everything_pointing_at_it(tmp_path):
    path, total = ledger_with_totals(tmp_path / "store.xlsx")
    result = append_register_rows(path, "commission_settlements", locks())
    assert result.rows == (6, 7) and total == 6
    registers = read_store(path)
    ledger = registers["commission_settlements"]
    assert ledger["_row"].tolist() == [3, 4, 5, 6, 7]
    assert ledger["fingerprint"].tolist()[-2:] == ["abc123", "def456"]
    assert registers.layouts[0].total_rows == [8]
    ws = load_workbook(path)["手续费结算台账"]
    assert ws["A8"].value == "合计" and ws["C8"].value == "=SUM(C3:C7)" and ws["F8"].value == "=SUM(F3:F7)"
    assert [str(r) for r in ws.merged_cells.ranges] == ["A8:B8"]
    assert ws.auto_filter.ref == "A2:F7"
    assert {str(dv.sqref) for dv in ws.data_validations.dataValidation} == {"B3:B7"}
    assert [str(cf.sqref) for cf in ws.conditional_formatting] == ["C8"]
    assert ws.conditional_formatting["C8"][0].formula == ["$C$8"]
    wb = load_workbook(path)
    assert wb["看板"]["A1"].value == "=手续费结算台账!C8" and wb["看板"]["A2"].value == "=手续费结算台账!F3"
    assert "$A$1:$F$8" in str(wb["手续费结算台账"].print_area)
    assert ws.max_row == 8
    xml = sheet_xml(path)
    assert "<v>" not in xml[xml.index('r="C8"'):xml.index("</row>", xml.index('r="C8"'))]  # no stale total


def test_blank_rows_above_the_totals_are_filled_first(tmp_path):
    path, total = ledger_with_totals(tmp_path / "store.xlsx", gap=3)  # rows 6-8 blank, 合计 in 9
    result = append_register_rows(path, "commission_settlements", locks())
    assert result.rows == (6, 7)
    ws = load_workbook(path)["手续费结算台账"]
    assert ws["A9"].value == "合计" and ws["C9"].value == "=SUM(C3:C8)"  # the sum reached them already
    path, _ = ledger_with_totals(tmp_path / "tight.xlsx", gap=1)  # row 6 blank, 合计 in 7
    append_register_rows(path, "commission_settlements", locks())
    ws = load_workbook(path)["手续费结算台账"]
    assert ws["A8"].value == "合计" and ws["C8"].value == "=SUM(C3:C7)"


def test_an_excel_table_with_its_totals_row_grows_above_it(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "手续费结算台账"
    ws.append(HEADERS)
    for row in LEDGER:
        ws.append(row)
    ws.append(["汇总", None, "=SUBTOTAL(109,tbl[应收手续费])"])
    ws.add_table(Table(displayName="tbl", ref="A1:F5", totalsRowCount=1))
    path = tmp_path / "store.xlsx"
    wb.save(path)
    append_register_rows(path, "commission_settlements", locks())
    ws = load_workbook(path)["手续费结算台账"]
    assert ws.tables["tbl"].ref == "A1:H7" and ws["A7"].value == "汇总"
    assert ws["C7"].value == "=SUBTOTAL(109,tbl[应收手续费])"


def test_a_register_without_totals_row_is_appended_below_as_before(tmp_path):
    path = make_workbook(tmp_path / "store.xlsx", {"手续费结算台账": [HEADERS, *LEDGER, [], ["2026-09", "平安", 5]]})
    with zipfile.ZipFile(path) as archive:
        before = {name: archive.read(name) for name in archive.namelist()}
    result = append_register_rows(path, "commission_settlements", locks())
    assert result.rows == (7, 8)
    with zipfile.ZipFile(path) as archive:
        after = {name: archive.read(name) for name in archive.namelist()}
    # the sheet, and styles.xml for a date format (锁定日期): no workbook.xml, no recalculation asked
    assert {name for name in after if after[name] != before.get(name)} == {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    assert read_store(path)["commission_settlements"]["_row"].tolist() == [2, 3, 4, 6, 7, 8]


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_moved_total_over_the_new_rows(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    path, _ = ledger_with_totals(tmp_path / "store.xlsx")
    wb = load_workbook(path)  # cached totals as Excel would have saved them: LibreOffice must not keep them
    append_register_rows(path, "commission_settlements", locks())
    converted, profile = tmp_path / "lo", tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(converted), str(path)], check=True, capture_output=True, timeout=180)
    wb = load_workbook(converted / path.name, data_only=True)
    ws = wb["手续费结算台账"]
    expected = sum(r[2] for r in LEDGER) + sum(r["amount_due"] for r in LOCKS)
    assert ws["A8"].value == "合计" and ws["C8"].value == pytest.approx(expected)
    assert wb["看板"]["A1"].value == pytest.approx(expected)
    assert pd.isna(ws["F8"].value) or ws["F8"].value == 0


def test_excels_calculation_chain_is_dropped_when_formula_cells_move(tmp_path):
    path, _ = ledger_with_totals(tmp_path / "plain.xlsx", extras=False)
    store = tmp_path / "store.xlsx"  # as Excel saves it: with xl/calcChain.xml listing C6 and F6
    chain_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(store, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "[Content_Types].xml":
                data = data.replace(b"</Types>", f'<Override PartName="/xl/calcChain.xml" ContentType="{chain_type}"/>'
                                    "</Types>".encode())
            if name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats'
                                    b'.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/>'
                                    b"</Relationships>")
            out.writestr(name, data)
        out.writestr("xl/calcChain.xml", '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                         'main"><c r="C6" i="1"/><c r="F6"/></calcChain>')
    append_register_rows(store, "commission_settlements", locks())
    with zipfile.ZipFile(store) as archive:
        names = archive.namelist()
        rels, types = archive.read("xl/_rels/workbook.xml.rels"), archive.read("[Content_Types].xml")
        workbook = archive.read("xl/workbook.xml")
    assert "xl/calcChain.xml" not in names and b"calcChain" not in rels + types
    assert b'fullCalcOnLoad="1"' in workbook
    assert load_workbook(store)["手续费结算台账"]["C8"].value == "=SUM(C3:C7)"


def test_reconcile_lock_books_its_row_above_the_clerks_totals(tmp_path):
    import contextlib
    import io

    from insurance_xl.cli import main
    from tests.conftest import sample

    store = tmp_path / "store.xlsx"
    wb = load_workbook(sample("store.xlsx"))  # the sample store, its ledger closed by a 合计 row
    ws = wb["手续费结算台账"]
    header_row = next(r for r in range(1, 10) if any(str(c.value or "").strip() == "应收手续费" for c in ws[r]))
    headers = {str(c.value).strip(): c.column_letter for c in ws[header_row] if c.value}
    last = ws.max_row
    due = headers["应收手续费"]
    ws[f"{headers['结算月份']}{last + 1}"] = "合计"
    ws[f"{due}{last + 1}"] = f"=SUM({due}{header_row + 1}:{due}{last})"
    wb.save(store)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["reconcile", str(store), "--settings", str(sample("settings.toml")), "--as-of", "2026-11-24",
                     "--month", "2026-10", "--insurer", "人保财险", "--statement", str(sample("statement.xlsx")),
                     "--json", "--lock"])
    assert code == 0
    ws = load_workbook(store)["手续费结算台账"]
    assert ws[f"{headers['结算月份']}{last + 2}"].value == "合计"
    assert ws[f"{due}{last + 2}"].value == f"=SUM({due}{header_row + 1}:{due}{last + 1})"
    assert ws[f"{headers['结算月份']}{last + 1}"].value == "2026-10"  # the adjustment row, above the total
