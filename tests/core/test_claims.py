"""Claims money flags (DOMAIN.md "Claims and money"): each boundary pinned on tiny inline tables."""
import datetime as dt

import pytest

from insurance_xl.core.claims import (band_counts, case_bands, commission_uncollected, money_flags,
                                      old_parts_unsigned, overdue_payments, returned_cases, third_party_waiting)
from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.settings import Context, Insurer, Settings, Thresholds


def ctx(as_of: str, **thresholds) -> Context:
    insurers = {"人保财险": Insurer(name="人保财险", promised_days=45), "平安产险": Insurer(name="平安产险", promised_days=20)}
    return Context(Settings(insurers=insurers, thresholds=Thresholds(**thresholds)), dt.date.fromisoformat(as_of))


def handovers(*rows):
    """(claim_no, insurer, handover_date, amount)"""
    return table_from_records("handovers", [dict(claim_no=c, insurer=i, handover_date=d, amount=a) for c, i, d, a in rows])


def payments(*rows):
    """(claim_no, amount_due, paid_amount, paid_date, returned)"""
    return table_from_records("payments", [dict(claim_no=c, amount_due=due, paid_amount=paid, paid_date=day, returned=ret)
                                           for c, due, paid, day, ret in rows])


def claims(*rows):
    """(claim_no, assessed_amount, settled_date)"""
    return table_from_records("claims", [dict(claim_no=c, plate="京A1", assessed_amount=a, settled_date=s)
                                         for c, a, s in rows])


NO_PAYMENTS = payments()


def overdue(as_of, hand, pay=NO_PAYMENTS, cl=None, **thresholds):
    return overdue_payments(hand, pay, cl if cl is not None else claims(), ctx(as_of, **thresholds))


def test_worked_example_45_day_insurer_is_due_after_30_days_and_overdue_by_1_day_next_day():
    cases = overdue("2026-10-02", handovers(("A1", "人保财险", "2026-09-01", 5000)),
                    cl=claims(("A1", 5000, None)))
    assert cases["claim_no"].tolist() == ["A1"]
    row = cases.iloc[0]
    assert row["due_date"].date() == dt.date(2026, 10, 1)
    assert row["days_overdue"] == 1
    assert row["band"] == "5000-10000"


def test_case_is_not_overdue_on_day_30_after_handover_but_is_on_day_31():
    hand = handovers(("A1", "人保财险", "2026-09-01", 800))
    assert overdue("2026-10-01", hand).empty  # day 30: the due date itself
    assert overdue("2026-10-02", hand)["days_overdue"].tolist() == [1]  # day 31


def test_20_day_insurer_is_due_after_20_days_and_45_day_insurer_after_30():
    hand = handovers(("P1", "平安产险", "2026-09-01", 800), ("R1", "人保财险", "2026-09-01", 800))
    assert overdue("2026-09-21", hand).empty
    day_22 = overdue("2026-09-22", hand)
    assert day_22["claim_no"].tolist() == ["P1"] and day_22["due_date"].dt.date.tolist() == [dt.date(2026, 9, 21)]
    day_45 = overdue("2026-10-16", hand).set_index("claim_no")
    assert day_45.loc["R1", "days_overdue"] == 15  # not 45 + 1: the month rule comes first
    assert day_45.loc["P1", "term_days"] == 20 and day_45.loc["R1", "term_days"] == 30


def test_day_45_and_46_with_a_45_day_term_configured():
    hand = handovers(("R1", "人保财险", "2026-09-01", 800))
    assert overdue("2026-10-16", hand, payment_days=60).empty  # day 45: within the insurer's promise
    assert overdue("2026-10-17", hand, payment_days=60)["days_overdue"].tolist() == [1]  # day 46


def test_insurer_not_in_settings_gets_the_month_rule():
    hand = handovers(("X1", "某某保险", "2026-09-01", 800))
    assert overdue("2026-10-02", hand)["term_days"].tolist() == [30]


def test_partial_payment_leaves_the_remainder_outstanding():
    hand = handovers(("A1", "人保财险", "2026-09-01", 1000))
    cases = overdue("2026-10-02", hand, payments(("A1", 1000.10, 600.05, "2026-09-20", False)))
    row = cases.iloc[0]
    assert (row["amount_due"], row["paid_amount"], row["outstanding"]) == (1000.10, 600.05, 400.05)


def test_fully_paid_case_is_not_overdue():
    hand = handovers(("A1", "人保财险", "2026-09-01", 1000))
    assert overdue("2026-12-01", hand, payments(("A1", 1000, 1000, "2026-11-20", False))).empty


def test_without_a_payments_row_the_handover_amount_is_due_and_nothing_paid():
    cases = overdue("2026-10-02", handovers(("A1", "人保财险", "2026-09-01", 1234.5)))
    assert cases[["amount_due", "paid_amount", "outstanding"]].iloc[0].tolist() == [1234.5, 0.0, 1234.5]


def test_empty_paid_amount_counts_as_zero():
    cases = overdue("2026-10-02", handovers(("A1", "人保财险", "2026-09-01", 500)), payments(("A1", 500, None, None, False)))
    assert cases["outstanding"].tolist() == [500.0]


def test_payment_dated_after_as_of_has_not_arrived_yet():
    hand = handovers(("A1", "人保财险", "2026-09-01", 500))
    pay = payments(("A1", 500, 500, "2026-10-20", False))
    assert overdue("2026-10-10", hand, pay)["outstanding"].tolist() == [500.0]
    assert overdue("2026-10-20", hand, pay).empty


