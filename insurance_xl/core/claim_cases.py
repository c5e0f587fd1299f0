"""Claim cases step by step (DOMAIN.md "Claim cases", seed §4.3, §1.1 duty 7). Pure.

Each case's steps from the registers: 报案 (report_date), 结算 (settled_date), 交案 (handover_date),
旧件 (old parts signed for), 回款 (paid_date), 三者退款 (refund_date); the days between steps; the
step an open case waits at. Then insurers compared (cases, assessed and settled amounts, average days
from 交接日期 to 回款日期, overdue and returned shares of the handed-over cases, outstanding) and
adjusters (cases, average days per step, open cases).

Decisions where DOMAIN.md is silent:
- a date after as-of has not happened yet as of then (as in claims.py);
- 交案 is the latest handover, 回款 the latest payment (the insurer's last transfer); the step 回款 is
  done when nothing is outstanding, so a partly paid case still waits at it;
- 旧件 applies to a case with old-parts rows and is done when every row is signed for; it is checked
  after 交案 and before 回款, the seed's order (§4.3 steps 7–9);
- 三者退款 applies to a case with 涉及三者 是 (or a tp_refunds row) and is done at its first 退款日期;
- a case's insurer is the claim's 保险公司, else the handover's, else the payment's;
- a case whose 状态 says 撤案 (or 注销) waits for nothing: step 已撤案, after the finished ones.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..registers import ROW
from ..settings import Context
from ..tables import Registers, json_records
from .months import month_bounds
from .claims import _cases, _keyed, _overdue, _present

STEPS = ("报案", "结算", "交案", "旧件", "回款", "三者退款")
DONE, WITHDRAWN = "已完成", "已撤案"
WITHDRAWN_STATUS = "撤案|注销"  # 状态 of a case the customer withdrew: nothing more to wait for
WAITING = STEPS[1:]  # the steps a case can wait at, in order
NO_INSURER = "未填保险公司"
# each step's duration runs from the date of the step before it (旧件 from 结算, like 交案)
STEP_DATES = {"结算": ("report_date", "settled_date"), "交案": ("settled_date", "handover_date"),
              "旧件": ("settled_date", "old_parts_date"), "回款": ("handover_date", "paid_date"),
              "三者退款": ("paid_date", "refund_date")}
DAY_COLUMNS = {step: f"days_{n}" for n, step in enumerate(WAITING, start=1)}
CASE_JSON = ("claim_no", "plate", "insurer", "adjuster", "step", "report_date", "settled_date", "handover_date",
             "paid_date", "refund_date")


def _arrived(dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    return dates.where(dates <= as_of)


def claim_cases(registers: Registers, ctx: Context) -> pd.DataFrame:
    """One row per claim of 客户出险统计表: its step dates, the step it waits at (`step`, 已完成 when
    none), the days each step took (`days_1`… in WAITING order; for the step it waits at, the days so
    far), money (amount_due, paid_amount, outstanding), `overdue` and `returned`; open cases first,
    grouped by step, the longest waiting first; then 已完成, then 已撤案."""
    as_of = pd.Timestamp(ctx.as_of)
    (claims, pay, parts, refunds), names = _keyed(
        _present(registers["claims"], ["claim_no", "report_date", "plate", "insurer", "assessed_amount",
                                       "settled_amount", "settled_date", "third_party", "adjuster", "status", ROW]),
        _present(registers["payments"], ["claim_no", "paid_date"]),
        _present(registers["old_parts"], ["claim_no", "handover_date", "signed"]),
        _present(registers["tp_refunds"], ["claim_no", "refund_date"]))
    cases = claims.drop_duplicates("key").set_index("key")
    keys = cases.index.to_numpy()
    cases["settled_date"] = _arrived(cases["settled_date"], as_of)
    handovers = registers["handovers"]
    handovers = handovers[handovers["handover_date"].isna() | (handovers["handover_date"] <= as_of)]
    money = _cases(handovers, registers["payments"], registers["claims"], ctx)
    money["key"] = names.get_indexer(money["claim_no"])  # -1: a handover of no claim here, not a case
    overdue = names.get_indexer(_overdue(money, ctx)["claim_no"])
    money = money[money["key"] >= 0].set_index("key")
    cases = cases.join(money[["handover_date", "amount_due", "paid_amount", "outstanding", "returned",
                              "insurer"]].rename(columns={"insurer": "money_insurer"}), how="left")
    cases["paid_date"] = pay.assign(paid_date=_arrived(pay["paid_date"], as_of)).groupby("key")["paid_date"].max()
    part_days = parts.assign(signed=parts["signed"].fillna(False).astype(bool),
                             handover_date=_arrived(parts["handover_date"], as_of)).groupby("key")
    cases["has_parts"] = np.isin(keys, parts["key"].to_numpy())
    cases["parts_signed"] = part_days["signed"].min().reindex(cases.index).fillna(False).astype(bool)
    cases["old_parts_date"] = part_days["handover_date"].max().where(cases["parts_signed"])
    cases["refund_date"] = refunds.assign(refund_date=_arrived(refunds["refund_date"], as_of)
                                          ).groupby("key")["refund_date"].min()
    cases["third_party"] = cases["third_party"].fillna(False).astype(bool) | np.isin(keys, refunds["key"].to_numpy())
    cases["insurer"] = cases["insurer"].fillna(cases["money_insurer"]).fillna(NO_INSURER)
    cases["returned"] = cases["returned"].fillna(False).astype(bool)
    cases["overdue"] = np.isin(keys, overdue)
    return _steps(cases, as_of).reset_index(drop=True)


def _steps(cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    paid = cases["paid_date"].notna() & ~(cases["outstanding"].fillna(0) > 0)
    done = {"结算": cases["settled_date"].notna(), "交案": cases["handover_date"].notna(),
            "旧件": ~cases["has_parts"] | cases["parts_signed"], "回款": paid,
            "三者退款": ~cases["third_party"] | cases["refund_date"].notna()}
    waits = [~done[step] for step in WAITING]
    withdrawn = cases["status"].fillna("").str.contains(WITHDRAWN_STATUS, regex=True).to_numpy(dtype=bool)
    cases["step"] = np.where(withdrawn, WITHDRAWN, np.select(waits, list(WAITING), default=DONE))
    for step, column in DAY_COLUMNS.items():
        start, end = STEP_DATES[step]
        took = (cases[end] - cases[start]).dt.days.where(done[step])
        so_far = (as_of - cases[start]).dt.days.where(cases["step"] == step)
        cases[column] = took.fillna(so_far).astype("Int64")
    waiting_since = pd.Series(pd.NaT, index=cases.index, dtype="datetime64[ns]")
    for step in WAITING:
        waiting_since = waiting_since.mask(cases["step"] == step, cases[STEP_DATES[step][0]])
    cases["days_waiting"] = (as_of - waiting_since).dt.days.astype("Int64")
    order = pd.Categorical(cases["step"], categories=[*WAITING, DONE, WITHDRAWN], ordered=True)
    cases = cases.assign(_order=order.codes).sort_values(["_order", "days_waiting", "report_date"],
                                                         ascending=[True, False, True], kind="stable")
    return cases.drop(columns="_order")


def insurer_comparison(cases: pd.DataFrame) -> pd.DataFrame:
    """Per insurer (§1.1 duty 7: 送修, 定损, 服务, 回款 compared): cases, assessed and settled amounts,
    average days from 交接日期 to 回款日期 over the cases paid, overdue and returned shares of the
    handed-over cases, outstanding on them. Most cases first."""
    handed = cases["handover_date"].notna()
    days_to_pay = (cases["paid_date"] - cases["handover_date"]).dt.days
    frame = cases.assign(handed=handed, days_to_pay=days_to_pay, overdue_n=cases["overdue"] & handed,
                         returned_n=cases["returned"] & handed, owed=cases["outstanding"].where(handed).fillna(0.0))
    g = frame.groupby("insurer", sort=False)
    table = pd.DataFrame({
        "cases": g.size(), "assessed": g["assessed_amount"].sum().round(2), "settled": g["settled_amount"].sum().round(2),
        "paid_cases": g["days_to_pay"].count(), "avg_days_to_pay": g["days_to_pay"].mean().round(4),
        "handed_over": g["handed"].sum(), "overdue": g["overdue_n"].sum(), "returned": g["returned_n"].sum(),
        "outstanding": g["owed"].sum().round(2)})
    handed_over = table["handed_over"].where(table["handed_over"] > 0)
    table["overdue_share"] = (table["overdue"] / handed_over).round(4)
    table["returned_share"] = (table["returned"] / handed_over).round(4)
    table = table.reset_index().sort_values(["cases", "insurer"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


def adjuster_comparison(cases: pd.DataFrame) -> pd.DataFrame:
    """Per adjuster (理赔员; blank: 未填): cases, open cases, average days of each step over the cases
    that completed it."""
    frame = cases.assign(adjuster=cases["adjuster"].fillna("未填"), open=~cases["step"].isin((DONE, WITHDRAWN)))
    for step, column in DAY_COLUMNS.items():
        frame[column] = frame[column].where(frame["step"] != step).astype("float64")  # completed steps only
    g = frame.groupby("adjuster", sort=True)
    table = pd.DataFrame({"cases": g.size(), "open": g["open"].sum()})
    for column in DAY_COLUMNS.values():
        table[column] = g[column].mean().round(2)
    return table.reset_index()


def _none(value: object) -> object:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def cases_json(cases: pd.DataFrame, insurers: pd.DataFrame, adjusters: pd.DataFrame) -> dict:
    """The `cases --json` object, with exactly the keys of ARCHITECTURE.md; `days` names each step
    with the days it took (or, for the step a case waits at, the days so far)."""
    rows = json_records(cases, CASE_JSON)
    days = cases[list(DAY_COLUMNS.values())].astype(object).where(cases[list(DAY_COLUMNS.values())].notna(), None)
    for row, values in zip(rows, days.itertuples(index=False)):
        row["days"] = {step: int(v) for step, v in zip(WAITING, values) if v is not None}
    insurer_rows = json_records(insurers, ("insurer", "cases", "assessed", "settled", "avg_days_to_pay",
                                           "overdue_share", "returned_share", "outstanding"))
    adjuster_rows = [{"adjuster": r["adjuster"], "cases": int(r["cases"]), "open": int(r["open"]),
                      "avg_days": {step: _none(r[column]) for step, column in DAY_COLUMNS.items()}}
                     for r in adjusters.to_dict("records")]
    adjuster_rows = [{"adjuster": r["adjuster"], "cases": r["cases"], "avg_days": r["avg_days"], "open": r["open"]}
                     for r in adjuster_rows]
    return {"cases": rows, "insurers": insurer_rows, "adjusters": adjuster_rows}


def insurers_of_month(registers: Registers, ctx: Context, month: str) -> pd.DataFrame:
    """The insurer comparison over the claims reported in `month` (DOMAIN.md "Claim cases": the
    monthly report shows the month's cases), each case followed as of ctx.as_of."""
    cases = claim_cases(registers, ctx)
    start, end = month_bounds(month)
    return insurer_comparison(cases[(cases["report_date"] >= start) & (cases["report_date"] < end)])
