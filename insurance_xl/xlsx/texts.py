"""Texts as we put them into cells: XML-safe, formula-looking text kept as text."""
from __future__ import annotations
import datetime as dt
import math
import re
import numpy as np
import pandas as pd


FORMULA_LEAD = ("=", "+", "-", "@")

# Not representable in XML 1.0 (C0 controls but tab, LF, CR; lone surrogates; U+FFFE, U+FFFF): dropped
# when written (SECURITY.md). A workbook holding one would not open.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Excel reads _xHHHH_ in cell text as an escaped character; a clerk's literal '_x0041_' must stay
# literal, so its underscore is escaped the way Excel does it (_x005F_).
_EXCEL_ESCAPE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def python_value(value: object) -> object:
    """A value openpyxl can store: NaN/NA → None, Timestamp → date, numpy scalars → Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if value == value.normalize() else value.to_pydatetime()
    if isinstance(value, np.generic):
        return python_value(value.item())
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return value


def xml_safe_text(text: str) -> str:
    """Text as a cell can hold it: characters XML 1.0 cannot carry dropped."""
    return _ILLEGAL.sub("", text)


def text_for_cell(text: str) -> str:
    """Text as written into a cell: XML-safe, and Excel's _xHHHH_ escapes kept literal."""
    return _EXCEL_ESCAPE.sub(r"_x005F_\1", xml_safe_text(text))


def text_cell_value(value: object) -> object:
    """For write-only sheets: the value with illegal characters dropped (formula-safe via put())."""
    value = python_value(value)
    return text_for_cell(value) if isinstance(value, str) else value
