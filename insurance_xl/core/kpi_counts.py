"""The counts behind the KPIs (DOMAIN.md "KPIs"), for a window of months in one pass.

Rows become numbers once (`prepare`): a vehicle code per row (vehicles.py), own-brand and channel
flags, month and day numbers, money in fen. Then a count per month is a bincount, "distinct
vehicles" a vehicle × month bitmap, the retained base a binary search in the sorted first-sale
days, and churn one binary search per expiring policy for the next start of the same vehicle. So a
14-month history costs about what one month does, and no Python loop runs over rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..tables import Registers
from ..registers import HERE, REGISTERS
from ..settings import Context
from .in_force import covering_policy
from .reconcile_keys import isin_text
from .vehicles import vehicle_codes
from .money import fen_array
from .months import day_months, month_ends, month_number
from .periods import NAT, NEVER, days, policy_periods, row_days


def declared(register: str, column: str, value: str) -> str:
    """A choice value the code relies on, checked against registers.py (the one declaration)."""
    if value not in REGISTERS[register].column(column).choices:
        raise ValueError(f"{value!r} is not a declared choice of {register}.{column}")
    return value


NEW = declared("policies", "business_type", "新保")
RENEWAL_TYPES = (declared("policies", "business_type", "续保"), declared("policies", "business_type", "转保"))
GONE = declared("contacts", "outcome", "车辆已售/报废")

# The KPI counts, declared once: key (kpi --json "counts") -> what the report, 看板 and terminal call it
COUNT_LABELS = {
    "sold": "本品牌新车销售台数",
    "first_insured": "本店新保车辆数",
    "retained_base": "保有量（去年同月末）",
    "renewed": "续保/转保车辆数",
    "renewed_ytd": "年累计续保/转保车辆数",
    "retained_base_ytd": "保有量（上年末）",
    "expiring": "本月到期车辆（投保期）数",
    "lost": "流失车辆数",
    "pending": "宽限期内待续车辆数",
    "claim_vehicles": "本店投保出险车辆数",
    "insured_vehicles": "本店在保车辆数",
    "non_store_claims": "非本店投保出险车辆数",
    "non_store_claims_prev": "上月非本店投保出险车辆数",
    "gone": "车辆已售/报废数",
}
COUNT_KEYS = tuple(COUNT_LABELS)
MONEY_KEYS = ("premium_compulsory", "premium_commercial", "commission", "refund_premium", "refund_commission")
GROSS_KEYS = MONEY_KEYS[:3]  # by issue month; the refunds by the month of their 退保日期
_MONEY_COLUMNS = {"premium_compulsory": "compulsory_premium", "premium_commercial": "commercial_premium",
                  "commission": "commission", "refund_premium": "refund_premium",
                  "refund_commission": "refund_commission"}


def _flag(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Each register as numpy columns (same row order as the register), and the periods."""

    policies: dict[str, np.ndarray]  # vehicle, own, here, new, renewal, issue_m, period_m, start_d, last_d, *_fen
    periods: dict[str, np.ndarray]  # vehicle, own, here, start_d, end_d, cancelled
    sales: dict[str, np.ndarray]  # vehicle, own, sale_d
    claims: dict[str, np.ndarray]  # vehicle, report_m, here (a 本店 policy in force on the report date)
    gone_d: np.ndarray  # per vehicle: day of its first 车辆已售/报废 contact (NEVER when none)
    vehicles: int  # vehicle codes are 0..vehicles-1
    as_of_day: int
    grace_days: int
    period_days: int

    def issued_here(self, month: str) -> np.ndarray:
        """Positions of the 本店 policies issued in the month (出单日期, else 保单起期)."""
        p = self.policies
        return np.flatnonzero(p["here"] & (p["issue_m"] == month_number(month)))


