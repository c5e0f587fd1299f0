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
from .vehicles import vehicle_codes
from .money import fen_array
from .months import day_months, month_ends, month_number

NAT = np.iinfo(np.int64).min  # an empty date as a day or month number: below every window
NEVER = np.iinfo(np.int64).max


def declared(register: str, column: str, value: str) -> str:
    """A choice value the code relies on, checked against registers.py (the one declaration)."""
    if value not in REGISTERS[register].column(column).choices:
        raise ValueError(f"{value!r} is not a declared choice of {register}.{column}")
    return value


NEW = declared("policies", "business_type", "新保")
RENEWAL_TYPES = (declared("policies", "business_type", "续保"), declared("policies", "business_type", "转保"))

# The KPI counts, declared once: key (kpi --json "counts") -> what the report, 看板 and terminal call it
COUNT_LABELS = {
    "sold": "本品牌新车销售台数",
    "first_insured": "本店新保保单数",
    "retained_base": "保有量（去年同月末）",
    "renewed": "续保/转保车辆数",
    "renewed_ytd": "年累计续保/转保车辆数",
    "retained_base_ytd": "保有量（上年末）",
    "expiring": "本月到期保单数",
    "lost": "流失保单数",
    "pending": "宽限期内待续保单数",
    "claim_vehicles": "本店投保出险车辆数",
    "insured_vehicles": "本店在保车辆数",
    "non_store_claims": "非本店投保出险车辆数",
    "non_store_claims_prev": "上月非本店投保出险车辆数",
}
COUNT_KEYS = tuple(COUNT_LABELS)
MONEY_KEYS = ("premium_compulsory", "premium_commercial", "commission")
_MONEY_COLUMNS = {"premium_compulsory": "compulsory_premium", "premium_commercial": "commercial_premium",
                  "commission": "commission"}


def _days(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _flag(values: pd.Series) -> np.ndarray:
    return values.fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True, eq=False)
class Prepared:
    """Each register as numpy columns (same row order as the register)."""

    policies: dict[str, np.ndarray]  # vehicle, own, here, new, renewal, issue_m, start_d, end_d, *_fen
    sales: dict[str, np.ndarray]  # vehicle, own, sale_d
    claims: dict[str, np.ndarray]  # vehicle, report_m, here, elsewhere
    vehicles: int  # vehicle codes are 0..vehicles-1
    as_of_day: int
    grace_days: int

    def issued_here(self, month: str) -> np.ndarray:
        """Positions of the 本店 policies issued in the month."""
        p = self.policies
        return np.flatnonzero(p["here"] & (p["issue_m"] == month_number(month)))


def prepare(registers: Registers, ctx: Context) -> Prepared:
    codes = vehicle_codes(registers, ctx.settings.own_brands)
    pol, sales, claims = registers["policies"], registers["sales"], registers["claims"]
    start, end = pol["policy_start"], pol["policy_end"]
    # a policy whose start is missing (a validation error) is read as a one-year term ending on its
    # end date, so churn and "in force" still place it [decision]
    no_start = start.isna() & end.notna()
    if no_start.any():
        start = start.copy()
        start[no_start] = end[no_start] - pd.DateOffset(years=1)
    p = {
        "vehicle": codes.ids["policies"],
        "own": codes.own["policies"],
        "here": _flag(pol["channel"].eq(HERE)),
        "new": _flag(pol["business_type"].eq(NEW)),
        "renewal": _flag(pol["business_type"].isin(RENEWAL_TYPES)),
        "issue_m": day_months(_days(pol["issue_date"])),
        "start_d": _days(start),
        "end_d": _days(end),
        **{f"{key}_fen": fen_array(pol[column]) for key, column in _MONEY_COLUMNS.items()},
    }
    s = {"vehicle": codes.ids["sales"], "own": codes.own["sales"], "sale_d": _days(sales["sale_date"])}
    c = {"vehicle": codes.ids["claims"], "report_m": day_months(_days(claims["report_date"])),
         "here": _flag(claims["insured_here"].eq(True)), "elsewhere": _flag(claims["insured_here"].eq(False))}
    as_of = int(np.datetime64(ctx.as_of, "D").astype(np.int64))
    return Prepared(p, s, c, codes.count, as_of, ctx.thresholds.grace_days)


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
    months = p["issue_m"][rows]
    jan = window.first - window.first % 12
    keep = (months >= jan) & (months < window.first + window.n)
    months, vehicles = months[keep], p["vehicle"][rows][keep]
    years = months // 12 - jan // 12
    n_years = int(years.max(initial=0)) + 1
    first = np.full(n_vehicles * n_years, NEVER, np.int64)
    np.minimum.at(first, vehicles * n_years + years, months)
    return window.year_to_date(first[first != NEVER])


