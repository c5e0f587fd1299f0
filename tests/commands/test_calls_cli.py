"""`insurance-xl calls` on the sample store: the JSON contract, the call-list workbooks, and the import
that turns a filled-in list into 续保跟进记录 rows (idempotent, nothing else in the store touched)."""
import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from insurance_xl.writing.call_list_book import SHEETS, call_list_paths
from insurance_xl.cli import main
from insurance_xl.reading.store import read_store
from insurance_xl.xlsx.properties import output_kind
from insurance_xl.registers import OUTCOMES, REGISTERS

from tests.v2 import expected_v2, sample_v2


@pytest.fixture(scope="module")
def sample_v2_expected() -> dict:
    return expected_v2()

FIELDS = {"archive_no", "customer", "phone", "plate", "insurer", "channel", "policy_end", "days_left", "last_contact",
          "quote", "kind", "last_quote"}


def store_args(path, as_of):
    return [str(path), "--settings", str(sample_v2("settings.toml")), "--as-of", as_of]


def calls_json(capsys, path, as_of):
    assert main(["calls", *store_args(path, as_of), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_calls_json_reproduces_the_sample_lists(capsys, sample_v2_expected):
    got = calls_json(capsys, sample_v2("store.xlsx"), sample_v2_expected["as_of"])
    assert set(got) == {"sms", "phone"}
    for key in ("sms", "phone"):
        assert all(set(row) == FIELDS for row in got[key])
        assert sorted(r["archive_no"] for r in got[key]) == sorted(sample_v2_expected[key])
        ends = [r["policy_end"] for r in got[key]]
        assert ends == sorted(ends)  # soonest first
        assert all((r["kind"] == "已脱保") == (r["days_left"] < 0) for r in got[key])
        assert all(r["kind"] == ("到期" if r["channel"] == "本店" else "挽回") for r in got[key] if r["days_left"] >= 0)
    lapsed = [r["days_left"] < 0 for r in got["phone"]]
    assert any(lapsed) and lapsed == sorted(lapsed, reverse=True)  # the lapsed first


def test_the_rows_shape_gives_the_same_lists(capsys, sample_v2_expected):
    """store_rows.xlsx keeps a 交强险 row and a 商业险 row per period: same lists, same quotes."""
    as_of = sample_v2_expected["as_of"]
    rows = calls_json(capsys, sample_v2("store_rows.xlsx"), as_of)
    for key in ("sms", "phone"):
        assert sorted(r["archive_no"] for r in rows[key]) == sorted(sample_v2_expected[key])
    assert rows == calls_json(capsys, sample_v2("store.xlsx"), as_of)


def test_out_is_a_file_name_per_clerk_or_a_folder(tmp_path):
    day = dt.date(2026, 11, 24)
    assert call_list_paths(tmp_path / "名单.xlsx", ["周敏"], day) == {"周敏": tmp_path / "名单-周敏.xlsx"}
    assert call_list_paths(tmp_path / "lists", ["周 敏/x"], day) == {"周 敏/x": tmp_path / "lists" / "续保提醒-周_敏_x-20261124.xlsx"}


@pytest.fixture(scope="module")
def blank_lists(tmp_path_factory, sample_v2_expected):
    """The sample store's call lists, written once for the module."""
    out = tmp_path_factory.mktemp("calls") / "lists"
    assert main(["calls", *store_args(sample_v2("store.xlsx"), sample_v2_expected["as_of"]), "--out", str(out)]) == 0
    return out


@pytest.fixture()
def written(tmp_path, blank_lists, capsys):
    """A copy of the store and of the blank lists, for a test to fill in and import."""
    capsys.readouterr()
    store = tmp_path / "store" / "store.xlsx"
    store.parent.mkdir()
    shutil.copy(sample_v2("store.xlsx"), store)
    return store, Path(shutil.copytree(blank_lists, tmp_path / "lists"))


def test_each_clerk_gets_a_workbook_with_an_sms_and_a_call_sheet(written, sample_v2_expected):
    store, out = written
    files = sorted(f for f in out.glob("*.xlsx") if not f.name.startswith("首保跟进"))
    assert {f.name.split("-")[1] for f in files} == {"吴静", "周敏", "郑洁", "未分配"}
    assert output_kind(out / "首保跟进-20261124.xlsx") == "first-insurance-list"  # written beside them
    all_sms, all_phone = [], []
    for file in files:
        assert output_kind(file) == "call-list"
        wb = load_workbook(file)
        assert wb.sheetnames == [SHEETS["短信"], SHEETS["电话"]]
        for name, bucket in ((SHEETS["短信"], all_sms), (SHEETS["电话"], all_phone)):
            ws = wb[name]
            headers = [c.value for c in ws[3]]
            assert {c.header for c in REGISTERS["contacts"].columns} <= set(headers)
            assert "联系电话" in headers
            if ws.max_row == 3:  # nobody due on this list
                continue
            lists = {str(dv.formula1) for dv in ws.data_validations.dataValidation if dv.type == "list"}
            assert '"' + ",".join(OUTCOMES) + '"' in lists
            assert any(dv.type == "date" for dv in ws.data_validations.dataValidation)
            assert ws.cell(row=4, column=headers.index("联系日期") + 1).number_format == "yyyy-mm-dd"
            assert ws.cell(row=4, column=headers.index("联系电话") + 1).value  # the clerk must be able to ring
            bucket += [ws.cell(row=r, column=1).value for r in range(4, ws.max_row + 1)]
    assert sorted(all_sms) == sorted(sample_v2_expected["sms"])
    assert sorted(all_phone) == sorted(sample_v2_expected["phone"])
    # the blank list reads back as contacts rows of the register, none of them filled in
    contacts = read_store(files[0])["contacts"]
    assert len(contacts) > 0 and contacts["contact_date"].isna().all()


def fill(path, sheet, archive_no, **cells):
    """What the clerk does in Excel: fill in a row of the list."""
    wb = load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[3]]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=1).value == archive_no)
    for header, value in cells.items():
        ws.cell(row=row, column=headers.index(header) + 1, value=value)
    wb.save(path)


