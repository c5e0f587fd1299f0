"""Month-end reconciliation of one insurer, end to end (§4.6): the library behind `reconcile`.

statement (settings' column mapping) → period check → reconcile (pure) → lock state from the
手续费结算台账 → optionally lock: the lines are kept in a snapshot beside the store (so a later run can
say *what* changed) and a lock or adjustment row is appended to the ledger through a register
appender (edit.append_register_rows: backup, lock-file refusal, atomic replace, nothing else touched).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from ..errors import RegisterMissing, WorkbookUnreadable
from ..writing.reconciliation_book import SIDE_LABELS, money
from ..core.locks import CHANGE_LABELS, LockState, amount_due, canonical_lines, changes_since_lock, fingerprint, lock_row, lock_state
from ..tables import Registers
from ..core.reconcile import Reconciliation, reconcile
from ..settings import Context
from ..reading.statements import Statement, StatementForWrongMonth, StatementMapping, period_problem, read_statement
from ..xlsx.save import atomic_write, check_not_open

LOCKS_DIR = ".insurance-xl-locks"  # a dot folder: never read as part of the store


class RegisterAppender(Protocol):
    """Appends rows (columns = register keys) to a register's sheet in a workbook, safely."""

    def __call__(self, path: str | Path, register_key: str, frame: pd.DataFrame): ...


@dataclass
class MonthEnd:
    statement: Statement
    rec: Reconciliation
    lines: dict  # canonical lines of both sides (locks.canonical_lines)
    fingerprint: str
    state: LockState
    snapshot: dict | None  # what was locked, when the month is locked and its snapshot is found
    changes: pd.DataFrame | None  # since the lock; None when not locked or nothing to compare with

    @property
    def status(self) -> str:
        """open (not locked), locked (unchanged since), changed (other lines than when locked)."""
        if not self.state.locked:
            return "open"
        return "locked" if self.fingerprint == self.state.fingerprint else "changed"


@dataclass(frozen=True)
class RecordedLock:
    workbook: Path
    sheet: str
    rows: tuple[int, ...]
    month: str
    adjusts: str | None
    amount_due: float
    fingerprint: str
    snapshot: Path
    backup: Path | None = None
    added_headers: tuple[str, ...] = ()


def statement_mapping(ctx: Context, insurer: str) -> StatementMapping:
    return StatementMapping.from_settings(ctx.settings.insurer(insurer).statement, insurer)


def reconcile_month(registers: Registers, ctx: Context, insurer: str, month: str, statement_path: str | Path, *,
                    locks_dir: Path | None = None, accept_suggested: bool = False) -> MonthEnd:
    """Read the statement, refuse one for another month, reconcile, and compare with any lock."""
    # the policy numbers may be 保单号, or 交强险保单号 and 商业险保单号 (the reader reports a sheet with none)
    registers.require({"policies": ("insurer", "channel", "issue_date")})
    mapping = statement_mapping(ctx, insurer)
    statement = read_statement(statement_path, mapping)
    problem = period_problem(statement, month)
    if problem:
        raise StatementForWrongMonth(problem)
    rec = reconcile(registers["policies"], statement.lines, insurer, month, ctx, statement_fields=statement.fields,
                    policy_prefix=mapping.policy_prefix, accept_suggested=accept_suggested)
    lines = canonical_lines(rec)
    print_ = fingerprint(lines)
    state = lock_state(registers["commission_settlements"], insurer, month)
    snapshot = load_snapshot(locks_dir, insurer, month, state.fingerprint) if state.locked and locks_dir else None
    changes = changes_since_lock(snapshot["lines"], lines) if snapshot and print_ != state.fingerprint else None
    return MonthEnd(statement, rec, lines, print_, state, snapshot, changes)


def lock_refusal(registers: Registers, ctx: Context, insurer: str, month: str, rec: Reconciliation) -> str | None:
    """Why `--lock` must not book this month, or None. A lock books the statement's commission as a
    receivable (§4.6): for an insurer that is not a partner (a typo: 人保 for 人保财险) or one with no
    policy of ours that month, that receivable would be a phantom."""
    import difflib

    partners = list(ctx.settings.insurers)
    if partners and insurer not in partners:
        named = registers["policies"]["insurer"].dropna().astype(str).unique().tolist()
        names = list(dict.fromkeys([*partners, *named]))
        close = [n for n in partners if insurer and insurer in n] or difflib.get_close_matches(insurer, names, n=1, cutoff=0.3)
        hint = f"，是不是「{close[0]}」？" if close else f"（合作保险公司：{'、'.join(partners)}）"
        return f"「{insurer}」不是「设置」里的合作保险公司，未锁定{hint}"
    if rec.ours_lines.empty:
        return (f"{month} 本店没有「{insurer}」的保单，未锁定：锁定会按对账单记一笔应收手续费。"
                f"请核对保险公司名称和月份")
    return None


def locks_dir(store: str | Path) -> Path:
    root = Path(store)
    return root / LOCKS_DIR if root.is_dir() else root.parent / LOCKS_DIR / root.stem


def _snapshot_path(folder: Path, insurer: str, month: str, print_: str) -> Path:
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", insurer)
    return folder / f"{month}-{safe}-{print_}.json"


def load_snapshot(folder: Path | None, insurer: str, month: str, print_: str) -> dict | None:
    """The lines locked under `print_`, if their snapshot is there and still has that fingerprint."""
    if folder is None or not print_:
        return None
    path = _snapshot_path(folder, insurer, month, print_)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if fingerprint(data.get("lines", {})) == print_ else None


