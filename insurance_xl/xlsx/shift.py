"""Moving a sheet's rows down to make room (new register rows above a 合计 row), as Excel's Insert Rows does.

A `RowShift` says: rows from `at` down move `by` rows; ranges of the register that ended between its
last row and the moved rows (`old_last` ≤ end < `new_last`, starting no lower than `top`) grow to
`new_last`, so `SUM(F3:F120)` in a 合计 row moved from 121 to 123 becomes `SUM(F3:F122)`.
The edits are text edits of the parts (the rest of each part stays byte for byte): row and cell numbers,
formulas (string literals skipped; a ref followed by `(` is a function such as LOG10), merged cells,
sqref lists, hyperlinks, table ranges, defined names and other sheets' formulas that point at the sheet.
A formula whose text changed loses its cached <v>: the spreadsheet recalculates it (the workbook asks for
that, see `ask_full_recalculation`), never showing the old total.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .parts import attrs_of

# A1, $A$1, A1:B2, 3:5 (whole rows) and A:A, optionally after Sheet! or 'My sheet'!; not inside names
# (foo_A1), not a function (LOG10(), not after ] (an external workbook's [1]Sheet!A1 is another file).
_REF = re.compile(
    r"(?<![\w.$\]'!])"
    r"(?P<sheet>(?:'(?:[^']|'')+'|[^\W\d][\w.]*)!)?"
    r"(?P<ref>\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?|\$?\d+:\$?\d+)"
    r"(?![\w(!])")
_POINT = re.compile(r"(\$?[A-Za-z]{0,3}\$?)(\d+)")
_STRINGS = re.compile(r'("(?:[^"]|"")*"|&quot;.*?&quot;)')


@dataclass(frozen=True)
class RowShift:
    at: int  # first row that moves (the 合计 row)
    by: int  # how many rows it moves down (0: the new rows fit in blank rows above it)
    top: int  # a range starting at or above this row is a range over the register's rows
    old_last: int  # last row of the register before
    new_last: int  # last row of the register after (the last new row)

    def row(self, r: int) -> int:
        return r + self.by if r >= self.at else r

    def ref(self, text: str, stretch: bool = True) -> str:
        """One A1 or A1:B2 reference (with or without $) moved, and grown when it ended at the register's end."""
        points = list(_POINT.finditer(text))
        if not points:
            return text
        rows = [self.row(int(m[2])) for m in points]
        if stretch and len(points) == 2 and int(points[0][2]) <= self.top and \
                self.old_last <= int(points[1][2]) < min(self.at, self.new_last):
            rows[1] = self.new_last
        out, pos = [], 0
        for m, r in zip(points, rows):
            out.append(text[pos:m.start(2)] + str(r))
            pos = m.end(2)
        return "".join(out) + text[pos:]

    def refs(self, sqref: str) -> str:
        """A space-separated list of references (sqref, ref attributes)."""
        return " ".join(self.ref(part) for part in sqref.split(" "))

    def formula(self, text: str, own_sheet: str | None, unqualified: bool, stretch: bool) -> str:
        """References in a formula to `own_sheet` moved: qualified ones always, unqualified ones when the
        formula is on that sheet (`unqualified`)."""
        def one(m: re.Match) -> str:
            sheet = m["sheet"]
            name = sheet[:-1].strip("'").replace("''", "'") if sheet else None
            if (name is None and not unqualified) or (name is not None and name != own_sheet):
                return m[0]
            return (sheet or "") + self.ref(m["ref"], stretch)
        pieces = _STRINGS.split(text)  # odd pieces are string literals
        return "".join(p if i % 2 else _REF.sub(one, p) for i, p in enumerate(pieces))


def _formula_cells(xml: str, prefix: str, edit) -> str:
    """Each <f> of `xml` through edit(formula text, ref attribute or None) → (text, ref); a cell whose
    formula changed loses its cached value."""
    p = prefix

    def cell(m: re.Match) -> str:
        whole = m[0]
        f = re.search(rf"<{p}f\b([^>]*?)(?:/>|>(.*?)</{p}f>)", whole, re.S)
        if not f:
            return whole
        attrs = attrs_of(f"<f{f[1]}>")
        text, ref = edit(f[2] or "", attrs.get("ref"))
        if text == (f[2] or "") and ref == attrs.get("ref"):
            return whole
        head = f[1] if ref is None else f[1].replace(f'ref="{attrs["ref"]}"', f'ref="{ref}"', 1)
        new_f = f"<{p}f{head}/>" if f[2] is None else f"<{p}f{head}>{text}</{p}f>"
        whole = whole[:f.start()] + new_f + whole[f.end():]
        return re.sub(rf"<{p}v>[^<]*</{p}v>|<{p}v/>", "", whole)
    return re.sub(rf"<{p}c(?=[\s/>])[^>]*?(?:/>|>.*?</{p}c>)", cell, xml, flags=re.S)


