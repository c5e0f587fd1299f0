"""What we check before a workbook reaches a parser (ARCHITECTURE.md "Files we touch").

A clerk's folder holds damaged, half-saved, encrypted and mislabelled files; a hostile file may be a
zip bomb, carry XML entity tricks, or put one value in cell XFD1048576 so that a reader building the
sheet's grid asks for 17 billion cells (calamine, under fastexcel, aborts the whole process on that
allocation: no exception, no message). Each is refused here with a reason a clerk can act on; the
hostile-file corpus in tests/test_corpus.py exercises every rule. SECURITY.md explains them.
"""
from __future__ import annotations

import contextlib
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import WorkbookUnreadable
from ..settings import Limits

# The defaults of the limits below are settings.Limits; a settings file's [limits] table raises them
# for the process (configure), and each refusal names the setting that would let the file through.
_MB = 1024 * 1024
_limits = Limits()
# The reader holds a sheet's whole grid, rows × columns of its bounding box (~40 bytes a cell,
# measured), and the commands after it work on every row of it: 30M cells ≈ 1.2 GB at most. Within
# that, a grid may hold at most one cell per byte of its sheet's XML (a cell with a value takes 15
# bytes or more) above a floor of 4M cells: a dense register of any size fits, while a stray value in
# a far corner of an almost empty sheet (23M cells from 20 KB of XML) does not.
SHEET_CELLS_FLOOR = 4_000_000
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an xlsx wrapped by encryption
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_CHUNK = 1 << 20
_OVERLAP = 64  # longer than any marker or cell reference we look for across a chunk boundary
_DTD_MARKERS = (b"<!DOCTYPE",)  # entity definitions can only live inside one
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
# Cell references, read the quick way: Excel, LibreOffice, openpyxl and XlsxWriter all write
# <c r="B7" ...>, measured as each window of the part streams past (SheetExtent.take). A cell written
# any other way (no r, r not first, single quotes, a namespace prefix) is odd: the reader places it
# after the previous one, so the quick bound does not hold and the part is measured exactly
# (_place_cells) instead.
# Only references that can widen the grid are looked at: six or more digits (row 100000 on) for the
# far row, two or more letters (column AA on) for the far column.
_FAR_ROW = re.compile(rb'<c r="[A-Za-z]*(\d{6,})"')
_FAR_COLUMN = re.compile(rb'<c r="([A-Za-z]{2,})\d*"')
_ODD_CELL = re.compile(rb'<c(?! r=")[\s>/]')  # a cell without its reference: placed by its position
_PREFIXED_CELL = re.compile(rb":c[\s>/]")
_NEAR_ROWS = 99_999  # what a sheet without a six-digit reference can reach
_NEAR_COLUMNS = 26  # what a sheet without a two-letter reference can reach


def configure(limits: Limits) -> None:
    """Use `limits` (a settings file's [limits]) for every workbook checked from now on."""
    global _limits
    _limits = limits


def active_limits() -> Limits:
    return _limits


def limits_key() -> list[int]:
    """The limits in force, for keying what was read under them (reading/cache.py)."""
    return [_limits.file_mb, _limits.uncompressed_mb, _limits.entries, _limits.sheet_cells]


def _hint(setting: str, value: int) -> str:
    return f"；确属正常的大文件，可在设置文件的 [limits] 中调高 {setting}（当前 {value}）"


def check_workbook_file(path: Path) -> None:
    """Raise WorkbookUnreadable unless `path` looks like a sound, reasonably sized xlsx/xlsm.
    (sheet_checks.SheetChecks does the same for a reader parsing sheet by sheet, the sheets ahead.)"""
    check_file(path)
    with translated(path), zipfile.ZipFile(path) as archive, path.open("rb") as raw:
        extents = {}
        for entry in check_entries(path, archive):
            if not entry.is_dir():
                extents[entry.filename] = scan_part(path, raw, entry)
        for name, extent in extents.items():  # every part has passed its checks: sheet names can be looked up
            if extent is not None:
                check_extent(path, archive, raw, archive.getinfo(name), extent)


