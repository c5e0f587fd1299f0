"""Insurer statements as they arrive (§4.6): each insurer's own layout → statement lines.

An insurer's 手续费结算清单 has a title block, its own headers, a 合计 row, policy numbers with
spaces, prefixes or lower case and amounts typed as text. Settings may name the headers
(`[insurers."NAME".statement]`, keys in MAPPING_KEYS); whatever is not named is guessed from the
headers, and the columns used are always reported. The file passes the same safety checks as a
store and is read as text by fastexcel; an amount that cannot be read becomes a finding, never a
silently dropped line. The period the statement states (结算期间：2026年10月) is detected so that a
statement for the wrong month can be refused.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InsuranceXlError, SettingsError, WorkbookUnreadable
from ..findings import Finding, Location, Severity
from .store import HEADER_SCAN_ROWS, TOTAL_LABELS
from ..xlsx.parts import column_letter
from ..core.money import fen
from ..registers import REGISTERS, ROW, SHEET, WORKBOOK, Kind, normalize_header
from ..xlsx.safety import check_workbook_file
from ..xlsx.grids import Sheets
from .statement_period import detect_period
from .clerk_values import EXPECTED, KIND_RULE, parse_ids, parse_money

MONEY_FIELDS = ("compulsory_premium", "commercial_premium", "premium", "commission")
FIELDS = ("policy_no", "plate", *MONEY_FIELDS)
REQUIRED_FIELDS = ("policy_no", "commission")
# [insurers."NAME".statement] keys: a field names the insurer's header (text, or a list of
# alternatives); header_row is the Excel row of the header; sheet limits reading to one sheet;
# policy_prefix is stripped from policy numbers on both sides before matching.
MAPPING_KEYS = (*FIELDS, "header_row", "sheet", "policy_prefix")
FIELD_LABELS = {
    "policy_no": REGISTERS["policies"].column("policy_no").header,
    "plate": REGISTERS["policies"].column("plate").header,
    "compulsory_premium": REGISTERS["policies"].column("compulsory_premium").header,
    "commercial_premium": REGISTERS["policies"].column("commercial_premium").header,
    "premium": "保费合计",
    "commission": REGISTERS["policies"].column("commission").header,
}

# Headers insurers use besides ours (registers.py); looked up after normalize_header.
_STATEMENT_ALIASES = {
    "policy_no": ("保险单号", "保单编号", "保险单号码", "保单号/批单号"),
    "plate": ("号牌", "车牌号码/VIN"),
    "compulsory_premium": ("交强险保费金额", "交强险签单保费", "交强险实收保费"),
    "commercial_premium": ("商业险保费金额", "商业险签单保费", "商业险实收保费"),
    "premium": ("保费合计", "保费", "总保费", "签单保费", "实收保费", "含税保费", "保费金额"),
    "commission": ("应付手续费", "结算手续费", "手续费合计", "应结手续费", "佣金", "代理费", "结算金额"),
}
# When no alias matches exactly: (words one of which the header must contain, words it must not).
_FUZZY = {
    "policy_no": (("保单号", "保险单号"), ("批单",)),
    "plate": (("车牌", "号牌"), ()),
    "compulsory_premium": (("交强",), ("率", "手续费", "税")),
    "commercial_premium": (("商业",), ("率", "手续费", "税")),
    "premium": (("保费",), ("率", "交强", "商业", "手续费", "税")),
    "commission": (("手续费", "佣金"), ("率", "比例", "税")),
}
_NOTE_LABELS = re.compile(r"^(注|备注|说明|制表|审核|经办|复核|签字|盖章)")


@dataclass(frozen=True)
class StatementMapping:
    """Which of the insurer's headers holds each field (settings `[insurers."NAME".statement]`)."""

    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    header_row: int | None = None
    sheet: str | None = None
    policy_prefix: str = ""

    @classmethod
    def from_settings(cls, raw: Mapping[str, object], insurer: str = "") -> "StatementMapping":
        where = f'insurers."{insurer}".statement'
        headers: dict[str, tuple[str, ...]] = {}
        for key, value in raw.items():
            if key not in MAPPING_KEYS:
                raise SettingsError("settings", f"{where}.{key}", f"未知的列映射项（可用：{'、'.join(MAPPING_KEYS)}）")
            if key in FIELDS:
                names = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, (list, tuple)) else ()
                if not names or not all(isinstance(n, str) and n.strip() for n in names):
                    raise SettingsError("settings", f"{where}.{key}", "应为表头文字或表头文字列表")
                headers[key] = tuple(n.strip() for n in names)
        header_row = raw.get("header_row")
        if header_row is not None and (isinstance(header_row, bool) or not str(header_row).strip().isdigit()
                                       or int(str(header_row).strip()) < 1):
            raise SettingsError("settings", f"{where}.header_row", f"应为正整数（Excel 行号），实际为 {header_row!r}")
        return cls(headers=headers, header_row=int(str(header_row).strip()) if header_row is not None else None,
                   sheet=str(raw["sheet"]).strip() if raw.get("sheet") else None,
                   policy_prefix=str(raw.get("policy_prefix") or "").strip())


