"""The demo store's follow-up registers: the renewal call log and the commission settlements.

Renewal contacts (§4.4.3, §4.5.3) follow the reminder rhythm of DOMAIN.md for every policy ending
within the year before as-of and the 45 days after it: SMS from 45 days before the end, calls with
a quote from 30 days, not every planned one made, each with what the customer said, and the closing
call when the outcome is known (renewed here, insured elsewhere, vehicle sold or scrapped).
Commission (§4.6) is settled per insurer and month: invoiced after month end, mostly received
within weeks, a few months still outstanding long after (one with the insurer's 确认函), and one old
insurer-month never entered in the register at all.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .people import pick
from .policies import CLERKS, DAY, ELSEWHERE, HERE, days
from ..registers import CONTACT_METHODS, FAILURE_REASONS, OUTCOMES
from ..settings import Settings

SMS, CALL = CONTACT_METHODS
RENEWED, CONSIDERING, INSURED_ELSEWHERE, UNREACHABLE, REFUSED, SOLD = OUTCOMES
REASON_WEIGHTS = (0.4, 0.1, 0.1, 0.25, 0.15)  # aligned with FAILURE_REASONS: 价格 服务 理赔体验 他处关系 其他
# reminders planned before policy_end: (method, days before the end)
PLAN = ((SMS, 45), (CALL, 30), (SMS, 31), (CALL, 15), (SMS, 17), (CALL, 5), (SMS, 3))


def build_contacts(rng: np.random.Generator, policies: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    end = np.datetime64(as_of, "D")
    policy_end = policies["policy_end"].to_numpy("datetime64[D]")
    p = policies[(policy_end >= end - 365 * DAY) & (policy_end <= end + 45 * DAY)].reset_index(drop=True)
    m, k = len(p), len(PLAN)
    clerk = p["clerk"].fillna(p["archive_clerk"]).to_numpy(dtype=object)
    resolved = p["resolved"].to_numpy("datetime64[D]")
    cutoff = np.where(np.isnat(resolved), end + DAY, resolved)

    # the reminders actually made before the outcome was known
    idx = np.repeat(np.arange(m), k)
    method = np.tile(np.array([c[0] for c in PLAN], dtype=object), m)
    before = np.tile(np.array([c[1] for c in PLAN]), m)
    date = p["policy_end"].to_numpy("datetime64[D]")[idx] - days(before) + days(rng.integers(0, 4, size=m * k))
    keep = (rng.random(m * k) < 0.7) & (date < cutoff[idx]) & (date <= end)
    idx, method, date = idx[keep], method[keep], date[keep]
    n = len(idx)
    call = method == CALL
    said = pick(rng, (CONSIDERING, UNREACHABLE, REFUSED), n, (0.45, 0.35, 0.2))
    outcome = np.where(call, said, np.where(rng.random(n) < 0.2, CONSIDERING, None))
    reminders = pd.DataFrame({
        "archive_no": p["archive_no"].to_numpy()[idx], "contact_date": date, "method": method, "outcome": outcome,
        "failure_reason": np.where(outcome == REFUSED, pick(rng, FAILURE_REASONS, n, REASON_WEIGHTS), None),
        "next_date": np.where(np.isin(outcome, (CONSIDERING, UNREACHABLE)), date + days(rng.integers(3, 11, size=n)),
                              np.datetime64("NaT")),
        "clerk": clerk[idx],
    })

    # the closing contact, on the day the outcome became known
    nxt = p["next"].to_numpy()
    closed = np.isin(nxt, (HERE, ELSEWHERE, "gone")) & ~np.isnat(resolved) & (rng.random(m) < 0.9)
    q = np.flatnonzero(closed)
    final = np.where(nxt[q] == HERE, RENEWED, np.where(nxt[q] == ELSEWHERE, INSURED_ELSEWHERE, SOLD))
    closing = pd.DataFrame({
        "archive_no": p["archive_no"].to_numpy()[q], "contact_date": resolved[q],
        "method": np.where(rng.random(len(q)) < 0.9, CALL, SMS), "outcome": final,
        "failure_reason": np.where(final == INSURED_ELSEWHERE,
                                   pick(rng, FAILURE_REASONS, len(q), REASON_WEIGHTS), None),
        "next_date": np.datetime64("NaT"), "clerk": clerk[q],
    })
    contacts = pd.concat([reminders, closing], ignore_index=True)
    for col in ("contact_date", "next_date"):
        contacts[col] = pd.to_datetime(contacts[col]).astype("datetime64[ns]")
    return contacts.sort_values(["contact_date", "archive_no"], kind="stable").reset_index(drop=True)


def build_commission_settlements(rng: np.random.Generator, policies: pd.DataFrame, settings: Settings,
                                 as_of: dt.date) -> pd.DataFrame:
    """One row per insurer and month before as-of's month: the commission of its 本店 policies (§4.6)."""
    end = np.datetime64(as_of, "D")
    here = policies[(policies["channel"] == HERE) & policies["issue_date"].notna()]
    month = here["issue_date"].dt.to_period("M")
    here = here[month < pd.Period(as_of, "M")]
    cents = np.rint(here["commission"].fillna(0).to_numpy() * 100).astype(np.int64)
    due = (pd.DataFrame({"month": month[here.index].astype(str), "insurer": here["insurer"].to_numpy(), "cents": cents})
           .groupby(["month", "insurer"], sort=True)["cents"].sum().reset_index())
    rank = {name: i for i, name in enumerate(settings.partners)}
    due = due.assign(rank=due["insurer"].map(rank).fillna(len(rank))).sort_values(["month", "rank"], kind="stable")
    due = due.reset_index(drop=True)
    n = len(due)
    month_end = (pd.PeriodIndex(due["month"], freq="M").end_time.normalize()).to_numpy("datetime64[D]")
    invoice = month_end + days(rng.integers(3, 13, size=n))
    received = invoice + days(rng.integers(10, 51, size=n))
    received_cents = due["cents"].to_numpy().astype(float)
    # a few months the insurer still owes long after (§4.9.4: write the profit down in full)
    old = np.flatnonzero((month_end <= end - 120 * DAY) & (month_end >= end - 420 * DAY))
    stuck = rng.choice(old, size=min(3, len(old)), replace=False) if len(old) else np.array([], int)
    unpaid = np.zeros(n, bool)
    unpaid[stuck[:2]] = True
    received_cents[stuck[2:]] = np.rint(received_cents[stuck[2:]] * 0.9)
    invoiced = invoice <= end
    got = invoiced & (received <= end) & ~unpaid
    settlements = pd.DataFrame({
        "month": due["month"].to_numpy(), "insurer": due["insurer"].to_numpy(), "amount_due": due["cents"] / 100,
        "invoice_date": pd.to_datetime(np.where(invoiced, invoice, np.datetime64("NaT"))).astype("datetime64[ns]"),
        "received_date": pd.to_datetime(np.where(got, received, np.datetime64("NaT"))).astype("datetime64[ns]"),
        "received_amount": np.where(got, received_cents / 100, np.nan),
        "clerk": pick(rng, CLERKS[:2], n, (0.8, 0.2)),
    })
    # the insurer signed a 确认函 for one unpaid month (§4.9.4: not written down), and one old month
    # was never entered at all: its commission is owed as booked on the policies
    settlements["confirmation_letter"] = np.where(np.isin(np.arange(n), stuck[:1]), True, None)
    never = np.setdiff1d(old, stuck)
    if len(never):
        settlements = settlements.drop(index=int(rng.choice(never))).reset_index(drop=True)
    return settlements
