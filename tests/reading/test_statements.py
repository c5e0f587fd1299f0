"""Insurer statements as they arrive: own layouts, title blocks, totals rows, text amounts, the period."""
import pytest

from insurance_xl.errors import SettingsError, WorkbookUnreadable
from insurance_xl.reading.statement_period import detect_period
from insurance_xl.reading.statements import StatementMapping, period_problem, read_statement

from tests.conftest import make_workbook, sample


def test_sample_statement_is_read_by_guessing_its_headers():
    st = read_statement(sample("statement.xlsx"))
    used = st.columns_used()
    assert {k: (v["column"], v["header"]) for k, v in used.items()} == {
        "policy_no": ("B", "保单号码"), "plate": ("C", "车牌号码"), "compulsory_premium": ("D", "交强险保费"),
        "commercial_premium": ("E", "商业险保费"), "commission": ("F", "代理手续费")}
    assert all(v["guessed"] for v in used.values())
    assert st.sheets[0].header_row == 4 and st.sheets[0].skipped == ((14, "合计行"),)
    assert len(st.lines) == 9 and st.lines["_row"].tolist() == list(range(5, 14))
    assert st.period == ("2026-10",) and st.period_text == "结算期间：2026年10月"
    # '1,143.32' typed as text is an amount; the statement's own 合计 agrees with its lines
    assert st.lines["commission"].iloc[0] == 1143.32
    assert st.stated_totals == {"commission": 10189.08} and st.findings == []
    assert st.lines["policy_no"].iloc[-1] == "p464030367663"  # kept as written; matching normalises


def test_settings_mapping_names_headers_that_cannot_be_guessed(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {"2026.10": [
        ["单证号", "车辆号牌", "交强", "商业", "结算手续费", "渠道"],
        ["BD-P001", "京A1", 950, 3000, 788, "本店"],
        ["BD-P002", "京A2", 950, 0, 38, "本店"],
        ["总计", None, None, None, 826, None],
    ]})
    with pytest.raises(WorkbookUnreadable, match="保单号"):
        read_statement(path)  # 单证号 is no header we know: say what to configure
    mapping = StatementMapping.from_settings({"policy_no": "单证号", "commission": ["结算手续费", "手续费"],
                                              "policy_prefix": "BD-"}, "太平洋产险")
    st = read_statement(path, mapping)
    used = st.columns_used()
    assert used["policy_no"] == {"header": "单证号", "column": "A", "guessed": False, "sheet": "2026.10"}
    assert used["commission"]["guessed"] is False and used["plate"]["guessed"] is True
    assert st.lines["commission"].tolist() == [788.0, 38.0]
    assert st.period == ("2026-10",)  # from the sheet name
    assert st.policy_prefix == "BD-"


def test_mapping_errors_name_the_setting(tmp_path):
    with pytest.raises(SettingsError, match="policy_number"):
        StatementMapping.from_settings({"policy_number": "保单号"}, "人保财险")
    with pytest.raises(SettingsError, match="header_row"):
        StatementMapping.from_settings({"header_row": "第三行"}, "人保财险")
    path = make_workbook(tmp_path / "s.xlsx", {"Sheet1": [["保单号", "手续费"], ["P1", 10]]})
    with pytest.raises(WorkbookUnreadable, match="「佣金额」"):
        read_statement(path, StatementMapping.from_settings({"commission": "佣金额"}, "x"))


def test_header_row_from_settings(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {"Sheet1": [
        ["保单号", "手续费"], ["说明：下表为正式清单", None], ["保单号", "手续费"], ["P9", "12.5"]]})
    st = read_statement(path, StatementMapping.from_settings({"header_row": 3}, "x"))
    assert st.sheets[0].header_row == 3 and st.lines["policy_no"].tolist() == ["P9"]


def test_unreadable_amount_is_a_finding_and_the_line_is_kept(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {"Sheet1": [
        ["保单号", "车牌号", "手续费"], ["P1", "京A1", "12O.00"], ["P2", "京A2", "¥1,000.50"], [None, "京A3", 30]]})
    st = read_statement(path)
    assert len(st.lines) == 3
    bad = [f for f in st.findings if f.rule == "read.not_a_number"]
    assert [(f.location.row, f.location.column, f.location.cell) for f in bad] == [(2, "手续费", "C2")]
    assert "12O.00" in bad[0].message
    assert st.lines["commission"].isna().tolist() == [True, False, False]
    assert st.lines["commission"].iloc[1] == 1000.5
    no_number = [f for f in st.findings if f.rule == "statement.no_policy_no"]
    assert [f.location.row for f in no_number] == [4]


def test_blank_rows_notes_repeated_headers_and_totals_are_skipped_and_reported(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {"Sheet1": [
        ["平安产险2026年10月代理业务手续费明细"],
        ["制表日期：2026年11月03日"],
        ["保险单号", "号牌号码", "签单保费", "手续费金额(元)"],
        ["p1234 5", "京A1", "¥1,000.00", "¥250.00"],
        [None, None, None, None],
        ["保险单号", "号牌号码", "签单保费", "手续费金额(元)"],
        ["P6", "京A6", "950", "38"],
        ["注：手续费已含税"],
        ["合计", None, "1950", "288.00"],
    ]})
    st = read_statement(path)
    assert st.lines["_row"].tolist() == [4, 7]
    assert st.sheets[0].skipped == ((6, "重复表头"), (8, "说明行"), (9, "合计行"))
    assert st.fields == ("policy_no", "plate", "premium", "commission")
    assert st.period == ("2026-10",)  # the print date in November is not the period
    assert st.stated_totals == {"premium": 1950.0, "commission": 288.0} and st.findings == []


def test_statement_total_that_disagrees_with_its_lines_is_reported(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {"Sheet1": [
        ["保单号", "手续费"], ["P1", 100], ["P2", 50.5], ["合计", 160.5]]})
    st = read_statement(path)
    [finding] = st.findings
    assert finding.rule == "statement.total_mismatch" and "160.50" in finding.message and "150.50" in finding.message


@pytest.mark.parametrize("texts, months", [
    (["代理机构：某店    结算期间：2026年10月"], ("2026-10",)),
    (["账期：2026.10.01-2026.10.31  制表：张三"], ("2026-10",)),
    (["结算期间 2026-09-26 至 2026-10-25"], ("2026-09", "2026-10")),
    (["人保财险2026年9月手续费清单", "打印日期：2026年10月3日"], ("2026-09",)),
    (["Sheet1", "制表日期：2026-11-03"], ()),
    (["2026.10"], ("2026-10",)),
])
def test_period_is_read_from_labels_titles_and_sheet_names(texts, months):
    assert detect_period(texts)[0] == months


def test_statement_for_another_month_is_named_clearly():
    st = read_statement(sample("statement.xlsx"))
    assert period_problem(st, "2026-10") is None
    message = period_problem(st, "2026-11")
    assert "2026-10" in message and "2026-11" in message and "statement.xlsx" in message


def test_a_statement_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "s.xlsx"
    path.write_text("保单号,手续费\nP1,10\n", encoding="utf-8")
    with pytest.raises(WorkbookUnreadable, match="不是 xlsx"):
        read_statement(path)
