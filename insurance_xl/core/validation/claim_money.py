"""Validation of the claims desk's money against the claim (DOMAIN.md "Claims and money", "Validation").

Same shape as business.py: `check_<rule>(tables, ctx) -> Iterable[Finding]`, whole-column masks, a
Finding built only for each row flagged.
"""
from __future__ import annotations

from collections.abc import Iterable

from ...findings import Finding
from ...registers import ROW, SHEET, WORKBOOK
from ...settings import Context
from ...tables import Registers
from ..money import fen
from .common import WARNING, shown


def check_payment_matches_settlement(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A 回款 row's 应回款金额 is the claim's 结算金额: a difference (to the fen) is a warning naming both
    rows and both amounts; a blank on either side is not compared."""
    p, c = tables["payments"], tables["claims"]
    if p.empty or c.empty:
        return
    claims = c[c["claim_no"].notna()].drop_duplicates("claim_no").set_index("claim_no")
    settled = p["claim_no"].map(claims["settled_amount"]).astype("float64")
    both = p["amount_due"].notna() & settled.notna()
    differs = both & (fen(p["amount_due"].where(both, 0.0)) != fen(settled.where(both, 0.0)))
    if not differs.any():
        return
    rows = p[differs]
    for loc, (index, row) in zip(tables.locations("payments", rows, "amount_due"), rows.iterrows()):
        claim = claims.loc[row["claim_no"]]
        related = tables.locate("claims", claim[WORKBOOK], claim[SHEET], int(claim[ROW]), "settled_amount")
        yield Finding("payments", "payment.differs_from_settlement", WARNING, loc,
                      f"应回款金额 {shown('payments', 'amount_due', row['amount_due'])} 元与报案号「{row['claim_no']}」"
                      f"的结算金额 {shown('claims', 'settled_amount', settled[index])} 元（{claim[SHEET]} 第 "
                      f"{int(claim[ROW])} 行）不符：请核对", related=(related,), key="amount_due")
