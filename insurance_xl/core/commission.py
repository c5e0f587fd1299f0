"""Commission control (DOMAIN.md "Claims and money", seed §4.6, §4.9.4): what each 本店 policy should
carry at the insurer's agreed rates, and each insurer's month followed from expected to booked,
reconciled, invoiced and received, with the §4.9.4 write-down.

Amounts are summed in whole fen (money.py) and shown in yuan. A policy counts in the month it was
issued; one with no 出单日期 in the month of its 保单起期 (DOMAIN.md "Issue date").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..registers import HERE
from ..settings import Context, Settings
from .kpi_counts import NEW, RENEWAL_TYPES
from .commission_owed import commission_uncollected
from .money import fen, fen_array
from .validation.common import fold_name

TOLERANCE_FEN = 100  # DOMAIN.md: booked 手续费 off by more than 1 yuan is a warning
MONTH_COLUMNS = ("month", "insurer", "expected", "booked", "reconciled", "invoiced", "received", "outstanding",
                 "write_down")
MONTH_LABELS = {"month": "月份", "insurer": "保险公司", "expected": "按约定费率应得", "booked": "台账手续费",
                "reconciled": "对账确认", "invoiced": "已开票", "received": "已到账", "outstanding": "未收回",
                "write_down": "应冲减利润"}
NEW_CAR, RENEWAL = "new_car_commission", "renewal_commission"


def _insurer_keys(names: pd.Series) -> pd.Series:
    return fold_name(names).where(names.notna())


def agreed_rates(policies: pd.DataFrame, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Per policy row: the insurer's agreed (compulsory, commercial) rates; NaN where none is set."""
    rates = {k: (i.commission_rate_compulsory, i.commission_rate_commercial) for k, i in
             zip(_insurer_keys(pd.Series(list(settings.insurers), dtype="object")), settings.insurers.values())
             if i.commission_rate_compulsory or i.commission_rate_commercial}
    keys = _insurer_keys(policies["insurer"])
    compulsory = keys.map({k: r[0] for k, r in rates.items()}).to_numpy(dtype="float64", na_value=np.nan)
    commercial = keys.map({k: r[1] for k, r in rates.items()}).to_numpy(dtype="float64", na_value=np.nan)
    return compulsory, commercial


def expected_fen(policies: pd.DataFrame, settings: Settings) -> pd.Series:
    """Expected commission of each policy row in fen: premiums × the agreed rates (NA where no rate is set)."""
    compulsory, commercial = agreed_rates(policies, settings)
    amount = (policies["compulsory_premium"].to_numpy(dtype="float64", na_value=0.0) * compulsory
              + policies["commercial_premium"].to_numpy(dtype="float64", na_value=0.0) * commercial)
    known = ~np.isnan(amount)
    out = np.zeros(len(policies), dtype=np.int64)
    out[known] = np.rint(amount[known] * 100).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(out, ~known), index=policies.index)


