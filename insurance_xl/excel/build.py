"""`make workbook`: write workbook/insurance.xlsm from the declarations, the same bytes every time.

- the sheets come from openpyxl through writing/sheet.py and writing/template_books.py (registers.py declares the
  register sheets, settings.py the 设置 sheet, excel.layout and excel.board the 看板 and xlwings.conf);
- the VBA project is the one of the pinned xlwings release's standalone workbook
  (quickstart_standalone.xlsm: its `xlwings` module is tied to that release) with its sample module
  replaced by ours, read from macros/*.bas (the reviewed source), through pyopenvba;
- the buttons are legacy form controls (a VML drawing on 看板), each calling one Sub of ours.

Reproducible: zip entries in a fixed order with a fixed timestamp, fixed document dates, and the
VBA project written from the same inputs. Needs the `workbook` extra (pyopenvba); nothing here
runs when a clerk presses a button.
"""
from __future__ import annotations

import argparse
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import xlwings
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from ..registers import DATA_REGISTERS
from ..writing.template_books import write_settings_sheet
from ..xlsx.save import atomic_write
from ..writing.sheet import print_ready, write_register
from ..excel import board
from ..services.doctor import XLWINGS_PROPERTY
from ..xlsx.properties import set_properties
from ..services.package_files import CHECKOUT, WORKBOOK_NAME, asset_dir, in_checkout
from ..outputs import BOARD_SHEET, CONF_SHEET
from .layout import BUTTON_COLUMN, BUTTONS, CONF_ROWS

MACROS_DIR = asset_dir("macros")  # the wheel's copy of macros/ when installed
# the repository's workbook/ in a checkout; in an installed copy, the current folder
TARGET = (CHECKOUT / "workbook" / WORKBOOK_NAME) if in_checkout() else Path(WORKBOOK_NAME)
STANDALONE = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
SAMPLE_MODULE = "Module1"  # the standalone workbook's demo macro (SampleCall): not ours
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_ISO = "2026-01-01T00:00:00Z"
VML_PATH = "xl/drawings/vmlDrawing1.vml"
PREPARED_ROWS = 200  # empty rows of each register Table, formatted, with their drop-down lists
_VB_NAME = re.compile(r'^Attribute VB_Name = "([A-Za-z][A-Za-z0-9_]*)"', re.M)


