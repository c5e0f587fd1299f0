"""`insurance-xl reconcile` end to end: the sample's answers, three statement layouts, the wrong month,
and the reconciliation workbook both parties sign."""
import contextlib
import datetime as dt
import io
import json
import shutil
import subprocess
import uuid

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.demo.statements import demo_statements, layout_of
from insurance_xl.services.main_job import reconcile_demo_month
from insurance_xl.services.month_end import reconcile_month
from insurance_xl.writing.reconciliation_book import reconciliation_json
from insurance_xl.reading.store import read_store
from insurance_xl.xlsx.properties import output_kind
from insurance_xl.settings import Context, load_settings

from tests.conftest import sample

CPIC_TOML = '\n[insurers."太平洋产险".statement]\npolicy_no = "单证号"\ncommission = "结算手续费"\npolicy_prefix = "BD-"\n'


def reconcile_cli(capsys, *extra, statement=None, insurer="人保财险", month="2026-10", settings=None):
    argv = ["reconcile", str(sample("store.xlsx")), "--settings", str(settings or sample("settings.toml")),
            "--as-of", "2026-11-24", "--month", month, "--insurer", insurer,
            "--statement", str(statement or sample("statement.xlsx")), *extra]
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_reproduces_the_sample_reconciliation(capsys, sample_expected):
    expected = sample_expected["reconcile"]
    code, out, err = reconcile_cli(capsys, "--json", insurer=expected["insurer"], month=expected["month"])
    assert code == 0, err
    got = json.loads(out)
    assert {"matched", "differences", "only_ours", "only_theirs", "totals"} <= got.keys()
    assert sorted(r["policy_no"] for r in got["only_ours"]) == sorted(expected["only_ours"])
    assert sorted(r["policy_no"] for r in got["only_theirs"]) == sorted(expected["only_theirs"])
    assert sorted(r["policy_no"] for r in got["differences"]) == sorted(expected["differences"])
    assert len(got["matched"]) == expected["matched_exact"]
    assert got["totals"]["ours"]["commission"] == expected["ours_commission"]
    assert got["totals"]["theirs"]["commission"] == expected["theirs_commission"]
    # which columns were used, and that they were guessed, is part of the answer
    assert got["statement"]["columns"]["commission"] == {"header": "代理手续费", "column": "F", "guessed": True,
                                                         "sheet": "手续费清单"}
    diff = next(r for r in got["differences"] if r["policy_no"] == "P629688259211")
    assert diff["differs"] == ["commission"] and diff["difference"]["commission"] == 12.3
    assert got["lock"]["status"] == "open"


