"""Claims money flags (DOMAIN.md "Claims and money", seed §4.3 steps 6–11, §4.9.4). Pure.

What the claims clerk chases every morning: insurer payments past their term, cases the insurer sent
back (核赔退回), third-party money the store holds, old parts nobody signed for, and commission months
still unpaid long after they closed. Every function takes register tables and a Context ("as of" is
a parameter, never the clock) and returns a DataFrame; `money_flags` bundles them for the faces.

Money is watched from the first register that shows it is owed (revision 2): a settled claim with no
handover, third-party money the insurer paid with no refund row typed, commission of a month with
business and no settlement row (core/commission_owed.py).

Decisions where DOMAIN.md is silent (each documented in README "Overdue payments"):
- a case handed over more than once runs from its latest handover (a resubmission restarts the term);
- several `payments` rows of one 报案号 are one case: amount due = the largest, paid = the sum;
- money dated after as-of (a payment, a refund, commission received) has not arrived yet as of then,
  so a rerun for a past date sees the desk as it was;
- a returned case (核赔退回 是) stays on the returned list until it is fully paid.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ..tables import Registers, json_records
from ..registers import ROW, ROW_META, SHEET, WORKBOOK
from ..settings import Context
from .commission_owed import commission_uncollected
from .money import round_to_fen
from .texts import arrow_texts

BAND_SMALL, BAND_MIDDLE, BAND_LARGE = "小额", "5000-10000", "10000以上"
BANDS: tuple[str, ...] = (BAND_SMALL, BAND_MIDDLE, BAND_LARGE)  # the JSON keys of `bands`

# each list ends with where its row comes from (_workbook, _sheet, _row: registers.ROW_META), so a
# writer can point back at the clerk's row: the handover row of a case (its payments row when it has none)
OVERDUE_COLUMNS = ("claim_no", "handover_no", "insurer", "plate", "handover_date", "term_days", "due_date",
                   "days_overdue", "amount_due", "paid_amount", "outstanding", "band", *ROW_META)
RETURNED_COLUMNS = ("claim_no", "insurer", "plate", "handover_date", "amount_due", "paid_amount", "band", *ROW_META)
TP_REFUND_COLUMNS = ("claim_no", "insurer_paid_date", "days_waiting", "amount", "recorded", *ROW_META)
NOT_HANDED_OVER_COLUMNS = ("claim_no", "insurer", "plate", "settled_date", "days_waiting", "settled_amount", *ROW_META)
OLD_PARTS_COLUMNS = ("claim_no", "insurer", "plate", "settled_date", "days_waiting", "parts", *ROW_META)


def _as_of(ctx: Context) -> pd.Timestamp:
    return pd.Timestamp(ctx.as_of)


def _days(later: pd.Timestamp | pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.days.astype("Int64")


def case_bands(assessed: pd.Series, ctx: Context) -> pd.Series:
    """Band of each case by its assessed amount: 小额 < 5,000 ≤ 5000-10000 ≤ 10,000 < 10000以上.

    Both ends of the middle band are included (DOMAIN.md); an unknown amount has no band.
    """
    t = ctx.thresholds
    amount = assessed.astype("float64")
    band = np.select([amount < t.band_small, amount <= t.band_large, amount > t.band_large],
                     [BAND_SMALL, BAND_MIDDLE, BAND_LARGE], default=None).astype(object)
    return pd.Series(band, index=assessed.index, dtype="str")


def band_counts(claims: pd.DataFrame, ctx: Context) -> dict[str, int]:
    """Cases per band (every claim with an assessed amount), in BANDS order."""
    t, amount = ctx.thresholds, claims["assessed_amount"]
    small, large = int((amount < t.band_small).sum()), int((amount > t.band_large).sum())
    return {BAND_SMALL: small, BAND_MIDDLE: int(amount.notna().sum()) - small - large, BAND_LARGE: large}


def _among(texts: pd.Series | pd.Index, values: pd.Series | pd.Index) -> np.ndarray:
    """texts.isin(values) for 报案号 columns, in Arrow: pandas' isin on Arrow strings loops in Python."""
    return pc.is_in(arrow_texts(pd.Series(texts)), value_set=arrow_texts(pd.Series(values).dropna())
                    ).to_numpy(zero_copy_only=False)