def build_workbook(target: str | Path = TARGET, macros_dir: str | Path = MACROS_DIR) -> Path:
    """Write the live workbook to `target` (atomically; no backup: it is generated)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    modules = read_modules(Path(macros_dir))
    wb = sheets_workbook()
    attach_vba(wb, vba_project(modules), buttons_vml(board.column_widths()))
    raw = io.BytesIO()
    wb.save(raw)
    data = normalized(raw.getvalue())
    atomic_write(target, lambda tmp: tmp.write_bytes(data), keep_backup=False)
    return target


# ---- sheets -------------------------------------------------------------------------------------

def sheets_workbook() -> Workbook:
    """看板, every register sheet (Tables, drop-downs, formats), 设置 and xlwings.conf."""
    wb = Workbook()
    wb.remove(wb.active)
    board.write_board(wb.create_sheet(BOARD_SHEET))
    for key in DATA_REGISTERS:  # a Table grows with the rows typed below it, formats and lists included
        write_register(wb, key, validation_rows=PREPARED_ROWS)
    write_settings_sheet(wb)
    write_conf_sheet(wb.create_sheet(CONF_SHEET))
    wb.code_name = "ThisWorkbook"
    for i, ws in enumerate(wb.worksheets, start=1):  # the document modules of the VBA project
        ws.sheet_properties.codeName = f"Sheet{i}"
    wb.active = 0
    set_properties(wb, {XLWINGS_PROPERTY: xlwings.__version__})  # the release whose VBA attach_vba embeds
    return print_ready(wb)


def write_conf_sheet(ws: Worksheet) -> None:
    """What RunPython needs to find the interpreter and the package (README "The Excel workbook")."""
    for i, (key, value, note) in enumerate(CONF_ROWS, start=1):
        ws.cell(row=i, column=1, value=key).font = Font(bold=True)
        ws.cell(row=i, column=2, value=value)
        ws.cell(row=i, column=3, value=note).font = Font(color="7F7F7F")
    notes = (
        "本表由 xlwings 读取：设置项从 A1 起连续排列，中间不能有空行；表名必须是 xlwings.conf。",
        "用哪个 Python 由每台电脑自己设置（本表不写 Interpreter_Win/Interpreter_Mac）：默认是 PATH 上的 python；"
        "装在别处时在 %USERPROFILE%\\.xlwings\\xlwings.conf 写一行 \"INTERPRETER_WIN\",\"python.exe 的完整路径\"。",
        "按「检查环境」按钮或运行 insurance-xl doctor 查看按钮会用哪个 Python。",
    )
    for j, text in enumerate(notes, start=len(CONF_ROWS) + 2):
        ws.cell(row=j, column=1, value=text).alignment = Alignment(wrap_text=False)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 90


# ---- VBA ----------------------------------------------------------------------------------------

def read_modules(folder: Path) -> dict[str, str]:
    """Each macros/*.bas as (module name, source with CRLF line ends), in name order."""
    modules = {}
    for path in sorted(folder.glob("*.bas")):
        text = path.read_text(encoding="ascii")
        match = _VB_NAME.search(text)
        if not match:
            raise ValueError(f"{path}: missing 'Attribute VB_Name = \"...\"' on the first line")
        modules[match[1]] = text.replace("\r\n", "\n").replace("\n", "\r\n")
    if not modules:
        raise ValueError(f"no .bas module in {folder}")
    return modules


def vba_project(modules: dict[str, str]) -> bytes:
    """The standalone workbook's vbaProject.bin with its sample module swapped for ours."""
    from pyopenvba import ExcelFile

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "standalone.xlsm"
        shutil.copyfile(STANDALONE, copy)
        with ExcelFile(copy) as book:
            project = book.vba_project()
            if SAMPLE_MODULE in book.module_names():
                project.delete_module(SAMPLE_MODULE)
            for name, source in modules.items():
                project.add_module(name, source)
            book.save()
        with zipfile.ZipFile(copy) as archive:
            return archive.read("xl/vbaProject.bin")


def attach_vba(wb: Workbook, vba_bin: bytes, vml: str) -> None:
    """Make openpyxl write an .xlsm carrying our VBA project and the buttons' drawing.

    openpyxl keeps whatever sits in `vba_archive` under xl/vbaProject.bin and xl/drawings/*.vml
    (its keep_vba path) and links a sheet's `legacy_drawing`.
    """
    archive = zipfile.ZipFile(io.BytesIO(), "a", zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(STANDALONE) as standalone:
        for name in ("[Content_Types].xml", "_rels/.rels"):  # openpyxl reads these when keeping VBA
            archive.writestr(name, standalone.read(name))
    archive.writestr("xl/vbaProject.bin", vba_bin)
    archive.writestr(VML_PATH, vml)
    wb.vba_archive = archive
    wb[BOARD_SHEET].legacy_drawing = VML_PATH


def buttons_vml(widths: Sequence[float], row_height_pt: float = 15.0) -> str:
    """Form-control buttons on 看板, each two rows tall over columns H:I, calling its macro."""
    def column_px(width: float) -> int:
        return int(width * 7 + 5)  # Excel's pixel width of a column at the default font

    left_pt = sum(column_px(w) for w in widths[:BUTTON_COLUMN]) * 0.75 + 3
    width_pt = sum(column_px(w) for w in widths[BUTTON_COLUMN:BUTTON_COLUMN + 2]) * 0.75 - 6
    shapes = []
    for n, button in enumerate(BUTTONS, start=1):
        top_pt = (button.row - 1) * row_height_pt + 2
        anchor = f"{BUTTON_COLUMN}, 4, {button.row - 1}, 3, {BUTTON_COLUMN + 2}, 0, {button.row + 1}, 0"
        shapes.append(
            f'<v:shape id="_x0000_s{1024 + n}" type="#_x0000_t201" style="position:absolute;'
            f"margin-left:{left_pt:g}pt;margin-top:{top_pt:g}pt;width:{width_pt:g}pt;"
            f'height:{2 * row_height_pt - 4:g}pt;z-index:{n};mso-wrap-style:tight" o:button="t" '
            'fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">'
            '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/><o:lock v:ext="edit" rotation="t"/>'
            '<v:textbox style="mso-direction-alt:auto" o:singleclick="f"><div style="text-align:center">'
            f'<font face="Calibri" size="220" color="#000000">{escape(button.caption)}</font></div></v:textbox>'
            f'<x:ClientData ObjectType="Button"><x:Anchor>{anchor}</x:Anchor><x:PrintObject>False</x:PrintObject>'
            f"<x:AutoFill>False</x:AutoFill><x:FmlaMacro>[0]!{button.macro}</x:FmlaMacro>"
            "<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign></x:ClientData></v:shape>"
        )
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        '<o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shapetype id="_x0000_t201" coordsize="21600,21600" '
        'o:spt="201" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path shadowok="f" '
        'o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/>'
        "</v:shapetype>" + "".join(shapes) + "</xml>"
    )


# ---- reproducible bytes -------------------------------------------------------------------------

def normalized(data: bytes) -> bytes:
    """The same package with a fixed entry order, fixed timestamps and fixed document dates."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts["docProps/core.xml"] = re.sub(
        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + FIXED_ISO.encode() + rb"\g<2>",
        parts["docProps/core.xml"])
    parts["[Content_Types].xml"] = _sorted_defaults(parts["[Content_Types].xml"])
    first = ["[Content_Types].xml", "_rels/.rels"]
    order = first + sorted(name for name in parts if name not in first)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, parts[name])
    return out.getvalue()


def _sorted_defaults(types: bytes) -> bytes:
    """openpyxl registers file extensions in the order a set yields them: sort them."""
    defaults = sorted(re.findall(rb"<Default [^>]*/>", types))
    rest = re.sub(rb"<Default [^>]*/>", b"", types)
    head = re.match(rb"(?s)(.*?<Types[^>]*>)", rest)
    assert head, "no <Types> element in [Content_Types].xml"
    return head[1] + b"".join(defaults) + rest[head.end():]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m insurance_xl.excel.build", description=__doc__.splitlines()[0])
    parser.add_argument("target", nargs="?", default=str(TARGET),
                        help=f"where to write (default {TARGET})")
    parser.add_argument("--macros", default=str(MACROS_DIR), help=f"folder of the .bas modules (default {MACROS_DIR})")
    args = parser.parse_args(argv)
    print(build_workbook(args.target, args.macros))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
