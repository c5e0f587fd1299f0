"""edit.append_register_rows: rows appended inside the zip, nothing else in the workbook touched."""
import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, Reference

from insurance_xl.writing.append import append_register_rows, read_register
from insurance_xl.errors import WorkbookLocked, WorkbookUnreadable
from insurance_xl.tables import table_from_records
from insurance_xl.reading.store import read_store
from insurance_xl.writing.sheet import write_register

from tests.conftest import ROOT, make_workbook, sample

NEW_CONTACTS = [
    dict(archive_no="DA000042", contact_date="2026-11-25", method="电话", outcome="考虑中", clerk="周敏"),
    dict(archive_no="DA000050", contact_date="2026-11-25", method="短信", failure_reason="价格",
         next_date="2026-12-01", clerk="=HYPERLINK(\"x\")"),
]


def new_rows(records=NEW_CONTACTS):
    return table_from_records("contacts", records)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sheet_part(path: Path, sheet: str) -> str:
    return read_register(path, "contacts", sheet).part


def test_appending_to_the_sample_store_loses_no_row_and_touches_no_other_part(tmp_path):
    store = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), store)
    original, before = parts(store), read_store(store)
    result = append_register_rows(store, "contacts", new_rows())
    after = read_store(store)
    assert after.findings == []
    for key, table in before.tables.items():
        if key != "contacts":  # cell by cell, row numbers included
            pd.testing.assert_frame_equal(table, after[key])
    old, new = before["contacts"], after["contacts"]
    assert len(new) == len(old) + 2
    pd.testing.assert_frame_equal(old, new.iloc[:len(old)])
    assert result.rows == (52, 53)  # below the last row (51; row 50 is blank and stays blank)
    added = new.iloc[len(old):]
    assert added["archive_no"].tolist() == ["DA000042", "DA000050"]
    assert added["contact_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-25", "2026-11-25"]
    assert added["clerk"].tolist()[1] == '=HYPERLINK("x")'  # text, never a formula
    assert pd.isna(added["outcome"].tolist()[1]) and added["failure_reason"].tolist()[1] == "价格"
    changed = {name for name, data in parts(store).items() if original.get(name) != data}
    assert changed == {sheet_part(store, "续保跟进记录")}
    assert result.backup and result.backup.read_bytes() == sample("store.xlsx").read_bytes()
    ws = load_workbook(store, read_only=True)["续保跟进记录"]
    b52, f53, g53 = ws["B52"], ws["F53"], ws["G53"]
    assert b52.is_date and f53.is_date and g53.data_type == "s"


def test_rows_fill_the_preformatted_rows_of_the_template_table(tmp_path):
    store = tmp_path / "续保跟进记录.xlsx"
    shutil.copy(ROOT / "templates" / "续保跟进记录.xlsx", store)
    table_before = [n for n in parts(store) if n.startswith("xl/tables/")]
    result = append_register_rows(store, "contacts", new_rows())
    assert result.rows == (2, 3)
    after = parts(store)
    assert [n for n in after if n.startswith("xl/tables/")] == table_before
    wb = load_workbook(store)
    ws = wb.active
    # DOMAIN.md rev 2 adds 报价金额 before 下次联系: the contacts register is 8 columns wide
    assert ws["A2"].value == "DA000042" and ws["B2"].is_date and ws["G3"].is_date
    assert ws.tables["tbl_contacts"].ref == "A1:H1002"
    assert len(read_store(store)["contacts"]) == 2


def test_table_filter_and_drop_downs_grow_over_the_new_rows(tmp_path):
    wb = Workbook()
    wb.remove(wb.active)
    existing = table_from_records("contacts", [dict(archive_no="A1", contact_date="2026-11-01", method="电话")] * 2)
    write_register(wb, "contacts", existing, validation_rows=0)
    path = tmp_path / "store.xlsx"
    wb.save(path)
    append_register_rows(path, "contacts", new_rows())
    ws = load_workbook(path)["续保跟进记录"]
    assert ws.tables["tbl_contacts"].ref == "A1:H5"  # rev 2: 报价金额 makes 8 columns
    assert {str(dv.sqref) for dv in ws.data_validations.dataValidation} >= {"C2:C5", "D2:D5", "E2:E5"}
    assert ws.dimensions == "A1:H5"


