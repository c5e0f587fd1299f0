"""The validation rules of DOMAIN.md revision 2, each at its boundary: 交强险 one at a time and one
year long, a number used once across three columns, one archive per car, 新保 long after the sale,
是否本店投保 against the register, 三者险 tiers, a 本店 row with no 出单日期."""
import pytest

from insurance_xl.core.validation.validate import RULE_TITLES

from insurance_xl.reading.clerk_values import parse_amount_tiers

from tests.core.test_validate import claim, ctx, found, policy, run

import pandas as pd


def compulsory(**values):
    return policy(policy_kind="交强险", commercial_premium=None, compulsory_premium=950.0, commission=38.0, **values)


def test_every_new_rule_has_a_title():
    for code in ("compulsory.overlap", "compulsory.longer_than_year", "compulsory.short_term",
                 "policies.archive_two_vehicles", "policy.new_long_after_sale", "claim.insured_here_contradicts",
                 "policy.no_issue_date", "sales.brand_blank"):
        assert code in RULE_TITLES


def test_a_compulsory_policy_starting_the_day_after_the_last_one_ended_is_fine_on_that_day_two_in_force():
    first = compulsory(vin="LSVAB2CD3EF400001", archive_no="DA1", policy_start="2025-10-02", policy_end="2026-10-01",
                       issue_date="2025-10-01", policy_no="PZ1")
    next_day = compulsory(vin="LSVAB2CD3EF400001", archive_no="DA1", policy_start="2026-10-02",
                          policy_end="2027-10-01", policy_no="PZ2")
    same_day = {**next_day, "policy_start": "2026-10-01", "policy_end": "2027-09-30"}
    assert found(run(policies=[first, next_day])) == set()
    assert found(run(policies=[first, same_day])) == {("policies", 3, "保单起期", "compulsory.overlap")}


def test_a_cancelled_compulsory_policy_is_in_force_through_its_cancel_day():
    first = compulsory(vin="LSVAB2CD3EF400001", archive_no="DA1", policy_start="2025-10-02", policy_end="2026-10-01",
                       issue_date="2025-10-01", policy_no="PZ1", cancel_date="2026-03-01")
    after = compulsory(vin="LSVAB2CD3EF400001", archive_no="DA1", policy_start="2026-03-02",
                       policy_end="2027-03-01", issue_date="2026-03-01", policy_no="PZ2")
    on_day = {**after, "policy_start": "2026-03-01", "policy_end": "2027-02-28"}
    assert found(run(policies=[first, after])) == set()
    assert ("policies", 3, "保单起期", "compulsory.overlap") in found(run(policies=[first, on_day]))


def test_a_commercial_policy_beside_the_compulsory_one_is_no_overlap():
    pz = compulsory(vin="LSVAB2CD3EF400001", archive_no="DA1", policy_no="PZ1")
    p = policy(vin="LSVAB2CD3EF400001", archive_no="DA1", policy_no="P1", policy_kind="商业险", compulsory_premium=None)
    assert found(run(policies=[pz, p])) == set()


@pytest.mark.parametrize("end, rule", [("2027-10-01", None), ("2027-10-02", None),  # the day before, or on, the anniversary
                                       ("2027-10-03", "compulsory.longer_than_year"),
                                       ("2027-09-30", "compulsory.short_term")])
def test_a_compulsory_policy_runs_one_year(end, rule):
    v = run(policies=[compulsory(policy_start="2026-10-02", policy_end=end)])
    assert found(v) == ({("policies", 2, "保单止期", rule)} if rule else set())
    if rule:
        assert v.findings[0].is_error == (rule == "compulsory.longer_than_year")


def test_a_number_used_twice_across_the_three_number_columns_names_the_other_row():
    a = policy(policy_no=None, compulsory_policy_no="PZ1", commercial_policy_no="P1")
    b = policy(policy_no="PZ1")
    v = run(policies=[a, b])
    assert [(f.location.row, f.location.column, f.rule, [r.row for r in f.related]) for f in v.findings] == \
        [(3, "保单号", "policies.duplicate_policy_no", [2])]


