"""The hostile-file corpus: damaged, mislabelled and malicious workbooks made from real stores.

`corpus(bases, seed)` mutates each base store (the sample store, a trimmed copy of it, the same with
shared strings, demo stores) the ways clerks' files and attackers break them, and adds hand-made hostile
files. Every case is bytes plus a name and a family, deterministic by seed, built in memory in a few
seconds. tests/corpus_run.py runs every command on each of them; tests/test_corpus.py holds the bars.
"""
from __future__ import annotations

import functools
import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

SHEET_PART = re.compile(r"xl/worksheets/sheet\d+\.xml")
_ROW = re.compile(rb'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_INLINE = re.compile(rb'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
                     re.S)
_NUMBER_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"((?: s="\d+")?)(?: t="n")?><v>([^<]*)</v></c>')
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


@dataclass(frozen=True)
class Case:
    name: str  # file name, unique in the corpus
    family: str  # what was done to it
    data: bytes
    base: str = ""  # the store it was made from ('' for hand-made files)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix


# ---- zip plumbing -------------------------------------------------------------------------------

@functools.lru_cache(maxsize=16)
def parts_of(data: bytes) -> tuple[tuple[zipfile.ZipInfo, bytes], ...]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return tuple((info, archive.read(info)) for info in archive.infolist())


@functools.lru_cache(maxsize=512)
def _deflate(content: bytes) -> bytes:
    co = zlib.compressobj(1, zlib.DEFLATED, -15)
    return co.compress(content) + co.flush()


