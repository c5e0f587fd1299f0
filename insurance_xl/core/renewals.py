"""Renewal reminders: the SMS and phone lists (DOMAIN.md rev 2 "Renewal reminders", seed §4.5.3, §4.4.3). Pure.

Each vehicle's latest period (latest start, whoever wrote it) decides: a 本店 period is a renewal to win
(kind 到期), a 他处 one a customer to win back (挽回). days_left = period end − as-of. The vehicle's
contacts are the 续保跟进记录 rows of its 档案编号 dated on or after period end − contact_window_days; an
已续保 or 车辆已售/报废 among them takes the vehicle off both lists.

- Lapsed: a period that ended at most grace_days ago (it is the latest, so it has no successor) stays on
  the phone list as 已脱保, ahead of the others.
- Win-back: a contact 已在他处投保 means a 他处 period ending a whole number of years after the period
  the customer left: the first such end on or after as-of (a year later, and again each year, until a
  newer policy row or a 车辆已售/报废 contact dated on or after it); it is reminded like any 他处 vehicle.
- SMS due: 0 ≤ days_left ≤ sms_days and no SMS yet, or the latest is sms_every_days or more old;
- call due: −grace_days ≤ days_left ≤ call_days and no call yet, or the latest is call_every_days or more old.

Decisions where DOMAIN.md is silent: contacts dated after as-of have not happened yet as of then and
are ignored; ties on 保单起期 go to the later 出单日期, then the row further down the sheet; the latest
period is the vehicle's policies of the latest policy's channel starting within period_days before it
(a 交强险 row and a 商业险 row written together), ending at the earliest end among them that is not
cancelled; customer, phone and 出单员 come from the latest policy, or else from the vehicle's latest
earlier policy that has them (a 他处 row rarely names our clerk); the quote starts from the premiums of
the latest period, or else of the latest policy that has any; a win-back row names no insurer (the
customer's new insurer is not known) and the lapsed in the list are the most urgent first (earliest end).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import Registers, json_records
from ..registers import CONTACT_METHODS, ELSEWHERE, INSURED_ELSEWHERE, RENEWED, ROW, SOLD_OR_SCRAPPED
from ..settings import Context
from .months import add_years, whole_years_until
from .vehicles import VehicleIndex, vehicle_index

SMS, PHONE = CONTACT_METHODS  # 短信, 电话
UNASSIGNED = "未分配"  # call lists of vehicles whose policies name no 出单员
KINDS = ("到期", "挽回", "已脱保")  # a 本店 period to renew, a 他处 customer to win back, a lapsed period
DUE, WIN_BACK, LAPSED = KINDS
STOP_OUTCOMES = (RENEWED, SOLD_OR_SCRAPPED)  # DOMAIN.md: skip the vehicle

CALL_COLUMNS = ("archive_no", "customer", "phone", "plate", "insurer", "channel", "policy_end", "days_left",
                "last_contact", "last_method", "last_outcome", "quote_compulsory", "quote_commercial", "quote",
                "kind", "last_quote", "clerk", "vehicle", "_row")
JSON_COLUMNS = ("archive_no", "customer", "phone", "plate", "insurer", "channel", "policy_end", "days_left",
                "last_contact", "quote", "kind", "last_quote")  # ARCHITECTURE.md: the `calls --json` row


@dataclass(frozen=True)
class CallLists:
    as_of: dt.date
    sms: pd.DataFrame  # CALL_COLUMNS, soonest policy_end first
    phone: pd.DataFrame  # CALL_COLUMNS, lapsed first, then soonest policy_end first

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


def _column(table: pd.DataFrame, key: str, dtype: str = "object") -> pd.Series:
    return table[key] if key in table.columns else pd.Series(pd.NA, index=table.index, dtype=dtype)


def latest_periods(policies: pd.DataFrame, index: VehicleIndex, period_days: int, as_of: dt.date,
                   days: tuple[int, int], also: np.ndarray | None = None) -> pd.DataFrame:
    """One row per vehicle whose latest period ends within `days` (first, last) of as-of, or that has
    a row marked in `also`: its latest policy row with the latest period's end and premiums.

    Computed on integer codes and positions (numpy) so that only the chosen vehicles' rows are ever
    copied: a five-year register has 100k policies and a few hundred due.
    """
    codes, uniques = pd.factorize(index.ids(policies))
    n, vehicles = len(policies), len(uniques)
    # latest = largest policy_start; ties to the later 出单日期, then the row further down the sheet
    order = np.lexsort((np.arange(n), policies[ROW].to_numpy(), _days(policies["issue_date"]),
                        _days(policies["policy_start"])))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    latest = _latest_per_vehicle(codes, rank, np.ones(n, bool), vehicles)
    starts = _days(policies["policy_start"])
    channel = pd.factorize(policies["channel"])[0]
    member = ((channel == channel[latest][codes])
              & ~(starts < starts[latest][codes] - period_days * 86_400_000_000_000))
    ends = policies["policy_end"].to_numpy(dtype="datetime64[ns]")
    counted = member & ~np.isnat(ends) & ~_column(policies, "cancel_date", "datetime64[ns]").notna().to_numpy()
    period_end = ends[latest].copy()  # a period all of whose policies were cancelled: its latest end
    firsts = pd.Series(ends[counted]).groupby(codes[counted]).min()
    period_end[firsts.index.to_numpy()] = firsts.to_numpy()
    days_left = (period_end - np.datetime64(as_of, "ns")) // np.timedelta64(1, "D")
    chosen = ~np.isnat(period_end) & (days_left >= days[0]) & (days_left <= days[1])
    if also is not None:
        chosen[codes[also]] = True
    picked = np.flatnonzero(chosen)
    out = policies.iloc[latest[picked]].reset_index(drop=True)
    out["vehicle"] = uniques.take(picked)
    out["policy_end"] = period_end[picked]
    for key in ("customer", "phone", "clerk"):  # the vehicle's latest non-empty value
        known = _latest_per_vehicle(codes, rank, policies[key].notna().to_numpy(), vehicles)[picked]
        values = policies[key].take(np.maximum(known, 0)).reset_index(drop=True).where(pd.Series(known >= 0))
        out[key] = out[key].fillna(values)
    rows = member & chosen[codes]
    slot = np.full(vehicles, -1, np.int64)
    slot[picked] = np.arange(len(picked))
    for key, column in (("quote_compulsory", "compulsory_premium"), ("quote_commercial", "commercial_premium")):
        sums = policies[column][rows].groupby(slot[codes[rows]]).sum(min_count=1)
        out[key] = sums.reindex(range(len(picked))).to_numpy(dtype="float64")
    unpriced = (out["quote_compulsory"].isna() & out["quote_commercial"].isna()).to_numpy()
    if unpriced.any():  # a 他处 period rarely shows premiums: those of the latest period that has any
        priced = (policies["compulsory_premium"].notna() | policies["commercial_premium"].notna()).to_numpy()
        quoted = np.full(vehicles, -1, np.int64)
        quoted[picked[unpriced]] = _latest_per_vehicle(codes, rank, priced, vehicles)[picked[unpriced]]
        anchor = quoted[codes]
        rows = (anchor >= 0) & priced
        rows[rows] = ((channel[rows] == channel[anchor[rows]]) & (starts[rows] <= starts[anchor[rows]])
                      & ~(starts[rows] < starts[anchor[rows]] - period_days * 86_400_000_000_000))
        for key, column in (("quote_compulsory", "compulsory_premium"), ("quote_commercial", "commercial_premium")):
            sums = policies[column][rows].groupby(slot[codes[rows]]).sum(min_count=1)
            out.loc[sums.index.to_numpy(), key] = sums.to_numpy(dtype="float64")
    return out


def _recent(contacts: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    c = contacts[contacts["archive_no"].notna() & contacts["contact_date"].notna()
                 & (contacts["contact_date"] <= as_of)]
    return c.assign(quote_amount=_column(c, "quote_amount", "float64"))[
        ["archive_no", "contact_date", "method", "outcome", "quote_amount", ROW]]


def _win_back(periods: pd.DataFrame, contacts: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Periods after an 已在他处投保 contact become 他处 periods a whole number of years later;
    a 车辆已售/报废 contact dated on or after that contact ends the vehicle (policy_end NaT)."""
    told = contacts[contacts["outcome"] == INSURED_ELSEWHERE]
    if told.empty:
        return periods.assign(kind=DUE)
    latest = periods[["vehicle", "archive_no", "policy_end"]].merge(told, on="archive_no")
    latest = latest[latest["contact_date"] >= latest["policy_end"]
                    - pd.Timedelta(days=ctx.thresholds.contact_window_days)]
    first = latest.groupby("vehicle", sort=False)["contact_date"].min()
    if first.empty:
        return periods.assign(kind=DUE)
    gone = contacts[contacts["outcome"] == SOLD_OR_SCRAPPED][["archive_no", "contact_date"]]
    gone = (periods[["vehicle", "archive_no"]].merge(first.rename("told").reset_index(), on="vehicle")
            .merge(gone, on="archive_no"))
    gone = gone.loc[gone["contact_date"] >= gone["told"], "vehicle"]
    moved = periods["vehicle"].isin(first.index).to_numpy()
    periods = periods.assign(kind=np.where(moved, WIN_BACK, DUE))
    left = periods.loc[moved, "policy_end"]
    years = whole_years_until(left, pd.Timestamp(ctx.as_of))
    periods.loc[moved, "policy_end"] = add_years(left, years).to_numpy()
    periods.loc[moved, "channel"] = ELSEWHERE
    periods.loc[moved, "insurer"] = None
    periods.loc[periods["vehicle"].isin(gone).to_numpy(), "policy_end"] = pd.NaT
    return periods


