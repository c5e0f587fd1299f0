"""`insurance-xl overdue` on the sample store: the JSON contract, the answers, the 催款清单 workbook."""
import json

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.reading.store import workbook_files
from insurance_xl.xlsx.properties import output_kind

from tests.conftest import sample

KEYS = {
    "overdue": {"claim_no", "insurer", "handover_date", "due_date", "days_overdue", "amount_due", "paid_amount",
                "outstanding", "band"},
    "returned": {"claim_no", "insurer", "handover_date", "amount_due"},
    "tp_refunds": {"claim_no", "insurer_paid_date", "days_waiting", "amount"},
    "not_handed_over": {"claim_no", "insurer", "settled_date", "days_waiting"},
    "old_parts": {"claim_no", "settled_date", "days_waiting"},
    "commission": {"month", "insurer", "amount_due", "received_amount", "outstanding", "source", "confirmation_letter"},
}


@pytest.fixture(scope="module")
def overdue_run(tmp_path_factory, sample_expected):
    out = tmp_path_factory.mktemp("overdue") / "催款清单.xlsx"
    args = ["overdue", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")),
            "--as-of", sample_expected["as_of"], "--json", "--out", str(out)]
    return args, out


def run_json(capsys, args):
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_overdue_json_has_exactly_the_architecture_keys_and_reproduces_the_sample(capsys, overdue_run, sample_expected):
    args, _ = overdue_run
    got = run_json(capsys, args)
    assert set(got) == {*KEYS, "bands"}
    for key, fields in KEYS.items():
        assert all(set(row) == fields for row in got[key]), key
    mine = {r["claim_no"]: (r["due_date"], r["days_overdue"], r["outstanding"]) for r in got["overdue"]}
    theirs = {r["claim_no"]: (r["due_date"], r["days_overdue"], r["outstanding"]) for r in sample_expected["overdue"]}
    assert mine == theirs
    assert sorted(r["claim_no"] for r in got["returned"]) == sorted(sample_expected["returned"])
    assert got["bands"] == sample_expected["bands"]
    assert ({(r["month"], r["insurer"], r["outstanding"]) for r in got["commission"]}
            == {(r["month"], r["insurer"], r["outstanding"]) for r in sample_expected["commission"]})
    days = [r["days_overdue"] for r in got["overdue"]]
    assert days == sorted(days, reverse=True)  # oldest first


def test_the_collection_list_has_a_sheet_per_insurer_with_band_totals_adding_up(capsys, overdue_run, sample_expected):
    args, out = overdue_run
    got = run_json(capsys, args)
    assert output_kind(out) == "overdue-list"
    wb = load_workbook(out)
    insurers = sorted({r["insurer"] for r in got["overdue"]})
    assert [n for n in wb.sheetnames if n in insurers] == insurers
    for insurer in insurers:
        ws = wb[insurer]
        assert ws["A2"].value.startswith("保险公司联系人")
        rows = [row for row in ws.iter_rows(min_row=6, values_only=True)]
        cases = [r for r in rows if r[0] and str(r[0]).startswith("BA")]
        expected = [r for r in got["overdue"] if r["insurer"] == insurer]
        assert [c[0] for c in cases] == [r["claim_no"] for r in expected]  # oldest first
        bands = {r[0]: r[2] for r in rows if r[0] in ("小额", "5000-10000", "10000以上", "未定损")}
        total = next(r[2] for r in rows if r[0] == "合计")
        assert round(sum(bands.values()), 2) == total == round(sum(r["outstanding"] for r in expected), 2)
    summary = wb["汇总"]
    grand = next(r for r in summary.iter_rows(values_only=True) if r[0] == "合计")
    assert grand[1] == len(got["overdue"])
    assert round(sum(r["outstanding"] for r in got["overdue"]), 2) == grand[6]


def test_contact_line_comes_from_settings(tmp_path, sample_expected):
    settings = tmp_path / "settings.toml"
    settings.write_text(sample("settings.toml").read_text(encoding="utf-8").replace(
        "promised_days = 45", 'promised_days = 45\ncontact = "刘理算 010-12345678"'), encoding="utf-8")
    out = tmp_path / "催款清单.xlsx"
    assert main(["overdue", str(sample("store.xlsx")), "--settings", str(settings), "--as-of", sample_expected["as_of"],
                 "--out", str(out)]) == 0
    assert load_workbook(out)["人保财险"]["A2"].value == "保险公司联系人：刘理算 010-12345678"
    assert list(workbook_files(tmp_path)) == []  # a folder read skips the list we wrote


def test_readable_output_names_the_totals(capsys, sample_expected):
    assert main(["overdue", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")),
                 "--as-of", sample_expected["as_of"]]) == 0
    text = capsys.readouterr().out
    assert f"逾期未回款 {len(sample_expected['overdue'])} 件" in text
    assert f"核赔退回 {len(sample_expected['returned'])} 件" in text
