"""The business rules of validation (DOMAIN.md "Validation (for auditors)", seed §2.3.1, §4.3).

Same shape as rules.py: `check_<rule>(tables, ctx) -> Iterable[Finding]`, whole-column masks, a
Finding built only for each row flagged. These rules know the desk's business: policy periods, the
claim a handover or refund belongs to, partner insurers, the five approvals of a third-party refund.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import pandas as pd

from ...findings import Finding, Location
from ...tables import Registers
from ...registers import HERE, REGISTERS, SHEET, WORKBOOK
from .common import APPROVALS, CLAIM_SIDE, ERROR, WARNING, absent_column_findings, flag, fold_name, header, present, shown
from ...settings import Context
from ..commission import off_rate

_FEN = 0.005  # amounts are kept to the fen: a difference below half a fen is rounding


def check_policy_dates(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """保单止期 must fall after 保单起期."""
    p = tables["policies"]
    mask = p["policy_end"] <= p["policy_start"]
    yield from flag(tables, "policies", mask, "policy_end", "policy.end_before_start", ERROR,
                    lambda row: f"保单止期 {shown('policies', 'policy_end', row['policy_end'])} 不晚于保单起期 "
                                f"{shown('policies', 'policy_start', row['policy_start'])}：止期应在起期之后")


def check_claim_numbers_known(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Handovers, old parts, payments and third-party refunds refer to a case in 客户出险统计表."""
    if "claims" in tables.missing:  # reported as a missing register; every row would be unknown
        return
    known = tables["claims"]["claim_no"].dropna().unique()
    claims_sheet = REGISTERS["claims"].sheet
    for key in CLAIM_SIDE:
        if tables[key].empty:
            continue
        claim_no = tables[key]["claim_no"]
        mask = claim_no.notna() & ~claim_no.isin(known)
        yield from flag(tables, key, mask, "claim_no", "claim_no.not_in_claims", ERROR,
                        lambda row: f"报案号「{row['claim_no']}」在「{claims_sheet}」中找不到：应先登记出险案件")