def renewal_candidates(policies: pd.DataFrame, contacts: pd.DataFrame, index: VehicleIndex,
                       ctx: Context) -> pd.DataFrame:
    """The latest period of each vehicle (win-backs moved on) ending within the reminder horizon
    (−grace_days..max(sms_days, call_days) days from as-of), with its kind."""
    t = ctx.thresholds
    horizon = max(t.sms_days, t.call_days)
    # a win-back's period may lie years ahead of the one it left: keep every vehicle that has one
    told = contacts.loc[contacts["outcome"] == INSURED_ELSEWHERE, "archive_no"].unique()
    also = policies["archive_no"].isin(told).to_numpy(dtype=bool) if len(told) else None
    periods = latest_periods(policies, index, t.period_days, ctx.as_of, (-t.grace_days, horizon), also)
    due = _win_back(periods, contacts, ctx)
    due["days_left"] = ((due["policy_end"] - pd.Timestamp(ctx.as_of)).dt.days).astype("Int64")
    due = due[due["days_left"].between(-t.grace_days, horizon).fillna(False).to_numpy(dtype=bool)]
    due = due.reset_index(drop=True)
    due["days_left"] = due["days_left"].astype("int64")
    due.loc[due["days_left"] < 0, "kind"] = LAPSED
    due.loc[(due["kind"] == DUE) & (due["channel"] == ELSEWHERE), "kind"] = WIN_BACK
    due["quote"] = due[["quote_compulsory", "quote_commercial"]].sum(axis=1, min_count=1).round(2)
    return due


