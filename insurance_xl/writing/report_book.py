"""The monthly report workbook (seed §4.7, §5): what the supervisor reads and the region consolidates.

Sheets: 看板 (the KPIs against last month and the same month last year, with native charts),
趋势 (12 months), 按保险公司 / 按出单员, 续保失败原因, 考核 (clerks against target), the renewal pipeline (续保漏斗
with its chart, 周分析, 首保未投保原因: pipeline_sheets.py), 逾期回款 (when overdue data is given), 保险公司对比 (the
month's claim cases per insurer, with a chart of days-to-pay; also in `_data`),
月度业务明细清单 (the month's 本店 policies, personal data masked) and a hidden `_data` sheet of
key/value rows, so the region reads every store's numbers without parsing the layout.
Every number is a value computed by the core (kpi.py), never a formula.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..outputs import DATA_SHEET
from ..core.kpi_counts import COUNT_LABELS
from ..core.kpi import (BREAKDOWN_COLUMNS, COUNT_KEYS, MONEY_KEYS, MONEY_LABELS, RATE_KEYS,
                        RATE_LABELS, Kpis, MonthlyKpis)
from ..core.mask import mask_table
from ..core.staff import StaffMonth
from ..core.pipeline import RenewalPipeline
from ..tables import Registers
from ..registers import HERE, REGISTERS
from ..settings import Context
from .sheet import (BORDER, HEADER_FILL, HEADER_FONT, MONEY_FORMAT, OutColumn, fit_widths, put, register_columns,
                    print_ready, write_frame, write_title)
from ..xlsx.save import save_workbook
from .cases_book import INSURERS_SHEET, write_insurer_sheet
from .staff_sheet import write_staff_sheet
from .pipeline_sheets import add_pipeline_sheets

REPORT_KIND = "report"
DATA_FORMAT = 1  # bump when the _data keys change meaning
RATE_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"

_POLICY = REGISTERS["policies"]
BREAKDOWN_HEADERS = {
    "insurer": _POLICY.column("insurer").header,
    "clerk": _POLICY.column("clerk").header,
    "policies": "保单数",
    "new": "新保",
    "renewal": "续保/转保",
    "premium_compulsory": MONEY_LABELS["premium_compulsory"],
    "premium_commercial": MONEY_LABELS["premium_commercial"],
    "premium": MONEY_LABELS["premium"],
    "commission": MONEY_LABELS["commission"],
    "premium_share": "保费占比",
}
DETAIL_KEYS = ("archive_no", "customer", "plate", "vin", "brand", "model", "policy_no", "insurer", "business_type",
               "coverages", "third_party_limit", "issue_date", "policy_start", "policy_end", "compulsory_premium",
               "commercial_premium", "commission", "clerk")


def report_filename(store: str, month: str) -> str:
    return f"保险业务月报-{store}-{month}.xlsx"


def write_report(registers: Registers, ctx: Context, month: str, path: str | Path, *, kpis: MonthlyKpis,
                 overdue: pd.DataFrame | None, insurer_cases: pd.DataFrame, staff: StaffMonth,
                 pipeline: RenewalPipeline, extra: dict[str, object]) -> Path:
    """Build the report from the month's results and save it atomically (stamped kind="report")."""
    target = Path(path)
    if target.is_dir():
        target = target / report_filename(ctx.settings.store, month)
    book = build_report(registers, ctx, month, kpis=kpis, overdue=overdue, insurer_cases=insurer_cases, staff=staff,
                        pipeline=pipeline, extra=extra)
    save_workbook(print_ready(book), target, kind=REPORT_KIND)
    return target