def check_partner_insurers(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """§2.3.1: a policy written here (本店) is with a partner insurer; 他处 rows may name any insurer."""
    partners = ctx.settings.partners
    policies = tables["policies"]
    if not partners:
        if (policies["channel"] == HERE).any():
            yield Finding("policies", "settings.no_partners", WARNING, Location(tables.source, "设置", None),
                          "设置中没有合作保险公司（[insurers.\"名称\"]），无法校验本店保单的保险公司")
        return
    folded = {unicodedata.normalize("NFKC", p).replace(" ", "") for p in partners}
    mask = (policies["channel"] == HERE) & policies["insurer"].notna() & ~fold_name(policies["insurer"]).isin(folded)
    names = "、".join(partners)
    yield from flag(tables, "policies", mask, "insurer", "policy.insurer_not_partner", ERROR,
                    lambda row: f"本店出单的保单，保险公司「{row['insurer']}」不是合作保险公司（设置中的合作公司：{names}）")


def check_partner_count(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """§2.3.1: a month's 本店 business goes to at most 3 insurers, 2 below the premium threshold."""
    t = ctx.thresholds
    p = tables["policies"]
    day = p["issue_date"].fillna(p["policy_start"])  # a policy with no 出单日期 counts at its start
    keep = (p["channel"] == HERE) & p["insurer"].notna() & day.notna()
    if not keep.any():
        return
    day, insurer = day[keep], p.loc[keep, "insurer"]
    here = pd.DataFrame({
        "month": (day.dt.year * 100 + day.dt.month).astype("int64"), "insurer": insurer, "name": fold_name(insurer),
        "premium": p.loc[keep, "compulsory_premium"].fillna(0) + p.loc[keep, "commercial_premium"].fillna(0),
    })
    by_month = here.groupby("month")
    premium, partners = by_month["premium"].sum(), by_month["name"].nunique()
    allowed = (premium >= t.partner_premium).map({True: t.max_partners_high, False: t.max_partners_low})
    allowed = allowed.clip(upper=max(t.max_partners_high, 0))
    over = partners.index[partners > allowed]
    for month, rows in here[here["month"].isin(over)].groupby("month", sort=True):
        first = rows.index[0]
        names = "、".join(dict.fromkeys(rows["insurer"]))
        level = "达到" if premium[month] >= t.partner_premium else "低于"
        workbook, sheet = p.at[first, WORKBOOK], p.at[first, SHEET]
        loc = Location(workbook, sheet, None, tables.locate("policies", workbook, sheet, None, "insurer").column)
        yield Finding("policies", "partners.too_many", WARNING, loc,
                      f"{month // 100}-{month % 100:02d} 本店出单保费合计 {premium[month]:,.2f} 元，{level} "
                      f"{t.partner_premium:,.0f} 元，合作保险公司最多 {int(allowed[month])} 家，"
                      f"实际 {int(partners[month])} 家：{names}", key="insurer")


def check_refund_approvals(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """§4.3 step 11: a third-party refund is paid only after all five approvals."""
    r = tables["tp_refunds"]
    refunded = r["refund_date"].notna()
    if not refunded.any():
        return
    for sign in APPROVALS:
        yield from absent_column_findings(tables, "tp_refunds", refunded, sign, "refund.missing_approvals", ERROR,
                                          "已退款，但无法证明经过该级审批")
    lacking = pd.concat([r[s].isna() & present(tables, "tp_refunds", s) for s in APPROVALS], axis=1)
    lacking.columns = list(APPROVALS)
    mask = refunded & lacking.any(axis=1)
    first = lacking.idxmax(axis=1)  # the first missing approval is the cell flagged
    all_five = "、".join(header("tp_refunds", s) for s in APPROVALS)
    for sign in APPROVALS:
        yield from flag(tables, "tp_refunds", mask & (first == sign), sign, "refund.missing_approvals", ERROR,
                        lambda row: f"已退款（{shown('tp_refunds', 'refund_date', row['refund_date'])}）但缺少审批签字："
                                    f"{'、'.join(header('tp_refunds', s) for s in APPROVALS if lacking.at[row.name, s])}"
                                    f"；退款前应有五级审批（{all_five}）")


def check_refund_customer_signature(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """§4.3 step 11: the customer signs for a third-party refund."""
    r = tables["tp_refunds"]
    refunded = r["refund_date"].notna()
    if not refunded.any():
        return
    yield from absent_column_findings(tables, "tp_refunds", refunded, "customer_signed",
                                      "refund.customer_not_signed", ERROR, "已退款，但无法证明客户签字")
    mask = refunded & r["customer_signed"].ne(True).fillna(True) & present(tables, "tp_refunds", "customer_signed")
    yield from flag(tables, "tp_refunds", mask, "customer_signed", "refund.customer_not_signed", ERROR,
                    lambda row: f"已退款（{shown('tp_refunds', 'refund_date', row['refund_date'])}）但「客户签字」为"
                                f"{shown('tp_refunds', 'customer_signed', row['customer_signed'])}：退款应有客户签字确认")


def check_settled_after_reported(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A claim is settled on or after the day it was reported."""
    c = tables["claims"]
    mask = c["settled_date"] < c["report_date"]
    yield from flag(tables, "claims", mask, "settled_date", "claim.settled_before_reported", WARNING,
                    lambda row: f"结算日期 {shown('claims', 'settled_date', row['settled_date'])} 早于报案日期 "
                                f"{shown('claims', 'report_date', row['report_date'])}：请核对")


def check_handovers_signed(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """§4.3 step 7: the insurer's receiver signs the handover form."""
    h = tables["handovers"]
    if h.empty:
        return
    yield from absent_column_findings(tables, "handovers", pd.Series(True, index=h.index), "signed",
                                      "handover.not_signed", WARNING, "无法确认保险公司已签字")
    mask = h["signed"].ne(True).fillna(True) & present(tables, "handovers", "signed")
    yield from flag(tables, "handovers", mask, "signed", "handover.not_signed", WARNING,
                    lambda row: f"交接单（报案号 {row['claim_no'] if pd.notna(row['claim_no']) else '（空）'}）"
                                f"「签字确认」为{shown('handovers', 'signed', row['signed'])}：应由保险公司接收人签字确认")


def check_payments_within_due(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """An insurer pays at most what it owes on a case."""
    p = tables["payments"]
    mask = p["paid_amount"] > p["amount_due"] + _FEN
    yield from flag(tables, "payments", mask, "paid_amount", "payment.more_than_due", WARNING,
                    lambda row: f"回款金额 {shown('payments', 'paid_amount', row['paid_amount'])} 元大于应回款金额 "
                                f"{shown('payments', 'amount_due', row['amount_due'])} 元：请核对")


def check_commission_rates(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """§4.6: a 本店 policy's 手续费 more than 1 yuan off its premiums × the insurer's agreed rates."""
    p = tables["policies"]
    off = off_rate(p, ctx.settings)
    if off.empty:
        return
    mask = pd.Series(False, index=p.index)
    mask[off.index] = True
    mask &= present(tables, "policies", "commission")
    insurers = ctx.settings.insurers

    def message(row: pd.Series) -> str:
        o = off.loc[row.name]
        rates = next((i for name, i in insurers.items() if name == str(row["insurer"]).strip()), None)
        agreed = (f"（交强险 {rates.commission_rate_compulsory:.2%}，商业险 {rates.commission_rate_commercial:.2%}）"
                  if rates else "")
        return (f"手续费 {o['booked']:,.2f} 元，按「{row['insurer']}」约定费率{agreed}应为 {o['expected']:,.2f} 元，"
                f"相差 {o['difference']:+,.2f} 元：请核对手续费或保费")
    yield from flag(tables, "policies", mask, "commission", "policy.commission_off_rate", WARNING, message)
