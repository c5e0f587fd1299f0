"""Editing a register sheet's XML part for the validated workbook, as bytes, without parsing it whole.

Offending cells get a filled copy of their own cell format (a cell that is not in the file yet gets
one, empty); formulas are frozen to the values they showed (the <f> element goes, the cached value
stays, so the reader reads the same text and the stamp still holds); the sheet stops being selected
(the 校验结果 sheet in front is). Only the rows holding a marked cell are looked at cell by cell: a
150 MB sheet with a handful of findings costs one scan for row starts and a copy of the rest.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Mapping

from ..xlsx.parts import attrs_of, col_index, split_ref
from ..xlsx.style_edit import StyleSheet, Unsupported

_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b[^>]*?(/?)>")


class SheetEdit:
    """One worksheet part and the edits made to it; `chunks()` gives the new part's bytes."""

    def __init__(self, data: bytes) -> None:
        m = _SHEET_DATA.search(data)
        if m is None:
            raise Unsupported("worksheet without sheetData")
        self.data, self.p = data, m[1]
        self.empty = bool(m[2])
        self.body_start = m.end()
        self.body_end = m.end() if self.empty else data.index(b"</" + self.p + b"sheetData>", m.end())
        self.edits: list[tuple[int, int, bytes]] = []  # (start, end, replacement), non-overlapping

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def chunks(self) -> list[bytes | memoryview]:
        view, out, pos = memoryview(self.data), [], 0
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1])):
            out.append(view[pos:start])
            out.append(new)
            pos = end
        out.append(view[pos:])
        return out

    # ---- the sheet's head and tail ------------------------------------------------------------

    def unselect(self) -> None:
        """Drop tabSelected from the sheet's views (the results sheet is the selected one)."""
        for m in re.finditer(rb'\s+tabSelected="(?:1|true)"', self.data[:self.body_start]):
            self.edits.append((m.start(), m.end(), b""))

    def add_to_tail(self, element: bytes, before: tuple[bytes, ...]) -> None:
        """Insert `element` in the sheet's tail before the first of the `before` elements present."""
        tail_from = self.body_end
        for name in before:
            m = re.compile(rb"<" + self.p + name + rb"[\s/>]").search(self.data, tail_from)
            if m:
                self.edits.append((m.start(), m.start(), element))
                return
        end = self.data.rindex(b"</" + self.p + b"worksheet>")
        self.edits.append((end, end, element))

    # ---- cells ------------------------------------------------------------------------------

    def freeze_formulas(self, skip: list[tuple[int, int]] = ()) -> int:
        """Replace every formula cell (outside the `skip` spans) by the value it showed."""
        p, n = self.p, 0
        for m in re.compile(rb"<" + p + rb"f[\s>/]").finditer(self.data, self.body_start, self.body_end):
            start, end = self._cell_around(m.start())
            if any(a <= start < b for a, b in skip) or (self.edits and self.edits[-1][0] == start):
                continue
            self.edits.append((start, end, frozen(self.data[start:end], p)))
            n += 1
        return n

    def _cell_around(self, pos: int) -> tuple[int, int]:
        p = self.p
        start = max(self.data.rfind(b"<" + p + b"c ", self.body_start, pos), self.data.rfind(b"<" + p + b"c>", self.body_start, pos))
        close = b"</" + p + b"c>"
        end = self.data.find(close, pos)
        if start < 0 or end < 0:
            raise Unsupported("formula outside a cell")
        return start, end + len(close)

    def mark(self, marks: Mapping[str, int], styles: StyleSheet) -> list[tuple[int, int]]:
        """Give each cell (ref → fill id) a filled copy of its format; returns the row spans rewritten
        (their formulas frozen too)."""
        by_row: dict[int, dict[int, tuple[str, int]]] = {}
        for ref, fill in marks.items():
            letters, row = split_ref(ref)
            by_row.setdefault(row, {})[col_index(letters)] = (ref, fill)
        numbers, starts, ends = self._rows()
        col_styles = self._col_styles()
        spans = []
        p = self.p
        for row, cells in sorted(by_row.items()):
            i = bisect.bisect_left(numbers, row)
            if i < len(numbers) and numbers[i] == row:
                start, end = starts[i], ends[i]
                text = self.data[start:end]
                new = self._mark_row(text, row, cells, styles, col_styles)
                self.edits.append((start, end, new))
                spans.append((start, end))
            else:  # no such row in the file: a new one, in row order
                at = starts[i] if i < len(starts) else self.body_end
                body = b"".join(self._new_cell(ref, styles.with_fill(col_styles(c), fill))
                                for c, (ref, fill) in sorted(cells.items()))
                self.edits.append((at, at, b"<%srow r=\"%d\">%s</%srow>" % (p, row, body, p)))
        if self.empty and self.edits:  # <sheetData/>: opened up around the new rows
            at = self.body_start
            self.edits = [(a, b, new) for a, b, new in self.edits if a != at] + [
                (at - 2, at, b">" + b"".join(new for a, _, new in self.edits if a == at) + b"</" + p + b"sheetData>")]
        return spans

    def _rows(self) -> tuple[list[int], list[int], list[int]]:
        p, numbers, starts, ends, last = self.p, [], [], [], 0
        close = b"</" + p + b"row>"
        for m in re.compile(rb"<" + p + rb"row(?=[\s/>])[^>]*?(/?)>").finditer(self.data, self.body_start, self.body_end):
            r = re.search(rb'\sr="(\d+)"', m[0])
            last = int(r[1]) if r else last + 1
            numbers.append(last)
            starts.append(m.start())
            ends.append(m.end() if m[1] else -1)
        if numbers != sorted(numbers):
            raise Unsupported("rows out of order")
        return numbers, starts, ends if -1 not in ends else [e if e >= 0 else self.data.index(close, s) + len(close)
                                                             for s, e in zip(starts, ends)]

    def _col_styles(self):
        spans = []
        for m in re.finditer(rb"<" + self.p + rb"col\b[^>]*>", self.data[:self.body_start]):
            attrs = attrs_of(m[0].decode("utf-8", "replace"))
            if "style" in attrs:
                spans.append((int(attrs.get("min", 0)), int(attrs.get("max", 0)), int(attrs["style"])))
        return lambda col: next((s for a, b, s in spans if a <= col + 1 <= b), 0)

    def _new_cell(self, ref: str, style: int) -> bytes:
        return b'<%sc r="%s" s="%d"/>' % (self.p, ref.encode(), style)

    def _mark_row(self, text: bytes, row: int, cells: dict[int, tuple[str, int]], styles: StyleSheet,
                  col_styles) -> bytes:
        p = self.p
        tag_end = text.index(b">") + 1
        tag = text[:tag_end]
        row_attrs = attrs_of(tag.decode("utf-8", "replace"))
        row_style = int(row_attrs["s"]) if row_attrs.get("customFormat") in ("1", "true") and "s" in row_attrs else None
        if tag.endswith(b"/>"):
            tag, inner, close = tag[:-2] + b">", b"", b"</" + p + b"row>"
        else:
            inner, close = text[tag_end:-len(b"</" + p + b"row>")], b"</" + p + b"row>"
        pieces, col, pos = [], -1, 0
        todo = dict(cells)
        for m in re.compile(rb"<" + p + rb"c(?=[\s/>])[^>]*?(?:/>|>.*?</" + p + rb"c>)", re.S).finditer(inner):
            cell_tag = m[0][:m[0].index(b">") + 1].decode("utf-8", "replace")
            attrs = attrs_of(cell_tag)
            col = col_index(split_ref(attrs["r"])[0]) if "r" in attrs else col + 1
            for c in sorted(c for c in todo if c < col):  # missing cells left of this one
                ref, fill = todo.pop(c)
                pieces.append(inner[pos:m.start()])
                pos = m.start()
                pieces.append(self._new_cell(ref, styles.with_fill(row_style if row_style is not None else col_styles(c), fill)))
            cell = m[0]
            if re.search(rb"<" + p + rb"f[\s>/]", cell):
                cell = frozen(cell, p)
            if col in todo:
                _, fill = todo.pop(col)
                cell = _with_style(cell, styles.with_fill(int(attrs.get("s", "0") or 0), fill))
            if cell is not m[0]:
                pieces.append(inner[pos:m.start()])
                pieces.append(cell)
                pos = m.end()
        pieces.append(inner[pos:])
        for c, (ref, fill) in sorted(todo.items()):
            pieces.append(self._new_cell(ref, styles.with_fill(row_style if row_style is not None else col_styles(c), fill)))
        return tag + b"".join(pieces) + close


