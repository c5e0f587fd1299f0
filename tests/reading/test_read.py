"""The reader on workbooks kept the way clerks keep them (DOMAIN.md "Reading what clerks really type")."""
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from insurance_xl.errors import RegisterMissing, WorkbookUnreadable
from insurance_xl.reading.store import read_store
from insurance_xl.registers import REGISTERS

from tests.conftest import make_workbook, sample

POLICY_HEADER = ["档案编号", "客户姓名", "车牌号", "车架号", "保险公司", "投保渠道", "业务类型", "保单号", "保单起期", "保单止期"]


def test_sample_store_reads_every_register_without_findings():
    registers = read_store(sample("store.xlsx"))
    assert registers.missing == ()
    assert registers.findings == []
    layouts = {lay.register: lay for lay in registers.layouts}
    # the policies sheet: two title rows, header on row 3, a 合计 row at the bottom, an extra 备注 column
    assert layouts["policies"].header_row == 3
    assert layouts["policies"].total_rows == [1386]
    assert "备注" in layouts["policies"].extras
    assert len(registers["policies"]) == layouts["policies"].rows_read
    assert registers["policies"]["_row"].min() == 4


def test_sample_store_with_errors_reports_unreadable_cells_at_their_rows():
    registers = read_store(sample("store_errors.xlsx"))
    found = {(f.location.sheet, f.location.row, f.rule) for f in registers.findings}
    assert ("客户管理统计明细表", 210, "read.not_a_date") in found
    assert ("客户出险统计表", 79, "read.not_a_date") in found
    assert ("保险公司回款统计表", 59, "read.not_a_number") in found
    # the rows themselves are kept, with the unreadable value empty
    policies = registers["policies"]
    row = policies[policies["_row"] == 210].iloc[0]
    assert pd.isna(row["policy_start"]) and row["archive_no"]


def test_messy_sheet_header_below_merged_title_with_odd_headers(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["某某店 客户管理统计明细表"])
    ws.merge_cells("A1:L1")
    ws.append(["制表人：周敏 单位：元"])
    ws.append(["备注", " 保单\n止期 ", "保单起期", "保险公司", "车牌号", "档案编号", "客户姓名", "投保渠道", "业务类型",
               "保单号", "交强险保费（元）", "联系电话"])
    ws.append(["老客户", "2027/10/31", "2026.11.1", "人保财险", "京a12345", "DA0001", "张三", "本店", "续保",
               "p123", "¥950", 13996030824])
    ws.append([None] * 12)
    ws.append(["", "2027年1月1日", 46023, "平安产险", "京B7", "００１２", "李四", "他处", "转保", None, "1,100.50元",
               "13800000000"])
    ws.append(["合计", None, None, None, None, None, None, None, None, None, 2050.5])
    wb.save(tmp_path / "store.xlsx")
    registers = read_store(tmp_path / "store.xlsx")
    policies = registers["policies"]
    assert policies["_row"].tolist() == [4, 6]
    assert policies["archive_no"].tolist() == ["DA0001", "0012"]
    assert policies["plate"].tolist() == ["京A12345", "京B7"]
    assert policies["policy_no"].tolist()[0] == "P123"
    assert policies["phone"].tolist() == ["13996030824", "13800000000"]
    assert policies["policy_end"].tolist() == [pd.Timestamp("2027-10-31"), pd.Timestamp("2027-01-01")]
    assert policies["policy_start"].tolist() == [pd.Timestamp("2026-11-01"), pd.Timestamp("2026-01-01")]
    assert policies["compulsory_premium"].tolist() == [950.0, 1100.5]
    layout = registers.layouts[0]
    assert layout.header_row == 3 and layout.total_rows == [7] and layout.blank_rows == 1
    assert layout.columns["policy_end"] == ("B", "保单止期")
    assert registers.extras["policies"]["备注"].tolist()[0] == "老客户"
    assert registers.findings == []
    assert "sales" in registers.missing


def test_register_found_by_headers_in_a_sheet_called_sheet1(tmp_path):
    path = make_workbook(tmp_path / "x.xlsx", {"Sheet1": [["报案号", "报案日期", "车牌号", "保险公司"],
                                                          ["BA1", "2026-10-01", "京A1", "人保财险"]]})
    registers = read_store(path)
    assert len(registers["claims"]) == 1 and registers.layouts[0].register == "claims"


