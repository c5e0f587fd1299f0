"""Write register tables the way clerks keep them (DOMAIN.md "Reading what clerks really type").

`write_messy_workbook` puts each register on its own sheet with a merged title above the header
(header on row 1, 2 or 3), columns shuffled, header text varied (aliases, spaces, line breaks,
full-width brackets, units such as 金额(元)), every value in one of the forms clerks type (dates as
Excel dates or text in every listed form, amounts as numbers, `1,234.50`, `¥1234`, `1234元`,
是/否 as Y/N, √/×, TRUE/FALSE, full-width digits), blank rows, a 合计 row under money registers
and an extra 备注 column. Each table's `_row` says on which Excel row each of its rows goes: the
header is the row above the first, and gaps become blank rows.

The sheets are written as SpreadsheetML directly, a column at a time, rather than cell by cell
through openpyxl: on a 99k-row policy register this takes a tenth of the time of openpyxl's
write-only mode writing the plain values (bench/bench_demo_write.py), which matters for the
benchmark stores of 100k policies. The file is a plain xlsx that LibreOffice, openpyxl and calamine
open (tests/demo/test_demo.py); cells hold inline strings, numbers, booleans and date serials with a
date format, so text such as =见附件 is never a formula.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from ..errors import WorkbookUnreadable
from ..registers import DATA_REGISTERS, REGISTERS, ROW, Column, Kind, Register
from ..xlsx.safety import check_workbook_file
from ..xlsx.parts import EXCEL_EPOCH
from ..xlsx.save import atomic_write

# The forms a value of each kind may take in a cell; the first is the commonest.
FORMS: dict[Kind, tuple[str, ...]] = {
    Kind.DATE: ("excel", "excel_slash", "excel_chinese", "slash", "iso", "dots", "chinese", "compact",
                "compact_number", "fullwidth", "serial"),
    Kind.MONEY: ("number", "number_formatted", "commas", "yen", "fullwidth_yen", "yuan", "fullwidth", "yen_commas"),
    Kind.YESNO: ("chinese", "yn", "yn_lower", "check", "truefalse", "boolean"),
    Kind.ID: ("text", "text_format", "spaced", "fullwidth", "lower", "number"),
    Kind.INT: ("number", "text", "fullwidth"),
    Kind.MONTH: ("iso", "slash", "chinese", "compact", "dots", "excel"),
    Kind.TEXT: ("text", "spaced"),
    Kind.CHOICE: ("text", "spaced", "fullwidth"),
}
_WEIGHTS: dict[Kind, tuple[float, ...]] = {
    Kind.DATE: (0.45, 0.05, 0.05, 0.1, 0.1, 0.05, 0.07, 0.05, 0.02, 0.03, 0.03),
    Kind.MONEY: (0.55, 0.1, 0.08, 0.07, 0.04, 0.08, 0.03, 0.05),
    Kind.YESNO: (0.6, 0.1, 0.03, 0.12, 0.1, 0.05),
    Kind.ID: (0.7, 0.12, 0.05, 0.04, 0.04, 0.05),
    Kind.INT: (0.8, 0.15, 0.05),
    Kind.MONTH: (0.5, 0.1, 0.15, 0.1, 0.05, 0.1),
    Kind.TEXT: (0.95, 0.05),
    Kind.CHOICE: (0.9, 0.07, 0.03),
}
NOTES = ("老客户", "已电话确认", "客户要求开专票", "续保送保养", "转介绍", "待补资料", "=见附件", "+86 微信联系", "-")
SHEET_ROWS = 1_000_000  # data rows per sheet: Excel's 1,048,576 less a title block, a 合计 row and room
TOTAL_ROW_LABELS = ("合计", "合计", "总计", "合 计")  # 合计 twice: the commonest
_HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz/.,-:"
_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in _HALF} | {"¥": "￥"})  # NFKC folds them back
_PLAIN_NUMBER = re.compile(r"[1-9]\d{0,14}")  # stays exact as an Excel number
# cell styles (cellXfs in styles.xml)
GENERAL, DATE_ISO, DATE_SLASH, DATE_CHINESE, MONTH_ISO, MONEY, TEXT_FORMAT, TITLE, HEADER = range(9)


def draw_forms(column: Column, n: int, rng: np.random.Generator) -> np.ndarray:
    """For each of n cells, the index (into FORMS[kind]) of the form it is written in."""
    weights = np.array(_WEIGHTS[column.kind])
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_ESCAPE = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;",
               **{c: None for c in [*range(0, 9), 11, 12, *range(14, 32)]}}  # not representable in XML 1.0


def fullwidth(text: str) -> str:
    return text.translate(_FULLWIDTH)


def _strings(texts: list[str], style: int = GENERAL) -> list[str]:
    """Inline-string cells: text, never a formula, whatever it starts with (= + - @)."""
    head = (f' s="{style}"' if style else "") + ' t="inlineStr"><is><t xml:space="preserve">'
    if _NEEDS_ESCAPE.search("".join(texts)):
        texts = [t.translate(_XML_ESCAPE) for t in texts]
    return [head + t + "</t></is></c>" for t in texts]


def _numbers(texts, style: int = GENERAL) -> list[str]:
    head = f' s="{style}"><v>' if style else "><v>"
    return [head + t + "</v></c>" for t in texts]


def render_column(values: pd.Series, column: Column, forms: np.ndarray) -> np.ndarray:
    """The cells of one column as XML fragments (what follows `<c r="B7"`), None where empty."""
    out = np.full(len(values), None, dtype=object)
    present = values.notna().to_numpy()
    if not present.any():
        return out
    vals = values[present].to_numpy()
    chosen = np.asarray(forms)[present]
    cells = np.empty(len(vals), dtype=object)
    for i, name in enumerate(FORMS[column.kind]):
        sel = chosen == i
        if sel.any():
            cells[sel] = _render(vals[sel], column, name)
    out[present] = cells
    return out


def _ymd(values: np.ndarray) -> tuple[list[int], list[int], list[int], list[str]]:
    day = values.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    y = (month.astype("datetime64[Y]").astype(int) + 1970).tolist()
    m = (month.astype(int) % 12 + 1).tolist()
    d = ((day - month).astype(int) + 1).tolist()
    serial = (day - np.datetime64(EXCEL_EPOCH, "D")).astype(int).astype(str).tolist()
    return y, m, d, serial


def _render(v: np.ndarray, column: Column, form: str) -> list[str]:  # noqa: C901 - one branch per form
    kind = column.kind
    if kind is Kind.DATE:
        y, m, d, serial = _ymd(v)
        ymd = list(zip(y, m, d))
        if form in ("excel", "excel_slash", "excel_chinese", "serial"):
            style = {"excel": DATE_ISO, "excel_slash": DATE_SLASH, "excel_chinese": DATE_CHINESE, "serial": GENERAL}
            return _numbers(serial, style[form])
        if form == "compact_number":
            return _numbers([f"{a}{b:02d}{c:02d}" for a, b, c in ymd])
        pattern = {"slash": "{}/{}/{}", "iso": "{}-{:02d}-{:02d}", "dots": "{}.{}.{}", "chinese": "{}年{}月{}日",
                   "compact": "{}{:02d}{:02d}", "fullwidth": "{}/{}/{}"}[form]
        texts = [pattern.format(*t) for t in ymd]
        return _strings([fullwidth(t) for t in texts] if form == "fullwidth" else texts)
    if kind is Kind.MONEY:
        cents = np.rint(v.astype(float) * 100).astype(np.int64).tolist()
        if form in ("number", "number_formatted"):
            return _numbers([repr(c / 100) for c in cents], MONEY if form == "number_formatted" else GENERAL)
        plain = [f"{c / 100:.2f}" for c in cents]
        sign = ["-" if c < 0 else "" for c in cents]
        commas = [f"{abs(c) / 100:,.2f}" for c in cents]
        return _strings({
            "commas": lambda: [a + b for a, b in zip(sign, commas)], "yen": lambda: ["¥" + t for t in plain],
            "fullwidth_yen": lambda: ["￥" + fullwidth(a + b) for a, b in zip(sign, commas)],
            "yuan": lambda: [t + "元" for t in plain], "fullwidth": lambda: [fullwidth(t) for t in plain],
            "yen_commas": lambda: [a + "¥" + b for a, b in zip(sign, commas)],
        }[form]())
    if kind is Kind.YESNO:
        truth = v.astype(bool).tolist()
        if form == "boolean":
            return [' t="b"><v>1</v></c>' if t else ' t="b"><v>0</v></c>' for t in truth]
        yes, no = {"chinese": ("是", "否"), "yn": ("Y", "N"), "yn_lower": ("y", "n"), "check": ("√", "×"),
                   "truefalse": ("TRUE", "FALSE")}[form]
        return _strings([yes if t else no for t in truth])
    if kind is Kind.INT:
        text = [str(int(x)) for x in v]
        return {"number": lambda: _numbers(text), "text": lambda: _strings(text),
                "fullwidth": lambda: _strings([fullwidth(t) for t in text])}[form]()
    if kind is Kind.MONTH:
        ym = [(t[:4], t[5:7]) for t in v]
        if form == "excel":
            first = np.array([f"{a}-{b}-01" for a, b in ym], dtype="datetime64[D]")
            return _numbers(_ymd(first)[3], MONTH_ISO)
        pattern = {"iso": "{}-{}", "slash": "{}/{}", "chinese": "{}年{}月", "compact": "{}{}", "dots": "{}.{}"}[form]
        short = form in ("slash", "chinese")
        return _strings([pattern.format(a, b.lstrip("0") if short else b) for a, b in ym])
    text = [str(t) for t in v]
    if form == "spaced":
        if kind is Kind.CHOICE or (kind is Kind.ID and column.upper):  # folded away by the reader
            return _strings([f"{t[:len(t) // 2]} {t[len(t) // 2:]}" for t in text])
        return _strings([f" {t} " for t in text])
    if form == "fullwidth":
        return _strings([fullwidth(t) for t in text])
    if form == "lower" and column.upper:
        return _strings([t.lower() for t in text])
    if form == "number":  # a short all-digit id typed into a General cell: Excel keeps it as a number
        return [_numbers([t])[0] if _PLAIN_NUMBER.fullmatch(t) else _strings([t])[0] for t in text]
    return _strings(text, TEXT_FORMAT if form == "text_format" else GENERAL)


def header_variants(reg: Register, column: Column) -> list[str]:
    """Ways clerks write a column's header that still read as that column."""
    variants: list[str] = []
    for name in column.headers:
        variants += [name, f" {name} "]
        if len(name) >= 3:
            half = len(name) // 2
            variants += [f"{name[:half]} {name[half:]}", f"{name[:half]}\n{name[half:]}"]
        if column.kind is Kind.MONEY:
            variants += [f"{name}(元)", f"{name}（元）", f"{name}/元"]
        if column.kind is Kind.YESNO:
            variants += [f"{name}（是/否）"]
        if column.kind is Kind.DATE:
            variants += [f"{name}（年月日）"]
    return [v for v in dict.fromkeys(variants) if (m := reg.match_header(v)) is not None and m.key == column.key]


