"""The 催款清单 workbook: what each insurer owes us, to hand to the insurer's contact (§4.3 step 10).

汇总 first (one line per insurer), then one sheet per insurer with an overdue case: its contact line
from settings (Insurer.contact), the cases oldest first, and totals per band that add up to the
insurer's outstanding total. Then the other money flags, for the desk itself: 结案未交接 (settled, never
handed to the insurer), 核赔退回 (cases to resubmit), 手续费未收回 (write down in full unless 确认函),
三者款待退 (typed or not), 旧件未签收; 汇总 closes with one line per list: how many, how much. No customer names: the list may
leave the store, and the insurer finds a case by its 报案号 and plate.

Every list row ends with 登记位置 (`保险公司案件交接单登记表!12`), linked to that row of the store workbook
(row_links.py) when the store's path is given. Each list has its header frozen and a filter on it.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..core.claims import BANDS, MoneyFlags
from ..core.commission_owed import SOURCE_POLICIES, write_down_total
from ..registers import REGISTERS
from ..settings import Settings
from .row_links import PLACE, PLACE_HEADER, link_rows, with_places
from .sheet import BORDER, DATE_FORMAT, MONEY_FORMAT, OutColumn, print_landscape, put, write_frame, write_title, print_ready
from ..xlsx.save import save_workbook

OVERDUE_KIND = "overdue-list"
NO_BAND = "未定损"  # a case whose claim has no 定损金额: its own line, so the totals still add up
SUMMARY_SHEET = "汇总"
BOLD = Font(bold=True)
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")
Links = tuple[Path | None, Path | None] | None  # (the output's path, the store's): what row links need


def _h(register: str, key: str) -> str:
    return REGISTERS[register].column(key).header


def overdue_columns() -> list[OutColumn]:
    return [
        OutColumn("claim_no", _h("handovers", "claim_no"), "@", 16),
        OutColumn("handover_no", _h("handovers", "handover_no"), "@", 11),
        OutColumn("plate", _h("claims", "plate"), "@", 11),
        OutColumn("handover_date", _h("handovers", "handover_date"), DATE_FORMAT, 11),
        OutColumn("term_days", "回款期限(天)", "0", 11),
        OutColumn("due_date", "应回款日期", DATE_FORMAT, 11),
        OutColumn("days_overdue", "逾期天数", "0", 9),
        OutColumn("amount_due", _h("payments", "amount_due"), MONEY_FORMAT, 13),
        OutColumn("paid_amount", _h("payments", "paid_amount"), MONEY_FORMAT, 13),
        OutColumn("outstanding", "未回款金额", MONEY_FORMAT, 13),
        OutColumn("band", "案件分档", None, 11),
    ]


def band_totals(overdue: pd.DataFrame) -> pd.DataFrame:
    """Cases and outstanding per band (BANDS order, then 未定损 when there is any): the lines that add
    up to the outstanding total."""
    band = overdue["band"].fillna(NO_BAND)
    grouped = overdue.assign(band=band).groupby("band", sort=False)["outstanding"].agg(["size", "sum"])
    order = [b for b in (*BANDS, NO_BAND) if b in grouped.index or b in BANDS]
    grouped = grouped.reindex(order, fill_value=0)
    return pd.DataFrame({"band": order, "cases": grouped["size"].astype(int).to_numpy(),
                         "outstanding": grouped["sum"].astype(float).round(2).to_numpy()})


def sheet_name(text: str, taken: set[str]) -> str:
    base = _SHEET_UNSAFE.sub("_", text or "未填保险公司")[:28] or "未填保险公司"
    name, n = base, 2
    while name in taken:
        name, n = f"{base[:25]}({n})", n + 1
    taken.add(name)
    return name


def _list(ws: Worksheet, frame: pd.DataFrame, columns: list[OutColumn], start_row: int, links: Links) -> int:
    """The rows with their 登记位置 (linked to the store's row), the header frozen and filtered."""
    columns = [*columns, OutColumn(PLACE, PLACE_HEADER, "@", 24)]
    last = write_frame(ws, with_places(frame), columns, start_row=start_row)
    link_rows(ws, frame, len(columns), start_row + 1, *links)
    ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(columns))}{max(last, start_row + 1)}"
    print_landscape(ws, start_row)
    return last


