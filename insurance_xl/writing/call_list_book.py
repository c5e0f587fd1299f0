"""Call-list workbooks: one per clerk, filled in by the clerk, imported back into the 续保跟进记录.

Each workbook has a sheet for SMS and one for calls, soonest policy end first. The sheets are named
after the `contacts` register (续保跟进记录-短信, 续保跟进记录-电话) and carry its headers, so the filled-in
workbook *is* a contacts register: read_store reads it back as contacts rows, the customer details
beside them (客户姓名, 联系电话, 车牌号, 参考报价…) being extra columns. The clerk fills 联系日期 (a date
cell), 结果 and 失败原因 (drop-down lists from registers.py), 报价金额 and 下次联系; 方式 and 出单员 are
filled in. On the phone sheet (a call with a quote, §4.5.3) 报价金额 starts as last year's premiums, for
the clerk to change to the price quoted; it is imported with the rows the clerk filled in (a row with a
联系日期, 结果, 失败原因 or 下次联系), never on its own. 类型 says 到期 / 挽回 / 已脱保 and 上次报价 shows
the last quote given to the customer.

The phone number is shown: a call list is the internal working document of the clerk who must ring
the customer. It is never logged, and the terminal summary of `calls` masks it.

`--out` semantics (README "Renewal call lists"): `--out 续保名单.xlsx` writes 续保名单-<出单员>.xlsx beside
it; `--out DIR` (a folder, or a name without .xlsx) writes DIR/续保提醒-<出单员>-<YYYYMMDD>.xlsx.
Vehicles whose policies name no 出单员 go to the list of 未分配.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..registers import REGISTERS
from ..core.renewals import PHONE, SMS, UNASSIGNED, CallLists
from .sheet import DATE_FORMAT, MONEY_FORMAT, OutColumn, out_column, print_landscape, write_frame, write_title, print_ready
from ..xlsx.save import save_workbook
from ..xlsx.properties import PROPERTY_PREFIX, set_properties

CALL_LIST_KIND = "call-list"
AS_OF_PROPERTY = PROPERTY_PREFIX + "as-of"  # the list's date: a filled row without 联系日期 was contacted then
SHEETS = {SMS: f"{REGISTERS['contacts'].sheet}-短信", PHONE: f"{REGISTERS['contacts'].sheet}-电话"}
TITLES = {SMS: "续保短信提醒", PHONE: "续保电话回访（附报价）"}
FILL_IN = PatternFill("solid", fgColor="FFF2CC")  # the cells the clerk fills in
HINT_FONT = Font(italic=True, color="7F7F7F")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\s]+')


def _policy(key: str) -> OutColumn:
    return out_column(REGISTERS["policies"].column(key))


def _contact(key: str) -> OutColumn:
    return out_column(REGISTERS["contacts"].column(key))


def call_columns() -> list[OutColumn]:
    """What the clerk reads (the customer), then what the clerk fills in (the contacts register)."""
    return [
        _contact("archive_no"),
        _policy("customer"),
        _policy("phone"),
        _policy("plate"),
        _policy("insurer"),
        OutColumn("channel", REGISTERS["policies"].column("channel").header, None, 9),  # to read, not to pick
        _policy("policy_end"),
        OutColumn("days_left", "剩余天数", "0", 9),
        OutColumn("kind", "类型", None, 8),
        OutColumn("last_contact", "上次联系", DATE_FORMAT, 11),
        OutColumn("last_method", "上次方式", None, 9),
        OutColumn("last_outcome", "上次结果", None, 11),
        OutColumn("quote_compulsory", "去年交强险", MONEY_FORMAT, 12),
        OutColumn("quote_commercial", "去年商业险", MONEY_FORMAT, 12),
        OutColumn("quote", "参考报价", MONEY_FORMAT, 12),
        OutColumn("last_quote", "上次报价", MONEY_FORMAT, 12),
        _contact("contact_date"),
        _contact("method"),
        _contact("outcome"),
        _contact("quote_amount"),
        _contact("failure_reason"),
        _contact("quote_amount"),
        _contact("next_date"),
        _contact("clerk"),
    ]


FILL_KEYS = ("contact_date", "method", "outcome", "quote_amount", "failure_reason", "next_date", "clerk")


def safe_name(text: str) -> str:
    return _UNSAFE_NAME.sub("_", text).strip("._") or UNASSIGNED


def call_list_paths(out: str | Path, clerks: list[str], as_of: dt.date) -> dict[str, Path]:
    """Where each clerk's list goes (see the module doc for the --out semantics)."""
    target = Path(out)
    if target.suffix.lower() in (".xlsx", ".xlsm") and not target.is_dir():
        return {c: target.with_name(f"{target.stem}-{safe_name(c)}.xlsx") for c in clerks}
    return {c: target / f"续保提醒-{safe_name(c)}-{as_of:%Y%m%d}.xlsx" for c in clerks}


def _sheet(wb: Workbook, frame: pd.DataFrame, method: str, clerk: str, as_of: dt.date) -> None:
    ws = wb.create_sheet(SHEETS[method])
    columns = call_columns()
    rows = frame.assign(method=method, clerk=None if clerk == UNASSIGNED else clerk,
                        contact_date=pd.NaT, outcome=None, failure_reason=None, next_date=pd.NaT,
                        quote_amount=frame["quote"] if method == PHONE else None)
    write_title(ws, f"{TITLES[method]} · {clerk} · {as_of:%Y-%m-%d} · {len(frame)} 位客户", len(columns))
    ws.cell(row=2, column=1, value="联系后填写黄色列：联系日期、结果（下拉选择）、报价金额、失败原因、下次联系；"
                                   "保存后运行 insurance-xl calls import 本文件 --into 门店台账.xlsx 记入续保跟进记录。"
            ).font = HINT_FONT
    header = 3
    table = f"tbl_{'sms' if method == SMS else 'phone'}"
    end = write_frame(ws, rows, columns, start_row=header, table_name=table if len(rows) else None)
    ws.freeze_panes = ws.cell(row=header + 1, column=2)
    print_landscape(ws, header)
    if rows.empty:  # the title says 0 位客户; a note under the header would read back as a contact
        return
    keys = [c.key for c in columns]
    for key in FILL_KEYS:
        j = keys.index(key) + 1
        for r in range(header + 1, end + 1):
            ws.cell(row=r, column=j).fill = FILL_IN
    for key in ("contact_date", "next_date"):  # Excel refuses anything but a date there
        letter = get_column_letter(keys.index(key) + 1)
        dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                            showErrorMessage=True, errorTitle="请输入日期", error="请输入日期，如 2026-11-24")
        dv.add(f"{letter}{header + 1}:{letter}{end}")
        ws.add_data_validation(dv)


def write_call_list(lists: CallLists, clerk: str, path: str | Path) -> Path:
    """One clerk's call-list workbook (both sheets, even when one is empty)."""
    mine = lists.for_clerk(clerk)
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, mine.sms, SMS, clerk, lists.as_of)
    _sheet(wb, mine.phone, PHONE, clerk, lists.as_of)
    set_properties(wb, {AS_OF_PROPERTY: lists.as_of.isoformat()})
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(print_ready(wb), target, kind=CALL_LIST_KIND)
    return target


def write_call_lists(lists: CallLists, out: str | Path) -> list[Path]:
    """Every clerk's call list; a clerk with nothing due gets none."""
    paths = call_list_paths(out, lists.clerks(), lists.as_of)
    return [write_call_list(lists, clerk, path) for clerk, path in paths.items()]
