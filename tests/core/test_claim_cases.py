"""Claim cases step by step (DOMAIN.md "Claim cases"): the step each case waits at, the days between
steps, insurers and adjusters compared — pinned on tiny inline tables."""
import datetime as dt

import pytest

from insurance_xl.core.claim_cases import adjuster_comparison, cases_json, claim_cases, insurer_comparison
from insurance_xl.settings import Context, Insurer, Settings
from insurance_xl.tables import registers_from_tables, table_from_records


def ctx(as_of: str) -> Context:
    return Context(Settings(insurers={"人保财险": Insurer(name="人保财险", promised_days=45)}), dt.date.fromisoformat(as_of))


def store(claims, handovers=(), payments=(), parts=(), refunds=()):
    return registers_from_tables({
        "claims": table_from_records("claims", [
            dict(claim_no=c, report_date=r, settled_date=s, insurer=i, third_party=t, adjuster=a, plate="京A1",
                 assessed_amount=1000, settled_amount=900) for c, r, s, i, t, a in claims]),
        "handovers": table_from_records("handovers", [dict(claim_no=c, handover_date=d, amount=900, insurer="人保财险")
                                                      for c, d in handovers]),
        "payments": table_from_records("payments", [dict(claim_no=c, amount_due=900, paid_amount=p, paid_date=d,
                                                         returned=r) for c, p, d, r in payments]),
        "old_parts": table_from_records("old_parts", [dict(claim_no=c, part="保险杠", signed=s, handover_date=d)
                                                      for c, s, d in parts]),
        "tp_refunds": table_from_records("tp_refunds", [dict(claim_no=c, refund_date=d) for c, d in refunds]),
    })


def by_claim(frame):
    return {row["claim_no"]: row for row in frame.to_dict("records")}


def test_each_case_waits_at_its_first_step_not_done():
    s = store(
        claims=[("C1", "2026-09-01", None, "人保财险", False, "孙"), ("C2", "2026-09-01", "2026-09-05", "人保财险", False, "孙"),
                ("C3", "2026-09-01", "2026-09-05", "人保财险", False, "钱"), ("C4", "2026-09-01", "2026-09-05", "人保财险", False, "钱"),
                ("C5", "2026-09-01", "2026-09-05", "人保财险", True, "钱"), ("C6", "2026-09-01", "2026-09-05", "人保财险", True, "钱")],
        handovers=[("C3", "2026-09-08"), ("C4", "2026-09-08"), ("C5", "2026-09-08"), ("C6", "2026-09-08")],
        payments=[("C3", 400, "2026-09-20", False), ("C4", 900, "2026-09-28", False), ("C5", 900, "2026-09-28", False),
                  ("C6", 900, "2026-09-28", False)],
        parts=[("C4", True, "2026-09-10"), ("C2", False, None)],
        refunds=[("C6", "2026-10-02")])
    cases = by_claim(claim_cases(s, ctx("2026-10-10")))
    assert {c: r["step"] for c, r in cases.items()} == {
        "C1": "结算", "C2": "交案", "C3": "回款", "C4": "已完成", "C5": "三者退款", "C6": "已完成"}
    assert cases["C1"]["days_waiting"] == 39  # since 报案
    assert cases["C3"]["days_waiting"] == 32  # partly paid: waits at 回款 since 交案
    assert cases["C5"]["days_waiting"] == 12  # since 回款
    c6 = cases["C6"]
    assert (c6["days_1"], c6["days_2"], c6["days_4"], c6["days_5"]) == (4, 3, 20, 4)
    assert cases["C4"]["days_3"] == 5  # 旧件 counted from 结算


def test_old_parts_not_signed_hold_the_case_at_the_old_parts_step():
    s = store(claims=[("C1", "2026-09-01", "2026-09-05", "人保财险", False, "孙")], handovers=[("C1", "2026-09-08")],
              payments=[("C1", 900, "2026-09-28", False)], parts=[("C1", True, "2026-09-09"), ("C1", None, None)])
    assert claim_cases(s, ctx("2026-10-10"))["step"].tolist() == ["旧件"]


