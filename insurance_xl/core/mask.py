"""Personal data masking (§4.8.1, §4.9.3): what leaves the store shows no full name, phone,
ID number or bank account. Forms from ARCHITECTURE.md: 138****5678, 110***********1234,
6222 **** 1234, 张*."""
from __future__ import annotations

import re

import pandas as pd

from ..registers import REGISTERS, Pii

_DIGITS = re.compile(r"\D")


def mask_phone(value: str) -> str:
    digits = _DIGITS.sub("", value)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(value: str) -> str:
    text = re.sub(r"\s", "", value)
    if len(text) < 8:
        return "*" * len(text)
    return f"{text[:3]}{'*' * (len(text) - 7)}{text[-4:]}"


def mask_bank_account(value: str) -> str:
    digits = re.sub(r"\s", "", value)
    if len(digits) < 9:
        return "*" * len(digits)
    return f"{digits[:4]} **** {digits[-4:]}"


def mask_name(value: str) -> str:
    text = value.strip()
    return f"{text[0]}{'*' * max(len(text) - 1, 1)}" if text else text


MASKS = {Pii.PHONE: mask_phone, Pii.ID_NUMBER: mask_id_number, Pii.BANK: mask_bank_account, Pii.NAME: mask_name}


def mask_value(value: object, pii: Pii) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    return MASKS[pii](str(value))


def mask_series(values: pd.Series, pii: Pii) -> pd.Series:
    """Masked once per distinct value."""
    present = values.dropna().astype(str)
    mapping = {v: MASKS[pii](v) for v in present.unique()}
    return values.map(mapping).where(values.notna()).astype("str")


def mask_table(table: pd.DataFrame, register_key: str) -> pd.DataFrame:
    """A copy of a register table with every personal-data column masked."""
    masked = table.copy()
    for col in REGISTERS[register_key].columns:
        if col.pii and col.key in masked.columns:
            masked[col.key] = mask_series(masked[col.key], col.pii)
    return masked


PII_BY_KEY = {"customer": Pii.NAME, "phone": Pii.PHONE, "id_number": Pii.ID_NUMBER, "bank_account": Pii.BANK}


def mask_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Mask result frames (call lists, findings) by their column keys."""
    masked = frame.copy()
    for key, pii in PII_BY_KEY.items():
        if key in masked.columns:
            masked[key] = mask_series(masked[key], pii)
    return masked


# Free text (e-mail bodies, log lines): personal data recognised by its shape. An ID number is
# 6 digits, a birth date and 4 more (the last may be X); a bank account 16–19 digits, maybe
# grouped by 4; a mobile number 11 digits starting 13–19. Names have no shape: free text we
# compose must never contain one in the first place.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                         r"(?![0-9A-Za-z])")
_BANK_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{4}(?:[ -]?\d{4}){3}(?:[ -]?\d{1,3})?(?![\dA-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![\dA-Za-z])")


def mask_text(text: str) -> str:
    """Free text with every ID number, bank account and mobile number in it masked."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), text)
    text = _BANK_IN_TEXT.sub(lambda m: mask_bank_account(m.group()), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(_DIGITS.sub("", m.group())[-11:]), text)
