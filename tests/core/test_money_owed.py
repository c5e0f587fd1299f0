"""Money owed from the first register that shows it (DOMAIN.md rev 2 "Claims and money"): a settled
claim never handed over, third-party money paid with or without a refund row, commission months with
business and no settlement row, 确认函. Each boundary pinned on tiny inline tables."""
import datetime as dt

from insurance_xl.core.claims import flags_json, money_flags, not_handed_over, third_party_waiting
from insurance_xl.core.commission_owed import SOURCE_POLICIES, SOURCE_ROW, commission_uncollected, write_down_total
from insurance_xl.settings import Context, Insurer, Settings, Thresholds
from insurance_xl.tables import registers_from_tables, table_from_records


def ctx(as_of: str, **thresholds) -> Context:
    insurers = {"人保财险": Insurer(name="人保财险", promised_days=45), "平安产险": Insurer(name="平安产险", promised_days=20)}
    return Context(Settings(insurers=insurers, thresholds=Thresholds(**thresholds)), dt.date.fromisoformat(as_of))


def claims(*rows):
    """(claim_no, settled_date, third_party)"""
    return table_from_records("claims", [dict(claim_no=c, plate="京A1", insurer="人保财险", settled_date=s,
                                              settled_amount=1000, third_party=t) for c, s, t in rows])


def handovers(*rows):
    """(claim_no, handover_date)"""
    return table_from_records("handovers", [dict(claim_no=c, insurer="人保财险", handover_date=d, amount=1000)
                                            for c, d in rows])


def payments(*rows):
    """(claim_no, paid_date)"""
    return table_from_records("payments", [dict(claim_no=c, amount_due=1000, paid_amount=1000, paid_date=d)
                                           for c, d in rows])


def refunds(*rows):
    """(claim_no, amount, insurer_paid_date, refund_date)"""
    return table_from_records("tp_refunds", [dict(claim_no=c, amount=a, insurer_paid_date=p, refund_date=r)
                                             for c, a, p, r in rows])


# ---- 结案未交接 -------------------------------------------------------------------------------

def test_settled_claim_with_no_handover_is_in_time_on_day_10_and_flagged_on_day_11():
    cl = claims(("A1", "2026-08-25", False))
    assert not_handed_over(cl, handovers(), ctx("2026-09-04")).empty  # day 10
    flagged = not_handed_over(cl, handovers(), ctx("2026-09-05"))  # day 11
    assert flagged[["claim_no", "insurer", "days_waiting"]].values.tolist() == [["A1", "人保财险", 11]]


def test_a_handover_row_clears_the_flag_but_one_dated_after_as_of_has_not_happened_yet():
    cl = claims(("A1", "2026-08-25", False), ("A2", "2026-08-25", False), ("A3", None, False))
    hand = handovers(("A1", "2026-09-20"), ("A2", "2026-10-30"))
    assert not_handed_over(cl, hand, ctx("2026-10-01"))["claim_no"].tolist() == ["A2"]
    assert not_handed_over(cl, hand, ctx("2026-11-01")).empty  # A3 is not settled: nothing to hand over


def test_the_handover_term_is_configurable():
    cl = claims(("A1", "2026-08-25", False))
    assert not_handed_over(cl, handovers(), ctx("2026-08-31", handover_days=5))["days_waiting"].tolist() == [6]


# ---- 三者款 ---------------------------------------------------------------------------------

def test_third_party_money_paid_by_the_insurer_with_no_refund_row_waits_7_days_then_is_flagged():
    cl = claims(("T1", "2026-09-01", True), ("T2", "2026-09-01", False))
    pay = payments(("T1", "2026-09-10"), ("T2", "2026-09-10"))
    assert third_party_waiting(cl, pay, refunds(), ctx("2026-09-17")).empty  # day 7
    flagged = third_party_waiting(cl, pay, refunds(), ctx("2026-09-18"))  # day 8
    assert flagged[["claim_no", "days_waiting", "recorded"]].values.tolist() == [["T1", 8, False]]
    assert flagged["insurer_paid_date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-09-10"]
    assert flagged["amount"].isna().all()  # nobody typed the third-party amount yet


def test_a_refund_row_without_a_refund_date_keeps_the_case_flagged_with_its_amount():
    cl = claims(("T1", "2026-09-01", True))
    pay = payments(("T1", "2026-09-10"))
    flagged = third_party_waiting(cl, pay, refunds(("T1", 800, None, None)), ctx("2026-09-18"))
    assert flagged[["claim_no", "amount", "recorded"]].values.tolist() == [["T1", 800.0, True]]


def test_a_refund_row_with_a_refund_date_clears_the_case():
    cl = claims(("T1", "2026-09-01", True))
    pay = payments(("T1", "2026-09-10"))
    assert third_party_waiting(cl, pay, refunds(("T1", 800, "2026-09-10", "2026-09-12")), ctx("2026-10-01")).empty


def test_an_unpaid_third_party_case_is_not_flagged():
    cl = claims(("T1", "2026-09-01", True))
    assert third_party_waiting(cl, payments(("T1", None)), refunds(), ctx("2026-12-01")).empty
    assert third_party_waiting(cl, payments(("T1", "2026-12-05")), refunds(), ctx("2026-12-01")).empty