def _insurer_sheet(ws: Worksheet, insurer: str, cases: pd.DataFrame, settings: Settings, as_of: str,
                   links: Links) -> None:
    columns = overdue_columns()
    write_title(ws, f"催款清单 · {insurer} · {settings.store} · 截至 {as_of}", len(columns))
    contact = settings.insurers[insurer].contact if insurer in settings.insurers else ""
    ws.cell(row=2, column=1, value=f"保险公司联系人：{contact}" if contact
            else f'保险公司联系人：（未设置，请在设置中填写 insurers."{insurer}".contact）')
    ws.cell(row=3, column=1, value=f"逾期案件 {len(cases)} 件，未回款合计 ¥{cases['outstanding'].sum():,.2f}")
    last = _list(ws, cases, columns, 5, links)
    row = last + 2
    for j, text in enumerate(("案件分档", "件数", "未回款金额"), start=1):
        put(ws.cell(row=row, column=j), text).font = BOLD
    totals = band_totals(cases)
    for band, count, amount in totals.itertuples(index=False):
        row += 1
        put(ws.cell(row=row, column=1), band).border = BORDER
        put(ws.cell(row=row, column=2), int(count), "0").border = BORDER
        put(ws.cell(row=row, column=3), float(amount), MONEY_FORMAT).border = BORDER
    row += 1
    for j, value, fmt in ((1, "合计", None), (2, int(totals["cases"].sum()), "0"),
                          (3, round(float(cases["outstanding"].sum()), 2), MONEY_FORMAT)):
        cell = put(ws.cell(row=row, column=j), value, fmt)
        cell.font, cell.border = BOLD, BORDER


def _summary(ws: Worksheet, flags: MoneyFlags, settings: Settings, sheets: dict[str, str]) -> None:
    overdue = flags.overdue
    write_title(ws, f"催款清单汇总 · {settings.store} · 截至 {flags.as_of:%Y-%m-%d}", 9)
    rows = []
    for insurer, cases in overdue.groupby(overdue["insurer"].fillna(""), sort=True):
        totals = band_totals(cases).set_index("band")["outstanding"]
        contact = settings.insurers[insurer].contact if insurer in settings.insurers else ""
        rows.append({"insurer": insurer, "sheet": sheets.get(insurer, ""), "cases": len(cases),
                     **{b: totals.get(b, 0.0) for b in BANDS}, "other": totals.get(NO_BAND, 0.0),
                     "outstanding": round(float(cases["outstanding"].sum()), 2),
                     "oldest": int(cases["days_overdue"].max()), "contact": contact})
    frame = pd.DataFrame(rows, columns=["insurer", "sheet", "cases", *BANDS, "other", "outstanding", "oldest", "contact"])
    columns = [OutColumn("insurer", _h("handovers", "insurer"), None, 14), OutColumn("cases", "逾期件数", "0", 9),
               *[OutColumn(b, f"{b}未回款", MONEY_FORMAT, 14) for b in BANDS],
               OutColumn("other", f"{NO_BAND}未回款", MONEY_FORMAT, 12),
               OutColumn("outstanding", "未回款合计", MONEY_FORMAT, 14), OutColumn("oldest", "最长逾期天数", "0", 12),
               OutColumn("contact", "联系人", None, 28)]
    last = write_frame(ws, frame, columns, start_row=3)
    ws.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{max(last, 4)}"  # not over the 合计 and lists below
    print_landscape(ws, 3)
    for j, key in enumerate([c.key for c in columns], start=1):
        if key in ("cases", *BANDS, "other", "outstanding"):
            total = frame[key].sum() if len(frame) else 0
            put(ws.cell(row=last + 1, column=j), round(float(total), 2), columns[j - 1].number_format).font = BOLD
    put(ws.cell(row=last + 1, column=1), "合计").font = BOLD
    _list_totals(ws, last + 3, flags)


def _list_totals(ws: Worksheet, row: int, flags: MoneyFlags) -> None:
    """One line per list of the workbook: its sheet, how many, how much (DOMAIN.md "Claims and money")."""
    commission = flags.commission
    lines = [
        ("结案未交接", len(flags.not_handed_over), flags.not_handed_over["settled_amount"].sum(), "结算金额"),
        ("核赔退回", len(flags.returned), flags.returned["amount_due"].sum(), "应回款金额"),
        ("三者款待退", len(flags.tp_refunds), flags.tp_refunds["amount"].sum(),
         f"三者金额（{int((~flags.tp_refunds['recorded'].astype(bool)).sum())} 件未登记三者回款，金额待填）"),
        ("旧件未签收", len(flags.old_parts), None, ""),
        ("手续费未收回", len(commission), write_down_total(commission),
         f"全额冲减利润（{int(commission['confirmation_letter'].astype(bool).sum())} 个月份有确认函，不冲减）"),
    ]
    for j, text in enumerate(("清单", "件数/月份数", "金额", "说明"), start=1):
        put(ws.cell(row=row, column=j), text).font = BOLD
    for name, count, amount, note in lines:
        row += 1
        put(ws.cell(row=row, column=1), name).border = BORDER
        put(ws.cell(row=row, column=2), int(count), "0").border = BORDER
        put(ws.cell(row=row, column=3), None if amount is None else round(float(amount), 2), MONEY_FORMAT).border = BORDER
        put(ws.cell(row=row, column=4), note).border = BORDER


