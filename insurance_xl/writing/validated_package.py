"""The validated workbook written by editing the clerk's package part by part (no openpyxl load).

The two new sheets go in as new parts (校验结果 first and selected, _integrity last and hidden);
register sheets holding a finding or a formula, or selected, are edited as bytes
(validated_cells.py); comments for the findings are a comments part and its VML drawing per sheet
(a clerk's own note on a marked cell stays above ours); styles.xml gets the fills and formats, the
document properties our stamp, and the calculation chain goes (frozen formulas leave it stale).
Every other part is copied as stored. What this does not edit (ZIP64, an earlier 校验结果 sheet,
a sheet with drawn controls…) raises Unsupported and validated_book falls back to openpyxl.
"""
from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as SafeET

from ..findings import Severity
from ..outputs import RESULTS_SHEET, STAMP_SHEET
from ..core.validation.validate import SEVERITY_LABEL, Validation
from ..xlsx.package import PackageWriter, Uncopyable, check_copyable
from ..xlsx.parts import MAIN, PKG_REL, REL_NS, WORKSHEET_TYPE, resolve, sheet_parts, split_ref, col_index
from ..xlsx.properties import KIND_PROPERTY
from ..xlsx.style_edit import StyleSheet, Unsupported
from .integrity import Stamp, stamp_properties
from .validated_cells import SheetEdit
from .validated_sheets import ResultStyles, results_sheet, stamp_sheet

AUTHOR = "insurance-xl"
FILL_RGB = {Severity.ERROR: "FFC7CE", Severity.WARNING: "FFEB9C"}
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CUSTOM_TYPE = REL_NS + "/custom-properties"
_COMMENTS_TYPE = REL_NS + "/comments"
_VML_TYPE = REL_NS + "/vmlDrawing"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\b")
_TAIL_AFTER_LEGACY = (b"legacyDrawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
                      b"tableParts", b"extLst")


def write_validated_package(source: Path, target: Path, register_sheets: list[str], validation: Validation,
                            stamp: Stamp, *, as_of: dt.date, store: str) -> set[str]:
    """Write the validated copy of `source` to `target`; returns the register sheets whose parts
    changed (the others are byte for byte the clerk's)."""
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        try:
            check_copyable(infos)
        except Uncopyable as exc:
            raise Unsupported(str(exc)) from None
        names = {i.filename for i in infos}
        parts = sheet_parts(archive)
        sheet_names = {name for name, _ in parts}
        if {RESULTS_SHEET, STAMP_SHEET} & sheet_names or "xl/styles.xml" not in names:
            raise Unsupported("our sheets already there, or no styles")
        small = {n: archive.read(n).decode("utf-8") for n in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
                                                              "xl/_rels/workbook.xml.rels", "xl/styles.xml")}
        styles = StyleSheet(small["xl/styles.xml"])
        fills = {s: styles.fill(rgb) for s, rgb in FILL_RGB.items()}
        marks, notes = _marks(validation, sheet_names, fills)
        changed: dict[str, str] = {}  # part → new text (small parts)
        new_parts: dict[str, bytes] = {}
        legacy: dict[str, str] = {}  # sheet part → r:id of its new legacyDrawing element
        for name, part in parts:
            if name in notes:
                _comments(archive, names, part, notes[name], changed, new_parts, legacy, small)
        result_styles = _result_styles(styles, fills)
        results_part, stamp_part = _new_part_names(names | set(new_parts))
        new_parts[results_part] = results_sheet(validation, stamp, result_styles, as_of=as_of, store=store,
                                                sheet_names=sheet_names)
        new_parts[stamp_part] = stamp_sheet(stamp)
        _workbook(small, changed, results_part, stamp_part, names)
        _custom_properties(archive, names, small, changed, new_parts, stamp)
        touched: set[str] = set()
        registers = set(register_sheets)
        with PackageWriter(target, source) as out:
            for info in infos:
                name = info.filename
                if name in ("xl/styles.xml", "xl/calcChain.xml") or name in new_parts:
                    continue
                sheet = next((s for s, p in parts if p == name), None)
                if name in changed:
                    out.write(name, [changed[name].encode("utf-8")], info.date_time, info.external_attr)
                elif sheet is not None and _needs_edit(archive, info, sheet in marks or name in legacy,
                                                       sheet in registers):
                    edit = SheetEdit(archive.read(info))
                    spans = edit.mark(marks.get(sheet, {}), styles)
                    if sheet in registers:
                        edit.freeze_formulas(spans)
                    edit.unselect()
                    if name in legacy:
                        edit.add_to_tail(f'<legacyDrawing xmlns:r="{REL_NS}" r:id="{legacy[name]}"/>'.encode(),
                                         _TAIL_AFTER_LEGACY)
                    if edit.changed:
                        touched.add(sheet)
                        out.write(name, edit.chunks(), info.date_time, info.external_attr)
                    else:
                        out.copy(info)
                    del edit
                else:
                    out.copy(info)
            for name, data in new_parts.items():
                out.write(name, [data])
            out.write("xl/styles.xml", [styles.text().encode("utf-8")])
    return touched & registers


