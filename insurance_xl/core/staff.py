"""Staff (DOMAIN.md "Staff", seed §4.4.4, §1.2): each clerk's month against target, and the adjusters.

A clerk's renewals, first insurance and commission are the store's KPIs computed over the policy rows
that clerk wrote (出单员): the KPI machinery (kpi_counts.py) runs once per clerk on the register cut to
those rows, so a clerk's figures follow every rule of the store's figures (vehicles, periods, own brand)
and the clerks add up to the store. Rows with no 出单员 are counted under 未填写, never dropped.

Funnel: `due`, `quoted`, 报价率 and 成交率 are the renewal funnel of `kpi --json` (core/funnel.py: vehicles
whose period ends in M, those quoted in the period's contact window, those renewed here among them).

Adjusters **[decision]**: cases = claims reported in M; the average days of each step over the steps
completed in M (报案→结算, 结算→交案, 交案→回款); overdue = the adjuster's cases overdue as of as-of.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..settings import Context, Target
from ..tables import Registers
from .claims import overdue_payments
from .kpi import UNNAMED
from .kpi_counts import kpi_history, prepare
from .funnel import UNASSIGNED, month_funnel
from .months import date_months, month_number

MEASURES = ("renewed", "first_insured", "commission")
MEASURE_LABELS = {"renewed": "续保/转保车辆", "first_insured": "首保车辆", "commission": "手续费"}
CLERK_COLUMNS = ("clerk", "renewed", "first_insured", "commission", "due", "quoted", "quote_rate", "close_rate")
STEPS = {"days_to_settle": ("report_date", "settled_date"), "days_to_handover": ("settled_date", "handover_date"),
         "days_to_pay": ("handover_date", "paid_date")}
STEP_LABELS = {"days_to_settle": "报案→结算（天）", "days_to_handover": "结算→交案（天）", "days_to_pay": "交案→回款（天）"}
ADJUSTER_COLUMNS = ("adjuster", "cases", *STEPS, "overdue")


@dataclass(frozen=True, eq=False)
class StaffMonth:
    month: str
    clerks: pd.DataFrame  # CLERK_COLUMNS, plus targets / achievement / reward per measure
    adjusters: pd.DataFrame  # ADJUSTER_COLUMNS
    targets: dict  # clerk → Target (those with a target)

    def to_json(self) -> dict:
        """The `staff --json` keys of ARCHITECTURE.md."""
        clerks = []
        for row in self.clerks.to_dict("records"):
            item = {k: _plain(row[k]) for k in CLERK_COLUMNS}
            item["targets"] = {m: _plain(row[f"target_{m}"]) for m in MEASURES}
            item["achievement"] = {m: _plain(row[f"achievement_{m}"]) for m in MEASURES}
            item["reward"] = _plain(row["reward"])
            clerks.append(item)
        adjusters = [{k: _plain(row[k]) for k in ADJUSTER_COLUMNS} for row in self.adjusters.to_dict("records")]
        return {"month": self.month, "clerks": clerks, "adjusters": adjusters}


def _plain(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value.item() if hasattr(value, "item") else value


def _clerk_keys(values: pd.Series) -> pd.Series:
    names = values.astype("object").where(values.notna(), None)
    names = names.map(lambda v: v.strip() if isinstance(v, str) else v)
    return names.where(names.notna() & names.ne(""), UNNAMED)


def clerk_counts(registers: Registers, ctx: Context, month: str) -> pd.DataFrame:
    """Per clerk: renewed, first_insured and commission of M, each the store's KPI over the clerk's rows."""
    policies = registers["policies"]
    clerks = _clerk_keys(policies["clerk"])
    # all three count policies written in M: a clerk with none (by 出单日期, else 保单起期) has zeros, so the
    # machinery runs only for the month's active clerks, on a register cut to their rows (the claims and
    # contacts play no part in these three counts)
    day = policies["issue_date"].fillna(policies["policy_start"])
    active = day.dt.strftime("%Y-%m").eq(month).fillna(False).to_numpy(dtype=bool)
    quiet = {"claims": registers["claims"].iloc[0:0], "contacts": registers["contacts"].iloc[0:0]}
    rows = []
    for clerk in pd.unique(clerks.to_numpy()):
        mine = (clerks == clerk).to_numpy()
        if not (mine & active).any():
            rows.append({"clerk": clerk, "renewed": 0, "first_insured": 0, "commission": 0.0})
            continue
        cut = Registers(tables={**registers.tables, **quiet, "policies": policies[mine]}, layouts=registers.layouts,
                        source=registers.source)
        history = kpi_history(prepare(cut, ctx), month, month).loc[month]
        rows.append({"clerk": clerk, "renewed": int(history["renewed"]),
                     "first_insured": int(history["first_insured"]),
                     "commission": round(float(history["commission"]), 2)})
    return pd.DataFrame(rows, columns=["clerk", *MEASURES])


def clerk_funnel(registers: Registers, ctx: Context, month: str) -> pd.DataFrame:
    """Per clerk: due, quoted, 报价率 and 成交率 — the renewal funnel of `kpi --json` (core/funnel.py),
    so the 考核 sheet and the KPI board never give one clerk two funnels."""
    table = month_funnel(registers, ctx, month)
    clerks = table["clerk"].where(table["clerk"] != UNASSIGNED, UNNAMED)
    return table.assign(clerk=clerks).set_index("clerk")[["due", "quoted", "quote_rate", "close_rate"]]


def _target_value(target: Target | None, measure: str) -> float | None:
    value = getattr(target, measure) if target else 0
    return float(value) if value else None


def clerks_against_targets(counts: pd.DataFrame, funnel: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Counts, funnel, targets, achievement (actual ÷ target) and reward (+) or penalty (−) in yuan."""
    table = counts.set_index("clerk").join(funnel, how="outer")
    table[list(MEASURES)] = table[list(MEASURES)].fillna(0)
    table[["due", "quoted"]] = table[["due", "quoted"]].fillna(0).astype("int64")
    table[["renewed", "first_insured"]] = table[["renewed", "first_insured"]].astype("int64")
    table = table.reset_index()
    targets = ctx.settings.targets
    staff = ctx.settings.staff
    per_unit = {"renewed": (staff.reward_renewal, staff.penalty_renewal),
                "first_insured": (staff.reward_first_insured, staff.penalty_first_insured),
                "commission": (staff.reward_commission, staff.penalty_commission)}
    reward = pd.Series(0.0, index=table.index)
    has_target = pd.Series(False, index=table.index)
    for measure in MEASURES:
        goal = table["clerk"].map(lambda c, m=measure: _target_value(targets.get(c), m)).astype("float64")
        table[f"target_{measure}"] = goal
        table[f"achievement_{measure}"] = table[measure] / goal
        gap = (table[measure] - goal).fillna(0.0)
        above, below = per_unit[measure]
        reward += np.where(gap > 0, gap * above, gap * below)
        has_target |= goal.notna()
    table["reward"] = reward.round(2).where(has_target)
    # a clerk with nothing in the month and no target (someone who left years ago) is not listed
    busy = table[[*MEASURES, "due", "quoted"]].ne(0).any(axis=1) | has_target
    table = table[busy]
    table = table.sort_values(["commission", "clerk"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


def adjusters_month(registers: Registers, ctx: Context, month: str) -> pd.DataFrame:
    """Per 理赔员: cases reported in M, average days of each step completed in M, cases overdue now."""
    claims = registers["claims"]
    steps = claims[["claim_no", "adjuster", "report_date", "settled_date"]].copy()
    steps["adjuster"] = _clerk_keys(steps["adjuster"])
    firsts = {"handover_date": registers["handovers"].groupby("claim_no")["handover_date"].min(),
              "paid_date": registers["payments"].groupby("claim_no")["paid_date"].min()}
    for key, dates in firsts.items():
        found = dates.astype("datetime64[ns]").reindex(steps["claim_no"].to_numpy())
        steps[key] = pd.Series(found.to_numpy(dtype="datetime64[ns]"), index=steps.index)
    number = month_number(month)

    def in_month(dates: pd.Series) -> pd.Series:
        return pd.Series(date_months(dates) == number,
                         index=dates.index) & dates.notna()

    out = pd.DataFrame({"cases": in_month(steps["report_date"]).groupby(steps["adjuster"]).sum()})
    for key, (begin, finish) in STEPS.items():
        done = in_month(steps[finish]) & steps[begin].notna()
        days = (steps.loc[done, finish] - steps.loc[done, begin]).dt.days
        out[key] = days.groupby(steps.loc[done, "adjuster"]).mean().round(1)
    overdue = overdue_payments(registers["handovers"], registers["payments"], claims, ctx)
    late = steps.loc[steps["claim_no"].isin(overdue["claim_no"]), "adjuster"].value_counts()
    out["overdue"] = late.reindex(out.index).fillna(0).astype("int64")
    out = out[(out["cases"] > 0) | out[list(STEPS)].notna().any(axis=1) | (out["overdue"] > 0)]
    out["cases"] = out["cases"].astype("int64")
    return out.rename_axis("adjuster").reset_index().sort_values("adjuster", kind="stable").reset_index(drop=True)


def staff_month(registers: Registers, ctx: Context, month: str) -> StaffMonth:
    month = str(pd.Period(month, "M"))
    clerks = clerks_against_targets(clerk_counts(registers, ctx, month), clerk_funnel(registers, ctx, month), ctx)
    return StaffMonth(month, clerks, adjusters_month(registers, ctx, month), dict(ctx.settings.targets))
