"""What we check before a workbook reaches a parser (ARCHITECTURE.md "Files we touch").

A clerk's folder holds damaged, half-saved, encrypted and mislabelled files; a hostile file may be a
zip bomb or carry XML entity tricks. Each is refused here with a reason a clerk can act on.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from .errors import WorkbookUnreadable

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
MAX_ENTRIES = 1000
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, or an xlsx wrapped by encryption
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
_CHUNK = 1 << 20
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")


def check_workbook_file(path: Path) -> None:
    """Raise WorkbookUnreadable unless `path` looks like a sound, reasonably sized xlsx/xlsm."""
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
    if size > MAX_FILE_BYTES:
        raise WorkbookUnreadable(path, f"文件过大（{size / 1024 / 1024:.0f} MB，上限 {MAX_FILE_BYTES // 1024 // 1024} MB）")
    with path.open("rb") as fh:
        head = fh.read(8)
        if head == _OLE_MAGIC:
            if _ENCRYPTION_STREAM in fh.read(min(size, 4 * _CHUNK)):
                raise WorkbookUnreadable(path, "文件已加密（设置了打开密码），请先在 Excel 中取消密码再处理")
            raise WorkbookUnreadable(path, "这是旧版 .xls 格式（只是扩展名为 .xlsx），请在 Excel 中另存为 .xlsx")
    if not head.startswith(b"PK"):
        raise WorkbookUnreadable(path, "不是 xlsx 文件（内容不是 zip 包，可能是改了扩展名的 CSV 或文本文件）")
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(path, archive)
    except zipfile.BadZipFile as exc:
        raise WorkbookUnreadable(path, f"文件已损坏（zip 结构无法读取: {exc}），可能未保存完整") from None
    except (OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise WorkbookUnreadable(path, f"文件已损坏（{type(exc).__name__}: {exc}）") from None


def _check_archive(path: Path, archive: zipfile.ZipFile) -> None:
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise WorkbookUnreadable(path, f"zip 包内文件过多（{len(entries)} 个，上限 {MAX_ENTRIES}）")
    declared = sum(e.file_size for e in entries)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise WorkbookUnreadable(path, f"解压后过大（声明 {declared / 1024 / 1024:.0f} MB，上限 "
                                       f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB），疑似压缩炸弹")
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise WorkbookUnreadable(path, "不是有效的 xlsx（缺少 xl/workbook.xml 或 [Content_Types].xml）")
    if any(e.flag_bits & 0x1 for e in entries):
        raise WorkbookUnreadable(path, "zip 包内容已加密，无法读取")
    for entry in entries:
        if entry.filename.endswith((".xml", ".rels", ".vml")):
            _scan_part(path, archive, entry)


def _scan_part(path: Path, archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """Stream one part: the zip's CRC and declared size are checked as it inflates (a lying
    header fails here, bounded by the declared size), and DTDs, never legitimate in OOXML, are refused
    so that no parser ever sees an entity definition."""
    tail = b""
    with archive.open(entry) as part:
        while chunk := part.read(_CHUNK):
            window = tail + chunk
            if any(marker in window for marker in _DTD_MARKERS):
                raise WorkbookUnreadable(path, f"{entry.filename} 含有 DTD/实体定义（可能是恶意文件），已拒绝")
            tail = chunk[-16:]
