"""The 催款清单's rows link back to the clerk's register row they come from (sample store v2)."""
import shutil
from urllib.parse import unquote, urlparse

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.registers import REGISTERS
from insurance_xl.writing.row_links import PLACE_HEADER

from tests.v2 import expected_v2, sample_v2

LISTS = {"结案未交接": "claims", "核赔退回": None, "三者款待退": "tp_refunds", "旧件未签收": "old_parts"}


def write_list(store, out):
    assert main(["overdue", str(store), "--settings", str(sample_v2("settings.toml")),
                 "--as-of", expected_v2()["as_of"], "--out", str(out)]) in (0, 1)
    return load_workbook(out)


def linked_rows(ws, header_row):
    """(报案号, hyperlink) of each list row, read down to the first row without a 报案号."""
    headers = [c.value for c in ws[header_row]]
    place = headers.index(PLACE_HEADER) + 1
    rows = []
    for r in range(header_row + 1, ws.max_row + 1):
        claim = ws.cell(r, 1).value
        if not claim or ws.cell(r, place).value in (None, ""):
            break
        rows.append((claim, ws.cell(r, place)))
    return rows


def register_cell(store_book, location, register):
    """The 报案号 in the register row a link's location (`'sheet'!A12`) names."""
    sheet, cell = location.rsplit("!", 1)
    ws = store_book[sheet.strip("'").replace("''", "'")]
    row = int(cell[1:])
    header = next(r for r in range(1, 31) if REGISTERS[register].column("claim_no").header in
                  [str(c.value).strip() for c in ws[r] if c.value is not None])
    col = [str(c.value).strip() if c.value is not None else "" for c in ws[header]].index("报案号") + 1
    return str(ws.cell(row, col).value).strip()


def test_each_insurer_row_links_to_its_handover_row_relative_to_the_store(tmp_path):
    store = tmp_path / "门店" / "store.xlsx"
    store.parent.mkdir()
    shutil.copy(sample_v2("store.xlsx"), store)
    wb = write_list(store, tmp_path / "输出" / "催款清单.xlsx")
    source = load_workbook(store, read_only=False)
    insurers = [name for name in wb.sheetnames if name not in ("汇总", *LISTS, "手续费未收回")]
    checked = 0
    for name in insurers:
        ws = wb[name]
        assert ws.freeze_panes == "A6" and ws.auto_filter.ref.startswith("A5:")
        rows = linked_rows(ws, 5)
        assert rows and int(ws.auto_filter.ref.rsplit(":", 1)[1][1:]) == 5 + len(rows)  # the filter ends at the list
        for claim, cell in rows[:3]:
            link = cell.hyperlink
            assert link.target == "../门店/store.xlsx"
            assert cell.value == f"{link.location.split('!')[0].strip(chr(39))}!{link.location.split('!A')[1]}"
            assert cell.font.underline == "single"
            register = "handovers" if "交接" in link.location else "payments"
            assert register_cell(source, link.location, register) == claim
            checked += 1
    assert checked >= 6
    for title, register in LISTS.items():
        ws = wb[title]
        assert ws.freeze_panes == "A4" and ws.auto_filter.ref.startswith("A3:")
        for claim, cell in linked_rows(ws, 3)[:2]:
            if register:
                assert register_cell(source, cell.hyperlink.location, register) == claim


def test_a_store_far_from_the_list_is_linked_by_its_absolute_path(tmp_path):
    store = sample_v2("store.xlsx")  # /work/shared/…, the list in /tmp/…: only / in common
    if str(tmp_path.resolve()).split("/")[1] == str(store.resolve()).split("/")[1]:
        pytest.skip("the sample and the temporary folder share a top folder")
    wb = write_list(store, tmp_path / "催款清单.xlsx")
    name = next(n for n in wb.sheetnames if n not in ("汇总", *LISTS, "手续费未收回"))
    _, cell = linked_rows(wb[name], 5)[0]
    target = urlparse(cell.hyperlink.target)
    assert target.scheme == "file" and unquote(target.path) == str(store.resolve())
