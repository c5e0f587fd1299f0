"""Parsed registers kept between runs: a workbook read once is not parsed again while its bytes stay the same.

A supervisor refreshes many times a day, and the scheduled job and every button read the same
store again; parsing it is most of what they cost. An entry is keyed on a hash of the workbook's
bytes (never its name or time alone), the name it is read under, the reader's version and the
safety limits in force, and holds what reading that workbook gave: each register sheet's table
and extra columns (Arrow IPC files), its layout and findings, and the sheets that held no register.

Where: INSURANCE_XL_CACHE_DIR when set (the tests use it), else the user's cache folder
(%LOCALAPPDATA%, $XDG_CACHE_HOME or ~/.cache) / insurance-xl / registers — never beside the clerk's
files. Safe: an entry is written into a temporary folder and renamed into place (a reader sees a
whole entry or none); an entry that does not load, or whose recorded key is not the one asked
for, is ignored and removed; the folder is kept under INSURANCE_XL_CACHE_MB megabytes (default
1024), oldest-used entries evicted first. INSURANCE_XL_NO_CACHE=1 or `--no-cache` bypasses it.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from ..findings import Finding, Location, Severity
from ..registers import REGISTERS
from ..tables import SheetLayout
from ..xlsx import safety

log = logging.getLogger(__name__)

FORMAT = "insurance-xl-registers-1"
DEFAULT_MB = 1024
_enabled = True


def set_enabled(on: bool) -> None:
    """The command line's --no-cache: every read of this process parses the file."""
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled and os.environ.get("INSURANCE_XL_NO_CACHE", "") in ("", "0")


def cache_dir() -> Path:
    own = os.environ.get("INSURANCE_XL_CACHE_DIR")
    if own:
        return Path(own)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"])
    else:
        base = Path.home() / ".cache"
    return base / "insurance-xl" / "registers"


def _limit_bytes() -> int:
    try:
        return int(float(os.environ.get("INSURANCE_XL_CACHE_MB", DEFAULT_MB)) * 1024 * 1024)
    except ValueError:
        return DEFAULT_MB * 1024 * 1024


def entry_key(file: Path, name: str) -> str:
    """What the entry depends on: the bytes, the name read under, the reader and the limits."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("insurance-xl")
    except PackageNotFoundError:
        ours = "dev"
    h = hashlib.blake2b(digest_size=20)
    with file.open("rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
    h.update(json.dumps([FORMAT, ours, name, safety.limits_key(), _registers_key(), _reader_code_key()],
                        ensure_ascii=False).encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def _reader_code_key() -> str:
    """The reader's own source (reading/, xlsx/, the text folding, the declarations): an edited or
    reinstalled reader under the same version number never serves what an older one parsed."""
    package = Path(__file__).resolve().parents[1]
    h = hashlib.blake2b(digest_size=8)
    for path in sorted([*package.glob("reading/*.py"), *package.glob("xlsx/*.py"), package / "core" / "texts.py",
                        package / "registers.py", package / "tables.py"]):
        h.update(path.read_bytes())
    return h.hexdigest()


def _registers_key() -> str:
    """The declared registers and columns: a change to registers.py reads every workbook again."""
    return hashlib.blake2b(repr([(r.key, [(c.key, c.kind.value, c.header) for c in r.columns])
                                 for r in REGISTERS.values()]).encode(), digest_size=8).hexdigest()


def read_through(file: Path, name: str, read: Callable[[], list], make: Callable[..., Any]) -> list:
    """What `read()` gives for `file` (SheetRead items and (workbook, sheet) pairs), from the cache
    when an entry for these bytes exists; `make(layout, table, extras, findings)` rebuilds an item."""
    if not enabled():
        return read()
    try:
        key = entry_key(file, name)
    except OSError:
        return read()
    folder = cache_dir() / key
    if folder.is_dir():
        try:
            items = _load(folder, key, make)
            _touch(folder)
            return items
        except Exception as exc:  # noqa: BLE001  a damaged or foreign entry is only a miss
            log.info("cache entry %s ignored: %s", key, exc)
            shutil.rmtree(folder, ignore_errors=True)
    items = read()
    try:
        _store(folder, key, items)
        _evict(cache_dir(), _limit_bytes())
    except Exception as exc:  # noqa: BLE001  a cache that cannot be written is only slower
        log.info("cache entry %s not written: %s", key, exc)
    return items


def _store(folder: Path, key: str, items: list) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        meta: dict[str, Any] = {"format": FORMAT, "key": key, "items": []}
        for i, item in enumerate(items):
            if isinstance(item, tuple):
                meta["items"].append({"unrecognised": list(item)})
                continue
            feather.write_feather(pa.Table.from_pandas(item.table, preserve_index=False), tmp / f"{i}.table.arrow",
                                  compression="uncompressed")
            extras = item.extras.copy()
            extras.columns = [str(c) for c in extras.columns]
            feather.write_feather(pa.Table.from_pandas(extras, preserve_index=False), tmp / f"{i}.extras.arrow",
                                  compression="uncompressed")
            meta["items"].append({"layout": vars(item.layout), "rows": len(item.table), "extras": list(item.extras.columns),
                                  "findings": [_finding_json(f) for f in item.findings]})
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        try:
            os.rename(tmp, folder)  # atomic: readers see the whole entry or none
        except OSError:  # another process wrote it first
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _load(folder: Path, key: str, make: Callable[..., Any]) -> list:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("key") != key:
        raise ValueError("not this workbook's entry")
    out: list = []
    for i, item in enumerate(meta["items"]):
        if "unrecognised" in item:
            out.append(tuple(item["unrecognised"]))
            continue
        table = feather.read_table(folder / f"{i}.table.arrow", memory_map=False).to_pandas()
        extras = feather.read_table(folder / f"{i}.extras.arrow", memory_map=False).to_pandas()
        if len(table) != item["rows"] or len(extras) != item["rows"] and len(extras.columns):
            raise ValueError("row counts differ")
        if not len(extras.columns):
            extras = pd.DataFrame(index=range(item["rows"]))
        extras.columns = item["extras"]
        layout = dict(item["layout"])
        layout["columns"] = {k: tuple(v) for k, v in layout["columns"].items()}
        out.append(make(SheetLayout(**layout), table, extras, [_finding(f) for f in item["findings"]]))
    return out


def _location_json(loc: Location) -> list:
    return [loc.workbook, loc.sheet, loc.row, loc.column, loc.cell]


def _finding_json(f: Finding) -> dict:
    return {"register": f.register, "rule": f.rule, "severity": f.severity.value, "location": _location_json(f.location),
            "message": f.message, "related": [_location_json(r) for r in f.related], "key": f.key}


def _finding(d: dict) -> Finding:
    return Finding(d["register"], d["rule"], Severity(d["severity"]), Location(*d["location"]), d["message"],
                   tuple(Location(*r) for r in d["related"]), d["key"])


def _touch(folder: Path) -> None:
    try:
        os.utime(folder)
    except OSError:
        pass


def _entries(root: Path) -> Iterator[tuple[float, int, Path]]:
    for entry in root.iterdir():
        if entry.is_dir() and not entry.name.startswith("."):
            size = sum(f.stat().st_size for f in entry.iterdir() if f.is_file())
            yield entry.stat().st_mtime, size, entry


def _evict(root: Path, limit: int) -> None:
    """Remove the least recently used entries until the folder holds at most `limit` bytes."""
    entries = sorted(_entries(root))
    total = sum(size for _, size, _ in entries)
    for _, size, entry in entries:
        if total <= limit:
            break
        shutil.rmtree(entry, ignore_errors=True)
        total -= size
