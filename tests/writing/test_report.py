"""The monthly report workbook: values from the core, formatted, printable, masked, machine-readable."""
import datetime as dt
from dataclasses import replace
import json
import re
import shutil
import subprocess
import uuid

import pandas as pd
import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.core.kpi import RATE_KEYS, monthly_kpis
from insurance_xl.reading.store import read_store
from insurance_xl.xlsx.properties import output_kind
from insurance_xl.reading.reports import read_report
from insurance_xl.services.monthly_report import report_results, write_monthly_report
from insurance_xl.outputs import DATA_SHEET
from insurance_xl.writing.report_book import build_report, report_data
from insurance_xl.settings import Context, load_settings

from tests.conftest import sample

MONTH = "2026-10"


@pytest.fixture(scope="module")
def store():
    registers = read_store(sample("store.xlsx"))
    expected = json.loads(sample("expected.json").read_text(encoding="utf-8"))
    ctx = Context(load_settings(sample("settings.toml")), dt.date.fromisoformat(expected["as_of"]))
    return registers, ctx


@pytest.fixture(scope="module")
def report_file(store, tmp_path_factory):
    registers, ctx = store
    return write_monthly_report(registers, ctx, MONTH, tmp_path_factory.mktemp("report") / "report.xlsx")[0]


def data_rows(wb) -> dict:
    return {key: value for key, value, *_ in wb[DATA_SHEET].iter_rows(min_row=2, values_only=True)}


def board_values(ws) -> dict:
    """看板: first column label → the 本月 value."""
    return {row[0]: row[1] for row in ws.iter_rows(min_row=5, max_col=2, values_only=True) if row[0]}


def assert_matches_kpi_json(data: dict, payload: dict):
    """Counts and money exactly; rates as the 15-16 significant digits a spreadsheet file keeps
    (the exact rates follow from the counts: read_report recomputes them)."""
    for key in RATE_KEYS:
        if payload[key] is None:
            assert data[key] in (None, ""), key
        else:
            assert data[key] == pytest.approx(payload[key], rel=1e-13, abs=0), key
    for key, value in payload["counts"].items():
        assert data[f"counts.{key}"] == value, key
    for key in ("premium_compulsory", "premium_commercial", "commission"):
        assert data[key] == payload[key], key
    assert data["month"] == payload["month"]


def test_report_data_sheet_holds_every_kpi_json_key(store, report_file, sample_expected):
    wb = load_workbook(report_file)
    assert wb[DATA_SHEET].sheet_state == "hidden"
    data = data_rows(wb)
    assert data["store"] == "斯巴鲁京南店" and data["kind"] == "insurance-xl-report"
    assert_matches_kpi_json(data, sample_expected["kpi"])
    registers, ctx = store
    assert data["commission_ytd"] == round(monthly_kpis(registers, ctx, MONTH).commission_ytd, 2)


def test_report_board_compares_with_last_month_and_last_year(store, report_file):
    registers, ctx = store
    k = monthly_kpis(registers, ctx, MONTH)
    ws = load_workbook(report_file)["看板"]
    header = [c.value for c in ws[4]]
    assert header[2] == "上月 2026-09" and header[4] == "去年同月 2025-10"
    rows = {r[0]: r for r in ws.iter_rows(min_row=5, max_col=7, values_only=True) if r[0]}
    assert rows["首保率"][1:3] == (k.first_insurance_rate, k.previous.first_insurance_rate)
    assert rows["续保率"][4] == pytest.approx(k.last_year.renewal_rate, rel=1e-15)
    assert rows["首保率"][6] == "5 / 8"
    assert rows["手续费"][1] == k.commission
    assert ws["B5"].number_format == "0.00%" and "¥" in ws.cell(row=11, column=2).number_format


def test_report_is_a_printable_stamped_workbook_with_native_charts(report_file):
    wb = load_workbook(report_file)
    assert output_kind(report_file) == "report"  # a store folder read skips it
    # DOMAIN.md rev 2: the renewal pipeline's three sheets after 考核
    assert wb.sheetnames == ["看板", "趋势", "按保险公司", "按出单员", "续保失败原因", "考核", "续保漏斗", "周分析",
                             "首保未投保原因", "逾期回款", "保险公司对比", "月度业务明细清单", DATA_SHEET]
    board = wb["看板"]
    assert len(board._charts) == 3  # trend, premium by insurer, overdue amount by band (from the claims rules)
    for ws in wb.worksheets[:-1]:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.print_area, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert wb["趋势"].max_row == 3 + 12


def test_month_detail_lists_the_months_policies_written_here_with_names_masked(report_file, store):
    registers, _ = store
    ws = load_workbook(report_file)["月度业务明细清单"]
    header = [c.value for c in ws[3]]
    assert "身份证号" not in header and "联系电话" not in header
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=4, values_only=True)]
    body, total = rows[:-1], rows[-1]
    p = registers["policies"]
    issued = p[(p["channel"] == "本店") & (p["issue_date"].dt.strftime("%Y-%m") == MONTH)]
    assert len(body) == len(issued)
    assert all(re.fullmatch(r".\*+", r["客户姓名"]) for r in body)
    assert total["档案编号"] == "合计" and total["手续费"] == round(issued["commission"].sum(), 2)