def check_file(path: Path) -> None:
    """The checks made before the file is opened as a zip: it is there, named, sized and shaped as one."""
    if not path.exists():
        raise WorkbookUnreadable(path, "文件不存在")
    if not path.is_file():
        raise WorkbookUnreadable(path, "不是文件")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        hint = "，请在 Excel 中另存为 .xlsx" if path.suffix.lower() in (".xls", ".csv", ".et") else ""
        raise WorkbookUnreadable(path, f"不是 Excel 工作簿（.xlsx/.xlsm），扩展名为 {path.suffix or '无'}{hint}")
    size = path.stat().st_size
    if size == 0:
        raise WorkbookUnreadable(path, "文件为空（0 字节），可能保存时中断")
    if size > _limits.file_mb * _MB:
        raise WorkbookUnreadable(path, f"文件过大（{size / _MB:.0f} MB，上限 {_limits.file_mb} MB）"
                                       + _hint("file_mb", _limits.file_mb))
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == _OLE_MAGIC:
            if _contains(fh, _ENCRYPTION_STREAM):
                raise WorkbookUnreadable(path, "文件已加密（设置了打开密码），请先在 Excel 中取消密码再处理")
            raise WorkbookUnreadable(path, "这是旧版 .xls 格式（只是扩展名为 .xlsx），请在 Excel 中另存为 .xlsx")
    if not head.startswith(b"PK"):
        raise WorkbookUnreadable(path, "不是 xlsx 文件（内容不是 zip 包，可能是改了扩展名的 CSV 或文本文件）")


@contextlib.contextmanager
def translated(path: Path) -> Iterator[None]:
    """What reading the zip raises, as the one WorkbookUnreadable a clerk sees."""
    try:
        yield
    except WorkbookUnreadable:
        raise
    except zipfile.BadZipFile as exc:
        raise WorkbookUnreadable(path, f"文件已损坏（zip 结构无法读取: {exc}），可能未保存完整") from None
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error, struct.error) as exc:
        raise WorkbookUnreadable(path, f"文件已损坏（{type(exc).__name__}: {exc}）") from None


def _contains(fh, needle: bytes) -> bool:
    """Whether the rest of the file holds `needle` (the CFB directory may sit anywhere in it)."""
    tail = b""
    while chunk := fh.read(4 * _CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle):]
    return False