def test_statement_for_the_wrong_month_stops_with_exit_1_and_writes_nothing(capsys, tmp_path):
    store = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), store)
    before = store.read_bytes()
    out_file = tmp_path / "对账.xlsx"
    argv = ["reconcile", str(store), "--settings", str(sample("settings.toml")), "--month", "2026-11",
            "--insurer", "人保财险", "--statement", str(sample("statement.xlsx")), "--out", str(out_file), "--lock"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "2026-10" in err and "2026-11" in err and "statement.xlsx" in err
    assert not out_file.exists() and store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.xlsx"]  # no backup, no lock snapshot


def test_a_statement_that_cannot_be_opened_stops_before_the_store_is_read(capsys, tmp_path, monkeypatch):
    import insurance_xl.commands.common as common

    statement = tmp_path / "人保10月对账单.xlsx"
    statement.write_bytes(sample("statement.xlsx").read_bytes()[:5000])  # a download cut short
    monkeypatch.setattr(common, "read_store", lambda *a, **k: pytest.fail("the store was read"))
    code = main(["reconcile", str(sample("store.xlsx")), "--month", "2026-10", "--insurer", "人保财险",
                 "--statement", str(statement)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and statement.name in err, err


def test_three_statement_layouts_reconcile_with_their_planted_differences(tmp_path):
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(sample("settings.toml").read_text(encoding="utf-8") + CPIC_TOML, encoding="utf-8")
    settings = load_settings(settings_file)
    assert sorted(set(layout_of(settings).values())) == ["cpic", "picc", "pingan"]
    registers = read_store(sample("store.xlsx"))
    paths = demo_statements(registers.tables, settings, "2026-10", 7, tmp_path / "statements")
    ctx = Context(settings, dt.date(2026, 11, 24))
    for insurer, path in paths.items():
        assert output_kind(path) == "statement"
        result = reconcile_month(registers, ctx, insurer, "2026-10", path)
        got = reconciliation_json(result.rec, result.statement)
        # planted: one policy dropped, one foreign line, one number mistyped (on both lists, suggested),
        # one commission 12.30 off, one 0.01 off (rounding: matched), one line listed twice
        assert len(got["only_ours"]) == 2 and len(got["only_theirs"]) == 2, insurer
        assert [d["difference"]["commission"] for d in got["differences"]] == [12.3], insurer
        assert sorted(m["difference"]["commission"] for m in got["matched"])[-1] == 0.01
        assert [(d["side"], d["copies"], d["identical"]) for d in got["duplicates"]] == [("theirs", 2, True)]
        assert len(got["suggested"]) == 1
        assert got["statement"]["period"] == ["2026-10"]
        explained = got["totals"]["explained"]["commission"]
        assert round(sum(explained.values()), 2) == got["totals"]["difference"]["commission"]
        guessed = got["statement"]["columns"]["policy_no"]["guessed"]
        assert guessed is (layout_of(settings)[insurer] != "cpic")


def test_column_mapping_from_the_settings_file_reads_a_layout_that_cannot_be_guessed(capsys, tmp_path):
    settings_file = tmp_path / "settings.toml"
    settings_file.write_text(sample("settings.toml").read_text(encoding="utf-8") + CPIC_TOML, encoding="utf-8")
    registers = read_store(sample("store.xlsx"))
    path = demo_statements(registers.tables, load_settings(settings_file), "2026-10", 7, tmp_path)["太平洋产险"]
    code, out, err = reconcile_cli(capsys, "--json", statement=path, insurer="太平洋产险", settings=settings_file)
    assert code == 0, err
    got = json.loads(out)
    assert got["statement"]["columns"]["policy_no"] == {"header": "单证号", "column": "A", "guessed": False,
                                                        "sheet": "2026.10"}
    assert got["statement"]["policy_prefix"] == "BD-" and len(got["differences"]) == 1
    code, _, err = reconcile_cli(capsys, statement=path, insurer="太平洋产险")  # no mapping: say what to set
    assert code == 2 and "找不到对账单表头" in err and "statement" in err


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """One CLI run on the sample with --out: (exit code, printed text, workbook path, JSON of a second run)."""
    folder = tmp_path_factory.mktemp("reconcile-out")
    out_file = folder / "对账.xlsx"
    argv = ["reconcile", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")), "--as-of",
            "2026-11-24", "--month", "2026-10", "--insurer", "人保财险", "--statement", str(sample("statement.xlsx"))]
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        code = main([*argv, "--out", str(out_file)])
    return code, text.getvalue(), out_file


def test_readable_output_names_columns_and_outcomes(sample_run):
    code, out, _ = sample_run
    assert code == 0
    assert "手续费=F「代理手续费」(自动识别)" in out
    assert "仅本店 P552841301213" in out and "仅保险公司 P464030367663" in out
    assert "手续费 本店 2,185.16 / 保险公司 2,197.46（差 12.30）" in out


def test_reconciliation_workbook_has_summary_outcomes_and_a_printable_detail_list(sample_run):
    code, _, out_file = sample_run
    assert code == 0
    assert output_kind(out_file) == "reconciliation"
    wb = load_workbook(out_file)
    assert wb.sheetnames == ["汇总", "一致", "金额差异", "仅本店", "仅保险公司", "重复行", "建议匹配", "月度业务明细清单"]
    assert wb["仅本店"].max_row == 3 and wb["一致"].max_row == 5
    detail = wb["月度业务明细清单"]
    assert detail.page_setup.orientation == "landscape" and detail.page_setup.fitToWidth == 1
    assert detail.sheet_properties.pageSetUpPr.fitToPage and detail.print_title_rows == "$4:$4"
    texts = [c.value for row in detail.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("代理机构（盖章）：斯巴鲁京南店") for t in texts)
    assert "保险公司（盖章）：人保财险" in texts and texts.count("业务人员签字：") == 2
    last = int(detail.print_area.split("$")[-1])
    assert detail.cell(row=last, column=1).value == "（双方业务人员签字并加盖业务专用章）"
    customers = set(read_store(sample("store.xlsx"))["policies"]["customer"].dropna())
    assert not customers & {c.value for ws in wb for row in ws.iter_rows() for c in row}  # handed to the insurer


@pytest.mark.libreoffice
def test_detail_list_totals_recalculate_in_libreoffice_to_the_core_totals(sample_run, tmp_path, sample_expected):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) not installed: cannot recalculate the workbook's formulas")
    _, _, out_file = sample_run
    summary = load_workbook(out_file)["汇总"]
    core = {row[0]: row[1:4] for row in summary.iter_rows(values_only=True) if row[0] == "手续费"}["手续费"]
    profile = tmp_path / f"lo-{uuid.uuid4().hex}"
    converted = tmp_path / "converted"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(converted), str(out_file)], check=True, capture_output=True, timeout=180)
    ws = load_workbook(converted / out_file.name, data_only=True)["月度业务明细清单"]
    total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合计")
    assert [round(v, 2) for v in total[6:9]] == [round(v, 2) for v in core]
    expected = sample_expected["reconcile"]
    assert core[:2] == (expected["ours_commission"], expected["theirs_commission"])