def write_messy_workbook(tables: Mapping[str, pd.DataFrame], path: str | Path, rng: np.random.Generator, *,
                         store: str = "", forms: Mapping[str, Mapping[str, np.ndarray]] | None = None,
                         sheet_rows: int = SHEET_ROWS) -> Path:
    """Write the given register tables into one workbook, one sheet per register, messy like a clerk's;
    a register longer than `sheet_rows` goes on as many sheets as it needs (Excel's sheets end at
    row 1,048,576: a dealer group's register fills several, 客户管理统计明细表2 and on).

    `forms` may give, per register and column, the form index of every cell (default: drawn from
    `rng`, the common forms most often). Returns the path written (atomically, see xlsx/save.py).
    """
    target = Path(path)
    sheets = []
    for key in [k for k in DATA_REGISTERS if k in tables]:
        chosen = (forms or {}).get(key, {})
        for n, (part, which) in enumerate(_sheet_parts(tables[key], sheet_rows)):
            name = REGISTERS[key].sheet + (str(n + 1) if n else "")  # 客户管理统计明细表, …2, …3
            picked = {k: np.asarray(v)[which] for k, v in chosen.items()}
            sheets.append((name, _sheet_xml(REGISTERS[key], part, rng, store, picked)))
    atomic_write(target, lambda tmp: _write_package(tmp, sheets), verify=_verify_package)
    return target


