"""The renewal funnel of a month, per clerk (DOMAIN.md rev 2 "Renewal reminders": vehicles due a call,
quoted, renewed; 报价率 = quoted ÷ due, 成交率 = renewed ÷ quoted). Pure and vectorised; `staff` (#18)
calls `renewal_funnel` for its per-clerk quote rates.

Decisions where DOMAIN.md is silent:
- **due** in M: the vehicles with a period ending in M (本店 or 他处, any brand, as on the call list);
  a period all of whose policies were cancelled ends nothing and is not due;
- **quoted**: due vehicles with a contact carrying a 报价金额, dated from period end − contact_window_days
  to period end + grace_days (the period's contacts) and not after as-of;
- **renewed**: quoted vehicles with a 本店 policy starting more than period_days after the period's
  start and on or before its end + grace_days (the churn rule's successor): the funnel narrows, so
  成交率 never passes 100 %;
- the clerk: the latest 出单员 named on the vehicle's policies up to that period (the call list's);
  a vehicle whose policies name none counts under 未分配.
Periods are core/periods.py's (DOMAIN.md "Period"), so both register shapes give one funnel.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..registers import HERE, ROW
from ..settings import Context
from ..tables import Registers, json_records
from .months import month_number
from .periods import NAT, policy_periods, row_days
from .renewals import UNASSIGNED  # one label for vehicles no 出单员 answers for, as on the call lists
from .vehicles import VehicleIndex, vehicle_index

FUNNEL_COLUMNS = ("clerk", "due", "quoted", "renewed", "quote_rate", "close_rate")
FUNNEL_LABELS = {"clerk": "出单员", "due": "应联系车辆", "quoted": "已报价", "renewed": "已续保",
                 "quote_rate": "报价率", "close_rate": "成交率"}


def _days(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)



def vehicle_periods(policies: pd.DataFrame, index: VehicleIndex, period_days: int) -> pd.DataFrame:
    """Every vehicle's periods (core/periods.py): vehicle, channel, start_d, end_d (day numbers; NaN
    when every policy of the period was cancelled), and the archive_no and clerk of its latest row,
    the clerk being the latest one the vehicle's rows named so far (as the call list names it)."""
    n = len(policies)
    rd = row_days(policies)
    vehicle = pd.factorize(index.ids(policies))[0]
    channel, channels = pd.factorize(policies["channel"])
    p = policy_periods(vehicle, channel, rd["start_d"], rd["end_d"], rd["issue_d"], rd["cancelled"], period_days)
    order = np.lexsort((policies[ROW].to_numpy(), rd["start_d"], vehicle))
    position = np.empty(n, np.int64)
    position[order] = np.arange(n)
    last = np.full(p.count, -1, np.int64)
    np.maximum.at(last, p.of_row, position)  # the period's latest row, in the vehicle's order
    clerks = pd.Series(policies["clerk"].to_numpy(dtype=object)[order]).groupby(vehicle[order]).ffill()
    archives = policies["archive_no"].to_numpy(dtype=object)[order]
    ends = np.where((p.end_d == NAT) | p.cancelled, np.nan, p.end_d.astype("float64"))
    return pd.DataFrame({
        "vehicle": p.vehicle,
        "channel": np.where(p.channel >= 0, np.asarray(channels, dtype=object)[np.maximum(p.channel, 0)], None),
        "start_d": p.start_d, "end_d": ends,
        "archive_no": archives[last], "clerk": clerks.to_numpy(dtype=object)[last],
    })


def renewal_funnel(policies: pd.DataFrame, contacts: pd.DataFrame, index: VehicleIndex, ctx: Context,
                   month: str, periods: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per clerk: due, quoted, renewed, quote_rate, close_rate (None when the denominator is 0);
    clerks by name, 未分配 last."""
    t = ctx.thresholds
    periods = vehicle_periods(policies, index, t.period_days) if periods is None else periods
    ends = periods["end_d"].to_numpy(dtype="float64")
    end_months = np.where(np.isnan(ends), -1, ends).astype(np.int64).astype("datetime64[D]").astype("datetime64[M]")
    due = periods[~np.isnan(ends) & (end_months.astype(np.int64) == month_number(month))].copy()
    due = due.drop_duplicates("vehicle", keep="last")  # a vehicle is due once
    due["end_d"] = due["end_d"].astype(np.int64)
    as_of = int(np.datetime64(ctx.as_of, "D").astype(np.int64))
    quotes = contacts[contacts["quote_amount"].notna() & contacts["contact_date"].notna()]
    quotes = pd.DataFrame({"archive_no": quotes["archive_no"].to_numpy(dtype=object),
                           "day": _days(quotes["contact_date"])})
    q = due.reset_index()[["index", "archive_no", "end_d"]].merge(quotes, on="archive_no")
    q = q[(q["day"] >= q["end_d"] - t.contact_window_days) & (q["day"] <= q["end_d"] + t.grace_days)
          & (q["day"] <= as_of)]
    due["quoted"] = due.index.isin(q["index"])
    ours = periods[periods["channel"] == HERE][["vehicle", "start_d"]].rename(columns={"start_d": "next_d"})
    r = due.reset_index()[["index", "vehicle", "start_d", "end_d"]].merge(ours, on="vehicle")
    r = r[(r["next_d"] > r["start_d"] + t.period_days) & (r["next_d"] <= r["end_d"] + t.grace_days)]
    due["renewed"] = due["quoted"] & due.index.isin(r["index"])
    due["clerk"] = due["clerk"].where(due["clerk"].notna(), UNASSIGNED)
    table = due.groupby("clerk").agg(due=("vehicle", "size"),
                                     quoted=("quoted", "sum"), renewed=("renewed", "sum"))
    table = table.reindex(sorted(c for c in table.index if c != UNASSIGNED)
                          + ([UNASSIGNED] if UNASSIGNED in table.index else [])).reset_index()
    for key in ("due", "quoted", "renewed"):
        table[key] = table[key].astype("int64")
    table["quote_rate"] = (table["quoted"] / table["due"]).where(table["due"] > 0)
    table["close_rate"] = (table["renewed"] / table["quoted"]).where(table["quoted"] > 0)
    return table.loc[:, list(FUNNEL_COLUMNS)]


def month_funnel(registers: Registers, ctx: Context, month: str, index: VehicleIndex | None = None) -> pd.DataFrame:
    index = index or vehicle_index(registers)
    return renewal_funnel(registers["policies"], registers["contacts"], index, ctx, month)


def funnel_json(table: pd.DataFrame) -> list[dict]:
    """`kpi --json` `funnel`: ARCHITECTURE.md's fields, rates as fractions or None."""
    return json_records(table, FUNNEL_COLUMNS)