@dataclass(frozen=True)
class StatementColumn:
    field: str
    letter: str
    header: str  # as the insurer wrote it
    guessed: bool  # found from the headers, not named in settings


@dataclass(frozen=True)
class StatementSheet:
    sheet: str
    header_row: int
    columns: tuple[StatementColumn, ...]
    skipped: tuple[tuple[int, str], ...]  # (Excel row, why): blank, 合计, notes, repeated headers


@dataclass
class Statement:
    """The lines of one insurer's statement, and how they were read."""

    path: str
    lines: pd.DataFrame  # policy_no (as written), plate, MONEY_FIELDS (float, NaN = empty), row meta
    sheets: list[StatementSheet]
    period: tuple[str, ...]  # months (YYYY-MM) the statement says it covers; () = not stated
    period_text: str  # the text the period was read from
    stated_totals: dict[str, float]  # the statement's own 合计 row, per money field
    findings: list[Finding]
    policy_prefix: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.field for s in self.sheets for c in s.columns))

    def columns_used(self) -> dict[str, dict[str, object]]:
        """field → {header, column, guessed}, for the output ("say which columns were used")."""
        used: dict[str, dict[str, object]] = {}
        for sheet in self.sheets:
            for col in sheet.columns:
                used.setdefault(col.field, {"header": col.header, "column": col.letter, "guessed": col.guessed,
                                            "sheet": sheet.sheet})
        return used


class StatementForWrongMonth(InsuranceXlError):
    """The statement states a period other than the month asked for: nothing may be reconciled or written."""


def period_problem(statement: Statement, month: str) -> str | None:
    """A message when the statement states a period that is not `month` (None when fine or unknown)."""
    if not statement.period or month in statement.period:
        return None
    stated = "、".join(statement.period)
    return (f"对账单 {Path(statement.path).name} 的结算期间是 {stated}（“{statement.period_text}”），"
            f"不是要对账的 {month}：请确认所选月份或对账单文件")


def read_statement(path: str | Path, mapping: StatementMapping | None = None) -> Statement:
    """Read an insurer's statement workbook: every sheet whose header names a policy number and a commission."""
    file = Path(path)
    mapping = mapping or StatementMapping()
    check_workbook_file(file)
    grids = list(_load_grids(file, mapping.sheet))
    sheets: list[StatementSheet] = []
    parts: list[pd.DataFrame] = []
    findings: list[Finding] = []
    titles: list[str] = []
    stated: dict[str, float] = {}
    tried: list[str] = []
    for sheet, grid, offsets in grids:
        header = _find_header(grid, offsets, mapping, file, sheet)
        if header is None:
            tried.append(sheet)
            titles.extend([sheet, *_texts(grid.head(HEADER_SCAN_ROWS))])
            continue
        header_idx, positions = header
        titles.extend([sheet, *_texts(grid.iloc[:header_idx])])
        read = _read_lines(grid, offsets, header_idx, positions, mapping, file.name, sheet)
        sheets.append(read.sheet)
        parts.append(read.lines)
        findings.extend(read.findings)
        for key, value in read.stated.items():
            stated[key] = stated.get(key, 0.0) + value
    if not sheets:
        raise WorkbookUnreadable(file, _no_header_message(tried, mapping))
    lines = pd.concat(parts, ignore_index=True) if parts else _empty_lines()
    period, period_text = detect_period(titles)
    statement = Statement(str(file), lines, sheets, period, period_text, stated, findings, mapping.policy_prefix)
    findings.extend(_totals_findings(statement))
    return statement


def _load_grids(file: Path, only: str | None) -> Iterator[tuple[str, pd.DataFrame, list[int]]]:
    book = Sheets(file)
    if only is not None and only not in book.names:
        raise WorkbookUnreadable(file, f"没有名为「{only}」的工作表（设置 statement.sheet）；工作表有：{'、'.join(book.names)}")
    return book.grids(only=None if only is None else [only])


def _texts(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame.to_numpy().ravel() if isinstance(v, str) and v.strip()]


