"""Validation rules on tiny inline registers (DOMAIN.md "Validation (for auditors)"): one rule, one test."""
import datetime as dt
import itertools

import pytest

from insurance_xl.findings import Severity
from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context, Insurer, Settings, Thresholds
from insurance_xl.core.validation.validate import CHECKS, RULE_TITLES, RULESET_VERSION, report_lines, validate

from tests.conftest import ROOT, make_workbook

AS_OF = dt.date(2026, 11, 24)
PARTNERS = {name: Insurer(name=name) for name in ("人保财险", "平安产险", "太平洋产险")}


def ctx(**settings) -> Context:
    settings.setdefault("insurers", PARTNERS)
    return Context(Settings(**settings), AS_OF)


_CARS = itertools.count(1)


def policy(**values) -> dict:
    """A clean 本店 policy row; each call is another car (its own VIN and archive: DOMAIN.md rev 2
    holds one 交强险 per car at a time and one archive per car)."""
    car = next(_CARS)
    row = dict(archive_no=f"DA{car}", customer="张三", phone="13800000000", plate="京A12345", vin=f"LSVAB2CD3EF4{car:05d}",
               brand="斯巴鲁", policy_no="P1", insurer="人保财险", channel="本店", business_type="新保",
               third_party_limit="100万", issue_date="2026-10-01", policy_start="2026-10-02",
               policy_end="2027-10-01", compulsory_premium=950.0, commercial_premium=4000.0, commission=1000.0)
    row.update(values)
    return row


def claim(**values) -> dict:
    row = dict(claim_no="BA1", report_date="2026-10-01", plate="京A12345", insurer="人保财险", insured_here=None)
    row.update(values)
    return row


def refund(**values) -> dict:
    row = dict(claim_no="BA1", customer="张三", bank_account="6222000011112222333", amount=800.0,
               insurer_paid_date="2026-10-10", sign_adjuster="甲", sign_service_manager="乙", sign_cashier="丙",
               sign_finance_manager="丁", sign_store_manager="戊", refund_date="2026-10-12", customer_signed=True)
    row.update(values)
    return row


def run(context: Context | None = None, **tables: list[dict]):
    registers = registers_from_tables({key: table_from_records(key, rows) for key, rows in tables.items()})
    return validate(registers, context or ctx())


def found(validation) -> set[tuple[str, int | None, str, str]]:
    return {(f.register, f.location.row, f.location.column, f.rule) for f in validation.findings}


def rules(validation) -> list[str]:
    return [f.rule for f in validation.findings]


# ---- the clean case ------------------------------------------------------------------------------

def test_a_consistent_store_has_no_findings():
    v = run(policies=[policy()], claims=[claim()], tp_refunds=[refund()],
            handovers=[dict(claim_no="BA1", amount=800.0, handover_date="2026-10-03", signed=True)],
            payments=[dict(claim_no="BA1", amount_due=800.0, paid_amount=800.0)])
    assert v.findings == () and v.errors == 0 and v.warnings == 0


# ---- errors --------------------------------------------------------------------------------------

def test_policy_without_customer_name_is_a_required_value_missing_at_its_cell():
    v = run(policies=[policy(), policy(policy_no="P2", customer=None)])
    assert found(v) == {("policies", 3, "客户姓名", "required.missing")}
    assert v.findings[0].severity is Severity.ERROR and "客户姓名" in v.findings[0].message


def test_policy_number_is_required_on_rows_written_here_but_not_on_rows_insured_elsewhere():
    v = run(policies=[policy(policy_no=None), policy(channel="他处", policy_no=None, compulsory_premium=None)])
    assert found(v) == {("policies", 2, "保单号", "required.missing")}


@pytest.mark.parametrize("key,header", [("archive_no", "档案编号"), ("insurer", "保险公司"), ("channel", "投保渠道"),
                                        ("business_type", "业务类型"), ("policy_start", "保单起期"),
                                        ("policy_end", "保单止期")])
def test_every_required_policy_column_left_empty_is_an_error(key, header):
    v = run(policies=[policy(**{key: None})])
    assert ("policies", 2, header, "required.missing") in found(v)


def test_claim_without_number_date_or_plate_is_an_error_per_cell():
    v = run(claims=[claim(claim_no=None, report_date=None, plate=None)])
    assert found(v) == {("claims", 2, h, "required.missing") for h in ("报案号", "报案日期", "车牌号")}


@pytest.mark.parametrize("register", ["handovers", "old_parts", "payments", "tp_refunds"])
def test_claim_side_row_without_claim_number_is_an_error(register):
    v = run(claims=[claim()], **{register: [dict(claim_no=None)]})
    assert ("claims" not in {f.register for f in v.findings})
    assert (register, 2, "报案号", "required.missing") in found(v)


