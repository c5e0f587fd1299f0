"""Renewal reminders: the SMS and phone lists (DOMAIN.md "Renewal reminders", seed §4.5.3, §4.4.3). Pure.

Each vehicle's latest policy (largest 保单起期, whoever wrote it) decides: a 本店 policy is a renewal to
win, a 他处 one a customer to win back. The vehicle's contacts are the 续保跟进记录 rows of its 档案编号
dated on or after policy_end − contact_window_days; a closing outcome (已续保, 已在他处投保,
车辆已售/报废) takes the vehicle off both lists.

- SMS due: 0 ≤ days_left ≤ sms_days and no SMS yet, or the latest is sms_every_days or more old;
- call due: 0 ≤ days_left ≤ call_days and no call yet, or the latest is call_every_days or more old.

Decisions where DOMAIN.md is silent: contacts dated after as-of have not happened yet as of then and
are ignored; ties on 保单起期 go to the later 出单日期, then the row further down the sheet; customer, phone and 出单员
come from the latest policy, or else from the vehicle's latest earlier policy that has them (a 他处
row rarely names our clerk); the quote starts from the premiums of the latest policy that has any.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import Registers, json_records
from ..registers import CLOSING_OUTCOMES, CONTACT_METHODS, ROW
from ..settings import Context
from .vehicles import VehicleIndex, vehicle_index

SMS, PHONE = CONTACT_METHODS  # 短信, 电话
UNASSIGNED = "未分配"  # call lists of vehicles whose policies name no 出单员

CALL_COLUMNS = ("archive_no", "customer", "phone", "plate", "insurer", "channel", "policy_end", "days_left",
                "last_contact", "last_method", "last_outcome", "quote_compulsory", "quote_commercial", "quote",
                "clerk", "vehicle", "_row")
JSON_COLUMNS = ("archive_no", "customer", "phone", "plate", "insurer", "channel", "policy_end", "days_left",
                "last_contact", "quote")  # ARCHITECTURE.md: the `calls --json` row


@dataclass(frozen=True)
class CallLists:
    as_of: dt.date
    sms: pd.DataFrame  # CALL_COLUMNS, soonest policy_end first
    phone: pd.DataFrame

    def clerks(self) -> list[str]:
        """Every clerk with something due (UNASSIGNED last, when some vehicle has no clerk)."""
        names = pd.concat([self.sms["clerk"], self.phone["clerk"]])
        named = sorted(names.dropna().unique().tolist())
        return named + ([UNASSIGNED] if names.isna().any() else [])

    def for_clerk(self, clerk: str) -> "CallLists":
        def mine(frame: pd.DataFrame) -> pd.DataFrame:
            chosen = frame["clerk"].isna() if clerk == UNASSIGNED else frame["clerk"] == clerk
            return frame[chosen].reset_index(drop=True)

        return CallLists(self.as_of, mine(self.sms), mine(self.phone))


def _days(dates: pd.Series) -> np.ndarray:
    """Dates as int64 nanoseconds; an empty date is the smallest value, so it sorts first."""
    return dates.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _latest_per_vehicle(codes: np.ndarray, rank: np.ndarray, among: np.ndarray, vehicles: int) -> np.ndarray:
    """Per vehicle code, the position of its highest-ranked row among `among` (-1 when none)."""
    rows = np.flatnonzero(among)
    rows = rows[np.lexsort((rank[rows], codes[rows]))]
    last = np.append(codes[rows][1:] != codes[rows][:-1], True) if len(rows) else np.zeros(0, bool)
    out = np.full(vehicles, -1, np.int64)
    out[codes[rows][last]] = rows[last]
    return out


def renewal_candidates(policies: pd.DataFrame, index: VehicleIndex, ctx: Context) -> pd.DataFrame:
    """The latest policy of each vehicle ending within the reminder horizon (0..max(sms_days, call_days)
    days after as-of), with contact details and premiums filled in from the vehicle's earlier
    policies where the latest lacks them.

    Computed on integer codes and positions (numpy) so that only the few rows in the horizon are
    ever copied: a five-year register has 100k policies and a few hundred due.
    """
    t = ctx.thresholds
    codes, uniques = pd.factorize(index.ids(policies))
    n = len(policies)
    # latest = largest policy_start; ties to the later 出单日期, then the row further down the sheet
    order = np.lexsort((np.arange(n), policies[ROW].to_numpy(), _days(policies["issue_date"]),
                        _days(policies["policy_start"])))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    latest = _latest_per_vehicle(codes, rank, np.ones(n, bool), len(uniques))
    ends = policies["policy_end"].to_numpy(dtype="datetime64[ns]")[latest]
    days_left = (ends - np.datetime64(ctx.as_of, "ns")) // np.timedelta64(1, "D")
    near = ~np.isnat(ends) & (days_left >= 0) & (days_left <= max(t.sms_days, t.call_days))
    vehicles = np.flatnonzero(near)
    due = policies.iloc[latest[vehicles]].reset_index(drop=True)
    due["vehicle"] = uniques.take(vehicles)
    due["days_left"] = days_left[vehicles].astype("int64")
    for key in ("customer", "phone", "clerk"):  # the vehicle's latest non-empty value
        known = _latest_per_vehicle(codes, rank, policies[key].notna().to_numpy(), len(uniques))[vehicles]
        values = policies[key].take(np.maximum(known, 0)).reset_index(drop=True).where(pd.Series(known >= 0))
        due[key] = due[key].fillna(values)
    priced = (policies["compulsory_premium"].notna() | policies["commercial_premium"].notna()).to_numpy()
    quoted = _latest_per_vehicle(codes, rank, priced, len(uniques))[vehicles]
    has = pd.Series(quoted >= 0)
    for key, column in (("quote_compulsory", "compulsory_premium"), ("quote_commercial", "commercial_premium")):
        due[key] = policies[column].take(np.maximum(quoted, 0)).reset_index(drop=True).where(has)
    due["quote"] = due[["quote_compulsory", "quote_commercial"]].sum(axis=1, min_count=1).round(2)
    return due


def _contact_summary(due: pd.DataFrame, contacts: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Per vehicle (index): closed?, latest SMS, latest call, and the latest contact of any kind."""
    as_of = pd.Timestamp(ctx.as_of)
    c = contacts[contacts["archive_no"].notna() & contacts["contact_date"].notna()
                 & (contacts["contact_date"] <= as_of)]
    c = c[["archive_no", "contact_date", "method", "outcome", ROW]]
    merged = due[["vehicle", "archive_no", "policy_end"]].merge(c, on="archive_no")
    window = merged["policy_end"] - pd.Timedelta(days=ctx.thresholds.contact_window_days)
    merged = merged[merged["contact_date"] >= window].sort_values(["contact_date", ROW], kind="stable")
    summary = pd.DataFrame({
        "closed": merged["outcome"].isin(CLOSING_OUTCOMES).groupby(merged["vehicle"], sort=False).any(),
        "last_sms": merged["contact_date"].where(merged["method"] == SMS).groupby(merged["vehicle"], sort=False).max(),
        "last_call": merged["contact_date"].where(merged["method"] == PHONE).groupby(merged["vehicle"], sort=False).max(),
    })
    newest = merged.drop_duplicates("vehicle", keep="last").set_index("vehicle")
    summary["last_contact"] = newest["contact_date"]
    summary["last_method"] = newest["method"]
    summary["last_outcome"] = newest["outcome"]
    return summary


