"""Commission control (DOMAIN.md "Claims and money", §4.6, §4.9.4): the agreed rates, and each
insurer's month from expected to booked, reconciled, invoiced and received."""
import datetime as dt
import json

import pytest

from insurance_xl.cli import main
from insurance_xl.core.commission import business_commission, commission_months, off_rate
from insurance_xl.core.validation.validate import validate
from insurance_xl.settings import Context, Insurer, Settings
from insurance_xl.tables import registers_from_tables, table_from_records

from tests.conftest import SAMPLES

AS_OF = dt.date(2026, 11, 24)
RATES = {"人保财险": Insurer(name="人保财险", commission_rate_compulsory=0.04, commission_rate_commercial=0.25),
         "平安产险": Insurer(name="平安产险")}  # a partner with no agreed rates: nothing to compare


def sample_v2():
    path = SAMPLES.parent / "store-500-v2"
    if not path.is_dir():
        pytest.skip(f"sample store not found at {path}")
    return path


def ctx(as_of=AS_OF, **settings) -> Context:
    return Context(Settings(insurers=RATES, **settings), as_of)


def policy(**values) -> dict:
    # 1,000 × 4 % + 4,000 × 25 % = 1,040.00 at the agreed rates
    row = dict(archive_no="DA1", customer="张三", phone="13800000000", plate="京A12345", vin="LSVAB2CD3EF456789",
               brand="斯巴鲁", policy_no="P1", insurer="人保财险", channel="本店", business_type="新保",
               issue_date="2026-10-01", policy_start="2026-10-02", policy_end="2027-10-01",
               compulsory_premium=1000.0, commercial_premium=4000.0, commission=1040.0, clerk="周敏")
    row.update(values)
    return row


def registers(policies, settlements=()):
    return registers_from_tables({"policies": table_from_records("policies", policies),
                                  "commission_settlements": table_from_records("commission_settlements", settlements)})


def off_rate_findings(*rows):
    return [f for f in validate(registers(list(rows)), ctx()).findings if f.rule == "policy.commission_off_rate"]


def test_commission_half_a_yuan_off_the_agreed_rate_is_not_warned():
    assert off_rate_findings(policy(commission=1040.50), policy(policy_no="P2", commission=1039.50)) == []


def test_commission_one_yuan_and_one_fen_off_is_a_warning_at_its_cell_with_expected_booked_and_difference():
    [finding] = off_rate_findings(policy(commission=1041.01))
    assert finding.severity.value == "warning" and finding.location.row == 2 and finding.location.column == "手续费"
    assert "1,041.01" in finding.message and "1,040.00" in finding.message and "+1.01" in finding.message


def test_exactly_one_yuan_off_is_not_more_than_one_yuan():
    assert off_rate_findings(policy(commission=1039.00)) == []


def test_a_policy_booked_at_1300_where_the_rates_give_1038_is_warned():
    [finding] = off_rate_findings(policy(compulsory_premium=950.0, commission=1300.0))
    assert "1,038.00" in finding.message and "+262.00" in finding.message


def test_no_agreed_rate_or_a_policy_written_elsewhere_is_not_compared():
    assert off_rate_findings(policy(insurer="平安产险", commission=1.0),
                             policy(policy_no="P2", channel="他处", commission=1.0)) == []


def test_off_rate_gives_expected_booked_and_difference_in_yuan():
    table = table_from_records("policies", [policy(), policy(policy_no="P2", commission=None)])
    off = off_rate(table, ctx().settings)
    assert off.to_dict("records") == [{"expected": 1040.0, "booked": 0.0, "difference": -1040.0}]


def test_new_car_and_renewal_commission_of_the_month():
    table = table_from_records("policies", [
        policy(), policy(policy_no="P2", business_type="续保", commission=500.0),
        policy(policy_no="P3", business_type="转保", commission=200.0, issue_date=None, policy_start="2026-10-20"),
        policy(policy_no="P4", business_type="续保", commission=99.0, issue_date="2026-09-30"),
        policy(policy_no="P5", business_type="新保", channel="他处", commission=77.0)])
    assert business_commission(table, "2026-10") == {"new_car_commission": 1040.0, "renewal_commission": 700.0}


def settlement(month, amount_due, received=0.0, **values):
    row = dict(month=month, insurer="人保财险", amount_due=amount_due, received_amount=received,
               received_date="2026-05-10" if received else None)
    row.update(values)
    return row


