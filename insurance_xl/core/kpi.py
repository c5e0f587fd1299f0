"""Supervisor KPIs (DOMAIN.md "KPIs", seed §5, §4.5): the six rates, every count behind them,
premium and commission, breakdowns by insurer and clerk, renewal failures by reason, and a trend.

The counts come from kpi_counts.py, which computes a window of months in one vectorised pass: the
month asked for, last month, the same month last year and the 12-month trend cost about what one
month does (bench/bench_kpi.py measures it against the row-by-row reference in
bench/kpi_reference.py, and the tests hold the two to exact agreement).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, make_dataclass

import numpy as np
import pandas as pd

from .kpi_counts import COUNT_KEYS, MONEY_KEYS, RATES, declared, kpi_history, prepare
from ..tables import Registers
from ..registers import FAILURE_REASONS, REGISTERS
from ..settings import Context
from .months import date_months, month_number, shift_month

# §4.5.2: a contact that ended in one of these outcomes is a renewal failure, with or without a reason
FAILED_OUTCOMES = (declared("contacts", "outcome", "已在他处投保"), declared("contacts", "outcome", "拒绝"))
NO_REASON = "未注明"
UNNAMED = "未填写"
HISTORY_MONTHS = 14  # M-13..M: the trend (12), last month, same month last year and its previous month
RATE_KEYS = tuple(RATES)
# The register columns monthly_kpis reads (vehicle identity, the KPI inputs, the breakdowns, renewal
# failures): the Excel face parses only these when refreshing 看板 on a five-year book.
# tests/excel/test_excel_macros.py checks that the KPIs of tables holding only these columns are the same.
# The columns a workbook must have for the KPIs (Registers.require)
KPI_NEEDS = {"policies": ("channel", "business_type", "issue_date", "policy_start", "policy_end"),
             "sales": ("sale_date",), "claims": ("report_date",)}
USED_COLUMNS: dict[str, tuple[str, ...]] = {
    "sales": ("vin", "plate", "brand", "sale_date"),
    "policies": ("archive_no", "vin", "plate", "brand", "channel", "business_type", "issue_date", "policy_start",
                 "policy_end", "compulsory_premium", "commercial_premium", "commission", "insurer", "clerk",
                 "cancel_date", "refund_premium", "refund_commission"),
    "claims": ("plate", "report_date"),
    "contacts": ("archive_no", "contact_date", "outcome", "failure_reason"),
}

# what clerks read: the report, the 看板 and the command line name the numbers the same way
RATE_LABELS = {
    "first_insurance_rate": "首保率",
    "renewal_rate": "续保率",
    "renewal_rate_ytd": "续保率（年累计）",
    "churn_rate": "流失率",
    "claim_rate": "出险率",
    "non_store_growth": "非本店投保客户增长率",
}
MONEY_LABELS = {
    "premium_compulsory": REGISTERS["policies"].column("compulsory_premium").header,
    "premium_commercial": REGISTERS["policies"].column("commercial_premium").header,
    "premium": "保费合计",
    "net_premium": "保费净额（减退保）",
    "net_commission": "手续费净额（减退保）",
    "commission": REGISTERS["policies"].column("commission").header,
    "refund_premium": REGISTERS["policies"].column("refund_premium").header,
    "refund_commission": REGISTERS["policies"].column("refund_commission").header,
    "commission_ytd": REGISTERS["policies"].column("commission").header + "（年累计）",
}


def ratio(numerator: float, denominator: float) -> float | None:
    """DOMAIN.md: a rate whose denominator is 0 is empty, not 0 and not an error."""
    return None if denominator == 0 else numerator / denominator


# The month's counts (kpi --json "counts"), one int field per key of kpi_counts.COUNT_LABELS.
KpiCounts = make_dataclass("KpiCounts", [(key, int, 0) for key in COUNT_KEYS], frozen=True)


@dataclass(frozen=True)
class Kpis:
    """One month's KPIs: the counts and money; the rates are derived from the counts."""

    month: str
    counts: KpiCounts
    premium_compulsory: float
    premium_commercial: float
    commission: float
    commission_ytd: float  # 1 Jan..end of M, for the region's progress to the annual target
    refund_premium: float = 0.0  # paid back on 本店 policies cancelled in M (DOMAIN.md "KPIs")
    refund_commission: float = 0.0

    def fraction(self, rate_key: str) -> tuple[int, int]:
        """The numerator and denominator behind a rate (DOMAIN.md "KPIs")."""
        numerator, denominator = RATES[rate_key]
        counts = asdict(self.counts)
        return int(numerator(counts)), int(denominator(counts))

    def rate(self, rate_key: str) -> float | None:
        return ratio(*self.fraction(rate_key))

    @property
    def first_insurance_rate(self) -> float | None:
        return self.rate("first_insurance_rate")

    @property
    def renewal_rate(self) -> float | None:
        return self.rate("renewal_rate")

    @property
    def renewal_rate_ytd(self) -> float | None:
        return self.rate("renewal_rate_ytd")

    @property
    def churn_rate(self) -> float | None:
        return self.rate("churn_rate")

    @property
    def claim_rate(self) -> float | None:
        return self.rate("claim_rate")

    @property
    def non_store_growth(self) -> float | None:
        return self.rate("non_store_growth")

    @property
    def premium(self) -> float:
        """Gross premium of the policies issued in M."""
        return round(self.premium_compulsory + self.premium_commercial, 2)

    @property
    def net_premium(self) -> float:
        """Gross premium less the refunds of policies cancelled in M."""
        return round(self.premium - self.refund_premium, 2)

    @property
    def net_commission(self) -> float:
        return round(self.commission - self.refund_commission, 2)

    def to_json(self) -> dict:
        """Exactly the `kpi --json` keys of ARCHITECTURE.md: rates as fractions or None, money to the fen."""
        return {
            "month": self.month,
            **{key: getattr(self, key) for key in RATE_KEYS},
            "counts": {key: int(getattr(self.counts, key)) for key in COUNT_KEYS},
            **{key: round(float(getattr(self, key)), 2) for key in MONEY_KEYS},
        }