def prepare(registers: Registers, ctx: Context) -> Prepared:
    codes = vehicle_codes(registers, ctx.settings.own_brands)
    pol, sales, claims = registers["policies"], registers["sales"], registers["claims"]
    rd = row_days(pol)
    channel = pd.factorize(pol["channel"])[0].astype(np.int64)
    vehicle, period_days = codes.ids["policies"], ctx.thresholds.period_days
    per = policy_periods(vehicle, channel, rd["start_d"], rd["end_d"], rd["issue_d"], rd["cancelled"], period_days)
    here = _flag(pol["channel"].eq(HERE))
    p = {
        "vehicle": vehicle,
        "own": codes.own["policies"],
        "here": here,
        "new": _flag(pol["business_type"].eq(NEW)),
        "renewal": _flag(pol["business_type"].isin(RENEWAL_TYPES)),
        "issue_m": day_months(rd["issue_d"]),
        "period_m": day_months(per.issue_d[per.of_row]),  # the month its period was issued in
        "cancel_m": day_months(rd["cancel_d"]),
        "start_d": rd["start_d"],
        "last_d": rd["last_d"],
        **{f"{key}_fen": fen_array(pol[column]) for key, column in _MONEY_COLUMNS.items()},
    }
    periods = {"vehicle": per.vehicle, "own": p["own"][per.first_row], "here": here[per.first_row],
               "start_d": per.start_d, "end_d": per.end_d, "cancelled": per.cancelled}
    s = {"vehicle": codes.ids["sales"], "own": codes.own["sales"], "sale_d": days(sales["sale_date"])}
    report_d = days(claims["report_date"])
    covered = covering_policy(codes.ids["claims"], report_d, vehicle, rd["start_d"], rd["last_d"], here)
    c = {"vehicle": codes.ids["claims"], "report_m": day_months(report_d), "here": covered >= 0}
    as_of = int(np.datetime64(ctx.as_of, "D").astype(np.int64))
    gone = _gone_days(registers["contacts"], pol["archive_no"], vehicle, codes.count)
    return Prepared(p, periods, s, c, gone, codes.count, as_of, ctx.thresholds.grace_days, period_days)


def _gone_days(contacts: pd.DataFrame, archives: pd.Series, vehicle: np.ndarray, n_vehicles: int) -> np.ndarray:
    """Per vehicle: the earliest 车辆已售/报废 contact (its archive's vehicle, from the policy register)."""
    out = np.full(n_vehicles, NEVER, np.int64)
    sold_off = contacts["outcome"].eq(GONE).fillna(False).to_numpy(dtype=bool) & contacts["contact_date"].notna().to_numpy()
    if not sold_off.any() or not len(archives):
        return out
    wanted = contacts["archive_no"][sold_off]
    known = archives.notna().to_numpy() & isin_text(archives, wanted)  # a few archives: look up only those
    lookup = pd.Series(vehicle[known], index=archives[known].to_numpy(dtype=object))
    lookup = lookup[~lookup.index.duplicated(keep="first")]
    which = wanted.map(lookup)
    found = which.notna().to_numpy()
    np.minimum.at(out, which[found].to_numpy(dtype=np.int64),
                  days(contacts["contact_date"][sold_off])[found])
    return out