def _sheet_parts(table: pd.DataFrame, sheet_rows: int) -> list[tuple[pd.DataFrame, np.ndarray]]:
    """The table in pieces of at most `sheet_rows` rows (in _row order), each renumbered to start
    where the whole one starts (the gaps clerks leave are kept), with the positions it took."""
    if len(table) <= sheet_rows:
        return [(table, np.arange(len(table)))]
    rows = table[ROW].to_numpy(dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    parts = []
    for start in range(0, len(order), sheet_rows):
        which = order[start:start + sheet_rows]
        part = table.iloc[which].reset_index(drop=True)
        part[ROW] = rows[which] - rows[which[0]] + rows[order[0]]
        parts.append((part, which))
    return parts


def _sheet_xml(reg: Register, table: pd.DataFrame, rng: np.random.Generator, store: str,
               forms: Mapping[str, np.ndarray]) -> str:
    rows = table[ROW].to_numpy(dtype=np.int64)
    if len(rows) and (np.any(np.diff(np.sort(rows)) == 0) or rows.min() < 2):
        raise ValueError(f"{reg.key}: _row must be distinct Excel rows below the header")
    header_row = int(rows.min()) - 1 if len(rows) else int(rng.integers(1, 4))
    columns, headers, letters, note = _columns_as_clerks_arrange_them(reg, table, rng)
    cells = {}
    for col, letter in zip(columns, letters):
        chosen = forms.get(col.key)
        chosen = draw_forms(col, len(table), rng) if chosen is None else np.asarray(chosen)
        cells[letter] = render_column(table[col.key], col, chosen)
    if note:
        notes = pd.Series(np.where(rng.random(len(table)) < 0.03, rng.choice(NOTES, size=len(table)), None))
        cells[note] = render_column(notes, Column("note", "备注"), np.zeros(len(table), int))
    in_order = sorted(cells, key=lambda c: (len(c), c))  # cells of a row go left to right

    parts = []
    if header_row >= 2:
        parts.append(_row_xml(1, [("A", _one_string(f"{store} {reg.sheet}".strip(), TITLE))]))
    if header_row >= 3:
        parts.append(_row_xml(2, [("A", _one_string("制表：保险部        单位：元"))]))
    header_text = dict(zip(letters, headers)) | ({note: "备注"} if note else {})
    parts.append(_row_xml(header_row, [(c, _one_string(header_text[c], HEADER)) for c in in_order]))
    order = np.argsort(rows, kind="stable")
    parts.append(_data_rows(rows[order], [(c, cells[c][order]) for c in in_order]))
    last = int(rows.max()) if len(rows) else header_row
    money = [(c, letter) for c, letter in zip(columns, letters) if c.kind is Kind.MONEY]
    if money and len(table):  # the 合计 row, right under the data or after a blank row
        last += 1 + int(rng.random() < 0.3)
        label = next(letter for c, letter in zip(columns, letters) if c.kind is not Kind.MONEY)
        total = {label: _one_string(str(rng.choice(TOTAL_ROW_LABELS)))}
        for col, letter in money:
            cents = int(np.rint(table[col.key].fillna(0).to_numpy(dtype=float) * 100).astype(np.int64).sum())
            total[letter] = f' s="{MONEY}"><v>{cents / 100!r}</v></c>'
        parts.append(_row_xml(last, [(c, total[c]) for c in in_order if c in total]))
    widths = {letter: c.width for c, letter in zip(columns, letters)}
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{widths.get(c, 16) + 2}" customWidth="1"/>'
                   for i, c in enumerate(in_order))
    merge = f'<mergeCells count="1"><mergeCell ref="A1:{in_order[-1]}1"/></mergeCells>' if header_row >= 2 else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<dimension ref="A1:{in_order[-1]}{last}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{"".join(parts)}</sheetData>'
            f"{merge}</worksheet>")


