"""The regional ranking and the reporting rules (§4.7.2, §4.9.1)."""
import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.errors import WorkbookUnreadable
from insurance_xl.core.kpi import KpiCounts, Kpis
from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.core.region import LATE, MISSING, NOT_DUE, ON_TIME, StoreReport, region_month, report_status
from insurance_xl.reading.reports import read_report
from insurance_xl.services.monthly_report import write_monthly_report
from insurance_xl.settings import Context, RegionSettings, RegionStore, Settings

from tests.conftest import make_workbook


def report(store, month="2026-10", sold=10, first=8, base=100, renewed=5, commission=1000.0, ytd=50000.0,
           new_car=600.0, renewal=400.0, source=""):
    counts = KpiCounts(sold=sold, first_insured=first, retained_base=base, renewed=renewed)
    kpi = Kpis(month, counts, 0.0, 0.0, commission, ytd).to_json()
    extras = {"new_car_commission": new_car, "renewal_commission": renewal}
    data = {"store": store, "month": month, **{k: kpi[k] for k in ("first_insurance_rate", "renewal_rate")},
            **{f"counts.{k}": v for k, v in kpi["counts"].items()}}
    return StoreReport(store, month, kpi, ytd, source=source, extras=extras, data=data)


def region(*stores, **rules):
    return RegionSettings(stores=list(stores), **rules)


def store(name, target=100000.0, **received):
    return RegionStore(name=name, annual_commission_target=target,
                       received={m.replace("_", "-"): dt.date.fromisoformat(d) for m, d in received.items()})


AS_OF = dt.date(2026, 11, 20)


def test_stores_are_ranked_in_the_three_rankings_and_overall_by_the_sum_of_their_ranks():
    settings = region(store("甲店", 100000), store("乙店", 50000), store("丙店", 100000))
    reports = [report("甲店", first=9, new_car=900, renewed=6, renewal=500, ytd=60000),  # best new car and renewal
               report("乙店", first=7, new_car=800, renewed=4, renewal=300, ytd=40000),  # 80 % of a smaller target
               report("丙店", first=8, new_car=700, renewed=5, renewal=400, ytd=30000)]
    ranking = region_month(reports, settings, "2026-10", AS_OF).ranking
    assert list(ranking["store"]) == ["甲店", "乙店", "丙店"]
    assert list(ranking["rank"]) == [1, 2, 3]
    rows = ranking.set_index("store")
    # 新车投保: 乙 is 3rd on the rate and 2nd on new-car commission (5), 丙 2nd and 3rd (5): a shared 2nd place
    assert rows["new_car_rank"].tolist() == [1, 2, 2]
    assert rows.loc["乙店", "renewal_rank"] == 3 and rows.loc["丙店", "renewal_rank"] == 2
    assert rows.loc["乙店", "target_progress"] == 0.8 and rows.loc["乙店", "target_rank"] == 1
    assert rows.loc["乙店", "rank_sum"] == 6 and rows.loc["丙店", "rank_sum"] == 7
    assert set(region_month(reports, settings, "2026-10", AS_OF).to_json()["ranking"][0]) >= {
        "store", "first_insurance_rate", "new_car_commission", "new_car_rank", "renewal_rate", "renewal_commission",
        "renewal_rank", "target_progress", "target_rank", "rank"}


def test_new_car_commission_decides_between_equal_first_insurance_rates():
    settings = region(store("甲店"), store("乙店"))
    reports = [report("甲店", new_car=500), report("乙店", new_car=900)]
    rows = region_month(reports, settings, "2026-10", AS_OF).ranking.set_index("store")
    assert (rows.loc["乙店", "new_car_rank"], rows.loc["甲店", "new_car_rank"]) == (1, 2)


def test_an_empty_rate_ranks_last_and_ties_share_a_rank():
    settings = region(store("甲店"), store("乙店"), store("丙店"))
    reports = [report("甲店", sold=0, first=0), report("乙店"), report("丙店")]
    ranking = region_month(reports, settings, "2026-10", AS_OF).ranking.set_index("store")
    assert pd.isna(ranking.loc["甲店", "first_insurance_rate"])
    assert list(ranking["new_car_rank"]) == [1, 1, 3]  # 甲店 (empty rate) last, sorted last


