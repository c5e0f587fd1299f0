"""Month arithmetic, defined once: a month is the text `YYYY-MM` (DOMAIN.md "Month M is a calendar
month"); vectorised code counts months as integers since 1970-01 and days as integers since 1970-01-01."""
from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd


def month_of(day: dt.date) -> str:
    """The month a day falls in: 2026-10-05 -> '2026-10'."""
    return f"{day.year:04d}-{day.month:02d}"


def shift_month(month: str, by: int) -> str:
    """The month `by` months after `month` (before, when negative)."""
    return str(pd.Period(month, "M") + by)


def previous_month(as_of: dt.date, back: int = 1) -> str:
    """The month `back` months before the as-of date's month (last month by default)."""
    return str(pd.Period(as_of, "M") - back)


def first_day(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[first day of the month, first day of the next): the half-open range of its timestamps."""
    start = pd.Timestamp(first_day(month))
    return start, start + pd.offsets.MonthBegin(1)


def day_in_month(month: str, day: int) -> dt.date:
    """Day `day` of `month`, clamped to the month's length (the 31st of November is the 30th)."""
    year, mon = int(month[:4]), int(month[5:7])
    return dt.date(year, mon, min(day, calendar.monthrange(year, mon)[1]))


def month_label(month: str) -> str:
    """'2026-10' -> '2026年10月', as reports and e-mails title a month."""
    return f"{month[:4]}年{int(month[5:7])}月"


def month_number(month: str) -> int:
    """Months since 1970-01, the unit every per-month count is indexed by."""
    return int(np.datetime64(month, "M").astype(np.int64))


def day_months(days: np.ndarray) -> np.ndarray:
    """Month numbers of day numbers (NaT stays NaT)."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_ends(months: np.ndarray) -> np.ndarray:
    """Day number of the last day of each month number."""
    return (months + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1


def add_years(days: pd.Series, years: pd.Series) -> pd.Series:
    """Each date `years` calendar years later (29 February becomes 28 February in a common year)."""
    stamps = pd.to_datetime(days)
    year = stamps.dt.year + years.astype("int64")
    month, day = stamps.dt.month, stamps.dt.day
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = day.where(~((month == 2) & (day == 29) & ~leap), 28)
    return pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))


def whole_years_until(start: pd.Series, day: pd.Timestamp) -> pd.Series:
    """The fewest whole years (at least 1) after which each `start` date is on or after `day`."""
    start = pd.to_datetime(start)
    years = (day.year - start.dt.year).clip(lower=1)
    years = years.where(add_years(start, years) >= day, years + 1)
    return years.where(add_years(start, years - 1) < day, years - 1).clip(lower=1)


def date_months(dates: pd.Series) -> np.ndarray:
    """Month numbers of a column of dates (NaT gives the smallest int64, never a real month)."""
    return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype(np.int64)


def text_months(months: pd.Series) -> np.ndarray:
    """Month numbers of a column of 'YYYY-MM' texts (checked as months when read)."""
    return months.to_numpy(dtype="str").astype("datetime64[M]").astype(np.int64)
