"""Committed templates are generated from registers.py and must not drift from it."""
import pytest
from openpyxl import Workbook, load_workbook

from insurance_xl.reading.store import read_store
from insurance_xl.registers import DATA_REGISTERS, REGISTERS, YES_NO, Kind
from insurance_xl.writing.template_books import write_templates

from tests.conftest import ROOT


def check_template(path, key):
    """`path`: a workbook file, or one already loaded (the Excel face checks its register sheets too)."""
    reg = REGISTERS[key]
    wb = path if isinstance(path, Workbook) else load_workbook(path)
    ws = wb[reg.sheet]
    assert [c.value for c in ws[1]] == [c.header for c in reg.columns]
    assert ws.freeze_panes == "A2"
    assert f"tbl_{key}" in ws.tables
    lists = {next(iter(dv.sqref.ranges)).coord.split(":")[0].rstrip("0123456789"): dv.formula1
             for dv in ws.data_validations.dataValidation}
    for j, col in enumerate(reg.columns, start=1):
        letter = ws.cell(row=1, column=j).column_letter
        choices = col.choices or (YES_NO if col.kind is Kind.YESNO else ())
        if choices:
            assert lists[letter] == '"' + ",".join(choices) + '"', (key, col.key)
        else:
            assert letter not in lists
        fmt = ws.cell(row=2, column=j).number_format
        if col.kind is Kind.DATE:
            assert fmt == "yyyy-mm-dd"
        if col.kind is Kind.ID:
            assert fmt == "@"


@pytest.mark.parametrize("key", DATA_REGISTERS)
def test_committed_template_matches_the_declaration(key):
    check_template(ROOT / "templates" / f"{REGISTERS[key].sheet}.xlsx", key)


def test_templates_written_now_match_and_read_back_as_empty_registers(tmp_path):
    paths = write_templates(tmp_path)
    whole = tmp_path / "门店台账模板.xlsx"
    assert whole in paths
    for key in DATA_REGISTERS:
        check_template(whole, key)
    registers = read_store(whole)
    assert registers.missing == () and registers.findings == []
    assert all(len(registers[k]) == 0 for k in DATA_REGISTERS)
    committed = sorted(p.name for p in (ROOT / "templates").glob("*.xlsx"))
    assert committed == sorted(p.name for p in paths)