def test_the_typed_insurer_paid_date_wins_over_the_payments_row():
    cl = claims(("T1", "2026-09-01", True))
    flagged = third_party_waiting(cl, payments(("T1", "2026-09-10")), refunds(("T1", 800, "2026-09-12", None)),
                                  ctx("2026-09-20"))
    assert flagged["days_waiting"].tolist() == [8]


# ---- 手续费 ---------------------------------------------------------------------------------

def settlements(*rows):
    """(month, insurer, amount_due, received_amount, confirmation_letter)"""
    return table_from_records("commission_settlements", [
        dict(month=m, insurer=i, amount_due=d, received_amount=r, confirmation_letter=c) for m, i, d, r, c in rows])


def policies(*rows):
    """(insurer, channel, issue_date, commission)"""
    return table_from_records("policies", [
        dict(archive_no=f"D{n}", insurer=i, channel=ch, issue_date=d, policy_start=d, commission=c)
        for n, (i, ch, d, c) in enumerate(rows)])


def test_a_month_with_business_and_no_settlement_row_is_owed_as_booked_on_the_policies():
    table = settlements(("2026-04", "人保财险", 100, 100, None))
    pol = policies(("人保财险", "本店", "2026-05-03", 300.5), ("人保财险", "本店", "2026-05-20", 199.5),
                   ("人保财险", "他处", "2026-05-20", 999), ("平安产险", "本店", "2026-05-09", 50))
    assert commission_uncollected(table, ctx("2026-08-31"), pol).empty
    flagged = commission_uncollected(table, ctx("2026-09-01"), pol)
    assert flagged[["month", "insurer", "amount_due", "received_amount", "outstanding", "source"]].values.tolist() == [
        ["2026-05", "人保财险", 500.0, 0.0, 500.0, SOURCE_POLICIES], ["2026-05", "平安产险", 50.0, 0.0, 50.0, SOURCE_POLICIES]]


def test_a_month_before_the_registers_first_month_is_not_judged():
    table = settlements(("2026-05", "人保财险", 100, 40, None))
    pol = policies(("人保财险", "本店", "2026-04-30", 300), ("人保财险", "本店", "2026-05-02", 100))
    flagged = commission_uncollected(table, ctx("2026-12-01"), pol)
    assert flagged[["month", "source", "outstanding"]].values.tolist() == [["2026-05", SOURCE_ROW, 60.0]]


def test_no_settlement_register_at_all_judges_no_month():
    assert commission_uncollected(settlements(), ctx("2026-12-01"), policies(("人保财险", "本店", "2026-05-02", 100))).empty


def test_a_confirmation_letter_keeps_the_month_listed_but_exempt_from_the_write_down():
    table = settlements(("2026-05", "人保财险", 100, 40, True), ("2026-05", "平安产险", 80, 0, False))
    flagged = commission_uncollected(table, ctx("2026-12-01"))
    assert flagged[["insurer", "confirmation_letter"]].values.tolist() == [["人保财险", True], ["平安产险", False]]
    assert write_down_total(flagged) == 80.0


def test_overdue_json_lists_the_new_money_with_its_architecture_keys():
    registers = registers_from_tables({
        "claims": claims(("A1", "2026-08-25", True)),
        "payments": payments(("A1", "2026-09-10")),
        "commission_settlements": settlements(("2026-05", "人保财险", 100, 40, True)),
        "policies": policies(("平安产险", "本店", "2026-05-09", 50)),
    })
    got = flags_json(money_flags(registers, ctx("2026-12-01")))
    assert got["not_handed_over"] == [{"claim_no": "A1", "insurer": "人保财险", "settled_date": dt.date(2026, 8, 25),
                                       "days_waiting": 98}]
    assert got["tp_refunds"] == [{"claim_no": "A1", "insurer_paid_date": dt.date(2026, 9, 10), "days_waiting": 82,
                                  "amount": None}]
    assert [(r["insurer"], r["source"], r["confirmation_letter"], r["outstanding"]) for r in got["commission"]] == [
        ("人保财险", SOURCE_ROW, True, 60.0), ("平安产险", SOURCE_POLICIES, False, 50.0)]


# ---- 应回款金额 against 结算金额 -------------------------------------------------------------------

def test_a_payment_due_differing_from_the_claims_settled_amount_is_a_warning_naming_both_rows():
    from insurance_xl.core.validation.validate import validate

    registers = registers_from_tables({
        "claims": table_from_records("claims", [dict(claim_no="A1", plate="京A1", report_date="2026-09-01",
                                                     settled_amount=1000.0),
                                                dict(claim_no="A2", plate="京A1", report_date="2026-09-01",
                                                     settled_amount=500.0),
                                                dict(claim_no="A3", plate="京A1", report_date="2026-09-01")]),
        "payments": table_from_records("payments", [dict(claim_no="A1", amount_due=1000.004),
                                                    dict(claim_no="A2", amount_due=500.01),
                                                    dict(claim_no="A3", amount_due=70.0)]),
    })
    found = [f for f in validate(registers, ctx("2026-10-01")).findings if f.rule == "payment.differs_from_settlement"]
    assert [(f.location.row, f.severity.value if hasattr(f.severity, "value") else f.severity) for f in found] == [
        (3, "warning")]
    assert "500.01" in found[0].message and "500.00" in found[0].message and found[0].related[0].row == 3