def test_the_same_number_twice_on_one_row_is_that_rows_one_policy():
    assert found(run(policies=[policy(policy_no="P1", commercial_policy_no="P1")])) == set()


def test_a_row_written_here_needs_one_of_its_three_numbers():
    ok = policy(policy_no=None, compulsory_policy_no="PZ1")
    missing = policy(policy_no=None)
    elsewhere = policy(policy_no=None, channel="他处")
    assert found(run(policies=[ok, missing, elsewhere])) == {("policies", 3, "保单号", "required.missing")}


def test_one_archive_on_two_vehicles_is_an_error_naming_the_first():
    v = run(policies=[policy(archive_no="DA9"), policy(archive_no="DA9", policy_no="P2")])
    assert [(f.location.row, f.rule, [r.row for r in f.related]) for f in v.findings] == \
        [(3, "policies.archive_two_vehicles", [2])]


@pytest.mark.parametrize("start, end, warned", [("2026-10-30", "2027-10-29", False), ("2026-10-31", "2027-10-30", True)])
def test_a_new_policy_starting_more_than_90_days_after_the_sale_is_a_warning(start, end, warned):
    sale = {"vin": "LSVAB2CD3EF400001", "sale_date": "2026-08-01", "brand": "斯巴鲁"}  # + 90 days = 2026-10-30
    row = policy(vin="LSVAB2CD3EF400001", policy_start=start, issue_date="2026-07-30", policy_end=end)
    v = run(policies=[row], sales=[sale])
    assert found(v) == ({("policies", 2, "业务类型", "policy.new_long_after_sale")} if warned else set())


def test_insured_here_is_checked_against_the_policy_register_and_a_blank_needs_nothing():
    row = policy(plate="京A1", vin="LSVAB2CD3EF400001", policy_start="2025-01-01", policy_end="2025-12-31",
                 issue_date="2024-12-30")
    claims = [claim(claim_no="C1", plate="京A1", report_date="2025-12-31", insured_here=False),  # in force: wrong
              claim(claim_no="C2", plate="京A1", report_date="2026-01-01", insured_here=True),  # lapsed: wrong
              claim(claim_no="C3", plate="京A1", report_date="2025-06-01", insured_here=True),  # right
              claim(claim_no="C4", plate="京A1", report_date="2026-01-01", insured_here=None)]  # blank
    v = run(policies=[row], claims=claims)
    assert found(v) == {("claims", 2, "是否本店投保", "claim.insured_here_contradicts"),
                        ("claims", 3, "是否本店投保", "claim.insured_here_contradicts")}
    assert [r.row for r in v.findings[0].related] == [2]


def test_a_policy_written_here_without_issue_date_is_a_warning():
    assert found(run(policies=[policy(issue_date=None)])) == {("policies", 2, "出单日期", "policy.no_issue_date")}


def test_the_third_party_tiers_of_the_2020_reform_are_allowed_and_amounts_read_as_tiers():
    tiers, _ = parse_amount_tiers(pd.Series(["200万", "2000000", "200万元", "1,000万", "25万"], dtype="str"))
    assert tiers.tolist() == ["200万", "200万", "200万", "1000万", "25万"]
    v = run(policies=[policy(third_party_limit="200万"), policy(third_party_limit="25万", policy_no="P2")])
    assert found(v) == {("policies", 3, "三者险保额", "value.not_allowed")}


def test_the_tiers_are_a_setting():
    from insurance_xl.settings import Thresholds
    context = ctx(thresholds=Thresholds(third_party_tiers=["25万"]))
    v = run(context, policies=[policy(third_party_limit="25万"), policy(third_party_limit="200万", policy_no="P2")])
    assert found(v) == {("policies", 3, "三者险保额", "value.not_allowed")}


def test_a_sale_with_a_blank_brand_warns_only_when_the_store_has_several_brands():
    sale = {"vin": "LSVAB2CD3EF400001", "sale_date": "2026-08-01", "brand": None}
    assert found(run(sales=[sale])) == set()
    assert found(run(ctx(own_brands=["斯巴鲁", "丰田"]), sales=[sale])) == {("sales", 2, "品牌", "sales.brand_blank")}
