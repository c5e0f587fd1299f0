"""Workbook(s) → Registers, reading sheets the way clerks really keep them.

The header row is looked for below title rows, headers are matched through registers.py whatever
their spacing, brackets or units, columns may come in any order, blank rows and 合计 rows are left
out (and counted), and every other row is kept: a value that cannot be read becomes empty and a
Finding. Sheets are read by fastexcel (Rust/calamine, measured fastest in bench/) as text, so an
identifier is never turned into a number; registers.py decides how each column is parsed.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import WorkbookUnreadable
from ..findings import Finding, Location, Severity
from .columns import Cells, ColumnTexts, parse_columns, test_columns
from ..tables import Registers, SheetLayout, column_dtype, empty_column, empty_table, text_column
from ..registers import REGISTER_LIST, REGISTERS, ROW, SHEET, WORKBOOK, Column, Kind, Register, normalize_header
from ..xlsx.parts import column_letter
from ..outputs import OWN_SHEETS
from ..xlsx.properties import output_kind
from ..xlsx.save import BACKUP_DIR
from ..xlsx.safety import WORKBOOK_SUFFIXES, check_workbook_file
from ..xlsx.grids import load_grids
from ..xlsx.cell_marks import cell_marks
from ..xlsx.sheet_checks import SheetChecks
from .cache import read_through
from .clerk_values import EXPECTED, KIND_RULE
from .marked_cells import fill_simple, mark_findings
from .recognise import (IDENTIFYING_KINDS, LABEL_KINDS, TOTAL_LABELS, SheetRead, drop_non_registers, drop_repeated, header_like,
                        is_backup_folder, not_a_register_note, skipped_note, total_texts, unreadable_spreadsheet)

log = logging.getLogger(__name__)

GridHook = Callable[[str, pd.DataFrame, list[int]], None]
BATCH_CELLS = 200_000  # cells of sheets whose columns are parsed together (reading/columns.py)
HEADER_SCAN_ROWS = 30  # title blocks are a few rows; a header lower than this is not a register
__all__ = ["HEADER_SCAN_ROWS", "TOTAL_LABELS", "SheetRead", "assemble", "read_grid", "read_store", "workbook_files"]


def read_store(path: str | Path, skip_outputs: bool = True, on_grid: GridHook | None = None) -> Registers:
    """Read a workbook, or every workbook in a folder (subfolders included), into Registers.
    `on_grid(sheet, grid, offsets)` sees each register sheet's grid as read (the integrity stamp)."""
    root = Path(path)
    notes: list[str] = []
    files = list(workbook_files(root, skip_outputs, notes))
    if root.is_dir() and not files:
        found = f"（{'；'.join(notes)}）" if notes else ""
        raise WorkbookUnreadable(root, f"文件夹中没有 .xlsx/.xlsm 工作簿{found}")
    sheets: list[SheetRead] = []
    unrecognised: list[tuple[str, str]] = []
    for file in files:
        name = str(file.relative_to(root)) if root.is_dir() else file.name
        if on_grid is None:  # the cache of parsed registers (reading/cache.py) holds no grids
            items = read_through(file, name, lambda: list(read_workbook(file, name)), SheetRead)
        else:
            items = read_workbook(file, name, on_grid)
        for item in items:
            if isinstance(item, SheetRead):
                sheets.append(item)
            else:
                unrecognised.append(item)
    return assemble(sheets, unrecognised, str(root), notes)


