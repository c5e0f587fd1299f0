"""Periods and the KPIs of DOMAIN.md revision 2, pinned at their boundaries: a car's 交强险 and 商业险
as one row or two, the 90-day period, cancellations, blank 出单日期 and 品牌."""
import datetime as dt

import numpy as np
import pandas as pd

from insurance_xl.core.periods import (KIND_BOTH, KIND_COMMERCIAL, KIND_COMPULSORY, days, policy_kinds,
                                       policy_periods, row_days)
from insurance_xl.settings import Context, Settings, Thresholds
from insurance_xl.tables import table_from_records

from tests.core.test_kpi import claim, kpis, policy, sale, store

OWN = "斯巴鲁"


def ctx(as_of=dt.date(2026, 11, 24), brands=(OWN,)):
    return Context(Settings(store="测试店", own_brands=list(brands), thresholds=Thresholds()), as_of)


def split(row, compulsory_start=None):
    """A combined row as the insurer issues it: a 交强险 row and a 商业险 row."""
    c = {**row, "policy_no": "Z" + row["policy_no"], "commercial_premium": None, "commission": 10.0}
    if compulsory_start:
        c["policy_start"] = compulsory_start
    b = {**row, "compulsory_premium": None, "commission": row["commission"] - 10.0}
    return [c, b]


def periods_of(rows):
    table = table_from_records("policies", rows)
    rd = row_days(table)
    vehicle = pd.factorize(table["vin"])[0]
    channel = pd.factorize(table["channel"])[0]
    return policy_periods(vehicle, channel, rd["start_d"], rd["end_d"], rd["issue_d"], rd["cancelled"], 90)


# ---- kinds and periods ---------------------------------------------------------------------------

def test_a_rows_kind_comes_from_its_policy_kind_else_its_premiums_else_its_coverages():
    rows = [{"policy_kind": "商业险", "compulsory_premium": 950.0},
            {"compulsory_premium": 950.0},
            {"commercial_premium": 3000.0},
            {"compulsory_premium": 950.0, "commercial_premium": 3000.0},
            {"coverages": "交强险"},
            {"coverages": "三者险+车损险"},
            {"coverages": "交强险+三者险"},
            {}]
    kinds = policy_kinds(table_from_records("policies", rows)).tolist()
    assert kinds == [KIND_COMMERCIAL, KIND_COMPULSORY, KIND_COMMERCIAL, KIND_BOTH, KIND_COMPULSORY, KIND_COMMERCIAL,
                     KIND_BOTH, KIND_BOTH]


def test_policies_starting_90_days_after_the_earliest_are_one_period_91_days_two():
    base = policy("V1", "新保", "2026-01-01", commercial=3000, compulsory=950, commission=800)
    on_day_90 = periods_of(split(base, compulsory_start="2026-04-01"))  # 2026-01-01 + 90 days
    on_day_91 = periods_of(split(base, compulsory_start="2026-04-02"))
    assert on_day_90.count == 1 and on_day_91.count == 2
    assert on_day_90.start_d[0] == days(pd.Series(pd.to_datetime(["2026-01-01"])))[0]


def test_a_period_ends_at_its_first_cover_to_lapse_and_a_cancelled_policy_does_not_count():
    rows = [policy("V1", "续保", "2026-01-01", "2026-01-01", "2026-12-31"),
            {**policy("V1", "续保", "2026-01-01", "2026-01-10", "2026-06-30"), "policy_no": "B"},
            {**policy("V1", "续保", "2026-01-01", "2026-01-05", "2026-03-31"), "policy_no": "C",
             "cancel_date": "2026-02-01"}]
    p = periods_of(rows)
    assert p.count == 1
    assert p.end_d[0] == days(pd.Series(pd.to_datetime(["2026-06-30"])))[0]
    assert not p.cancelled[0]
    assert periods_of([rows[2]]).cancelled.tolist() == [True]


# ---- KPIs by vehicle and period ------------------------------------------------------------------

def test_a_new_car_with_two_policy_rows_is_one_first_insurance_not_two():
    sales = [sale("V1", "2026-10-02")]
    row = policy("V1", "新保", "2026-10-03", compulsory=950, commercial=4000, commission=1038)
    k = kpis(store(sales, split(row)), context=ctx())
    assert (k.counts.first_insured, k.counts.sold, k.first_insurance_rate) == (1, 1, 1.0)
    assert (k.premium_compulsory, k.premium_commercial, k.commission) == (950.0, 4000.0, 1038.0)


def test_a_car_whose_two_policies_both_lapse_is_one_customer_lost():
    rows = split(policy("V1", "续保", "2025-10-01", "2025-10-02", "2026-10-01", compulsory=950, commercial=3000,
                        commission=800), compulsory_start="2025-10-16")
    rows[0]["policy_end"] = "2026-10-15"
    k = kpis(store([sale("V1", "2022-01-01")], rows), context=ctx())
    assert (k.counts.expiring, k.counts.lost, k.counts.pending) == (1, 1, 0)
    assert k.churn_rate == 1.0