def _contact_summary(due: pd.DataFrame, contacts: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Per vehicle (index): closed?, latest SMS, latest call, the latest contact of any kind, last quote."""
    mine = contacts[contacts["archive_no"].isin(due["archive_no"].dropna().unique())]  # before the merge: few
    merged = due[["vehicle", "archive_no", "policy_end"]].merge(mine, on="archive_no")
    window = merged["policy_end"] - pd.Timedelta(days=ctx.thresholds.contact_window_days)
    merged = merged[merged["contact_date"] >= window].sort_values(["contact_date", ROW], kind="stable")
    by = merged.groupby("vehicle", sort=False)
    summary = pd.DataFrame({
        "closed": merged["outcome"].isin(STOP_OUTCOMES).groupby(merged["vehicle"], sort=False).any(),
        "last_sms": merged["contact_date"].where(merged["method"] == SMS).groupby(merged["vehicle"], sort=False).max(),
        "last_call": merged["contact_date"].where(merged["method"] == PHONE).groupby(merged["vehicle"], sort=False).max(),
        "last_quote": by["quote_amount"].last(),  # the latest non-empty
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
    """Whether a period ending in `days_left` days is in the SMS window (0..sms_days) and in the
    phone-call window (−grace_days..call_days: the lapsed too) of §4.5.3 (also the worksheet
    function INS_RENEWAL_STAGE)."""
    t = ctx.thresholds
    return days_left.between(0, t.sms_days), days_left.between(-t.grace_days, t.call_days)


def renewal_calls(policies: pd.DataFrame, contacts: pd.DataFrame, ctx: Context, index: VehicleIndex) -> CallLists:
    t = ctx.thresholds
    as_of = pd.Timestamp(ctx.as_of)
    contacts = _recent(contacts, as_of)
    due = renewal_candidates(policies, contacts, index, ctx)
    summary = _contact_summary(due, contacts, ctx).reindex(due["vehicle"])
    summary.index = due.index
    for key in ("last_contact", "last_method", "last_outcome", "last_quote"):
        due[key] = summary[key]
    closed = summary["closed"].fillna(False).astype(bool)

    def since(last: pd.Series) -> pd.Series:  # days since the latest contact of that kind; NaN when none
        return (as_of - last).dt.days

    sms_gap, call_gap = since(summary["last_sms"]), since(summary["last_call"])
    sms_window, call_window = reminder_windows(due["days_left"], ctx)
    sms_due = ~closed & sms_window & (sms_gap.isna() | (sms_gap >= t.sms_every_days))
    call_due = ~closed & call_window & (call_gap.isna() | (call_gap >= t.call_every_days))

    def listing(mask: pd.Series) -> pd.DataFrame:
        rows = due[mask.to_numpy(dtype=bool)].assign(_ahead=lambda f: f["kind"] != LAPSED)
        rows = rows.sort_values(["_ahead", "policy_end", "archive_no"], kind="stable")
        return rows.loc[:, list(CALL_COLUMNS)].reset_index(drop=True)

    return CallLists(ctx.as_of, listing(sms_due), listing(call_due))


def calls_json(lists: CallLists) -> dict:
    """The `calls --json` object: `sms` and `phone`, rows with ARCHITECTURE.md's fields."""
    return {"sms": json_records(lists.sms, JSON_COLUMNS), "phone": json_records(lists.phone, JSON_COLUMNS)}
