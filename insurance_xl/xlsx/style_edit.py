"""Adding cell styles to a package's styles.xml as text: fonts, fills, borders and cell formats are
appended, so every style the workbook already uses keeps its number (its cells need no edit)."""
from __future__ import annotations

import re

from .parts import attrs_of


class Unsupported(Exception):
    """A styles part laid out in a way this editor does not edit (the caller falls back)."""


_XF = re.compile(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)


class StyleSheet:
    def __init__(self, xml: str) -> None:
        if not re.search(r"<styleSheet\b", xml):
            raise Unsupported("styles.xml without an unprefixed styleSheet")
        self.xml = xml
        self._counts = {tag: self._existing(tag) for tag in ("fonts", "fills", "borders", "cellXfs")}
        if self._counts["fills"] < 2 or self._counts["fonts"] < 1 or self._counts["borders"] < 1:
            raise Unsupported("styles.xml without the default fonts, fills or borders")
        self._added: dict[str, list[str]] = {tag: [] for tag in self._counts}
        body = self._body("cellXfs")
        self.xfs = _XF.findall(body) if body is not None else []
        if len(self.xfs) != self._counts["cellXfs"]:
            raise Unsupported("cellXfs count and elements differ")
        self._clones: dict[tuple[int, int], int] = {}
        font = re.search(r"<font\b[^>]*>(.*?)</font>", self._body("fonts") or "", re.S)
        name = re.search(r'<name val="[^"]*"/>', font[1]) if font else None
        self.font_name = name[0] if name else ""

    def _body(self, tag: str) -> str | None:
        m = re.search(rf"<{tag}\b[^>]*?(?:/>|>(.*?)</{tag}>)", self.xml, re.S)
        return None if m is None else (m[1] or "")

    def _existing(self, tag: str) -> int:
        body = self._body(tag)
        if body is None:
            return 0
        child = {"fonts": "font", "fills": "fill", "borders": "border", "cellXfs": "xf"}[tag]
        return len(re.findall(rf"<{child}\b[^>]*?(?:/>|>)", body))

    def _add(self, tag: str, xml: str) -> int:
        self._added[tag].append(xml)
        return self._counts[tag] + len(self._added[tag]) - 1

    def font(self, inner: str) -> int:
        return self._add("fonts", f"<font>{inner}{self.font_name}</font>")

    def fill(self, rgb: str) -> int:
        return self._add("fills", f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
                                  f'<bgColor indexed="64"/></patternFill></fill>')

    def border(self, rgb: str) -> int:
        side = "".join(f'<{s} style="thin"><color rgb="FF{rgb}"/></{s}>' for s in ("left", "right", "top", "bottom"))
        return self._add("borders", f"<border>{side}<diagonal/></border>")

    def xf(self, font: int = 0, fill: int = 0, border: int = 0, wrap: bool = False) -> int:
        applied = "".join(f' {name}="1"' for name, on in (("applyFont", font), ("applyFill", fill),
                                                           ("applyBorder", border), ("applyAlignment", wrap)) if on)
        inner = '<alignment vertical="top" wrapText="1"/>' if wrap else ""
        return self._add("cellXfs", f'<xf numFmtId="0" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
                                    f"{applied}" + (f">{inner}</xf>" if inner else "/>"))

    def with_fill(self, style: int, fill: int) -> int:
        """A copy of cell format `style` (an unknown number counts as 0) with `fill`."""
        base = style if 0 <= style < len(self.xfs) else 0
        key = (base, fill)
        if key not in self._clones:
            xf = self.xfs[base] if self.xfs else '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            tag_end = xf.index(">") + (0 if xf[xf.index(">") - 1] != "/" else -1)
            tag = xf[:tag_end]
            attrs = attrs_of(tag)
            attrs["fillId"], attrs["applyFill"] = str(fill), "1"
            head = "<xf " + " ".join(f'{k}="{v}"' for k, v in attrs.items())
            self._clones[key] = self._add("cellXfs", head + xf[tag_end:])
        return self._clones[key]

    def text(self) -> str:
        xml = self.xml
        for tag, added in self._added.items():
            if not added:
                continue
            total = self._counts[tag] + len(added)
            m = re.search(rf"<{tag}\b([^>]*?)(/?)>", xml)
            if m is None:
                raise Unsupported(f"styles.xml has no <{tag}>")
            head = re.sub(r'\s*\bcount="\d+"', "", m[1])
            if m[2]:  # <fills/>
                xml = xml[:m.start()] + f'<{tag}{head} count="{total}">{"".join(added)}</{tag}>' + xml[m.end():]
            else:
                close = xml.index(f"</{tag}>", m.end())
                xml = (xml[:m.start()] + f'<{tag}{head} count="{total}">' + xml[m.end():close] + "".join(added)
                       + xml[close:])
        return xml
