"""The two sheets the validated workbook adds, as worksheet XML: 校验结果 (counts per register and
rule, then one row per finding linked to its cell) and the hidden integrity stamp. The same cells,
styles, links, filter and widths as validated_book.write_results_sheet writes through openpyxl."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from ..findings import Finding, Severity
from ..core.validation.validate import SEVERITY_LABEL, Validation, register_title, rule_title
from ..xlsx.parts import MAIN, REL_NS, column_letter
from ..xlsx.texts import text_for_cell
from .integrity import Stamp, sheet_ref, stamp_rows

SUMMARY_HEADERS = ("登记表", "规则", "说明", "级别", "条数")
FINDING_HEADERS = ("序号", "级别", "登记表", "工作表", "行", "列", "单元格", "规则", "说明", "相关行")
STAMP_TITLE = "insurance-xl 完整性印章（请勿修改：SHA-256 覆盖所列登记表工作表的全部单元格值）"


def local_time(iso: str) -> str:
    """The stamp's time as a clerk reads it: 2026-11-24 09:30:00（UTC+08:00）."""
    when = dt.datetime.fromisoformat(iso)
    offset = when.strftime("%z")
    zone = f"（UTC{offset[:3]}:{offset[3:]}）" if offset else ""
    return f"{when:%Y-%m-%d %H:%M:%S}{zone}"


@dataclass(frozen=True)
class ResultStyles:
    """Cell format numbers in the package's styles.xml."""

    title: int
    header: int
    cell: int
    link: int
    wrap: int
    status: dict[Severity, int]


_WIDE = re.compile("[\u2e81-\U0010ffff]")


class _Sheet:
    def __init__(self, fit: bool = True) -> None:
        self.fit = fit
        self.rows: list[str] = []
        self.links: list[str] = []
        self.widths: dict[int, int] = {}
        self.first_column = 6  # column A's width from row 5 down (the title rows above it do not count)

    def row(self, r: int, cells: list[tuple[int, object, int | None]]) -> None:
        out = []
        for col, value, style in cells:
            ref = f"{column_letter(col - 1)}{r}"
            s = f' s="{style}"' if style else ""
            if value is None:
                if style:
                    out.append(f'<c r="{ref}"{s}/>')
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.append(f'<c r="{ref}"{s}><v>{value}</v></c>')
                text = str(value)
            else:
                text = text_for_cell(str(value))
                space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
                out.append(f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>')
            if self.fit:  # CJK characters count double, as writing.sheet.fit_widths counts them
                longest = max((len(line) + len(_WIDE.findall(line)) for line in text.split("\n")), default=0)
                self.widths[col] = max(self.widths.get(col, 0), longest)
                if col == 1 and r >= 5:
                    self.first_column = max(self.first_column, min(30, len(text) * 2))
        self.rows.append(f'<row r="{r}">{"".join(out)}</row>')

    def link(self, ref: str, location: str, display: str) -> None:
        self.links.append(f'<hyperlink ref="{ref}" location={quoteattr(location)} display={quoteattr(text_for_cell(display))}/>')

    def xml(self, *, selected: bool, cols: str, auto_filter: str = "", printable: bool = False) -> bytes:
        """The sheet's XML; `printable`: A4 landscape, one page wide, as writing.sheet.print_ready_sheet."""
        view = '<sheetView tabSelected="1" workbookViewId="0"/>' if selected else '<sheetView workbookViewId="0"/>'
        links = f"<hyperlinks>{''.join(self.links)}</hyperlinks>" if self.links else ""
        fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if printable else ""
        setup = '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>' if printable else ""
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<worksheet xmlns="{MAIN[1:-1]}" xmlns:r="{REL_NS}">{fit}<sheetViews>{view}</sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>{"".join(self.rows)}</sheetData>'
                f'{auto_filter}{links}<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" '
                f'footer="0.5"/>{setup}</worksheet>').encode("utf-8")