def test_a_store_without_a_report_is_listed_last_unranked_as_missing():
    settings = region(store("甲店"), store("乙店"))
    result = region_month([report("甲店")], settings, "2026-10", AS_OF)
    rows = result.to_json()["ranking"]
    assert [(r["store"], r["rank"], r["status"]) for r in rows] == [("甲店", 1, ON_TIME), ("乙店", None, MISSING)]
    assert rows[1]["first_insurance_rate"] is None


def test_report_status_against_the_due_day_of_the_next_month():
    settings = RegionSettings(report_due_day=5)
    s = store("甲店", **{"2026_08": "2026-09-05", "2026_09": "2026-10-06"})
    assert report_status(s, "2026-08", False, settings, AS_OF) == ON_TIME  # on the due day
    assert report_status(s, "2026-09", False, settings, AS_OF) == LATE
    assert report_status(s, "2026-07", False, settings, AS_OF) == MISSING
    assert report_status(s, "2026-10", False, settings, dt.date(2026, 11, 5)) == NOT_DUE
    assert report_status(s, "2026-10", False, settings, dt.date(2026, 11, 6)) == MISSING
    assert report_status(s, "2026-10", True, settings, dt.date(2026, 11, 6)) == ON_TIME  # handed in, no date


def on_time_until(month_count, **more):
    months = {f"2026_{m:02d}": f"2026-{m + 1:02d}-01" for m in range(1, month_count + 1)}
    return {**months, **more}


def test_two_missing_reports_in_a_row_cost_a_point_and_a_fine():
    settings = region(store("甲店", **on_time_until(7)), store("乙店", **on_time_until(8)))
    penalties = region_month([], settings, "2026-09", dt.date(2026, 10, 20)).penalties
    assert penalties.to_dict("records") == [{"store": "甲店", "month": "2026-09", "rule": "missing",
                                             "months": ["2026-08", "2026-09"], "points": 1.0, "fine": 500.0}]


def test_a_missing_run_of_three_is_one_penalty_and_four_is_two():
    settings = region(store("甲店", **on_time_until(5)))
    fined = [len(region_month([], settings, m, dt.date(2026, 12, 31)).penalties) for m in
             ("2026-06", "2026-07", "2026-08", "2026-09")]
    assert fined == [0, 1, 0, 1]


def test_three_late_months_in_a_row_cost_a_point_and_a_fine():
    late = {"2026_07": "2026-08-09", "2026_08": "2026-09-10", "2026_09": "2026-10-06"}
    settings = region(store("甲店", **on_time_until(6, **late)))
    penalties = region_month([], settings, "2026-09", dt.date(2026, 10, 20)).penalties
    assert list(penalties["rule"]) == ["not_on_time"] and list(penalties["months"][0]) == ["2026-07", "2026-08", "2026-09"]
    # only two late in a row: no penalty yet
    assert region_month([], settings, "2026-08", dt.date(2026, 10, 20)).penalties.empty


def late_every_month(first_year, months):
    received = {}
    for i in range(months):
        year, month = first_year + i // 12, i % 12 + 1
        nxt = (year + (month == 12), month % 12 + 1)
        received[f"{year}_{month:02d}"] = f"{nxt[0]}-{nxt[1]:02d}-20"  # due on the 5th: always late
    return received


def test_a_streak_of_15_late_months_is_fined_exactly_5_times_over_the_whole_history():
    settings = region(store("甲店", **late_every_month(2025, 15)))
    result = region_month([], settings, "2026-03", dt.date(2026, 4, 30))
    assert len(result.history) == 5 and set(result.history["rule"]) == {"not_on_time"}
    assert list(result.history["month"]) == ["2025-03", "2025-06", "2025-09", "2025-12", "2026-03"]
    fined_months = [m for months in result.history["months"] for m in months]
    assert len(fined_months) == len(set(fined_months)) == 15  # never again for the same months
    # month by month, a penalty falls due only when a run of 3 completes
    due = [len(region_month([], settings, f"{2025 + i // 12}-{i % 12 + 1:02d}", dt.date(2026, 4, 30)).penalties)
           for i in range(15)]
    assert due == [0, 0, 1] * 5


