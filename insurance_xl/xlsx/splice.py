"""Splicing rows into a sheet's XML in place (calls import, lock rows): cells, styles, tables, ranges."""
from __future__ import annotations
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.sax.saxutils import escape
import pandas as pd
from defusedxml import ElementTree as SafeET
from .parts import column_letter
from ..registers import Kind
from .texts import text_for_cell
from .shift import RowShift
from .parts import MAIN, PKG_REL, REF, REL_NS, Styles, WORKSHEET_TYPE, attrs_of, col_index, resolve, split_ref


def serial(day: pd.Timestamp, date1904: bool) -> str:
    epoch = pd.Timestamp("1904-01-01") if date1904 else pd.Timestamp("1899-12-30")
    delta = day - epoch
    whole = delta.days
    rest = delta - pd.Timedelta(days=whole)
    return str(whole) if rest == pd.Timedelta(0) else repr(whole + rest.total_seconds() / 86400)


def cell_value(value: object, kind: Kind) -> tuple[str, str] | None:
    """('date'|'number'|'text', text) for one value, or None for an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if kind is Kind.DATE and isinstance(value, (pd.Timestamp, dt.date)):
        return "date", str(pd.Timestamp(value))
    if kind in (Kind.MONEY, Kind.INT) and isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return "number", str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if isinstance(value, bool) or (hasattr(value, "dtype") and str(getattr(value, "dtype", "")) == "bool"):
        return "text", "是" if bool(value) else "否"
    if hasattr(value, "item"):  # numpy scalars
        return cell_value(value.item(), kind)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return "text", pd.Timestamp(value).strftime("%Y-%m-%d")
    text = text_for_cell(str(value))  # as writing.sheet.put() writes text: XML-safe, Excel escapes kept literal
    return ("text", text) if text != "" else None


def text_cell(ref: str, style: str, text: str, prefix: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return (f'<{prefix}c r="{ref}"{style} t="inlineStr"><{prefix}is><{prefix}t{space}>{escape(text)}'
            f"</{prefix}t></{prefix}is></{prefix}c>")


@dataclass

class Row:
    r: int
    start: int
    end: int
    text: str

    def cells(self, prefix: str) -> list[tuple[int, dict[str, str], str]]:
        """(column index, attributes, xml) of each cell; cells without r follow the previous one."""
        out, col = [], -1
        for m in re.finditer(rf"<{prefix}c(?=[\s/>])[^>]*?(?:/>|>.*?</{prefix}c>)", self.text, re.S):
            attrs = attrs_of(m[0][:m[0].index(">") + 1])
            col = col_index(split_ref(attrs["r"])[0]) if "r" in attrs else col + 1
            out.append((col, attrs, m[0]))
        return out


def has_value(cell_xml: str, prefix: str) -> bool:
    return re.search(rf"<{prefix}(?:v|is|f)(?=[\s/>])", cell_xml) is not None


class SheetXml:
    """One worksheet part: its rows located in the text, and the edits that splice new ones in."""

    def __init__(self, xml: str) -> None:
        m = re.search(r"<((?:\w+:)?)sheetData\b[^>]*?(/?)>", xml)
        if not m:
            raise ValueError("no sheetData")
        self.xml, self.prefix = xml, m[1]
        if m[2]:  # <sheetData/>: open it up
            self.xml = xml[:m.start()] + f"<{self.prefix}sheetData>" + f"</{self.prefix}sheetData>" + xml[m.end():]
            m = re.search(r"<((?:\w+:)?)sheetData\b[^>]*?>", self.xml)
        self.body_start = m.end()
        self.body_end = self.xml.index(f"</{self.prefix}sheetData>", self.body_start)
        body = self.xml[self.body_start:self.body_end]
        self.rows: list[Row] = []
        last = 0
        p = self.prefix
        for rm in re.finditer(rf"<{p}row(?=[\s/>])[^>]*?(?:/>|>.*?</{p}row>)", body, re.S):
            attrs = attrs_of(rm[0][:rm[0].index(">") + 1])
            last = int(attrs["r"]) if "r" in attrs else last + 1
            self.rows.append(Row(last, rm.start(), rm.end(), rm[0]))
        self.by_number = {row.r: row for row in self.rows}

    def last_row_with_values(self, columns: set[int], floor: int, before: int | None = None) -> int:
        for row in reversed(self.rows):
            if before is not None and row.r >= before:
                continue
            if row.r <= floor:
                return floor
            if any(c in columns and has_value(x, self.prefix) for c, _, x in row.cells(self.prefix)):
                return row.r
        return floor

    def styles_above(self, before: int, columns: set[int], floor: int, depth: int = 50) -> dict[int, list[tuple[str, str]]]:
        """Per column: (cell type, style) of the nearest cells holding values above `before`."""
        seen: dict[int, list[tuple[str, str]]] = {}
        for row in reversed([r for r in self.rows if floor < r.r < before][-depth:]):
            for col, attrs, xml in row.cells(self.prefix):
                if col in columns and has_value(xml, self.prefix):
                    seen.setdefault(col, []).append((attrs.get("t", "n"), attrs.get("s", "")))
        return seen

    def row(self, r: int) -> Row | None:
        return self.by_number.get(r)

    def replace_rows(self, new: dict[int, str]) -> None:
        """Put each new row text at its place: replacing the row element of that number, or inserted
        in row order."""
        body = self.xml[self.body_start:self.body_end]
        pieces, pos, pending = [], 0, sorted(new.items())
        for row in self.rows:
            while pending and pending[0][0] < row.r:
                pieces.append(body[pos:row.start])
                pos = row.start
                pieces.append(pending.pop(0)[1])
            if pending and pending[0][0] == row.r:
                pieces.append(body[pos:row.start])
                pieces.append(pending.pop(0)[1])
                pos = row.end
        pieces.append(body[pos:])
        pieces.extend(text for _, text in pending)
        self.xml = self.xml[:self.body_start] + "".join(pieces) + self.xml[self.body_end:]
        self.body_end = self.body_start + len("".join(pieces))


def merge_row(r: int, old: Row | None, cells: dict[int, str], prefix: str) -> str:
    """A row element holding `cells` (column → cell xml), keeping the old row's other cells."""
    attrs = ""
    merged: dict[int, str] = {}
    if old is not None:
        tag = old.text[:old.text.index(">") + 1]
        kept = {k: v for k, v in attrs_of(tag).items() if k not in ("r", "spans")}
        attrs = "".join(f' {k}="{v}"' for k, v in kept.items())
        merged = {col: xml for col, _, xml in old.cells(prefix)}
    merged.update(cells)
    body = "".join(merged[c] for c in sorted(merged))
    return f'<{prefix}row r="{r}"{attrs}>{body}</{prefix}row>'


