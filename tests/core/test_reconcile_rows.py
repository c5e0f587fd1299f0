"""Reconciliation per register row (DOMAIN.md rev 2): a statement line belongs to the row carrying its
number; a row is compared with the sum of its lines; negative lines are cancellations."""
import datetime as dt

from insurance_xl.core.reconcile import reconcile, tie_out
from insurance_xl.settings import Context, Settings
from insurance_xl.tables import table_from_records

from tests.core.test_reconcile import statement

CTX = Context(Settings(), dt.date(2026, 11, 24))


def row(number=None, compulsory_no=None, commercial_no=None, comp=950.0, comm=3000.0, fee=788.0, **more):
    return {"archive_no": "A1", "customer": "张三", "plate": "京A1", "policy_no": number,
            "compulsory_policy_no": compulsory_no, "commercial_policy_no": commercial_no, "insurer": "人保财险",
            "channel": "本店", "business_type": "续保", "issue_date": "2026-10-05", "policy_start": "2026-10-06",
            "policy_end": "2027-10-05", "compulsory_premium": comp, "commercial_premium": comm, "commission": fee,
            **more}


def run(rows, lines):
    rec = reconcile(table_from_records("policies", rows), statement(*lines), "人保财险", "2026-10", CTX)
    tie_out(rec)
    return rec


def test_a_row_with_both_numbers_matches_the_two_lines_the_insurer_lists():
    rec = run([row(commercial_no="P1", compulsory_no="PZ1")],
              [("PZ1", "京A1", 950.0, 0.0, 38.0), ("P1", "京A1", 0.0, 3000.0, 750.0)])
    assert list(rec.matched["key"]) == ["P1"] and rec.matched["statement_rows"].tolist() == ["5、6"]
    assert rec.differences.empty and rec.only_theirs.empty and rec.only_ours.empty


def test_a_row_is_compared_with_the_sum_of_its_lines():
    rec = run([row("P1", compulsory_no="PZ1")],
              [("PZ1", "京A1", 950.0, 0.0, 50.0), ("P1", "京A1", 0.0, 3000.0, 750.0)])
    assert list(rec.differences["key"]) == ["P1"] and rec.differences["diff_commission"].tolist() == [1200]


def test_a_line_whose_number_is_on_no_row_is_only_theirs_and_a_row_on_no_line_only_ours():
    rec = run([row("P1"), row("P2", plate="京A2")], [("P1", "京A1", 950.0, 3000.0, 788.0),
                                                    ("P3", "京A3", 950.0, 0.0, 38.0)])
    assert list(rec.only_ours["key"]) == ["P2"] and list(rec.only_theirs["key"]) == ["P3"]


def test_a_negative_line_is_a_cancellation_compared_with_the_rows_refund():
    cancelled = row("P7", comp=None, issue_date="2026-03-01", policy_start="2026-03-02", policy_end="2027-03-01",
                    cancel_date="2026-10-15", refund_premium=1500.0, refund_commission=375.0)
    rec = run([cancelled], [("P7", "京A1", 0.0, -1500.0, -375.0)])
    assert rec.matched["key"].tolist() == ["P7（退保）"] and rec.only_theirs.empty and rec.only_ours.empty
    wrong = run([cancelled], [("P7", "京A1", 0.0, -1500.0, -380.0)])
    assert wrong.differences["key"].tolist() == ["P7（退保）"]


def test_a_cancellation_the_insurer_has_not_listed_is_only_ours():
    cancelled = row("P7", comp=None, cancel_date="2026-10-15", refund_premium=1500.0, refund_commission=375.0)
    rec = run([cancelled], [("P7", "京A1", 0.0, 3000.0, 788.0)])
    assert rec.matched["key"].tolist() == ["P7"] and rec.only_ours["key"].tolist() == ["P7（退保）"]
