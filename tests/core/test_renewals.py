"""Renewal reminders (DOMAIN.md "Renewal reminders"): windows, intervals, closing outcomes, latest policy."""
import datetime as dt

import pandas as pd

from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.core.renewals import UNASSIGNED, call_lists, calls_json
from insurance_xl.settings import Context, Settings

AS_OF = "2026-11-01"


def policy(archive, end, channel="本店", start=None, vin=None, plate=None, clerk="周敏", compulsory=950.0,
           commercial=3000.0, **more):
    end_day = dt.date.fromisoformat(end)
    start = start or (end_day - dt.timedelta(days=364)).isoformat()
    return dict(archive_no=archive, customer="张三", phone="13800000000", vin=vin or f"VIN{archive}", plate=plate,
                insurer="人保财险", channel=channel, business_type="续保", policy_start=start, policy_end=end,
                clerk=clerk, compulsory_premium=compulsory, commercial_premium=commercial, **more)


def contact(archive, date, method, outcome=None):
    return dict(archive_no=archive, contact_date=date, method=method, outcome=outcome)


def lists(policies, contacts=(), as_of=AS_OF):
    registers = registers_from_tables({"policies": table_from_records("policies", policies),
                                       "contacts": table_from_records("contacts", list(contacts))})
    return call_lists(registers, Context(Settings(), dt.date.fromisoformat(as_of)))


def due(policies, contacts=(), as_of=AS_OF):
    result = lists(policies, contacts, as_of)
    return result.sms["archive_no"].tolist(), result.phone["archive_no"].tolist()


def days_later(days: int) -> str:
    return (dt.date.fromisoformat(AS_OF) + dt.timedelta(days=days)).isoformat()


def days_ago(days: int) -> str:
    return (dt.date.fromisoformat(AS_OF) - dt.timedelta(days=days)).isoformat()


def test_sms_is_due_45_days_before_policy_end_but_not_46():
    assert due([policy("D45", days_later(45)), policy("D46", days_later(46))]) == (["D45"], [])


def test_call_is_due_30_days_before_policy_end_but_not_31():
    assert due([policy("D30", days_later(30)), policy("D31", days_later(31))])[1] == ["D30"]


def test_policy_ending_today_is_due_and_one_already_ended_is_a_lapsed_call_only():
    # DOMAIN.md rev 2 "Lapsed": a period ended at most 30 days ago stays on the phone list, ahead
    assert due([policy("D0", days_later(0)), policy("DX", days_later(-1))]) == (["D0"], ["DX", "D0"])


def test_another_sms_is_due_14_days_after_the_last_but_not_13():
    pols = [policy("A", days_later(40)), policy("B", days_later(40))]
    sms, _ = due(pols, [contact("A", days_ago(13), "短信"), contact("B", days_ago(14), "短信")])
    assert sms == ["B"]


def test_another_call_is_due_15_days_after_the_last_but_not_14():
    pols = [policy("A", days_later(20)), policy("B", days_later(20))]
    _, phone = due(pols, [contact("A", days_ago(14), "电话", "考虑中"), contact("B", days_ago(15), "电话", "无法联系")])
    assert phone == ["B"]


def test_an_sms_does_not_count_as_a_call_nor_a_call_as_an_sms():
    sms, phone = due([policy("A", days_later(20))], [contact("A", days_ago(1), "短信")])
    assert (sms, phone) == ([], ["A"])


def test_a_closing_outcome_takes_the_vehicle_off_both_lists():
    pols = [policy(a, days_later(20)) for a in ("R", "E", "S", "K")]
    contacts = [contact("R", days_ago(30), "电话", "已续保"), contact("E", days_ago(30), "短信", "已在他处投保"),
                contact("S", days_ago(30), "电话", "车辆已售/报废"), contact("K", days_ago(30), "电话", "拒绝")]
    assert due(pols, contacts) == (["K"], ["K"])


def test_contacts_before_the_90_day_window_are_last_years_and_ignored():
    end = days_later(20)
    window_start = (dt.date.fromisoformat(end) - dt.timedelta(days=90))
    pols = [policy("IN", end), policy("OUT", end)]
    contacts = [contact("IN", window_start.isoformat(), "电话", "已续保"),
                contact("OUT", (window_start - dt.timedelta(days=1)).isoformat(), "电话", "已续保")]
    assert due(pols, contacts) == (["OUT"], ["OUT"])


