"""A workbook package's parts: which XML part holds which sheet, cell references, styles, date cells."""
from __future__ import annotations
import datetime as dt
import re
import zipfile
from pathlib import PurePosixPath
from defusedxml import ElementTree as SafeET


REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

WORKSHEET_TYPE = REL_NS + "/worksheet"

_ATTR = re.compile(r'([\w:.-]+)\s*=\s*(["\'])(.*?)\2', re.S)

REF = re.compile(r"^\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")

# Built-in number formats that show a date (ECMA-376 §18.8.30), and custom codes that do.
_DATE_BUILTINS = {14, 15, 16, 17, 22} | set(range(27, 37)) | set(range(50, 59))

_DATE_CODE = re.compile(r"[yd]", re.I)  # not m alone: h:mm is a time


EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29


STRICT_REL_NS = "http://purl.oclc.org/ooxml/officeDocument/relationships"  # ISO 29500 Strict workbooks
STRICT_MAIN = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"


def sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, zip part) of every worksheet, in workbook order (Transitional or Strict OOXML)."""
    book = SafeET.fromstring(archive.read("xl/workbook.xml"))
    rels = SafeET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    worksheet_types = {WORKSHEET_TYPE, STRICT_REL_NS + "/worksheet"}
    targets = {r.get("Id"): resolve("xl/workbook.xml", r.get("Target", "")) for r in rels.iter(PKG_REL)
               if r.get("Type") in worksheet_types}
    out = []
    for main, rel_ns in ((MAIN, REL_NS), (STRICT_MAIN, STRICT_REL_NS)):
        for sheet in book.iter(f"{main}sheet"):
            part = targets.get(sheet.get(f"{{{rel_ns}}}id"))
            if part:
                out.append((sheet.get("name", ""), part))
    return out

# Formats a spreadsheet reader turns into a date or a time (wider than Styles.date_xfs: times too)
_TIME_BUILTINS = _DATE_BUILTINS | set(range(18, 22)) | {45, 46, 47}

_TIME_CODE = re.compile(r"[ydhs]", re.I)

_NUMBER_CELL = re.compile(rb"<c\b([^>]*)>(?:(?!</c>).)*?<v>([^<]*)</v>", re.S)

LAST_SERIAL = 2958465  # 9999-12-31, the last day Excel shows


def impossible_dates(archive: zipfile.ZipFile, limit: int = 3) -> list[tuple[str, str, str]]:
    """(sheet, cell, value) of cells formatted as a date or time whose number is no day at all
    (beyond 9999-12-31 or before year 1, or not finite): the Rust reader gives up on the whole
    workbook for one, so the message must say where it is."""
    try:
        styles = archive.read("xl/styles.xml")
    except KeyError:
        return []
    timed = Styles(styles.decode("utf-8")).showing(_TIME_BUILTINS, _TIME_CODE)
    found: list[tuple[str, str, str]] = []
    for name, part in sheet_parts(archive):
        for m in _NUMBER_CELL.finditer(archive.read(part)):
            attrs = attrs_of(m[1].decode("utf-8", "replace"))
            if attrs.get("t", "n") != "n" or int(attrs.get("s", "0") or 0) not in timed:
                continue
            try:
                number = float(m[2])
            except ValueError:
                continue
            if not -LAST_SERIAL <= number <= LAST_SERIAL:  # NaN and infinities fail both tests
                found.append((name, attrs.get("r", "?"), m[2].decode("ascii", "replace")))
                if len(found) >= limit:
                    return found
    return found


def resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (str(PurePosixPath(source).parent) + "/" + target).split("/"):
        if piece == "..":
            if parts:  # a target climbing above the package's root stays at the root (a damaged rels part)
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def split_ref(ref: str) -> tuple[str, int]:
    m = re.match(r"^\$?([A-Z]+)\$?(\d+)$", ref)
    if not m:
        raise ValueError(ref)
    return m[1], int(m[2])


def attrs_of(tag: str) -> dict[str, str]:
    return {k: v for k, v, in ((m[1], m[3]) for m in _ATTR.finditer(tag))}


class Styles:
    """Enough of styles.xml to pick a date style, or add one (built-in format 14) when none exists."""

    def __init__(self, xml: str | None) -> None:
        self.xml, self.added = xml, False
        self.formats: list[tuple[int, str]] = []  # per cell style: its number format, the code without literals
        if xml is not None:
            root = SafeET.fromstring(xml.encode("utf-8"))
            custom = {int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in root.iter(f"{MAIN}numFmt")}
            xfs = root.find(f"{MAIN}cellXfs")
            for xf in list(xfs) if xfs is not None else []:
                fmt = int(xf.get("numFmtId", "0"))
                self.formats.append((fmt, re.sub(r'"[^"]*"|\[[^\]]*\]', "", custom.get(fmt, ""))))
        self.date_xfs = self.showing(_DATE_BUILTINS, _DATE_CODE)
        self.count = len(self.formats)

    def showing(self, builtins: set[int], code: re.Pattern[str]) -> set[int]:
        """The cell styles whose number format is one of `builtins` or a custom code matching `code`."""
        return {i for i, (fmt, text) in enumerate(self.formats) if fmt in builtins or code.search(text)}

    def date_style(self) -> int | None:
        if self.date_xfs:
            return min(self.date_xfs)
        if self.xml is None:
            return None
        m = re.search(r"<((?:\w+:)?)cellXfs\b([^>]*?)(/?)>", self.xml)
        if not m or m[3]:
            return None
        prefix = m[1]
        close = self.xml.index(f"</{prefix}cellXfs>", m.end())
        xf = f'<{prefix}xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        head = re.sub(r'\bcount="\d+"', f'count="{self.count + 1}"', m[0])
        self.xml = self.xml[:m.start()] + head + self.xml[m.end():close] + xf + self.xml[close:]
        self.formats.append((14, ""))
        self.date_xfs.add(self.count)
        self.added = True
        self.count += 1
        return self.count - 1