def test_late_late_missing_is_not_on_time_three_months_in_a_row_fined_once():
    settings = region(store("甲店", **on_time_until(6, **{"2026_07": "2026-08-09", "2026_08": "2026-09-10"})))
    result = region_month([], settings, "2026-09", dt.date(2026, 10, 20))
    assert result.penalties[["rule", "months"]].values.tolist() == [["not_on_time", ["2026-07", "2026-08", "2026-09"]]]
    assert len(result.history) == 1


def test_missing_missing_is_fined_once_not_again_as_not_on_time():
    settings = region(store("甲店", **on_time_until(7)))
    result = region_month([], settings, "2026-09", dt.date(2026, 10, 20))
    assert result.history[["rule", "months"]].values.tolist() == [["missing", ["2026-08", "2026-09"]]]
    assert region_month([], settings, "2026-10", dt.date(2026, 11, 20)).history["month"].tolist() == ["2026-09"]


def test_late_and_missing_reports_and_an_inaccurate_one_are_notices():
    settings = region(store("甲店", **on_time_until(8, **{"2026_09": "2026-10-07"})), store("乙店", **on_time_until(8)),
                      store("丙店", **on_time_until(8)), store("丁店", **on_time_until(9)))
    wrong = report("丙店", month="2026-09", first=12, sold=10)  # 120 % first-insurance
    elsewhere = report("戊店", month="2026-09")  # not a store of the region
    named = report("丁店", month="2026-09", source="/x/保险业务月报-丁店-2026-08.xlsx")
    result = region_month([wrong, elsewhere, named], settings, "2026-09", dt.date(2026, 10, 20))
    notices = {(n["store"], n["kind"]): n["message"] for n in result.to_json()["notices"]}
    assert set(notices) == {("甲店", "late"), ("乙店", "missing"), ("丙店", "inaccurate"), ("戊店", "inaccurate"),
                            ("丁店", "inaccurate")}
    assert "首保率超过 100%" in notices["丙店", "inaccurate"] and "戊店" in notices["戊店", "inaccurate"]
    assert "2026-08" in notices["丁店", "inaccurate"]
    ranked = result.ranking.set_index("store")["rank"]
    assert ranked.isna()["丙店"] and ranked.isna()["丁店"]  # an inaccurate report is not ranked


def test_a_negative_count_is_an_inaccurate_report():
    bad = report("甲店", month="2026-10", renewed=-1)
    result = region_month([bad], region(store("甲店")), "2026-10", AS_OF)
    assert result.notices[["store", "kind"]].values.tolist() == [["甲店", "inaccurate"]]
    assert "计数为负" in result.notices["message"][0]


def test_penalty_rules_are_configurable():
    settings = region(store("甲店", **on_time_until(8)), missing_in_row=1, fine=800.0, penalty_points=2.0)
    penalties = region_month([], settings, "2026-09", dt.date(2026, 10, 20)).penalties
    assert penalties[["points", "fine"]].values.tolist() == [[2.0, 800.0]]


def test_a_report_not_yet_due_is_not_missing():
    settings = region(store("甲店", **on_time_until(8)))
    assert region_month([], settings, "2026-09", dt.date(2026, 10, 5)).penalties.empty


# ---- reading reports and the command -------------------------------------------------------------

