"""First insurance beyond the rate (DOMAIN.md rev 2 "KPIs", seed §4.5.1): the cars sold here that left
without a 本店 新保 policy, by 未在店投保原因; the 首保跟进 list of cars sold in the last days that
still have none (新车订单确定后…及时敲定车险保单); and the supervisor's weekly look at 首保 and 续保. Pure.

Decisions where DOMAIN.md is silent:
- a car "has a 本店 新保 policy" when any 本店 新保 row names it (issued on any day up to the register);
- a policy with no 出单日期 is placed by its 保单起期 (as the KPIs place it);
- the weeks are the ISO weeks touching M, each counting only the days of M in it, so that the weeks add
  up to the month: sold = own-brand cars sold that week; first_insured = own-brand vehicles whose
  earliest 本店 新保 policy was issued that week; renewed = own-brand vehicles whose first 本店 续保/转保
  policy issued in M was issued that week (a vehicle's 交强险 and 商业险 rows count once);
- the 首保跟进 list's clerk is the latest 出单员 named on the vehicle's policies, if any (a car with no
  policy yet has none): the list is per salesperson first.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..registers import HERE, NOT_INSURED_REASONS
from ..settings import Context
from ..tables import Registers
from .kpi_counts import NEW, RENEWAL_TYPES
from .months import day_months, month_bounds, month_number
from .vehicles import vehicle_codes

UNFILLED = "未填"  # DOMAIN.md: a blank 未在店投保原因
WEEK_COLUMNS = ("week", "sold", "first_insured", "renewed")
WEEK_LABELS = {"week": "周", "sold": "新车销售", "first_insured": "首保", "renewed": "续保"}
FOLLOW_UP_COLUMNS = ("vin", "plate", "customer", "phone", "brand", "model", "sale_date", "days_since_sale",
                     "salesperson", "clerk", "not_insured_reason")


def _days(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


class _Facts:
    """The rows as vehicle codes and day numbers, computed once."""

    def __init__(self, registers: Registers, ctx: Context) -> None:
        codes = vehicle_codes(registers, ctx.settings.own_brands, ("policies", "sales"))
        pol, sales = registers["policies"], registers["sales"]
        self.sales = sales
        self.sale_vehicle, self.sale_own = codes.ids["sales"], codes.own["sales"]
        self.sale_d = _days(sales["sale_date"])
        here = pol["channel"].eq(HERE).fillna(False).to_numpy(dtype=bool)
        self.pol_vehicle, self.pol_own = codes.ids["policies"], codes.own["policies"]
        self.issue_d = _days(pol["issue_date"].fillna(pol["policy_start"]))
        self.new_here = here & pol["business_type"].eq(NEW).fillna(False).to_numpy(dtype=bool)
        self.renewal_here = here & pol["business_type"].isin(RENEWAL_TYPES).to_numpy(dtype=bool)
        self.insured = np.zeros(codes.count, bool)
        self.insured[self.pol_vehicle[self.new_here]] = True
        self.pol_clerk = pol["clerk"]
        self.pol_start = _days(pol["policy_start"])


def not_insured_reasons(registers: Registers, ctx: Context, month: str, facts: _Facts | None = None) -> dict[str, int]:
    """The month's own-brand cars sold here with no 本店 新保 policy, by reason (every reason, then 未填)."""
    f = facts or _Facts(registers, ctx)
    months = day_months(f.sale_d)
    chosen = f.sale_own & (months == month_number(month)) & (f.sale_d != np.iinfo(np.int64).min)
    chosen &= ~f.insured[f.sale_vehicle]
    rows = pd.DataFrame({"vehicle": f.sale_vehicle[chosen],
                         "reason": f.sales["not_insured_reason"].to_numpy(dtype=object)[chosen]})
    rows = rows.drop_duplicates("vehicle", keep="last")  # a vehicle counts once
    reasons = rows["reason"].where(rows["reason"].notna(), UNFILLED)
    counts = reasons.value_counts()
    order = [*NOT_INSURED_REASONS, *sorted(set(counts.index) - {*NOT_INSURED_REASONS, UNFILLED}), UNFILLED]
    return {reason: int(counts.get(reason, 0)) for reason in order}


