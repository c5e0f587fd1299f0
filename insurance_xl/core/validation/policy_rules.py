"""Warnings of DOMAIN.md revision 2 that read the policy register against the others: a 本店 policy
with no 出单日期, a 新保 long after the sale, 是否本店投保 contradicting the policies, a sale with a
blank 品牌 when the store has several own brands."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ...findings import Finding
from ...registers import HERE
from ...settings import Context
from ...tables import Registers
from ..in_force import covering_policy
from ..periods import NAT, days, row_days
from ..vehicles import vehicle_codes
from .common import WARNING, flag, header, present, row_ref, shown


def check_issue_date_present(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A 本店 policy with no 出单日期 counts in the month of its 保单起期 (DOMAIN.md "Issue date"): say so."""
    pol = tables["policies"]
    if pol.empty:
        return
    mask = pol["channel"].eq(HERE) & pol["issue_date"].isna() & pol["policy_start"].notna()
    yield from flag(tables, "policies", mask, "issue_date", "policy.no_issue_date", WARNING,
                    lambda row: f"本店保单「{header('policies', 'issue_date')}」为空：按保单起期 "
                                f"{shown('policies', 'policy_start', row['policy_start'])} 所在月份统计")


def check_new_policy_after_sale(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A 新保 policy starting more than `new_after_sale_days` (90) after the vehicle's sale: a
    renewal or a transfer typed as new business, or a wrong sale date."""
    pol, sales = tables["policies"], tables["sales"]
    if pol.empty or sales.empty:
        return
    codes = vehicle_codes(tables, ctx.settings.own_brands, ("policies", "sales"))
    sale_d = days(sales["sale_date"])
    first_sale = pd.Series(sale_d[sale_d != NAT]).groupby(codes.ids["sales"][sale_d != NAT]).min()
    sold = pol["policy_start"].notna().to_numpy() & np.isin(codes.ids["policies"], first_sale.index.to_numpy())
    limit = ctx.thresholds.new_after_sale_days
    start_d = days(pol["policy_start"])
    sale_of = first_sale.reindex(codes.ids["policies"]).to_numpy()
    late = sold & pol["business_type"].eq("新保").to_numpy(dtype=bool) & (start_d > sale_of + limit)
    sale_text = pd.Series(pd.to_datetime(sale_of, unit="D", errors="coerce"), index=pol.index)
    yield from flag(tables, "policies", pd.Series(late, index=pol.index), "business_type",
                    "policy.new_long_after_sale", WARNING,
                    lambda row: f"新保保单起期 {shown('policies', 'policy_start', row['policy_start'])} 距销售日期 "
                                f"{sale_text[row.name]:%Y-%m-%d} 超过 {limit} 天：是否应为续保或转保？")


def check_insured_here_matches(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """是否本店投保 against the policy register: a claim is insured here when its vehicle has a 本店
    policy in force on the report date. A contradiction is a warning naming the policy row."""
    claims, pol = tables["claims"], tables["policies"]
    if claims.empty:
        return
    codes = vehicle_codes(tables, ctx.settings.own_brands, ("policies", "claims"))
    rd = row_days(pol)
    here = pol["channel"].eq(HERE).fillna(False).to_numpy(dtype=bool)
    report_d = days(claims["report_date"])
    covering = covering_policy(codes.ids["claims"], report_d, codes.ids["policies"], rd["start_d"], rd["last_d"], here)
    typed = claims["insured_here"]
    known = typed.notna().to_numpy() & (report_d != NAT)
    says_here = typed.fillna(False).to_numpy(dtype=bool)
    wrong = known & (says_here != (covering >= 0))
    for i in np.flatnonzero(wrong):
        index = claims.index[i]
        loc = tables.locations("claims", claims.loc[[index]], "insured_here")[0]
        day = shown("claims", "report_date", claims.at[index, "report_date"])
        if covering[i] >= 0:
            policy = row_ref(pol, pol.index[covering[i]])
            yield Finding("claims", "claim.insured_here_contradicts", WARNING, loc,
                          f"「是否本店投保」为否，但{policy.sheet}第{policy.row}行的本店保单在报案日 {day} 在保",
                          related=(policy,), key="insured_here")
        else:
            yield Finding("claims", "claim.insured_here_contradicts", WARNING, loc,
                          f"「是否本店投保」为是，但报案日 {day} 该车没有在保的本店保单（客户管理统计明细表）",
                          key="insured_here")


def check_sale_brand_present(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """With several own brands a sale with a blank 品牌 stays out of the own-brand KPIs: say so
    (with one own brand a blank reads as it, DOMAIN.md "Own brand")."""
    sales = tables["sales"]
    if sales.empty or len(set(ctx.settings.own_brands)) < 2:
        return
    yield from flag(tables, "sales", sales["brand"].isna() & present(tables, "sales", "brand"), "brand", "sales.brand_blank", WARNING,
                    lambda row: f"「品牌」为空：本店有多个品牌（{'、'.join(ctx.settings.own_brands)}），"
                                "此车不计入首保率、续保率和流失率")
