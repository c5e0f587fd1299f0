"""The regional section's month (seed §4.7.2, §4.9.1, DOMAIN.md "Region"): rank the stores from their
monthly reports, apply the reporting rules and write the 通报 (region_rules.py).

Three rankings, as the seed lists them: 新车投保 (first-insurance rate and new-car commission — the
commission of 新保 policies), 保有客户续险 (renewal rate and renewal commission — 续保/转保) and
年度手续费目标完成进度 (commission 1 Jan..end of M ÷ the store's annual target). Within a ranking that
has two criteria, each criterion gives a rank (1 = best, an empty value ranks last, ties share a
rank) and the ranking is by the sum of the two [decision: the seed names the criteria, not a
weighting]. The overall order is by the sum of the three ranking ranks, then year-to-date
commission. A store without a report, or whose report fails the region's checks, is not ranked.

Pure rules take StoreReport values; reading/reports.py reads the hidden `_data` sheet of a report.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from ..settings import RegionSettings
from .region_rules import (INACCURATE, LATE, MISSING, NOT_DUE, NOTICE_LABELS, ON_TIME, RULE_LABELS, STATUS_LABELS,
                           due_date, notices, penalty_history, report_problems, report_status, statuses)

__all__ = ["INACCURATE", "LATE", "MISSING", "NOT_DUE", "NOTICE_LABELS", "ON_TIME", "RULE_LABELS", "STATUS_LABELS",
           "RANKING_KEYS", "RegionResult", "StoreReport", "due_date", "rank_stores", "region_month", "report_status"]

NEW_CAR_COMMISSION, RENEWAL_COMMISSION = "new_car_commission", "renewal_commission"
# ranking → (its rank column, the criteria it sums)
RANKINGS = {
    "new_car": ("new_car_rank", ("first_insurance_rate", NEW_CAR_COMMISSION)),
    "renewal": ("renewal_rank", ("renewal_rate", RENEWAL_COMMISSION)),
    "target": ("target_rank", ("target_progress",)),
}
RANKING_LABELS = {"new_car": "新车投保", "renewal": "保有客户续险", "target": "年度手续费目标完成进度"}
RANKING_KEYS = ("store", "first_insurance_rate", "new_car_commission", "new_car_rank", "renewal_rate",
                "renewal_commission", "renewal_rank", "target_progress", "target_rank", "rank")
EXTRA_KEYS = ("status", "commission", "commission_ytd", "annual_commission_target", "rank_sum", "penalty_points")


@dataclass(frozen=True)
class StoreReport:
    """One store's monthly report as the region reads it: the `kpi --json` object and extras."""

    store: str
    month: str
    kpi: dict
    commission_ytd: float
    source: str = ""
    extras: dict = field(default_factory=dict)  # the other `_data` keys (new-car and renewal commission …)
    data: dict = field(default_factory=dict)  # every `_data` row as written, for the region's checks

    def money(self, key: str) -> float | None:
        value = self.extras.get(key)
        try:
            return None if value is None or value == "" else round(float(value), 2)
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True, eq=False)
class RegionResult:
    month: str
    ranking: pd.DataFrame
    penalties: pd.DataFrame  # those falling due in M (a run completed by M's report)
    statuses: pd.DataFrame  # store × month over the whole recorded history
    history: pd.DataFrame  # every penalty of the recorded history
    notices: pd.DataFrame  # 通报: late, missing and inaccurate reports of M

    def to_json(self) -> dict:
        def records(frame: pd.DataFrame, keys) -> list[dict]:
            return [{k: _plain(row[k]) for k in keys} for row in frame.to_dict("records")]

        return {"month": self.month, "ranking": records(self.ranking, (*RANKING_KEYS, *EXTRA_KEYS)),
                "penalties": records(self.penalties, ("store", "rule", "months", "points", "fine", "month")),
                "notices": records(self.notices, ("store", "month", "kind", "message"))}