def off_rate(policies: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """本店 policy rows whose booked 手续费 (empty: 0) is more than 1 yuan off the agreed rates:
    expected, booked and difference (booked − expected), in yuan, indexed like the register."""
    expected = expected_fen(policies, settings)
    booked = fen(policies["commission"])
    here = policies["channel"].eq(HERE).fillna(False).to_numpy(dtype=bool)
    diff = booked - expected
    mask = here & diff.abs().gt(TOLERANCE_FEN).fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame({"expected": expected[mask].astype("float64") / 100, "booked": booked[mask] / 100,
                         "difference": diff[mask].astype("float64") / 100}, index=policies.index[mask])


def issue_months(policies: pd.DataFrame) -> pd.Series:
    """YYYY-MM each policy counts in: its 出单日期, else its 保单起期 (DOMAIN.md "Issue date")."""
    day = policies["issue_date"].fillna(policies["policy_start"])
    return day.dt.strftime("%Y-%m").where(day.notna())


def business_commission(policies: pd.DataFrame, month: str) -> dict[str, float]:
    """§4.7.2: the month's commission of 本店 新保 policies (new cars) and of 续保/转保 (renewals), yuan."""
    issued = policies["channel"].eq(HERE).fillna(False) & issue_months(policies).eq(month).fillna(False)
    amounts = fen(policies["commission"])
    kind = policies["business_type"]
    return {NEW_CAR: int(amounts[issued & kind.eq(NEW).fillna(False)].sum()) / 100,
            RENEWAL: int(amounts[issued & kind.isin(RENEWAL_TYPES).fillna(False)].sum()) / 100}


def _ledger(settlements: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The 手续费结算台账 per (insurer key, month): an adjustment row counts for the month it adjusts."""
    s = settlements
    adjusts = s["adjusts"] if "adjusts" in s else pd.Series(pd.NA, index=s.index, dtype="object")
    month = adjusts.astype("object").where(adjusts.notna(), s["month"])
    arrived = s["received_date"].isna() | (s["received_date"] <= as_of)
    letter = s["confirmation_letter"].eq(True).fillna(False) if "confirmation_letter" in s else False
    locked = s["fingerprint"].notna() if "fingerprint" in s else False
    rows = pd.DataFrame({
        "key": _insurer_keys(s["insurer"]), "month": month, "name": s["insurer"],
        "due": fen(s["amount_due"]),
        "invoiced": fen(s["amount_due"]).where(s["invoice_date"].notna(), 0),
        "received": fen(s["received_amount"]).where(arrived, 0),
        "letter": letter, "locked": locked, "rows": 1,
    })
    rows = rows[rows["key"].notna() & rows["month"].notna()]
    return rows.groupby(["key", "month"], sort=False).agg(
        name=("name", "first"), due=("due", "sum"), invoiced=("invoiced", "sum"), received=("received", "sum"),
        letter=("letter", "any"), locked=("locked", "any"), rows=("rows", "sum"))


def commission_months(policies: pd.DataFrame, settlements: pd.DataFrame, ctx: Context, year: int) -> pd.DataFrame:
    """Per insurer and month of `year`: expected (agreed rates × premiums), booked (the policies'
    手续费), reconciled (the ledger's amount when the month was locked by `reconcile --lock`),
    invoiced, received (arrived by as-of), outstanding (owed − received; owed is the ledger's amount
    due, or the booked commission when the month has no ledger row) and the §4.9.4 write-down.

    Write-down: more than commission_months after the month's end, the outstanding amount, unless a
    确认函 is on file; months before the ledger's first month are not judged (it did not exist yet)."""
    as_of = pd.Timestamp(ctx.as_of)
    here = policies[policies["channel"].eq(HERE).fillna(False) & policies["insurer"].notna()]
    pol = pd.DataFrame({"key": _insurer_keys(here["insurer"]), "month": issue_months(here), "name": here["insurer"],
                        "expected": expected_fen(here, ctx.settings).fillna(0).astype("int64"),
                        "rated": expected_fen(here, ctx.settings).notna(),
                        "booked": fen_array(here["commission"])})
    pol = pol[pol["month"].notna()]
    booked = pol.groupby(["key", "month"], sort=False).agg(name=("name", "first"), expected=("expected", "sum"),
                                                          rated=("rated", "any"), booked=("booked", "sum"))
    ledger = _ledger(settlements, as_of)
    table = booked.merge(ledger, how="outer", left_index=True, right_index=True,
                         suffixes=("", "_ledger")).reset_index()
    table = table[table["month"].str.startswith(f"{year:04d}-")]
    partner = {k: n for k, n in zip(_insurer_keys(pd.Series(list(ctx.settings.insurers), dtype="object")),
                                    ctx.settings.insurers)}
    table["insurer"] = table["key"].map(partner).fillna(table["name"]).fillna(table["name_ledger"])
    has_row = table["rows"].fillna(0) > 0
    owed = table["due"].where(has_row, table["booked"]).fillna(0)
    received = table["received"].fillna(0)
    out = pd.DataFrame({"month": table["month"], "insurer": table["insurer"]})
    out["expected"] = table["expected"].where(table["rated"].fillna(False).astype(bool)) / 100
    out["booked"] = table["booked"].fillna(0) / 100
    out["reconciled"] = table["due"].where(table["locked"].fillna(False).astype(bool)) / 100
    out["invoiced"] = table["invoiced"].fillna(0) / 100
    out["received"] = received / 100
    outstanding = (owed - received).clip(lower=0)
    out["outstanding"] = outstanding / 100
    # §4.9.4, one rule (core/commission_owed.py, which overdue's commission list uses): the months owed
    # commission_months after their end, less those with a 确认函
    owed_late = commission_uncollected(settlements, ctx, policies)
    owed_late = owed_late[~owed_late["confirmation_letter"].astype(bool)]
    late = pd.Series(fen_array(owed_late["outstanding"]),
                     index=pd.MultiIndex.from_arrays([_insurer_keys(owed_late["insurer"]), owed_late["month"]]))
    late = late.groupby(level=[0, 1]).sum()
    out["write_down"] = pd.MultiIndex.from_arrays([table["key"], table["month"]]).map(late).fillna(0).to_numpy() / 100
    out = out.sort_values(["month", "insurer"], kind="stable").reset_index(drop=True)
    for key in MONTH_COLUMNS[2:]:
        out[key] = out[key].astype("float64").round(2)
    return out.loc[:, list(MONTH_COLUMNS)]