def test_the_next_period_must_start_more_than_90_days_after_the_periods_start_to_renew_it():
    rows = [policy("V1", "续保", "2025-10-01", "2025-10-01", "2026-10-10"),
            {**policy("V1", "续保", "2025-12-29", "2025-12-30", "2026-10-20"), "policy_no": "X"}]  # day 90
    k = kpis(store([sale("V1", "2022-01-01")], rows), context=ctx())
    assert (k.counts.expiring, k.counts.lost) == (1, 1)  # the second policy is the same period, not a renewal


def test_a_sold_or_scrapped_car_is_gone_and_left_out_of_the_churn_rate():
    rows = [policy("V1", "续保", "2025-10-01", "2025-10-01", "2026-10-10"),
            policy("V2", "续保", "2025-10-01", "2025-10-01", "2026-10-10", archive="DA2")]
    contacts = [{"archive_no": "DA1", "contact_date": "2026-11-08", "method": "电话", "outcome": "车辆已售/报废"},
                {"archive_no": "DA2", "contact_date": "2026-11-09", "method": "电话", "outcome": "车辆已售/报废"}]
    k = kpis(store([sale("V1", "2022-01-01"), sale("V2", "2022-01-01")], rows, contacts=contacts), context=ctx())
    # end + 30 days grace = 2026-11-09: DA1's contact is before it (gone), DA2's is not (lost)
    assert (k.counts.expiring, k.counts.gone, k.counts.lost, k.churn_rate) == (2, 1, 1, 1.0)


def test_a_cancelled_policy_is_in_force_on_its_cancel_day_not_after():
    rows = [{**policy("V1", "续保", "2026-01-01", plate="京A1"), "cancel_date": "2026-10-01",
             "refund_premium": 1200.0, "refund_commission": 300.0}]
    on_day = kpis(store([], rows, [claim("京A1", "2026-10-01")]), context=ctx())
    after = kpis(store([], rows, [claim("京A1", "2026-10-02")]), context=ctx())
    assert (on_day.counts.claim_vehicles, on_day.counts.non_store_claims) == (1, 0)
    assert (after.counts.claim_vehicles, after.counts.non_store_claims) == (0, 1)
    assert after.counts.insured_vehicles == 1  # in force on 1 October
    november = kpis(store([], rows), month="2026-11", context=ctx())
    assert november.counts.insured_vehicles == 0
    assert (on_day.refund_premium, on_day.refund_commission) == (1200.0, 300.0)
    assert (on_day.net_premium, on_day.net_commission) == (-1200.0, -300.0)


def test_a_period_all_of_whose_policies_were_cancelled_is_not_expiring():
    rows = [{**policy("V1", "续保", "2025-10-20", "2025-10-20", "2026-10-19"), "cancel_date": "2026-03-01"}]
    k = kpis(store([sale("V1", "2022-01-01")], rows), context=ctx())
    assert k.counts.expiring == 0


def test_claim_rate_never_passes_100_percent_whatever_the_claim_register_says():
    rows = [policy("V1", "续保", "2026-01-01", plate="京A1")]
    claims = [claim("京A1", "2026-10-05", no="C1"), claim("京B2", "2026-10-05", here=True, no="C2")]
    k = kpis(store([], rows, claims), context=ctx())
    assert (k.counts.claim_vehicles, k.counts.insured_vehicles, k.claim_rate) == (1, 1, 1.0)
    assert k.counts.non_store_claims == 1  # 京B2 has no 本店 policy: insured elsewhere, whatever was typed


def test_a_policy_with_no_issue_date_counts_in_the_month_of_its_start():
    row = {**policy("V1", "新保", "2026-10-05", compulsory=950, commission=38), "issue_date": None}
    k = kpis(store([sale("V1", "2026-10-01")], [row]), context=ctx())
    assert (k.counts.first_insured, k.premium_compulsory, k.commission) == (1, 950.0, 38.0)


def test_a_blank_brand_is_the_own_brand_with_one_own_brand_and_left_out_with_two():
    sales = [sale("V1", "2026-10-01", brand=None)]
    rows = [policy("V1", "新保", "2026-10-02", brand=None)]
    one = kpis(store(sales, rows), context=ctx())
    two = kpis(store(sales, rows), context=ctx(brands=(OWN, "丰田")))
    assert (one.counts.sold, one.counts.first_insured) == (1, 1)
    assert (two.counts.sold, two.counts.first_insured) == (0, 0)


def test_periods_are_vectorised_over_many_vehicles():
    n = 50_000
    vehicle = np.repeat(np.arange(n), 4)
    start = np.tile(np.array([0, 10, 365, 380]), n) + 20000
    p = policy_periods(vehicle, np.zeros(4 * n, np.int64), start, start + 364, start, np.zeros(4 * n, bool), 90)
    assert p.count == 2 * n
    assert (p.of_row[::4] == p.of_row[1::4]).all() and (p.of_row[2::4] != p.of_row[1::4]).all()
