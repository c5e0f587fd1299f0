"""Locked months (§4.6, §4.9.4): a lock row with a fingerprint, changes reported, corrections in the next month."""
import contextlib
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context, Settings
from insurance_xl.core.validation.validate import validate

from insurance_xl.core.locks import canonical_lines, changes_since_lock, fingerprint, lock_row, lock_state, next_month
from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.services.month_end import MonthEnd, load_snapshot, locks_dir, record_lock

from tests.conftest import sample
from tests.core.test_reconcile import OURS, run, statement

LINES = statement(("P1", "京A1", 950, 3000, 788), ("P2", "京A2", 950, 0, 38),
                  ("P3", "京A3", 665, 4466.88, 1143.32), ("P4", "京A4", 1100, 7420.51, 1899.13))


def ledger(*rows):
    """(month, insurer, amount_due[, fingerprint, locked_on, adjusts])"""
    keys = ("month", "insurer", "amount_due", "fingerprint", "locked_on", "adjusts")
    return table_from_records("commission_settlements", [dict(zip(keys, r)) for r in rows],
                              workbook="store.xlsx", first_row=3)


def test_fingerprint_ignores_row_order_but_not_amounts():
    rec = run(OURS, LINES)
    shuffled = run(OURS.iloc[::-1].assign(_row=range(40, 44)), LINES.iloc[::-1])
    assert fingerprint(canonical_lines(rec)) == fingerprint(canonical_lines(shuffled))
    changed = LINES.copy()
    changed.loc[0, "commission"] = 788.01
    assert fingerprint(canonical_lines(run(OURS, changed))) != fingerprint(canonical_lines(rec))


def test_first_lock_of_a_month_the_clerk_booked_adjusts_it_to_the_statement():
    rec = run(OURS, LINES)
    state = lock_state(ledger(("2026-10", "人保财险", 3000.00), ("2026-10", "平安产险", 99.0)), "人保财险", "2026-10")
    assert not state.locked and state.rows == (3,) and state.amount_due == 300000
    [row] = lock_row(rec, state, "ABC", dt.date(2026, 11, 5)).to_dict("records")
    # the statement's commission is 3,868.45; the clerk's row already books 3,000.00: the month keeps one
    # row of its own, the lock is an adjustment of the month for the rest
    assert (row["month"], row["adjusts"], round(row["amount_due"], 2)) == ("2026-10", "2026-10", 868.45)
    assert row["fingerprint"] == "ABC" and row["locked_on"] == pd.Timestamp("2026-11-05")


def test_first_lock_of_an_unbooked_month_is_the_month_row():
    [row] = lock_row(run(OURS, LINES), lock_state(ledger(), "人保财险", "2026-10"), "ABC",
                     dt.date(2026, 11, 5)).to_dict("records")
    assert (row["month"], round(row["amount_due"], 2)) == ("2026-10", 3868.45) and pd.isna(row["adjusts"])


def test_locked_month_adds_up_its_rows_and_adjustments_and_keeps_the_latest_fingerprint():
    settlements = ledger(("2026-10", "人保财险", 3000.00),
                         ("2026-10", "人保财险", 868.45, "F1", "2026-11-05"),
                         ("2026-11", "人保财险", 12.30, "F2", "2026-12-02", "2026-10"),
                         ("2026-11", "人保财险", 5000.00, "F3", "2026-12-03"))
    state = lock_state(settlements, "人保财险", "2026-10")
    assert state.locked and state.fingerprint == "F2" and state.locked_on == dt.date(2026, 12, 2)
    assert state.amount_due == 388075 and state.rows == (3, 4, 5)
    november = lock_state(settlements, "人保财险", "2026-11")
    assert november.fingerprint == "F3" and november.amount_due == 500000  # the adjustment belongs to October


def test_correcting_a_locked_month_is_an_adjustment_row_in_the_next_month():
    changed = LINES.copy()
    changed.loc[0, "commission"] = 800.30
    rec = run(OURS, changed)
    state = lock_state(ledger(("2026-10", "人保财险", 3868.45, "F1", "2026-11-05")), "人保财险", "2026-10")
    [row] = lock_row(rec, state, "F2", dt.date(2026, 12, 2)).to_dict("records")
    assert (row["month"], row["adjusts"], round(row["amount_due"], 2)) == ("2026-11", "2026-10", 12.30)
    assert next_month("2026-12") == "2027-01"