def test_returned_case_is_listed_apart_and_never_overdue():
    hand = handovers(("A1", "人保财险", "2026-06-01", 700), ("A2", "人保财险", "2026-06-01", 900))
    pay = payments(("A1", 700, None, None, True), ("A2", 900, None, None, False))
    c = ctx("2026-10-02")
    assert overdue_payments(hand, pay, claims(), c)["claim_no"].tolist() == ["A2"]
    returned = returned_cases(hand, pay, claims(), c)
    assert returned["claim_no"].tolist() == ["A1"] and returned["amount_due"].tolist() == [700.0]


def test_a_second_handover_restarts_the_term():
    hand = handovers(("A1", "人保财险", "2026-06-01", 700), ("A1", "人保财险", "2026-09-10", 700))
    assert overdue("2026-10-10", hand).empty
    assert overdue("2026-10-11", hand)["handover_date"].dt.date.tolist() == [dt.date(2026, 9, 10)]


def test_overdue_list_is_oldest_first():
    hand = handovers(("B", "人保财险", "2026-08-01", 1), ("A", "人保财险", "2026-07-01", 1), ("C", "平安产险", "2026-08-01", 1))
    assert overdue("2026-10-02", hand)["claim_no"].tolist() == ["A", "C", "B"]


@pytest.mark.parametrize("amount, band", [(4999.99, "小额"), (5000, "5000-10000"), (10000, "5000-10000"),
                                          (10000.01, "10000以上"), (0, "小额")])
def test_band_edges_at_exactly_5000_and_10000_belong_to_the_middle_band(amount, band):
    assert case_bands(claims(("A", amount, None))["assessed_amount"], ctx("2026-10-02")).tolist() == [band]


def test_band_counts_count_every_case_with_an_assessed_amount():
    table = claims(("A", 100, None), ("B", 5000, None), ("C", 10000, None), ("D", 20000, None), ("E", None, None))
    assert band_counts(table, ctx("2026-10-02")) == {"小额": 1, "5000-10000": 2, "10000以上": 1}


def refunds(*rows):
    """(claim_no, amount, insurer_paid_date, refund_date)"""
    return table_from_records("tp_refunds", [dict(claim_no=c, amount=a, insurer_paid_date=p, refund_date=r)
                                             for c, a, p, r in rows])


def test_third_party_money_is_flagged_after_7_days_not_on_day_7():
    table = refunds(("T1", 300, "2026-10-01", None), ("T2", 400, "2026-09-01", "2026-09-05"), ("T3", 500, None, None))
    assert third_party_waiting(claims(), NO_PAYMENTS, table, ctx("2026-10-08")).empty
    flagged = third_party_waiting(claims(), NO_PAYMENTS, table, ctx("2026-10-09"))
    assert flagged[["claim_no", "days_waiting", "amount"]].values.tolist() == [["T1", 8, 300.0]]


def test_refund_dated_after_as_of_has_not_happened_yet():
    table = refunds(("T1", 300, "2026-10-01", "2026-10-20"))
    assert third_party_waiting(claims(), NO_PAYMENTS, table, ctx("2026-10-15"))["claim_no"].tolist() == ["T1"]


def parts(*rows):
    """(claim_no, part, signed)"""
    return table_from_records("old_parts", [dict(claim_no=c, part=p, signed=s) for c, p, s in rows])


def test_old_parts_unsigned_7_days_after_settlement_are_flagged_from_day_8():
    cl = claims(("A1", 3000, "2026-10-01"), ("A2", 3000, "2026-10-01"), ("A3", 3000, None))
    op = parts(("A1", "前保险杠", None), ("A1", "大灯", False), ("A2", "翼子板", True), ("A3", "后视镜", False))
    assert old_parts_unsigned(cl, op, ctx("2026-10-08")).empty
    flagged = old_parts_unsigned(cl, op, ctx("2026-10-09"))
    assert flagged[["claim_no", "days_waiting", "parts"]].values.tolist() == [["A1", 8, "前保险杠、大灯"]]


def settlements(*rows):
    """(month, insurer, amount_due, received_amount)"""
    return table_from_records("commission_settlements", [dict(month=m, insurer=i, amount_due=d, received_amount=r)
                                                         for m, i, d, r in rows])


def test_commission_short_more_than_3_months_after_its_month_is_written_down():
    table = settlements(("2026-07", "人保财险", 1000, 400), ("2026-07", "平安产险", 800, 800), ("2026-08", "人保财险", 50, None))
    assert commission_uncollected(table, ctx("2026-10-31")).empty  # end of July + 3 months
    flagged = commission_uncollected(table, ctx("2026-11-01"))
    assert flagged[["month", "insurer", "outstanding"]].values.tolist() == [["2026-07", "人保财险", 600.0]]
    assert commission_uncollected(table, ctx("2026-12-01"))["month"].tolist() == ["2026-07", "2026-08"]


def test_money_flags_bundle_every_list_from_registers():
    registers = registers_from_tables({
        "handovers": handovers(("A1", "人保财险", "2026-09-01", 5000), ("A2", "人保财险", "2026-09-01", 10)),
        "payments": payments(("A2", 10, None, None, True)),
        "claims": claims(("A1", 5000, None), ("A2", 10, None)),
    })
    flags = money_flags(registers, ctx("2026-10-02"))
    assert flags.overdue["claim_no"].tolist() == ["A1"]
    assert flags.returned["claim_no"].tolist() == ["A2"]
    assert flags.bands == {"小额": 1, "5000-10000": 1, "10000以上": 0}
    assert flags.outstanding_total == 5000.0