def _columns_as_clerks_arrange_them(reg: Register, table: pd.DataFrame, rng: np.random.Generator
                                    ) -> tuple[list[Column], list[str], list[str], str]:
    """The table's declared columns (often shuffled), the header each is written with, its letter,
    and the letter of the clerk's own 备注 column."""
    columns = [c for c in reg.columns if c.key in table.columns]
    if rng.random() < 0.6:
        columns = [columns[i] for i in rng.permutation(len(columns))]
    headers = []
    for col in columns:
        options = header_variants(reg, col)
        headers.append(col.header if rng.random() < 0.6 or not options else options[rng.integers(len(options))])
    positions = list(range(len(columns)))
    note = ""
    if reg.match_header("备注") is None:  # an extra column of the clerk's own, mostly at the end
        note_at = int(rng.integers(len(columns) + 1)) if rng.random() < 0.3 else len(columns)
        positions = [p + (p >= note_at) for p in positions]
        note = get_column_letter(note_at + 1)
    return columns, headers, [get_column_letter(p + 1) for p in positions], note


def _one_string(text: str, style: int = GENERAL) -> str:
    return _strings([text], style)[0]


def _row_xml(row: int, cells: list[tuple[str, str]]) -> str:
    return f'<row r="{row}">' + "".join(f'<c r="{letter}{row}"{frag}' for letter, frag in cells) + "</row>"


