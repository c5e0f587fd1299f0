"""Reading a store's monthly report back (its hidden _data sheet) for the region."""
from __future__ import annotations
import datetime as dt
from pathlib import Path
from ..errors import WorkbookUnreadable
from ..core.kpi import COUNT_KEYS, MONEY_KEYS, RATE_KEYS, KpiCounts, Kpis
from ..outputs import DATA_SHEET
from ..core.region import StoreReport


# added by DOMAIN.md revision 2: a report written before it lacks them, and they were 0 then
_LATER_KEYS = ("refund_premium", "refund_commission", "counts.gone")


def report_from_data(rows: dict[str, object], source: str = "") -> StoreReport:
    """A StoreReport from the key/value rows of a report's `_data` sheet."""
    rows = {**{k: 0 for k in _LATER_KEYS}, **rows}
    missing = [k for k in ("store", "month", *RATE_KEYS, *MONEY_KEYS, "commission_ytd") if k not in rows]
    missing += [f"counts.{k}" for k in COUNT_KEYS if f"counts.{k}" not in rows]
    if rows.get("kind") != "insurance-xl-report" or missing:
        raise WorkbookUnreadable(source, "不是 insurance-xl 月报（_data 工作表缺少：" + "、".join(missing or ["kind"]) + "）",
                                 sheet=DATA_SHEET)

    def number(key: str) -> float:
        value = rows[key]
        try:
            return 0.0 if value is None or value == "" else float(value)
        except (TypeError, ValueError):
            raise WorkbookUnreadable(source, f"月报数据「{key}」不是数字：{value!r}", sheet=DATA_SHEET) from None

    month = rows["month"]
    month = month.strftime("%Y-%m") if isinstance(month, (dt.date, dt.datetime)) else str(month).strip()

    # the rates are recomputed from the counts: a spreadsheet file keeps only 15-16 digits of a
    # fraction, the counts and the money (to the fen) exactly
    counts = KpiCounts(**{k: int(number(f"counts.{k}")) for k in COUNT_KEYS})
    kpis = Kpis(month, counts, **{k: round(number(k), 2) for k in (*MONEY_KEYS, "commission_ytd")})
    known = {"store", "month", "commission_ytd", *RATE_KEYS, *MONEY_KEYS, *(f"counts.{k}" for k in COUNT_KEYS)}
    return StoreReport(store=str(rows["store"]).strip(), month=kpis.month, kpi=kpis.to_json(),
                       commission_ytd=kpis.commission_ytd, source=source,
                       extras={k: v for k, v in rows.items() if k not in known}, data=dict(rows))


def read_report(path: str | Path) -> StoreReport:
    """Read a monthly report workbook (as `report` wrote it, or re-saved by Excel/LibreOffice)."""
    from openpyxl import load_workbook

    from ..xlsx.safety import check_workbook_file

    file = Path(path)
    check_workbook_file(file)
    try:
        wb = load_workbook(file, read_only=True, data_only=True)
        try:
            if DATA_SHEET not in wb.sheetnames:
                raise WorkbookUnreadable(file, f"不是 insurance-xl 月报（没有 {DATA_SHEET} 工作表）")
            rows = {}
            for key, value, *_ in wb[DATA_SHEET].iter_rows(min_row=2, values_only=True):
                if key is not None:
                    rows[str(key)] = value
        finally:
            wb.close()
    except WorkbookUnreadable:
        raise
    except Exception as exc:  # the reading boundary: any parser failure names the file
        raise WorkbookUnreadable(file, f"无法读取月报（{type(exc).__name__}: {exc}）") from None
    return report_from_data(rows, str(file))