def _first_in(vehicles: np.ndarray, days: np.ndarray) -> pd.Series:
    """Per vehicle, its earliest day."""
    return pd.Series(days).groupby(vehicles).min()


def weekly_counts(registers: Registers, ctx: Context, month: str, facts: _Facts | None = None) -> pd.DataFrame:
    """The ISO weeks touching M (`2026-W42`): sold, first_insured, renewed within M's days."""
    f = facts or _Facts(registers, ctx)
    first, after = month_bounds(month)
    lo, hi = int(np.datetime64(first.date(), "D").astype(np.int64)), int(np.datetime64(after.date(), "D").astype(np.int64))
    days = pd.date_range(first, after - pd.Timedelta(days=1), freq="D")
    iso = days.isocalendar()
    labels = (iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)).to_numpy()
    weeks = list(dict.fromkeys(labels))

    def per_week(vehicles: np.ndarray, at: np.ndarray) -> np.ndarray:
        inside = (at >= lo) & (at < hi)
        week = labels[at[inside] - lo]
        counts = pd.Series(week).value_counts()
        return np.array([int(counts.get(w, 0)) for w in weeks], dtype=np.int64)

    new = f.new_here & f.pol_own & (f.issue_d != np.iinfo(np.int64).min)
    first_new = _first_in(f.pol_vehicle[new], f.issue_d[new])
    renewal = f.renewal_here & f.pol_own & (f.issue_d >= lo) & (f.issue_d < hi)
    first_renewal = _first_in(f.pol_vehicle[renewal], f.issue_d[renewal])
    in_month_sales = f.sale_own & (f.sale_d >= lo) & (f.sale_d < hi)
    sold = pd.Series(f.sale_d[in_month_sales]).groupby(f.sale_vehicle[in_month_sales]).min()
    return pd.DataFrame({
        "week": weeks,
        "sold": per_week(sold.index.to_numpy(), sold.to_numpy()),
        "first_insured": per_week(first_new.index.to_numpy(), first_new.to_numpy()),
        "renewed": per_week(first_renewal.index.to_numpy(), first_renewal.to_numpy()),
    })


def first_insurance_follow_up(registers: Registers, ctx: Context, facts: _Facts | None = None) -> pd.DataFrame:
    """首保跟进: own-brand cars sold in the last first_insurance_days days (as-of included) with no
    本店 新保 policy yet, per salesperson, the longest waiting first."""
    f = facts or _Facts(registers, ctx)
    as_of = int(np.datetime64(ctx.as_of, "D").astype(np.int64))
    waiting = as_of - f.sale_d
    chosen = (f.sale_own & (waiting >= 0) & (waiting <= ctx.thresholds.first_insurance_days)
              & ~f.insured[f.sale_vehicle])
    rows = f.sales[chosen].copy()
    rows["days_since_sale"] = waiting[chosen]
    named = f.pol_clerk.notna().to_numpy()
    order = np.lexsort((f.pol_start[named],))
    clerk_of = pd.Series(f.pol_clerk.to_numpy(dtype=object)[named][order],
                         index=f.pol_vehicle[named][order]).groupby(level=0).last()
    rows["clerk"] = pd.Series(f.sale_vehicle[chosen]).map(clerk_of).to_numpy(dtype=object)
    rows = rows.sort_values(["salesperson", "days_since_sale", "sale_date"], ascending=[True, False, True],
                            na_position="last", kind="stable")
    return rows.loc[:, list(FOLLOW_UP_COLUMNS)].reset_index(drop=True)


def pipeline_facts(registers: Registers, ctx: Context) -> _Facts:
    return _Facts(registers, ctx)