def test_contacts_dated_after_as_of_have_not_happened_yet():
    assert due([policy("A", days_later(20))], [contact("A", days_later(1), "电话", "已续保")]) == (["A"], ["A"])


def test_a_renewed_vehicle_is_judged_by_its_new_policy():
    old = policy("A", days_later(20), vin="V1")
    new = policy("A", days_later(385), vin="V1", start=days_later(21))
    assert due([old, new]) == ([], [])


def test_latest_policy_written_elsewhere_is_a_customer_to_win_back():
    ours = policy("A", days_later(-345), vin="V1", start=days_later(-710))
    theirs = policy("A", days_later(20), channel="他处", vin="V1", clerk=None, compulsory=None, commercial=None,
                    start=days_later(-345))
    result = lists([ours, theirs])
    row = result.phone.iloc[0]
    assert row["channel"] == "他处"
    assert row["clerk"] == "周敏"  # the clerk of the vehicle's earlier policy
    assert row["quote"] == 3950.0  # last premiums known for the vehicle


def test_a_row_with_only_the_plate_is_the_same_vehicle_as_the_row_with_the_vin():
    old = policy("A", days_later(20), vin="V1", plate="京A1")
    new = dict(policy("A", days_later(385), plate="京A1", start=days_later(21)), vin=None)
    assert due([old, new]) == ([], [])


def test_rows_carry_customer_phone_quote_and_last_contact():
    result = lists([policy("A", days_later(10), compulsory=950.0, commercial=3210.55, plate="京A1")],
                   [contact("A", days_ago(20), "电话", "考虑中")])
    row = calls_json(result)["phone"][0]
    assert set(row) == {"archive_no", "customer", "phone", "plate", "insurer", "channel", "policy_end", "days_left",
                        "last_contact", "quote", "kind", "last_quote"}
    assert row["phone"] == "13800000000" and row["quote"] == 4160.55 and row["days_left"] == 10
    assert row["last_contact"] == dt.date.fromisoformat(days_ago(20))
    assert result.phone.iloc[0]["last_outcome"] == "考虑中"


def test_lists_are_soonest_first_and_split_per_clerk():
    pols = [policy("C", days_later(30), clerk="吴静"), policy("A", days_later(5)), policy("B", days_later(12), clerk=None)]
    result = lists(pols)
    assert result.phone["archive_no"].tolist() == ["A", "B", "C"]
    assert result.clerks() == ["吴静", "周敏", UNASSIGNED]
    assert result.for_clerk("吴静").phone["archive_no"].tolist() == ["C"]
    assert result.for_clerk(UNASSIGNED).sms["archive_no"].tolist() == ["B"]


# DOMAIN.md rev 2: lapsed periods, win-back, kind, last quote

def test_lapsed_30_days_ago_is_called_first_and_31_days_ago_is_not():
    result = lists([policy("L30", days_ago(30)), policy("L31", days_ago(31)), policy("D5", days_later(5))])
    assert result.phone["archive_no"].tolist() == ["L30", "D5"]
    assert result.sms["archive_no"].tolist() == ["D5"]  # the lapsed get calls, not SMS
    assert result.phone["kind"].tolist() == ["已脱保", "到期"]
    assert result.phone["days_left"].tolist() == [-30, 5]


def test_lapsed_are_ahead_of_the_others_then_soonest_end_first():
    pols = [policy("B", days_later(1)), policy("L2", days_ago(2)), policy("L20", days_ago(20))]
    assert lists(pols).phone["archive_no"].tolist() == ["L20", "L2", "B"]


def test_a_renewed_lapsed_customer_leaves_the_list():
    lapsed = policy("A", days_ago(10), vin="V1")
    renewed = policy("A", days_later(350), vin="V1", start=days_ago(5))
    assert due([lapsed]) == ([], ["A"])
    assert due([lapsed, renewed]) == ([], [])


def test_a_lapsed_customer_called_less_than_15_days_ago_waits():
    pols = [policy("A", days_ago(10)), policy("B", days_ago(10))]
    contacts = [contact("A", days_ago(14), "电话", "考虑中"), contact("B", days_ago(15), "电话", "拒绝")]
    assert due(pols, contacts)[1] == ["B"]


