"""Policies and periods (DOMAIN.md revision 2, register 2 and "Period"). Pure and vectorised.

Insurers issue a car's 交强险 and 商业险 as two policies; clerks keep them as one row per vehicle and
period, or one row per policy, often mixed. Everything that counts vehicles, ends or renewals reads
them through this module, so both shapes give one answer:

- a row's **kind** (`policy_kinds`): the 险类 column where filled, else what its premiums hold (only
  交强险保费 → 交强险, only 商业险保费 → 商业险, both → 交强+商业), else what 险种 names;
- a **period** (`policy_periods`): a vehicle's policies of one channel whose 保单起期 lies within
  `period_days` (90, config) of the group's earliest start. It starts at its earliest start, its
  issue day is its earliest issue day (出单日期, else 保单起期), and it ends when its first cover
  lapses: the earliest 保单止期 among its policies that are not cancelled;
- a policy's `cancel_date` ends it that day: in force on that day, not after it.

Days are int64 day numbers since 1970-01-01, NAT (the smallest int64) for an empty date.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..registers import BOTH_KINDS, COMMERCIAL, COMPULSORY, POLICY_KINDS

NAT = np.iinfo(np.int64).min
NEVER = np.iinfo(np.int64).max
KIND_COMPULSORY, KIND_COMMERCIAL, KIND_BOTH = (POLICY_KINDS.index(k) for k in (COMPULSORY, COMMERCIAL, BOTH_KINDS))
_COMPULSORY_WORD = "交强"
_COMMERCIAL_WORDS = "三者|车损|商业|盗抢|座位|玻璃|划痕|不计免赔|自燃|涉水|医保|附加"


def days(dates: pd.Series) -> np.ndarray:
    """Dates as day numbers (NAT for an empty date)."""
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def policy_kinds(policies: pd.DataFrame) -> np.ndarray:
    """Per row: KIND_COMPULSORY, KIND_COMMERCIAL or KIND_BOTH (DOMAIN.md register 2).

    险类 where filled; else the premiums (a premium is held when it is above 0); else 险种 (交强险
    alone → 交强险; commercial covers alone → 商业险); a row that says nothing holds both [decision]:
    a 他处 row often knows neither premium nor cover, and it stands for the whole period."""
    n = len(policies)
    kind = np.full(n, KIND_BOTH, np.int64)
    compulsory = policies["compulsory_premium"].to_numpy(dtype="float64", na_value=0.0) > 0
    commercial = policies["commercial_premium"].to_numpy(dtype="float64", na_value=0.0) > 0
    by_premium = compulsory | commercial
    kind[compulsory & ~commercial] = KIND_COMPULSORY
    kind[commercial & ~compulsory] = KIND_COMMERCIAL
    covers = policies["coverages"].astype("str")
    named = ~by_premium & covers.notna().to_numpy()
    if named.any():
        text = covers[named]
        has_compulsory = text.str.contains(_COMPULSORY_WORD, regex=False).to_numpy(dtype=bool)
        has_commercial = text.str.contains(_COMMERCIAL_WORDS, regex=True).to_numpy(dtype=bool)
        from_covers = np.where(has_compulsory & ~has_commercial, KIND_COMPULSORY,
                               np.where(has_commercial & ~has_compulsory, KIND_COMMERCIAL, KIND_BOTH))
        kind[named] = from_covers
    declared = policies["policy_kind"].astype("str")
    typed = pd.Index(POLICY_KINDS).get_indexer(declared.to_numpy(dtype=object))
    return np.where(typed >= 0, typed, kind)


def row_days(policies: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each row's days: start (a missing start reads as one year before the end [decision], so the
    row still has a place), end, issue (出单日期, else 保单起期: DOMAIN.md "Issue date"), cancel, and
    the last day in force (the end, or the cancel day when earlier)."""
    start, end = policies["policy_start"], policies["policy_end"]
    no_start = start.isna() & end.notna()
    if no_start.any():
        start = start.copy()
        start[no_start] = end[no_start] - pd.DateOffset(years=1)
    start_d, end_d = days(start), days(end)
    issue_d = days(policies["issue_date"])
    issue_d = np.where(issue_d == NAT, start_d, issue_d)
    cancel_d = days(policies["cancel_date"]) if "cancel_date" in policies else np.full(len(policies), NAT)
    cancelled = cancel_d != NAT
    last_d = np.where(cancelled & ((end_d == NAT) | (cancel_d < end_d)), cancel_d, end_d)
    return {"start_d": start_d, "end_d": end_d, "issue_d": issue_d, "cancel_d": cancel_d, "last_d": last_d,
            "cancelled": cancelled}