def test_changes_since_the_lock_name_each_line():
    locked = canonical_lines(run(OURS, LINES))
    later = statement(("P1", "京A1", 950, 3000, 800.30), ("P2", "京A2", 950, 0, 38),
                      ("P3", "京A3", 665, 4466.88, 1143.32), ("P5", "京A5", 950, 0, 38))
    changes = changes_since_lock(locked, canonical_lines(run(OURS, later)))
    got = {(r["side"], r["policy_no"], r["change"]) for r in changes.to_dict("records")}
    assert got == {("theirs", "P1", "changed"), ("theirs", "P4", "removed"), ("theirs", "P5", "added")}
    p1 = changes.set_index("policy_no").loc["P1"]
    assert (p1["commission_before"], p1["commission_after"]) == (78800, 80030)


class RecordingAppender:
    """Stands in for edit.append_register_rows: remembers what would be appended."""

    def __init__(self):
        self.calls = []

    def __call__(self, path, register_key, frame):
        self.calls.append((path, register_key, frame))
        return type("Appended", (), {"sheet": "手续费结算台账", "rows": (9,)})()


def month_end(rec, settlements):
    lines = canonical_lines(rec)
    return MonthEnd(None, rec, lines, fingerprint(lines), lock_state(settlements, "人保财险", "2026-10"), None, None)


def test_record_lock_keeps_the_lines_first_then_appends_one_ledger_row(tmp_path):
    store = tmp_path / "store.xlsx"
    store.write_bytes(b"not read here")
    registers = registers_from_tables({"commission_settlements": ledger()})
    result = month_end(run(OURS, LINES), ledger())
    appender = RecordingAppender()
    recorded = record_lock(store, registers, result, dt.date(2026, 11, 5), appender, {"totals": {}})
    [(path, key, frame)] = appender.calls
    assert (path, key, len(frame)) == (store, "commission_settlements", 1)
    assert frame["fingerprint"].iloc[0] == result.fingerprint == recorded.fingerprint
    assert recorded.rows == (9,) and recorded.adjusts is None and recorded.amount_due == 3868.45
    snapshot = load_snapshot(locks_dir(store), "人保财险", "2026-10", result.fingerprint)
    assert snapshot["lines"] == json.loads(json.dumps(result.lines)) and snapshot["locked_on"] == "2026-11-05"
    assert recorded.snapshot.parent == tmp_path / ".insurance-xl-locks" / "store"


def test_a_tampered_snapshot_is_not_trusted(tmp_path):
    store = tmp_path / "store.xlsx"
    result = month_end(run(OURS, LINES), ledger())
    record_lock(store, registers_from_tables({}), result, dt.date(2026, 11, 5), RecordingAppender(), {})
    [snap] = (tmp_path / ".insurance-xl-locks" / "store").iterdir()
    data = json.loads(snap.read_text(encoding="utf-8"))
    data["lines"]["theirs"][0][-1] += 100
    snap.write_text(json.dumps(data), encoding="utf-8")
    assert load_snapshot(locks_dir(store), "人保财险", "2026-10", result.fingerprint) is None


def test_an_unchanged_locked_month_records_nothing(tmp_path):
    rec = run(OURS, LINES)
    print_ = fingerprint(canonical_lines(rec))
    result = month_end(rec, ledger(("2026-10", "人保财险", 3868.45, print_, "2026-11-05")))
    assert result.status == "locked"
    with pytest.raises(ValueError):
        record_lock(tmp_path / "s.xlsx", registers_from_tables({}), result, dt.date(2026, 11, 6),
                    RecordingAppender(), {})


# ---- through the command line, on a copy of the sample store ---------------------------------------

def _cli(store, statement, *extra, as_of="2026-11-24"):
    out, err = io.StringIO(), io.StringIO()
    argv = ["reconcile", str(store), "--settings", str(sample("settings.toml")), "--as-of", as_of, "--month", "2026-10",
            "--insurer", "人保财险", "--statement", str(statement), "--json", *extra]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, json.loads(out.getvalue()) if out.getvalue() else None, err.getvalue()