def small_store(name):
    sales = table_from_records("sales", [{"vin": f"{name}1", "brand": "斯巴鲁", "sale_date": "2026-10-02"},
                                         {"vin": f"{name}2", "brand": "斯巴鲁", "sale_date": "2026-10-03"}])
    policies = table_from_records("policies", [
        {"vin": f"{name}1", "brand": "斯巴鲁", "channel": "本店", "business_type": "新保", "issue_date": "2026-10-02",
         "policy_start": "2026-10-02", "policy_end": "2027-10-01", "insurer": "人保财险", "commission": 1200.5},
        {"vin": f"{name}3", "brand": "斯巴鲁", "channel": "本店", "business_type": "新保", "issue_date": "2026-03-02",
         "policy_start": "2026-03-02", "policy_end": "2027-03-01", "insurer": "人保财险", "commission": 800.0}])
    return registers_from_tables({"sales": sales, "policies": policies})


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("reports")
    paths = []
    for name in ("甲店", "乙店"):
        ctx = Context(Settings(store=name, own_brands=["斯巴鲁"]), dt.date(2026, 11, 3))
        paths.append(write_monthly_report(small_store(name), ctx, "2026-10", tmp_path / f"{name}.xlsx")[0])
    return paths


def test_read_report_gives_the_kpi_json_and_commission_ytd(reports):
    got = read_report(reports[0])
    assert got.store == "甲店" and got.month == "2026-10"
    assert got.kpi["first_insurance_rate"] == 0.5 and got.kpi["commission"] == 1200.5
    assert got.commission_ytd == 2000.5


def test_a_workbook_that_is_not_a_report_is_refused(tmp_path):
    path = make_workbook(tmp_path / "x.xlsx", {"Sheet1": [["a", "b"]]})
    with pytest.raises(WorkbookUnreadable, match="_data"):
        read_report(path)


def test_region_command_ranks_and_writes_the_region_workbook(reports, tmp_path, capsys):
    toml = tmp_path / "region.toml"
    toml.write_text('[region]\nreport_due_day = 5\n'
                    '[[region.stores]]\nname = "甲店"\nannual_commission_target = 4001\n'
                    'received = { "2026-09" = 2026-10-20, "2026-10" = 2026-11-03 }\n'
                    '[[region.stores]]\nname = "乙店"\nannual_commission_target = 20005\n'
                    '[[region.stores]]\nname = "丙店"\nannual_commission_target = 1000\n', encoding="utf-8")
    out = tmp_path / "region.xlsx"
    assert main(["region", *map(str, reports), "--month", "2026-10", "--settings", str(toml), "--as-of", "2026-11-20",
                 "--json", "--out", str(out)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [r["store"] for r in payload["ranking"]] == ["甲店", "乙店", "丙店"]
    assert payload["ranking"][0]["target_progress"] == 2000.5 / 4001
    # 乙店 handed its October report in (no date recorded): on time, so one missing month (September) only
    assert [r["status"] for r in payload["ranking"]] == [ON_TIME, ON_TIME, MISSING]
    assert [(p["store"], p["rule"]) for p in payload["penalties"]] == [("丙店", "missing")]
    wb = load_workbook(out)
    assert wb.sheetnames == ["排名", "新车投保", "保有客户续险", "年度手续费目标完成进度", "扣分罚款", "处罚记录", "通报",
                             "报送情况"]
    assert [c.value for c in wb["排名"]["B"][3:6]] == ["甲店", "乙店", "丙店"]
    assert payload["ranking"][0]["new_car_commission"] == 1200.5  # the report's _data carries it
    assert [(n["store"], n["kind"]) for n in payload["notices"]] == [("丙店", "missing")]


def test_region_text_output(reports, capsys):
    assert main(["region", *map(str, reports), "--month", "2026-10", "--as-of", "2026-11-03"]) == 0
    out = capsys.readouterr().out
    assert "甲店" in out and "乙店" in out


def test_settings_received_dates_are_read(tmp_path):
    from insurance_xl.settings import load_settings

    toml = tmp_path / "s.toml"
    toml.write_text('[[region.stores]]\nname = "甲店"\nreceived = { "2026-10" = "2026-11-04" }\n', encoding="utf-8")
    stores = load_settings(toml).region.stores
    assert dataclasses.asdict(stores[0])["received"] == {"2026-10": dt.date(2026, 11, 4)}
