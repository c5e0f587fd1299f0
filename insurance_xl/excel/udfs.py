"""Worksheet functions for clerks' own formulas (xlwings.conf: UDF Modules), each a thin wrapper over
a core function: the rule lives in the core, the function only parses cells and shapes the answer.

- A function of one value takes a cell or a whole range and answers in the same shape, so
  `=INS_BAND(G2:G500)` spills one band per case; arguments that go together (a date and an insurer)
  are ranges of the same shape, or single cells applied to every row.
- Cells are read with the reader's own parsers and register declarations: a date typed as
  2026/10/1 or 20261001, an amount typed as ¥1,234.50, all work as in the registers.
- Tables (a register, the 设置 sheet) are whole ranges with their header row, read by the reader:
  `=INS_KPI("renewal_rate", "2026-10", tbl_policies[#All], tbl_sales[#All], tbl_claims[#All],
  tbl_settings[#All], TODAY())`.
- Never volatile: a date-dependent function takes the date as an argument (TODAY() to follow the
  calendar); a value that cannot be read answers 无法识别, an empty one answers empty.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import xlwings as xw

from ..core.mask import mask_id_number, mask_name, mask_phone
from ..tables import table_from_records
from ..reading.store import assemble, read_grid
from ..registers import REGISTERS, Column
from ..settings import Context, Settings, load_settings
from ..reading.clerk_values import reader_text, parse_column, parse_date_text, parse_month_text
from .cells import cell_grid

UNREADABLE = "无法识别"
STAGE_BOTH, STAGE_SMS, STAGE_CALL, STAGE_ENDED, STAGE_LATER = "短信+电话", "短信", "电话", "已到期", "未到提醒期"

Cells = Sequence[Sequence[object]]  # a range as xlwings gives it with ndim=2


# ---- plumbing: cells in, cells out --------------------------------------------------------------

def _shape(cells: Cells | object) -> tuple[int, int]:
    rows = _rows(cells)
    return len(rows), max((len(r) for r in rows), default=0)


def _rows(cells: Cells | object) -> list[list[object]]:
    """A single value or a range, always as rows (a plain call from Python may pass a scalar)."""
    if isinstance(cells, (list, tuple)):
        return [list(r) if isinstance(r, (list, tuple)) else [r] for r in cells] or [[None]]
    return [[cells]]


def _parsed(cells: Cells | object, column: Column, size: int) -> tuple[pd.Series, pd.Series]:
    """Every cell, row by row, parsed as `column` of registers.py; one cell stands for `size` cells."""
    grid = cell_grid(_rows(cells))
    texts = pd.Series(grid.to_numpy(dtype=object).ravel(), dtype="str")
    if len(texts) == 1 and size > 1:
        texts = pd.Series([texts.iloc[0]] * size, dtype="str")
    elif len(texts) != size:
        raise ValueError(f"范围大小不一致：{len(texts)} 个单元格，应为 {size} 个或 1 个")
    values, bad = parse_column(texts, column)
    return values.reset_index(drop=True), bad.reset_index(drop=True).astype(bool) & texts.notna()


def _answer(values: Sequence[object], shape: tuple[int, int]) -> list[list[object]]:
    rows, columns = shape
    flat = [_cell(v) for v in values]
    return [flat[i * columns:(i + 1) * columns] for i in range(rows)]


def _cell(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _settings(table: Cells | None) -> Settings:
    """A 设置 range (header row included) as Settings; no range: the defaults."""
    if table is None:
        return Settings()
    read = read_grid(cell_grid(_rows(table)), "", REGISTERS["settings"].sheet, register="settings")
    if read is None or not len(read.table):
        return Settings()
    t = read.table
    return load_settings(None, list(zip(t["key"], t["value"], t["_row"])))


def _day(value: object, name: str) -> dt.date:
    text = reader_text(value)
    day = parse_date_text(text) if isinstance(text, str) else None
    if not isinstance(day, dt.date):
        raise ValueError(f"{name} 应为日期，实际为 {value!r}")
    return day


def _undated(settings: Cells | None) -> Context:
    """A context for a rule that does not depend on the day (bands, due dates)."""
    return Context(_settings(settings), dt.date(2000, 1, 1))


def _column(register: str, key: str) -> Column:
    return REGISTERS[register].column(key)


# ---- the functions ------------------------------------------------------------------------------

@xw.func
@xw.arg("amount", ndim=2)
@xw.arg("settings", ndim=2)
def INS_BAND(amount: Cells, settings: Cells | None = None) -> list[list[object]]:
    """案件分档（按定损金额）：小额 / 5000-10000 / 10000以上；分档金额取自「设置」（可省略）。"""
    from ..core.claims import case_bands

    shape = _shape(amount)
    values, bad = _parsed(amount, _column("claims", "assessed_amount"), shape[0] * shape[1])
    bands = case_bands(values, _undated(settings)).astype(object)
    return _answer(bands.where(~bad, UNREADABLE).tolist(), shape)


@xw.func
@xw.arg("handover_date", ndim=2)
@xw.arg("insurer", ndim=2)
@xw.arg("settings", ndim=2)
def INS_DUE_DATE(handover_date: Cells, insurer: Cells, settings: Cells | None = None) -> list[list[object]]:
    """应回款日期：交接日期 + min(30 天, 保险公司承诺天数)；承诺天数取自「设置」。"""
    from ..core.claims import due_dates

    shape = _shape(handover_date)
    size = shape[0] * shape[1]
    dates, bad = _parsed(handover_date, _column("handovers", "handover_date"), size)
    insurers, _ = _parsed(insurer, _column("handovers", "insurer"), size)
    due = due_dates(dates, insurers, _undated(settings)).astype(object)
    return _answer(due.where(~bad, UNREADABLE).tolist(), shape)


@xw.func
@xw.arg("handover_date", ndim=2)
@xw.arg("insurer", ndim=2)
@xw.arg("amount_due", ndim=2)
@xw.arg("paid_amount", ndim=2)
@xw.arg("settings", ndim=2)
def INS_DAYS_OVERDUE(handover_date: Cells, insurer: Cells, amount_due: Cells, paid_amount: Cells,
                     as_of: object, settings: Cells | None = None) -> list[list[object]]:
    """逾期天数：评估日期晚于应回款日期且回款不足时，超过的天数；否则 0（部分回款仍算逾期）。"""
    from ..core.claims import overdue_payments

    shape = _shape(handover_date)
    size = shape[0] * shape[1]
    dates, bad = _parsed(handover_date, _column("handovers", "handover_date"), size)
    insurers, _ = _parsed(insurer, _column("handovers", "insurer"), size)
    due, bad_due = _parsed(amount_due, _column("payments", "amount_due"), size)
    paid, bad_paid = _parsed(paid_amount, _column("payments", "paid_amount"), size)
    claim_nos = [f"R{i}" for i in range(size)]
    handovers = table_from_records("handovers", [
        {"claim_no": c, "insurer": i, "handover_date": d, "amount": a}
        for c, i, d, a in zip(claim_nos, insurers, dates, due)])
    payments = table_from_records("payments", [
        {"claim_no": c, "insurer": i, "amount_due": a, "paid_amount": p}
        for c, i, a, p in zip(claim_nos, insurers, due, paid)])
    ctx = Context(_settings(settings), _day(as_of, "评估日期"))
    overdue = overdue_payments(handovers, payments, table_from_records("claims", []), ctx)
    days = pd.Series(0, index=claim_nos, dtype=object)
    days[overdue["claim_no"].tolist()] = overdue["days_overdue"].astype(int).tolist()
    days[dates.isna().to_numpy()] = None
    days[(bad | bad_due | bad_paid).to_numpy()] = UNREADABLE
    return _answer(days.tolist(), shape)


@xw.func
@xw.arg("policy_end", ndim=2)
@xw.arg("settings", ndim=2)
def INS_RENEWAL_STAGE(policy_end: Cells, as_of: object, settings: Cells | None = None) -> list[list[object]]:
    """续保提醒阶段：短信+电话 / 短信 / 电话 / 已到期 / 未到提醒期（提前天数取自「设置」）。"""
    from ..core.renewals import reminder_windows

    shape = _shape(policy_end)
    ends, bad = _parsed(policy_end, _column("policies", "policy_end"), shape[0] * shape[1])
    ctx = Context(_settings(settings), _day(as_of, "评估日期"))
    days_left = (ends - pd.Timestamp(ctx.as_of)).dt.days
    sms, call = reminder_windows(days_left, ctx)
    stage = np.select([sms & call, sms, call, days_left < 0, days_left.notna()],
                      [STAGE_BOTH, STAGE_SMS, STAGE_CALL, STAGE_ENDED, STAGE_LATER], default="")
    return _answer(pd.Series(stage, dtype=object).where(~bad, UNREADABLE).tolist(), shape)


@xw.func
@xw.arg("policies", ndim=2)
@xw.arg("sales", ndim=2)
@xw.arg("claims", ndim=2)
@xw.arg("settings", ndim=2)
@xw.arg("contacts", ndim=2)
def INS_KPI(key: str, month: object, policies: Cells, sales: Cells, claims: Cells, settings: Cells,
            as_of: object, contacts: Cells | None = None) -> object:
    """看板的一个指标（kpi --json 的键，如 renewal_rate、premium_commercial，或台数 sold、lost…）。"""
    from ..core.kpi import COUNT_KEYS, MONEY_KEYS, RATE_KEYS, monthly_kpis

    if key not in (*RATE_KEYS, *MONEY_KEYS, *COUNT_KEYS):
        raise ValueError(f"未知的指标 {key!r}，可用：{', '.join((*RATE_KEYS, *MONEY_KEYS, *COUNT_KEYS))}")
    month_key = parse_month(reader_text(month))
    tables = {"policies": policies, "sales": sales, "claims": claims}
    if contacts is not None:
        tables["contacts"] = contacts
    reads = [read_grid(cell_grid(_rows(cells)), "", REGISTERS[k].sheet, register=k) for k, cells in tables.items()]
    registers = assemble([r for r in reads if r is not None], [], "")
    payload = monthly_kpis(registers, Context(_settings(settings), _day(as_of, "评估日期")), month_key).to_json()
    value = payload["counts"][key] if key in COUNT_KEYS else payload[key]
    return "" if value is None else value


def parse_month(text: object) -> str:
    month = parse_month_text(text) if isinstance(text, str) else None
    if not isinstance(month, str):
        raise ValueError(f"月份应为 YYYY-MM，实际为 {text!r}")
    return month


@xw.func
@xw.arg("phone", ndim=2)
def INS_MASK_PHONE(phone: Cells) -> list[list[object]]:
    """手机号脱敏：138****5678（对外发送的表格用）。"""
    return _masked(phone, mask_phone)


@xw.func
@xw.arg("name", ndim=2)
def INS_MASK_NAME(name: Cells) -> list[list[object]]:
    """姓名脱敏：张*。"""
    return _masked(name, mask_name)


@xw.func
@xw.arg("id_number", ndim=2)
def INS_MASK_ID(id_number: Cells) -> list[list[object]]:
    """身份证号脱敏：110***********1234。"""
    return _masked(id_number, mask_id_number)


def _masked(cells: Cells, mask: object) -> list[list[object]]:
    grid = cell_grid(_rows(cells))
    rows = grid.to_numpy(dtype=object).tolist()
    return [["" if pd.isna(v) else mask(v) for v in row] for row in rows]  # type: ignore[operator]
