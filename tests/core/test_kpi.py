"""The KPIs of DOMAIN.md, pinned on tiny hand-built registers, then on the sample store."""
import datetime as dt
import json
import sys

import pytest

from insurance_xl.cli import main
from insurance_xl.core.kpi import kpi_history, monthly_kpis, prepare
from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context, Settings, Thresholds, load_settings

from tests.conftest import ROOT, sample
from tests.v2 import kpi_part_of

sys.path.insert(0, str(ROOT))
from bench.kpi_reference import reference_kpis  # noqa: E402

OWN = "斯巴鲁"
AS_OF = dt.date(2026, 11, 24)


def ctx(as_of=AS_OF, grace_days=30):
    return Context(Settings(store="测试店", own_brands=[OWN], thresholds=Thresholds(grace_days=grace_days)), as_of)


def sale(vin, day, brand=OWN, plate=None):
    return {"vin": vin, "plate": plate, "brand": brand, "sale_date": day}


def policy(vin, kind, issue, start=None, end=None, channel="本店", brand=OWN, plate=None, insurer="人保财险",
           clerk="周敏", compulsory=0.0, commercial=0.0, commission=0.0, archive="DA1"):
    start = start or issue
    if end is None:
        s = dt.date.fromisoformat(start)
        end = (s.replace(year=s.year + 1) - dt.timedelta(days=1)).isoformat()
    return {"archive_no": archive, "customer": "张三", "vin": vin, "plate": plate, "brand": brand, "channel": channel,
            "business_type": kind, "issue_date": issue, "policy_start": start, "policy_end": end, "insurer": insurer,
            "clerk": clerk, "compulsory_premium": compulsory, "commercial_premium": commercial,
            "commission": commission, "policy_no": f"P{vin}{start}"}


def claim(plate, day, here=True, no="C1"):
    return {"claim_no": no, "report_date": day, "plate": plate, "insured_here": here}


def store(sales=(), policies=(), claims=(), contacts=()):
    return registers_from_tables({
        "sales": table_from_records("sales", sales),
        "policies": table_from_records("policies", policies),
        "claims": table_from_records("claims", claims),
        "contacts": table_from_records("contacts", contacts),
    })


@pytest.fixture(scope="module")
def sample_store():
    return read_store(sample("store.xlsx")), Context(load_settings(sample("settings.toml")), AS_OF)


def kpis(registers, month="2026-10", context=None):
    context = context or ctx()
    result = monthly_kpis(registers, context, month)
    reference = reference_kpis(registers, context, month)
    assert result.to_json() == {k: reference[k] for k in result.to_json()}, "kpi.py and bench/kpi_reference.py differ"
    return result


# ---- the worked example of DOMAIN.md -------------------------------------------------------------

def test_worked_example_first_insurance_85_percent_and_renewal_5_5_percent():
    sales = [sale(f"OLD{i:05d}", "2024-06-01") for i in range(1199)]
    sales.append(sale("OLDLAST", "2025-10-31"))  # sold on the last day of the base month: in the base
    sales.append(sale("LATE", "2025-11-01"))  # sold after it: not in the base
    sales += [sale(f"NEW{i:03d}", "2026-10-15") for i in range(40)]
    policies = [policy(f"NEW{i:03d}", "新保", "2026-10-16") for i in range(34)]
    policies += [policy(f"OLD{i:05d}", "续保", "2026-10-05") for i in range(61)]
    policies += [policy(f"OLD{i:05d}", "转保", "2026-10-06") for i in range(100, 105)]
    k = kpis(store(sales, policies))
    assert (k.counts.sold, k.counts.first_insured) == (40, 34)
    assert k.first_insurance_rate == 0.85
    assert (k.counts.renewed, k.counts.retained_base) == (66, 1200)
    assert k.renewal_rate == 66 / 1200 == 0.055


def test_first_insurance_counts_only_new_policies_written_here_and_issued_in_the_month():
    sales = [sale("V1", "2026-10-02"), sale("V2", "2026-10-03"), sale("V3", "2026-10-30"), sale("V4", "2026-10-31")]
    policies = [
        policy("V1", "新保", "2026-10-02"),
        policy("V2", "新保", "2026-10-03", channel="他处"),  # insured elsewhere
        policy("V3", "新保", "2026-11-01"),  # issued next month
        policy("V4", "续保", "2026-10-31"),  # not a 新保
    ]
    k = kpis(store(sales, policies))
    assert (k.counts.first_insured, k.counts.sold) == (1, 4)
    assert k.first_insurance_rate == 0.25


