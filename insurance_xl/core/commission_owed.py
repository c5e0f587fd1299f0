"""Commission still owed months after it was earned (DOMAIN.md "Claims and money", seed §4.6, §4.9.4). Pure.

Each insurer's month is settled at month end. More than commission_months months after the end of a
month, an insurer-month whose commission is not fully received is written down against profit in
full (全额冲减利润) — whether the shortfall shows on its 手续费结算台账 row (received < due) or there is
no row at all while the month's 本店 policies carry commission: money is watched from the first
register that shows it is owed. Months before the register's first month are not judged (the
register did not exist yet); a row with 确认函 是 stays on the list but is not written down.
"""
from __future__ import annotations

import pandas as pd

from ..registers import HERE, ROW
from ..settings import Context
from .money import round_to_fen
from .months import date_months, month_ends, text_months
from .texts import fold_texts

COMMISSION_COLUMNS = ("month", "insurer", "amount_due", "received_amount", "outstanding", "source",
                      "confirmation_letter", "written_down_after", "_row")
SOURCE_ROW, SOURCE_POLICIES = "settlement row", "policies"  # ARCHITECTURE.md: `source` (settlement row / policies)


def _write_down_dates(months: pd.Series, ctx: Context) -> pd.Series:
    """The last day of the commission_months-th month after each month: 2026-07 + 3 → 2026-10-31.

    "More than 3 months after the end of 2026-07" is read as: after the end of 2026-10, so the flag
    shows from 2026-11-01 **[decision]**.
    """
    last = month_ends(text_months(months) + ctx.thresholds.commission_months)
    return pd.Series(last.astype("datetime64[D]").astype("datetime64[ns]"), index=months.index)


def booked_commission(policies: pd.DataFrame) -> pd.DataFrame:
    """Commission as booked on the 本店 policies, per insurer and issue month (a policy with no
    出单日期 counts in the month of its 保单起期, DOMAIN.md "Issue date"): month, insurer, booked."""
    p = policies[["channel", "insurer", "issue_date", "policy_start", "commission"]]
    p = p[p["channel"].eq(HERE).fillna(False).to_numpy(dtype=bool) & p["commission"].notna().to_numpy(dtype=bool)]
    issued = p["issue_date"].fillna(p["policy_start"])
    months = date_months(issued)  # month numbers; text only per group
    p = p.assign(month=months, insurer=p["insurer"].fillna(""))[issued.notna().to_numpy()]
    booked = p.groupby(["month", "insurer"], sort=True)["commission"].sum().rename("booked").reset_index()
    booked["month"] = booked["month"].to_numpy().astype("datetime64[M]").astype(str)
    booked["booked"] = round_to_fen(booked["booked"])
    return booked


def commission_uncollected(settlements: pd.DataFrame, ctx: Context, policies: pd.DataFrame | None = None
                           ) -> pd.DataFrame:
    """Insurer-months whose commission is still short after commission_months months, oldest first.

    From the register: amount_due − received (received dated after as-of has not arrived yet), source
    "settlement row". From `policies` (when given), for every month from the register's first month on
    with commission booked and no row of that insurer: the booked commission, nothing received, source
    "policies". `confirmation_letter`: the row has 确认函 是 — listed, but not to be written down.
    """
    as_of = pd.Timestamp(ctx.as_of)
    s = settlements[["month", "insurer", "amount_due", "received_date", "received_amount", "confirmation_letter", ROW]]
    s = s[s["month"].notna()].copy()
    arrived = s["received_date"].isna() | (s["received_date"] <= as_of)
    s["received_amount"] = round_to_fen(s["received_amount"].where(arrived).fillna(0.0))
    s["amount_due"] = round_to_fen(s["amount_due"].fillna(0.0))
    s["source"] = SOURCE_ROW
    s["confirmation_letter"] = s["confirmation_letter"].fillna(False).astype(bool)
    if policies is not None and len(s):
        booked = booked_commission(policies)
        booked = booked[(booked["month"] >= s["month"].min()) & (booked["booked"] > 0)]
        kept = pd.MultiIndex.from_arrays([s["month"], fold_texts(s["insurer"].fillna(""))])
        mine = pd.MultiIndex.from_arrays([booked["month"], fold_texts(booked["insurer"])])
        missing = booked[~mine.isin(kept)]
        from_policies = pd.DataFrame({
            "month": missing["month"], "insurer": missing["insurer"], "amount_due": missing["booked"],
            "received_amount": 0.0, "source": SOURCE_POLICIES, "confirmation_letter": False,
            ROW: pd.array([None] * len(missing), dtype="Int64")})
        s = pd.concat([s.drop(columns=["received_date"]), from_policies], ignore_index=True) if len(missing) else s
    s["outstanding"] = round_to_fen(s["amount_due"] - s["received_amount"])
    s["written_down_after"] = _write_down_dates(s["month"], ctx)
    flagged = s[(s["outstanding"] > 0) & (as_of > s["written_down_after"])]
    flagged = flagged.sort_values(["month", "insurer"], kind="stable")
    return flagged.loc[:, list(COMMISSION_COLUMNS)].reset_index(drop=True)


def write_down_total(commission: pd.DataFrame) -> float:
    """What to write down against profit: the outstanding of the months with no 确认函."""
    return round(float(commission.loc[~commission["confirmation_letter"].astype(bool), "outstanding"].sum()), 2)