def build_report(registers: Registers, ctx: Context, month: str, *, kpis: MonthlyKpis,
                 overdue: pd.DataFrame | None, insurer_cases: pd.DataFrame, staff: StaffMonth,
                 pipeline: RenewalPipeline, extra: dict[str, object]) -> Workbook:
    """The report workbook from the month's results: its KPIs, the overdue-payments frame (columns band,
    outstanding; None for a store that keeps no handover register leaves the overdue chart out with a
    note), the insurer comparison of the month's claim cases, the clerks against target (`staff`,
    core.staff.staff_month), the renewal pipeline (core.pipeline) and `extra` `_data` keys (new-car and
    renewal commission)."""
    month = str(pd.Period(month, "M"))
    k = kpis
    wb = Workbook()
    board = wb.active
    board.title = "看板"
    trend = wb.create_sheet("趋势")
    trend_rows = write_trend(trend, k)
    insurers = wb.create_sheet("按保险公司")
    insurer_rows = write_breakdown(insurers, k.by_insurer, "insurer", f"{month} 本店出单 按保险公司")
    write_breakdown(wb.create_sheet("按出单员"), k.by_clerk, "clerk", f"{month} 本店出单 按出单员")
    write_failures(wb.create_sheet("续保失败原因"), k.failures, month)
    write_staff_sheet(wb.create_sheet(), staff, ctx.settings.store)
    add_pipeline_sheets(wb, pipeline)
    band_rows = 0
    if overdue is not None:
        band_rows = write_overdue_bands(wb.create_sheet("逾期回款"), overdue, ctx.as_of)
    write_insurer_sheet(wb.create_sheet(INSURERS_SHEET), insurer_cases,
                        f"{month} 保险公司对比（当月报案的案件，截至 {ctx.as_of:%Y-%m-%d}）")
    write_detail(wb.create_sheet("月度业务明细清单"), registers, month, ctx.settings.store)
    write_board(board, k, ctx)
    add_charts(board, trend, trend_rows, insurers, insurer_rows,
               wb["逾期回款"] if band_rows else None, band_rows, overdue_given=overdue is not None)
    write_data_sheet(wb.create_sheet(DATA_SHEET), report_data(k, ctx, extra) + insurer_data(insurer_cases))
    for ws in wb.worksheets:
        if ws.title != DATA_SHEET:
            setup_page(ws)
    return wb


# ---- the machine-readable block ------------------------------------------------------------------

def report_data(k: Kpis, ctx: Context, extra: dict[str, object] | None = None) -> list[tuple[str, object]]:
    """key/value rows: every `kpi --json` key (counts as counts.KEY), commission YTD, store, dates, and
    `extra` keys (new-car and renewal commission, §4.7.2: the region ranks on them)."""
    payload = k.to_json()
    rows: list[tuple[str, object]] = [
        ("kind", "insurance-xl-report"), ("format", DATA_FORMAT), ("store", ctx.settings.store),
        ("month", payload["month"]), ("as_of", ctx.as_of), ("generated", ctx.as_of),
    ]
    rows += [(key, payload[key]) for key in RATE_KEYS]
    rows += [(f"counts.{key}", payload["counts"][key]) for key in COUNT_KEYS]
    rows += [(key, payload[key]) for key in MONEY_KEYS]
    rows += [("commission_ytd", round(k.commission_ytd, 2)), ("premium", k.premium)]
    rows += list((extra or {}).items())
    return rows


INSURER_DATA_KEYS = ("cases", "assessed", "settled", "avg_days_to_pay", "overdue_share", "returned_share",
                     "outstanding")


def insurer_data(insurers: pd.DataFrame) -> list[tuple[str, object]]:
    """`_data` rows `insurers.NAME.KEY` (new keys only: the region's readers ignore what they do not
    know); an empty value (no case paid, none handed over) is left empty."""
    rows: list[tuple[str, object]] = []
    for record in insurers.to_dict("records"):
        for key in INSURER_DATA_KEYS:
            value = record[key]
            rows.append((f"insurers.{record['insurer']}.{key}", None if pd.isna(value) else value))
    return rows


def write_data_sheet(ws: Worksheet, rows: list[tuple[str, object]]) -> None:
    ws.append(["key", "value"])
    for key, value in rows:
        ws.append([key, value])
    for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.sheet_state = "hidden"


