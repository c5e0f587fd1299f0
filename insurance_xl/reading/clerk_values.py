"""Parse the values clerks type (DOMAIN.md "Reading what clerks really type").

Every parser takes a column of cell texts (NaN = empty cell) and returns the typed column and a
boolean mask of cells that held something but could not be read: those become empty values and
the reader reports each of them. Work is done once per distinct text, so a five-year register
with a few thousand distinct dates costs a few thousand parses, not a hundred thousand.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..core.texts import SPACE, arrow_texts, fold, fold_texts, id_keys
from ..registers import Column, Kind
from ..xlsx.grids import INVISIBLE
from ..xlsx.parts import EXCEL_EPOCH

EARLIEST, LATEST = dt.date(1950, 1, 1), dt.date(2100, 12, 31)  # outside: a typo, not a date
_NOTHING = {"-", "--", "—", "——", "/", "无", "n/a", "na", "空"}  # clerks' ways of writing "none"

_DATE_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:\.0+)?$")
_SERIAL = re.compile(r"^-?\d+(?:\.\d+)?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:[-/.]\s*\d{1,2}\s*日?)?(?:[\sT]+\d{1,2}:\d{2}(?::\d{2})?)?$")
_MONTH_COMPACT = re.compile(r"^(\d{4})(\d{2})$")
# The forms most dates come in, read in one vectorised pass (RE2, ASCII digits). Each is a form
# _DATE_YMD, _DATE_COMPACT or _SERIAL reads, with nothing for fold() to change, so the pass reads
# them as parse_date_text does; any other text goes to parse_date_text.
_COMMON_DATES = (r"^(?P<year>\d{4})[-/.年](?P<month>\d{1,2})[-/.月](?P<day>\d{1,2})(?:日| \d{2}:\d{2}:\d{2})?$",
                 r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})$")
_COMMON_SERIAL = r"^\d{1,6}$"
_MONEY_NOISE = "[¥$, \t\r\n\f\v]|元|rmb|cny|人民币"
_YES = {"是", "y", "yes", "√", "✓", "✔", "true", "1", "对", "有", "已签", "已签字"}
_NO = {"否", "n", "no", "×", "✗", "✘", "x", "false", "0", "无", "未签", "未签字"}


def _per_distinct(texts: pd.Series, parse: Callable[[str], object]) -> tuple[pd.Series, pd.Series]:
    """Apply `parse` once per distinct text; it returns a value, None (empty) or _BAD."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    parsed = [parse(u) for u in np.asarray(uniques, dtype=object)]  # iterating Arrow arrays is slow
    # one extra slot at the end: code -1 (an empty cell) picks it
    values = np.array([None if p is _BAD else p for p in parsed] + [None], dtype=object)
    bad = np.array([p is _BAD for p in parsed] + [False], dtype=bool)
    return pd.Series(values[codes], index=texts.index), pd.Series(bad[codes], index=texts.index)


class _Bad:
    def __repr__(self) -> str:
        return "<unreadable>"


_BAD = _Bad()


def parse_date_text(text: str) -> dt.date | None | _Bad:
    t = fold(text)
    if not t or t.lower() in _NOTHING:
        return None
    m = _DATE_YMD.match(t) or _DATE_COMPACT.match(t)
    try:
        if m:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        elif _SERIAL.match(t):
            day = EXCEL_EPOCH + dt.timedelta(days=int(float(t)))
        else:
            return _BAD
    except (ValueError, OverflowError):
        return _BAD
    return day if EARLIEST <= day <= LATEST else _BAD


def parse_month_text(text: str) -> str | None | _Bad:
    t = fold(text)
    if not t or t.lower() in _NOTHING:
        return None
    m = _MONTH.match(t) or _MONTH_COMPACT.match(t)
    if m and 1 <= int(m[2]) <= 12 and EARLIEST.year <= int(m[1]) <= LATEST.year:
        return f"{int(m[1]):04d}-{int(m[2]):02d}"
    day = parse_date_text(t)
    return day.strftime("%Y-%m") if isinstance(day, dt.date) else _BAD


def parse_yesno_text(text: str) -> bool | None | _Bad:
    t = fold(text).lower()
    if not t:
        return None
    if t in _YES:
        return True
    if t in _NO:
        return False
    return _BAD


