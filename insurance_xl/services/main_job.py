"""The main job (`insurance-xl run`): everything a desk runs, on the built-in sample store. Each step
yields the lines the command prints, so progress shows as the job goes."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from ..core.claim_cases import adjuster_comparison, claim_cases, insurer_comparison
from ..core.claims import money_flags
from ..core.kpi import monthly_kpis
from ..core.months import previous_month
from ..core.renewals import call_lists
from ..core.validation.validate import validate
from ..demo.statements import demo_statements
from ..demo.store import write_demo_store
from ..reading.store import read_store
from ..registers import DATA_REGISTERS, REGISTERS
from ..settings import Context, store_settings
from ..tables import Registers
from ..writing.call_list_book import write_call_lists
from ..writing.cases_book import write_cases_workbook
from ..writing.overdue_book import write_overdue_workbook
from ..writing.reconciliation_book import reconciliation_workbook
from ..writing.terminal import describe_sending, pad, percent
from ..writing.validated_book import write_validated_workbook
from ..xlsx.save import save_workbook
from .month_end import reconcile_month
from .monthly_report import send_built, store_report_builder

RATES_SHOWN = (("first_insurance_rate", "首保率"), ("renewal_rate", "续保率"), ("churn_rate", "流失率"),
               ("claim_rate", "出险率"))


def register_summary(registers: Registers) -> list[str]:
    """One line per register: rows read and rows with findings."""
    lines = []
    flagged: dict[str, set] = {}
    for f in registers.findings:
        flagged.setdefault(f.register, set()).add((f.location.workbook, f.location.sheet, f.location.row))
    for key in DATA_REGISTERS:
        reg = REGISTERS[key]
        if key in registers.missing:
            lines.append(f"{pad(reg.sheet, 26)}未找到")
            continue
        rows = len(registers[key])
        lines.append(f"{pad(reg.sheet, 26)}{rows:>7} 行  {len(flagged.get(key, ())):>4} 行有问题")
    return lines


def run_main_job(out: Path, *, seed: int, vehicles: int, today: dt.date, now: dt.datetime) -> Iterator[str]:
    """Write the demo store into `out`, then validate, KPIs, 催款清单, call lists, the monthly report
    (into out/outbox) and last month's reconciliations."""
    out.mkdir(parents=True, exist_ok=True)
    written = write_demo_store(out / "demo-store", seed=seed, vehicles=vehicles, as_of=today)
    store = next(p for p in written if p.name == "store.xlsx")
    toml = next((p for p in written if p.suffix == ".toml"), None)
    registers = read_store(store)
    ctx = Context(store_settings(registers, str(toml) if toml else None), today)
    yield f"示例门店 {store}（截至 {today:%Y-%m-%d}）"
    yield from ("  " + line for line in register_summary(registers))
    yield run_validation(store, registers, ctx, out, now)
    month = previous_month(today)
    kpi = monthly_kpis(registers, ctx, month).to_json()
    yield f"{month} " + "，".join(f"{label} {percent(kpi[key])}" for key, label in RATES_SHOWN)
    flags = money_flags(registers, ctx)
    yield f"催款清单 {write_overdue_workbook(flags, ctx.settings, out / f'催款清单-{today:%Y%m%d}.xlsx', store)}"
    yield f"案件跟踪 {write_case_tracking(registers, ctx, out / f'案件跟踪-{today:%Y%m%d}.xlsx')}"
    for path in write_call_lists(call_lists(registers, ctx), out):
        yield f"续保提醒 {path}"
    _, lines = run_monthly_report(registers, ctx, out, now)
    yield from lines
    yield from reconcile_demo_month(registers, ctx, out, seed)  # §4.6: last month against each statement


def write_case_tracking(registers: Registers, ctx: Context, path: Path) -> Path:
    """Every claim case by the step it waits at (the 案件跟踪 workbook of `cases --out`)."""
    cases = claim_cases(registers, ctx)
    return write_cases_workbook(cases, insurer_comparison(cases), adjuster_comparison(cases), ctx.settings,
                                ctx.as_of, path)


def run_validation(store: Path, registers: Registers, ctx: Context, out: Path, now: dt.datetime) -> str:
    """`run`'s validation step: findings counted, the validated workbook beside the other results."""
    validation = validate(registers, ctx)
    target = out / "validated-store.xlsx"
    write_validated_workbook(store, target, registers, validation, as_of=ctx.as_of, now=now,
                             store=ctx.settings.store)
    return f"校验：错误 {validation.errors} 条，警告 {validation.warnings} 条 → {target}"


def run_monthly_report(registers: Registers, ctx: Context, out: Path, now: dt.datetime) -> tuple[Path, list[str]]:
    """The store's report for the month before as-of, put into out/outbox/ as the scheduled job sends it."""
    report = store_report_builder(lambda as_of: (registers, ctx), out)(previous_month(ctx.as_of), ctx.as_of)
    lines = [f"月报 {report.path}"]
    if not ctx.settings.mail.to:
        return report.path, [*lines, "  设置中没有收件人（mail.to），月报未放入发件箱"]
    # the demo never sends real mail: its messages go to the outbox under --out-dir
    mail = dataclasses.replace(ctx.settings.mail, transport="outbox", outbox=str(out / "outbox"))
    return report.path, [*lines, *(f"  {line}" for line in describe_sending(send_built(report, mail, now)))]


def reconcile_demo_month(registers: Registers, ctx: Context, out_dir: str | Path, seed: int) -> list[str]:
    """Last month's statements of every partner, reconciled, one workbook each."""
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
