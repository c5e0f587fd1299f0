"""The 首保跟进 list (DOMAIN.md rev 2 "KPIs", seed §4.5.1: 新车订单确定后…及时敲定车险保单): own-brand
cars sold in the last days with no 本店 新保 policy yet, per salesperson, the longest waiting first.
Written beside the call lists by `calls --out` and by the 续保名单 button. Like the call lists it shows
the phone number: it is the working document of the people who must ring the customer."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from ..core.first_insurance import FOLLOW_UP_COLUMNS
from ..outputs import FIRST_INSURANCE_SHEET
from ..registers import REGISTERS
from ..xlsx.save import save_workbook
from .sheet import OutColumn, out_column, print_landscape, write_frame, write_title

FIRST_INSURANCE_KIND = "first-insurance-list"
TITLE = "首保跟进（新车未在本店投保）"


def follow_up_columns() -> list[OutColumn]:
    sales = REGISTERS["sales"]
    columns = []
    for key in FOLLOW_UP_COLUMNS:
        if key == "days_since_sale":
            columns.append(OutColumn(key, "售出天数", "0", 9))
        elif key == "clerk":
            columns.append(OutColumn(key, REGISTERS["policies"].column("clerk").header, None, 9))
        else:
            column = out_column(sales.column(key))
            columns.append(OutColumn(column.key, column.header, column.number_format, column.width))  # to read
    return columns


def follow_up_title(frame: pd.DataFrame, as_of: dt.date, days: int) -> str:
    return f"{TITLE} · 近 {days} 天售出 · {as_of:%Y-%m-%d} · {len(frame)} 台"


def follow_up_path(out: str | Path, as_of: dt.date) -> Path:
    """Beside the call lists: FILE-首保跟进.xlsx for `--out FILE.xlsx`, DIR/首保跟进-<date>.xlsx for a folder."""
    target = Path(out)
    if target.suffix.lower() in (".xlsx", ".xlsm") and not target.is_dir():
        return target.with_name(f"{target.stem}-{FIRST_INSURANCE_SHEET}.xlsx")
    return target / f"{FIRST_INSURANCE_SHEET}-{as_of:%Y%m%d}.xlsx"


def write_follow_up(frame: pd.DataFrame, path: str | Path, as_of: dt.date, days: int) -> Path:
    columns = follow_up_columns()
    wb = Workbook()
    ws = wb.active
    ws.title = FIRST_INSURANCE_SHEET
    write_title(ws, follow_up_title(frame, as_of, days), len(columns))
    write_frame(ws, frame, columns, start_row=3, table_name="tbl_first_insurance" if len(frame) else None)
    print_landscape(ws, 3)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, target, kind=FIRST_INSURANCE_KIND)
    return target