def finding_rows(validation: Validation) -> Iterator[tuple[Finding, list[object]]]:
    """Each finding with its row of FINDING_HEADERS' values, errors first (what an auditor reads first and
    a clerk must fix): one order and one row for both writers of 校验结果 (this package editor and
    validated_book's openpyxl path)."""
    ordered = [f for f in validation.findings if f.is_error] + [f for f in validation.findings if not f.is_error]
    for n, f in enumerate(ordered, 1):
        loc = f.location
        related = "、".join(f"{r.sheet} 第{r.row}行" for r in f.related)
        yield f, [n, SEVERITY_LABEL[f.severity], register_title(f.register), loc.sheet, loc.row, loc.column,
                  loc.cell, f.rule, f.message, related]


def results_sheet(validation: Validation, stamp: Stamp, styles: ResultStyles, *, as_of: dt.date, store: str,
                  sheet_names: set[str]) -> bytes:
    ws = _Sheet()
    ws.row(1, [(1, f"校验结果：{store}", styles.title)])
    ws.row(2, [(1, f"校验时间 {local_time(stamp.validated_at)}　基准日 {as_of:%Y-%m-%d}　规则版本 {stamp.ruleset}　"
                   f"错误 {validation.errors} 条　警告 {validation.warnings} 条", None)])
    ws.row(3, [(1, f"完整性校验码 SHA-256：{stamp.sha256}（用 insurance-xl validate --verify 本文件 "
                   f"可验证登记表自校验后未被修改）", None)])
    row = 5
    ws.row(row, [(j, text, styles.header) for j, text in enumerate(SUMMARY_HEADERS, 1)])
    for register, rule, severity, count in validation.summary():
        row += 1
        values = (register_title(register), rule, rule_title(rule), SEVERITY_LABEL[severity], count)
        ws.row(row, [(j, value, styles.cell) for j, value in enumerate(values, 1)])
    if not validation.findings:
        row += 1
        ws.row(row, [(1, "没有发现问题", None)])
    row += 2
    ws.row(row, [(j, text, styles.header) for j, text in enumerate(FINDING_HEADERS, 1)])
    first = row
    for f, values in finding_rows(validation):
        row += 1
        loc, related = f.location, values[9]
        cell_styles = [styles.cell] * len(values)
        cell_styles[1] = styles.status[f.severity]
        cell_styles[8] = styles.wrap
        if loc.sheet in sheet_names:
            values[6] = loc.cell or ("整行" if loc.row else "整表")
            cell_styles[6] = styles.link
            target = loc.cell or (f"A{loc.row}" if loc.row else "A1")
            ws.link(f"G{row}", sheet_ref(loc.sheet, target), values[6])
        if f.related and f.related[0].sheet in sheet_names:
            cell_styles[9] = styles.link
            ws.link(f"J{row}", sheet_ref(f.related[0].sheet, f"A{f.related[0].row}"), related)
        ws.row(row, [(j, None if v == "" else v, s) for j, (v, s) in enumerate(zip(values, cell_styles), 1)])
    widths = {c: max(6, min(40, w + 2)) for c, w in ws.widths.items()}
    widths[1] = ws.first_column  # as validated_book: 序号 and register names, not the title above them
    widths[9] = 70
    cols = "<cols>" + "".join(f'<col min="{c}" max="{c}" width="{w}" customWidth="1"/>' for c, w in sorted(widths.items())) + "</cols>"
    last = max(row, first + 1)
    return ws.xml(selected=True, cols=cols, printable=True,
                  auto_filter=f'<autoFilter ref="A{first}:{column_letter(len(FINDING_HEADERS) - 1)}{last}"/>')


def stamp_sheet(stamp: Stamp) -> bytes:
    ws = _Sheet(fit=False)
    ws.row(1, [(1, STAMP_TITLE, None)])
    for i, (label, value) in enumerate(stamp_rows(stamp), start=2):
        ws.row(i, [(1, label, None), (2, value or None, None)])
    return ws.xml(selected=False, cols="")