def stretch(ref: str, top_min: int, old_last: int, new_last: int, new_right: int | None = None,
             old_right: int | None = None) -> str:
    """A range 'A2:G51' grown to the new last row when it started in the register and ended at the
    old last row (or further down inside it); columns grown when it ended at the old right edge."""
    out = []
    for part in ref.split():
        m = REF.match(part)
        if not m or not m[3]:
            out.append(part)
            continue
        c1, r1, c2, r2 = m[1], int(m[2]), m[3], int(m[4])
        if r1 <= top_min and old_last <= r2 < new_last:
            r2 = new_last
        if new_right is not None and old_right is not None and col_index(c2) == old_right and new_right > old_right:
            c2 = column_letter(new_right)
        out.append(f"{c1}{r1}:{c2}{r2}")
    return " ".join(out)

SQREF = re.compile(r'(\bsqref=")([^"]*)(")|(<xm:sqref>)([^<]*)(</xm:sqref>)|(<(?:\w+:)?autoFilter\b[^>]*?\bref=")([^"]*)(")')


def render_cell(kind: str, text: str, ref: str, style: int | str | None, prefix: str, date1904: bool) -> str:
    s = f' s="{style}"' if style not in (None, "") else ""
    if kind == "date":
        if style in (None, ""):  # no date style to be had: ISO text, which the reader parses alike
            return text_cell(ref, "", pd.Timestamp(text).strftime("%Y-%m-%d"), prefix)
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{serial(pd.Timestamp(text), date1904)}</{prefix}v></{prefix}c>'
    if kind == "number":
        return f'<{prefix}c r="{ref}"{s}><{prefix}v>{text}</{prefix}v></{prefix}c>'
    return text_cell(ref, s, text, prefix)