def build(parts) -> bytes:
    """A zip of (name, bytes) parts, deflated; a part already deflated once is not deflated again
    (the corpus rebuilds the same store hundreds of times with one part changed)."""
    out = io.BytesIO()
    central = []
    for name, content in parts:
        name = (name if isinstance(name, str) else name.filename).encode()
        comp, crc = _deflate(content), zlib.crc32(content)
        central.append(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0x800, 8, 0, 0x21, crc, len(comp), len(content),
                                   len(name), 0, 0, 0, 0, 0, out.tell()) + name)
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0x800, 8, 0, 0x21, crc, len(comp), len(content), len(name), 0))
        out.write(name + comp)
    start = out.tell()
    out.write(b"".join(central))
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def edit(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The workbook with each part passed through `change` (None drops the part)."""
    parts = []
    for info, content in parts_of(data):
        new = change(info.filename, content)
        if new is not None:
            parts.append((info.filename, new))
    return build(parts)


def edit_part(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    return edit(data, lambda name, content: change(content) if name == part else content)


def sheet_parts(data: bytes) -> list[str]:
    return sorted((i.filename for i, _ in parts_of(data) if SHEET_PART.fullmatch(i.filename)),
                  key=lambda n: int(re.sub(r"\D", "", n)))


def add_rows(xml: bytes, rows: bytes) -> bytes:
    return xml.replace(b"</sheetData>", rows + b"</sheetData>", 1)


# ---- bases --------------------------------------------------------------------------------------

def trimmed(data: bytes, last_row: int = 25) -> bytes:
    """The store with only its first rows (title, header and some data) in every sheet."""
    def keep(match: re.Match) -> bytes:
        return match[0] if int(match[1]) <= last_row else b""

    return edit(data, lambda name, xml: _ROW.sub(keep, xml) if SHEET_PART.fullmatch(name) else xml)


def with_shared_strings(data: bytes) -> bytes:
    """The same workbook with text in a shared-strings table (as Excel writes it) instead of inline."""
    strings: dict[bytes, int] = {}

    def shared(match: re.Match) -> bytes:
        index = strings.setdefault(match[3], len(strings))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match[1], match[2], index)

    parts = []
    for info, xml in parts_of(data):
        if SHEET_PART.fullmatch(info.filename):
            xml = _INLINE.sub(shared, xml)
        parts.append((info.filename, xml))
    items = b"".join(b'<si><t xml:space="preserve">%s</t></si>' % s for s in strings)
    sst = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>' % (len(strings), len(strings), items))
    out = []
    for name, xml in parts:
        if name == "[Content_Types].xml":
            xml = xml.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>'.encode())
        elif name == "xl/_rels/workbook.xml.rels":
            xml = xml.replace(b"</Relationships>", f'<Relationship Id="rIdSst" Type="{SST_REL}" Target="sharedStrings.xml"/>'
                                                   f'</Relationships>'.encode())
        out.append((name, xml))
    out.append(("xl/sharedStrings.xml", sst))
    return build(out)


# ---- mutations of one base ----------------------------------------------------------------------

FAMILIES = ("truncated", "zip-bitflip", "xml-bitflip", "missing-part", "content-type", "bad-rels", "bad-workbook",
            "sst-range", "merge", "dimension", "far-cell", "cell-values", "control-chars", "sheet-structure")


def mutations(base_name: str, data: bytes, rng: random.Random, per_family: int,
              families: tuple[str, ...] = FAMILIES) -> Iterator[Case]:
    """The families of damage asked for, `per_family` variants of the random ones."""
    for case in _all_mutations(base_name, data, rng, per_family):
        if case.family in families:
            yield case


def _all_mutations(base_name: str, data: bytes, rng: random.Random, per_family: int) -> Iterator[Case]:
    stem = Path(base_name).stem
    sheets = sheet_parts(data)
    parts = parts_of(data)
    n = 0

    def case(family: str, content: bytes, suffix: str = ".xlsx") -> Case:
        nonlocal n
        n += 1
        return Case(f"{stem}-{family}-{n:03d}{suffix}", family, content, stem)

    # truncated: half-saved files, cut anywhere (inside an entry, in the central directory, 1 byte short)
    cuts = {1, 2, 30, len(data) - 1, len(data) - 22, len(data) - 100}
    cuts |= {rng.randrange(1, len(data)) for _ in range(per_family)}
    for cut in sorted(c for c in cuts if 0 < c < len(data)):
        yield case("truncated", data[:cut])

    # bit flips in the raw zip bytes (mostly caught by CRCs, sometimes in headers)
    for _ in range(per_family):
        raw = bytearray(data)
        for _ in range(rng.choice((1, 1, 3, 20))):
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        yield case("zip-bitflip", bytes(raw))

    # bit flips inside an XML part, re-zipped with good CRCs: only the XML parser sees them
    xml_parts = [i.filename for i, _ in parts if i.filename.endswith((".xml", ".rels"))]
    for _ in range(per_family * 2):
        target = rng.choice(sheets + xml_parts)

        def flip(xml: bytes) -> bytes:
            raw = bytearray(xml)
            for _ in range(rng.choice((1, 2, 8))):
                raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
            return bytes(raw)

        yield case("xml-bitflip", edit_part(data, target, flip))

    # missing parts: each one in turn
    for info, _ in parts:
        yield case("missing-part", edit(data, lambda name, xml, gone=info.filename: None if name == gone else xml))

    # wrong content types
    ct = "[Content_Types].xml"
    for old, new in ((rb"spreadsheetml\.worksheet\+xml", b"spreadsheetml.chartsheet+xml"),
                     (rb"spreadsheetml\.sheet\.main\+xml", b"ms-excel.sheet.macroEnabled.main+xml"),
                     (rb"spreadsheetml\.sheet\.main\+xml", b"wordprocessingml.document.main+xml"),
                     (rb'ContentType="[^"]*"', b'ContentType="text/plain"'),
                     (rb"<Override [^>]*/>", b""),
                     (rb"<Types", b"<Typos"),
                     (rb".*", b"")):
        yield case("content-type", edit_part(data, ct, lambda xml, o=old, w=new: re.sub(o, w, xml, count=0, flags=re.S)))
    for sheet in sheets[:3]:  # a worksheet relationship pointing at a missing part, or at itself
        rels = "xl/_rels/workbook.xml.rels"
        target = sheet.removeprefix("xl/").encode()
        yield case("bad-rels", edit_part(data, rels, lambda xml, t=target: xml.replace(t, b"worksheets/nowhere.xml")))
        yield case("bad-rels", edit_part(data, rels, lambda xml, t=target: xml.replace(t, b"../../../../etc/passwd")))
        yield case("bad-rels", edit_part(data, rels, lambda xml, t=target: xml.replace(t, b"styles.xml")))
    yield case("bad-workbook", edit_part(data, "xl/workbook.xml", lambda xml: re.sub(rb'name="[^"]*"', b'name="Sheet"', xml)))
    yield case("bad-workbook", edit_part(data, "xl/workbook.xml", lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", xml, flags=re.S)))
    yield case("bad-workbook", edit_part(data, "xl/workbook.xml", lambda xml: xml.replace(b"<sheets>", b"<sheets>" + b'<sheet name="x" sheetId="99" r:id="rId999"/>')))

    # shared strings out of range (bases with a table), or cells claiming one where there is none
    sst_cells = [(s, m) for s in sheets for m in re.finditer(rb'<c r="[A-Z]+\d+"(?: s="\d+")? t="s"><v>\d+</v>', dict(
        (i.filename, x) for i, x in parts)[s])][:200]
    bad_indices = (b"99999999", b"-1", b"abc", b"1e10", b"", b"4294967296", b"18446744073709551616")
    for k in range(per_family):
        bad = bad_indices[k % len(bad_indices)]
        if sst_cells:
            part, match = sst_cells[rng.randrange(len(sst_cells))]
            cell = match[0]
            yield case("sst-range", edit_part(data, part, lambda xml, c=cell, b=bad: xml.replace(
                c, re.sub(rb"<v>\d+</v>", b"<v>" + b + b"</v>", c), 1)))
        else:
            part = rng.choice(sheets)
            yield case("sst-range", edit_part(data, part, lambda xml, b=bad: add_rows(
                xml, b'<row r="9000"><c r="A9000" t="s"><v>' + b + b"</v></c></row>")))
    if "xl/sharedStrings.xml" in {i.filename for i, _ in parts}:
        yield case("sst-range", edit(data, lambda name, xml: b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
                                     if name == "xl/sharedStrings.xml" else xml))
        yield case("sst-range", edit(data, lambda name, xml: xml.replace(b"<si>", b"<si><r><t>", 5)
                                     if name == "xl/sharedStrings.xml" else xml))

    # huge merged ranges, many merges, malformed merges
    for ref in (b"A1:XFD1048576", b"A1:A1048576", b"A1:XFD1", b"XFD1048576:A1", b"A0:B0", b"garbage", b"A1:ZZZZ9999999"):
        target = rng.choice(sheets)
        yield case("merge", edit_part(data, target, lambda xml, r=ref: re.sub(
            rb"(<mergeCells[^>]*>.*?</mergeCells>|</sheetData>)",
            lambda m: (b"</sheetData>" if m[0] == b"</sheetData>" else b"")
            + b'<mergeCells count="1"><mergeCell ref="' + r + b'"/></mergeCells>', xml, count=1, flags=re.S)))
    many = b"".join(b'<mergeCell ref="A%d:Z%d"/>' % (r, r) for r in range(1, 20001))
    yield case("merge", edit_part(data, sheets[0], lambda xml: re.sub(rb"<mergeCells.*?</mergeCells>", b"", xml, flags=re.S)
                                  .replace(b"</sheetData>", b'</sheetData><mergeCells count="20000">' + many + b"</mergeCells>")))

    # dimension claims and far cells (a stray value in the last cell of the grid)
    for dim in (b"A1:XFD1048576", b"A1:A1048576", b"", b"ZZZ", b"A1:B2:C3"):
        yield case("dimension", edit_part(data, rng.choice(sheets), lambda xml, d=dim: re.sub(
            rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="' + d + b'"/>', xml)))
    far_rows = (b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
                b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>',
                b'<row r="1048577"><c r="A1048577"><v>1</v></c></row>',
                b'<row r="1048576"><c r="XFD1048576" s="0"/></row>',
                b'<row r="700000"><c r="Z700000" t="inlineStr"><is><t>x</t></is></c></row>',
                b"<row r='1000000'><c r='xfd1000000'><v>1</v></c></row>",
                b'<row r = "1000000"><c\tr = "XFD1000000"><v>1</v></c></row>',
                b'<row r="5"><c r="ZZZZ5"><v>1</v></c></row>',
                b'<row r="99999999"><c r="A99999999"><v>1</v></c></row>',
                b'<row r="4294967297"><c r="A4294967297"><v>1</v></c></row>',
                b'<row r="1048576"><c><v>1</v></c>' + b"<c><v>2</v></c>" * 30 + b"</row>",
                b'<row r="2"><c r="XFD2"><v>1</v></c></row>',
                b'<row r="0"><c r="A0"><v>1</v></c></row>',
                b'<row r="9"><c r="9A"><v>1</v></c></row>',
                b'<row r="9"><c r="$A$9"><v>1</v></c></row>',
                b'<x:row r="900000"><x:c r="XFD900000"><x:v>1</x:v></x:c></x:row>')
    for rows in far_rows:
        yield case("far-cell", edit_part(data, rng.choice(sheets), lambda xml, r=rows: add_rows(xml, r)))
    wide_row = b'<row r="3">' + b"".join(b"<c><v>%d</v></c>" % i for i in range(16500)) + b"</row>"
    yield case("far-cell", edit_part(data, sheets[0], lambda xml: add_rows(xml, wide_row + b'<row r="99999"><c><v>1</v></c></row>')))

    # values clerks' files really hold in data cells: formulas, error values, odd numbers as dates
    replacements = (b'<c r="%s%s"%s t="e"><v>#N/A</v></c>', b'<c r="%s%s"%s t="e"><f>1/0</f><v>#DIV/0!</v></c>',
                    b'<c r="%s%s"%s t="str"><f>A1&amp;B1</f><v>=HYPERLINK("http://x")</v></c>',
                    b'<c r="%s%s"%s><f>SUM(A1:A3)</f><v></v></c>', b'<c r="%s%s"%s><v>-5</v></c>',
                    b'<c r="%s%s"%s><v>-1e308</v></c>', b'<c r="%s%s"%s><v>1e308</v></c>', b'<c r="%s%s"%s><v>NaN</v></c>',
                    b'<c r="%s%s"%s><v>inf</v></c>', b'<c r="%s%s"%s><v>2958466</v></c>', b'<c r="%s%s"%s><v>60</v></c>',
                    b'<c r="%s%s"%s t="b"><v>7</v></c>', b'<c r="%s%s"%s t="d"><v>2026-13-45T25:61:00</v></c>',
                    b'<c r="%s%s"%s t="n"><v>1,5</v></c>', b'<c r="%s%s"%s t="zz"><v>1</v></c>',
                    b'<c r="%s%s"%s><f t="shared" ref="A1:XFD1048576" si="0">A1</f><v>1</v></c>',
                    b'<c r="%s%s"%s><f t="shared" si="4294967295"/><v>1</v></c>',
                    b'<c r="%s%s"%s t="e"><v>#REF!</v></c>', b'<c r="%s%s"%s t="e"><v>#VALUE!</v></c>')
    for k in range(max(per_family * 2, len(replacements))):
        template = replacements[k % len(replacements)]
        target = rng.choice(sheets)
        xml = dict((i.filename, x) for i, x in parts)[target]
        cells = [m for m in _NUMBER_CELL.finditer(xml) if int(m[2]) > 3]
        if not cells:
            continue
        picked = rng.sample(cells, min(len(cells), rng.choice((1, 5, 40))))
        def put(content: bytes, picked=picked, template=template) -> bytes:
            for m in picked:
                content = content.replace(m[0], template % (m[1], m[2], m[3]), 1)
            return content
        yield case("cell-values", edit_part(data, target, put))

    # text clerks paste: control characters (escaped, raw and as Excel's _x0001_), odd Unicode, huge text
    texts = (b"&#1;", b"\x01\x02", b"\x00", b"_x0001__x001F_", b"&#xD800;", b"\xed\xa0\x80", b"\xff\xfe", b"\xe2\x80\xae\xe2\x80\x8b",
             b"&#x1F600;" * 3, b"=cmd|' /C calc'!A0", b"x" * 2_000_000, "　".encode() * 50, b"&amp;&lt;&gt;&quot;", b"&unknown;")
    for k in range(max(per_family, len(texts))):
        text = texts[k % len(texts)]
        target = rng.choice(sheets)
        yield case("control-chars", edit_part(data, target, lambda xml, t=text: re.sub(
            rb"(<is><t[^>]*>)([^<]*)(</t>)", lambda m: m[1] + m[2][:2] + t + m[3], xml, count=rng.choice((1, 20, 500)))))

    # structure: an empty sheet, no sheetData, deep nesting, invalid UTF-8, UTF-16, duplicate entries
    target = sheets[0]
    ns = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    for content in (b"", ns + b"</worksheet>", ns + b"<sheetData/></worksheet>", ns + b"<sheetData>" + b"<row>" * 100000 + b"</sheetData></worksheet>",
                    b"\xff\xfe" + (ns.decode() + "<sheetData/></worksheet>").encode("utf-16-le"),
                    ns + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xc3\x28\xa0\xa1</t></is></c></row></sheetData></worksheet>',
                    b"<?xml version='1.1'?>" + ns + b"<sheetData/></worksheet>", b"not xml at all",
                    ns + b"<sheetData>" + b'<row r="1"><c r="A1"><v>1</v></c></row>' * 50000 + b"</sheetData></worksheet>"):
        yield case("sheet-structure", edit_part(data, target, lambda xml, c=content: c))
    dup = build([(i.filename, x) for i, x in parts] + [(target, b"garbage")])
    yield case("sheet-structure", dup)


# ---- hand-made hostile files --------------------------------------------------------------------

def _lying_bomb(data: bytes, part: str, extra: int) -> bytes:
    """A zip whose header declares `part` at its true size while the deflate stream goes on with
    `extra` bytes of spaces (the CRC covers the declared bytes, so a reader stopping there is fooled)."""
    parts = parts_of(data)
    out = io.BytesIO()
    offsets = []
    for info, content in parts:
        offsets.append(out.tell())
        name = info.filename.encode()
        if info.filename == part:
            co = zlib.compressobj(1, zlib.DEFLATED, -15)
            comp = co.compress(content)
            block = b" " * (1 << 20)
            for _ in range(extra >> 20):
                comp += co.compress(block)
            comp += co.flush()
        else:
            comp = zlib.compress(content, 6)[2:-4]
        crc = zlib.crc32(content)
        out.write(struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(comp), len(content), len(name), 0))
        out.write(name + comp)
        parts_meta = (crc, len(comp), len(content), name)
        offsets[-1] = (offsets[-1], parts_meta)
    start = out.tell()
    for offset, (crc, csize, usize, name) in offsets:
        out.write(struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, csize, usize, len(name), 0, 0, 0, 0,
                              0, offset))
        out.write(name)
    end = out.tell()
    out.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(offsets), len(offsets), end - start, start, 0))
    return out.getvalue()


def _declared_bomb(data: bytes) -> bytes:
    """A real zip bomb: one part that inflates to 520 MB of spaces (compressed to ~0.5 MB)."""
    parts = parts_of(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info, content in parts:
            archive.writestr(info.filename, content)
        bomb = zipfile.ZipInfo("xl/worksheets/sheet99.xml", date_time=(2026, 1, 1, 0, 0, 0))
        bomb.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(bomb, "w", force_zip64=True) as part:
            block = b" " * (1 << 20)
            for _ in range(520):
                part.write(block)
    return out.getvalue()


def _entity_bomb(data: bytes, part: str) -> bytes:
    laughs = b'<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + b"]>"
    return edit_part(data, part, lambda xml: re.sub(rb"^(<\?xml[^>]*\?>)?", lambda m: (m[0] or b"") + laughs, xml, count=1)
                     .replace(b"<sheetData>", b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lol9;</t></is></c></row>", 1))


def hostile(base: bytes, encrypted: bytes | None, legacy_xls: bytes | None) -> Iterator[Case]:
    """Files built to hurt: entity bombs, zip bombs, encryption, the wrong kind of file."""
    sheet = sheet_parts(base)[0]
    yield Case("billion-laughs-sheet.xlsx", "hostile", _entity_bomb(base, sheet))
    yield Case("billion-laughs-workbook.xlsx", "hostile", _entity_bomb(base, "xl/workbook.xml"))
    yield Case("billion-laughs-content-types.xlsx", "hostile", _entity_bomb(base, "[Content_Types].xml"))
    yield Case("xxe-external-entity.xlsx", "hostile", edit_part(base, sheet, lambda xml: b'<?xml version="1.0"?><!DOCTYPE x '
                                                                 b'[<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml))
    yield Case("zip-bomb-declared.xlsx", "hostile", _declared_bomb(base))
    yield Case("zip-bomb-lying-header.xlsx", "hostile", _lying_bomb(base, sheet, 256 << 20))
    yield Case("zip-bomb-lying-small.xlsx", "hostile", _lying_bomb(base, sheet, 8 << 20))
    many = build([(i.filename, x) for i, x in parts_of(base)] + [(f"xl/media/image{k}.png", b"x") for k in range(1200)])
    yield Case("zip-too-many-entries.xlsx", "hostile", many)
    zip_encrypted = bytearray(base)  # the 'encrypted' flag set on every local and central header
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for m in re.finditer(re.escape(sig), bytes(zip_encrypted)):
            zip_encrypted[m.start() + off] |= 1
    yield Case("zip-encrypted-entries.xlsx", "hostile", bytes(zip_encrypted))
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_LZMA) as archive:
        for info, content in parts_of(base):
            archive.writestr(info.filename, content)
    yield Case("zip-lzma.xlsx", "hostile", stored.getvalue())
    if encrypted:
        yield Case("encrypted.xlsx", "hostile", encrypted)
        yield Case("encrypted-large.xlsx", "hostile", encrypted[:512] + encrypted[512:] + b"\0" * (6 << 20))
    if legacy_xls:
        yield Case("legacy.xls", "hostile", legacy_xls)
        yield Case("legacy-renamed.xlsx", "hostile", legacy_xls)
    csv = "档案编号,客户姓名,车牌号\nDA001,张三,京A12345\n=1+1,@SUM(A1),-2\n".encode("utf-8-sig")
    yield Case("csv-renamed.xlsx", "hostile", csv)
    yield Case("csv.csv", "hostile", csv)
    yield Case("empty.xlsx", "hostile", b"")
    yield Case("one-byte.xlsx", "hostile", b"P")
    yield Case("pk-only.xlsx", "hostile", b"PK\x03\x04")
    yield Case("random-bytes.xlsx", "hostile", random.Random(7).randbytes(50_000))
    yield Case("html-renamed.xlsx", "hostile", b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    yield Case("docx-renamed.xlsx", "hostile", build([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]))
    yield Case("ods-renamed.xlsx", "hostile", build([("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
                                                     ("content.xml", b"<office:document-content/>")]))
    yield Case("path-traversal-entry.xlsx", "hostile", build([(i.filename, x) for i, x in parts_of(base)]
                                                              + [("../../evil.txt", b"x"), ("/abs.txt", b"y")]))


def corpus(bases: dict[str, tuple], *, seed: int = 2026, encrypted: bytes | None = None,
           legacy_xls: bytes | None = None) -> list[Case]:
    """Every mutation of every base (name: (workbook, variants per random family[, families])) plus
    the hand-made hostile files, in a fixed order."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for name, (data, per_family, *families) in bases.items():
        cases.extend(mutations(name, data, rng, per_family, *families))
    cases.extend(hostile(next(iter(bases.values()))[0], encrypted, legacy_xls))
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "corpus case names must be unique"
    return cases


# ---- real office folders (issue 21): what clerks' folders hold, each with its expected figures ------

OFFICE_SAME = ("office-zero-width", "office-hidden-copy", "office-total-labels", "office-header-again",
               "office-remark-total", "office-simple-formula")  # the store's own figures, exactly
OFFICE_BAD = ("office-error-cell", "office-bare-formula")  # exit 1, naming the cell
_ROW_XML = re.compile(rb'<row r="(\d+)"[^>]*>(.*?)</row>', re.S)


def _header_letters(xml: bytes, header_row: int) -> dict[str, bytes]:
    """The header texts of a sheet's header row (line breaks removed) → their column letters."""
    row = next(m[2] for m in _ROW_XML.finditer(xml) if int(m[1]) == header_row)
    return {re.sub(r"\s+", "", m[3].decode()): m[1].rstrip(b"0123456789") for m in _INLINE.finditer(row)}


def _last_row(xml: bytes) -> int:
    return max(int(m[1]) for m in _ROW_XML.finditer(xml))


def _append_row(xml: bytes, cells: list[tuple[bytes, bytes]], row: int) -> bytes:
    """A row of (column letter, cell XML body after the r attribute) appended to sheetData."""
    body = b"".join(b'<c r="%s%d"%s</c>' % (letter, row, rest) for letter, rest in cells)
    return xml.replace(b"</sheetData>", b'<row r="%d">%s</row></sheetData>' % (row, body), 1)


def _cell_day(cell: bytes):
    """The day a date cell shows: a serial number with a date style, or a text like 2026-10-01."""
    import datetime as dt
    if m := re.search(rb"<v>(\d+)(?:\.0+)?</v>", cell):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(m[1]))
    if m := re.search(r"<t[^>]*>\s*(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})", cell.decode("utf-8", "replace")):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    return None