# ---- 看板 ----------------------------------------------------------------------------------------

def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def write_board(ws: Worksheet, k: MonthlyKpis, ctx: Context) -> None:
    previous, last_year = k.previous, k.last_year
    header = ["指标", "本月", f"上月 {previous.month}", "较上月", f"去年同月 {last_year.month}", "较去年同月", "分子 / 分母"]
    row = 4
    _header(ws, row, header)
    for key in RATE_KEYS:
        row += 1
        now, before, year_ago = (getattr(x, key) for x in (k, previous, last_year))
        num, den = k.fraction(key)
        values = [RATE_LABELS[key], now, before, _change(now, before), year_ago, _change(now, year_ago),
                  f"{num} / {den}"]
        _row(ws, row, values, [None, RATE_FORMAT, RATE_FORMAT, "+0.00%;-0.00%;0.00%", RATE_FORMAT,
                               "+0.00%;-0.00%;0.00%", None])
    # DOMAIN.md "KPIs": gross by issue month, the refunds of policies cancelled in the month, and net
    for key in ("premium_compulsory", "premium_commercial", "premium", "refund_premium", "net_premium", "commission",
                "refund_commission", "net_commission", "commission_ytd"):
        row += 1
        now, before, year_ago = (getattr(x, key) for x in (k, previous, last_year))
        _row(ws, row, [MONEY_LABELS[key], now, before, round(now - before, 2), year_ago, round(now - year_ago, 2), ""],
             [None, *[MONEY_FORMAT] * 5, None])
    row += 2
    _header(ws, row, ["计数", "本月", f"上月 {previous.month}", "较上月", f"去年同月 {last_year.month}", "较去年同月", ""])
    change_format = "+#,##0;-#,##0;0"
    for key in COUNT_KEYS:
        row += 1
        now, before, year_ago = (getattr(x.counts, key) for x in (k, previous, last_year))
        _row(ws, row, [COUNT_LABELS[key], now, before, now - before, year_ago, now - year_ago, None],
             [None, COUNT_FORMAT, COUNT_FORMAT, change_format, COUNT_FORMAT, change_format, None])
    fit_widths(ws, maximum=30)
    write_title(ws, f"{ctx.settings.store} 保险业务月报 {k.month}", 7)
    put(ws.cell(row=2, column=1), f"统计月份 {k.month}，数据截至 {ctx.as_of:%Y-%m-%d}；首保、续保、流失只计本店品牌"
                                  f"（{'、'.join(ctx.settings.own_brands) or '未设置'}），出险率、保费、手续费计全部本店保单")
    ws.freeze_panes = "B5"


def _header(ws: Worksheet, row: int, values: list[str]) -> None:
    for j, value in enumerate(values, start=1):
        cell = put(ws.cell(row=row, column=j), value)
        cell.font, cell.fill, cell.border = HEADER_FONT, HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _row(ws: Worksheet, row: int, values: list[object], formats: list[str | None]) -> None:
    for j, (value, fmt) in enumerate(zip(values, formats), start=1):
        put(ws.cell(row=row, column=j), value, fmt).border = BORDER


# ---- the other sheets ----------------------------------------------------------------------------

TREND_COLUMNS = [OutColumn("month", "月份", "@", 9)] + \
    [OutColumn(key, RATE_LABELS[key], RATE_FORMAT, 12) for key in RATE_KEYS] + \
    [OutColumn("premium", MONEY_LABELS["premium"], MONEY_FORMAT, 14),
     OutColumn("commission", MONEY_LABELS["commission"], MONEY_FORMAT, 14)]


def write_trend(ws: Worksheet, k: MonthlyKpis) -> int:
    """12 months ending with M; returns the number of data rows."""
    trend = k.trend.reset_index()
    trend["premium"] = (trend["premium_compulsory"] + trend["premium_commercial"]).round(2)
    write_frame(ws, trend, TREND_COLUMNS, start_row=3)
    _finish(ws, f"近12个月趋势（截至 {k.month}）", len(TREND_COLUMNS))
    return len(trend)