def test_a_store_without_a_handover_register_gets_a_note_instead_of_the_overdue_chart(store):
    registers, ctx = store
    without = replace(registers, layouts=[lay for lay in registers.layouts if lay.register != "handovers"])
    results = report_results(without, ctx, MONTH)
    assert results.overdue is None
    board = build_report(without, ctx, MONTH, kpis=results.kpis, overdue=None, insurer_cases=results.insurers,
                         staff=results.staff, pipeline=results.pipeline, extra=results.commission)["看板"]
    assert len(board._charts) == 2
    assert any("本报表未附逾期回款数据" in str(c.value) for row in board.iter_rows() for c in row if c.value)


def test_overdue_amount_by_band_chart_appears_when_overdue_data_is_given(store):
    registers, ctx = store
    overdue = pd.DataFrame({"claim_no": ["A1", "A2", "A3"], "band": ["5000-10000", "小额", "5000-10000"],
                            "outstanding": [5000.0, 1200.5, 7300.25]})
    results = report_results(registers, ctx, MONTH)
    wb = build_report(registers, ctx, MONTH, kpis=results.kpis, overdue=overdue, insurer_cases=results.insurers,
                      staff=results.staff, pipeline=results.pipeline, extra=results.commission)
    assert len(wb["看板"]._charts) == 3
    rows = list(wb["逾期回款"].iter_rows(min_row=4, values_only=True))
    assert rows == [("5000-10000", 2, 12300.25), ("小额", 1, 1200.5), ("合计", 3, 13500.75)]


def test_report_data_rows_leave_an_empty_rate_empty():
    from insurance_xl.core.kpi import KpiCounts, Kpis
    from insurance_xl.settings import Settings

    rows = dict(report_data(Kpis("2026-10", KpiCounts(), 0.0, 0.0, 0.0, 0.0), Context(Settings(), dt.date(2026, 11, 3))))
    assert rows["first_insurance_rate"] is None and rows["counts.sold"] == 0


def test_report_command_writes_the_workbook(tmp_path, capsys):
    out = tmp_path / "月报.xlsx"
    assert main(["report", str(sample("store.xlsx")), "--month", MONTH, "--as-of", "2026-11-24",
                 "--settings", str(sample("settings.toml")), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert read_report(out).kpi["counts"]["sold"] == 8


# ---- a real spreadsheet opens it -----------------------------------------------------------------

@pytest.mark.libreoffice
def test_libreoffice_reads_back_the_values_of_kpi_json(report_file, tmp_path, capsys, sample_expected):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: cannot open the report in a real spreadsheet")
    profile = tmp_path / f"lo-{uuid.uuid4().hex}"
    out = tmp_path / "converted"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out), str(report_file)], check=True, capture_output=True, timeout=180)
    converted = out / report_file.name
    assert main(["kpi", str(sample("store.xlsx")), "--month", MONTH, "--as-of", sample_expected["as_of"],
                 "--settings", str(sample("settings.toml")), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    wb = load_workbook(converted, data_only=True)
    assert_matches_kpi_json(data_rows(wb), payload)
    board = board_values(wb["看板"])
    assert board["首保率"] == pytest.approx(payload["first_insurance_rate"], rel=1e-13)
    assert board["交强险保费"] == payload["premium_compulsory"] and board["手续费"] == payload["commission"]
    assert board["本品牌新车销售台数"] == payload["counts"]["sold"]
    assert len(wb["看板"]._charts) == 3  # the native charts survive the spreadsheet
    # the region reads a report re-saved by a spreadsheet just as well
    report = read_report(converted)
    # rates recomputed from the counts: exact (kpi --json's pipeline keys are on their own sheets)
    assert report.store == "斯巴鲁京南店" and report.kpi == {key: payload[key] for key in report.kpi}
    assert set(payload) - set(report.kpi) == {"not_insured_reasons", "weeks", "funnel"}
    assert len(wb["续保漏斗"]._charts) == 1  # the funnel's native chart survives too
    weeks = [[c.value for c in row] for row in wb["周分析"].iter_rows(min_row=4, max_col=4)]
    assert weeks[:-1] == [[w["week"], w["sold"], w["first_insured"], w["renewed"]] for w in payload["weeks"]]


def test_run_writes_last_months_report_of_the_store_it_read(store, tmp_path):
    from insurance_xl.services.main_job import run_monthly_report
    from insurance_xl.core.months import previous_month

    registers, ctx = store
    path, _ = run_monthly_report(registers, ctx, tmp_path, dt.datetime(2026, 11, 24, 9, 30).astimezone())
    got = read_report(path)
    assert path.parent == tmp_path and got.month == previous_month(ctx.as_of) and got.store == "斯巴鲁京南店"