def _with_style(cell: bytes, style: int) -> bytes:
    end = cell.index(b">")
    end -= cell[end - 1:end] == b"/"
    tag = cell[:end]
    if re.search(rb'\ss="\d*"', tag):
        tag = re.sub(rb'\ss="\d*"', b' s="%d"' % style, tag, count=1)
    else:
        tag += b' s="%d"' % style
    return tag + cell[end:]


def frozen(cell: bytes, p: bytes) -> bytes:
    """A formula cell as the value it showed: the formula dropped, the cached value kept (a cached
    text becomes an inline string; no cached value leaves the cell empty, its format kept)."""
    cell = re.sub(rb"<" + p + rb"f\b[^>]*?(?:/>|>.*?</" + p + rb"f>)", b"", cell, flags=re.S)
    end = cell.index(b">")
    self_closing = cell[end - 1:end] == b"/"
    tag = cell[:end - self_closing]
    t = re.search(rb'\st="([^"]*)"', tag)
    value = re.search(rb"<" + p + rb"v>(.*?)</" + p + rb"v>", cell, re.S) or re.search(rb"<" + p + rb"v/>", cell)
    has_inline = re.search(rb"<" + p + rb"is[\s>]", cell) is not None
    if has_inline:
        return cell
    if value is None or (t and t[1] == b"str" and value[0].endswith(b"/>")):
        return re.sub(rb'\st="[^"]*"', b"", tag) + b"/>"
    if t and t[1] == b"str":
        tag = re.sub(rb'\st="str"', b' t="inlineStr"', tag)
        text = value[1]
        return tag + b'><%sis><%st xml:space="preserve">%s</%st></%sis></%sc>' % (p, p, text, p, p, p)
    return cell
