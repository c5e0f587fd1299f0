"""Checks of one column or one register at a time: required, allowed values, VINs, duplicates, dates, phones."""
from __future__ import annotations
import re
from collections.abc import Iterable, Iterator
import pandas as pd
from ...findings import Finding, Location
from ...tables import Registers
from ...registers import DATA_REGISTERS, REGISTERS, ROW, SHEET, WORKBOOK, Kind
from ...settings import Context
from .common import ADJUSTMENT, ERROR, WARNING, EVENT_DATES, PAIR_UNIQUE, flag, header, present, row_ref, shown



VIN_PATTERN = r"[A-HJ-NPR-Z0-9]{17}"  # ISO 3779 / GB 16735: I, O, Q never used
_VIN = re.compile(f"^{VIN_PATTERN}$")

_PHONE_NOISE = re.compile(r"[\s\-()（）]")


def check_registers_present(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Every register is looked for by sheet name or headers; one not found is named."""
    for key in tables.missing:
        reg = REGISTERS[key]
        yield Finding(key, "register.missing", WARNING, Location(tables.source, reg.sheet, None),
                      f"未找到登记表「{reg.sheet}」（按工作表名和表头都没有找到），该登记表未校验")


def check_unrecognised_sheets(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A sheet with data that is no register is not read: say so, rather than skip it silently."""
    for workbook, sheet in tables.unrecognised:
        yield Finding("", "sheet.unrecognised", WARNING, Location(workbook, sheet, None),
                      f"工作表「{sheet}」有数据，但表头与任何登记表都不符，未读取也未校验")


def check_required(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Required values (registers.py: required, required-when, one-of) must not be empty."""
    for key in DATA_REGISTERS:
        reg, table = REGISTERS[key], tables[key]
        if table.empty:
            continue
        for col in reg.columns:
            if not (col.required or col.required_if):
                continue
            mask = table[col.key].isna() & present(tables, key, col.key)
            why = "此项必填"
            if col.required_if:
                other, value = col.required_if
                mask &= table[other] == value
                why = f"「{header(key, other)}」为「{value}」时必填"
            yield from flag(tables, key, mask, col.key, "required.missing", ERROR,
                            lambda row, h=col.header, w=why: f"「{h}」为空：{w}")
        for group in reg.one_of:
            empty = pd.concat([table[k].isna() for k in group], axis=1).all(axis=1)
            has = pd.concat([present(tables, key, k) for k in group], axis=1)
            names = "、".join(f"「{header(key, k)}」" for k in group)
            for i, k in enumerate(group):  # located at the first of the group the sheet has
                here = has.iloc[:, i] & ~has.iloc[:, :i].any(axis=1)
                yield from flag(tables, key, empty & here, k, "required.plate_or_vin", ERROR,
                                lambda row, n=names: f"{n}都为空：至少填写一项，才能确定是哪辆车")
        for group, (other, value) in reg.one_of_if:
            # DOMAIN.md: a 本店 row needs a policy number — 保单号, 交强险保单号 or 商业险保单号
            empty = pd.concat([table[k].isna() for k in group], axis=1).all(axis=1) & table[other].eq(value)
            has = pd.concat([present(tables, key, k) for k in group], axis=1)
            names = "、".join(f"「{header(key, k)}」" for k in group)
            why = f"「{header(key, other)}」为「{value}」时"
            for i, k in enumerate(group):
                here = has.iloc[:, i] & ~has.iloc[:, :i].any(axis=1)
                yield from flag(tables, key, (empty & here).fillna(False).astype(bool), k, "required.missing", ERROR,
                                lambda row, n=names, w=why: f"{n}都为空：{w}至少填写一项")


def check_allowed_values(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Choice columns hold one of their listed values (渠道, 业务类型, 三者险保额, 方式, 结果…)."""
    for key in DATA_REGISTERS:
        table = tables[key]
        for col in REGISTERS[key].columns:
            if col.kind is not Kind.CHOICE or col.amount_tier or table.empty:
                continue
            mask = table[col.key].notna() & ~table[col.key].isin(col.choices)
            allowed = "、".join(col.choices)
            yield from flag(tables, key, mask, col.key, "value.not_allowed", ERROR,
                            lambda row, c=col, a=allowed: f"「{c.header}」的值「{row[c.key]}」不在允许范围内，应为：{a}")


def check_third_party_tiers(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """三者险保额 is one of the limits insurers sell (thresholds.third_party_tiers, DOMAIN.md register 2)."""
    tiers = list(ctx.thresholds.third_party_tiers)
    allowed = "、".join(tiers)
    for key in DATA_REGISTERS:
        table = tables[key]
        for col in REGISTERS[key].columns:
            if not col.amount_tier or table.empty:
                continue
            mask = table[col.key].notna() & ~table[col.key].isin(tiers)
            yield from flag(tables, key, mask, col.key, "value.not_allowed", ERROR,
                            lambda row, c=col: f"「{c.header}」的值「{row[c.key]}」不是保险公司销售的档次，应为：{allowed}")


def check_negative_amounts(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Premiums, commission and every other amount (and quantity) are never negative."""
    for key in DATA_REGISTERS:
        table = tables[key]
        for col in REGISTERS[key].columns:
            if col.kind not in (Kind.MONEY, Kind.INT) or table.empty:
                continue
            mask = table[col.key] < 0
            if key in ADJUSTMENT:
                mask &= table[ADJUSTMENT[key]].isna()
            yield from flag(tables, key, mask, col.key, "amount.negative", ERROR,
                            lambda row, c=col: f"「{c.header}」为负数：{shown(key, c.key, row[c.key])}，应为 0 或正数")


def check_vins(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A VIN has 17 characters, digits and letters except I, O and Q."""
    for key in ("sales", "policies"):
        vin = tables[key]["vin"]
        mask = vin.notna() & ~vin.fillna("").str.match(_VIN)
        yield from flag(tables, key, mask, "vin", "vin.invalid", ERROR, _vin_message)


def _vin_message(row: pd.Series) -> str:
    vin = str(row["vin"])
    if len(vin) != 17:
        return f"车架号「{vin}」有 {len(vin)} 位：应为 17 位"
    bad = "、".join(sorted({ch for ch in vin if not re.match(r"[A-HJ-NPR-Z0-9]", ch)}))
    return f"车架号「{vin}」含有不允许的字符 {bad}：车架号由数字和字母组成，不用 I、O、Q"


def check_duplicates(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """Unique identifiers (保单号, 报案号, 车架号 in sales) appear once; the finding names both rows."""
    for key in DATA_REGISTERS:
        for unique in REGISTERS[key].unique if len(tables[key]) else ():
            yield from _duplicates(tables, key, (unique,), f"{key}.duplicate_{unique}")
    for key, (columns, rule) in PAIR_UNIQUE.items():
        yield from _duplicates(tables, key, columns, rule)


def _duplicates(tables: Registers, register: str, columns: tuple[str, ...], rule: str) -> Iterator[Finding]:
    table = tables[register]
    if table.empty:
        return
    filled = table[list(columns)].notna().all(axis=1)
    if register in ADJUSTMENT and (columns, rule) == PAIR_UNIQUE.get(register):
        filled &= table[ADJUSTMENT[register]].isna()
    dup = filled & table[filled].duplicated(list(columns), keep=False).reindex(table.index, fill_value=False)
    if not dup.any():
        return
    rows = table.loc[dup, [*columns, WORKBOOK, SHEET, ROW]]
    groups: dict[tuple, list] = {}
    for index, value in zip(rows.index, zip(*(rows[c] for c in columns))):
        groups.setdefault(value, []).append(index)
    later = rows[rows.duplicated(list(columns), keep="first")]
    what = "、".join(f"「{header(register, c)}」" for c in columns)
    for loc, (index, row) in zip(tables.locations(register, later, columns[0]), later.iterrows()):
        others = [i for i in groups[tuple(row[c] for c in columns)] if i != index]
        related = tuple(row_ref(table, i) for i in others)
        where = "、".join(f"第{r.row}行" if r.sheet == loc.sheet and r.workbook == loc.workbook
                         else f"{r.sheet} 第{r.row}行" for r in related)
        shown_value = " / ".join(shown(register, c, row[c]) for c in columns)
        yield Finding(register, rule, ERROR, loc,
                      f"{what}「{shown_value}」重复：与{where}相同，每个只能登记一次", related=related,
                      key=columns[0])


def check_dates_not_after_as_of(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """An 出单日期 (or any date of something already done) later than as-of is probably a typo."""
    as_of = pd.Timestamp(ctx.as_of)
    for key, columns in EVENT_DATES.items():
        for col in columns if len(tables[key]) else ():
            mask = tables[key][col] > as_of
            yield from flag(tables, key, mask, col, "date.after_as_of", WARNING,
                            lambda row, k=key, c=col: f"「{header(k, c)}」{shown(k, c, row[c])} 晚于校验基准日 "
                                                      f"{as_of:%Y-%m-%d}：请核对是否录错")


def check_phone_numbers(tables: Registers, ctx: Context) -> Iterable[Finding]:
    """A mobile number has 11 digits *(config)*; anything else cannot get the renewal SMS."""
    digits = ctx.thresholds.phone_digits
    for key in DATA_REGISTERS:
        if "phone" not in REGISTERS[key].keys or tables[key].empty:
            continue
        phone = tables[key]["phone"]
        cleaned = phone.fillna("").str.replace(_PHONE_NOISE, "", regex=True)
        mask = phone.notna() & ~cleaned.str.fullmatch(rf"\d{{{digits}}}")
        yield from flag(tables, key, mask, "phone", "phone.wrong_length", WARNING,
                        lambda row, k=key: f"联系电话「{shown(k, 'phone', row['phone'])}」不是 {digits} 位手机号码"
                                           f"（{_digit_count(row['phone'])} 位数字）")


def _digit_count(value: str) -> int:
    return sum(ch.isdigit() for ch in str(value))