def workbook_files(root: Path, skip_outputs: bool = True, notes: list[str] | None = None) -> Iterator[Path]:
    """The workbooks of a store: the path itself, or every workbook in the folder and its subfolders,
    but ours (backups, outputs), temp files, and the copies in folders clerks keep for old versions
    (those, and spreadsheets in formats we cannot read, are named in `notes`)."""
    if not root.is_dir():
        yield root
        return
    notes = [] if notes is None else notes
    for file in sorted(root.rglob("*")):
        rel = file.relative_to(root)
        if any(part.startswith(".") or part == BACKUP_DIR for part in rel.parts):
            continue
        if file.name.startswith("~$") or not file.is_file():
            continue
        if unreadable_spreadsheet(file):
            notes.append(skipped_note(rel, f"是 {file.suffix} 格式，未读取：请在 Excel 中另存为 .xlsx"))
            continue
        if file.suffix.lower() not in WORKBOOK_SUFFIXES:
            continue
        if is_backup_folder(rel):
            notes.append(skipped_note(rel, "在备份/旧版文件夹中，未读取"))
            continue
        if skip_outputs and output_kind(file):
            log.info("skipping %s: written by insurance-xl (%s)", rel, output_kind(file))
            continue
        yield file


def read_workbook(file: Path, name: str, on_grid: GridHook | None = None) -> Iterator[SheetRead | tuple[str, str]]:
    """Each sheet of one workbook as a SheetRead, or (workbook, sheet) when it holds no register.
    `on_grid` sees each register sheet's grid as the file holds it (before simple formulas are filled in)."""
    checks = SheetChecks(file)  # every sheet checked before it is parsed, the next one while it is
    try:
        # Sheets are sorted out one at a time (memory stays one sheet deep), and their columns parsed
        # together, a batch of sheets at a time: a parser's fixed cost is paid once per batch, not per
        # sheet (a small workbook is one batch; a big sheet is a batch of its own).
        batch: list[tuple[_Sorted, list] | tuple[str, str]] = []
        cells = 0
        for sheet, grid, col_offsets in _load_grids(file, before=checks.wait):
            raw_grid, raw_offsets = grid, col_offsets
            marks = cell_marks(file, only=[sheet]).get(sheet, []) if checks.marked(sheet) else []
            if marks:
                grid, col_offsets = fill_simple(grid, col_offsets, marks)
            found = _sort_grid(grid, name, sheet, col_offsets)
            if found is not None:
                if on_grid is not None:
                    on_grid(sheet, raw_grid, raw_offsets)
                batch.append((found, marks))
                cells += grid.size
            elif grid.notna().to_numpy().any():
                batch.append((name, sheet))
            if cells >= BATCH_CELLS:
                yield from _parse_batch(batch)
                batch, cells = [], 0
        checks.finish()
    finally:
        checks.close()
    yield from _parse_batch(batch)


def _parse_batch(batch: list[tuple[_Sorted, list] | tuple[str, str]]) -> Iterator[SheetRead | tuple[str, str]]:
    sorted_out = [entry[0] for entry in batch if isinstance(entry[0], _Sorted)]
    parsed = iter(_parse_together(sorted_out))
    for first, second in batch:
        if not isinstance(first, _Sorted):
            yield (first, second)
            continue
        item = next(parsed)
        if second:  # the sheet's marked cells (error values, formulas)
            item.findings.extend(mark_findings(item.layout, item.table, second))
        yield item


def load_sheet_grids(file: Path) -> list[tuple[str, pd.DataFrame, list[int]]]:
    """Every sheet of one workbook (ours left out) as (name, grid of cell texts, column offsets),
    exactly as the reader sees them: the integrity stamp of validated workbooks hashes these."""
    check_workbook_file(file)
    return list(_load_grids(file))


def _load_grids(file: Path, before: Callable[[str], None] | None = None) -> Iterator[tuple[str, pd.DataFrame, list[int]]]:
    return load_grids(file, skip=OWN_SHEETS, before=before)


def read_grid(grid: pd.DataFrame | Cells, workbook: str, sheet: str, col_offsets: list[int] | None = None,
              register: str | None = None, only: Collection[str] | None = None) -> SheetRead | None:
    """One sheet's cells (text, NaN for empty; row i is Excel row i+1) as a register, if it is one.

    Used for workbooks on disk and for ranges of an open Excel book alike (`Cells`). With `only`,
    just those columns are read (the others stay empty, and no extras are kept; every column still
    decides which rows are blank or totals): the Excel face reads a five-year book for the columns
    a button needs.
    """
    found = _sort_grid(grid, workbook, sheet, col_offsets, register, only)
    return None if found is None else _parse_together([found])[0]