def pick_style(kind: str, own: str | None, above: list[tuple[str, str]], styles: Styles) -> str | int | None:
    """The style of a new cell: the pre-formatted cell's own, else the nearest like cell above;
    a date always gets a date format."""
    is_date = lambda s: s not in ("", None) and int(s) in styles.date_xfs  # noqa: E731
    if kind == "date":
        if is_date(own):
            return own
        return next((s for t, s in above if t == "n" and is_date(s)), None) or styles.date_style()
    if own not in (None, "") and not is_date(own):
        return own
    wanted = ("n",) if kind == "number" else ("s", "inlineStr", "str")
    return next((s for t, s in above if t in wanted and not is_date(s)), None)


def stretch_match(m: re.Match, top: int, old_last: int, new_last: int) -> str:
    for i in (1, 4, 7):
        if m[i] is not None:
            return m[i] + stretch(m[i + 1], top, old_last, new_last) + m[i + 2]
    return m[0]


def grow_dimension(ref: str, new_last: int, right: int) -> str:
    m = REF.match(ref)
    if not m:
        return ref
    c2, r2 = (m[3], int(m[4])) if m[3] else (m[1], int(m[2]))
    c2 = column_letter(max(col_index(c2), right))
    return f"{m[1]}{m[2]}:{c2}{max(r2, new_last)}"


def stretch_tables(data: dict[str, bytes], changed: dict[str, bytes], part: str, header: int, old_last: int,
                    new_last: int, old_right: int, right: int, added: list[str], moved: RowShift | None = None) -> None:
    """Excel Tables on the sheet whose header is the register's header grow over the new rows (and
    columns); a table with a totals row is left alone (its last row is the totals) unless the rows
    moved (`moved`, a shift.RowShift: new rows went above the 合计 row), which every table follows."""
    rels_name = f"{PurePosixPath(part).parent}/_rels/{PurePosixPath(part).name}.rels"
    if rels_name not in data:
        return
    rels = SafeET.fromstring(data[rels_name])
    for rel in rels.iter(PKG_REL):
        if not rel.get("Type", "").endswith("/table"):
            continue
        name = resolve(part, rel.get("Target", ""))
        if name not in data:
            continue
        xml = data[name].decode("utf-8")
        if moved is not None:  # every range of every table on the sheet follows the moved rows
            xml = re.sub(r'(<(?:\w+:)?(?:table|autoFilter|sortState|sortCondition)\b[^>]*?\bref=")([^"]*)(")',
                         lambda a: a[1] + moved.refs(a[2]) + a[3], xml)
        root = re.search(r"<((?:\w+:)?)table\b[^>]*>", xml)
        attrs = attrs_of(root[0]) if root else {}
        m = REF.match(attrs.get("ref", ""))
        if not m or not m[3] or int(m[2]) != header or (moved is None and int(attrs.get("totalsRowCount", "0") or 0) > 0):
            if xml != data[name].decode("utf-8"):
                changed[name] = xml.encode("utf-8")
            continue
        p = root[1]
        grow_cols = added and col_index(m[3]) == old_right
        new_ref = stretch(attrs["ref"], header, old_last, new_last, right if grow_cols else None, old_right)
        xml = xml[:root.start()] + root[0].replace(f'ref="{attrs["ref"]}"', f'ref="{new_ref}"', 1) + xml[root.end():]
        xml = re.sub(rf'(<{p}autoFilter\b[^>]*?\bref=")([^"]*)(")',
                     lambda a: a[1] + stretch(a[2], header, old_last, new_last, right if grow_cols else None,
                                               old_right) + a[3], xml, count=1)
        if grow_cols:
            ids = [int(i) for i in re.findall(rf'<{p}tableColumn\b[^>]*?\bid="(\d+)"', xml)]
            extra = "".join(f'<{p}tableColumn id="{max(ids, default=0) + i}" name="{escape(h, {chr(34): "&quot;"})}"/>'
                            for i, h in enumerate(added, start=1))
            xml = re.sub(rf"(<{p}tableColumns\b[^>]*?\bcount=\")(\d+)(\"[^>]*>)(.*?)(</{p}tableColumns>)",
                         lambda t: f"{t[1]}{int(t[2]) + len(added)}{t[3]}{t[4]}{extra}{t[5]}", xml, count=1, flags=re.S)
        if xml != data[name].decode("utf-8"):
            changed[name] = xml.encode("utf-8")