def test_a_filled_list_is_imported_once_and_tomorrows_list_drops_the_reached(written, capsys, sample_v2_expected):
    store, out = written
    as_of = sample_v2_expected["as_of"]
    day = dt.date.fromisoformat(as_of)
    clerk_list = next(out.glob("*郑洁*.xlsx"))
    fill(clerk_list, SHEETS["短信"], "DA000504", 联系日期=day, 结果="考虑中")
    fill(clerk_list, SHEETS["电话"], "DA000149", 结果="已续保")  # no date: contacted on the list's day
    fill(clerk_list, SHEETS["电话"], "DA000114", 联系日期=day, 结果="无法联系", 下次联系=day + dt.timedelta(days=3))
    before = read_store(store)

    assert main(["calls", "import", str(clerk_list), "--into", str(store), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["added"], first["already"], first["problems"]) == (3, 0, [])
    after = read_store(store)
    for key, table in before.tables.items():
        if key != "contacts":
            pd.testing.assert_frame_equal(table, after[key])
    old, new = before["contacts"], after["contacts"]
    pd.testing.assert_frame_equal(old, new.iloc[:len(old)])
    added = new.iloc[len(old):].set_index("archive_no")
    assert added.loc["DA000149", "contact_date"] == pd.Timestamp(day)
    assert added.loc["DA000149", "method"] == "电话" and added.loc["DA000149", "clerk"] == "郑洁"
    assert added.loc["DA000114", "next_date"] == pd.Timestamp(day + dt.timedelta(days=3))

    stored = store.read_bytes()
    assert main(["calls", "import", str(clerk_list), "--into", str(store), "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["added"], second["already"]) == (0, 3)
    assert store.read_bytes() == stored  # nothing to add: the store is not even rewritten

    again = calls_json(capsys, store, as_of)
    sms = {r["archive_no"] for r in again["sms"]}
    phone = {r["archive_no"] for r in again["phone"]}
    assert "DA000504" not in sms and "DA000149" not in sms | phone and "DA000114" not in phone
    assert sms == set(sample_v2_expected["sms"]) - {"DA000504", "DA000149"}
    assert phone == set(sample_v2_expected["phone"]) - {"DA000149", "DA000114"}


def test_rows_that_cannot_be_recorded_are_reported_and_left_out(written, capsys):
    store, out = written
    clerk_list = next(out.glob("*郑洁*.xlsx"))
    fill(clerk_list, SHEETS["电话"], "DA000149", 结果="乱填")
    fill(clerk_list, SHEETS["短信"], "DA000504", 联系日期="明天")
    assert main(["calls", "import", str(clerk_list), "--into", str(store), "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["added"] == 0
    assert sorted(p["rule"] for p in got["problems"]) == ["calls.bad_choice", "calls.unreadable"]
    assert all(p["sheet"] in SHEETS.values() and p["row"] >= 4 for p in got["problems"])
    assert store.read_bytes() == sample_v2("store.xlsx").read_bytes()


def test_import_is_refused_while_the_store_is_open(written, capsys):
    store, out = written
    clerk_list = next(out.glob("*郑洁*.xlsx"))
    fill(clerk_list, SHEETS["电话"], "DA000149", 结果="已续保")
    (store.parent / "~$store.xlsx").write_text("")
    assert main(["calls", "import", str(clerk_list), "--into", str(store)]) == 2
    assert "正在被 Excel 或 LibreOffice 打开" in capsys.readouterr().err
    assert store.read_bytes() == sample_v2("store.xlsx").read_bytes()


@pytest.mark.libreoffice
def test_libreoffice_opens_the_call_list_the_edited_store_and_the_collection_list(written, tmp_path, sample_v2_expected):
    import subprocess
    import uuid

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) not installed")
    store, out = written
    clerk_list = next(out.glob("*郑洁*.xlsx"))
    fill(clerk_list, SHEETS["电话"], "DA000149", 联系日期=dt.date(2026, 11, 24), 结果="已续保")
    assert main(["calls", "import", str(clerk_list), "--into", str(store)]) == 0
    collection = tmp_path / "催款清单.xlsx"
    assert main(["overdue", *store_args(store, sample_v2_expected["as_of"]), "--out", str(collection)]) == 0
    converted = tmp_path / "lo"
    profile = tmp_path / f"lo-profile-{uuid.uuid4().hex}"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(converted), str(clerk_list), str(store), str(collection)], check=True,
                   capture_output=True, timeout=180)
    contacts = read_store(converted / clerk_list.name)["contacts"]  # saved by LibreOffice: still a register
    assert contacts.loc[contacts["outcome"] == "已续保", "archive_no"].tolist() == ["DA000149"]
    edited, original = read_store(converted / store.name), read_store(sample_v2("store.xlsx"))
    assert len(edited["contacts"]) == len(original["contacts"]) + 1
    last = edited["contacts"].iloc[-1]
    assert (last["archive_no"], last["contact_date"], last["outcome"]) == ("DA000149", pd.Timestamp("2026-11-24"), "已续保")
    assert len(edited["policies"]) == len(original["policies"])
    assert load_workbook(converted / collection.name).sheetnames[0] == "汇总"


def test_the_printed_lists_show_empty_cells_as_nothing_and_names_masked(tmp_path, capsys, sample_v2_expected):
    """A listed policy without plate and clerk prints blanks there (not 'nan'); no full name or phone."""
    as_of = sample_v2_expected["as_of"]
    listed = calls_json(capsys, sample_v2("store.xlsx"), as_of)["sms"][0]
    store = tmp_path / "store.xlsx"
    shutil.copy(sample_v2("store.xlsx"), store)
    policies = REGISTERS["policies"]
    wb = load_workbook(store)
    ws = wb[policies.sheet]
    header_row = next(r for r in range(1, 10) if policies.column("archive_no").header in
                      [str(c.value).strip() for c in ws[r] if c.value])
    headers = [str(c.value).strip() if c.value else "" for c in ws[header_row]]
    col = {key: headers.index(policies.column(key).header) for key in ("archive_no", "plate", "clerk")}
    for row in ws.iter_rows(min_row=header_row + 1):  # every policy of that customer file
        if str(row[col["archive_no"]].value) == listed["archive_no"]:
            row[col["plate"]].value = row[col["clerk"]].value = None
    wb.save(store)

    assert main(["calls", *store_args(store, as_of)]) == 0
    out = capsys.readouterr().out
    line = next(text for text in out.splitlines() if listed["archive_no"] in text)
    assert "nan" not in out and "None" not in out
    assert line.rstrip().endswith("天"), line  # no clerk after the days left
    assert listed["customer"] not in out and listed["phone"] not in out
