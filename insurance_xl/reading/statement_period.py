"""The period an insurer's statement says it covers (结算期间：2026年10月), for the wrong-month check.

Text after a period label wins; without one, a year-month in the title or the sheet name counts, but a
full date there does not: it is usually the date the statement was printed.
"""
from __future__ import annotations

import re
import unicodedata

_PERIOD_KEY = re.compile(r"[\u4e00-\u9fff]{0,4}(?:期间|月份|账期|周期|所属期)")
_NEXT_LABEL = re.compile(r"[\u4e00-\u9fff]{2,8}\s*[:：]")
_FULL_DATE = re.compile(r"(\d{4})\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?|(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})\s*(?:年\s*(\d{1,2})\s*月|[./-]\s*(\d{1,2})(?![\d]))")


def detect_period(texts: list[str]) -> tuple[tuple[str, ...], str]:
    """The months a statement says it covers, and the text they were read from.

    Text after a period label (结算期间：2026年10月, 账期 2026.10.01-2026.10.31) wins; without one, a
    year-month in the title (人保财险2026年10月手续费清单) counts, but a full date there does not: it
    is usually the date the statement was printed.
    """
    labelled: list[str] = []
    titled: list[str] = []
    label_text = title_text = ""
    for raw in texts:
        text = unicodedata.normalize("NFKC", raw)
        for match in _PERIOD_KEY.finditer(text):
            rest = text[match.end():].lstrip(" :：")
            nxt = _NEXT_LABEL.search(rest)
            segment = rest[:nxt.start()] if nxt else rest
            months = _months_in(segment, full_dates=True)
            if months:
                labelled.extend(months)
                label_text = label_text or f"{match.group()}：{segment.strip()}"
        if not labelled:
            months = _months_in(_FULL_DATE.sub(" ", text), full_dates=False)
            if months:
                titled.extend(months)
                title_text = title_text or text.strip()
    months = labelled or titled
    return tuple(sorted(set(months))), (label_text if labelled else title_text)


def _months_in(text: str, full_dates: bool) -> list[str]:
    months = []
    if full_dates:
        for m in _FULL_DATE.finditer(text):
            year, month = (m[1], m[2]) if m[1] else (m[4], m[5])
            if 1 <= int(month) <= 12:
                months.append(f"{int(year):04d}-{int(month):02d}")
        text = _FULL_DATE.sub(" ", text)
    for m in _YEAR_MONTH.finditer(text):
        month = m[2] or m[3]
        if 1 <= int(month) <= 12 and 1990 <= int(m[1]) <= 2100:
            months.append(f"{int(m[1]):04d}-{int(month):02d}")
    return months