def _data_rows(rows: np.ndarray, columns: list[tuple[str, np.ndarray]]) -> str:
    """All data rows: each column's cells built in one pass, then joined row by row."""
    numbers = rows.astype(str).tolist()
    cells = [[f'<c r="{letter}{n}"{f}' if f is not None else "" for n, f in zip(numbers, frags.tolist())]
             for letter, frags in columns]
    return "".join([f'<row r="{n}">{"".join(row)}</row>' for n, row in zip(numbers, zip(*cells))])


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_FONT = '<sz val="{}"/><name val="宋体"/><family val="3"/><charset val="134"/>'
_GREY = '<color rgb="FFBFBFBF"/>'
# numFmts 164–167 are ours; 4 is #,##0.00 and 49 is @ (text). cellXfs in the order of the style constants.
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}"><numFmts count="4">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd"/><numFmt numFmtId="165" formatCode="yyyy/m/d"/>'
    '<numFmt numFmtId="166" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
    '<numFmt numFmtId="167" formatCode="yyyy-mm"/></numFmts>'
    f'<fonts count="3"><font>{_FONT.format(11)}</font><font><b/>{_FONT.format(14)}</font>'
    f'<font><b/>{_FONT.format(11)}</font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFD9E1F2"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    f'<border><left style="thin">{_GREY}</left><right style="thin">{_GREY}</right><top style="thin">{_GREY}</top>'
    f'<bottom style="thin">{_GREY}</bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="9">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    + "".join(f'<xf numFmtId="{fmt}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
              for fmt in (164, 165, 166, 167, 4, 49))
    + '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
    '<alignment horizontal="center" vertical="center"/></xf>'
    '<xf numFmtId="0" fontId="2" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" '
    'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _verify_package(path: Path) -> None:
    """The written file passes the reading checks and every part's checksum (cheaper than parsing it)."""
    check_workbook_file(path)
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
    if bad is not None:
        raise WorkbookUnreadable(path, f"写入后校验失败：{bad} 损坏")


def _write_package(path: Path, sheets: list[tuple[str, str]]) -> None:
    """A minimal SpreadsheetML package: content types, workbook, sheets, styles, core properties."""
    n = len(sheets)
    overrides = [("/xl/workbook.xml", f"{_SHEET_TYPE}.sheet.main+xml"),
                 *((f"/xl/worksheets/sheet{i + 1}.xml", f"{_SHEET_TYPE}.worksheet+xml") for i in range(n)),
                 ("/xl/styles.xml", f"{_SHEET_TYPE}.styles+xml"),
                 ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml")]
    content_types = (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in overrides) + "</Types>")
    root_rels = (f'{_HEAD}<Relationships xmlns="{_PKG}">'
                 f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                 f'<Relationship Id="rId2" Type="{_PKG}/metadata/core-properties" Target="docProps/core.xml"/>'
                 "</Relationships>")
    workbook = (f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews><sheets>'
                + "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                          for i, (name, _) in enumerate(sheets))
                + "</sheets></workbook>")
    workbook_rels = (f'{_HEAD}<Relationships xmlns="{_PKG}">'
                     + "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" '
                               f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(n))
                     + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
    core = (f'{_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>保险部</dc:creator>'
            "</cp:coreProperties>")
    # zlib's default level: a fifth smaller than level 1 (measured on the demo store), which keeps a
    # 100k-policy store well under the reader's 50 MB limit
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("docProps/core.xml", core)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        for i, (_, xml) in enumerate(sheets):
            archive.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
