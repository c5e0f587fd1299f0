"""The main job (`insurance-xl run`): everything a desk runs at month end, on the built-in sample store."""
from __future__ import annotations

from pathlib import Path

from ..core.months import previous_month
from ..demo.statements import demo_statements
from ..settings import Context
from ..tables import Registers
from ..writing.reconciliation_book import reconciliation_workbook
from ..xlsx.save import save_workbook
from .month_end import reconcile_month


def reconcile_demo_month(registers: Registers, ctx: Context, out_dir: str | Path, seed: int) -> list[str]:
    """`insurance-xl run`: last month's statements of every partner, reconciled, one workbook each."""
    month = previous_month(ctx.as_of)
    out = Path(out_dir)
    lines = [f"{month} 手续费对账（示例对账单在 {out / 'statements'}）"]
    for insurer, path in demo_statements(registers.tables, ctx.settings, month, seed, out / "statements").items():
        result = reconcile_month(registers, ctx, insurer, month, path)
        rec, target = result.rec, out / f"对账-{insurer}-{month}.xlsx"
        save_workbook(reconciliation_workbook(rec, result.statement, ctx.settings.store), target, kind="reconciliation")
        diff = rec.totals["difference"]["commission"] / 100
        lines.append(f"  {insurer}: 一致 {len(rec.matched)}，金额差异 {len(rec.differences)}，仅本店 {len(rec.only_ours)}，"
                     f"仅保险公司 {len(rec.only_theirs)}，重复 {len(rec.duplicates)}，建议匹配 {len(rec.suggested)}；"
                     f"手续费差额 {diff:,.2f} → {target.name}")
    return lines