def _plain(value: object) -> object:
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA or value is pd.NaT or value is None:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _rank(values: pd.Series, ranked: pd.Series) -> pd.Series:
    """1 = best (highest); an empty value ranks last; ties share a rank; unranked stores get none."""
    numbers = pd.to_numeric(values, errors="coerce").where(ranked)
    out = numbers.rank(method="min", ascending=False, na_option="bottom").astype("Int64")
    return out.where(ranked, pd.NA)


def rank_stores(reports: list[StoreReport], settings: RegionSettings, month: str, status: pd.DataFrame,
                fined: pd.DataFrame, untrusted: set[str] = frozenset()) -> pd.DataFrame:
    """One row per store (expected or reporting), best first; stores not ranked come last."""
    targets = {s.name: s.annual_commission_target for s in settings.stores}
    this_month = {r.store: r for r in reports if r.month == month}
    rows = []
    for name in dict.fromkeys([*targets, *this_month]):
        report = this_month.get(name)
        kpi = report.kpi if report else {}
        ytd = report.commission_ytd if report else None
        target = targets.get(name, 0.0)
        rows.append({
            "store": name,
            "status": status.loc[name, month] if name in status.index and month in status.columns else ON_TIME,
            "first_insurance_rate": kpi.get("first_insurance_rate"),
            NEW_CAR_COMMISSION: report.money(NEW_CAR_COMMISSION) if report else None,
            "renewal_rate": kpi.get("renewal_rate"),
            RENEWAL_COMMISSION: report.money(RENEWAL_COMMISSION) if report else None,
            "commission": kpi.get("commission"),
            "commission_ytd": ytd,
            "annual_commission_target": target or None,
            "target_progress": (ytd / target) if (ytd is not None and target) else None,
            "penalty_points": float(fined.loc[fined["store"] == name, "points"].sum()) if len(fined) else 0.0,
            "ranked": report is not None and name not in untrusted,
        })
    table = pd.DataFrame(rows, columns=["store", "status", "first_insurance_rate", NEW_CAR_COMMISSION, "renewal_rate",
                                        RENEWAL_COMMISSION, "commission", "commission_ytd", "annual_commission_target",
                                        "target_progress", "penalty_points", "ranked"])
    ranked = table["ranked"].astype(bool)
    for rank_key, criteria in RANKINGS.values():
        total = sum(_rank(table[c], ranked).astype("float64") for c in criteria)
        table[rank_key] = total.rank(method="min").astype("Int64").where(ranked, pd.NA)
    table["rank_sum"] = sum(table[k].astype("float64") for k, _ in RANKINGS.values())
    table = table.sort_values(["ranked", "rank_sum", "commission_ytd", "store"], ascending=[False, True, False, True],
                              kind="stable", na_position="last")
    table["rank"] = pd.array(range(1, len(table) + 1), dtype="Int64")
    table.loc[~table["ranked"], "rank"] = pd.NA
    table["rank_sum"] = table["rank_sum"].astype("Int64")
    return table[[*RANKING_KEYS, *EXTRA_KEYS]].reset_index(drop=True)


def region_month(reports: list[StoreReport], settings: RegionSettings, month: str, as_of: dt.date) -> RegionResult:
    """Rank the stores for month M and apply the reporting rules over the whole history, as of `as_of`."""
    status = statuses({(r.store, r.month) for r in reports}, settings, month, as_of)
    history = penalty_history(status, settings)
    due = history[history["month"] == month].reset_index(drop=True)
    expected = [s.name for s in settings.stores]
    problems: dict[str, list[str]] = {}  # every report handed in is checked, whatever month it holds
    untrusted = set()
    for r in reports:
        found = report_problems(r.data, r.source, expected) if r.data else []
        if found:
            problems.setdefault(r.store, []).extend(found if r.month == month else [f"（{r.month}）{p}" for p in found])
            untrusted |= {r.store} if r.month == month else set()
    ranking = rank_stores(reports, settings, month, status, due, untrusted)
    return RegionResult(month, ranking, due, status, history, notices(status, month, problems, settings))