def new_sheet_parts(data: dict[str, bytes], changed: dict[str, bytes], name: str, headers: list[tuple[str, int]],
                    rows: list[dict[int, tuple[str, str]]], styles: Styles, date1904: bool) -> tuple[str, list[int]]:
    """A new worksheet `name`: a header row ((text, width) per column) and `rows` (column → (kind, text))
    below it, registered in workbook.xml, its rels and [Content_Types].xml. Returns (part, Excel rows)."""
    n = 1
    while f"xl/worksheets/sheet{n}.xml" in data:
        n += 1
    part = f"xl/worksheets/sheet{n}.xml"
    date_style = styles.date_style() if any(k == "date" for row in rows for k, _ in row.values()) else None
    header = "".join(text_cell(f"{column_letter(i)}1", "", text, "") for i, (text, _) in enumerate(headers))
    body = [f'<row r="1">{header}</row>']
    numbers = list(range(2, 2 + len(rows)))
    for r, values in zip(numbers, rows):
        cells = "".join(render_cell(kind, text, f"{column_letter(col)}{r}", date_style if kind == "date" else None,
                                    "", date1904)
                        for col, (kind, text) in sorted(values.items()))
        body.append(f'<row r="{r}">{cells}</row>')
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{width}" customWidth="1"/>'
                   for i, (_, width) in enumerate(headers))
    last = column_letter(len(headers) - 1)
    changed[part] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{MAIN[1:-1]}" xmlns:r="{REL_NS}"><dimension ref="A1:{last}{numbers[-1] if numbers else 1}"/>'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
        'state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        f'<cols>{cols}</cols><sheetData>{"".join(body)}</sheetData></worksheet>').encode("utf-8")
    rels = data["xl/_rels/workbook.xml.rels"].decode("utf-8")
    used = set(re.findall(r'\bId="([^"]+)"', rels))
    rid = next(f"rId{i}" for i in range(1, len(used) + 2) if f"rId{i}" not in used)
    rel = f'<Relationship Id="{rid}" Type="{WORKSHEET_TYPE}" Target="worksheets/sheet{n}.xml"/>'
    changed["xl/_rels/workbook.xml.rels"] = re.sub(r"(</(?:\w+:)?Relationships>)", lambda m: rel + m[1], rels,
                                                   count=1).encode("utf-8")
    book = data["xl/workbook.xml"].decode("utf-8")
    sheet_ids = [int(i) for i in re.findall(r'<(?:\w+:)?sheet\b[^>]*?\bsheetId="(\d+)"', book)]
    r_prefix = re.search(rf'xmlns:(\w+)="{re.escape(REL_NS)}"', book)
    r_attr = f'{r_prefix[1]}:id="{rid}"' if r_prefix else f'xmlns:r="{REL_NS}" r:id="{rid}"'
    closing = re.search(r"</((?:\w+:)?)sheets>", book) or re.search(r"<((?:\w+:)?)sheets\s*/>", book)
    if closing is None:
        raise ValueError("xl/workbook.xml 没有工作表列表（<sheets>）")
    entry = f'<{closing[1]}sheet name="{escape(name)}" sheetId="{max(sheet_ids, default=0) + 1}" {r_attr}/>'
    if closing[0].endswith("/>"):  # <sheets/>: an empty list becomes a list of one
        entry = f"<{closing[1]}sheets>{entry}</{closing[1]}sheets>"
        changed["xl/workbook.xml"] = (book[:closing.start()] + entry + book[closing.end():]).encode("utf-8")
    else:
        changed["xl/workbook.xml"] = (book[:closing.start()] + entry + book[closing.start():]).encode("utf-8")
    types = data["[Content_Types].xml"].decode("utf-8")
    override = (f'<Override PartName="/{part}" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
    changed["[Content_Types].xml"] = re.sub(r"(</(?:\w+:)?Types>)", lambda m: override + m[1], types,
                                            count=1).encode("utf-8")
    return part, numbers
