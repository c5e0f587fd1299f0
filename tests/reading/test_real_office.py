"""The sample store as real office folders hold it (issue #21): copies, backups, hidden duplicate sheets,
pivot sheets, 合计 in a 备注, other total labels, pasted header rows, invisible characters, Excel error
cells, formulas without a value. Each gives expected.json's KPIs exactly, or exits 1/2 naming the cause:
never other figures with exit 0."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main

from tests.v2 import SAMPLES_V2 as V2
from tests.v2 import expected_v2
POLICIES = "客户管理统计明细表"
RATES = ("first_insurance_rate", "renewal_rate", "renewal_rate_ytd", "churn_rate", "claim_rate", "non_store_growth")


@pytest.fixture(scope="module")
def expected():
    return expected_v2()


def kpi(capsys, path, expected, *extra):
    capsys.readouterr()
    code = main(["kpi", str(path), "--settings", str(V2 / "settings.toml"), "--as-of", expected["as_of"],
                 "--month", expected["kpi"]["month"], "--json", *extra])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def assert_expected_kpis(got, expected):
    want = expected["kpi"]
    for key in RATES:
        assert got[key] == pytest.approx(want[key]), key
    assert {key: got["counts"][key] for key in want["counts"]} == want["counts"]  # expected.json predates `gone`
    for key in ("premium_compulsory", "premium_commercial", "commission"):
        assert got[key] == pytest.approx(want[key], abs=0.005), key
    assert "data_errors" not in got


def edited(tmp_path, change, name="store.xlsx"):
    """The sample store with `change(workbook)` applied, saved as tmp_path/name."""
    wb = load_workbook(V2 / "store.xlsx")
    change(wb)
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


def header_columns(ws, row=3):
    return {str(c.value).replace("\n", "").strip(): c.column for c in ws[row] if c.value}


def test_the_sample_as_it_is(capsys, expected):
    code, got, err = kpi(capsys, V2 / "store.xlsx", expected)
    assert code == 0 and err == ""
    assert_expected_kpis(got, expected)


def test_a_copy_beside_the_store_is_counted_once(tmp_path, capsys, expected):
    shutil.copy(V2 / "store.xlsx", tmp_path / "store.xlsx")
    shutil.copy(V2 / "store.xlsx", tmp_path / "store - 副本.xlsx")
    code, got, err = kpi(capsys, tmp_path, expected)
    assert code == 0
    assert_expected_kpis(got, expected)
    assert "store - 副本.xlsx" in err and "未计入" in err


def test_backup_folders_and_unreadable_formats_are_skipped_with_a_note(tmp_path, capsys, expected):
    shutil.copy(V2 / "store.xlsx", tmp_path / "store.xlsx")
    for folder in ("备份", "old", "Backup 2026-09"):
        (tmp_path / folder).mkdir()
        shutil.copy(V2 / "store.xlsx", tmp_path / folder / "store.xlsx")
    (tmp_path / ".insurance-xl-backups").mkdir()
    shutil.copy(V2 / "store.xlsx", tmp_path / ".insurance-xl-backups" / "store.20261001.xlsx")
    (tmp_path / "旧台账.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    code, got, err = kpi(capsys, tmp_path, expected)
    assert code == 0
    assert_expected_kpis(got, expected)
    assert "备份" in err and "旧台账.xls" in err and ".xlsx" in err
    assert ".insurance-xl-backups" not in err  # ours: never read, nothing to say


def test_a_hidden_copy_of_the_register_sheet_is_left_out(tmp_path, capsys, expected):
    def change(wb):
        copy = wb.copy_worksheet(wb[POLICIES])
        copy.title = f"{POLICIES} (2)"
        copy.sheet_state = "hidden"
    code, got, err = kpi(capsys, edited(tmp_path, change), expected)
    assert code == 0
    assert_expected_kpis(got, expected)
    assert f"{POLICIES} (2)" in err


def test_a_pivot_sheet_is_no_register_and_no_reason_to_refuse(tmp_path, capsys, expected):
    def change(wb):
        ws = wb.create_sheet("数据透视")
        ws.append(["保险公司", "交强险保费", "商业险保费", "手续费"])
        ws.append(["人保财险", 12000, 56000, 9000])
        ws.append(["平安产险", 8000, 41000, 7000])
        ws.append(["总计", 20000, 97000, 16000])
    code, got, err = kpi(capsys, edited(tmp_path, change), expected)
    assert code == 0
    assert_expected_kpis(got, expected)
    assert "数据透视" in err


def test_a_full_row_whose_remark_says_total_stays_and_other_total_labels_go(tmp_path, capsys, expected):
    def change(wb):
        ws = wb[POLICIES]
        cols = header_columns(ws)
        for row in range(4, 1380, 7):  # full policy rows whose 备注 reads like a total
            ws.cell(row=row, column=cols["备注"], value=("合计", "小计", "累计", "汇总")[row % 4])
        last = ws.max_row
        for offset, label in enumerate(("10月小计", "合计(元)", "本月合计", "汇 总：")):
            ws.cell(row=last + 1 + offset, column=1, value=label)
            ws.cell(row=last + 1 + offset, column=cols["手续费"], value=35526.21)
            ws.cell(row=last + 1 + offset, column=cols["商业险保费（元）"], value=136965.69)
    code, got, err = kpi(capsys, edited(tmp_path, change), expected)
    assert code == 0
    assert_expected_kpis(got, expected)


def test_header_rows_pasted_mid_sheet_are_left_out(tmp_path, capsys, expected):
    def change(wb):
        ws = wb[POLICIES]
        header = [c.value for c in ws[3]]
        for at in (400, 900):
            ws.insert_rows(at)
            for col, value in enumerate(header, start=1):
                ws.cell(row=at, column=col, value=value)
    path = edited(tmp_path, change)
    code, got, err = kpi(capsys, path, expected)
    assert code == 0
    assert_expected_kpis(got, expected)
    from insurance_xl.reading.store import read_store
    layout = read_store(path).layout("store.xlsx", POLICIES)
    assert layout.header_rows == [400, 900]


def test_invisible_characters_pasted_into_ids_are_stripped(tmp_path, capsys, expected):
    def change(wb):
        for ws in (wb[POLICIES], wb["新车销售明细"]):
            row_of_headers = 3 if ws.title == POLICIES else 2
            cols = header_columns(ws, row_of_headers)
            for row in range(row_of_headers + 1, ws.max_row + 1, 3):
                for header, mark in (("车架号", "\u200b"), ("车牌号", "\ufeff"), ("档案编号", "\u00ad")):
                    cell = ws.cell(row=row, column=cols[header]) if header in cols else None
                    if cell is not None and isinstance(cell.value, str) and cell.value:
                        cell.value = mark + cell.value + "\u200d"
    code, got, err = kpi(capsys, edited(tmp_path, change), expected)
    assert code == 0
    assert_expected_kpis(got, expected)


def _policy_cell(ws, header, month="2026-10"):
    """A policy row whose 出单日期 falls in the month, and the column of `header`."""
    cols = header_columns(ws)
    for row in range(4, ws.max_row + 1):
        issued = ws.cell(row=row, column=cols["出单日期"]).value
        if str(issued).replace("/", "-").startswith(month):
            return row, cols[header]
    raise AssertionError("no policy issued in the month")


@pytest.mark.parametrize("value, rule", [("#N/A", "read.excel_error"), ("=A1+1", "read.formula_without_value")])
def test_error_cells_and_formulas_without_value_are_findings_and_exit_1(tmp_path, capsys, expected, value, rule):
    where = {}

    def change(wb):
        ws = wb[POLICIES]
        row, col = _policy_cell(ws, "保单起期")
        ws.cell(row=row, column=col, value=value)
        where["cell"] = ws.cell(row=row, column=col).coordinate
    code, got, err = kpi(capsys, edited(tmp_path, change), expected)
    assert code == 1
    assert got["data_errors"] == 1
    assert where["cell"][1:] in err and "保单起期" in err
    from insurance_xl.reading.store import read_store
    found = [f for f in read_store(tmp_path / "store.xlsx").findings if f.rule == rule]
    assert [f.location.cell for f in found] == [where["cell"]]


def test_a_simple_formula_without_value_is_evaluated(tmp_path, capsys, expected):
    def change(wb):
        ws = wb[POLICIES]
        row, col = _policy_cell(ws, "保单起期")
        day = ws.cell(row=row, column=col).value
        import datetime as dt
        if isinstance(day, str):
            day = dt.date.fromisoformat(day.replace("/", "-")[:10]) if day[:4].isdigit() and "-" in day else None
        if day is None:
            pytest.skip("the chosen cell holds no ISO date")
        ws.cell(row=row, column=col, value=f"=DATE({day.year},{day.month},{day.day})")
    code, got, err = kpi(capsys, edited(tmp_path, change), expected)
    assert code == 0
    assert_expected_kpis(got, expected)


def test_an_out_that_is_no_workbook_is_refused_before_any_work(tmp_path, capsys, expected):
    code = main(["overdue", str(V2 / "store.xlsx"), "--settings", str(V2 / "settings.toml"), "--as-of",
                 expected["as_of"], "--out", str(tmp_path / "催款.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "催款.csv" in err and ".xlsx" in err
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a folder the user cannot write")
def test_a_read_only_out_folder_is_named_with_exit_2(tmp_path, capsys, expected):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        code = main(["overdue", str(V2 / "store.xlsx"), "--settings", str(V2 / "settings.toml"), "--as-of",
                     expected["as_of"], "--out", str(folder / "催款.xlsx")])
    finally:
        folder.chmod(0o755)
    err = capsys.readouterr().err
    assert code == 2 and str(folder) in err and "内部错误" not in err


def test_no_library_warning_reaches_stderr_even_under_W_error(tmp_path, expected):
    """A row without 保单止期 once made numpy warn with a source path; under -W error a warning is an exception."""
    def change(wb):
        ws = wb[POLICIES]
        row, col = _policy_cell(ws, "保单\n止期") if "保单\n止期" in header_columns(ws) else _policy_cell(ws, "保单止期")
        ws.cell(row=row, column=col, value=None)
    path = edited(tmp_path, change)
    code = "import sys; from insurance_xl.cli import main; sys.exit(main(sys.argv[1:]))"
    for args in (["kpi", str(path), "--month", expected["kpi"]["month"]], ["validate", str(path)],
                 ["calls", str(path)], ["overdue", str(path)]):
        run = subprocess.run([sys.executable, "-W", "error", "-c", code, *args, "--settings", str(V2 / "settings.toml"),
                              "--as-of", expected["as_of"]], capture_output=True, text=True, timeout=300)
        assert run.returncode in (0, 1), run.stderr
        assert "Warning" not in run.stderr and ".py" not in run.stderr, run.stderr


def test_calls_without_a_contact_log_say_so(tmp_path, capsys, expected):
    path = edited(tmp_path, lambda wb: wb.remove(wb["续保跟进记录"]))
    capsys.readouterr()
    code = main(["calls", str(path), "--settings", str(V2 / "settings.toml"), "--as-of", expected["as_of"], "--json"])
    err = capsys.readouterr().err
    assert code == 0 and "续保跟进记录" in err


def test_iso_date_cells_read_as_the_same_days_and_validate_out_writes(tmp_path, capsys, expected):
    """Date cells stored as ISO dates (t="d", as LibreOffice and some exports write them)."""
    def change(wb):
        wb.iso_dates = True
    path = edited(tmp_path, change)
    import zipfile
    with zipfile.ZipFile(path) as archive:
        assert any(b't="d"' in archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/"))
    code, got, err = kpi(capsys, path, expected)
    assert code == 0
    assert_expected_kpis(got, expected)
    out = tmp_path / "checked.xlsx"
    code = main(["validate", str(path), "--settings", str(V2 / "settings.toml"), "--out", str(out)])
    assert code in (0, 1) and out.exists(), capsys.readouterr().err


def strict_copy(source, target):
    """The workbook in ISO 29500 Strict namespaces, as Excel's "Strict Open XML" save writes it."""
    import zipfile
    swap = [(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main"),
            (b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
             b"http://purl.oclc.org/ooxml/officeDocument/relationships")]
    with zipfile.ZipFile(source) as a, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as b:
        for info in a.infolist():
            data = a.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for old, new in swap:
                    data = data.replace(old, new)
            b.writestr(info, data)
    return target


def test_a_strict_ooxml_store_is_read_and_written_into(tmp_path, capsys, expected):
    import pandas as pd
    from insurance_xl.reading.store import read_store
    from insurance_xl.writing.append import append_register_rows

    path = strict_copy(V2 / "store.xlsx", tmp_path / "store.xlsx")
    code, got, err = kpi(capsys, path, expected)
    assert code == 0
    assert_expected_kpis(got, expected)
    before = len(read_store(path)["contacts"])
    row = pd.DataFrame([{"archive_no": "DA000001", "contact_date": pd.Timestamp("2026-11-24"), "method": "电话",
                         "outcome": "考虑中"}])
    result = append_register_rows(path, "contacts", row)
    assert result.sheet == "续保跟进记录" and not result.created_sheet
    assert len(read_store(path)["contacts"]) == before + 1