def parse_dates(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates: the common forms in one vectorised pass, the others one distinct text at a time."""
    common, read = _common_dates(fold_texts(texts))
    bad = read & ~((common >= np.datetime64(EARLIEST)) & (common <= np.datetime64(LATEST)))  # NaT: not a day
    common[bad] = np.datetime64("NaT")
    days = common.astype("datetime64[ns]")  # in range now: no overflow
    rest = texts.notna().to_numpy(dtype=bool) & ~read
    if rest.any():
        values, odd = _per_distinct(texts[rest], parse_date_text)
        days[rest] = pd.to_datetime(values).astype("datetime64[ns]").to_numpy()
        bad[rest] = odd.to_numpy(dtype=bool)
    return pd.Series(days, index=texts.index), pd.Series(bad, index=texts.index)


def _common_dates(folded: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The days of the cells in a common form (NaT where that is no day), and which cells those are."""
    texts = arrow_texts(folded)
    days = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[D]")  # years 0-9999 and more
    read = np.zeros(len(texts), dtype=bool)
    for pattern in _COMMON_DATES:
        parts = pc.extract_regex(texts, pattern)
        hit = parts.is_valid().to_numpy(zero_copy_only=False) & ~read
        if hit.any():
            found = parts.filter(pa.array(hit))
            days[hit] = _ymd_days(*(pc.cast(found.field(key), pa.int64()).to_numpy() for key in ("year", "month", "day")))
            read |= hit
    serial = pc.fill_null(pc.match_substring_regex(texts, _COMMON_SERIAL), False).to_numpy(zero_copy_only=False) & ~read
    if serial.any():
        numbers = pc.cast(texts.filter(pa.array(serial)), pa.int64()).to_numpy()
        days[serial] = np.datetime64(EXCEL_EPOCH, "D") + numbers.astype("timedelta64[D]")
        read |= serial
    return days, read


def _ymd_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Year, month and day numbers as days (NaT where they name no day, e.g. 2月30日), in numpy:
    pandas' to_datetime from a frame of parts costs milliseconds even for a few cells."""
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (year <= 9999)
    months = (year - 1970) * 12 + np.where(valid, month - 1, 0)
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[M]").astype("datetime64[D]") - first).astype("int64")
    valid &= day <= length
    return np.where(valid, first + np.where(valid, day - 1, 0).astype("timedelta64[D]"), np.datetime64("NaT", "D"))


def parse_months(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    values, bad = _per_distinct(texts, parse_month_text)
    return values.astype("str").where(values.notna()), bad


def parse_yesno(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    values, bad = _per_distinct(texts, parse_yesno_text)
    return values.astype("boolean"), bad


def parse_money(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts as numbers, '1,234.50', '¥1234', '1234元', full-width digits; kept to the fen."""
    plain = _plain_amounts(texts)
    if plain is not None:
        return plain
    present = texts.notna()
    cleaned = fold_texts(texts).str.lower().str.replace(_MONEY_NOISE, "", regex=True)
    # (123.45) is how accounting formats write a negative amount
    cleaned = cleaned.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    nothing = cleaned.isin(_NOTHING) | (cleaned == "")
    numbers = pd.to_numeric(cleaned.where(~nothing), errors="coerce").astype("float64")
    with np.errstate(over="ignore", invalid="ignore"):
        numbers = numbers.round(2)  # to the fen; 1e308 overflows to infinity here, and is unreadable
    numbers = numbers.where(np.isfinite(numbers))
    bad = present & ~nothing & numbers.isna()
    return numbers, bad.fillna(False).astype(bool)


_PLAIN_AMOUNT = r"^-?\d{1,15}(?:\.\d{1,9})?$"  # how the file reader gives a number cell


def _plain_amounts(texts: pd.Series) -> tuple[pd.Series, pd.Series] | None:
    """parse_money's answer when every text is a plain number (what a column of number cells reads
    as), in three Arrow calls; None when any text needs parse_money's cleaning."""
    array = arrow_texts(texts)
    if pc.all(pc.match_substring_regex(array, _PLAIN_AMOUNT)).as_py() is False:  # (None: no text at all)
        return None
    numbers = np.round(pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False), 2)
    return pd.Series(numbers, index=texts.index), pd.Series(np.zeros(len(texts), dtype=bool), index=texts.index)


# Below this size an amount a workbook holds as a number is read as a number (money_numbers)
NUMBER_AMOUNTS = 1e15


def money_numbers(numbers: np.ndarray) -> np.ndarray:
    """Amounts a workbook holds as numbers (finite, smaller than NUMBER_AMOUNTS), to the fen: what
    parse_money makes of their texts (reader_text), without writing them out and reading them back."""
    return np.round(numbers, 2)


def parse_ints(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    numbers, bad = parse_money(texts)
    # a fraction, or beyond what a 64-bit integer holds, is not a count
    fractional = numbers.notna() & ((numbers != numbers.round(0)) | (numbers.abs() >= 2.0**63))
    ints = numbers.where(~fractional).astype("Int64")
    return ints, bad | fractional


def parse_text(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Free text: kept as typed (Chinese, line breaks), surrounding whitespace removed."""
    stripped = texts.str.replace("\r\n", "\n", regex=False).str.strip()
    return stripped.where(stripped != ""), pd.Series(False, index=texts.index)


def parse_ids(texts: pd.Series, upper: bool = False) -> tuple[pd.Series, pd.Series]:
    """Identifiers: full-width folded, spaces removed where case-insensitive, never a number."""
    return id_keys(texts, upper), pd.Series(False, index=texts.index)


def parse_choices(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Choice values are compared after folding; a value outside the list is kept for validation."""
    folded = fold_texts(texts).str.replace(SPACE + "+", "", regex=True)
    return folded.where(folded != ""), pd.Series(False, index=texts.index)


_WAN = 10_000
_TIER_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?)(万)?(?:元)?$")


def parse_amount_tiers(texts: pd.Series) -> tuple[pd.Series, pd.Series]:
    """三者险保额 (DOMAIN.md register 2): a plain amount reads as its tier — 2000000, 2,000,000元,
    200万元 and 200 (already in 万) all read as 200万; 100万以上 and other texts stay as typed."""
    folded, bad = parse_choices(texts)
    plain = folded.str.replace(",", "", regex=False).str.match(_TIER_AMOUNT.pattern).fillna(False).astype(bool)
    if not plain.any():
        return folded, bad
    parts = folded[plain].str.replace(",", "", regex=False).str.extract(_TIER_AMOUNT.pattern)
    amount = parts[0].astype("float64")
    in_wan = parts[1].notna() | (amount < _WAN)  # 200 or 200万: 万 already; 2000000: yuan
    wan = amount.where(in_wan, amount / _WAN)
    whole = wan == wan.round(0)
    tiers = wan.round(0).astype("int64").astype("str") + "万"
    folded = folded.copy()
    folded[whole[whole].index] = tiers[whole]
    return folded, bad


def parse_column(texts: pd.Series, column: Column) -> tuple[pd.Series, pd.Series]:
    kind = column.kind
    if kind is Kind.DATE:
        return parse_dates(texts)
    if kind is Kind.MONEY:
        return parse_money(texts)
    if kind is Kind.INT:
        return parse_ints(texts)
    if kind is Kind.YESNO:
        return parse_yesno(texts)
    if kind is Kind.MONTH:
        return parse_months(texts)
    if kind is Kind.ID:
        return parse_ids(texts, column.upper)
    if kind is Kind.CHOICE:
        return parse_amount_tiers(texts) if column.amount_tier else parse_choices(texts)
    return parse_text(texts)


EXPECTED = {
    Kind.DATE: "日期（如 2026-10-01、2026/10/1、2026年10月1日、20261001）",
    Kind.MONEY: "金额（如 1234.50、1,234.50、¥1234、1234元）",
    Kind.INT: "整数",
    Kind.YESNO: "是/否（也可写 Y/N、√/×、TRUE/FALSE）",
    Kind.MONTH: "月份（如 2026-10、2026年10月）",
}

KIND_RULE = {
    Kind.DATE: "read.not_a_date",
    Kind.MONEY: "read.not_a_number",
    Kind.INT: "read.not_an_integer",
    Kind.YESNO: "read.not_yes_no",
    Kind.MONTH: "read.not_a_month",
}


_INVISIBLE = re.compile(INVISIBLE)


def reader_text(value: object) -> object:
    """One cell from a Python source (xlwings, openpyxl) as the text the reader parses.

    Mirrors what the Rust reader yields, so values read from an open Excel book parse exactly
    like values read from the file: integral floats lose '.0' (phone 13996030824.0 → '13996030824'),
    dates become ISO text, booleans 'true'/'false', empty cells NaN; characters nobody sees
    (grids.INVISIBLE) removed, as the file reader removes them.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else repr(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = _INVISIBLE.sub("", str(value))
    return text if text.strip() else np.nan