def _sort_grid(grid: pd.DataFrame | Cells, workbook: str, sheet: str, col_offsets: list[int] | None = None,
               register: str | None = None, only: Collection[str] | None = None) -> _Sorted | None:
    cells = grid if isinstance(grid, Cells) else Cells(grid)
    offsets = col_offsets if col_offsets is not None else list(range(cells.shape[1]))
    found = detect_register(sheet, cells.head(HEADER_SCAN_ROWS), REGISTERS[register] if register else None)
    if found is None:
        return None
    return _sort_rows(cells, offsets, *found, workbook, sheet, only)


def detect_register(sheet: str, head: pd.DataFrame, only: Register | None = None) -> tuple[Register, int] | None:
    """The register a sheet holds and the index of its header row, or None.

    A sheet named like a register is read as that register (its header row is the one matching
    most of its headers); otherwise the row that matches most declared headers of any register
    wins, and it must match at least three (two for the 3-column 设置).
    """
    named = only or register_for_sheet_name(sheet)
    candidates = [named] if named else list(REGISTER_LIST)
    best: tuple[int, float, int, Register] | None = None
    rows = [[normalize_header(v) if isinstance(v, str) else "" for v in row] for row in head.itertuples(index=False)]
    for reg in candidates:
        for idx, cells in enumerate(rows):
            matched = {c.key for c in (reg.match_normalized(cell) for cell in cells if cell) if c}
            score = len(matched)
            if score < (1 if named else min(3, len(reg.columns) - 1)):
                continue
            key = (score, score / len(reg.columns), -idx, reg)
            if best is None or key[:3] > best[:3]:
                best = key
    if best is None:
        return None
    return best[3], -best[2]


def register_for_sheet_name(sheet: str) -> Register | None:
    name = normalize_header(sheet)
    for reg in REGISTER_LIST:
        if name in {normalize_header(n) for n in (reg.sheet, *reg.sheet_aliases)}:
            return reg
    for reg in REGISTER_LIST:  # '2026年客户管理统计明细表' and the like
        if len(reg.sheet) >= 4 and normalize_header(reg.sheet) in name:
            return reg
    return None


@dataclass
class _Sorted:
    """A sheet whose rows are sorted out (kept; blank, totals, repeated headers left out), with the
    texts of the columns to parse: what is left is parsing them (_parse_together)."""

    layout: SheetLayout
    rows: np.ndarray  # the Excel rows kept
    columns: list[Column]
    texts: list[ColumnTexts]  # of those columns, the kept rows' cells
    extras: pd.DataFrame
    named: bool