def _needs_edit(archive: zipfile.ZipFile, info: zipfile.ZipInfo, marked: bool, register: bool) -> bool:
    """Whether a sheet part must be edited: marked cells, a formula in a register sheet, or selected."""
    if marked:
        return True
    with archive.open(info) as part:
        head = part.read(1 << 16)
        data = _SHEET_DATA.search(head)
        if data is None or re.search(rb'tabSelected="(1|true)"', head[:data.start()]):
            return True  # selected, or a head too long to judge here: edit it
        if not register:
            return False
        needle = b"<" + data[1] + b"f"  # a formula: <f>, <f t="shared" …/>, in the sheet's own prefix
        window = head
        while True:
            at = window.find(needle)
            while at >= 0:
                if window[at + len(needle):at + len(needle) + 1] in (b">", b" ", b"/", b"\t", b"\n", b"\r"):
                    return True
                at = window.find(needle, at + 1)
            block = part.read(1 << 24)
            if not block:
                return False
            window = window[-8:] + block


def _marks(validation: Validation, sheet_names: set[str], fills: dict[Severity, int]):
    """Per sheet: cell → fill id (red when any finding there is an error), and cell → comment text."""
    found: dict[str, dict[str, list]] = {}
    for f in validation.findings:
        loc = f.location
        if loc.cell and loc.sheet in sheet_names:
            found.setdefault(loc.sheet, {}).setdefault(loc.cell, []).append(f)
    marks, notes = {}, {}
    for sheet, cells in found.items():
        marks[sheet] = {ref: fills[Severity.ERROR if any(f.is_error for f in items) else Severity.WARNING]
                        for ref, items in cells.items()}
        notes[sheet] = {ref: ("\n".join(f"【{SEVERITY_LABEL[f.severity]}】{f.message}" for f in items), len(items))
                        for ref, items in cells.items()}
    return marks, notes


def _result_styles(styles: StyleSheet, fills: dict[Severity, int]) -> ResultStyles:
    border = styles.border("BFBFBF")
    header_fill = styles.fill("1F4E78")
    return ResultStyles(
        title=styles.xf(font=styles.font('<b/><sz val="14"/>')),
        header=styles.xf(font=styles.font('<b/><sz val="11"/><color rgb="FFFFFFFF"/>'), fill=header_fill, border=border),
        cell=styles.xf(border=border),
        link=styles.xf(font=styles.font('<u/><sz val="11"/><color rgb="FF0563C1"/>'), border=border),
        wrap=styles.xf(border=border, wrap=True),
        status={s: styles.xf(fill=fill, border=border) for s, fill in fills.items()},
    )


def _new_part_names(names: set[str]) -> tuple[str, str]:
    free = (f"xl/worksheets/sheet{n}.xml" for n in range(1, 100_000) if f"xl/worksheets/sheet{n}.xml" not in names)
    return next(free), next(free)


def _relative(source: str, part: str) -> str:
    """The target of a relationship from `source` to `part`, relative as Excel writes it."""
    return posixpath.relpath(part, posixpath.dirname(source))


def _rels_name(part: str) -> str:
    p = PurePosixPath(part)
    return f"{p.parent}/_rels/{p.name}.rels"


def _add_rel(rels: str, target: str, kind: str) -> tuple[str, str]:
    used = set(re.findall(r'\bId="([^"]+)"', rels))
    rid = next(f"rId{i}" for i in range(1, len(used) + 2) if f"rId{i}" not in used)
    rel = f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>'
    m = re.search(r"</(?:\w+:)?Relationships>", rels)
    if m is None:
        raise Unsupported("relationships part without its end")
    return rels[:m.start()] + rel + rels[m.start():], rid