def guess_field(header: object) -> tuple[str, bool] | None:
    """(field, exact) for a statement header: an alias first, else a keyword rule (exact=False)."""
    name = normalize_header(header)
    if not name:
        return None
    for key in FIELDS:
        if name in _alias_index(key):
            return key, True
    for key in FIELDS:
        wanted, unwanted = _FUZZY[key]
        if any(w in name for w in wanted) and not any(u in name for u in unwanted):
            return key, False
    return None


@functools.cache
def _alias_index(key: str) -> frozenset[str]:
    ours = REGISTERS["policies"].column(key).headers if key != "premium" else ()
    return frozenset(normalize_header(h) for h in (*ours, *_STATEMENT_ALIASES[key]))


def _match_row(cells: list[object], mapping: StatementMapping) -> dict[str, tuple[int, bool]]:
    """field → (position, guessed) for one candidate header row."""
    found: dict[str, tuple[int, bool]] = {}
    exact: dict[str, bool] = {}
    named = {normalize_header(h): key for key, hs in mapping.headers.items() for h in hs}
    for pos, text in enumerate(cells):
        if not isinstance(text, str) or not text.strip():
            continue
        name = normalize_header(text)
        if name in named:
            found[named[name]] = (pos, False)
            exact[named[name]] = True
            continue
        guess = guess_field(text)
        if guess is None or guess[0] in mapping.headers:
            continue
        key, is_exact = guess
        if key not in found or (is_exact and not exact[key]):
            found[key], exact[key] = (pos, True), is_exact
    if "premium" in found and {"compulsory_premium", "commercial_premium"} <= found.keys():
        found.pop("premium")  # the split premiums are compared; a total beside them adds nothing
    return found


def _find_header(grid: pd.DataFrame, offsets: list[int], mapping: StatementMapping, file: Path,
                 sheet: str) -> tuple[int, dict[str, tuple[int, bool]]] | None:
    if mapping.header_row is not None:
        idx = mapping.header_row - 1
        if idx >= len(grid):
            return None
        candidates = [idx]
    else:
        candidates = list(range(min(len(grid), HEADER_SCAN_ROWS)))
    best: tuple[tuple[int, int, int], int, dict] | None = None
    for idx in candidates:
        found = _match_row(grid.iloc[idx].tolist(), mapping)
        if not all(k in found for k in REQUIRED_FIELDS):
            continue
        score = (len(found), sum(1 for _, g in found.values() if not g), -idx)
        if best is None or score > best[0]:
            best = (score, idx, found)
    if best is None:
        return None
    _, idx, found = best
    missing = [k for k in mapping.headers if k not in found]
    if missing:
        header = "、".join(str(v).strip() for v in grid.iloc[idx].tolist() if isinstance(v, str) and v.strip())
        names = "、".join(f"「{h}」" for k in missing for h in mapping.headers[k])
        raise WorkbookUnreadable(file, f"第{idx + 1}行表头中找不到设置的列 {names}（statement.{missing[0]}）；"
                                       f"表头为：{header}", sheet=sheet)
    return idx, found


def _no_header_message(sheets: list[str], mapping: StatementMapping) -> str:
    where = f"第{mapping.header_row}行" if mapping.header_row else f"前{HEADER_SCAN_ROWS}行"
    wanted = [f"「{h}」" for key in REQUIRED_FIELDS for h in mapping.headers.get(key, (FIELD_LABELS[key],))]
    hint = ("请检查设置中的表头文字" if mapping.headers
            else '请在设置 [insurers."保险公司".statement] 中写明 policy_no、commission 对应的表头')
    return (f"找不到对账单表头：工作表 {'、'.join(sheets) or '（无）'} 的{where}没有同时含"
            f"{'和'.join(wanted)}的行；{hint}")


@dataclass
class _SheetLines:
    sheet: StatementSheet
    lines: pd.DataFrame
    findings: list[Finding]
    stated: dict[str, float]