def shift_sheet(xml: str, prefix: str, move: RowShift, sheet: str, header: int) -> tuple[str, bool]:
    """The worksheet part with rows from `move.at` down renumbered and every reference adjusted.
    Returns (xml, whether a formula changed). Formulas in the moved rows and above the header (totals
    and summaries) grow over the new rows; those of the register's own rows only follow moved rows (a
    running balance `SUM($F$3:F120)` in row 120 stays what it is)."""
    p = prefix
    formulas_changed = False

    def formula_edit(stretch: bool):
        def edit(text: str, ref: str | None) -> tuple[str, str | None]:
            nonlocal formulas_changed
            new = move.formula(text, sheet, True, stretch)
            new_ref = move.refs(ref) if ref is not None else None
            formulas_changed |= new != text
            return new, new_ref
        return edit

    def row(m: re.Match) -> str:
        r = int(attrs_of(m[0][:m[0].index(">") + 1]).get("r", "0"))
        text = _formula_cells(m[0], p, formula_edit(r >= move.at or r < header))
        if r >= move.at and move.by:
            text = re.sub(rf'^(<{p}row\b[^>]*?\br=")(\d+)(")', lambda a: f"{a[1]}{int(a[2]) + move.by}{a[3]}", text)
            text = re.sub(rf'(<{p}c\b[^>]*?\br="[A-Z]+)(\d+)(")', lambda a: f"{a[1]}{int(a[2]) + move.by}{a[3]}", text)
        return text

    start = re.search(rf"<{p}sheetData\b[^>]*>", xml)
    if start is None:
        return xml, False
    end = xml.index(f"</{p}sheetData>", start.end())
    body = re.sub(rf"<{p}row(?=[\s/>])[^>]*?(?:/>|>.*?</{p}row>)", row, xml[start.end():end], flags=re.S)
    head, tail = xml[:start.end()], xml[end:]
    # merged cells, hyperlinks, data validations, conditional formats, autofilter, print breaks
    tail = re.sub(rf'(<{p}(?:mergeCell|hyperlink|autoFilter|sortState|sortCondition)\b[^>]*?\bref=")([^"]*)(")',
                  lambda a: a[1] + move.refs(a[2]) + a[3], tail)
    tail = re.sub(r'(\bsqref=")([^"]*)(")|(<xm:sqref>)([^<]*)(</xm:sqref>)',
                  lambda a: (a[1] + move.refs(a[2]) + a[3]) if a[1] else (a[4] + move.refs(a[5]) + a[6]), tail)
    tail = re.sub(rf'(<{p}rowBreaks\b.*?</{p}rowBreaks>)',
                  lambda b: re.sub(r'(\bid=")(\d+)(")', lambda a: f"{a[1]}{move.row(int(a[2]) + 1) - 1}{a[3]}", b[0]),
                  tail, flags=re.S)

    def rule_formula(a: re.Match) -> str:  # conditional-format and validation formulas
        new = move.formula(a[2], sheet, True, False)
        return a[1] + new + a[3]
    tail = re.sub(rf"(<{p}formula\d?>)(.*?)(</{p}formula\d?>)", rule_formula, tail, flags=re.S)
    return head + body + tail, formulas_changed


def shift_other_sheet(xml: str, prefix: str, move: RowShift, sheet: str) -> tuple[str, bool]:
    """Another worksheet's formulas that point at `sheet` (a 看板 cell showing its 合计)."""
    if sheet not in xml:
        return xml, False
    changed = False

    def edit(text: str, ref: str | None) -> tuple[str, str | None]:
        nonlocal changed
        new = move.formula(text, sheet, False, True)
        changed |= new != text
        return new, ref
    return _formula_cells(xml, prefix, edit), changed


def shift_defined_names(workbook_xml: str, move: RowShift, sheet: str) -> str:
    """Print areas, print titles, filter ranges and the clerk's own names that point at `sheet`."""
    return re.sub(r"(<(?:\w+:)?definedName\b[^>]*>)(.*?)(</(?:\w+:)?definedName>)",
                  lambda m: m[1] + move.formula(m[2], sheet, False, True) + m[3], workbook_xml, flags=re.S)


def ask_full_recalculation(workbook_xml: str) -> str:
    """workbook.xml asking the spreadsheet to recalculate everything on opening (formulas we moved have
    no cached value any more)."""
    m = re.search(r"<((?:\w+:)?)calcPr\b([^>]*?)/?>", workbook_xml)
    if m is None:
        close = re.search(r"</((?:\w+:)?)workbook>", workbook_xml)
        if close is None:
            return workbook_xml
        # calcPr sits after definedNames, before oleSize/customWorkbookViews/pivotCaches/...: put it
        # right after definedNames or sheets, whichever is last
        anchor = None
        for tag in ("definedNames", "sheets"):
            a = re.search(rf"</{close[1]}{tag}>|<{close[1]}{tag}\s*/>", workbook_xml)
            if a:
                anchor = a
                break
        if anchor is None:
            return workbook_xml
        return workbook_xml[:anchor.end()] + f'<{close[1]}calcPr fullCalcOnLoad="1"/>' + workbook_xml[anchor.end():]
    if "fullCalcOnLoad" in m[2]:
        tag = re.sub(r'fullCalcOnLoad="[^"]*"', 'fullCalcOnLoad="1"', m[0])
    else:
        tag = m[0].replace(f"<{m[1]}calcPr", f'<{m[1]}calcPr fullCalcOnLoad="1"', 1)
    return workbook_xml[:m.start()] + tag + workbook_xml[m.end():]