def test_demo_month_end_reconciles_last_month_of_every_partner(tmp_path):
    registers = read_store(sample("store.xlsx"))
    toml = tmp_path / "settings.toml"
    toml.write_text(sample("settings.toml").read_text(encoding="utf-8") + CPIC_TOML, encoding="utf-8")
    ctx = Context(load_settings(toml), dt.date(2026, 11, 24))
    lines = reconcile_demo_month(registers, ctx, tmp_path, seed=3)
    assert lines[0].startswith("2026-10 手续费对账")
    written = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert written == sorted(f"对账-{name}-2026-10.xlsx" for name in ctx.settings.partners)
    assert all(output_kind(p) == "reconciliation" for p in tmp_path.glob("*.xlsx"))
    assert len(list((tmp_path / "statements").glob("*.xlsx"))) == 3
    assert all("金额差异 1，仅本店 2，仅保险公司 2，重复 1，建议匹配 1" in line for line in lines[1:])


def test_lock_is_refused_while_the_store_holds_unreadable_values_and_nothing_is_written(capsys, tmp_path):
    """A lock is for good: a month is never locked on figures resting on a cell nobody can read (a
    手续费 typed as 十二元); the reconciliation itself still prints, with exit 1."""
    store = tmp_path / "store.xlsx"
    book = load_workbook(sample("store.xlsx"))
    sheet = book["客户管理统计明细表"]
    column = next(c.column for c in sheet[3] if c.value == "手续费")
    sheet.cell(row=4, column=column, value="十二元")
    book.save(store)
    before = store.read_bytes()
    code = main(["reconcile", str(store), "--settings", str(sample("settings.toml")), "--as-of", "2026-11-24",
                 "--month", "2026-10", "--insurer", "人保财险", "--statement", str(sample("statement.xlsx")), "--lock"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "不能锁定" in err and "十二元" in err
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.xlsx"]  # no backup, no lock snapshot