def test_a_column_the_sheet_lacks_gets_its_header_instead_of_losing_the_value(tmp_path):
    path = make_workbook(tmp_path / "store.xlsx", {"续保跟进记录": [["档案编号", "联系日期", "方式"],
                                                                  ["A1", "2026-11-01", "电话"]]})
    result = append_register_rows(path, "contacts", new_rows())
    assert result.added_headers == ("结果", "失败原因", "下次联系", "出单员")
    registers = read_store(path)
    assert registers.layouts[0].columns["outcome"] == ("D", "结果")
    contacts = registers["contacts"]
    assert contacts["outcome"].tolist()[1] == "考虑中" and pd.isna(contacts["outcome"].tolist()[0])
    assert contacts["failure_reason"].tolist()[2] == "价格"


def test_a_workbook_without_the_register_gets_the_sheet(tmp_path):
    path = make_workbook(tmp_path / "store.xlsx", {"客户出险统计表": [["报案号", "报案日期", "车牌号"],
                                                                    ["BA1", "2026-10-01", "京A1"]]})
    result = append_register_rows(path, "contacts", new_rows())
    assert result.created_sheet and result.sheet == "续保跟进记录"
    registers = read_store(path)
    assert registers["contacts"]["archive_no"].tolist() == ["DA000042", "DA000050"]
    assert registers["claims"]["claim_no"].tolist() == ["BA1"]
    assert load_workbook(path)["续保跟进记录"]["B2"].is_date


def test_text_dates_above_do_not_stop_new_dates_from_being_dates(tmp_path):
    path = make_workbook(tmp_path / "store.xlsx", {"续保跟进记录": [["档案编号", "联系日期", "方式"],
                                                                  ["A1", "2026/11/1", "电话"]]})
    append_register_rows(path, "contacts", new_rows())
    assert load_workbook(path)["续保跟进记录"]["B3"].is_date


def test_refused_while_the_workbook_is_open_in_excel_or_libreoffice(tmp_path):
    store = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), store)
    for lock in (tmp_path / "~$store.xlsx", tmp_path / ".~lock.store.xlsx#"):
        lock.write_text("x")
        with pytest.raises(WorkbookLocked):
            append_register_rows(store, "contacts", new_rows())
        lock.unlink()
    assert store.read_bytes() == sample("store.xlsx").read_bytes()


def test_parts_openpyxl_would_drop_survive_byte_for_byte(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "续保跟进记录"
    ws.append(["档案编号", "联系日期", "方式", "结果"])
    ws.append(["A1", dt.date(2026, 11, 1), "电话", "考虑中"])  # a real date: its style is reused
    data = wb.create_sheet("数据")
    for i in range(1, 5):
        data.append([i, i * i])
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=4))
    data.add_chart(chart, "D2")
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    store = tmp_path / "store.xlsm"  # add a VBA project the way insurance.xlsm carries one
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(store, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            out.writestr(name, src.read(name))
        out.writestr("xl/vbaProject.bin", bytes(range(256)) * 40)
    original = parts(store)
    append_register_rows(store, "contacts", new_rows())
    after = parts(store)
    assert set(after) == set(original) and any(n.startswith("xl/charts/") for n in after)
    assert {n for n in after if after[n] != original[n]} == {sheet_part(store, "续保跟进记录")}
    assert len(read_store(store)["contacts"]) == 3


def test_the_store_keeps_its_file_permissions(tmp_path):
    store = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), store)
    store.chmod(0o664)  # a store on a shared folder, writable by the desk's group
    append_register_rows(store, "contacts", new_rows())
    assert store.stat().st_mode & 0o777 == 0o664


def test_appending_nothing_leaves_the_file_alone(tmp_path):
    store = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), store)
    result = append_register_rows(store, "contacts", new_rows([]))
    assert result.rows == () and result.backup is None
    assert store.read_bytes() == sample("store.xlsx").read_bytes()


def test_a_sheet_named_like_the_register_without_its_headers_is_refused(tmp_path):
    path = make_workbook(tmp_path / "store.xlsx", {"续保跟进记录": [["随便写的表"], ["1", "2"]]})
    before = path.read_bytes()
    with pytest.raises(WorkbookUnreadable, match="找不到"):
        append_register_rows(path, "contacts", new_rows())
    assert path.read_bytes() == before
