"""`calls import`: the contacts a clerk filled into a call list, appended to the store's 续保跟进记录.

A filled row is one where the clerk entered a 联系日期, a 结果, a 失败原因 or a 下次联系. A row with a
result but no date was contacted on the list's day (the date the list was made for). Rows that cannot
be recorded (an unreadable date, a value outside its drop-down list, no 档案编号 or 方式) are reported
with their sheet and row and left out; the others are appended through edit.append_register_rows
(backup, lock-file refusal, atomic replace, nothing else in the store touched).

Importing twice adds nothing: a contact is identified by 档案编号 + 联系日期 + 方式 + 结果, and one
already in the store (or twice in the list) is not added again. Two calls the same day with different
results are two contacts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..writing.call_list_book import AS_OF_PROPERTY, CALL_LIST_KIND
from ..writing.append import append_register_rows, read_register
from ..errors import InsuranceXlError, WorkbookUnreadable
from ..findings import Finding, Severity
from ..reading.store import read_store, workbook_files
from ..xlsx.properties import output_kind, read_properties
from ..xlsx.save import workbook_lock
from ..registers import CONTACT_METHODS, FAILURE_REASONS, OUTCOMES, REGISTERS, ROW, SHEET

CONTACT_IDENTITY = ("archive_no", "contact_date", "method", "outcome")
_FILLED_BY_CLERK = ("contact_date", "outcome", "failure_reason", "next_date")  # 报价金额 comes pre-filled: not a contact alone
_CHOICES = {"method": CONTACT_METHODS, "outcome": OUTCOMES, "failure_reason": FAILURE_REASONS}


@dataclass(frozen=True)
class ImportResult:
    store: Path
    sheet: str
    added: pd.DataFrame  # the contacts appended; `_row` is their Excel row in the store
    already: int  # filled rows the store already holds (an earlier import)
    problems: list[Finding] = field(default_factory=list)  # filled rows left out, and why
    backup: Path | None = None


def contact_keys(table: pd.DataFrame) -> pd.Series:
    """A contact's identity: 档案编号 + 联系日期 + 方式 + 结果, as one comparable text."""
    date = table["contact_date"].dt.strftime("%Y-%m-%d")
    parts = [table["archive_no"], date, table["method"], table["outcome"]]
    return pd.concat([p.astype("str").fillna("") for p in parts], axis=1).agg("|".join, axis=1)


def list_date(path: Path) -> dt.date | None:
    """The date a call list was made for (stamped by calls_book), None for another workbook."""
    try:
        return dt.date.fromisoformat(read_properties(path).get(AS_OF_PROPERTY, ""))
    except ValueError:
        return None


def filled_contacts(path: str | Path) -> tuple[pd.DataFrame, list[Finding]]:
    """The contacts rows a clerk filled in, ready to append, and the filled rows that cannot be."""
    source = Path(path)
    registers = read_store(source)
    if not any(lay.register == "contacts" for lay in registers.layouts):
        raise WorkbookUnreadable(source, f"不是续保提醒名单：没有「{REGISTERS['contacts'].sheet}」表头")
    table = registers["contacts"]
    # a cell the reader could not read was typed in by the clerk too: the row is filled, and refused
    unreadable = {(f.location.sheet, f.location.row) for f in registers.findings if f.register == "contacts"}
    bad_cells = pd.Series([(s, r) in unreadable for s, r in zip(table[SHEET], table[ROW])], index=table.index,
                          dtype=bool)
    filled = table[table[list(_FILLED_BY_CLERK)].notna().any(axis=1) | bad_cells].copy()
    bad = bad_cells[filled.index]
    problems: list[Finding] = []

    def refuse(rows: pd.DataFrame, rule: str, key: str, message: str) -> None:
        for (_, row), loc in zip(rows.iterrows(), registers.locations("contacts", rows, key)):
            problems.append(Finding("contacts", rule, Severity.ERROR, loc, message.format(**row.to_dict())))

    refuse(filled[bad], "calls.unreadable", "", "有无法识别的值（见读取提示），此行未导入")
    filled = filled[~bad]
    day = list_date(source)
    if day is not None:
        filled["contact_date"] = filled["contact_date"].fillna(pd.Timestamp(day))
    for key, rule, message in (
        ("archive_no", "calls.no_archive", "缺少档案编号，此行未导入"),
        ("contact_date", "calls.no_date", "填写了结果但缺少联系日期，此行未导入"),
        ("method", "calls.no_method", "缺少联系方式（短信/电话），此行未导入"),
    ):
        missing = filled[key].isna()
        refuse(filled[missing], rule, key, message)
        filled = filled[~missing]
    for key, choices in _CHOICES.items():
        wrong = filled[key].notna() & ~filled[key].isin(choices)
        header = REGISTERS["contacts"].column(key).header
        refuse(filled[wrong], "calls.bad_choice", key, f"「{header}」应为 {'、'.join(choices)} 之一：{{{key}}}，此行未导入")
        filled = filled[~wrong]
    return filled.reset_index(drop=True), problems


def store_workbook(path: str | Path) -> Path:
    """The workbook to import into: the path itself, or the workbook of a folder holding 续保跟进记录."""
    root = Path(path)
    if not root.is_dir():
        return root
    for file in workbook_files(root):
        if read_register(file, "contacts").layout is not None:
            return file
    raise WorkbookUnreadable(root, f"文件夹中没有「{REGISTERS['contacts'].sheet}」，请用 --into 指定要写入的工作簿")


def import_call_list(filled: str | Path, into: str | Path, *, now: dt.datetime | None = None) -> ImportResult:
    """Append the filled-in contacts of a call list to the store's 续保跟进记录 (idempotent)."""
    source, store = Path(filled), store_workbook(into)
    if source.resolve() == store.resolve():
        raise InsuranceXlError(f"{store} 既是名单又是门店台账：--into 应为门店台账工作簿")
    if store.exists() and output_kind(store) == CALL_LIST_KIND:
        raise InsuranceXlError(f"{store} 是续保提醒名单，不是门店台账：--into 应为门店台账工作簿")
    rows, problems = filled_contacts(source)
    with workbook_lock(store):  # what is already there is read again after any other import landed
        return _import_rows(rows, problems, store, now)


def _import_rows(rows: pd.DataFrame, problems: list[Finding], store: Path, now: dt.datetime | None) -> ImportResult:
    existing = read_register(store, "contacts")
    keys = contact_keys(rows) if len(rows) else pd.Series(dtype="str")
    known = set(contact_keys(existing.table)) if len(existing.table) else set()
    fresh = rows[~keys.isin(known).to_numpy(dtype=bool) & ~keys.duplicated().to_numpy(dtype=bool)]
    already = len(rows) - len(fresh)
    columns = list(REGISTERS["contacts"].keys)
    if fresh.empty:
        return ImportResult(store, existing.sheet, fresh.loc[:, columns], already, problems)
    result = append_register_rows(store, "contacts", fresh.loc[:, columns], now=now)
    added = fresh.loc[:, columns].reset_index(drop=True).assign(_row=list(result.rows))
    return ImportResult(store, result.sheet, added, already, problems, result.backup)