def _read_lines(grid: pd.DataFrame, offsets: list[int], header_idx: int, positions: dict[str, tuple[int, bool]],
                mapping: StatementMapping, workbook: str, sheet: str) -> _SheetLines:
    header_cells = grid.iloc[header_idx].tolist()
    columns = tuple(StatementColumn(key, column_letter(offsets[pos]), re.sub(r"\s+", "", str(header_cells[pos])), guessed)
                    for key, (pos, guessed) in sorted(positions.items(), key=lambda kv: kv[1][0]))
    body = grid.iloc[header_idx + 1:]
    rows = body.index.to_numpy(dtype="int64") + 1
    texts = body.astype("str")
    stripped = texts.apply(lambda c: c.str.strip())
    cell_present = stripped.notna() & (stripped != "")
    blank = ~cell_present.any(axis=1).to_numpy()
    squeezed = stripped.apply(lambda c: c.str.replace(r"[\s:：]", "", regex=True))
    totals = squeezed.isin(TOTAL_LABELS).any(axis=1).to_numpy() & ~blank
    header_names = {normalize_header(h) for h in header_cells if isinstance(h, str)}
    pos_of = {key: pos for key, (pos, _) in positions.items()}
    repeated = np.zeros(len(body), dtype=bool)
    if "policy_no" in pos_of:
        repeated = stripped[pos_of["policy_no"]].map(normalize_header, na_action="ignore").isin(header_names).to_numpy()
    used = list(pos_of.values())
    has_data = cell_present[used].any(axis=1).to_numpy()
    first_text = stripped.bfill(axis=1).iloc[:, 0].fillna("") if len(stripped.columns) else pd.Series("", index=body.index)
    notes = ~blank & ~totals & ~repeated & (~has_data | first_text.str.match(_NOTE_LABELS).to_numpy())
    keep = ~blank & ~totals & ~repeated & ~notes
    skipped = [(int(r), "合计行") for r in rows[totals]] + [(int(r), "重复表头") for r in rows[repeated & ~totals]]
    skipped += [(int(r), "说明行") for r in rows[notes]]

    kept = texts[keep].reset_index(drop=True)
    line_rows = rows[keep]
    lines = _empty_lines(len(kept))
    findings: list[Finding] = []
    for col in columns:
        values = kept[pos_of[col.field]]
        if col.field == "policy_no":
            lines["policy_no"] = values.str.normalize("NFKC").str.strip().replace("", np.nan)
        elif col.field == "plate":
            lines["plate"] = parse_ids(values, upper=True)[0]
        else:
            parsed, bad = parse_money(values)
            lines[col.field] = parsed.to_numpy()
            for i in np.flatnonzero(bad.to_numpy()):
                row = int(line_rows[i])
                findings.append(Finding(
                    "statement", KIND_RULE[Kind.MONEY], Severity.ERROR,
                    Location(workbook, sheet, row, col.header, f"{col.letter}{row}"),
                    f"「{col.header}」无法识别为{EXPECTED[Kind.MONEY]}：{values.iloc[i]!r}，对账时按 0 计", key=col.field))
    if "policy_no" in pos_of:
        no_number = lines["policy_no"].isna().to_numpy()
        col = next(c for c in columns if c.field == "policy_no")
        for i in np.flatnonzero(no_number):
            row = int(line_rows[i])
            findings.append(Finding("statement", "statement.no_policy_no", Severity.WARNING,
                                    Location(workbook, sheet, row, col.header, f"{col.letter}{row}"),
                                    "对账单此行没有保单号，只能按车牌和保费建议匹配", key="policy_no"))
    lines[WORKBOOK] = workbook
    lines[SHEET] = sheet
    lines[ROW] = line_rows
    stated: dict[str, float] = {}
    if totals.any():
        last_total = texts[totals].iloc[-1]  # the grand total is the last 合计/总计 row
        for col in columns:
            if col.field in MONEY_FIELDS:
                value, bad = parse_money(pd.Series([last_total[pos_of[col.field]]], dtype="str"))
                if not bad.iloc[0] and pd.notna(value.iloc[0]):
                    stated[col.field] = float(value.iloc[0])
    return _SheetLines(StatementSheet(sheet, header_idx + 1, columns, tuple(sorted(skipped))), lines, findings, stated)


def _empty_lines(rows: int = 0) -> pd.DataFrame:
    data: dict[str, pd.Series] = {
        "policy_no": pd.Series([None] * rows, dtype="str"),
        "plate": pd.Series([None] * rows, dtype="str"),
    }
    for key in MONEY_FIELDS:
        data[key] = pd.Series(np.full(rows, np.nan), dtype="float64")
    data[WORKBOOK] = pd.Series([""] * rows, dtype="str")
    data[SHEET] = pd.Series([""] * rows, dtype="str")
    data[ROW] = pd.Series(np.zeros(rows, dtype="int64"))
    return pd.DataFrame(data)


def _totals_findings(statement: Statement) -> list[Finding]:
    """The statement's own 合计 must equal the sum of its lines (else one of them is wrong)."""
    out = []
    for key, stated in statement.stated_totals.items():
        summed = int(fen(statement.lines[key]).sum())
        if summed != int(round(stated * 100)):
            sheet = statement.sheets[-1]
            out.append(Finding("statement", "statement.total_mismatch", Severity.WARNING,
                               Location(Path(statement.path).name, sheet.sheet, None, FIELD_LABELS[key]),
                               f"对账单合计行「{FIELD_LABELS[key]}」为 {stated:,.2f}，明细之和为 {summed / 100:,.2f}",
                               key=key))
    return out
