"""The demo store's policy register kept as real desks keep it (DOMAIN.md revision 2, register 2).

Insurers issue a car's 交强险 and 商业险 as two policies with two numbers. Of the 本店 periods holding
both, about half are kept as two rows (a 交强险 row and a 商业险 row, each with its number, premium
and commission), the rest as one row carrying 交强险保单号 beside 保单号. A few policies are
cancelled (退保) with their refunds. Claims, contacts and settlements are drawn from the periods
before this step, so both shapes describe one store.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..registers import COMMERCIAL, COMPULSORY, HERE
from ..settings import Settings

SPLIT_SHARE = 0.5  # periods kept as two rows
CANCEL_SHARE = 0.01  # 本店 commercial policies cancelled (退保)


def compulsory_numbers(numbers: pd.Series) -> np.ndarray:
    """The 交强险 number insurers issue beside a 商业险 number: a Z after the style's first letter."""
    text = numbers.astype("str")
    return (text.str.slice(0, 1) + "Z" + text.str.slice(1)).to_numpy(dtype=object)


def shape_policies(rng: np.random.Generator, policies: pd.DataFrame, settings: Settings,
                   as_of: dt.date) -> pd.DataFrame:
    """Both shapes in one register, and a few cancellations; rows stay in archive and start order."""
    rows = policies.copy()
    rows["policy_kind"] = None
    rows["compulsory_policy_no"] = None
    for col in ("cancel_date",):
        rows[col] = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
    rows["refund_premium"] = np.nan
    rows["refund_commission"] = np.nan
    both = ((rows["channel"] == HERE) & rows["policy_no"].notna() & (rows["compulsory_premium"] > 0)
            & (rows["commercial_premium"] > 0)).to_numpy()
    split = both & (rng.random(len(rows)) < SPLIT_SHARE)
    numbers = compulsory_numbers(rows["policy_no"])
    rows.loc[both & ~split, "compulsory_policy_no"] = numbers[both & ~split]
    rate_j = np.array([settings.insurer(i).commission_rate_compulsory for i in rows["insurer"]])
    fee_j = np.rint(rows["compulsory_premium"].fillna(0).to_numpy() * rate_j * 100) / 100
    compulsory = rows[split].assign(
        policy_no=numbers[split], commercial_premium=np.nan, commission=fee_j[split], coverages="交强险",
        third_party_limit=None, policy_kind=np.where(rng.random(int(split.sum())) < 0.5, COMPULSORY, None))
    commercial = rows[split].assign(
        compulsory_premium=np.nan, commission=np.round(rows["commission"][split] - fee_j[split], 2),
        coverages=rows["coverages"][split].str.replace("交强险+", "", regex=False),
        policy_kind=np.where(rng.random(int(split.sum())) < 0.5, COMMERCIAL, None))
    compulsory["_part"], commercial["_part"], rows["_part"] = 0, 1, 0
    shaped = pd.concat([rows[~split], compulsory, commercial]).sort_index(kind="stable")
    shaped = shaped.sort_values(["archive_no", "policy_start", "_part"], kind="stable").reset_index(drop=True)
    return _cancel_some(rng, shaped.drop(columns=["_part"]), as_of)


def _cancel_some(rng: np.random.Generator, rows: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """A few 本店 commercial covers cancelled mid-term: the unexpired share of premium and commission back."""
    today = np.datetime64(as_of, "D")
    start = rows["policy_start"].to_numpy(dtype="datetime64[D]")
    end = rows["policy_end"].to_numpy(dtype="datetime64[D]")
    # a 商业险 kept as a row of its own: a cancellation ends that policy, not the car's 交强险
    able = ((rows["channel"] == HERE).to_numpy() & (rows["commercial_premium"] > 0).to_numpy()
            & ~(rows["compulsory_premium"] > 0).to_numpy()
            & (start + 60 < today) & (end > start + 60))
    chosen = able & (rng.random(len(rows)) < CANCEL_SHARE)
    term = (end - start).astype(np.int64)
    used = rng.integers(30, 60, size=len(rows)) + ((np.minimum(end, today) - start).astype(np.int64) - 60) // 2
    cancel = start + np.clip(used, 30, np.maximum(term - 1, 30))
    left = 1 - (cancel - start).astype(np.int64) / np.maximum(term, 1)
    rows.loc[chosen, "cancel_date"] = pd.to_datetime(cancel[chosen]).astype("datetime64[ns]")
    rows.loc[chosen, "refund_premium"] = np.round(rows["commercial_premium"].to_numpy()[chosen] * left[chosen], 2)
    rows.loc[chosen, "refund_commission"] = np.round(rows["commission"].to_numpy()[chosen] * left[chosen], 2)
    return rows