def test_policy_with_neither_plate_nor_vin_cannot_be_tied_to_a_vehicle():
    v = run(policies=[policy(plate=None, vin=None), policy(policy_no="P2", plate=None)])
    assert found(v) == {("policies", 2, "车牌号", "required.plate_or_vin")}


@pytest.mark.parametrize("register,row,key,value,header", [
    ("policies", policy, "channel", "本地", "投保渠道"),
    ("policies", policy, "business_type", "新车", "业务类型"),
    ("policies", policy, "third_party_limit", "25万", "三者险保额"),
    ("contacts", lambda **v: {"archive_no": "DA1", "contact_date": "2026-10-01", "method": "短信", **v}, "method", "微信",
     "方式"),
    ("contacts", lambda **v: {"archive_no": "DA1", "contact_date": "2026-10-01", "method": "短信", **v}, "outcome", "再说",
     "结果"),
    ("old_parts", lambda **v: dict(claim_no="BA1", **v), "disposal", "扔掉", "处理方式"),
])
def test_value_outside_its_allowed_list_is_an_error_naming_the_allowed_values(register, row, key, value, header):
    v = run(claims=[claim()], **{register: [row(**{key: value})]})
    assert found(v) == {(register, 2, header, "value.not_allowed")}
    assert value in v.findings[0].message


def test_policy_ending_on_or_before_its_start_is_an_error():
    v = run(policies=[policy(policy_end="2026-10-01"), policy(policy_no="P2", policy_end="2026-10-02"),
                      policy(policy_no="P3")])
    assert found(v) == {("policies", 2, "保单止期", "policy.end_before_start"),
                        ("policies", 3, "保单止期", "policy.end_before_start")}
    assert "2026-10-01" in v.findings[0].message and "2026-10-02" in v.findings[0].message


@pytest.mark.parametrize("register,row,key", [
    ("policies", policy, "commercial_premium"), ("policies", policy, "compulsory_premium"),
    ("policies", policy, "commission"), ("claims", claim, "assessed_amount"),
    ("payments", lambda **v: dict(claim_no="BA1", **v), "amount_due"),
    ("tp_refunds", refund, "amount"), ("old_parts", lambda **v: dict(claim_no="BA1", **v), "qty"),
])
def test_negative_premium_amount_commission_or_quantity_is_an_error(register, row, key):
    records = {register: [row(**{key: -1})]}
    if register != "claims":
        records["claims"] = [claim()]
    v = run(**records)
    assert [(f.register, f.location.row, f.rule) for f in v.findings] == [(register, 2, "amount.negative")]


@pytest.mark.parametrize("vin,why", [("JF1ABC", "6 位"), ("LSVAB2CD3EF45678I", "I"), ("LSVOB2CD3EF456789", "O"),
                                     ("LSVAB2CD3EF45678Q", "Q")])
def test_vin_not_17_characters_or_with_i_o_q_is_an_error(vin, why):
    v = run(policies=[policy(vin=vin)], sales=[dict(vin=vin, sale_date="2026-10-01")])
    assert found(v) == {("policies", 2, "车架号", "vin.invalid"), ("sales", 2, "车架号", "vin.invalid")}
    assert why in v.findings[0].message


def test_duplicate_claim_number_names_both_rows():
    v = run(claims=[claim(), claim(claim_no="BA2"), claim()])
    [f] = v.findings
    assert (f.register, f.location.row, f.rule) == ("claims", 4, "claims.duplicate_claim_no")
    assert [r.row for r in f.related] == [2] and "第2行" in f.message


def test_duplicate_non_empty_policy_number_is_an_error_but_empty_ones_are_not():
    v = run(policies=[policy(), policy(channel="他处", policy_no=None), policy(channel="他处", policy_no=None),
                      policy(archive_no="DA2")])
    assert [(f.location.row, f.rule, [r.row for r in f.related]) for f in v.findings] == \
        [(5, "policies.duplicate_policy_no", [2])]


def test_a_vehicle_sold_twice_and_a_settlement_month_kept_twice_are_duplicates():
    v = run(sales=[dict(vin="LSVAB2CD3EF456789", sale_date="2026-01-01")] * 2,
            commission_settlements=[dict(month="2026-10", insurer="人保财险")] * 2
            + [dict(month="2026-10", insurer="平安产险")])
    assert {(f.register, f.location.row, f.rule) for f in v.findings} == {
        ("sales", 3, "sales.duplicate_vin"), ("commission_settlements", 3, "commission.duplicate_month")}


@pytest.mark.parametrize("register", ["handovers", "old_parts", "payments", "tp_refunds"])
def test_claim_side_row_whose_claim_number_is_not_in_claims_is_an_error(register):
    v = run(claims=[claim()], **{register: [dict(claim_no="BA1"), dict(claim_no="BA404")]})
    assert (register, 3, "报案号", "claim_no.not_in_claims") in found(v)
    assert not any(f.location.row == 2 and f.rule == "claim_no.not_in_claims" for f in v.findings)