@dataclass(frozen=True, eq=False)
class Periods:
    """Each row's period, and each period's vehicle, channel, start, issue day and end."""

    of_row: np.ndarray  # period number per row (0..count-1)
    vehicle: np.ndarray  # per period
    channel: np.ndarray  # per period: the channel code the rows share (factorised 投保渠道, -1 empty)
    start_d: np.ndarray  # earliest start
    issue_d: np.ndarray  # earliest issue day (出单日期, else 保单起期)
    end_d: np.ndarray  # earliest 保单止期 of its policies not cancelled (NAT when none has one)
    cancelled: np.ndarray  # every policy of the period was cancelled
    first_row: np.ndarray  # per period: the position of its earliest row (by start, then row order)

    @property
    def count(self) -> int:
        return len(self.vehicle)


def policy_periods(vehicle: np.ndarray, channel: np.ndarray, start_d: np.ndarray, end_d: np.ndarray,
                   issue_d: np.ndarray, cancelled: np.ndarray, period_days: int) -> Periods:
    """Group rows into periods (DOMAIN.md "Period"): rows of one vehicle and channel, sorted by start;
    the earliest unassigned start anchors a period that takes every row starting within
    period_days of it. One vectorised pass per period a vehicle has (a handful), never per row.
    A row with no start stays a period of its own."""
    n = len(vehicle)
    has_start = start_d != NAT
    group = vehicle.astype(np.int64) * (int(channel.max(initial=0)) + 2) + (channel.astype(np.int64) + 1)
    sort_start = np.where(has_start, start_d, NEVER)
    order = np.lexsort((np.arange(n), sort_start, group))
    g, s = group[order], sort_start[order]
    anchor_of = np.full(n, -1, np.int64)  # per sorted position: the sorted position of its anchor
    open_ = has_start[order].copy()
    positions = np.arange(n)
    while open_.any():
        idx = positions[open_]
        gi = g[idx]
        first = np.r_[True, gi[1:] != gi[:-1]]
        anchors = idx[first]
        anchor_at = anchors[np.cumsum(first) - 1]  # each open row's group anchor (its group's first open row)
        joins = s[idx] <= s[anchor_at] + period_days
        anchor_of[idx[joins]] = anchor_at[joins]
        open_[idx[joins]] = False
    alone = anchor_of < 0  # no start: a period of its own
    anchor_of[alone] = positions[alone]
    is_anchor = anchor_of == positions
    anchor_rows = np.flatnonzero(is_anchor)  # sorted positions of the anchors, in order
    period_sorted = (np.cumsum(is_anchor) - 1)[anchor_of]
    of_row = np.empty(n, np.int64)
    of_row[order] = period_sorted
    count = len(anchor_rows)
    first_row = order[anchor_rows]
    p_start = np.where(has_start[first_row], start_d[first_row], NAT)
    p_issue = np.full(count, NEVER, np.int64)
    np.minimum.at(p_issue, of_row, np.where(issue_d == NAT, NEVER, issue_d))
    p_issue[p_issue == NEVER] = NAT
    live_end = np.where(cancelled | (end_d == NAT), NEVER, end_d)
    p_end = np.full(count, NEVER, np.int64)
    np.minimum.at(p_end, of_row, live_end)
    live = np.zeros(count, np.int64)
    np.add.at(live, of_row, (~cancelled).astype(np.int64))
    p_cancelled = live == 0
    p_end[p_end == NEVER] = NAT
    return Periods(of_row, vehicle[first_row], channel[first_row], p_start, p_issue, p_end, p_cancelled, first_row)
