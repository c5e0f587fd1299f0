"""The region's reporting rules (seed §4.7.2, §4.9.1, DOMAIN.md "Region"): each store's report status
month by month over the whole recorded history, the penalties, and the 通报 notices.

History: from the earliest month the region has any record of (a received date in settings, or a
report handed in) to month M. A report for month M is due by `report_due_day` of M+1; one handed in
with no recorded date counts as on time [decision].

Penalties: 2 missing reports in a row, or 3 months in a row not on time (late or missing), cost
`penalty_points` and a `fine`. Each full run is fined once and its months are never fined again: the
months are read in order, a run that reaches its length is fined and both counts start afresh
[decision: where both complete in the same month, the missing rule is the one applied]. So 15 late
months are 5 penalties, late-late-missing one, missing-missing one.

Notices (通报): late and missing reports of month M, and inaccurate reports: a `_data` that fails the
region's checks (a rate over 100 %, a negative count, another store's name, another month).
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from ..settings import RegionSettings, RegionStore
from .kpi import RATE_LABELS
from .kpi_counts import RATES
from .months import day_in_month, month_number, shift_month

ON_TIME, LATE, MISSING, NOT_DUE = "on_time", "late", "missing", "not_due"
STATUS_LABELS = {ON_TIME: "按时", LATE: "迟报", MISSING: "未报", NOT_DUE: "未到期"}
RULE_MISSING, RULE_NOT_ON_TIME = "missing", "not_on_time"
RULE_LABELS = {RULE_MISSING: "连续未报", RULE_NOT_ON_TIME: "连续不按时上报"}
INACCURATE = "inaccurate"
NOTICE_LABELS = {LATE: "迟报", MISSING: "未报", INACCURATE: "数据不准确"}
PENALTY_COLUMNS = ["store", "month", "rule", "months", "points", "fine"]
NOTICE_COLUMNS = ["store", "month", "kind", "message"]
# rates that are shares of their denominator: above 100 % the report cannot be right
SHARE_RATES = ("first_insurance_rate", "renewal_rate", "renewal_rate_ytd", "churn_rate", "claim_rate")
REPORT_NAME = re.compile(r"保险业务月报-(?P<store>.+)-(?P<month>\d{4}-\d{2})$")


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


def history_months(recorded: list[str], month: str) -> list[str]:
    """The recorded history: from the earliest recorded month (at most M) to M."""
    first = min((m for m in recorded if m <= month), default=month)
    return [shift_month(first, i) for i in range(month_number(month) - month_number(first) + 1)]


def statuses(handed: set[tuple[str, str]], settings: RegionSettings, month: str, as_of: dt.date) -> pd.DataFrame:
    """Status of each expected store's report, store × month, over the whole recorded history."""
    recorded = [m for s in settings.stores for m in s.received] + [m for _, m in handed]
    columns = history_months(recorded, month)
    rows = {s.name: [report_status(s, m, (s.name, m) in handed, settings, as_of) for m in columns]
            for s in settings.stores}
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns).rename_axis("store")


def penalty_history(status: pd.DataFrame, settings: RegionSettings) -> pd.DataFrame:
    """§4.9.1 over the whole history, each full run fined once; `month` = the month completing the run."""
    rows = []
    months = list(status.columns)
    for store, values in status.iterrows():
        missing: list[str] = []
        slow: list[str] = []
        for m, value in zip(months, values):
            missing = missing + [m] if value == MISSING else []
            slow = slow + [m] if value in (MISSING, LATE) else []
            fined = None
            if settings.missing_in_row > 0 and len(missing) >= settings.missing_in_row:
                fined = (RULE_MISSING, missing[-settings.missing_in_row:])
            elif settings.late_in_row > 0 and len(slow) >= settings.late_in_row:
                fined = (RULE_NOT_ON_TIME, slow[-settings.late_in_row:])
            if fined:
                rows.append({"store": store, "month": m, "rule": fined[0], "months": fined[1],
                             "points": settings.penalty_points, "fine": settings.fine})
                missing, slow = [], []
    return pd.DataFrame(rows, columns=PENALTY_COLUMNS)


def _number(value: object) -> float | None:
    try:
        return None if value is None or value == "" else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def report_problems(data: dict, source: str, expected_stores: list[str]) -> list[str]:
    """Why the region cannot trust a report's `_data` (empty when it can)."""
    problems = []
    counts = {k[len("counts."):]: _number(v) for k, v in data.items() if str(k).startswith("counts.")}
    negative = [k for k, v in counts.items() if v is not None and v < 0]
    if negative:
        problems.append("计数为负：" + "、".join(f"{k}={counts[k]:g}" for k in negative))
    for key in SHARE_RATES:
        written = _number(data.get(key))
        numerator, denominator = RATES[key]
        try:
            num, den = numerator(counts), denominator(counts)
        except (KeyError, TypeError):
            num, den = None, None
        if (written is not None and written > 1) or (num is not None and den and num > den):
            problems.append(f"{RATE_LABELS[key]}超过 100%")
    store, month = str(data.get("store", "")).strip(), str(data.get("month", "")).strip()[:7]
    if expected_stores and store not in expected_stores:
        problems.append(f"门店名称「{store}」不在区域门店名单中")
    stem = re.sub(r"\.xls[xm]?$", "", re.split(r"[\\/]", source)[-1], flags=re.I) if source else ""
    named = REPORT_NAME.match(stem)
    if named and named["store"] != store:
        problems.append(f"文件名为「{named['store']}」的月报，数据却是「{store}」的")
    if named and named["month"] != month:
        problems.append(f"文件名为 {named['month']} 的月报，数据却是 {month} 的")
    return problems


def notices(status: pd.DataFrame, month: str, problems: dict[str, list[str]], settings: RegionSettings) -> pd.DataFrame:
    """通报 for month M: late and missing reports, and inaccurate ones (store → problems)."""
    rows = []
    if month in status.columns:
        due = due_date(month, settings.report_due_day)
        for store, value in status[month].items():
            if value == LATE:
                rows.append({"store": store, "month": month, "kind": LATE,
                             "message": f"{month} 月报迟报（截止 {due:%Y-%m-%d}）"})
            elif value == MISSING:
                rows.append({"store": store, "month": month, "kind": MISSING,
                             "message": f"{month} 月报未报（截止 {due:%Y-%m-%d}）"})
    for store, found in problems.items():
        if found:
            rows.append({"store": store, "month": month, "kind": INACCURATE,
                         "message": f"{month} 月报数据不准确：" + "；".join(found)})
    return pd.DataFrame(rows, columns=NOTICE_COLUMNS)