def test_policy_written_here_with_an_insurer_that_is_not_a_partner_is_an_error():
    v = run(policies=[policy(insurer="大地保险"), policy(policy_no=None, channel="他处", insurer="大地保险"),
                      policy(policy_no="P3", insurer=" 人保财险 ")])
    assert found(v) == {("policies", 2, "保险公司", "policy.insurer_not_partner")}
    assert "大地保险" in v.findings[0].message and "人保财险" in v.findings[0].message


def test_without_partners_in_the_settings_the_partner_rule_warns_once_instead_of_flagging_every_policy():
    v = run(ctx(insurers={}), policies=[policy(), policy(policy_no="P2")])
    assert rules(v) == ["settings.no_partners"] and v.errors == 0


def test_third_insurer_in_a_month_below_800000_premium_is_a_warning():
    month = [policy(policy_no=f"P{i}", insurer=name) for i, name in enumerate(PARTNERS)]
    v = run(policies=month + [policy(policy_no="P9", issue_date="2026-09-05", insurer="人保财险")])
    [f] = v.findings
    assert (f.rule, f.severity, f.location.row) == ("partners.too_many", Severity.WARNING, None)
    assert f.message.startswith("2026-10") and "最多 2 家" in f.message and "实际 3 家" in f.message


def test_three_insurers_are_allowed_from_800000_premium_but_never_four():
    rich = dict(commercial_premium=300_000.0)
    three = [policy(policy_no=f"P{i}", insurer=name, **rich) for i, name in enumerate(PARTNERS)]
    assert run(policies=three).findings == ()
    four = ctx(insurers={**PARTNERS, "大地保险": Insurer(name="大地保险")})
    v = run(four, policies=three + [policy(policy_no="P9", insurer="大地保险", **rich)])
    assert rules(v) == ["partners.too_many"] and "最多 3 家" in v.findings[0].message


def test_partner_limits_come_from_the_thresholds():
    three = [policy(policy_no=f"P{i}", insurer=name) for i, name in enumerate(PARTNERS)]
    assert run(ctx(thresholds=Thresholds(max_partners_low=3)), policies=three).findings == ()


def test_refund_paid_without_the_finance_managers_approval_is_an_error_at_that_cell():
    v = run(claims=[claim()], tp_refunds=[refund(sign_finance_manager=None)])
    assert found(v) == {("tp_refunds", 2, "财务经理", "refund.missing_approvals")}
    assert "财务经理" in v.findings[0].message


def test_refund_missing_several_approvals_is_one_finding_naming_them_all():
    v = run(claims=[claim()], tp_refunds=[refund(sign_adjuster=None, sign_store_manager=None)])
    [f] = v.findings
    assert f.location.column == "保险理赔员" and "保险理赔员、店长" in f.message


def test_refund_not_yet_paid_needs_no_approvals_yet():
    v = run(claims=[claim()], tp_refunds=[refund(refund_date=None, sign_cashier=None, customer_signed=None)])
    assert v.findings == ()


@pytest.mark.parametrize("signed", [False, None])
def test_refund_paid_without_the_customers_signature_is_an_error(signed):
    v = run(claims=[claim()], tp_refunds=[refund(customer_signed=signed)])
    assert found(v) == {("tp_refunds", 2, "客户签字", "refund.customer_not_signed")}


# ---- warnings ------------------------------------------------------------------------------------

def test_issue_date_after_as_of_is_a_warning():
    v = run(policies=[policy(issue_date="2026-11-25", policy_start="2026-11-26", policy_end="2027-11-25")])
    assert found(v) == {("policies", 2, "出单日期", "date.after_as_of")}
    assert v.errors == 0 and "2026-11-25" in v.findings[0].message


def test_claim_settled_before_it_was_reported_is_a_warning():
    v = run(claims=[claim(settled_date="2026-09-30")])
    assert found(v) == {("claims", 2, "结算日期", "claim.settled_before_reported")}


def test_phone_number_not_11_digits_is_a_warning_and_shown_masked():
    v = run(policies=[policy(phone="1380013800"), policy(policy_no="P2", phone="138-0013-8000")])
    [f] = v.findings
    assert (f.location.row, f.rule, f.severity) == (2, "phone.wrong_length", Severity.WARNING)
    assert "1380013800" not in f.message and "138***3800" in f.message


def test_handover_not_signed_is_a_warning():
    v = run(claims=[claim()], handovers=[dict(claim_no="BA1", signed=True), dict(claim_no="BA1", signed=False),
                                         dict(claim_no="BA1")])
    assert found(v) == {("handovers", 3, "签字确认", "handover.not_signed"), ("handovers", 4, "签字确认", "handover.not_signed")}
    assert v.errors == 0