# ---- own brand -----------------------------------------------------------------------------------

def test_another_brands_vehicle_counts_for_claims_and_premium_but_not_first_insurance_renewal_or_churn():
    sales = [sale("OWN1", "2026-10-01"), sale("TOY1", "2026-10-01", brand="丰田")]
    policies = [
        policy("OWN1", "新保", "2026-10-01", compulsory=665, commercial=4000.10, commission=1000.03),
        policy("TOY1", "新保", "2026-10-01", brand="丰田", compulsory=950, commercial=5000.20, commission=1250.05),
        policy("TOY2", "续保", "2026-10-02", brand="丰田", compulsory=950, commercial=3000.00, commission=750),
        policy("TOY3", "续保", "2025-10-20", "2025-10-21", "2026-10-20", brand="丰田"),  # expires, not renewed
    ]
    claims = [claim("京T00001", "2026-10-09", no="C1")]
    k = kpis(store(sales, [*policies, {**policy("TOY1", "新保", "2026-10-01", brand="丰田"), "plate": "京T00001",
                                       "channel": "他处", "policy_no": None}], claims))
    assert (k.counts.sold, k.counts.first_insured) == (1, 1)
    assert k.counts.renewed == 0
    assert k.counts.expiring == 0
    assert k.counts.insured_vehicles == 4  # every brand's 本店 policy in force in October
    assert k.counts.claim_vehicles == 1  # the Toyota's claim, matched to its VIN through its plate
    assert (k.premium_compulsory, k.premium_commercial, k.commission) == (2565.0, 12000.30, 3000.08)


def test_brand_missing_on_the_policy_is_taken_from_sales():
    sales = [sale("V1", "2026-10-01")]
    k = kpis(store(sales, [policy("V1", "新保", "2026-10-02", brand=None)]))
    assert k.counts.first_insured == 1


# ---- vehicle identity ----------------------------------------------------------------------------

def test_plate_only_row_is_matched_to_its_vin_through_sales_and_counted_once():
    sales = [sale("VIN0000000000001", "2024-05-01", plate="京A12345")]
    policies = [
        policy("VIN0000000000001", "续保", "2026-10-03"),
        policy(None, "续保", "2026-10-20", plate="京A12345", brand=None),  # the same car, keyed by plate only
    ]
    k = kpis(store(sales, policies))
    assert k.counts.renewed == 1  # distinct vehicles, not rows
    assert k.counts.retained_base == 1


def test_a_plate_that_maps_to_no_vin_stands_for_the_vehicle():
    sales = [sale("V1", "2024-05-01")]
    policies = [policy(None, "续保", "2026-10-03", plate="京B00001"), policy(None, "续保", "2026-10-09", plate="京B00001"),
                policy(None, "续保", "2026-10-09", plate="京B00002")]
    assert kpis(store(sales, policies)).counts.renewed == 2


def test_claims_count_distinct_vehicles_by_plate():
    policies = [policy("V1", "新保", "2026-03-01", plate="京A1"), policy("V2", "新保", "2026-03-01", plate="京A2")]
    claims = [claim("京A1", "2026-10-01", no="C1"), claim("京A1", "2026-10-20", no="C2"),
              claim("京A2", "2026-09-30", no="C3"), claim("京A2", "2026-10-31", here=None, no="C4")]
    k = kpis(store([], policies, claims))
    # DOMAIN.md rev 2: a claim is insured here by the policy register; C4's blank 是否本店投保 no longer
    # drops it (V2 has a 本店 policy in force on 2026-10-31)
    assert (k.counts.claim_vehicles, k.counts.insured_vehicles) == (2, 2)
    assert k.claim_rate == 1.0


# ---- churn: grace and pending --------------------------------------------------------------------

def churn_store(successor_start, successor_channel="本店"):
    policies = [policy("V1", "续保", "2025-10-10", "2025-10-16", "2026-10-15"),
                policy("V1", "续保", "2026-10-01", successor_start, channel=successor_channel)]
    return store([sale("V1", "2023-10-01")], policies)


def test_renewal_starting_on_day_30_of_grace_keeps_the_customer():
    k = kpis(churn_store("2026-11-14"), context=ctx(dt.date(2026, 12, 31)))  # 2026-10-15 + 30 days
    assert (k.counts.expiring, k.counts.lost, k.counts.pending) == (1, 0, 0)
    assert k.churn_rate == 0.0