def _sort_rows(cells: Cells, offsets: list[int], reg: Register, header_idx: int,
               workbook: str, sheet: str, only: Collection[str] | None = None) -> _Sorted:
    height = cells.shape[0]
    header_cells = cells.head(header_idx + 1).iloc[header_idx].tolist()
    body = slice(header_idx + 1, height)
    mapping: dict[int, Column] = {}
    extras: dict[int, str] = {}
    for pos, text in enumerate(header_cells):
        col = reg.match_header(text) if isinstance(text, str) else None
        if col and col.key not in {c.key for c in mapping.values()}:
            mapping[pos] = col
        elif isinstance(text, str) and text.strip():
            extras[pos] = _display_header(text)
        elif cells.texts(pos, body).filled().any():
            extras[pos] = f"(列{column_letter(offsets[pos])})"

    excel_rows = np.arange(header_idx + 2, height + 1, dtype="int64")
    wanted = [pos for pos, col in mapping.items() if only is None or col.key in only]
    texts = {pos: cells.texts(pos, body, numbers=mapping[pos].kind is Kind.MONEY) for pos in wanted}
    if only is None:
        texts.update({pos: cells.texts(pos, body) for pos in extras})
    # every column decides which rows are blank. A 合计 label makes a totals row where it stands in
    # place of the row's identity (in an identifying column: no VIN or 档案编号 reads 合计), or, in
    # another text column, where the identifying columns are empty: a full row whose 备注 says 合计
    # stays a row. The columns read anyway come first; the others are looked at only where needed.
    blank = np.ones(len(excel_rows), dtype=bool)
    label = np.zeros(len(excel_rows), dtype=bool)
    id_label = np.zeros(len(excel_rows), dtype=bool)
    headers = np.zeros(len(excel_rows), dtype="int64")
    ids = [p for p, col in mapping.items() if col.kind in IDENTIFYING_KINDS]
    labelled = {pos for pos, col in mapping.items() if col.kind in LABEL_KINDS} | set(extras)
    # each question asked of all the columns read at once (columns.test_columns: one pandas call each)
    for answer in test_columns(list(texts.values()), _blank_texts):
        blank &= answer
    said = [pos for pos in texts if pos in labelled]
    for pos, answer in zip(said, test_columns([texts[p] for p in said], total_texts)):
        (id_label if pos in ids else label)[:] |= answer
    named = [pos for pos in texts if pos in mapping]
    for answer in test_columns([texts[p] for p in named], header_like, [str(header_cells[p]).strip() for p in named]):
        headers += answer
    for pos in sorted({*mapping, *extras} - set(texts)):
        still = np.flatnonzero(blank)
        if still.size:
            blank[still] &= cells.texts(pos, still + header_idx + 1).test(_blank_texts)
        if pos in labelled:
            maybe = np.flatnonzero(cells.containing(pos, body, "计") | cells.containing(pos, body, "汇"))
            if maybe.size:
                (id_label if pos in ids else label)[maybe] |= cells.texts(pos, maybe + header_idx + 1).test(total_texts)
    label &= ~id_label
    for pos in ids:  # a label elsewhere: only where no identifying column holds anything
        maybe = np.flatnonzero(label)
        if maybe.size:
            cells_here = texts[pos].take(maybe) if pos in texts else cells.texts(pos, maybe + header_idx + 1)
            label[maybe] &= cells_here.test(_blank_texts)
    totals = (id_label | label) & ~blank
    repeated = (headers >= max(2, (len(mapping) + 1) // 2)) & ~totals
    keep = ~blank & ~totals & ~repeated

    layout = SheetLayout(
        workbook=workbook, sheet=sheet, register=reg.key, header_row=header_idx + 1,
        columns={c.key: (column_letter(offsets[p]), _display_header(header_cells[p])) for p, c in mapping.items()},
        extras={h: column_letter(offsets[p]) for p, h in extras.items()},
        rows_read=int(keep.sum()), blank_rows=int((blank & ~totals).sum()),
        total_rows=[int(r) for r in excel_rows[totals]], header_rows=[int(r) for r in excel_rows[repeated]],
    )
    rows = excel_rows[keep]
    kept_extras = [texts[pos].take(keep).series() for pos in extras if pos in texts]
    extra_frame = pd.concat(kept_extras, axis=1) if kept_extras else pd.DataFrame(index=range(len(rows)))
    extra_frame.columns = [extras[pos] for pos in extras if pos in texts]
    return _Sorted(layout, rows, [mapping[pos] for pos in wanted], [texts[pos].take(keep) for pos in wanted],
                   extra_frame, register_for_sheet_name(sheet) is reg)


def _parse_together(sheets: list[_Sorted]) -> list[SheetRead]:
    """The sheets' columns parsed in one parse_columns call (each parser once for them all)."""
    parsed = iter(parse_columns([t for s in sheets for t in s.texts], [c for s in sheets for c in s.columns]))
    return [_sheet_read(s, [next(parsed) for _ in s.columns]) for s in sheets]


def _sheet_read(sorted_out: _Sorted, parsed: list[tuple[pd.Series, np.ndarray]]) -> SheetRead:
    layout, rows = sorted_out.layout, sorted_out.rows
    reg, workbook, sheet = REGISTERS[layout.register], layout.workbook, layout.sheet
    findings: list[Finding] = []
    data: dict[str, pd.Series] = {}
    for col, kept, (values, bad) in zip(sorted_out.columns, sorted_out.texts, parsed):
        data[col.key] = values.astype(column_dtype(col.kind)) if len(values) else empty_column(col.kind, 0)
        if bad.any():
            letter, header = layout.columns[col.key]
            for i in np.flatnonzero(bad):
                row = int(rows[i])
                findings.append(Finding(
                    reg.key, KIND_RULE[col.kind], Severity.ERROR,
                    Location(workbook, sheet, row, header, f"{letter}{row}"),
                    f"「{header}」无法识别为{EXPECTED[col.kind]}：{kept.text(i)!r}，已按空值处理",
                    key=col.key,
                ))
    # the table built once, from its columns (setting them one by one costs more than parsing them)
    table = pd.DataFrame({**{c.key: data[c.key] if c.key in data else empty_column(c.kind, len(rows)) for c in reg.columns},
                          WORKBOOK: text_column(workbook, len(rows)), SHEET: text_column(sheet, len(rows)),
                          ROW: pd.Series(rows, dtype="int64")})
    for group in reg.needed_columns:
        if not any(key in layout.columns for key in group):
            names = "或".join(f"「{reg.column(k).header}」" for k in group)
            findings.append(Finding(
                reg.key, "read.missing_column", Severity.ERROR,
                Location(workbook, sheet, layout.header_row, reg.column(group[0]).header),
                f"第{layout.header_row}行表头缺少必填列{names}",
                key=group[0],
            ))
    return SheetRead(layout, table, sorted_out.extras, findings, sorted_out.named)


def _blank_texts(texts: pa.Array) -> pa.Array:
    return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(texts), ""), True)