def test_payment_larger_than_due_is_a_warning():
    v = run(claims=[claim()], payments=[dict(claim_no="BA1", amount_due=1000.0, paid_amount=1000.0),
                                        dict(claim_no="BA1", amount_due=1000.0, paid_amount=1200.0)])
    assert found(v) == {("payments", 3, "回款金额", "payment.more_than_due")}
    assert "1,200.00" in v.findings[0].message and "1,000.00" in v.findings[0].message


# ---- the channel: all rules, reader findings, order ----------------------------------------------

def test_all_rules_run_and_every_problem_is_listed_not_the_first():
    v = run(policies=[policy(customer=None, channel="本地", vin="X", commission=-5.0)],
            claims=[claim(), claim()], payments=[dict(claim_no="BA9", amount_due=1.0, paid_amount=2.0)])
    assert sorted(rules(v)) == sorted(["required.missing", "value.not_allowed", "vin.invalid", "amount.negative",
                                       "claims.duplicate_claim_no", "claim_no.not_in_claims", "payment.more_than_due"])
    assert (v.errors, v.warnings) == (6, 1)


def test_every_rule_code_has_a_title_and_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for code in RULE_TITLES:
        assert f"`{code}`" in readme, code
    assert len(CHECKS) == len(set(CHECKS)) and RULESET_VERSION


def test_json_has_exactly_the_contract_keys():
    v = run(policies=[policy(customer=None)])
    payload = v.to_json()
    assert set(payload) == {"findings", "errors", "warnings"}
    assert set(payload["findings"][0]) == {"register", "sheet", "row", "column", "severity", "rule", "message",
                                           "workbook", "cell"}
    assert payload["findings"][0]["severity"] == "error" and payload["findings"][0]["cell"] == ""


def test_unreadable_value_is_reported_once_by_the_reader_not_again_as_missing(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {"客户出险统计表": [
        ["报案号", "报案日期", "车牌号"], ["BA1", "昨天", "京A1"], ["BA2", None, "京A2"]]})
    v = validate(read_store(path), ctx())
    got = {(f.location.row, f.location.cell, f.rule) for f in v.findings if f.register == "claims"}
    assert got == {(2, "B2", "read.not_a_date"), (3, "B3", "required.missing")}


def test_a_column_missing_from_a_sheet_is_reported_once_not_once_per_row(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {
        "客户出险统计表": [["报案号", "车牌号"], ["BA1", "京A1"], ["BA2", "京A2"]],
        "客户三者回款统计表": [["报案号", "三者金额", "保险理赔员", "售后经理", "收银员", "店长", "退款日期", "客户签字"],
                       ["BA1", 100, "甲", "乙", "丙", "戊", "2026-10-01", "是"],
                       ["BA2", 100, "甲", "乙", "丙", "戊", "2026-10-02", "是"]]})
    v = validate(read_store(path), ctx())
    claims = [(f.rule, f.location.row, f.location.column) for f in v.findings if f.register == "claims"]
    assert claims == [("read.missing_column", 1, "报案日期")]
    refunds = [(f.rule, f.location.row, f.location.column) for f in v.findings if f.register == "tp_refunds"]
    assert refunds == [("refund.missing_approvals", 1, "财务经理")]
    assert "2 行" in next(f.message for f in v.findings if f.register == "tp_refunds")


def test_registers_not_found_are_named_and_sheets_that_are_no_register_are_reported(tmp_path):
    path = make_workbook(tmp_path / "s.xlsx", {
        "客户出险统计表": [["报案号", "报案日期", "车牌号"], ["BA1", "2026-10-01", "京A1"]],
        "Sheet9": [["随便写的"], ["东西"]]})
    v = validate(read_store(path), ctx())
    missing = {f.location.sheet for f in v.findings if f.rule == "register.missing"}
    assert "客户管理统计明细表" in missing and "客户出险统计表" not in missing
    assert [(f.location.sheet, f.severity) for f in v.findings if f.rule == "sheet.unrecognised"] == \
        [("Sheet9", Severity.WARNING)]


def test_findings_come_sorted_by_register_sheet_and_row_and_the_report_groups_them():
    v = run(policies=[policy(customer=None), policy(policy_no="P2", channel="x")], claims=[claim(plate=None)])
    assert [(f.register, f.location.row) for f in v.findings] == [("policies", 2), ("policies", 3), ("claims", 2)]
    text = "\n".join(report_lines(v, "s.xlsx", AS_OF))
    assert "客户管理统计明细表（policies）：错误 2 条，警告 0 条" in text
    assert "客户出险统计表（claims）：错误 1 条，警告 0 条" in text and "合计：错误 3 条，警告 0 条" in text
