"""The regional section's month (seed §4.7.2, §4.9.1): rank the stores from their monthly reports
and apply the reporting rules.

Ranking: by first-insurance rate, renewal rate, commission income of the month and progress to the
annual commission target (commission 1 Jan..end of M from the report ÷ the store's target). Each
criterion gives a rank (1 = best, an empty rate ranks last, ties share a rank); the overall order is
by the sum of the four ranks, then commission [decision: the seed names the criteria, not a weighting].

Reporting rules: a report for month M is due by `report_due_day` of M+1. 2 missing reports in a row,
or 3 late months in a row (*config*), cost `penalty_points` and a `fine` for the responsible person;
a streak of 4 missing months is two penalties, not three (each full run of N is one penalty)
[decision]. The received dates come from settings (`[[region.stores]]` `received`); a report file
handed in for a month with no recorded date counts as received on time [decision].

Pure rules take StoreReport values; `read_report` (the one function touching files) reads the
hidden `_data` sheet the report writes.
"""
from __future__ import annotations
import datetime as dt
from dataclasses import dataclass, field
import pandas as pd
from ..settings import RegionSettings, RegionStore
from .months import day_in_month, shift_month


ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"

STATUS_LABELS = {ON_TIME: "按时", LATE: "迟报", MISSING: "未报", NOT_DUE: "未到期"}

RULE_LABELS = {"missing": "连续未报", "late": "连续迟报"}

CRITERIA = {  # ranking criterion -> the ranking column it is read from
    "rank_first_insurance": "first_insurance_rate",
    "rank_renewal": "renewal_rate",
    "rank_commission": "commission",
    "rank_target_progress": "target_progress",
}


@dataclass(frozen=True)

class StoreReport:
    """One store's monthly report as the region reads it: the `kpi --json` object and extras."""

    store: str
    month: str
    kpi: dict
    commission_ytd: float
    source: str = ""
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)

class RegionResult:
    month: str
    ranking: pd.DataFrame
    penalties: pd.DataFrame
    statuses: pd.DataFrame  # store × month (12 months ending M): on_time / late / missing / not_due

    def to_json(self) -> dict:
        def records(frame: pd.DataFrame) -> list[dict]:
            return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]

        return {"month": self.month, "ranking": records(self.ranking), "penalties": records(self.penalties)}


def _plain(value: object) -> object:
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def due_date(month: str, due_day: int) -> dt.date:
    """The report for `month` is due by day `due_day` of the next month (clamped to its length)."""
    return day_in_month(shift_month(month, 1), due_day)


def report_status(store: RegionStore, month: str, handed_in: bool, settings: RegionSettings,
                  as_of: dt.date) -> str:
    received = store.received.get(month)
    due = due_date(month, settings.report_due_day)
    if received is not None:
        return LATE if received > due else ON_TIME
    if handed_in:
        return ON_TIME
    return MISSING if as_of > due else NOT_DUE


def statuses(reports: list[StoreReport], settings: RegionSettings, month: str, as_of: dt.date,
             months: int = 12) -> pd.DataFrame:
    """Status of each expected store's report for the `months` months ending with M."""
    handed = {(r.store, r.month) for r in reports}
    columns = [shift_month(month, -i) for i in reversed(range(months))]
    rows = {s.name: [report_status(s, m, (s.name, m) in handed, settings, as_of) for m in columns]
            for s in settings.stores}
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("store")


def _run_ending(values: list[str], status: str) -> int:
    run = 0
    for value in reversed(values):
        if value != status:
            break
        run += 1
    return run


def penalties(status: pd.DataFrame, settings: RegionSettings, month: str) -> pd.DataFrame:
    """§4.9.1 penalties arising in month M."""
    rows = []
    for store, values in status.iterrows():
        history = list(values)
        for rule, kind, needed in (("missing", MISSING, settings.missing_in_row), ("late", LATE, settings.late_in_row)):
            run = _run_ending(history, kind)
            if needed > 0 and run >= needed and run % needed == 0:
                rows.append({"store": store, "month": month, "rule": rule,
                             "months": list(status.columns[len(history) - needed:]),
                             "points": settings.penalty_points, "fine": settings.fine})
    return pd.DataFrame(rows, columns=["store", "month", "rule", "months", "points", "fine"])


def rank_stores(reports: list[StoreReport], settings: RegionSettings, month: str,
                status: pd.DataFrame, fined: pd.DataFrame) -> pd.DataFrame:
    """One row per store (reported or expected), best first; stores without a report come last."""
    targets = {s.name: s.annual_commission_target for s in settings.stores}
    this_month = {r.store: r for r in reports if r.month == month}
    names = list(dict.fromkeys([*targets, *this_month]))
    rows = []
    for name in names:
        report = this_month.get(name)
        target = targets.get(name, 0.0)
        kpi = report.kpi if report else {}
        ytd = report.commission_ytd if report else None
        rows.append({
            "store": name,
            "status": status.loc[name, month] if name in status.index else ON_TIME,
            "first_insurance_rate": kpi.get("first_insurance_rate"),
            "renewal_rate": kpi.get("renewal_rate"),
            "commission": kpi.get("commission"),
            "commission_ytd": ytd,
            "annual_commission_target": target or None,
            "target_progress": (ytd / target) if (ytd is not None and target) else None,
            "penalty_points": float(fined.loc[fined["store"] == name, "points"].sum()) if len(fined) else 0.0,
            "reported": report is not None,
        })
    table = pd.DataFrame(rows, columns=["store", "status", "first_insurance_rate", "renewal_rate", "commission",
                                        "commission_ytd", "annual_commission_target", "target_progress",
                                        "penalty_points", "reported"])
    reported = table["reported"]
    for rank_key, column in CRITERIA.items():
        values = pd.to_numeric(table[column], errors="coerce").where(reported)
        table[rank_key] = values.rank(method="min", ascending=False, na_option="bottom").astype("Int64")
        table.loc[~reported, rank_key] = pd.NA
    table["rank_sum"] = table[list(CRITERIA)].sum(axis=1, min_count=len(CRITERIA)).astype("Int64")
    table = table.sort_values(["reported", "rank_sum", "commission", "store"],
                              ascending=[False, True, False, True], kind="stable", na_position="last")
    table["rank"] = pd.array(range(1, len(table) + 1), dtype="Int64")
    table.loc[~table["reported"], "rank"] = pd.NA
    order = ["rank", "store", "status", *CRITERIA, "rank_sum", "first_insurance_rate", "renewal_rate", "commission",
             "commission_ytd", "annual_commission_target", "target_progress", "penalty_points"]
    return table[order].reset_index(drop=True)


def region_month(reports: list[StoreReport], settings: RegionSettings, month: str, as_of: dt.date) -> RegionResult:
    """Rank the stores for month M and apply the reporting rules as of `as_of`."""
    status = statuses(reports, settings, month, as_of)
    fined = penalties(status, settings, month)
    return RegionResult(month, rank_stores(reports, settings, month, status, fined), fined, status)
