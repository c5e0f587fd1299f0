"""Telling a register from what merely looks like one, in the folders clerks really keep.

- Totals and headers: a 合计/汇总/10月小计/合计(元) label is a totals row only where the row's identifying
  columns are empty (or hold the label itself): a full row stays a row even if its 备注 says 合计. A header
  row repeated mid-sheet (clerks paste blocks with their headers) is recognised by its cells reading as the
  sheet's own headers.
- One business, counted once: a sheet whose rows all repeat another sheet's rows of the same register (a
  `store - 副本.xlsx`, a backup subfolder, a hidden `客户管理统计明细表 (2)`) is left out with a warning
  naming both; the rows are compared through content digests (pandas' vectorised row hashes).
- What is not a register (a pivot, a summary, an extract with a few register headers) is left out with a
  note, not taken for a register whose missing columns would refuse the whole store.
- Folders clerks make for old copies (备份, backup, old, 旧) are skipped with a note; spreadsheet files we
  cannot read (.xls, .ods, .et) are named, not skipped silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..findings import Finding, Location, Severity
from ..registers import REGISTERS, Kind, Register
from ..tables import SheetLayout


@dataclass
class SheetRead:
    """One sheet read as a register."""

    layout: SheetLayout
    table: pd.DataFrame
    extras: pd.DataFrame
    findings: list[Finding]
    named: bool = False  # the sheet is named like its register (not recognised by its headers alone)


TOTAL_LABELS = {"合计", "总计", "小计", "总合计", "合计金额", "本页合计", "累计", "汇总", "总汇总", "本月合计"}
_TOTAL_NOISE = r"[ \t\r\n\u3000:：]"
_UNITS = r"[(（][^()（）]*[)）]"
_TOTAL_LABEL = re.compile(r"(?:本月|本页|本年|全年|当月|本期|本周|\d{2,4}年)?(?:\d{1,2}月份?|第?\d{1,2}季度)?"
                          r"(?:总合计|合计|总计|小计|汇总|总汇总|累计)(?:金额|数)?")
LABEL_KINDS = tuple(k for k in Kind if k not in (Kind.MONEY, Kind.INT))  # a label never sits among amounts
IDENTIFYING_KINDS = (Kind.ID,)
BACKUP_FOLDER = re.compile(r"备份|backup|^bak$|^old$|^old[ _\-.]|^旧|历史版本|^archive$", re.I)
UNREADABLE_SUFFIXES = (".xls", ".ods", ".et", ".ett", ".xlsb", ".numbers")
_COPY_NAME = re.compile(r"副本|copy|[(（]\d+[)）]|备份|backup|bak|^旧|old", re.I)


def total_texts(texts: pa.Array) -> np.ndarray:
    """Which texts are a totals label: 合计, 汇总, 本月合计, 10月小计, 合计(元) and the like."""
    totals = np.zeros(len(texts), dtype=bool)
    maybe = pc.fill_null(pc.match_substring_regex(texts, "[计汇]"), False).to_numpy(zero_copy_only=False)
    if maybe.any():  # rare, and distinct texts: the candidates one by one, in Python's re (１０月小计)
        totals[maybe] = [bool(_TOTAL_LABEL.fullmatch(re.sub(_UNITS, "", re.sub(_TOTAL_NOISE, "", text))))
                         for text in texts.filter(pa.array(maybe)).to_pylist()]
    return totals


def header_like(texts: pa.Array, header: str | pa.Array) -> pa.Array:
    """Which texts repeat the sheet's own header of this column (whatever spaces around it); `header`
    may give each text its own (stripped) header, as when several columns are asked at once."""
    return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(texts), header.strip() if isinstance(header, str) else header),
                        False)


def is_backup_folder(rel: PurePath) -> bool:
    """A folder of old copies clerks keep beside the store (the file's own name does not count)."""
    return any(BACKUP_FOLDER.search(part) for part in rel.parts[:-1])


def unreadable_spreadsheet(path: Path) -> bool:
    return path.suffix.lower() in UNREADABLE_SUFFIXES


def row_digests(item: SheetRead) -> np.ndarray:
    """One 64-bit digest per row of a sheet's parsed register rows (where they came from left out)."""
    keys = list(REGISTERS[item.layout.register].keys)
    return pd.util.hash_pandas_object(item.table[keys], index=False).to_numpy()


def _copy_rank(item: SheetRead) -> tuple[int, int, int]:
    """Which of two sheets holding the same rows is the original: not named like a copy, nearer the
    top of the folder, more rows."""
    path = PurePath(item.layout.workbook)
    named_copy = any(_COPY_NAME.search(p) for p in (*path.parts, path.stem, item.layout.sheet))
    return int(named_copy), len(path.parts), -len(item.table)


def drop_repeated(items: list[SheetRead]) -> tuple[list[SheetRead], list[Finding]]:
    """Sheets of one register whose rows all repeat another's are left out, with a warning each."""
    if len(items) < 2:
        return items, []
    order = sorted(range(len(items)), key=lambda i: _copy_rank(items[i]))
    kept: list[int] = []
    digests: dict[int, np.ndarray] = {}
    warnings: list[Finding] = []

    def digest(i: int) -> np.ndarray:  # hashing every column of a million rows takes seconds: only when asked
        if i not in digests:
            digests[i] = row_digests(items[i])
        return digests[i]

    for i in order:
        item = items[i]
        maybe = [k for k in kept if len(item.table) and _may_repeat(item, items[k])]
        twin = next((k for k in maybe if np.isin(digest(i), digest(k)).all()), None)
        if twin is None:
            kept.append(i)
            continue
        other = items[twin].layout
        lay = item.layout
        same = "相同" if len(items[twin].table) == len(item.table) else "都包含在"
        warnings.append(Finding(
            lay.register, "read.duplicate_sheet", Severity.WARNING, Location(lay.workbook, lay.sheet, None),
            f"「{lay.workbook} · {lay.sheet}」的 {len(item.table)} 行与「{other.workbook} · {other.sheet}」{same}"
            f"（副本或备份？），未计入，以免重复统计",
            related=(Location(other.workbook, other.sheet, None),),
        ))
    return [items[i] for i in sorted(kept)], warnings


def _may_repeat(item: SheetRead, other: SheetRead, sample: int = 32) -> bool:
    """A quick test that must pass for `item` to repeat `other`'s rows: a few of its first key's values,
    spread over the sheet, are all among `other`'s (a dealer group's register split over two sheets
    fails it at once, without hashing either sheet)."""
    key = REGISTERS[item.layout.register].keys[0]
    values = item.table[key].dropna()
    if values.empty:
        return True
    picked = values.iloc[np.linspace(0, len(values) - 1, min(sample, len(values))).astype(int)].unique()
    theirs = other.table[key]
    return set(theirs[theirs.isin(picked)].unique()) >= set(picked)


def complete(item: SheetRead, reg: Register) -> bool:
    return all(any(key in item.layout.columns for key in group) for group in reg.needed_columns)


def drop_non_registers(items: list[SheetRead]) -> tuple[list[SheetRead], list[SheetRead]]:
    """Sheets taken for a register by a few headers alone, lacking its required columns, are no
    register (a pivot, a summary, an extract) when the register is held elsewhere or most of its
    required columns are missing. A sheet named like the register is always read as one."""
    if not items:
        return items, []
    reg = REGISTERS[items[0].layout.register]
    has_complete = any(complete(i, reg) for i in items)
    kept, skipped = [], []
    groups = reg.needed_columns
    for item in items:
        present = sum(any(k in item.layout.columns for k in g) for g in groups)
        if not item.named and present < len(groups) and (has_complete or present * 2 < len(groups)):
            skipped.append(item)
        else:
            kept.append(item)
    return kept, skipped


def not_a_register_note(item: SheetRead) -> str:
    reg = REGISTERS[item.layout.register]
    return (f"「{item.layout.workbook} · {item.layout.sheet}」有几列表头像「{reg.sheet}」，但缺少必填列，"
            f"看来是汇总、透视或摘录表，未作为登记表读取")


def skipped_note(rel: PurePath, why: str) -> str:
    return f"「{rel}」{why}"
