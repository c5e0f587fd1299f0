"""Findings: data problems located to the cell (STYLE.md: values, not exceptions)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    workbook: str  # file name as given (relative to the folder read)
    sheet: str
    row: int | None  # Excel row as the clerk sees it (1-based); None for a whole sheet
    column: str = ""  # header as the clerk wrote it
    cell: str = ""  # A1-style reference, when the column exists in the sheet

    def __str__(self) -> str:
        where = f"{self.workbook} · {self.sheet}"
        if self.row is not None:
            where += f" · 第{self.row}行"
        if self.column:
            where += f" · {self.column}"
        return where


@dataclass(frozen=True)
class Finding:
    register: str
    rule: str  # stable code, e.g. "policy.end_before_start"
    severity: Severity
    location: Location
    message: str  # Chinese, for the clerk, with the value found
    related: tuple[Location, ...] = field(default=())  # e.g. the other row of a duplicate
    key: str = field(default="", compare=False)  # column key in registers.py ('' = whole row)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict:
        loc = self.location
        return {
            "register": self.register,
            "sheet": loc.sheet,
            "row": loc.row,
            "column": loc.column,
            "severity": self.severity.value,
            "rule": self.rule,
            "message": self.message,
            "workbook": loc.workbook,
            "cell": loc.cell,
        }

    def __str__(self) -> str:
        return f"{self.location}: [{self.rule}] {self.message}"