def ledger_workbook(store: str | Path, registers: Registers) -> Path:
    """The workbook holding the 手续费结算台账 (a single-workbook store gains the sheet if it lacks it)."""
    root = Path(store)
    layouts = [lay for lay in registers.layouts if lay.register == "commission_settlements"]
    if layouts:
        return root / layouts[0].workbook if root.is_dir() else root
    if root.is_dir():
        raise RegisterMissing(root, "找不到手续费结算台账，无法锁定对账月份；请先建立该登记表")
    return root


def record_lock(store: str | Path, registers: Registers, result: MonthEnd, as_of: dt.date,
                append: RegisterAppender, payload: dict) -> RecordedLock:
    """Lock the month (or book an adjustment to a locked one) in the ledger, snapshot first.

    The snapshot is written before the ledger row: a failure in between leaves an unused snapshot,
    never a lock whose lines are lost.
    """
    if result.status == "locked":
        raise ValueError("month already locked with these lines: nothing to record")
    row = lock_row(result.rec, result.state, result.fingerprint, as_of)
    book = ledger_workbook(store, registers)
    check_not_open(book)  # the clerk has the store open: refuse before writing anything
    folder = locks_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    snap = _snapshot_path(folder, result.rec.insurer, result.rec.month, result.fingerprint)
    body = json.dumps({"insurer": result.rec.insurer, "month": result.rec.month, "fingerprint": result.fingerprint,
                       "locked_on": as_of.isoformat(), "lines": result.lines, "result": payload},
                      ensure_ascii=False, indent=1, default=str)
    atomic_write(snap, lambda tmp: tmp.write_text(body, encoding="utf-8"), keep_backup=False,
                 verify=_verify_snapshot)
    appended = append(book, "commission_settlements", row)
    first = row.iloc[0]
    return RecordedLock(book, getattr(appended, "sheet", ""), tuple(getattr(appended, "rows", ())), first["month"],
                        first["adjusts"], round(float(first["amount_due"]), 2), result.fingerprint, snap,
                        getattr(appended, "backup", None), tuple(getattr(appended, "added_headers", ())))


def _verify_snapshot(path: Path) -> None:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise WorkbookUnreadable(path, f"写入后校验失败：{exc}") from None


def lock_json(result: MonthEnd, recorded: RecordedLock | None = None) -> dict:
    state = result.state
    out: dict[str, object] = {
        "status": result.status,
        "fingerprint": result.fingerprint,
        "locked_fingerprint": state.fingerprint or None,
        "locked_on": state.locked_on.isoformat() if state.locked_on else None,
        "ledger_rows": list(state.rows),
        "amount_due_locked": round(state.amount_due / 100, 2) if state.locked else None,
        "amount_due_now": round(amount_due(result.rec) / 100, 2),
        "changes": None,
        "recorded": None,
    }
    if result.changes is not None:
        out["changes"] = [{k: (None if pd.isna(v) else (round(int(v) / 100, 2) if k.endswith(("_before", "_after"))
                                                         else v)) for k, v in r.items()}
                          for r in result.changes.to_dict("records")]
    if recorded:
        out["recorded"] = {"workbook": str(recorded.workbook), "sheet": recorded.sheet, "rows": list(recorded.rows),
                           "month": recorded.month, "adjusts": recorded.adjusts, "amount_due": recorded.amount_due,
                           "fingerprint": recorded.fingerprint, "backup": str(recorded.backup) if recorded.backup
                           else None, "added_headers": list(recorded.added_headers)}
    return out


def change_lines(result: MonthEnd, recorded: RecordedLock | None = None) -> list[str]:
    """The lock status of the month, what changed since the lock, and what was recorded."""
    state, lines = result.state, []
    if state.locked:
        when = state.locked_on.isoformat() if state.locked_on else "（日期未记）"
        lines.append(f"  已锁定：{when}，指纹 {state.fingerprint}，台账第{'、'.join(map(str, state.rows))}行，"
                     f"应收手续费合计 {money(state.amount_due)}")
    if result.status == "locked":
        lines.append("  锁定后明细没有变化")
    elif result.status == "changed":
        due = amount_due(result.rec)
        lines.append(f"  锁定后明细有变化：指纹 {state.fingerprint} → {result.fingerprint}；对账单手续费现为 {money(due)}，"
                     f"与锁定时相差 {money(due - state.amount_due)}（更正记入下月调整行，不改已锁定月份）")
        if result.changes is None:
            lines.append("  找不到锁定时的明细快照，无法逐笔列出变化")
        else:
            for row in result.changes.to_dict("records"):
                before = "" if pd.isna(row["commission_before"]) else money(int(row["commission_before"]))
                after = "" if pd.isna(row["commission_after"]) else money(int(row["commission_after"]))
                label = CHANGE_LABELS[row["change"]]
                lines.append(f"    {SIDE_LABELS[row['side']]} {label} {row['policy_no']} 手续费 {before or '—'} → "
                             f"{after or '—'}")
    if recorded:
        what = ("锁定行" if not recorded.adjusts else "锁定行（补记本月已登记应收与对账结果之差）"
                if recorded.adjusts == recorded.month else f"调整行（调整 {recorded.adjusts}，不改已锁定月份）")
        lines.append(f"  已写入 {recorded.workbook.name} · {recorded.sheet} 第{'、'.join(map(str, recorded.rows))}行："
                     f"{recorded.month} {what}，应收手续费 {recorded.amount_due:,.2f}，指纹 {recorded.fingerprint}")
        if recorded.added_headers:
            lines.append(f"  台账新增列：{'、'.join(recorded.added_headers)}")
        if recorded.backup:
            lines.append(f"  原台账已备份：{recorded.backup}")
    return lines