def test_a_lapsed_period_written_elsewhere_is_lapsed_too():
    row = lists([policy("A", days_ago(3), channel="他处", clerk=None)]).phone.iloc[0]
    assert (row["kind"], row["channel"]) == ("已脱保", "他处")


def test_win_back_contact_inside_the_90_day_window_brings_the_customer_back_a_year_later():
    end = dt.date.fromisoformat(days_later(20)) - dt.timedelta(days=365)  # left us last year
    inside = (end - dt.timedelta(days=90)).isoformat()
    outside = (end - dt.timedelta(days=91)).isoformat()
    pols = [policy("IN", end.isoformat(), start=(end - dt.timedelta(days=364)).isoformat()),
            policy("OUT", end.isoformat(), start=(end - dt.timedelta(days=364)).isoformat())]
    contacts = [contact("IN", inside, "电话", "已在他处投保"), contact("OUT", outside, "电话", "已在他处投保")]
    result = lists(pols, contacts)
    assert result.sms["archive_no"].tolist() == ["IN"] and result.phone["archive_no"].tolist() == ["IN"]
    row = result.phone.iloc[0]
    assert (row["kind"], row["channel"], row["days_left"]) == ("挽回", "他处", 20)
    assert pd.isna(row["insurer"]) and row["clerk"] == "周敏" and row["quote"] == 3950.0


def test_win_back_comes_round_again_each_year_until_sold():
    end = dt.date.fromisoformat(days_later(10)) - dt.timedelta(days=3 * 365 + 1)  # three years ago
    pols = [policy("A", end.isoformat()), policy("S", end.isoformat())]
    told = [contact(a, (end - dt.timedelta(days=30)).isoformat(), "电话", "已在他处投保") for a in ("A", "S")]
    sold = contact("S", (end + dt.timedelta(days=400)).isoformat(), "电话", "车辆已售/报废")
    result = lists(pols, [*told, sold])
    assert result.phone["archive_no"].tolist() == ["A"]
    assert result.phone.iloc[0]["days_left"] == 10


def test_a_newer_policy_row_ends_the_win_back():
    end = dt.date.fromisoformat(days_later(20)) - dt.timedelta(days=365)
    old = policy("A", end.isoformat(), vin="V1")
    back = policy("A", days_later(400), vin="V1", start=days_later(35))
    told = contact("A", (end - dt.timedelta(days=10)).isoformat(), "电话", "已在他处投保")
    assert due([old], [told]) == (["A"], ["A"])
    assert due([old, back], [told]) == ([], [])


def test_win_back_period_is_closed_by_a_renewal_in_its_own_window():
    end = dt.date.fromisoformat(days_later(20)) - dt.timedelta(days=365)
    told = contact("A", (end - dt.timedelta(days=10)).isoformat(), "电话", "已在他处投保")
    assert due([policy("A", end.isoformat())], [told, contact("A", days_ago(3), "电话", "已续保")]) == ([], [])


def test_rows_show_the_last_quote_given():
    pols = [policy("A", days_later(10)), policy("B", days_later(10))]
    contacts = [dict(contact("A", days_ago(40), "电话", "考虑中"), quote_amount=4100.0),
                dict(contact("A", days_ago(20), "电话", "考虑中"), quote_amount=3900.5),
                contact("A", days_ago(16), "电话", "无法联系")]
    rows = {r["archive_no"]: r for r in calls_json(lists(pols, contacts))["phone"]}
    assert rows["A"]["last_quote"] == 3900.5 and rows["B"]["last_quote"] is None
    assert rows["A"]["kind"] == "到期"


def test_a_period_kept_as_a_compulsory_and_a_commercial_row_is_one_period_with_both_premiums():
    end = days_later(20)
    compulsory = policy("A", end, vin="V1", commercial=None, compulsory=950.0)
    commercial = policy("A", days_later(25), vin="V1", compulsory=None, commercial=3210.55,
                        start=days_later(-340))
    row = lists([compulsory, commercial]).phone.iloc[0]
    assert (row["days_left"], row["quote"]) == (20, 4160.55)  # ends when its first cover lapses
    # the customer then insured elsewhere: the quote is still last year's period, both covers
    theirs = policy("A", days_later(385), channel="他处", vin="V1", clerk=None, compulsory=None, commercial=None,
                    start=days_later(21))
    assert lists([compulsory, commercial, theirs], as_of=days_later(380)).phone.iloc[0]["quote"] == 4160.55