def _successor_found(p: dict[str, np.ndarray], expiring: np.ndarray, grace: int) -> np.ndarray:
    """§4.5 churn: another 本店 policy of the vehicle starting after this one's start and on or
    before its end + grace. The first start after this one is the only candidate that matters."""
    here = p["here"] & (p["start_d"] != NAT)
    span = np.int64(1 << 22)  # day numbers stay far inside ±2**21: the key sorts by vehicle, then start
    keys = np.sort(p["vehicle"][here] * (2 * span) + p["start_d"][here] + span)
    vehicle, start, end = p["vehicle"][expiring], p["start_d"][expiring], p["end_d"][expiring]
    at = np.searchsorted(keys, vehicle * (2 * span) + start + span, side="right")
    following = keys[np.minimum(at, len(keys) - 1)] if len(keys) else np.zeros(len(at), np.int64)
    same_vehicle = (at < len(keys)) & (following // (2 * span) == vehicle)
    return same_vehicle & (following % (2 * span) - span <= end + grace)


def _in_force_vehicles(p: dict[str, np.ndarray], window: Window, n_vehicles: int) -> np.ndarray:
    """Distinct vehicles with a 本店 policy in force on any day of each month [decision]."""
    rows = p["here"] & (p["start_d"] != NAT) & (p["end_d"] != NAT)
    first = np.maximum(day_months(p["start_d"][rows]), window.first)
    last = np.minimum(day_months(p["end_d"][rows]), window.first + window.n - 1)
    spans = np.maximum(last - first + 1, 0)
    vehicles = np.repeat(p["vehicle"][rows], spans)
    offsets = np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
    return window.distinct_per_month(vehicles, np.repeat(first, spans) + offsets, n_vehicles)


def kpi_history(prepared: Prepared, first: str, last: str) -> pd.DataFrame:
    """One row per month first..last (YYYY-MM index): every count, money (yuan) and rate."""
    window = Window(month_number(first), month_number(last) - month_number(first) + 1)
    p, s, c, nv = prepared.policies, prepared.sales, prepared.claims, prepared.vehicles
    own_here = p["own"] & p["here"]
    out: dict[str, np.ndarray] = {}
    own_sales = s["own"]
    out["sold"] = window.distinct_per_month(s["vehicle"][own_sales], day_months(s["sale_d"][own_sales]), nv)
    out["first_insured"] = window.per_month(p["issue_m"][own_here & p["new"]])
    first_sales = _first_sale_days(prepared)
    out["retained_base"] = np.searchsorted(first_sales, month_ends(window.months - 12), side="right")
    renewals = np.flatnonzero(own_here & p["renewal"])
    out["renewed"] = window.distinct_per_month(p["vehicle"][renewals], p["issue_m"][renewals], nv)
    out["renewed_ytd"] = _renewed_year_to_date(p, renewals, window, nv)
    december = window.months - window.months % 12 - 1
    out["retained_base_ytd"] = np.searchsorted(first_sales, month_ends(december), side="right")
    expiring = np.flatnonzero(own_here & window.inside(day_months(p["end_d"])))
    end_m = day_months(p["end_d"][expiring])
    succeeded = _successor_found(p, expiring, prepared.grace_days)
    pending = ~succeeded & (prepared.as_of_day < p["end_d"][expiring] + prepared.grace_days)
    out["expiring"] = window.per_month(end_m)
    out["lost"] = window.per_month(end_m[~succeeded & ~pending])
    out["pending"] = window.per_month(end_m[pending])
    out["claim_vehicles"] = window.distinct_per_month(c["vehicle"][c["here"]], c["report_m"][c["here"]], nv)
    out["insured_vehicles"] = _in_force_vehicles(p, window, nv)
    wider = Window(window.first - 1, window.n + 1)
    elsewhere = wider.distinct_per_month(c["vehicle"][c["elsewhere"]], c["report_m"][c["elsewhere"]], nv)
    out["non_store_claims"], out["non_store_claims_prev"] = elsewhere[1:], elsewhere[:-1]
    issued = p["here"]
    for key in MONEY_KEYS:
        out[key] = window.per_month(p["issue_m"][issued], p[f"{key}_fen"][issued]) / 100
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
    # pending policies (grace still running) are counted but left out of the rate [decision]
    "churn_rate": (lambda c: c["lost"], lambda c: c["expiring"] - c["pending"]),
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