@dataclass(frozen=True)
class Window:
    first: int  # month number of the first month
    n: int

    @property
    def months(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.n)

    def inside(self, months: np.ndarray) -> np.ndarray:
        return (months >= self.first) & (months < self.first + self.n)

    def per_month(self, months: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        inside = self.inside(months)
        w = None if weights is None else weights[inside].astype(np.float64)
        return np.bincount(months[inside] - self.first, weights=w, minlength=self.n)

    def distinct_per_month(self, vehicles: np.ndarray, months: np.ndarray, n_vehicles: int) -> np.ndarray:
        """Distinct vehicles per month (DOMAIN.md "distinct vehicles"): a vehicle × month bitmap."""
        inside = self.inside(months)
        seen = np.zeros(n_vehicles * self.n, dtype=bool)
        seen[vehicles[inside] * self.n + (months[inside] - self.first)] = True
        return seen.reshape(n_vehicles, self.n).sum(axis=0)

    def year_to_date(self, months: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per month: the events (given by their month) from 1 January of that month's year to its end."""
        jan = self.first - self.first % 12
        cumulative = np.cumsum(Window(jan, self.first + self.n - jan).per_month(months, weights))
        months_here = self.months
        december = months_here - months_here % 12 - 1 - jan  # index of the previous December
        prior = np.where(december >= 0, cumulative[np.maximum(december, 0)], 0)
        return cumulative[months_here - jan] - prior


def _first_sale_days(prepared: Prepared) -> np.ndarray:
    """Sorted day of each own-brand vehicle's first sale (§4.5.2: the retained base)."""
    s = prepared.sales
    own = s["own"] & (s["sale_d"] != NAT)
    first = np.full(prepared.vehicles, NEVER, np.int64)
    np.minimum.at(first, s["vehicle"][own], s["sale_d"][own])
    return np.sort(first[first != NEVER])


def _renewed_year_to_date(p: dict[str, np.ndarray], rows: np.ndarray, window: Window, n_vehicles: int) -> np.ndarray:
    """§5.2: distinct vehicles renewed 1 Jan..end of each month: each counts in its first month of the year."""
    months = p["period_m"][rows]
    jan = window.first - window.first % 12
    keep = (months >= jan) & (months < window.first + window.n)
    months, vehicles = months[keep], p["vehicle"][rows][keep]
    years = months // 12 - jan // 12
    n_years = int(years.max(initial=0)) + 1
    first = np.full(n_vehicles * n_years, NEVER, np.int64)
    np.minimum.at(first, vehicles * n_years + years, months)
    return window.year_to_date(first[first != NEVER])


def _successor_found(prepared: Prepared, expiring: np.ndarray) -> np.ndarray:
    """§4.5 churn: a 本店 policy of the vehicle starting more than period_days after the period's
    start (so not part of it) and on or before its end + grace. The first such start decides."""
    p, per = prepared.policies, prepared.periods
    here = p["here"] & (p["start_d"] != NAT)
    span = np.int64(1 << 22)  # day numbers stay far inside ±2**21: the key sorts by vehicle, then start
    keys = np.sort(p["vehicle"][here] * (2 * span) + p["start_d"][here] + span)
    vehicle, start, end = per["vehicle"][expiring], per["start_d"][expiring], per["end_d"][expiring]
    at = np.searchsorted(keys, vehicle * (2 * span) + start + prepared.period_days + span, side="right")
    following = keys[np.minimum(at, len(keys) - 1)] if len(keys) else np.zeros(len(at), np.int64)
    same_vehicle = (at < len(keys)) & (following // (2 * span) == vehicle)
    return same_vehicle & (following % (2 * span) - span <= end + prepared.grace_days)


def _in_force_vehicles(p: dict[str, np.ndarray], window: Window, n_vehicles: int) -> np.ndarray:
    """Distinct vehicles with a 本店 policy in force on any day of each month [decision]."""
    rows = p["here"] & (p["start_d"] != NAT) & (p["last_d"] != NAT) & (p["last_d"] >= p["start_d"])
    first = np.maximum(day_months(p["start_d"][rows]), window.first)
    last = np.minimum(day_months(p["last_d"][rows]), window.first + window.n - 1)
    spans = np.maximum(last - first + 1, 0)
    vehicles = np.repeat(p["vehicle"][rows], spans)
    offsets = np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
    return window.distinct_per_month(vehicles, np.repeat(first, spans) + offsets, n_vehicles)


def _first_per_vehicle(vehicles: np.ndarray, months: np.ndarray, n_vehicles: int) -> np.ndarray:
    """Each vehicle's earliest month among the given (one entry per vehicle that has one)."""
    first = np.full(n_vehicles, NEVER, np.int64)
    np.minimum.at(first, vehicles, months)
    return first[first != NEVER]


def _churn(prepared: Prepared, window: Window, out: dict[str, np.ndarray]) -> None:
    """流失率: own-brand 本店 periods ending in the month (not all cancelled); lost, pending, gone."""
    per = prepared.periods
    ends = per["end_d"] != NAT
    end_m = np.where(ends, day_months(np.where(ends, per["end_d"], 0)), NAT)
    expiring = np.flatnonzero(per["own"] & per["here"] & ~per["cancelled"] & ends & window.inside(end_m))
    end_m, end_d = end_m[expiring], per["end_d"][expiring]
    succeeded = _successor_found(prepared, expiring)
    deadline = end_d + prepared.grace_days
    gone = ~succeeded & (prepared.gone_d[per["vehicle"][expiring]] < deadline)
    pending = ~succeeded & ~gone & (prepared.as_of_day < deadline)
    out["expiring"] = window.per_month(end_m)
    out["lost"] = window.per_month(end_m[~succeeded & ~gone & ~pending])
    out["pending"] = window.per_month(end_m[pending])
    out["gone"] = window.per_month(end_m[gone])


def kpi_history(prepared: Prepared, first: str, last: str) -> pd.DataFrame:
    """One row per month first..last (YYYY-MM index): every count, money (yuan) and rate."""
    window = Window(month_number(first), month_number(last) - month_number(first) + 1)
    p, s, c, nv = prepared.policies, prepared.sales, prepared.claims, prepared.vehicles
    own_here = p["own"] & p["here"]
    out: dict[str, np.ndarray] = {}
    own_sales = s["own"]
    out["sold"] = window.distinct_per_month(s["vehicle"][own_sales], day_months(s["sale_d"][own_sales]), nv)
    # 首保率: a vehicle counts once, in the month its earliest 本店 新保 period was issued
    new_rows = own_here & p["new"] & (p["period_m"] != NAT)
    out["first_insured"] = window.per_month(_first_per_vehicle(p["vehicle"][new_rows], p["period_m"][new_rows], nv))
    first_sales = _first_sale_days(prepared)
    out["retained_base"] = np.searchsorted(first_sales, month_ends(window.months - 12), side="right")
    renewals = np.flatnonzero(own_here & p["renewal"])
    out["renewed"] = window.distinct_per_month(p["vehicle"][renewals], p["period_m"][renewals], nv)
    out["renewed_ytd"] = _renewed_year_to_date(p, renewals, window, nv)
    december = window.months - window.months % 12 - 1
    out["retained_base_ytd"] = np.searchsorted(first_sales, month_ends(december), side="right")
    _churn(prepared, window, out)
    out["claim_vehicles"] = window.distinct_per_month(c["vehicle"][c["here"]], c["report_m"][c["here"]], nv)
    out["insured_vehicles"] = _in_force_vehicles(p, window, nv)
    wider = Window(window.first - 1, window.n + 1)
    elsewhere = ~c["here"]
    others = wider.distinct_per_month(c["vehicle"][elsewhere], c["report_m"][elsewhere], nv)
    out["non_store_claims"], out["non_store_claims_prev"] = others[1:], others[:-1]
    issued = p["here"]
    for key in GROSS_KEYS:
        out[key] = window.per_month(p["issue_m"][issued], p[f"{key}_fen"][issued]) / 100
    cancelled = p["here"] & (p["cancel_m"] != NAT)
    for key in MONEY_KEYS[3:]:
        out[key] = window.per_month(p["cancel_m"][cancelled], p[f"{key}_fen"][cancelled]) / 100
    out["commission_ytd"] = window.year_to_date(p["issue_m"][issued], p["commission_fen"][issued]) / 100
    table = pd.DataFrame(out, index=pd.Index([str(m) for m in window.months.astype("datetime64[M]")], name="month"))
    table[list(COUNT_KEYS)] = table[list(COUNT_KEYS)].astype(np.int64)
    return add_rates(table)


# DOMAIN.md "KPIs": each rate as (numerator, denominator) of the counts; works on a mapping of
# numbers and on a table of months alike
RATES = {
    "first_insurance_rate": (lambda c: c["first_insured"], lambda c: c["sold"]),
    "renewal_rate": (lambda c: c["renewed"], lambda c: c["retained_base"]),
    "renewal_rate_ytd": (lambda c: c["renewed_ytd"], lambda c: c["retained_base_ytd"]),
    # pending (grace still running) and gone (sold or scrapped) are counted but left out [decision]
    "churn_rate": (lambda c: c["lost"], lambda c: c["expiring"] - c["pending"] - c["gone"]),
    "claim_rate": (lambda c: c["claim_vehicles"], lambda c: c["insured_vehicles"]),
    "non_store_growth": (lambda c: c["non_store_claims"] - c["non_store_claims_prev"],
                         lambda c: c["non_store_claims_prev"]),
}


def add_rates(table: pd.DataFrame) -> pd.DataFrame:
    """Rates from counts; NaN where the denominator is 0 (None in JSON)."""
    t = table.copy()
    for key, (numerator, denominator) in RATES.items():
        den = denominator(t)
        t[key] = (numerator(t) / den.where(den != 0)).astype("float64")
    return t
