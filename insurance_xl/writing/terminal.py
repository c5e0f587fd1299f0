"""Results as lines for a terminal: CJK-aware padding, percentages, empty cells shown as nothing."""
from __future__ import annotations

import pandas as pd


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal where CJK characters take two columns."""
    used = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(width - used, 1)


def shown(value: object) -> str:
    """A cell for a terminal line: empty (None, NaN, NA) as nothing, never as 'nan'."""
    return "" if value is None or (not isinstance(value, str) and bool(pd.isna(value))) else str(value)


def describe_sending(result) -> list[str]:
    """One line per recipient of a mail.SendResult."""
    words = {"sent": "已发送", "drafted": "已写入发件箱（待发送）", "skipped": "此前已发送或已写入发件箱，不再重复",
             "failed": "发送失败"}
    return [f"{words[d.status]} {d.recipient} {d.detail}".rstrip() for d in result.deliveries]
