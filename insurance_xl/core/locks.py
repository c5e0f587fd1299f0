"""Locked reconciliation months (§4.6, §4.9.4). Pure: ledger rows and lines in, decisions out.

A month reconciled with an insurer is locked by a row in the 手续费结算台账 carrying the fingerprint
of both sides' lines (对账指纹) and the date (锁定日期). A locked month is never edited: a later
reconciliation of it that finds other lines reports what changed, and the correction is booked as
an adjustment row in the next month (调整月份 = the locked month) with the difference in amount due.

Amount due (应收手续费) [decision]: the commission on the insurer's statement, the amount both
parties sign for. The rows of a month (its own row, and adjustment rows with 调整月份 = the month) add
up to it: a lock or adjustment row carries only what is not yet on the ledger, so nothing is counted
twice and the uncollected-commission check (§4.9.4) sees every yuan still owed. The month keeps one
row of its own (DOMAIN.md: one row per insurer and month); adjustment rows are extra by design.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .money import fen
from .reconcile import OURS, THEIRS, Reconciliation
from ..registers import ROW
from .validation.common import fold_name

CHANGE_LABELS = {"added": "新增", "removed": "删除", "changed": "金额变化"}


def canonical_lines(rec: Reconciliation) -> dict[str, object]:
    """Both sides' lines as sorted lists of [policy no, plate, fen...]: row order and Excel rows left out,
    so re-sorting a register does not count as a change."""
    out: dict[str, object] = {"fields": list(rec.fields)}
    for side, lines in ((OURS, rec.ours_lines), (THEIRS, rec.theirs_lines)):
        frame = pd.DataFrame({"key": lines["key"].fillna(""), "plate": lines["plate_key"].fillna("")})
        for f in rec.fields:
            frame[f] = lines[f].astype("int64")
        frame = frame.sort_values(list(frame.columns), kind="stable")
        out[side] = frame.astype(object).to_numpy().tolist()
    return out


def fingerprint(lines: dict[str, object]) -> str:
    text = json.dumps(lines, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16].upper()


@dataclass(frozen=True)
class LockState:
    insurer: str
    month: str
    fingerprint: str  # the latest one recorded for the month ('' when the month is not locked)
    locked_on: dt.date | None
    amount_due: int  # fen: every ledger row of the month, adjustments included
    rows: tuple[int, ...]  # the ledger's Excel rows of the month

    @property
    def locked(self) -> bool:
        return bool(self.fingerprint)


def lock_state(settlements: pd.DataFrame, insurer: str, month: str) -> LockState:
    """What the 手续费结算台账 says about one insurer's month."""
    ours = fold_name(settlements["insurer"]) == fold_name(pd.Series([insurer])).iloc[0]
    adjusts = settlements["adjusts"] if "adjusts" in settlements else pd.Series(pd.NA, index=settlements.index)
    own = ours & (settlements["month"] == month) & adjusts.isna()
    later = ours & (adjusts == month)
    rows = settlements[(own | later).fillna(False).astype(bool)]
    locks = rows[rows["fingerprint"].notna()] if "fingerprint" in rows else rows.iloc[0:0]
    latest = locks.sort_values(["locked_on", ROW], kind="stable", na_position="first").tail(1)
    return LockState(
        insurer=insurer, month=month,
        fingerprint=str(latest["fingerprint"].iloc[0]) if len(latest) else "",
        locked_on=latest["locked_on"].iloc[0].date() if len(latest) and pd.notna(latest["locked_on"].iloc[0]) else None,
        amount_due=int(fen(rows["amount_due"]).sum()),
        rows=tuple(int(r) for r in rows[ROW]),
    )


def next_month(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def amount_due(rec: Reconciliation) -> int:
    """Fen the insurer owes for the month: its statement's commission [decision, see module doc]."""
    return rec.total(THEIRS, "commission")


def lock_row(rec: Reconciliation, state: LockState, new_fingerprint: str, as_of: dt.date) -> pd.DataFrame:
    """The ledger row that locks `rec`'s month, or corrects it when it is already locked.

    First lock: the month's row (amount due = the statement's commission) or, when the clerk already
    booked the month, an adjustment row of M in M (调整月份 = M) for the rest, so that the month keeps one
    row of its own. Already locked: an adjustment row in M+1 (调整月份 = M) with the change in amount due.
    """
    due = amount_due(rec)
    if state.locked:  # a locked month is never edited: the correction goes into the next month
        month, adjusts, amount = next_month(rec.month), rec.month, due - state.amount_due
    elif state.rows:  # the clerk already booked the month: the lock adjusts it to the reconciled amount
        month, adjusts, amount = rec.month, rec.month, due - state.amount_due
    else:  # the lock row is the month's row
        month, adjusts, amount = rec.month, None, due
    return pd.DataFrame([{
        "month": month, "insurer": rec.insurer, "amount_due": amount / 100, "fingerprint": new_fingerprint,
        "locked_on": pd.Timestamp(as_of), "adjusts": adjusts,
    }])


def _entries(lines: list[list[object]], fields: list[str]) -> pd.DataFrame:
    """Canonical lines summed per policy number (a line without one is keyed by its plate)."""
    frame = pd.DataFrame(lines, columns=["key", "plate", *fields]) if lines else \
        pd.DataFrame(columns=["key", "plate", *fields])
    frame["entry"] = np.where(frame["key"] != "", frame["key"], "车牌 " + frame["plate"].astype("str"))
    return frame.groupby("entry", sort=True)[fields].sum().astype("int64")


def changes_since_lock(locked: dict[str, object], now: dict[str, object]) -> pd.DataFrame:
    """Per side and policy number: lines added, removed or with other amounts since the lock."""
    fields = [f for f in now["fields"] if f in locked["fields"]]
    parts = []
    for side in (OURS, THEIRS):
        before = _entries(locked[side], list(locked["fields"]))[fields]
        after = _entries(now[side], list(now["fields"]))[fields]
        both = before.join(after, how="outer", suffixes=("_before", "_after"))
        was = both[[f"{f}_before" for f in fields]].notna().all(axis=1)
        is_ = both[[f"{f}_after" for f in fields]].notna().all(axis=1)
        moved = np.zeros(len(both), dtype=bool)
        for f in fields:
            moved |= (both[f"{f}_before"] != both[f"{f}_after"]).to_numpy() & was.to_numpy() & is_.to_numpy()
        kind = np.select([~was, ~is_, moved], ["added", "removed", "changed"], default="")
        changed = both[kind != ""].assign(side=side, change=kind[kind != ""])
        parts.append(changed.rename_axis("policy_no").reset_index())
    out = pd.concat(parts, ignore_index=True)
    for f in fields:
        for when in ("before", "after"):
            out[f"{f}_{when}"] = out[f"{f}_{when}"].astype("Int64")
    return out[["side", "policy_no", "change", *[f"{f}_{w}" for f in fields for w in ("before", "after")]]]