BREAKDOWN_COLUMNS_ORDER = ("by", *BREAKDOWN_COLUMNS)


def write_breakdown(ws: Worksheet, table: pd.DataFrame, by: str, title: str) -> int:
    """A breakdown with a 合计 row; returns the number of data rows (合计 excluded)."""
    formats = {"premium_share": RATE_FORMAT, "policies": COUNT_FORMAT, "new": COUNT_FORMAT, "renewal": COUNT_FORMAT}
    columns = [OutColumn(key, BREAKDOWN_HEADERS[key], formats.get(key, MONEY_FORMAT if key != by else None), 12)
               for key in table.columns]
    last = write_frame(ws, table, columns, start_row=3)
    total = {by: "合计", **{key: table[key].sum() for key in table.columns if key != by}}
    for key in ("premium_compulsory", "premium_commercial", "premium", "commission"):
        total[key] = round(float(total[key]), 2)
    total["premium_share"] = 1.0 if len(table) and total["premium"] else None
    _total_row(ws, last + 1, [total[c.key] for c in columns], [c.number_format for c in columns])
    _finish(ws, title, len(columns))
    return len(table)


def write_failures(ws: Worksheet, failures: pd.DataFrame, month: str) -> None:
    columns = [OutColumn("reason", REGISTERS["contacts"].column("failure_reason").header, None, 12),
               OutColumn("vehicles", "车辆数", COUNT_FORMAT, 10), OutColumn("share", "占比", RATE_FORMAT, 10)]
    last = write_frame(ws, failures, columns, start_row=3)
    _total_row(ws, last + 1, ["合计", int(failures["vehicles"].sum()), None], [None, COUNT_FORMAT, None])
    _finish(ws, f"{month} 续保失败原因（跟进记录，每车取当月最后一次）", 3)


def write_overdue_bands(ws: Worksheet, overdue: pd.DataFrame, as_of: dt.date) -> int:
    """Outstanding amount and cases per band, from the overdue list the claims rules computed."""
    band = overdue["band"]
    keys = band.cat.categories if isinstance(band.dtype, pd.CategoricalDtype) else band.dropna().unique()
    table = (overdue.groupby("band", sort=False, observed=False)
             .agg(cases=("outstanding", "size"), outstanding=("outstanding", "sum"))
             .reindex(keys, fill_value=0).reset_index())
    table["outstanding"] = table["outstanding"].round(2)
    columns = [OutColumn("band", "案件金额区间", None, 14), OutColumn("cases", "逾期案件数", COUNT_FORMAT, 10),
               OutColumn("outstanding", "逾期未回款金额", MONEY_FORMAT, 16)]
    last = write_frame(ws, table, columns, start_row=3)
    _total_row(ws, last + 1, ["合计", int(table["cases"].sum()), round(float(table["outstanding"].sum()), 2)],
               [None, COUNT_FORMAT, MONEY_FORMAT])
    _finish(ws, f"保险公司逾期回款（截至 {as_of:%Y-%m-%d}）", 3)
    return len(table)


def write_detail(ws: Worksheet, registers: Registers, month: str, store: str) -> None:
    """月度业务明细清单: 本店 policies issued in M, any brand, personal data masked (§4.8.1, §4.9.3)."""
    policies = registers["policies"]
    issued = policies["issue_date"].dt.to_period("M") == pd.Period(month, "M")
    rows = policies[issued.fillna(False).to_numpy(dtype=bool) & policies["channel"].eq(HERE).fillna(False).to_numpy(dtype=bool)]
    rows = mask_table(rows.sort_values(["issue_date", "archive_no"], kind="stable"), "policies")
    columns = register_columns("policies", DETAIL_KEYS)
    last = write_frame(ws, rows, columns, start_row=3)
    money = {"compulsory_premium", "commercial_premium", "commission"}
    totals = [("合计" if i == 0 else (round(float(rows[c.key].sum()), 2) if c.key in money else None))
              for i, c in enumerate(columns)]
    _total_row(ws, last + 1, totals, [c.number_format if c.key in money else None for c in columns])
    _finish(ws, f"{store} 月度业务明细清单 {month}（本店出单，个人信息已脱敏）", len(columns))
    ws.print_title_rows = "3:3"


