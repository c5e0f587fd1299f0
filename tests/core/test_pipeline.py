"""The renewal pipeline beside the KPIs (DOMAIN.md rev 2): the per-clerk funnel (due, quoted, renewed,
报价率, 成交率), the cars sold without a 本店 新保 policy by 未在店投保原因, the weekly 首保/续保 counts and
the 首保跟进 list; on both shapes of the v2 sample store."""
import datetime as dt
import json

import pytest

from insurance_xl.cli import main
from insurance_xl.core.first_insurance import first_insurance_follow_up, not_insured_reasons, weekly_counts
from insurance_xl.core.funnel import month_funnel
from insurance_xl.core.pipeline import renewal_pipeline
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context, Settings, store_settings
from insurance_xl.tables import registers_from_tables, table_from_records

from tests.v2 import expected_v2, sample_v2


@pytest.fixture(scope="module")
def sample_v2_expected() -> dict:
    return expected_v2()

AS_OF = dt.date(2026, 11, 24)
CTX = Context(Settings(own_brands=["斯巴鲁"]), AS_OF)


def policy(archive, start, end, channel="本店", business="续保", clerk="周敏", vin=None, issue=None, **more):
    row = dict(archive_no=archive, customer="张三", phone="13800000000", vin=vin or f"VIN{archive}", brand="斯巴鲁",
               insurer="人保财险", channel=channel, business_type=business, policy_start=start, policy_end=end,
               issue_date=issue or start, clerk=clerk, compulsory_premium=950.0, commercial_premium=3000.0)
    return {**row, **more}


def sale(vin, day, reason=None, salesperson="王五", brand="斯巴鲁"):
    return dict(vin=vin, plate=None, customer="李四", phone="13900000000", brand=brand, model="森林人",
                sale_date=day, salesperson=salesperson, not_insured_reason=reason)


def contact(archive, day, quote=None, outcome="考虑中"):
    return dict(archive_no=archive, contact_date=day, method="电话", outcome=outcome, quote_amount=quote)


def registers(policies=(), sales=(), contacts=()):
    return registers_from_tables({"policies": table_from_records("policies", list(policies)),
                                  "sales": table_from_records("sales", list(sales)),
                                  "contacts": table_from_records("contacts", list(contacts))})


def funnel_rows(regs, month="2026-10"):
    return {r["clerk"]: r for r in month_funnel(regs, CTX, month).to_dict("records")}


def test_funnel_counts_due_quoted_and_renewed_per_clerk():
    pols = [
        policy("Q1", "2025-10-05", "2026-10-04"), policy("Q1", "2026-10-05", "2027-10-04", vin="VINQ1"),  # quoted, renewed
        policy("Q2", "2025-10-10", "2026-10-09"),  # quoted, lost
        policy("N", "2025-10-20", "2026-10-19"), policy("N", "2026-10-20", "2027-10-19", vin="VINN"),  # renewed unquoted
        policy("W", "2025-10-20", "2026-10-19", clerk="吴静"),  # another clerk, not quoted
        policy("L", "2025-11-20", "2026-11-19"),  # due next month
    ]
    contacts = [contact("Q1", "2026-09-20", 4100.0), contact("Q1", "2026-09-25", 4000.0),  # two quotes: once
                contact("Q2", "2026-10-01", 3800.0), contact("N", "2026-10-01"),
                contact("L", "2026-10-02", 3900.0)]
    rows = funnel_rows(registers(pols, contacts=contacts))
    assert rows["周敏"] == {"clerk": "周敏", "due": 3, "quoted": 2, "renewed": 1, "quote_rate": 2 / 3, "close_rate": 0.5}
    assert rows["吴静"]["due"] == 1 and rows["吴静"]["quoted"] == 0
    assert rows["吴静"]["quote_rate"] == 0 and rows["吴静"]["close_rate"] != rows["吴静"]["close_rate"]  # NaN: 0 quoted


def test_a_quote_outside_the_periods_contacts_does_not_count():
    pols = [policy("A", "2025-10-20", "2026-10-19"), policy("B", "2025-10-20", "2026-10-19")]
    early = (dt.date(2026, 10, 19) - dt.timedelta(days=91)).isoformat()
    late = (dt.date(2026, 10, 19) + dt.timedelta(days=31)).isoformat()
    rows = funnel_rows(registers(pols, contacts=[contact("A", early, 4000.0), contact("B", late, 4000.0)]))
    assert rows["周敏"]["quoted"] == 0


def test_a_compulsory_and_a_commercial_row_are_one_vehicle_due():
    pols = [policy("A", "2025-10-20", "2026-10-19", commercial_premium=None),
            policy("A", "2025-10-22", "2026-10-21", vin="VINA", compulsory_premium=None)]
    assert funnel_rows(registers(pols))["周敏"]["due"] == 1


def test_cars_sold_without_a_first_policy_here_are_counted_by_reason():
    sales = [sale("V1", "2026-10-03", "价格"), sale("V2", "2026-10-04"), sale("V3", "2026-10-05", "自行投保"),
             sale("V4", "2026-10-06", "价格"), sale("V5", "2026-09-30", "价格"), sale("V6", "2026-10-07", "价格", brand="丰田")]
    pols = [policy("A4", "2026-10-06", "2027-10-05", business="新保", vin="V4")]
    reasons = not_insured_reasons(registers(pols, sales), CTX, "2026-10")
    assert reasons == {"价格": 1, "自行投保": 1, "贷款/单位指定": 0, "服务": 0, "其他": 0, "未填": 1}