def test_unreadable_value_becomes_empty_and_a_finding_naming_sheet_row_and_column(tmp_path):
    path = make_workbook(tmp_path / "x.xlsx", {"客户出险统计表": [
        ["报案号", "报案日期", "车牌号", "定损金额(元)", "涉及三者"],
        ["BA1", "昨天", "京A1", "一千", "也许"]]})
    registers = read_store(path)
    got = {(f.location.sheet, f.location.row, f.location.column, f.location.cell, f.rule)
           for f in registers.findings}
    assert got == {("客户出险统计表", 2, "报案日期", "B2", "read.not_a_date"),
                   ("客户出险统计表", 2, "定损金额(元)", "D2", "read.not_a_number"),
                   ("客户出险统计表", 2, "涉及三者", "E2", "read.not_yes_no")}
    assert "昨天" in next(f.message for f in registers.findings if f.rule == "read.not_a_date")
    assert len(registers["claims"]) == 1


def test_missing_required_column_is_a_finding_and_stops_commands_that_need_it(tmp_path):
    path = make_workbook(tmp_path / "x.xlsx", {"客户出险统计表": [["报案号", "车牌号"], ["BA1", "京A1"]]})
    registers = read_store(path)
    assert [(f.rule, f.location.column) for f in registers.findings] == [("read.missing_column", "报案日期")]
    with pytest.raises(RegisterMissing) as info:
        registers.require({"claims": ["report_date"]})
    assert "x.xlsx" in str(info.value) and "客户出险统计表" in str(info.value) and "报案日期" in str(info.value)
    with pytest.raises(RegisterMissing, match="新车销售明细"):
        registers.require({"sales": []})


def test_a_folder_of_workbooks_is_read_as_one_store_with_each_row_traced(tmp_path):
    (tmp_path / "2025").mkdir()
    make_workbook(tmp_path / "2025" / "a.xlsx", {"客户出险统计表": [["报案号", "报案日期", "车牌号"], ["BA1", "2025-01-01", "京A1"]]})
    make_workbook(tmp_path / "b.xlsx", {"客户出险统计表": [["报案号", "报案日期", "车牌号"], [], ["BA2", "2026-01-01", "京A2"]]})
    (tmp_path / "~$b.xlsx").write_bytes(b"lock")
    registers = read_store(tmp_path)
    claims = registers["claims"].sort_values("claim_no")
    assert claims["_workbook"].tolist() == ["2025/a.xlsx", "b.xlsx"]
    assert claims["_row"].tolist() == [2, 3]


@pytest.mark.parametrize("name,content,reason", [
    ("empty.xlsx", b"", "为空"),
    ("csv.xlsx", "报案号,车牌号\nBA1,京A1\n".encode(), "不是 xlsx"),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "不是 Excel 工作簿"),
    ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
    ("enc.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\0" * 600, "加密"),
])
def test_files_that_are_not_workbooks_are_refused_with_a_reason(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(WorkbookUnreadable, match=reason) as info:
        read_store(tmp_path / name)
    assert name in str(info.value)


def test_truncated_workbook_is_refused(tmp_path):
    good = make_workbook(tmp_path / "good.xlsx", {"客户出险统计表": [["报案号", "报案日期", "车牌号"]] + [["BA", "2026-01-01", "京A"]] * 50})
    data = good.read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkbookUnreadable, match="损坏"):
        read_store(tmp_path / "cut.xlsx")


def test_entity_definitions_are_refused_before_any_parser_sees_them(tmp_path):
    good = make_workbook(tmp_path / "good.xlsx", {"Sheet1": [["a"]]})
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' + data
            dst.writestr(item, data)
    with pytest.raises(WorkbookUnreadable, match="DTD"):
        read_store(bomb)


def test_every_register_declares_unique_keys_and_headers():
    for reg in REGISTERS.values():
        keys = [c.key for c in reg.columns]
        assert len(keys) == len(set(keys)), reg.key
        for col in reg.columns:
            assert reg.match_header(col.header) is col
            for alias in col.aliases:
                assert reg.match_header(alias) is col, (reg.key, alias)


def test_a_date_cell_beyond_any_date_is_one_line_naming_the_cell_even_when_the_reader_panics(tmp_path):
    """-1E+308 in a date-formatted cell makes the Rust reader panic; its hook writes the panic (and a
    backtrace, with RUST_BACKTRACE) straight to stderr. The clerk must see our one line only."""
    import os
    import subprocess
    import sys

    from openpyxl import load_workbook

    wb = load_workbook(sample("store.xlsx"))
    ws = wb[REGISTERS["policies"].sheet]
    cell = next(c for row in ws.iter_rows(min_row=4, max_row=10) for c in row if c.is_date)
    cell.value = -1e308  # keeps the cell's date format
    path = tmp_path / "store.xlsx"
    wb.save(path)
    with pytest.raises(WorkbookUnreadable, match="日期范围") as info:
        read_store(path)
    assert f"{ws.title}!{cell.coordinate} = -1e+308" in str(info.value)  # where to fix it
    env = {**os.environ, "RUST_BACKTRACE": "1"}
    env.pop("INSURANCE_XL_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "insurance_xl", "validate", str(path)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()] and str(path) in done.stderr, done.stderr
