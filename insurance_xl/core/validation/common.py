"""What every validation check shares: headers, located findings, masks, the 本店 channel."""
from __future__ import annotations
from collections.abc import Callable, Iterable, Iterator
import pandas as pd
from ...findings import Finding, Location, Severity
from ..mask import mask_value
from ...tables import Registers
from ...registers import REGISTERS, ROW, SHEET, WORKBOOK, Kind
from ...settings import Context


Check = Callable[[Registers, Context], Iterable[Finding]]
ERROR, WARNING = Severity.ERROR, Severity.WARNING


# Dates of things that have already happened: one later than as-of is a typo (warning). DOMAIN names
# 出单日期; the other event dates are held to the same standard. Planned dates (policy periods,
# 下次联系) are left out.
EVENT_DATES: dict[str, tuple[str, ...]] = {
    "sales": ("sale_date",),
    "policies": ("issue_date",),
    "claims": ("report_date", "settled_date"),
    "handovers": ("handover_date",),
    "old_parts": ("handover_date",),
    "payments": ("paid_date",),
    "tp_refunds": ("insurer_paid_date", "refund_date"),
    "contacts": ("contact_date",),
    "commission_settlements": ("invoice_date", "received_date"),
}

CLAIM_SIDE = ("handovers", "old_parts", "payments", "tp_refunds")  # rows that hang off a 报案号

APPROVALS = ("sign_adjuster", "sign_service_manager", "sign_cashier", "sign_finance_manager", "sign_store_manager")

# DOMAIN.md: commission_settlements is "one row per insurer and month" (a pair, so not in registers.unique).
PAIR_UNIQUE = {"commission_settlements": (("month", "insurer"), "commission.duplicate_month")}

# ...apart from adjustment rows (调整月份 set, written by `reconcile --lock`, §4.6): a correction to a month is
# an extra row, never an edit, and may be negative.
ADJUSTMENT = {"commission_settlements": "adjusts"}


def header(register: str, key: str) -> str:
    return REGISTERS[register].column(key).header


def shown(register: str, key: str, value: object) -> str:
    """A value as a message shows it: dates as YYYY-MM-DD, money with separators, PII masked."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return "（空）"
    col = REGISTERS[register].column(key)
    if col.pii:
        return str(mask_value(str(value), col.pii))
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if col.kind is Kind.MONEY:
        return f"{float(value):,.2f}"
    if isinstance(value, (bool,)) or col.kind is Kind.YESNO:
        return "是" if bool(value) else "否"
    return str(value)


def flag(tables: Registers, register: str, mask: pd.Series, key: str, rule: str, severity: Severity,
         message: Callable[[pd.Series], str]) -> Iterator[Finding]:
    """One Finding per row where `mask` holds, at the cell of `key`; `message(row)` words it."""
    mask = mask.fillna(False).astype(bool)
    if not mask.any():  # the usual case: no row taken out of the (wide) table at all
        return
    rows = tables[register].loc[mask[mask].index]
    for loc, (_, row) in zip(tables.locations(register, rows, key), rows.iterrows()):
        yield Finding(register, rule, severity, loc, message(row), key=key)


def present(tables: Registers, register: str, key: str) -> pd.Series:
    """Rows whose sheet has the column (an absent column is reported once, not once per row)."""
    table = tables[register]
    sheets = [lay for lay in tables.layouts if lay.register == register]
    if len(table) and all(key in lay.columns for lay in sheets):  # every sheet has it: no per-row work
        return pd.Series(True, index=table.index)
    return tables.has_column(register, key)


def absent_column_findings(tables: Registers, register: str, rows: pd.Series, key: str, rule: str,
                           severity: Severity, why: str) -> Iterator[Finding]:
    """Once per sheet: `rows` need column `key` but the sheet has no such column."""
    table = tables[register]
    mask = rows.fillna(False).astype(bool) & ~present(tables, register, key)
    if not mask.any():
        return
    lacking = table.loc[mask, [WORKBOOK, SHEET]]
    for (workbook, sheet), group in lacking.groupby([WORKBOOK, SHEET], sort=True):
        layout = tables.layout(workbook, sheet)
        loc = Location(workbook, sheet, layout.header_row if layout else None, header(register, key))
        yield Finding(register, rule, severity, loc,
                      f"工作表没有「{header(register, key)}」列：{len(group)} 行{why}", key=key)


def fold_name(values: pd.Series) -> pd.Series:
    return values.astype("str").str.normalize("NFKC").str.replace(r"\s+", "", regex=True)


def row_ref(table: pd.DataFrame, index: object) -> Location:
    return Location(table.at[index, WORKBOOK], table.at[index, SHEET], int(table.at[index, ROW]))