def test_weeks_are_the_iso_weeks_touching_the_month_and_add_up_to_it():
    sales = [sale("V1", "2026-10-01"), sale("V2", "2026-10-31"), sale("V3", "2026-09-30")]
    pols = [policy("A1", "2026-10-02", "2027-10-01", business="新保", vin="V1", issue="2026-10-01"),
            # one vehicle's 交强险 and 商业险 issued on two days: one renewal, in the week of the first
            policy("R", "2026-10-12", "2027-10-11", issue="2026-10-11", commercial_premium=None),
            policy("R", "2026-10-13", "2027-10-12", vin="VINR", issue="2026-10-12", compulsory_premium=None),
            {**policy("R2", "2026-10-20", "2027-10-19"), "issue_date": None}]  # no 出单日期: placed by its 保单起期
    weeks = weekly_counts(registers(pols, sales), CTX, "2026-10")
    assert weeks["week"].tolist() == ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    assert weeks["sold"].tolist() == [1, 0, 0, 0, 1]
    assert weeks["first_insured"].tolist() == [1, 0, 0, 0, 0]
    assert weeks["renewed"].tolist() == [0, 1, 0, 1, 0]


def test_first_insurance_follow_up_lists_cars_sold_up_to_14_days_ago_with_no_policy_here():
    day = lambda n: (AS_OF - dt.timedelta(days=n)).isoformat()  # noqa: E731
    sales = [sale("V14", day(14), salesperson="赵六"), sale("V15", day(15)), sale("V0", day(0)),
             sale("VI", day(3)), sale("VT", day(2), brand="丰田"), sale("VE", day(5))]
    pols = [policy("AI", day(2), "2027-11-20", business="新保", vin="VI"),
            policy("AE", day(4), "2027-11-20", business="新保", channel="他处", vin="VE", clerk="吴静")]
    rows = first_insurance_follow_up(registers(pols, sales), CTX)
    assert rows[["vin", "salesperson", "days_since_sale"]].values.tolist() == [
        ["VE", "王五", 5], ["V0", "王五", 0], ["V14", "赵六", 14]]
    assert rows.set_index("vin").loc["VE", "clerk"] == "吴静"


@pytest.mark.parametrize("name", ["store.xlsx", "store_rows.xlsx"])
def test_both_shapes_of_the_sample_store_give_one_pipeline_that_adds_up_to_the_kpis(name, sample_v2_expected):
    regs = read_store(sample_v2(name))
    ctx = Context(store_settings(regs, sample_v2("settings.toml")), dt.date.fromisoformat(sample_v2_expected["as_of"]))
    expected = sample_v2_expected["kpi"]
    got = renewal_pipeline(regs, ctx, expected["month"]).to_json()
    counts = expected["counts"]
    assert sum(w["sold"] for w in got["weeks"]) == counts["sold"]
    assert sum(w["first_insured"] for w in got["weeks"]) == counts["first_insured"]
    assert sum(w["renewed"] for w in got["weeks"]) == counts["renewed"]
    assert sum(got["not_insured_reasons"].values()) == counts["sold"] - counts["first_insured"]
    assert all(set(r) == {"clerk", "due", "quoted", "renewed", "quote_rate", "close_rate"} for r in got["funnel"])
    assert got == renewal_pipeline(read_store(sample_v2("store.xlsx")), ctx, expected["month"]).to_json()


def test_kpi_json_carries_the_pipeline(capsys, sample_v2_expected):
    assert main(["kpi", str(sample_v2("store.xlsx")), "--month", "2026-10", "--as-of", sample_v2_expected["as_of"],
                 "--settings", str(sample_v2("settings.toml")), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [w["week"] for w in got["weeks"]] == ["2026-W40", "2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    assert got["not_insured_reasons"]["未填"] == 3 and got["funnel"]


def test_calls_out_writes_the_first_insurance_list_beside_the_call_lists(tmp_path, capsys):
    from openpyxl import load_workbook

    store = sample_v2("store.xlsx")
    regs = read_store(store)
    ctx = Context(store_settings(regs, sample_v2("settings.toml")), dt.date(2026, 10, 30))
    expected = first_insurance_follow_up(regs, ctx)
    assert len(expected) >= 1  # the sample sold a car on 10-16 that is not insured here
    assert main(["calls", str(store), "--settings", str(sample_v2("settings.toml")), "--as-of", "2026-10-30",
                 "--out", str(tmp_path)]) == 0
    assert f"首保跟进 {len(expected)} 台" in capsys.readouterr().out
    ws = load_workbook(tmp_path / "首保跟进-20261030.xlsx")["首保跟进"]
    headers = [c.value for c in ws[3]]
    rows = [[ws.cell(row=r, column=j + 1).value for j in range(len(headers))] for r in range(4, ws.max_row + 1)]
    assert [r[headers.index("车架号")] for r in rows] == expected["vin"].tolist()
    assert [r[headers.index("售出天数")] for r in rows] == expected["days_since_sale"].tolist()
    assert "销售顾问" in headers and "出单员" in headers and "联系电话" in headers
