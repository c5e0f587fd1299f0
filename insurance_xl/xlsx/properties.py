"""Our custom document properties (docProps/custom.xml), read and written in one place: the kind of
workbook we wrote (report, call list…), a call list's date, a validated workbook's stamp."""
from __future__ import annotations

import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

from defusedxml import ElementTree
from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty

PROPERTY_PREFIX = "insurance-xl-"
KIND_PROPERTY = PROPERTY_PREFIX + "kind"
_PART = "docProps/custom.xml"
_MOST = 1 << 20  # read before the safety checks run: a bounded prefix (ours are a few kB)


def read_properties(path: Path) -> dict[str, str]:
    """Our properties (insurance-xl-*) as stored; {} for a workbook without them or one that cannot
    be opened (not ours to judge here: the reading checks refuse it with a reason)."""
    try:
        with zipfile.ZipFile(path) as archive:
            if _PART not in archive.namelist():
                return {}
            with archive.open(_PART) as part:
                root = ElementTree.fromstring(part.read(_MOST))
    except (OSError, EOFError, ValueError, RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error,
            ElementTree.ParseError):
        return {}
    out = {}
    for prop in root:
        name = prop.get("name", "")
        if name.startswith(PROPERTY_PREFIX) and len(prop):
            out[name] = (prop[0].text or "").strip()
    return out


def output_kind(path: Path) -> str:
    """The kind insurance-xl stamped on a workbook it wrote (report, call list…), '' for a store."""
    kind = read_properties(path).get(KIND_PROPERTY, "")
    return "" if kind == "store" else kind


def set_properties(wb: Workbook, values: Mapping[str, str]) -> None:
    """Set our properties on a workbook about to be saved, replacing earlier values of the same names."""
    props = wb.custom_doc_props
    for prop in list(props):
        if prop.name in values:
            props.props.remove(prop)
    for name, value in values.items():
        props.append(StringProperty(name=name, value=value))


def stamp_kind(wb: Workbook, kind: str) -> None:
    """Mark a workbook we wrote so that reading a store folder skips it."""
    set_properties(wb, {KIND_PROPERTY: kind})
