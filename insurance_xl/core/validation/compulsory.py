"""交强险 rules (DOMAIN.md revision 2, "Validation"; seed §1.3.1 Q4, Q5): one 交强险 of a vehicle in
force at a time, and a term of one year — longer is an error, shorter (短期交强险) a warning."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...findings import Finding
from ...registers import COMPULSORY, BOTH_KINDS
from ...settings import Context
from ...tables import Registers
from ..periods import NAT, row_days
from ..vehicles import vehicle_codes
from .common import ERROR, WARNING, flag, row_ref, shown


def holds_compulsory(policies: pd.DataFrame) -> np.ndarray:
    """Rows known to hold a 交强险: 险类 says so, or a 交强险保费, or 险种 names it (a row that says
    nothing is not judged)."""
    kind = policies["policy_kind"]
    by_kind = kind.isin((COMPULSORY, BOTH_KINDS)).to_numpy(dtype=bool)
    typed_other = kind.notna().to_numpy() & ~by_kind
    premium = policies["compulsory_premium"].to_numpy(dtype="float64", na_value=0.0) > 0
    covers = policies["coverages"].astype("str").str.contains("交强", regex=False).fillna(False).to_numpy(dtype=bool)
    return by_kind | (~typed_other & (premium | covers))


def _one_year_later(start: pd.Series) -> pd.Series:
    return start + pd.DateOffset(years=1)


def check_compulsory_term(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Q4: a 交强险 runs one year — 保单止期 on the day before the anniversary of 保单起期, or on it
    as many clerks write it [decision]. Longer is an error; shorter is a 短期交强险, allowed only in
    the four cases of Q4 (a warning to check)."""
    pol = tables["policies"]
    if pol.empty:
        return
    rows = pd.Series(holds_compulsory(pol), index=pol.index) & pol["policy_start"].notna() & pol["policy_end"].notna()
    rows &= pol["policy_end"] > pol["policy_start"]
    anniversary = _one_year_later(pol["policy_start"])
    longer = rows & (pol["policy_end"] > anniversary)
    shorter = rows & (pol["policy_end"] < anniversary - pd.Timedelta(days=1))
    yield from flag(tables, "policies", longer, "policy_end", "compulsory.longer_than_year", ERROR,
                    lambda row: f"交强险 {shown('policies', 'policy_start', row['policy_start'])} 至 "
                                f"{shown('policies', 'policy_end', row['policy_end'])} 超过一年：交强险保险期间为一年")
    yield from flag(tables, "policies", shorter, "policy_end", "compulsory.short_term", WARNING,
                    lambda row: f"交强险 {shown('policies', 'policy_start', row['policy_start'])} 至 "
                                f"{shown('policies', 'policy_end', row['policy_end'])} 不足一年：短期交强险仅限"
                                "境外车辆、临时入境、距报废不足一年、临时上道路等情形，请核对")


def check_compulsory_overlap(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Q5 (每辆机动车只能投保一份交强险): two 交强险 of one vehicle in force on the same day is an
    error at the later-starting one, naming the other. A cancelled one is in force until its 退保日期."""
    pol = tables["policies"]
    if pol.empty:
        return
    rd = row_days(pol)
    chosen = holds_compulsory(pol) & (rd["start_d"] != NAT) & (rd["last_d"] != NAT) & pol["policy_start"].notna().to_numpy()
    if chosen.sum() < 2:
        return
    vehicle = vehicle_codes(tables, ctx.settings.own_brands, ("policies",)).ids["policies"]
    pos = np.flatnonzero(chosen)
    frame = pd.DataFrame({"vehicle": vehicle[pos], "start": rd["start_d"][pos], "last": rd["last_d"][pos],
                          "pos": pos}).sort_values(["vehicle", "start", "pos"], kind="stable")
    same = frame["vehicle"].eq(frame["vehicle"].shift())
    reach = frame.groupby("vehicle", sort=False)["last"].cummax().shift()  # latest day covered before this row
    overlapping = frame[same & (frame["start"] <= reach)]
    for _, row in overlapping.iterrows():  # few: each is an error to fix
        earlier = frame[(frame["vehicle"] == row["vehicle"]) & (frame["start"] <= row["start"])
                        & (frame["last"] >= row["start"]) & (frame["pos"] != row["pos"])]
        index = pol.index[int(row["pos"])]
        loc = tables.locations("policies", pol.loc[[index]], "policy_start")[0]
        related = tuple(row_ref(pol, pol.index[int(p)]) for p in earlier["pos"])
        where = "、".join(f"第{r.row}行" for r in related)
        yield Finding("policies", "compulsory.overlap", ERROR, loc,
                      f"同一车辆的交强险在 {shown('policies', 'policy_start', pol.at[index, 'policy_start'])} 已有{where}"
                      "的交强险在保：每辆机动车只能投保一份交强险", related=related, key="policy_start")