def test_lock_then_a_corrected_statement_reports_changes_and_books_an_adjustment(tmp_path, sample_expected):
    store = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), store)
    before = read_store(store)
    expected = sample_expected["reconcile"]

    code, got, err = _cli(store, sample("statement.xlsx"), "--lock")
    assert code == 0, err
    recorded = got["lock"]["recorded"]
    booked = before["commission_settlements"].query("month == '2026-10' and insurer == '人保财险'")["amount_due"].sum()
    assert recorded["month"] == "2026-10" and recorded["adjusts"] == "2026-10"  # the clerk's row stays the month's
    assert recorded["amount_due"] == round(expected["theirs_commission"] - booked, 2)
    assert recorded["added_headers"] == ["对账指纹", "锁定日期", "调整月份"] and Path(recorded["backup"]).exists()
    after = read_store(store)
    for key in before.tables:  # nothing else in the workbook lost or changed
        if key != "commission_settlements":
            pd.testing.assert_frame_equal(before[key], after[key])
    ledger_now = after["commission_settlements"]
    assert len(ledger_now) == len(before["commission_settlements"]) + 1
    assert ledger_now["fingerprint"].dropna().tolist() == [got["lock"]["fingerprint"]]

    code, again, _ = _cli(store, sample("statement.xlsx"))
    assert code == 0 and again["lock"]["status"] == "locked" and again["lock"]["recorded"] is None

    corrected = tmp_path / "statement-corrected.xlsx"
    wb = load_workbook(sample("statement.xlsx"))
    ws = wb.active
    row = next(c.row for c in ws["B"] if str(c.value).strip() == expected["differences"][0])
    ws.cell(row=row, column=6).value = 999.99
    wb.save(corrected)
    untouched = store.read_bytes()
    code, changed, err = _cli(store, corrected, "--lock", as_of="2026-12-02")
    assert code == 1 and "--reopen" in err and store.read_bytes() == untouched
    assert changed["lock"]["status"] == "changed"
    assert [(c["side"], c["policy_no"], c["change"]) for c in changed["lock"]["changes"]] == \
        [("theirs", expected["differences"][0], "changed")]
    assert changed["lock"]["changes"][0]["commission_after"] == 999.99
    # the numbers shown are the locked ones, not new ones
    assert changed["totals"]["theirs"]["commission"] == expected["theirs_commission"]

    code, reopened, err = _cli(store, corrected, "--reopen", "--lock", as_of="2026-12-02")
    assert code == 0, err
    adjustment = reopened["lock"]["recorded"]
    assert (adjustment["month"], adjustment["adjusts"]) == ("2026-11", "2026-10")
    assert adjustment["amount_due"] == round(reopened["totals"]["theirs"]["commission"] - expected["theirs_commission"], 2)
    code, final, _ = _cli(store, corrected)
    assert code == 0 and final["lock"]["status"] == "locked"
    assert final["lock"]["amount_due_locked"] == reopened["totals"]["theirs"]["commission"]


def test_lock_is_refused_while_the_store_is_open_and_nothing_is_written(tmp_path):
    store = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), store)
    (tmp_path / "~$store.xlsx").write_bytes(b"")
    before = store.read_bytes()
    code, _, err = _cli(store, sample("statement.xlsx"), "--lock")
    assert code == 2 and "打开" in err
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.xlsx", "~$store.xlsx"]


def test_adjustment_rows_are_not_duplicate_months_and_may_be_negative():
    """Validation (DOMAIN: one row per insurer and month) leaves the rows `--lock` writes alone."""
    settlements = ledger(("2026-10", "人保财险", 3000.00),
                         ("2026-10", "人保财险", -131.55, "F1", "2026-11-05", "2026-10"),
                         ("2026-11", "人保财险", 12.30, "F2", "2026-12-02", "2026-10"),
                         ("2026-11", "人保财险", 5000.00),
                         ("2026-11", "人保财险", 7.00))
    found = validate(registers_from_tables({"commission_settlements": settlements}),
                     Context(Settings(), dt.date(2026, 12, 5))).findings
    rules = {(f.rule, f.location.row) for f in found if f.register == "commission_settlements"}
    assert rules == {("commission.duplicate_month", 7)}  # two rows of the month's own: still an error