def test_renewal_starting_on_day_31_of_grace_is_a_lost_customer():
    k = kpis(churn_store("2026-11-15"), context=ctx(dt.date(2026, 12, 31)))
    assert (k.counts.expiring, k.counts.lost, k.counts.pending) == (1, 1, 0)
    assert k.churn_rate == 1.0


def test_renewal_written_elsewhere_is_a_lost_customer():
    k = kpis(churn_store("2026-10-16", successor_channel="他处"), context=ctx(dt.date(2026, 12, 31)))
    assert k.counts.lost == 1


def test_grace_is_configurable():
    k = kpis(churn_store("2026-11-15"), context=ctx(dt.date(2026, 12, 31), grace_days=31))
    assert k.counts.lost == 0


def test_policy_without_successor_is_pending_while_grace_runs_and_left_out_of_the_rate():
    policies = [policy("V1", "续保", "2025-10-01", "2025-10-21", "2026-10-20"),
                policy("V2", "续保", "2025-10-01", "2025-10-02", "2026-10-01")]
    registers = store([sale("V1", "2023-10-01"), sale("V2", "2023-10-01")], policies)
    k = kpis(registers, context=ctx(dt.date(2026, 11, 18)))  # V1's grace ends 2026-11-19
    assert (k.counts.expiring, k.counts.lost, k.counts.pending) == (2, 1, 1)
    assert k.churn_rate == 1.0  # 1 lost ÷ (2 expiring − 1 pending)
    k = kpis(registers, context=ctx(dt.date(2026, 11, 19)))  # grace over: as-of is not before end + 30
    assert (k.counts.lost, k.counts.pending) == (2, 0)


def test_all_expiring_policies_pending_gives_an_empty_churn_rate():
    policies = [policy("V1", "续保", "2025-10-01", "2025-10-21", "2026-10-20")]
    k = kpis(store([sale("V1", "2023-10-01")], policies), context=ctx(dt.date(2026, 10, 25)))
    assert (k.counts.expiring, k.counts.pending) == (1, 1)
    assert k.churn_rate is None


# ---- year to date, in force, growth, money -------------------------------------------------------

def test_renewal_rate_ytd_counts_each_vehicle_once_since_january_against_the_base_at_31_december():
    sales = [sale("V1", "2023-01-01"), sale("V2", "2025-12-31"), sale("V3", "2026-01-01")]
    policies = [policy("V1", "续保", "2026-02-01"), policy("V1", "续保", "2026-10-01", "2027-02-01"),
                policy("V2", "转保", "2025-12-20"),  # issued last year
                policy("V3", "续保", "2026-11-01")]  # issued after M
    k = kpis(store(sales, policies))
    assert (k.counts.renewed_ytd, k.counts.retained_base_ytd) == (1, 2)
    assert k.renewal_rate_ytd == 0.5


def test_vehicle_insured_on_any_day_of_the_month_is_in_the_claim_rate_denominator():
    policies = [
        policy("A", "续保", "2025-10-01", "2025-10-02", "2026-10-01"),  # ends on the 1st
        policy("B", "新保", "2026-10-31", "2026-10-31"),  # starts on the 31st
        policy("C", "续保", "2025-09-01", "2025-10-01", "2026-09-30"),  # ended the day before
        policy("D", "续保", "2026-10-05", "2026-11-01"),  # starts next month
        policy("E", "续保", "2026-01-01", "2026-01-01", channel="他处"),  # insured elsewhere
    ]
    assert kpis(store([], policies)).counts.insured_vehicles == 2


def test_growth_of_customers_insured_elsewhere_compares_distinct_vehicles_with_last_month():
    claims = [claim("京X1", "2026-09-03", here=False, no="1"), claim("京X2", "2026-09-04", here=False, no="2"),
              claim("京X1", "2026-10-01", here=False, no="3"), claim("京X1", "2026-10-02", here=False, no="4"),
              claim("京X3", "2026-10-03", here=False, no="5"), claim("京X4", "2026-10-03", here=False, no="6")]
    k = kpis(store([], [], claims))
    assert (k.counts.non_store_claims, k.counts.non_store_claims_prev) == (3, 2)
    assert k.non_store_growth == 0.5