def _content_types(small: dict[str, str], changed: dict[str, str], add: list[tuple[str, str]] = (),
                   drop: tuple[str, ...] = (), vml: bool = False) -> None:
    types = changed.get("[Content_Types].xml", small["[Content_Types].xml"])
    for part in drop:
        types = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "", types)
    extra = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>' for p, t in add)
    if vml and not re.search(r'<Default\b[^>]*Extension="vml"', types, re.I):
        extra = f'<Default Extension="vml" ContentType="{_CT_VML}"/>' + extra
    m = re.search(r"</Types>", types)
    if m is None:
        raise Unsupported("[Content_Types].xml without its end")
    changed["[Content_Types].xml"] = types[:m.start()] + extra + types[m.start():]


def _workbook(small: dict[str, str], changed: dict[str, str], results_part: str, stamp_part: str,
              names: set[str]) -> None:
    rels = small["xl/_rels/workbook.xml.rels"]
    if "xl/calcChain.xml" in names:
        rels = re.sub(r'<Relationship\b[^>]*Target="[^"]*calcChain\.xml"[^>]*/>', "", rels)
    rels, results_id = _add_rel(rels, _relative("xl/workbook.xml", results_part), WORKSHEET_TYPE)
    rels, stamp_id = _add_rel(rels, _relative("xl/workbook.xml", stamp_part), WORKSHEET_TYPE)
    changed["xl/_rels/workbook.xml.rels"] = rels
    book = small["xl/workbook.xml"]
    if not re.search(r"<sheets>", book) or re.search(r"<\w+:sheets\b", book):
        raise Unsupported("workbook.xml laid out otherwise")
    ids = [int(i) for i in re.findall(r'<sheet\b[^>]*?\bsheetId="(\d+)"', book)]
    nxt = max(ids, default=0) + 1
    book = book.replace("<sheets>", f'<sheets><sheet name="{escape(RESULTS_SHEET)}" sheetId="{nxt}" '
                                    f'xmlns:r="{REL_NS}" r:id="{results_id}"/>', 1)
    book = book.replace("</sheets>", f'<sheet name="{escape(STAMP_SHEET)}" sheetId="{nxt + 1}" state="hidden" '
                                     f'xmlns:r="{REL_NS}" r:id="{stamp_id}"/></sheets>', 1)
    book = re.sub(r'(\blocalSheetId=")(\d+)(")', lambda m: f"{m[1]}{int(m[2]) + 1}{m[3]}", book)

    def view(m: re.Match) -> str:
        tag = re.sub(r'\s(activeTab|firstSheet)="\d*"', "", m[0])
        return tag[:-2].rstrip() + ' activeTab="0"/>' if tag.endswith("/>") else tag[:-1].rstrip() + ' activeTab="0">'
    book = re.sub(r"<workbookView\b[^>]*>", view, book)
    changed["xl/workbook.xml"] = book
    _content_types(small, changed, [(results_part, _CT_SHEET), (stamp_part, _CT_SHEET)], drop=("xl/calcChain.xml",))


def _custom_properties(archive: zipfile.ZipFile, names: set[str], small: dict[str, str], changed: dict[str, str],
                       new_parts: dict[str, bytes], stamp: Stamp) -> None:
    ours = {KIND_PROPERTY: "validated", **stamp_properties(stamp)}
    kept: list[str] = []
    part = "docProps/custom.xml"
    if part in names:
        text = archive.read(part).decode("utf-8")
        for m in re.finditer(r"<property\b[^>]*?(?:/>|>.*?</property>)", text, re.S):
            name = re.search(r'\bname="([^"]*)"', m[0])
            if name is None or name[1] not in {escape(k) for k in ours}:
                kept.append(re.sub(r'\s\bpid="\d+"', "", m[0], count=1))
    props = kept + [f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" name={quoteattr(k)}>'
                    f"<vt:lpwstr>{escape(v)}</vt:lpwstr></property>" for k, v in ours.items()]
    props = [p.replace("<property ", f'<property pid="{i}" ', 1) for i, p in enumerate(props, 2)]
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns='
           '"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt='
           f'"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">{"".join(props)}</Properties>')
    if part in names:
        changed[part] = xml
        return
    new_parts[part] = xml.encode("utf-8")
    rels, _ = _add_rel(small["_rels/.rels"], part, _CUSTOM_TYPE)
    changed["_rels/.rels"] = rels
    _content_types(small, changed, [(part, _CT_CUSTOM)])