def _flag_sheet(wb: Workbook, title: str, frame: pd.DataFrame, columns: list[OutColumn], as_of: str,
                links: Links) -> None:
    ws = wb.create_sheet(title)
    write_title(ws, f"{title} · 截至 {as_of} · {len(frame)} 项", len(columns) + 1)
    if links is None:  # 手续费未收回: a month may come from the policies, with no row of its own
        write_frame(ws, frame, columns, start_row=3)
        print_landscape(ws, 3)
    else:
        _list(ws, frame, columns, 3, links)


def overdue_workbook(flags: MoneyFlags, settings: Settings, out: Path | None = None,
                     store: Path | None = None) -> Workbook:
    """The workbook; with `out` (where it will be saved) and `store` (the file or folder read), each
    row's 登记位置 links to the store's row."""
    links: Links = (out, store)
    as_of = f"{flags.as_of:%Y-%m-%d}"
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY_SHEET
    taken = {SUMMARY_SHEET, "结案未交接", "核赔退回", "手续费未收回", "三者款待退", "旧件未签收"}
    sheets: dict[str, str] = {}
    overdue = flags.overdue
    for insurer, cases in overdue.groupby(overdue["insurer"].fillna(""), sort=True):
        sheets[insurer] = sheet_name(insurer, taken)
        _insurer_sheet(wb.create_sheet(sheets[insurer]), insurer, cases.sort_values(["due_date", "claim_no"]),
                       settings, as_of, links)
    _summary(summary, flags, settings, sheets)
    money = lambda key, reg, col: OutColumn(key, _h(reg, col), MONEY_FORMAT, 13)  # noqa: E731
    _flag_sheet(wb, "结案未交接", flags.not_handed_over, [
        OutColumn("claim_no", _h("claims", "claim_no"), "@", 16), OutColumn("insurer", _h("claims", "insurer"), None, 12),
        OutColumn("plate", _h("claims", "plate"), "@", 11),
        OutColumn("settled_date", _h("claims", "settled_date"), DATE_FORMAT, 11),
        OutColumn("days_waiting", "结案后天数", "0", 10), money("settled_amount", "claims", "settled_amount")], as_of, links)
    _flag_sheet(wb, "核赔退回", flags.returned, [
        OutColumn("claim_no", _h("payments", "claim_no"), "@", 16), OutColumn("insurer", _h("payments", "insurer"), None, 12),
        OutColumn("plate", _h("claims", "plate"), "@", 11),
        OutColumn("handover_date", _h("handovers", "handover_date"), DATE_FORMAT, 11),
        money("amount_due", "payments", "amount_due"), OutColumn("band", "案件分档", None, 11)], as_of, links)
    commission = flags.commission.assign(source=np.where(flags.commission["source"] == SOURCE_POLICIES,
                                                         "无结算记录(按保单)", "结算台账"))
    _flag_sheet(wb, "手续费未收回", commission, [
        OutColumn("month", _h("commission_settlements", "month"), "@", 10),
        OutColumn("insurer", _h("commission_settlements", "insurer"), None, 12),
        money("amount_due", "commission_settlements", "amount_due"),
        money("received_amount", "commission_settlements", "received_amount"),
        OutColumn("outstanding", "未收回金额(全额冲减利润)", MONEY_FORMAT, 22),
        OutColumn("source", "来源", None, 14),
        OutColumn("confirmation_letter", _h("commission_settlements", "confirmation_letter"), None, 8)], as_of, None)
    tp = flags.tp_refunds.assign(recorded_text=np.where(flags.tp_refunds["recorded"].astype(bool),
                                                        "已登记，未退款", "未登记（保险公司已回款）"))
    _flag_sheet(wb, "三者款待退", tp, [
        OutColumn("claim_no", _h("tp_refunds", "claim_no"), "@", 16),
        OutColumn("insurer_paid_date", _h("tp_refunds", "insurer_paid_date"), DATE_FORMAT, 12),
        OutColumn("days_waiting", "已等待天数", "0", 10), money("amount", "tp_refunds", "amount"),
        OutColumn("recorded_text", "三者回款登记", None, 14)], as_of, links)
    _flag_sheet(wb, "旧件未签收", flags.old_parts, [
        OutColumn("claim_no", _h("old_parts", "claim_no"), "@", 16), OutColumn("insurer", _h("claims", "insurer"), None, 12),
        OutColumn("plate", _h("claims", "plate"), "@", 11),
        OutColumn("settled_date", _h("claims", "settled_date"), DATE_FORMAT, 11),
        OutColumn("days_waiting", "已等待天数", "0", 10), OutColumn("parts", _h("old_parts", "part"), None, 20)], as_of,
        links)
    return wb


def write_overdue_workbook(flags: MoneyFlags, settings: Settings, path: str | Path,
                           store: str | Path | None = None) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = overdue_workbook(flags, settings, target, Path(store) if store is not None else None)
    save_workbook(print_ready(book), target, kind=OVERDUE_KIND)
    return target