def _text(value: str) -> bytes:
    return b' t="inlineStr"><is><t>' + value.encode() + b"</t></is>"


def office(data: bytes, policies_sheet: str = "客户管理统计明细表", header_row: int = 3) -> Iterator[Case]:
    """The store as real office folders hold it, built from its bytes: invisible characters pasted into
    every text, a hidden copy of the policies sheet, total rows labelled 10月小计/合计(元)/汇总, the header
    row pasted again below the data, 合计 in a full row's 备注, a date given as =DATE(y,m,d) without its
    value (OFFICE_SAME: the figures stay); an Excel error and a formula without value in a 保单起期
    (OFFICE_BAD: exit 1)."""
    parts = parts_of(data)
    files = dict((i.filename, x) for i, x in parts)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        from insurance_xl.xlsx.parts import sheet_parts as named_parts
        part = dict(named_parts(archive))[policies_sheet]
    xml = files[part]
    cols = _header_letters(xml, header_row)
    last = _last_row(xml)
    body_rows = [int(m[1]) for m in _ROW_XML.finditer(xml) if header_row < int(m[1]) < last]
    middle = body_rows[len(body_rows) // 2]

    def cell_of(letter: bytes, row: int) -> re.Match:
        return re.search(rb'<c r="%s%d"[^>]*?(?:/>|>.*?</c>)' % (letter, row), xml, re.S)

    yield Case("office-zero-width.xlsx", "office-zero-width", edit(data, lambda name, x: re.sub(
        rb"(<is><t[^>]*>)([^<]*)(</t>)", lambda m: m[1] + "\u200b".encode() + m[2] + "\ufeff".encode() + m[3], x)
        if name.startswith("xl/worksheets/") else x))

    copy_part = "xl/worksheets/sheet_copy.xml"

    def hidden_copy(name: str, x: bytes) -> bytes:
        if name == "xl/workbook.xml":
            return x.replace(b"</sheets>", ('<sheet name="%s (2)" sheetId="99" state="hidden" r:id="rIdCopy"/>'
                                            % policies_sheet).encode() + b"</sheets>")
        if name == "xl/_rels/workbook.xml.rels":
            return x.replace(b"</Relationships>", b'<Relationship Id="rIdCopy" Type="http://schemas.openxmlformats.org/'
                             b'officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet_copy.xml"/>'
                             b"</Relationships>")
        if name == "[Content_Types].xml":
            return x.replace(b"</Types>", b'<Override PartName="/xl/worksheets/sheet_copy.xml" ContentType="application/'
                             b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        return x
    yield Case("office-hidden-copy.xlsx", "office-hidden-copy",
               build([(i.filename, hidden_copy(i.filename, x)) for i, x in parts] + [(copy_part, xml)]))

    money = next(v for k, v in cols.items() if k.startswith("商业险保费"))
    totals = xml
    for n, label in enumerate(("10月小计", "合计(元)", "汇 总：")):
        totals = _append_row(totals, [(b"A", _text(label)), (money, b"><v>136965.69</v>")], last + 1 + n)
    yield Case("office-total-labels.xlsx", "office-total-labels", edit_part(data, part, lambda x: totals))

    header = next(m[2] for m in _ROW_XML.finditer(xml) if int(m[1]) == header_row)
    again = re.sub(rb'r="([A-Z]+)%d"' % header_row, lambda m: b'r="%s%d"' % (m[1], last + 1), header)
    yield Case("office-header-again.xlsx", "office-header-again", edit_part(
        data, part, lambda x: x.replace(b"</sheetData>", b'<row r="%d">%s</row></sheetData>' % (last + 1, again), 1)))

    remark = cols["备注"]

    def remarks(x: bytes) -> bytes:
        for row in body_rows[::9]:
            found = re.search(rb'<c r="%s%d"[^>]*?(?:/>|>.*?</c>)' % (remark, row), x, re.S)
            new = b'<c r="%s%d"%s</c>' % (remark, row, _text("合计"))
            if found:
                x = x.replace(found[0], new, 1)
            else:
                x = re.sub(rb'(<row r="%d"[^>]*>.*?)(</row>)' % row, lambda m: m[1] + new + m[2], x, count=1, flags=re.S)
        return x
    yield Case("office-remark-total.xlsx", "office-remark-total", edit_part(data, part, remarks))

    start = cols["保单起期"]
    found = cell_of(start, middle)
    day = _cell_day(found[0]) if found else None
    if day:
        formula = b'<c r="%s%d"><f>DATE(%d,%d,%d)</f></c>' % (start, middle, day.year, day.month, day.day)
        yield Case("office-simple-formula.xlsx", "office-simple-formula",
                   edit_part(data, part, lambda x: x.replace(found[0], formula, 1)))
    for family, cell in (("office-error-cell", b'<c r="%s%d" t="e"><v>#N/A</v></c>'),
                         ("office-bare-formula", b'<c r="%s%d"><f>A1+1</f></c>')):
        yield Case(f"{family}.xlsx", family, edit_part(data, part, lambda x, c=cell: x.replace(found[0], c % (start, middle), 1)))