def _present(table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The rows that name a 报案号, narrowed to `columns` first (copying a wide register is the cost)."""
    narrow = table[columns]
    return narrow[narrow["claim_no"].notna()]


def _keyed(*tables: pd.DataFrame) -> tuple[list[pd.DataFrame], pd.Index]:
    """The tables (rows naming a 报案号) with `key`: one integer per 报案号 across all of them, and the
    报案号 of each key. Joins and groupbys then run on integers: pandas converts an Arrow-string key
    again at every join, milliseconds each on a five-year register."""
    codes, names = pd.factorize(pd.concat([t["claim_no"] for t in tables], ignore_index=True))
    bounds = np.cumsum([len(t) for t in tables])[:-1]
    return [t.assign(key=k) for t, k in zip(tables, np.split(codes, bounds))], pd.Index(names)


def _cases(handovers: pd.DataFrame, payments: pd.DataFrame, claims: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """One row per claim that was handed over or has a payments row: dates, amounts, band."""
    as_of = _as_of(ctx)
    (hand, pay, claim), names = _keyed(
        _present(handovers, ["claim_no", "handover_no", "insurer", "handover_date", "amount", *ROW_META]),
        _present(payments, ["claim_no", "insurer", "amount_due", "paid_date", "paid_amount", "returned", *ROW_META]),
        _present(claims, ["claim_no", "plate", "assessed_amount", "insurer"]))
    latest = (hand.drop(columns="claim_no")
              .sort_values(["handover_date", ROW], kind="stable", na_position="first")
              .drop_duplicates("key", keep="last")
              .set_index("key"))
    # a payment dated after as-of has not arrived as of then; an empty paid amount is 0 (DOMAIN.md)
    arrived = pay["paid_date"].isna() | (pay["paid_date"] <= as_of)
    pay = pay.assign(paid=pay["paid_amount"].where(arrived).fillna(0.0),
                     returned=pay["returned"].fillna(False).astype(bool))
    paid = pay.groupby("key", sort=False).agg(
        pay_due=("amount_due", "max"), paid_amount=("paid", "sum"), returned=("returned", "max"),
        pay_insurer=("insurer", "last"), pay_row=(ROW, "first"), pay_workbook=(WORKBOOK, "first"),
        pay_sheet=(SHEET, "first"))
    claim = (claim.drop(columns="claim_no").drop_duplicates("key").set_index("key")
             .rename(columns={"assessed_amount": "assessed", "insurer": "claim_insurer"}))
    cases = latest.join(paid, how="outer").join(claim)
    cases["claim_no"] = names.take(cases.index.to_numpy())
    cases["insurer"] = cases["insurer"].fillna(cases["pay_insurer"]).fillna(cases["claim_insurer"])
    # no payments row: the handover's 交接金额 is due and nothing is paid (DOMAIN.md)
    cases["amount_due"] = round_to_fen(cases["pay_due"].fillna(cases["amount"]))
    cases["paid_amount"] = round_to_fen(cases["paid_amount"].fillna(0.0))
    cases["outstanding"] = round_to_fen(cases["amount_due"] - cases["paid_amount"])
    cases["returned"] = cases["returned"].fillna(False).astype(bool)
    cases["band"] = case_bands(cases["assessed"], ctx)
    from_payments = cases[ROW].isna()  # never handed over: the payments row is the case's row
    cases["_row"] = cases[ROW].fillna(cases["pay_row"]).astype("Int64")
    cases[WORKBOOK] = cases[WORKBOOK].where(~from_payments, cases["pay_workbook"])
    cases[SHEET] = cases[SHEET].where(~from_payments, cases["pay_sheet"])
    return cases.reset_index(drop=True)


def _term_days(insurers: pd.Series, ctx: Context) -> pd.Series:
    """§4.3 step 10: "over a month, or past the insurer's promised term", whichever comes first."""
    limit = ctx.thresholds.payment_days
    promised = {name: min(limit, ins.promised_days) for name, ins in ctx.settings.insurers.items()}
    return insurers.map(promised).fillna(limit).astype("int64")


def due_dates(handover_dates: pd.Series, insurers: pd.Series, ctx: Context) -> pd.Series:
    """When each handed-over case is due: handover_date + min(payment_days, the insurer's promised days)
    (also the worksheet function INS_DUE_DATE)."""
    return handover_dates + pd.to_timedelta(_term_days(insurers, ctx), unit="D")


def overdue_payments(handovers: pd.DataFrame, payments: pd.DataFrame, claims: pd.DataFrame,
                     ctx: Context) -> pd.DataFrame:
    """Handed-over cases the insurer has not fully paid by their due date, oldest first.

    due date = handover_date + min(payment_days, the insurer's promised days); the case is overdue
    when as-of is later than the due date and something is outstanding (a partial payment leaves
    the remainder outstanding). Returned cases are left to `returned_cases`.
    """
    return _overdue(_cases(handovers, payments, claims, ctx), ctx)


def _overdue(cases: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    cases = cases[cases["handover_date"].notna() & ~cases["returned"]].copy()
    cases["term_days"] = _term_days(cases["insurer"], ctx)
    cases["due_date"] = due_dates(cases["handover_date"], cases["insurer"], ctx)
    cases["days_overdue"] = _days(_as_of(ctx), cases["due_date"])
    overdue = cases[(cases["outstanding"] > 0) & (cases["days_overdue"] > 0)]
    overdue = overdue.sort_values(["due_date", "claim_no"], kind="stable")
    return overdue.loc[:, list(OVERDUE_COLUMNS)].reset_index(drop=True)


def returned_cases(handovers: pd.DataFrame, payments: pd.DataFrame, claims: pd.DataFrame,
                   ctx: Context) -> pd.DataFrame:
    """Cases the insurer sent back (核赔退回 是) and has not paid in full: listed apart, never overdue."""
    return _returned(_cases(handovers, payments, claims, ctx))


def _returned(cases: pd.DataFrame) -> pd.DataFrame:
    returned = cases[cases["returned"] & (cases["outstanding"] > 0)]
    returned = returned.sort_values(["handover_date", "claim_no"], kind="stable", na_position="last")
    return returned.loc[:, list(RETURNED_COLUMNS)].reset_index(drop=True)


def _arrived(dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """Dates on or before as-of; a date after it has not happened yet as of then (NaT)."""
    return dates.where(dates <= as_of)


def not_handed_over(claims: pd.DataFrame, handovers: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """§1.3.1 Q8 (事故结案10日内提交给保险公司): a claim settled more than handover_days ago with no
    handover row yet — money the store is owed that no follow-up register shows.

    Day 10 after 结算日期 is still in time, day 11 is flagged. A handover row counts once it exists
    (an undated one is reported apart as an undated handover); one dated after as-of has not
    happened yet as of then.
    """
    as_of = _as_of(ctx)
    h = _present(handovers, ["claim_no", "handover_date"])
    handed = h.loc[h["handover_date"].isna() | (h["handover_date"] <= as_of), "claim_no"]
    c = _present(claims, ["claim_no", "insurer", "plate", "settled_date", "settled_amount", *ROW_META])
    c = c[(c["settled_date"] <= as_of).to_numpy() & ~_among(c["claim_no"], handed)].drop_duplicates("claim_no").copy()
    c["days_waiting"] = _days(as_of, c["settled_date"])
    c = c[c["days_waiting"] > ctx.thresholds.handover_days]
    c = c.sort_values(["settled_date", "claim_no"], kind="stable")
    return c.loc[:, list(NOT_HANDED_OVER_COLUMNS)].reset_index(drop=True)


def third_party_waiting(claims: pd.DataFrame, payments: pd.DataFrame, tp_refunds: pd.DataFrame,
                        ctx: Context) -> pd.DataFrame:
    """§4.3 step 11: the insurer has paid a case with third-party money and the customer is still
    not refunded more than tp_refund_days later — whether or not a tp_refunds row exists yet.

    A case is one of: a claim with 涉及三者 是, or a 报案号 with a tp_refunds row. The insurer paid on
    the row's 保险回款日期 when typed, else on the latest 回款日期 of its payments rows **[decision]**;
    it is refunded once one of its tp_refunds rows has a 退款日期 (on or before as-of). Day 7 after
    payment is in time, day 8 is flagged. `amount` is the typed 三者金额 (empty when no row says it),
    `recorded` whether a tp_refunds row exists. A tp_refunds row with no 报案号 stands for itself.
    """
    as_of = _as_of(ctx)
    t = tp_refunds[["claim_no", "amount", "insurer_paid_date", "refund_date", *ROW_META]].assign(
        insurer_paid_date=lambda f: _arrived(f["insurer_paid_date"], as_of),
        refunded=lambda f: _arrived(f["refund_date"], as_of).notna())
    keyed = t[t["claim_no"].notna()]
    grouped = keyed.groupby("claim_no", sort=False)
    typed = grouped.agg(typed_paid=("insurer_paid_date", "min"), refunded=("refunded", "max"),
                        **{meta: (meta, "first") for meta in ROW_META})
    typed["amount"] = grouped["amount"].sum(min_count=1)  # no amount typed on any row: unknown, not 0
    third = _present(claims, ["claim_no", "third_party"])
    third = third.loc[third["third_party"].fillna(False).astype(bool), "claim_no"].drop_duplicates()
    pay = _present(payments, ["claim_no", "paid_date"])
    paid = pay.assign(paid_date=_arrived(pay["paid_date"], as_of)).groupby("claim_no", sort=False)["paid_date"].max()
    cases = typed.reindex(typed.index.union(pd.Index(third, name="claim_no")))
    cases["insurer_paid_date"] = cases["typed_paid"].fillna(paid.reindex(cases.index))
    cases["recorded"] = _among(cases.index, typed.index)
    cases["refunded"] = cases["refunded"].fillna(False).astype(bool)
    loose = t[t["claim_no"].isna()].assign(recorded=True)  # no 报案号: the row is its own case
    cases = pd.concat([cases.reset_index(), loose], ignore_index=True) if len(loose) else cases.reset_index()
    waiting = cases[cases["insurer_paid_date"].notna() & ~cases["refunded"].astype(bool)].copy()
    waiting["days_waiting"] = _days(as_of, waiting["insurer_paid_date"])
    waiting = waiting[waiting["days_waiting"] > ctx.thresholds.tp_refund_days]
    waiting["_row"] = waiting["_row"].astype("Int64")
    waiting["amount"] = round_to_fen(waiting["amount"].astype("float64"))
    waiting = waiting.sort_values(["insurer_paid_date", "claim_no"], kind="stable")
    return waiting.loc[:, list(TP_REFUND_COLUMNS)].reset_index(drop=True)


def old_parts_unsigned(claims: pd.DataFrame, old_parts: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """§4.3 step 8: a settled case whose old parts are still not signed for old_parts_days after
    settlement; one row per case, naming the parts."""
    as_of = _as_of(ctx)
    unsigned = _present(old_parts, ["claim_no", "part", "signed", *ROW_META])
    unsigned = unsigned[~unsigned["signed"].fillna(False).astype(bool)]
    settled = _present(claims, ["claim_no", "insurer", "plate", "settled_date"]).drop_duplicates("claim_no")
    settled = settled[settled["settled_date"] <= as_of]  # an empty date compares False: not settled
    merged = unsigned[["claim_no", "part", *ROW_META]].sort_values(ROW, kind="stable").merge(
        settled[["claim_no", "insurer", "plate", "settled_date"]], on="claim_no")
    merged["days_waiting"] = _days(as_of, merged["settled_date"])
    merged = merged[merged["days_waiting"] > ctx.thresholds.old_parts_days]
    if merged.empty:
        return pd.DataFrame({c: pd.Series(dtype=merged[c].dtype if c in merged else "str")
                             for c in OLD_PARTS_COLUMNS})
    grouped = merged.groupby("claim_no", sort=False)
    cases = grouped.agg(insurer=("insurer", "first"), plate=("plate", "first"), settled_date=("settled_date", "first"),
                        days_waiting=("days_waiting", "first"), **{meta: (meta, "first") for meta in ROW_META})
    names: dict[str, list[str]] = {}  # one pass over the flagged parts; a groupby lambda costs ms per case
    for claim, part in zip(merged["claim_no"].tolist(), merged["part"].tolist()):
        if isinstance(part, str):
            names.setdefault(claim, []).append(part)
    cases["parts"] = ["、".join(names.get(claim, ())) for claim in cases.index]
    cases = cases.reset_index().sort_values(["settled_date", "claim_no"], kind="stable")
    return cases.loc[:, list(OLD_PARTS_COLUMNS)].reset_index(drop=True)


@dataclass(frozen=True)
class MoneyFlags:
    """Everything the overdue command reports (ARCHITECTURE.md: the `overdue` JSON keys)."""

    as_of: dt.date
    overdue: pd.DataFrame
    returned: pd.DataFrame
    tp_refunds: pd.DataFrame
    not_handed_over: pd.DataFrame
    old_parts: pd.DataFrame
    commission: pd.DataFrame
    bands: dict[str, int]
    undated_handovers: pd.DataFrame  # handovers with no 交接日期: no due date can be set

    @property
    def outstanding_total(self) -> float:
        return round(float(self.overdue["outstanding"].sum()), 2)


def money_flags(registers: Registers, ctx: Context) -> MoneyFlags:
    handovers, claims = registers["handovers"], registers["claims"]
    cases = _cases(handovers, registers["payments"], claims, ctx)
    return MoneyFlags(
        as_of=ctx.as_of,
        overdue=_overdue(cases, ctx),
        returned=_returned(cases),
        tp_refunds=third_party_waiting(claims, registers["payments"], registers["tp_refunds"], ctx),
        not_handed_over=not_handed_over(claims, handovers, ctx),
        old_parts=old_parts_unsigned(claims, registers["old_parts"], ctx),
        commission=commission_uncollected(registers["commission_settlements"], ctx, registers["policies"]),
        bands=band_counts(claims, ctx),
        undated_handovers=handovers[handovers["handover_date"].isna()].reset_index(drop=True),
    )


def flags_json(flags: MoneyFlags) -> dict:
    """The `overdue --json` object, with exactly the keys of ARCHITECTURE.md."""
    return {
        "overdue": json_records(flags.overdue, ("claim_no", "insurer", "handover_date", "due_date", "days_overdue",
                                            "amount_due", "paid_amount", "outstanding", "band")),
        "returned": json_records(flags.returned, ("claim_no", "insurer", "handover_date", "amount_due")),
        "tp_refunds": json_records(flags.tp_refunds, ("claim_no", "insurer_paid_date", "days_waiting", "amount")),
        "not_handed_over": json_records(flags.not_handed_over, ("claim_no", "insurer", "settled_date", "days_waiting")),
        "old_parts": json_records(flags.old_parts, ("claim_no", "settled_date", "days_waiting")),
        "commission": json_records(flags.commission, ("month", "insurer", "amount_due", "received_amount", "outstanding",
                                                      "source", "confirmation_letter")),
        "bands": dict(flags.bands),
    }