def call_lists(registers: Registers, ctx: Context, index: VehicleIndex | None = None) -> CallLists:
    """The day's SMS and phone lists of every clerk."""
    index = index or vehicle_index(registers)
    return renewal_calls(registers["policies"], registers["contacts"], ctx, index)


def reminder_windows(days_left: pd.Series, ctx: Context) -> tuple[pd.Series, pd.Series]:
    """Whether a policy ending in `days_left` days is in the SMS window (0..sms_days) and in the
    phone-call window (0..call_days) of §4.5.3 (also the worksheet function INS_RENEWAL_STAGE)."""
    t = ctx.thresholds
    return days_left.between(0, t.sms_days), days_left.between(0, t.call_days)


def renewal_calls(policies: pd.DataFrame, contacts: pd.DataFrame, ctx: Context, index: VehicleIndex) -> CallLists:
    t = ctx.thresholds
    as_of = pd.Timestamp(ctx.as_of)
    due = renewal_candidates(policies, index, ctx)
    summary = _contact_summary(due, contacts, ctx).reindex(due["vehicle"])
    summary.index = due.index
    for key in ("last_contact", "last_method", "last_outcome"):
        due[key] = summary[key]
    closed = summary["closed"].fillna(False).astype(bool)

    def since(last: pd.Series) -> pd.Series:  # days since the latest contact of that kind; NaN when none
        return (as_of - last).dt.days

    sms_gap, call_gap = since(summary["last_sms"]), since(summary["last_call"])
    sms_window, call_window = reminder_windows(due["days_left"], ctx)
    sms_due = ~closed & sms_window & (sms_gap.isna() | (sms_gap >= t.sms_every_days))
    call_due = ~closed & call_window & (call_gap.isna() | (call_gap >= t.call_every_days))

    def listing(mask: pd.Series) -> pd.DataFrame:
        rows = due[mask.to_numpy(dtype=bool)].sort_values(["policy_end", "archive_no"], kind="stable")
        return rows.loc[:, list(CALL_COLUMNS)].reset_index(drop=True)

    return CallLists(ctx.as_of, listing(sms_due), listing(call_due))


def calls_json(lists: CallLists) -> dict:
    """The `calls --json` object: `sms` and `phone`, rows with ARCHITECTURE.md's fields."""
    return {"sms": json_records(lists.sms, JSON_COLUMNS), "phone": json_records(lists.phone, JSON_COLUMNS)}