def check_entries(path: Path, archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The zip's directory checked (entries, declared sizes, the parts every workbook has, no zip
    encryption, Excel's compression only): its entries, to be scanned one by one (scan_part)."""
    entries = archive.infolist()
    if len(entries) > _limits.entries:
        raise WorkbookUnreadable(path, f"zip 包内文件过多（{len(entries)} 个，上限 {_limits.entries}）"
                                       + _hint("entries", _limits.entries))
    declared = sum(e.file_size for e in entries)
    if declared > _limits.uncompressed_mb * _MB:
        raise WorkbookUnreadable(path, f"解压后过大（声明 {declared / _MB:.0f} MB，上限 "
                                       f"{_limits.uncompressed_mb} MB），疑似压缩炸弹"
                                       + _hint("uncompressed_mb", _limits.uncompressed_mb))
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise WorkbookUnreadable(path, "不是有效的 xlsx（缺少 xl/workbook.xml 或 [Content_Types].xml）")
    if any(e.flag_bits & 0x1 for e in entries):
        raise WorkbookUnreadable(path, "zip 包内容已加密，无法读取")
    for entry in entries:
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookUnreadable(path, f"{entry.filename} 使用了 Excel 不用的压缩方式（{entry.compress_type}），已拒绝")
    return entries


@dataclass
class SheetExtent:
    """How far a worksheet part's cell references reach, measured while it streams past."""

    far_row: int = 0
    far_column: int = 0
    odd_cells: bool = False
    look_for_marks: bool = False  # asked by SheetChecks only: the other callers read no marks
    marked: bool = False  # holds an error value (t="e") or a formula (<f>): see cell_marks.py

    def bounding_cells(self) -> int:
        return max(self.far_row, _NEAR_ROWS) * max(self.far_column, _NEAR_COLUMNS)

    def needs_placing(self, allowed: int) -> bool:
        return (self.odd_cells or self.bounding_cells() > allowed
                or self.far_row > EXCEL_MAX_ROWS or self.far_column > EXCEL_MAX_COLUMNS)

    def take(self, window: bytes) -> None:
        """Measure a window of the part (a reference split across two chunks is seen whole in the
        window that overlaps them; seeing one twice does not change a maximum). A dealer group's
        register has tens of millions of references: they are found by the regular-expression engine
        and compared by C loops (findall, map, max); only distinct column letters reach Python."""
        last = len(window) - 8  # a tag cut by the window's end is judged whole in the next window
        if self.look_for_marks and not self.marked:
            self.marked = b't="e"' in window or b"<f" in window
        if not self.odd_cells:
            self.odd_cells = any(m.start() < last for m in _ODD_CELL.finditer(window)) \
                or any(m.start() < last for m in _PREFIXED_CELL.finditer(window))
        self.far_row = max(self.far_row, max(map(int, _FAR_ROW.findall(window)), default=0))
        for letters in set(_FAR_COLUMN.findall(window)):
            self.far_column = max(self.far_column, _ref_position(letters.decode("ascii"))[1])


def _ref_position(ref: str) -> tuple[int, int]:
    """(row, column), 1-based, of a reference like 'XFD1048576'; 0 where a part is missing."""
    letters = ref.rstrip("0123456789")
    column = 0
    for ch in letters.upper():
        column = column * 26 + (ord(ch) - 64 if "A" <= ch <= "Z" else 0)
    digits = ref[len(letters):]
    return (int(digits) if digits else 0), column


def scan_part(path: Path, raw, entry: zipfile.ZipInfo, stop: Callable[[], bool] | None = None,
              marks: bool = False) -> SheetExtent | None:
    """Inflate one part from its raw bytes, checking as it streams:

    - it inflates to exactly its declared size with the declared CRC (a header that lies about the
      size, the trick of zip bombs that slip past a declared-size check, is refused here rather than
      left to a parser further on);
    - XML parts carry no DTD (never legitimate in OOXML), so no parser ever sees an entity definition;
    - a worksheet's references are measured (SheetExtent) to bound the grid the reader will build.

    Returns the extent when the part holds sheet data, else None.
    """
    produced, crc = 0, 0
    tail, markers, extent = b"", None, None
    for chunk in _inflate(path, raw, entry):
        if stop is not None and stop():  # the reader gave up on the workbook: no verdict is wanted
            return None
        produced += len(chunk)
        if produced > entry.file_size:
            raise WorkbookUnreadable(path, f"{entry.filename} 解压后的大小与声明不符（超过声明的 "
                                           f"{entry.file_size} 字节），疑似压缩炸弹，已拒绝")
        crc = zlib.crc32(chunk, crc)
        if markers is None:
            markers = _markers_for(chunk)
        if markers:
            window = tail + chunk
            if any(marker in window for marker in markers):
                raise WorkbookUnreadable(path, f"{entry.filename} 含有 DTD/实体定义（可能是恶意文件），已拒绝")
            if extent is None and b"sheetData" in window:
                extent = SheetExtent(look_for_marks=marks)
            if extent is not None:
                extent.take(window)
            tail = chunk[-_OVERLAP:]
    if produced != entry.file_size or crc != entry.CRC:
        raise WorkbookUnreadable(path, f"{entry.filename} 已损坏（大小或校验和不符），可能未保存完整")
    return extent


def _markers_for(first: bytes) -> tuple[bytes, ...] | None:
    """The DTD markers to look for in a part, judged from its first bytes: () for binary parts
    (images, vbaProject.bin), None while only whitespace has been seen."""
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if first.startswith(b"\xff\xfe") else "utf-16-be"
        return tuple(m.decode("ascii").encode(codec) for m in _DTD_MARKERS)
    stripped = first.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        return None
    return _DTD_MARKERS if stripped.startswith(b"<") else ()


def _inflate(path: Path, raw, entry: zipfile.ZipInfo):
    """The part's bytes in chunks of at most _CHUNK, read from the archive's raw bytes, so that no
    more is ever inflated than one chunk past what the header declares."""
    raw.seek(entry.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise WorkbookUnreadable(path, f"{entry.filename} 的 zip 记录已损坏，可能未保存完整")
    name_len, extra_len = _LOCAL_HEADER.unpack(header)[-2:]
    raw.seek(entry.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
    inflater = zlib.decompressobj(-15) if entry.compress_type == zipfile.ZIP_DEFLATED else None
    left = entry.compress_size
    while left > 0:
        data = raw.read(min(_CHUNK, left))
        if not data:
            raise WorkbookUnreadable(path, f"{entry.filename} 不完整（文件被截断），可能未保存完整")
        left -= len(data)
        if inflater is None:
            yield data
            continue
        while data:
            chunk = inflater.decompress(data, _CHUNK)
            data = inflater.unconsumed_tail
            if chunk:
                yield chunk
    if inflater is not None:
        if rest := inflater.flush():
            yield rest
        if not inflater.eof:
            raise WorkbookUnreadable(path, f"{entry.filename} 的压缩数据不完整，可能未保存完整")


def allowed_cells(part_bytes: int) -> int:
    """The largest grid a sheet part of this size may make the reader build."""
    return min(_limits.sheet_cells, max(SHEET_CELLS_FLOOR, part_bytes))


def check_extent(path: Path, archive: zipfile.ZipFile, raw, entry: zipfile.ZipInfo, extent: SheetExtent) -> None:
    allowed = allowed_cells(entry.file_size)
    if not extent.needs_placing(allowed):
        return
    # The quick bound is pessimistic (a wide sheet is assumed to reach row 99999, an empty styled
    # cell to hold a value) or does not hold (odd cells): place every cell as the reader does.
    grid = _place_cells(path, raw, entry)
    if grid.rows > EXCEL_MAX_ROWS or grid.columns > EXCEL_MAX_COLUMNS:
        raise WorkbookUnreadable(path, f"单元格 {grid.far_ref} 超出 Excel 的表格范围（{EXCEL_MAX_ROWS} 行 × "
                                       f"{EXCEL_MAX_COLUMNS} 列），文件已损坏", sheet=sheet_name(archive, entry.filename))
    if grid.cells > allowed:
        raise WorkbookUnreadable(
            path, f"表格范围过大（最远的单元格在 {grid.far_ref}，共 {grid.rows:,} 行 × {grid.columns:,} 列，"
                  f"而表中内容很少）：可能在很远的行或列误输入了内容，请删除多余的单元格后再试"
                  + (_hint("sheet_cells", _limits.sheet_cells) if allowed == _limits.sheet_cells else ""),
            sheet=sheet_name(archive, entry.filename))


@dataclass
class PlacedGrid:
    rows: int = 0
    columns: int = 0
    far_ref: str = ""

    @property
    def cells(self) -> int:
        return self.rows * self.columns


_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])([^>]*)>")
_R_ATTR = re.compile(rb"(?<=\s)r\s*=\s*[\"']([^\"']*)[\"']")


def _place_cells(path: Path, raw, entry: zipfile.ZipInfo) -> PlacedGrid:
    """The grid the reader (calamine) builds: rows and columns up to the farthest cell that can hold
    a value, following its rules — a cell without r comes after the previous one, a row without r
    after the previous row, self-closing <c/> and <row/> elements are skipped."""
    grid = PlacedGrid()
    row_index, col_index = 0, 0
    pending = b""
    for chunk in _inflate(path, raw, entry):
        data = pending + chunk
        cut = data.rfind(b"<")
        data, pending = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
        for tag in _TAG.finditer(data):
            closing, name, attrs = tag[1], tag[2], tag[3]
            if attrs.endswith(b"/"):
                continue
            if name == b"row":
                if closing:
                    row_index, col_index = row_index + 1, 0
                elif ref := _R_ATTR.search(attrs):
                    row_index = _ref_position(ref[1].decode("ascii", "replace"))[0] - 1
                continue
            if closing:
                continue
            ref = _R_ATTR.search(attrs)
            if ref:
                text = ref[1].decode("ascii", "replace")
                row, column = _ref_position(text)
                row, col_index = row - 1, column - 1
            else:
                row, text = row_index, ""
            rows, columns = row + 1, col_index + 1
            if rows > grid.rows or columns > grid.columns:
                grid.rows, grid.columns = max(grid.rows, rows), max(grid.columns, columns)
                grid.far_ref = text or f"第{rows}行第{columns}列"
            col_index += 1
    return grid


def sheet_name(archive: zipfile.ZipFile, part: str) -> str:
    """The sheet tab a worksheet part belongs to, for messages ('' when the workbook does not say).
    Called once the parts have passed the checks above, so their XML may be parsed."""
    from .parts import sheet_parts  # sheetxml needs read, which needs this module

    try:
        return next((name for name, found in sheet_parts(archive) if found == part), "")
    except Exception:  # noqa: BLE001  a damaged workbook.xml or rels: only the message is at stake
        return ""