def test_each_insurer_month_from_expected_to_received_with_the_write_down():
    pols = [policy(issue_date="2026-03-05", policy_start="2026-03-06"),
            policy(policy_no="P2", issue_date="2026-04-05", policy_start="2026-04-06", commission=1100.0),
            policy(policy_no="P3", issue_date="2026-07-05", policy_start="2026-07-06", insurer="平安产险",
                   commission=300.0),
            policy(policy_no="P4", issue_date="2026-10-05", policy_start="2026-10-06")]
    ledger = [settlement("2026-03", 1040.0, 1000.0, invoice_date="2026-04-02", fingerprint="ABC",
                         locked_on="2026-04-01"),
              settlement("2026-04", 1100.0, 1100.0, invoice_date="2026-05-02")]
    table = commission_months(table_from_records("policies", pols),
                              table_from_records("commission_settlements", ledger), ctx(), 2026)
    rows = {(r["month"], r["insurer"]): r for r in table.to_dict("records")}
    assert list(table["month"]) == ["2026-03", "2026-04", "2026-07", "2026-10"]
    march = rows["2026-03", "人保财险"]
    assert (march["expected"], march["booked"], march["reconciled"], march["invoiced"], march["received"],
            march["outstanding"], march["write_down"]) == (1040.0, 1040.0, 1040.0, 1040.0, 1000.0, 40.0, 40.0)
    april = rows["2026-04", "人保财险"]
    assert april["expected"] == 1040.0 and april["booked"] == 1100.0 and april["outstanding"] == 0.0
    assert april["reconciled"] != april["reconciled"]  # not locked: nothing reconciled (NaN)
    # no ledger row while the policies carry commission: owed in full, written down after 3 months
    july = rows["2026-07", "平安产险"]
    assert july["outstanding"] == 300.0 and july["write_down"] == 300.0 and july["expected"] != july["expected"]
    assert rows["2026-10", "人保财险"]["write_down"] == 0.0  # not yet 3 months after its end


def test_a_confirmation_letter_or_a_month_before_the_ledger_existed_is_not_written_down():
    pols = [policy(issue_date="2026-01-05", policy_start="2026-01-06"),
            policy(policy_no="P2", issue_date="2026-03-05", policy_start="2026-03-06")]
    settlements = table_from_records("commission_settlements", [settlement("2026-03", 1040.0)])
    settlements["confirmation_letter"] = [True]
    table = commission_months(table_from_records("policies", pols), settlements, ctx(), 2026)
    assert table[["month", "outstanding", "write_down"]].values.tolist() == [["2026-01", 1040.0, 0.0],
                                                                              ["2026-03", 1040.0, 0.0]]


def test_commission_command_on_the_sample_store(tmp_path, capsys):
    v2 = sample_v2()
    out = tmp_path / "手续费.xlsx"
    code = main(["commission", str(v2 / "store.xlsx"), "--year", "2026", "--settings", str(v2 / "settings.toml"),
                 "--as-of", "2026-11-24", "--json", "--out", str(out)])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"year", "months"}
    keys = {"month", "insurer", "expected", "booked", "reconciled", "invoiced", "received", "outstanding",
            "write_down"}
    assert payload["months"] and all(set(row) == keys for row in payload["months"])
    # the sample's commission is booked at the agreed rates (each policy rounded to the fen)
    assert all(abs(row["expected"] - row["booked"]) < 0.05 for row in payload["months"])
    october = sum(row["booked"] for row in payload["months"] if row["month"] == "2026-10")
    expected = json.loads((v2 / "expected.json").read_text(encoding="utf-8"))
    assert round(october, 2) == expected["kpi"]["commission"]
    written_down = [{"month": r["month"], "insurer": r["insurer"], "outstanding": r["write_down"]}
                    for r in payload["months"] if r["write_down"]]
    by_key = lambda r: (r["month"], r["insurer"])  # noqa: E731
    assert sorted(written_down, key=by_key) == sorted(expected["commission"], key=by_key)
    from openpyxl import load_workbook
    wb = load_workbook(out)
    assert "手续费" in wb.sheetnames


def test_empty_registers_give_no_months_and_a_ledger_row_alone_is_still_followed():
    empty = commission_months(table_from_records("policies", []), table_from_records("commission_settlements", []),
                              ctx(), 2026)
    assert empty.empty and list(empty.columns)[:2] == ["month", "insurer"]
    only_ledger = commission_months(table_from_records("policies", []), table_from_records(
        "commission_settlements", [settlement("2026-01", 5.0)]), ctx(), 2026)
    assert only_ledger[["month", "booked", "outstanding", "write_down"]].values.tolist() == [["2026-01", 0.0, 5.0, 5.0]]
