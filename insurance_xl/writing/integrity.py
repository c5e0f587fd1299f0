"""The integrity stamp of a validated workbook: proof that its registers did not change afterwards.

What is hashed (canonical form `insurance-xl-cells-1`): every non-empty cell of every register sheet
(the 设置 sheet included), as the text the reader gets from the file before parsing it — the value,
not the XML bytes, so a spreadsheet that re-saves the file without edits (other string tables,
styles, zip order) leaves it unchanged, while any edited value changes it. Sheets are taken in name
order, columns left to right, cells top to bottom; the validation time, rule-set version, as-of
date, counts and the list of sheets are hashed with them, so the stamp cannot be edited unnoticed.

To name the cells that changed (not just "something changed"), the stamp also keeps a short digest
per row and per column per block of 64 rows: a changed cell is where a changed row meets a changed
column block. The stamp lives in the hidden sheet `_integrity` (the reader skips it, read.OWN_SHEETS)
and, for the hash and counts, in the document properties.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..outputs import OWN_SHEETS, STAMP_SHEET
from ..errors import WorkbookUnreadable
from ..reading.store import HEADER_SCAN_ROWS, detect_register, load_sheet_grids
from ..xlsx.parts import column_letter
from ..xlsx.grids import Sheets
from ..core.texts import arrow_texts
from ..xlsx.properties import PROPERTY_PREFIX, read_properties

CANONICAL = "insurance-xl-cells-1"
BLOCK_ROWS = 64
CHUNK = 30_000  # characters per cell of location data (a cell holds at most 32,767)
# label in the stamp sheet → Stamp field; the labels are what an auditor who unhides the sheet reads
LABELS = {
    "SHA-256": "sha256",
    "校验时间": "validated_at",
    "规则版本": "ruleset",
    "校验基准日": "as_of",
    "错误条数": "errors",
    "警告条数": "warnings",
    "覆盖工作表": "sheets",
    "规范": "canonical",
}
LOCATOR_LABEL = "定位数据"
_CELL_SEP, _ROW_SEP = "\x1f", "\x1e"  # never in cell text: XML 1.0 cannot hold them


@dataclass(frozen=True)
class SheetCells:
    """One sheet's non-empty cells, column by column (left to right): the column letter, the Excel
    rows of its non-empty cells, top to bottom, and each cell's record `row␟text␞`, the unit that is
    hashed. Built with Arrow, a whole column per operation: a validated sheet may be 2M cells, and a
    small one must not pay pandas' per-operation cost twenty times over."""

    columns: tuple[tuple[str, np.ndarray, pa.StringArray], ...]

    @classmethod
    def from_grid(cls, grid: pd.DataFrame, offsets: list[int]) -> "SheetCells":
        columns = []
        excel_rows = grid.index.to_numpy(dtype="int64") + 1
        for pos, offset in enumerate(offsets):
            texts = arrow_texts(grid.iloc[:, pos].astype("str"))
            filled = pc.fill_null(pc.not_equal(texts, ""), False)
            if not pc.any(filled).as_py():
                continue
            rows = excel_rows[filled.to_numpy(zero_copy_only=False)]
            columns.append((column_letter(offset), rows, _records(rows, texts.filter(filled))))
        return cls(tuple(columns))

    def row_digests(self) -> dict[int, str]:
        """Per row: a short digest of its cells (letter and text), for naming changed rows."""
        if not self.columns:
            return {}
        rows = np.concatenate([r for _, r, _ in self.columns])
        lettered = pa.concat_arrays([pc.binary_join_element_wise(letter, records, "")
                                     for letter, _, records in self.columns])
        order = np.argsort(rows, kind="stable")  # by row; within a row, columns left to right
        rows = rows[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        digests = _span_digests(lettered.take(pa.array(order)), starts)
        return dict(zip(rows[starts].tolist(), digests))

    def block_digests(self) -> dict[str, str]:
        """Per column and block of BLOCK_ROWS rows: a short digest, for naming changed columns."""
        out = {}
        for letter, rows, records in self.columns:
            blocks = rows // BLOCK_ROWS
            starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
            out.update(zip((f"{letter}:{b}" for b in blocks[starts].tolist()), _span_digests(records, starts)))
        return out


def _records(rows: np.ndarray, texts: pa.StringArray) -> pa.StringArray:
    """`row␟text␞` for each cell."""
    joined = pc.binary_join_element_wise(pc.cast(pa.array(rows), pa.string()), texts, _CELL_SEP)
    return pc.binary_join_element_wise(joined, "", _ROW_SEP)  # x + ␞ + "": the record's end mark


def _utf8(strings: pa.StringArray) -> tuple[memoryview, np.ndarray]:
    """The buffer holding the strings' UTF-8 bytes end to end, and where in it each string starts
    (plus the end): a run of consecutive strings joined is a slice, taken without building Python
    strings. The strings hold no nulls (records and their letters never do)."""
    _, offsets, data = strings.buffers()
    if offsets is None or data is None:
        return memoryview(b""), np.zeros(len(strings) + 1, dtype=np.int32)
    bounds = np.frombuffer(offsets, dtype=np.int32, count=len(strings) + 1, offset=4 * strings.offset)
    return memoryview(data), bounds


def _span_digests(strings: pa.StringArray, starts: np.ndarray) -> list[str]:
    """_short of each run of strings from one start to the next (the last to the end), joined."""
    data, bounds = _utf8(strings)
    cuts = np.append(bounds[starts], bounds[-1]).tolist()
    return [_short(data[a:b]) for a, b in zip(cuts, cuts[1:])]


def _short(utf8: bytes | memoryview) -> str:
    return hashlib.blake2b(utf8, digest_size=5).hexdigest()


@dataclass(frozen=True)
class Stamp:
    sha256: str
    validated_at: str
    ruleset: str
    as_of: str
    errors: int
    warnings: int
    sheets: tuple[str, ...]
    canonical: str = CANONICAL
    locator: Mapping[str, Mapping[str, dict]] = field(default_factory=dict, compare=False)

    def meta(self) -> str:
        return json.dumps([self.canonical, self.validated_at, self.ruleset, self.as_of, self.errors,
                           self.warnings, list(self.sheets)], ensure_ascii=False)


def seal(meta: str, cells: Mapping[str, SheetCells]) -> str:
    """SHA-256 over the stamp's facts and every cell of the covered sheets: sheets by name, columns
    left to right, cells top to bottom, each as `row␟text␞`."""
    h = hashlib.sha256(meta.encode("utf-8"))
    for sheet in sorted(cells):
        h.update(f"\x1d{sheet}\n".encode("utf-8"))
        for letter, _, records in cells[sheet].columns:
            h.update(f"\x1c{letter}\n".encode("utf-8"))
            data, bounds = _utf8(records)
            h.update(data[bounds[0]:bounds[-1]])
    return h.hexdigest()


def make_stamp(cells: Mapping[str, SheetCells], *, validated_at: str, ruleset: str, as_of: str,
               errors: int, warnings: int) -> Stamp:
    sheets = tuple(sorted(cells))
    draft = Stamp("", validated_at, ruleset, as_of, errors, warnings, sheets)
    locator = {s: {"rows": cells[s].row_digests(), "blocks": cells[s].block_digests()} for s in sheets}
    return Stamp(seal(draft.meta(), cells), validated_at, ruleset, as_of, errors, warnings, sheets,
                 locator=locator)


def workbook_cells(grids: Iterable[tuple[str, pd.DataFrame, list[int]]], sheets: Iterable[str]) -> dict[str, SheetCells]:
    wanted = set(sheets)
    return {name: SheetCells.from_grid(grid, offsets) for name, grid, offsets in grids if name in wanted}


# ---- the stamp as stored in a workbook ------------------------------------------------------------

def stamp_rows(stamp: Stamp) -> list[tuple[str, str]]:
    """(label, text) rows of the stamp sheet, then the location data in chunks."""
    values = {"sha256": stamp.sha256, "validated_at": stamp.validated_at, "ruleset": stamp.ruleset,
              "as_of": stamp.as_of, "errors": str(stamp.errors), "warnings": str(stamp.warnings),
              "sheets": json.dumps(list(stamp.sheets), ensure_ascii=False), "canonical": stamp.canonical}
    rows = [(label, values[key]) for label, key in LABELS.items()]
    blob = _encode_locator(stamp.locator)
    rows.append((LOCATOR_LABEL, str(len(blob))))
    rows.extend((blob[i:i + CHUNK], "") for i in range(0, len(blob), CHUNK))
    return rows


def stamp_properties(stamp: Stamp) -> dict[str, str]:
    return {f"{PROPERTY_PREFIX}sha256": stamp.sha256, f"{PROPERTY_PREFIX}validated-at": stamp.validated_at,
            f"{PROPERTY_PREFIX}ruleset": stamp.ruleset, f"{PROPERTY_PREFIX}errors": str(stamp.errors),
            f"{PROPERTY_PREFIX}warnings": str(stamp.warnings)}


def _encode_locator(locator: Mapping[str, Mapping[str, dict]]) -> str:
    compact = {sheet: {"rows": ",".join(f"{r}:{d}" for r, d in parts["rows"].items()),
                       "blocks": ",".join(f"{k}={d}" for k, d in parts["blocks"].items())}
               for sheet, parts in locator.items()}
    return json.dumps(compact, ensure_ascii=False, separators=(",", ":"))


def _decode_locator(blob: str) -> dict[str, dict[str, dict]]:
    out = {}
    for sheet, parts in json.loads(blob).items():
        rows = dict(item.split(":") for item in parts["rows"].split(",") if item)
        blocks = dict(item.split("=") for item in parts["blocks"].split(",") if item)
        out[sheet] = {"rows": {int(r): d for r, d in rows.items()}, "blocks": blocks}
    return out


def read_stamp(path: Path) -> Stamp | None:
    """The stamp kept in a workbook's hidden sheet, or None when it has none."""
    book = Sheets(path)
    if STAMP_SHEET not in book.names:
        return None
    _, grid, offsets = next(book.grids(only=[STAMP_SHEET]))
    if offsets[:2] != [0, 1]:  # labels in A, values in B: anything else is not our stamp
        raise WorkbookUnreadable(path, "完整性印章不完整或已损坏（A、B 列为空）", sheet=STAMP_SHEET)
    first = grid.iloc[:, 0].tolist()
    second = grid.iloc[:, 1].tolist() if grid.shape[1] > 1 else [None] * len(first)
    values: dict[str, str] = {}
    locator = ""
    for i, label in enumerate(first):
        if label in LABELS:
            values[LABELS[label]] = "" if pd.isna(second[i]) else str(second[i])
        elif label == LOCATOR_LABEL:
            locator = "".join(str(t) for t in first[i + 1:] if isinstance(t, str))
    try:
        return Stamp(values["sha256"], values["validated_at"], values["ruleset"], values["as_of"],
                     int(values["errors"]), int(values["warnings"]), tuple(json.loads(values["sheets"])),
                     values["canonical"], _decode_locator(locator) if locator else {})
    except (KeyError, ValueError, TypeError) as exc:
        raise WorkbookUnreadable(path, f"完整性印章不完整或已损坏（{exc}）", sheet=STAMP_SHEET) from None


# ---- verification -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Verification:
    stamp: Stamp
    unchanged: bool
    changed_cells: tuple[str, ...] = ()  # sheet!A1, first ones first
    notes: tuple[str, ...] = ()  # sheets removed or added, stamp or properties edited


def verify_workbook_stamp(path: str | Path, limit: int = 20,
                          known: Mapping[str, SheetCells] | None = None) -> Verification | None:
    """Recompute a validated workbook's stamp; None when the workbook carries no stamp. `known`:
    cells of sheets the caller knows the file holds unchanged (a writer that copied their parts
    byte for byte, after checking the file); those sheets are not read again."""
    path = Path(path)
    if known:
        book = Sheets(path)
        if not set(known) <= set(book.names):
            raise WorkbookUnreadable(path, "写入后校验失败：登记表工作表缺失")
        grids = list(book.grids(skip=OWN_SHEETS | set(known)))
    else:
        grids = load_sheet_grids(path)  # checks the file first (size, zip, encryption)
    stamp = read_stamp(path)
    if stamp is None:
        return None
    cells = {**(known or {}), **workbook_cells(grids, stamp.sheets)}
    notes = [f"工作表「{s}」已被删除或改名" for s in stamp.sheets if s not in cells]
    for name, grid, _ in grids:
        if name not in stamp.sheets and name != STAMP_SHEET and detect_register(name, grid.head(HEADER_SCAN_ROWS)):
            notes.append(f"校验后新增了登记表工作表「{name}」")
    props = read_properties(path)
    for key, value in stamp_properties(stamp).items():
        if key in props and props[key] != value:
            notes.append(f"文档属性 {key} 与印章不符（{props[key]} ≠ {value}）")
    if not notes and seal(stamp.meta(), cells) == stamp.sha256:
        return Verification(stamp, True)
    changed = _changed_cells(stamp, cells, limit)
    if not changed and not notes:
        notes.append("印章中的校验信息（时间、规则版本、计数或校验码）被修改")
    return Verification(stamp, False, tuple(changed), tuple(notes))


def _changed_cells(stamp: Stamp, cells: Mapping[str, SheetCells], limit: int) -> list[str]:
    out: list[str] = []
    for sheet in stamp.sheets:
        if sheet not in cells or sheet not in stamp.locator:
            continue
        then_rows, then_blocks = stamp.locator[sheet]["rows"], stamp.locator[sheet]["blocks"]
        now_rows, now_blocks = cells[sheet].row_digests(), cells[sheet].block_digests()
        rows = sorted(r for r in set(then_rows) | set(now_rows) if then_rows.get(r) != now_rows.get(r))
        changed_blocks = {k for k in set(then_blocks) | set(now_blocks) if then_blocks.get(k) != now_blocks.get(k)}
        for row in rows:
            block = str(row // BLOCK_ROWS)
            columns = sorted((k.split(":")[0] for k in changed_blocks if k.split(":")[1] == block),
                             key=lambda c: (len(c), c))
            if columns:
                out.extend(f"{sheet}!{c}{row}" for c in columns)
            else:  # the row changed but no column block did: name the whole row
                out.append(f"{sheet}!{row}:{row}")
            if len(out) >= limit:
                return out[:limit]
    return out


def sheet_ref(sheet: str, cell: str) -> str:
    """'Sheet'!A1 as Excel writes a reference to a sheet whose name needs quoting."""
    quoted = sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{quoted}!{cell}"