def _finish(ws: Worksheet, title: str, width: int) -> None:
    """Widths fitted to the table (before the title, which spans merged cells), then the title."""
    fit_widths(ws, maximum=40)
    write_title(ws, title, width)


def _total_row(ws: Worksheet, row: int, values: list[object], formats: list[str | None]) -> None:
    _row(ws, row, values, formats)
    for cell in ws[row]:
        cell.font = Font(bold=True)


# ---- charts and page set-up ----------------------------------------------------------------------

def add_charts(board: Worksheet, trend: Worksheet, trend_rows: int, insurers: Worksheet, insurer_rows: int,
               bands: Worksheet | None, band_rows: int, overdue_given: bool) -> None:
    # first-insurance rate (~80 %) on the left axis, the monthly renewal rate (~5 %) on the right
    keys = [c.key for c in TREND_COLUMNS]
    months = Reference(trend, min_col=1, min_row=4, max_row=3 + trend_rows)
    charts = []
    for key in ("first_insurance_rate", "renewal_rate"):
        chart = LineChart()
        col = keys.index(key) + 1
        chart.add_data(Reference(trend, min_col=col, min_row=3, max_row=3 + trend_rows), titles_from_data=True)
        chart.set_categories(months)
        chart.y_axis.number_format = "0%"
        chart.y_axis.title = RATE_LABELS[key]
        for series in chart.series:
            series.smooth = False
        charts.append(chart)
    line, renewal = charts
    renewal.y_axis.axId, renewal.y_axis.crosses = 200, "max"
    line.title, line.height, line.width = "近12个月首保率与续保率", 7.5, 16
    line.y_axis.majorGridlines = None
    line += renewal
    board.add_chart(line, "I4")
    if insurer_rows:
        bar = BarChart()
        bar.type, bar.grouping, bar.overlap = "col", "stacked", 100
        bar.title, bar.height, bar.width = "本月保费（按保险公司）", 7.5, 16
        bar.y_axis.number_format = "#,##0"
        col = BREAKDOWN_COLUMNS_ORDER.index("premium_compulsory") + 1
        bar.add_data(Reference(insurers, min_col=col, max_col=col + 1, min_row=3, max_row=3 + insurer_rows),
                     titles_from_data=True)
        bar.set_categories(Reference(insurers, min_col=1, min_row=4, max_row=3 + insurer_rows))
        board.add_chart(bar, "I20")
    if bands is not None and band_rows:
        chart = BarChart()
        chart.type, chart.title, chart.height, chart.width = "col", "逾期未回款金额（按案件金额区间）", 7.5, 16
        chart.y_axis.number_format = "#,##0"
        chart.add_data(Reference(bands, min_col=3, min_row=3, max_row=3 + band_rows), titles_from_data=True)
        chart.set_categories(Reference(bands, min_col=1, min_row=4, max_row=3 + band_rows))
        board.add_chart(chart, "I36")
    else:
        note = "逾期回款：无逾期案件" if overdue_given else "逾期回款：本报表未附逾期回款数据"
        board.cell(row=36, column=9, value=note)


def setup_page(ws: Worksheet) -> None:
    """Landscape A4, one page wide, print area over what was written (§4.7: a printable report)."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    last_col = ws.max_column
    if ws.title == "看板":
        last_col = max(last_col, 17)  # the charts sit to the right of the table
    last_row = ws.max_row + (18 if ws._charts and ws.title != "看板" else 0)  # a chart below the table (保险公司对比)
    ws.print_area = f"A1:{get_column_letter(last_col)}{max(last_row, 50 if ws.title == '看板' else 1)}"