def _display_header(text: object) -> str:
    """The header as the clerk wrote it, on one line."""
    return re.sub(r"\s+", "", str(text)) if isinstance(text, str) else ""


def assemble(sheets: Iterable[SheetRead], unrecognised: list[tuple[str, str]], source: str,
             notes: list[str] | None = None) -> Registers:
    """The sheets read, as one table per register: what is no register, and sheets repeating
    another's rows (copies, backups), are left out and said so (recognise.py)."""
    by_register: dict[str, list[SheetRead]] = {}
    for item in sheets:
        by_register.setdefault(item.layout.register, []).append(item)
    tables, extras = {}, {}
    findings: list[Finding] = []
    layouts: list[SheetLayout] = []
    notes = list(notes or [])
    for key in REGISTERS:
        items, not_registers = drop_non_registers(by_register.get(key, []))
        for item in not_registers:
            notes.append(not_a_register_note(item))
            unrecognised.append((item.layout.workbook, item.layout.sheet))
        items, repeated = drop_repeated(items)
        findings.extend(repeated)
        parts = [i.table for i in items if len(i.table)]
        tables[key] = pd.concat(parts, ignore_index=True) if parts else empty_table(key)
        extra_parts = [i.extras for i in items if len(i.table)]
        extras[key] = (pd.concat(extra_parts, ignore_index=True) if extra_parts
                       else pd.DataFrame(index=range(len(tables[key]))))
        for item in items:
            layouts.append(item.layout)
            findings.extend(item.findings)
    return Registers(tables=tables, layouts=layouts, findings=findings, extras=extras,
                     unrecognised=unrecognised, source=source, notes=notes,
                     searched=True)