def test_money_is_summed_to_the_fen():
    policies = [policy(f"V{i}", "新保", "2026-10-02", compulsory=0.1, commercial=0.2, commission=0.35) for i in range(3)]
    k = kpis(store([], policies))
    assert (k.premium_compulsory, k.premium_commercial, k.commission) == (0.3, 0.6, 1.05)


# ---- zero denominators ---------------------------------------------------------------------------

def test_zero_denominators_give_empty_rates_with_the_counts_beside_them():
    k = kpis(store([], [policy("V1", "新保", "2026-10-02", brand="丰田")]))
    payload = k.to_json()
    for key in ("first_insurance_rate", "renewal_rate", "renewal_rate_ytd", "churn_rate", "non_store_growth"):
        assert payload[key] is None, key
    assert payload["claim_rate"] == 0.0  # one vehicle insured, no claim: a real zero
    assert payload["counts"]["sold"] == 0 and payload["counts"]["insured_vehicles"] == 1
    assert json.loads(json.dumps(payload))["first_insurance_rate"] is None


def test_an_empty_store_has_every_rate_empty():
    payload = kpis(store()).to_json()
    assert all(payload[k] is None for k in ("first_insurance_rate", "renewal_rate", "churn_rate", "claim_rate"))
    assert set(payload["counts"].values()) == {0}


# ---- breakdowns, failures, trend -----------------------------------------------------------------

def test_breakdowns_by_insurer_and_clerk_cover_the_months_policies_written_here():
    policies = [policy("V1", "新保", "2026-10-02", insurer="人保财险", clerk="周敏", compulsory=665, commercial=1000),
                policy("V2", "续保", "2026-10-03", insurer="平安产险", clerk="周敏", compulsory=950, commercial=3000),
                policy("V3", "转保", "2026-10-04", insurer="平安产险", clerk=None, compulsory=950, commercial=2000),
                policy("V4", "续保", "2026-09-30", insurer="人保财险", clerk="吴静", compulsory=950, commercial=9000)]
    k = kpis(store([], policies))
    insurers = k.by_insurer.set_index("insurer")
    assert list(insurers.index) == ["平安产险", "人保财险"]  # most premium first
    assert insurers.loc["平安产险", ["policies", "new", "renewal"]].tolist() == [2, 0, 2]
    assert insurers.loc["平安产险", "premium"] == 6900.0
    assert insurers["premium_share"].sum() == pytest.approx(1.0)
    clerks = k.by_clerk.set_index("clerk")
    assert clerks.loc["周敏", "policies"] == 2 and clerks.loc["未填写", "policies"] == 1
    assert "吴静" not in clerks.index


def test_renewal_failures_by_reason_take_each_archives_latest_failure_in_the_month():
    contacts = [
        {"archive_no": "DA1", "contact_date": "2026-10-02", "method": "电话", "outcome": "考虑中", "failure_reason": "价格"},
        {"archive_no": "DA1", "contact_date": "2026-10-20", "method": "电话", "outcome": "拒绝", "failure_reason": "服务"},
        {"archive_no": "DA2", "contact_date": "2026-10-05", "method": "电话", "outcome": "已在他处投保"},
        {"archive_no": "DA3", "contact_date": "2026-10-05", "method": "短信", "outcome": "无法联系"},
        {"archive_no": "DA4", "contact_date": "2026-09-30", "method": "电话", "outcome": "拒绝", "failure_reason": "价格"},
    ]
    failures = kpis(store(contacts=contacts)).failures.set_index("reason")["vehicles"]
    assert failures.to_dict() == {"价格": 0, "服务": 1, "理赔体验": 0, "他处关系": 0, "其他": 0, "未注明": 1}


def test_trend_rows_equal_the_kpis_of_each_month(sample_store):
    registers, context = sample_store
    k = monthly_kpis(registers, context, "2026-10")
    assert list(k.trend.index) == [f"2025-{m}" for m in ("11", "12")] + [f"2026-{m:02d}" for m in range(1, 11)]
    for month in (k.trend.index[0], "2025-09"):
        assert k.month_kpis(month).to_json() == monthly_kpis(registers, context, month).to_json()
    assert k.previous.month == "2026-09" and k.last_year.month == "2025-10"
    assert kpi_history(prepare(registers, context), "2026-10", "2026-10").loc["2026-10", "lost"] == k.counts.lost


# ---- the sample store ----------------------------------------------------------------------------