def test_a_date_after_as_of_has_not_happened_yet():
    s = store(claims=[("C1", "2026-09-01", "2026-09-05", "人保财险", False, "孙")], handovers=[("C1", "2026-09-20")])
    assert claim_cases(s, ctx("2026-09-10"))["step"].tolist() == ["交案"]
    assert claim_cases(s, ctx("2026-09-20"))["step"].tolist() == ["回款"]


def test_open_cases_come_first_grouped_by_step_longest_waiting_first():
    s = store(claims=[("D1", "2026-09-01", "2026-09-02", "人保财险", False, "孙"), ("O1", "2026-09-20", None, "人保财险", False, "孙"),
                      ("O2", "2026-09-10", None, "人保财险", False, "孙"), ("H1", "2026-09-01", "2026-09-05", "人保财险", False, "孙")],
              handovers=[("D1", "2026-09-03")], payments=[("D1", 900, "2026-09-04", False)])
    assert claim_cases(s, ctx("2026-10-10"))["claim_no"].tolist() == ["O2", "O1", "H1", "D1"]


def test_insurers_compare_days_to_pay_shares_and_outstanding():
    s = store(
        claims=[("A", "2026-08-01", "2026-08-02", "人保财险", False, "孙"), ("B", "2026-08-01", "2026-08-02", "人保财险", False, "孙"),
                ("C", "2026-08-01", "2026-08-02", "人保财险", False, "孙"), ("D", "2026-08-01", None, "平安产险", False, "钱")],
        handovers=[("A", "2026-08-03"), ("B", "2026-08-03"), ("C", "2026-08-03")],
        payments=[("A", 900, "2026-08-13", False), ("B", 300, "2026-08-23", True)])
    insurers = claim_cases(s, ctx("2026-10-10")).pipe(insurer_comparison)
    rows = {r["insurer"]: r for r in insurers.to_dict("records")}
    row = rows["人保财险"]
    assert row["cases"] == 3 and row["handed_over"] == 3 and row["paid_cases"] == 2
    assert row["avg_days_to_pay"] == 15.0  # (10 + 20) / 2
    assert row["overdue_share"] == pytest.approx(1 / 3, abs=1e-4)  # C: nothing paid, 30 days passed; B returned
    assert row["returned_share"] == pytest.approx(1 / 3, abs=1e-4)
    assert row["outstanding"] == 600.0 + 900.0
    assert row["assessed"] == 3000.0 and row["settled"] == 2700.0
    other = rows["平安产险"]
    assert other["handed_over"] == 0 and other["overdue_share"] != other["overdue_share"]  # none handed over: empty


def test_adjusters_average_the_days_of_completed_steps_and_count_open_cases():
    s = store(claims=[("A", "2026-08-01", "2026-08-05", "人保财险", False, "孙"), ("B", "2026-08-01", "2026-08-11", "人保财险", False, "孙"),
                      ("C", "2026-08-01", None, "人保财险", False, "孙")])
    cases = claim_cases(s, ctx("2026-10-10"))
    row = adjuster_comparison(cases).iloc[0]
    assert (row["adjuster"], row["cases"], row["open"], row["days_1"]) == ("孙", 3, 3, 7.0)  # C still waits: not averaged
    payload = cases_json(cases, insurer_comparison(cases), adjuster_comparison(cases))
    assert payload["adjusters"][0]["avg_days"]["结算"] == 7.0 and payload["adjusters"][0]["avg_days"]["回款"] is None
    assert {r["claim_no"]: r["days"] for r in payload["cases"]}["B"] == {"结算": 10, "交案": 60}


def test_a_withdrawn_case_waits_for_nothing_and_comes_last():
    s = store(claims=[("W1", "2026-09-01", None, "人保财险", False, "孙"), ("O1", "2026-09-20", None, "人保财险", False, "孙")])
    s["claims"].loc[0, "status"] = "已撤案"
    cases = claim_cases(s, ctx("2026-10-10"))
    assert cases[["claim_no", "step"]].values.tolist() == [["O1", "结算"], ["W1", "已撤案"]]
    assert adjuster_comparison(cases)["open"].tolist() == [1]