def _comments(archive: zipfile.ZipFile, names: set[str], part: str, ours: dict[str, tuple[str, int]],
              changed: dict[str, str], new_parts: dict[str, bytes], legacy: dict[str, str],
              small: dict[str, str]) -> None:
    """The comments part and VML drawing of one sheet, the clerk's own notes merged with ours."""
    rels_part = _rels_name(part)
    rels = archive.read(rels_part).decode("utf-8") if rels_part in names else \
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}"></Relationships>'
    targets = {}
    for rel in SafeET.fromstring(rels.encode("utf-8")).iter(PKG_REL):
        targets.setdefault(rel.get("Type", ""), resolve(part, rel.get("Target", "")))
    existing: dict[str, tuple[str, str]] = {}
    comments_part, vml_part = targets.get(_COMMENTS_TYPE), targets.get(_VML_TYPE)
    if vml_part and not comments_part:
        raise Unsupported("a drawing with controls on a marked sheet")
    if vml_part:
        vml = archive.read(vml_part).decode("utf-8", "replace")
        if len(re.findall(r"<(?:\w+:)?shape\b", vml)) != len(re.findall(r'ObjectType="Note"', vml)):
            raise Unsupported("controls beside the comments")
    if comments_part:
        root = SafeET.fromstring(archive.read(comments_part))
        authors = [a.text or "" for a in root.iter(f"{MAIN}author")]
        for c in root.iter(f"{MAIN}comment"):
            text = "".join(t.text or "" for t in c.iter(f"{MAIN}t"))
            existing[c.get("ref", "")] = (authors[int(c.get("authorId", 0))] if authors else "", text)
    merged = dict(existing)
    for ref, (text, count) in ours.items():
        if ref in existing and existing[ref][0] != AUTHOR:
            text = f"{existing[ref][1]}\n——\n{text}"
        merged[ref] = (AUTHOR, text)
    sizes = {ref: min(60 + 40 * count, 400) for ref, (_, count) in ours.items()}
    authors = sorted({a for a, _ in merged.values()})
    body = "".join(f'<comment ref="{ref}" authorId="{authors.index(a)}"><text><t xml:space="preserve">'
                   f"{escape(text)}</t></text></comment>" for ref, (a, text) in merged.items())
    comments_xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{MAIN[1:-1]}"><authors>'
                    + "".join(f"<author>{escape(a)}</author>" for a in authors) + f"</authors><commentList>{body}"
                    "</commentList></comments>")
    vml_xml = _vml(merged, sizes)
    add = []
    if comments_part is None:
        n = 1
        while f"xl/comments{n}.xml" in names or f"xl/comments{n}.xml" in new_parts:
            n += 1
        comments_part = f"xl/comments{n}.xml"
        rels, _ = _add_rel(rels, _relative(part, comments_part), _COMMENTS_TYPE)
        add.append((comments_part, _CT_COMMENTS))
    if vml_part is None:
        n = 1
        while f"xl/drawings/vmlDrawing{n}.vml" in names or f"xl/drawings/vmlDrawing{n}.vml" in new_parts:
            n += 1
        vml_part = f"xl/drawings/vmlDrawing{n}.vml"
        rels, legacy[part] = _add_rel(rels, _relative(part, vml_part), _VML_TYPE)
    for name, data in ((comments_part, comments_xml), (vml_part, vml_xml), (rels_part, rels)):
        if name in names:
            changed[name] = data
        else:
            new_parts[name] = data.encode("utf-8")
    if add or part in legacy:  # a new comments part or a new drawing: their content types
        _content_types(small, changed, add, vml=True)


def _vml(comments: dict[str, tuple[str, str]], sizes: dict[str, int]) -> str:
    shapes = []
    for i, ref in enumerate(comments, 1026):
        letters, row = split_ref(ref)
        shapes.append(
            f'<v:shape id="_x0000_s{i:04d}" type="#_x0000_t202" style="position:absolute; margin-left:59.25pt;'
            f'margin-top:1.5pt;width:320px;height:{sizes.get(ref, 60)}px;z-index:1;visibility:hidden" '
            'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
            '<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/>'
            '</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col_index(letters)}</x:Column>"
            "</x:ClientData></v:shape>")
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" '
            'data="1"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" '
            'path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path gradientshapeok="t" '
            'o:connecttype="rect"/></v:shapetype>' + "".join(shapes) + "</xml>")
