"""Writing a workbook package from another one: untouched parts copied as stored (compressed bytes
and all, never inflated and deflated again), changed and new parts deflated as they stream.

A 100k-policy store holds 300 MB of sheet XML; re-compressing all of it to add one sheet costs more
than reading it. `PackageWriter` writes the zip itself (local headers, data, central directory), so
an unchanged part costs a copy. Packages it cannot copy this way (ZIP64, encrypted or unusual
members) raise `Uncopyable` before anything is written; callers fall back to a full rewrite.
"""
from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

_LOCAL = struct.Struct("<4s5H3I2H")
_CENTRAL = struct.Struct("<4s6H3I5H2I")
_END = struct.Struct("<4s4H2IH")
_LIMIT = 0xFFFF_FFFF - (1 << 20)  # a member or archive near 4 GB would need ZIP64
_UTF8 = 0x800


class Uncopyable(Exception):
    """The source package holds something PackageWriter does not copy (ZIP64, encryption…)."""


def check_copyable(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) >= 0xFFFF:
        raise Uncopyable("too many members")
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
            raise Uncopyable(f"{info.filename}: method {info.compress_type}, flags {info.flag_bits}")
        if max(info.file_size, info.compress_size, info.header_offset) >= _LIMIT:
            raise Uncopyable(f"{info.filename}: needs ZIP64")


class PackageWriter:
    """`with PackageWriter(target, source) as out: out.copy(info); out.write(name, chunks)`."""

    def __init__(self, target: Path, source: Path, level: int = 6) -> None:
        self.level = level
        self._src = source.open("rb")
        self._out = target.open("w+b")
        self._central: list[bytes] = []

    def __enter__(self) -> "PackageWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self._finish()
        finally:
            self._src.close()
            self._out.close()

    def copy(self, info: zipfile.ZipInfo) -> None:
        """The member as the source stores it."""
        self._src.seek(info.header_offset)
        head = _LOCAL.unpack(self._src.read(_LOCAL.size))
        if head[0] != b"PK\x03\x04":
            raise Uncopyable(f"{info.filename}: bad local header")
        self._src.seek(head[-2] + head[-1], 1)
        flags = info.flag_bits & ~0x8  # sizes go into the local header: no data descriptor
        offset = self._header(info.filename, flags, info.compress_type, info.date_time, info.CRC,
                              info.compress_size, info.file_size)
        left = info.compress_size
        while left:
            block = self._src.read(min(left, 1 << 22))
            if not block:
                raise Uncopyable(f"{info.filename}: truncated")
            self._out.write(block)
            left -= len(block)
        self._record(info.filename, flags, info.compress_type, info.date_time, info.CRC, info.compress_size,
                     info.file_size, offset, info.external_attr, info.create_system)

    def write(self, name: str, chunks: Iterable[bytes], date_time: tuple = (1980, 1, 1, 0, 0, 0),
              external_attr: int = 0o600 << 16) -> None:
        """A new or changed member, deflated as its chunks come."""
        flags = _UTF8 if not name.isascii() else 0
        offset = self._header(name, flags, zipfile.ZIP_DEFLATED, date_time, 0, 0, 0)
        packer = zlib.compressobj(self.level, zlib.DEFLATED, -15)
        crc = size = packed = 0
        for chunk in chunks:
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
            block = packer.compress(chunk)
            packed += len(block)
            self._out.write(block)
        block = packer.flush()
        packed += len(block)
        self._out.write(block)
        if max(size, packed, self._out.tell()) >= _LIMIT:
            raise Uncopyable(f"{name}: needs ZIP64")
        end = self._out.tell()
        self._out.seek(offset + 14)
        self._out.write(struct.pack("<3I", crc, packed, size))
        self._out.seek(end)
        self._record(name, flags, zipfile.ZIP_DEFLATED, date_time, crc, packed, size, offset, external_attr, 3)

    def _header(self, name: str, flags: int, method: int, date_time: tuple, crc: int, packed: int, size: int) -> int:
        offset = self._out.tell()
        if not name.isascii():
            flags |= _UTF8
        encoded = name.encode("utf-8")
        time, date = _dos(date_time)
        self._out.write(_LOCAL.pack(b"PK\x03\x04", 20, flags, method, time, date, crc, packed, size, len(encoded), 0))
        self._out.write(encoded)
        return offset

    def _record(self, name: str, flags: int, method: int, date_time: tuple, crc: int, packed: int, size: int,
                offset: int, external_attr: int, system: int) -> None:
        if not name.isascii():
            flags |= _UTF8
        encoded = name.encode("utf-8")
        time, date = _dos(date_time)
        self._central.append(_CENTRAL.pack(b"PK\x01\x02", (system << 8) | 20, 20, flags, method, time, date, crc,
                                           packed, size, len(encoded), 0, 0, 0, 0, external_attr, offset) + encoded)

    def _finish(self) -> None:
        start = self._out.tell()
        for record in self._central:
            self._out.write(record)
        size = self._out.tell() - start
        if start + size >= _LIMIT:
            raise Uncopyable("archive needs ZIP64")
        count = len(self._central)
        self._out.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))


def _dos(date_time: tuple) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time[:6]
    year = min(max(year, 1980), 2107)
    return (hour << 11) | (minute << 5) | (second // 2), ((year - 1980) << 9) | (month << 5) | day