@dataclass(frozen=True, eq=False, kw_only=True)
class MonthlyKpis(Kpis):
    """Month M's KPIs with what the supervisor reads beside them."""

    by_insurer: pd.DataFrame  # 本店 policies issued in M per insurer (any brand)
    by_clerk: pd.DataFrame  # the same per 出单员
    failures: pd.DataFrame  # renewal failures in M by reason: reason, vehicles, share
    history: pd.DataFrame  # months M-13..M, one row each: counts, money, rates

    @property
    def trend(self) -> pd.DataFrame:
        """The 12 months ending with M."""
        return self.history.tail(12)

    def month_kpis(self, month: str) -> Kpis:
        return kpis_from_row(month, self.history.loc[month])

    @property
    def previous(self) -> Kpis:
        return self.month_kpis(shift_month(self.month, -1))

    @property
    def last_year(self) -> Kpis:
        return self.month_kpis(shift_month(self.month, -12))


def kpis_from_row(month: str, row: pd.Series) -> Kpis:
    counts = KpiCounts(**{f.name: int(row[f.name]) for f in fields(KpiCounts)})
    return Kpis(month, counts, **{k: round(float(row[k]), 2) for k in (*MONEY_KEYS, "commission_ytd")})


def monthly_kpis(registers: Registers, ctx: Context, month: str) -> MonthlyKpis:
    """DOMAIN.md "KPIs" for month M (YYYY-MM), as of ctx.as_of."""
    period = pd.Period(month, "M")
    month = str(period)
    prepared = prepare(registers, ctx)
    history = kpi_history(prepared, str(period - (HISTORY_MONTHS - 1)), month)
    base = kpis_from_row(month, history.loc[month])
    rows = prepared.issued_here(month)
    issued = pd.DataFrame({key: values[rows] for key, values in prepared.policies.items()})
    for key in ("insurer", "clerk"):
        issued[key] = registers["policies"][key].take(rows).to_numpy(dtype=object)
    return MonthlyKpis(
        **{f.name: getattr(base, f.name) for f in fields(Kpis)},
        by_insurer=breakdown(issued, "insurer"),
        by_clerk=breakdown(issued, "clerk"),
        failures=renewal_failures(registers["contacts"], month),
        history=history,
    )


# ---- breakdowns ----------------------------------------------------------------------------------

BREAKDOWN_COLUMNS = ("policies", "new", "renewal", "premium_compulsory", "premium_commercial", "premium",
                     "commission", "premium_share")


def breakdown(issued: pd.DataFrame, by: str) -> pd.DataFrame:
    """本店 policies issued in the month per insurer or clerk (DOMAIN.md: any brand), premium first."""
    keys = issued[by].astype("object").where(issued[by].notna(), UNNAMED)
    frame = pd.DataFrame({
        by: keys,
        "policies": 1,
        "new": issued["new"].astype(int),
        "renewal": issued["renewal"].astype(int),
        "premium_compulsory": issued["premium_compulsory_fen"],
        "premium_commercial": issued["premium_commercial_fen"],
        "commission": issued["commission_fen"],
    })
    table = frame.groupby(by, sort=False).sum()
    table["premium"] = table["premium_compulsory"] + table["premium_commercial"]
    for key in ("premium_compulsory", "premium_commercial", "premium", "commission"):
        table[key] = table[key] / 100
    total = table["premium"].sum()
    table["premium_share"] = table["premium"] / total if total else np.nan
    table = table.sort_values(["premium", "policies"], ascending=False, kind="stable").reset_index()
    return table[[by, *BREAKDOWN_COLUMNS]]


def renewal_failures(contacts: pd.DataFrame, month: str) -> pd.DataFrame:
    """§4.5.2: renewal failures logged in M by reason, one per archive (its latest failure in M).

    A failure is a contact with a 失败原因, or one whose outcome is 已在他处投保 or 拒绝 [decision];
    with no reason written it counts under 未注明."""
    dates = date_months(contacts["contact_date"])
    in_month = dates == month_number(month)
    failed = contacts["failure_reason"].notna() | contacts["outcome"].isin(FAILED_OUTCOMES)
    rows = contacts[in_month & failed.to_numpy(dtype=bool)]
    latest = rows.sort_values("contact_date", kind="stable").drop_duplicates("archive_no", keep="last")
    reasons = latest["failure_reason"].astype("object").where(latest["failure_reason"].notna(), NO_REASON)
    order = [*FAILURE_REASONS, NO_REASON]
    counts = reasons.value_counts().reindex(order, fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame({"reason": order, "vehicles": counts.to_numpy(dtype=np.int64),
                         "share": counts.to_numpy() / total if total else np.nan})