def test_bench_runs_on_the_sample_store_and_agrees_with_the_reference(sample_store):
    from bench.bench_kpi import run
    from bench.common import BenchStore

    registers, context = sample_store
    lines = run(BenchStore(sample("store.xlsx"), registers, context, 0.0), "2026-10")
    assert lines[-1].strip() == "agree exactly: yes"


def test_kpi_json_reproduces_the_sample_store(capsys, sample_expected):
    code = main(["kpi", str(sample("store.xlsx")), "--month", sample_expected["kpi"]["month"],
                 "--as-of", sample_expected["as_of"], "--settings", str(sample("settings.toml")), "--json"])
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    # revision 2 adds counts.gone, refund_premium and refund_commission: the first sample predates them
    assert kpi_part_of(got, sample_expected["kpi"]) == sample_expected["kpi"]
    assert (got["counts"]["gone"], got["refund_premium"], got["refund_commission"]) == (0, 0.0, 0.0)
    # ARCHITECTURE.md rev 2 also adds not_insured_reasons, weeks and funnel (tests/core/test_pipeline.py)
    assert {"not_insured_reasons", "weeks", "funnel"} <= set(got)


def test_vectorised_kpis_agree_with_the_row_by_row_reference_on_the_sample_store(sample_store):
    registers, context = sample_store
    for month in ("2024-12", "2026-01", "2026-10", "2026-11"):
        k = monthly_kpis(registers, context, month)
        ref = reference_kpis(registers, context, month)
        assert k.to_json() == {key: ref[key] for key in k.to_json()}, month
        assert round(k.commission_ytd, 2) == ref["commission_ytd"]
        by_insurer = {r.insurer: {"policies": r.policies, "new": r.new, "renewal": r.renewal, "premium": round(r.premium, 2),
                                  "commission": round(r.commission, 2)} for r in k.by_insurer.itertuples()}
        assert by_insurer == ref["by_insurer"]
        failures = {r.reason: r.vehicles for r in k.failures.itertuples() if r.vehicles}
        assert failures == ref["failures"]


def store_workbook(path, registers):
    """Registers written as a workbook the way the templates lay them out."""
    from openpyxl import Workbook

    from insurance_xl.writing.sheet import write_register

    wb = Workbook()
    wb.remove(wb.active)
    for key in ("sales", "policies", "claims"):
        write_register(wb, key, registers[key], validation_rows=0)
    write_register(wb, "settings", table_from_records("settings", [{"key": "本店品牌", "value": OWN}]))
    wb.save(path)
    return path


def test_kpi_text_output_shows_each_rate_with_its_counts(tmp_path, capsys):
    policies = [policy("V1", "新保", "2026-10-02"), policy("V2", "新保", "2026-10-02", channel="他处")]
    path = store_workbook(tmp_path / "store.xlsx", store([sale("V1", "2026-10-01"), sale("V2", "2026-10-01")], policies))
    assert main(["kpi", str(path), "--month", "2026-10", "--as-of", "2026-11-24"]) == 0
    out = capsys.readouterr().out
    assert "首保率" in out and "50.00%   1 / 2" in out
    assert "流失率" in out and "—   0 / 0" in out


def test_kpi_warns_when_no_own_brand_is_set(tmp_path, capsys):
    path = store_workbook(tmp_path / "store.xlsx", store([sale("V1", "2026-10-01")], [policy("V1", "新保", "2026-10-02")]))
    settings = tmp_path / "s.toml"
    settings.write_text('store = "x"\n', encoding="utf-8")
    wb = __import__("openpyxl").load_workbook(path)
    del wb["设置"]
    wb.save(path)
    assert main(["kpi", str(path), "--month", "2026-10", "--settings", str(settings), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["first_insurance_rate"] is None
    assert "own_brands" in captured.err


def test_kpi_refuses_a_store_without_the_sales_register(tmp_path, capsys):
    from openpyxl import Workbook

    from insurance_xl.writing.sheet import write_register

    wb = Workbook()
    wb.remove(wb.active)
    write_register(wb, "policies", table_from_records("policies", [policy("V1", "新保", "2026-10-02")]))
    wb.save(tmp_path / "p.xlsx")
    assert main(["kpi", str(tmp_path / "p.xlsx"), "--month", "2026-10"]) == 2
    assert "新车销售明细" in capsys.readouterr().err


def test_kpi_needs_a_month(capsys):
    with pytest.raises(SystemExit):
        main(["kpi", str(sample("store.xlsx"))])
