"""run, demo and templates: the whole job on the sample store, and blank registers."""
from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from ..tables import Registers
from ..reading.store import read_store
from ..registers import DATA_REGISTERS, REGISTERS
from ..settings import Context
from .common import EXIT_OK, CommandSpec, pad, parse_count, parse_date, percent, say, settings_for
from .audit import run_validation
from .mailing import describe_sending, send_built, store_report_builder


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


def cmd_run(args: argparse.Namespace) -> int:
    """The main job on the built-in sample store: everything a desk runs, results in --out-dir."""
    from ..writing.call_list_book import write_call_lists
    from ..core.claims import money_flags
    from ..demo.store import write_demo_store
    from ..core.kpi import monthly_kpis
    from ..core.months import previous_month
    from ..writing.overdue_book import write_overdue_workbook
    from ..core.renewals import call_lists

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    today = dt.date.today()
    written = write_demo_store(out / "demo-store", seed=args.seed, vehicles=args.vehicles, as_of=today)
    store = next(p for p in written if p.name == "store.xlsx")
    toml = next((p for p in written if p.suffix == ".toml"), None)
    registers = read_store(store)
    ctx = Context(settings_for(registers, str(toml) if toml else None), today)
    say(f"示例门店 {store}（截至 {today:%Y-%m-%d}）")
    for line in register_summary(registers):
        say("  " + line)
    run_validation(store, registers, ctx, out)
    month = previous_month(today)
    kpi = monthly_kpis(registers, ctx, month).to_json()
    say(f"{month} " + "，".join(f"{label} {percent(kpi[key])}" for key, label in
                                 (("first_insurance_rate", "首保率"), ("renewal_rate", "续保率"),
                                  ("churn_rate", "流失率"), ("claim_rate", "出险率"))))
    flags = money_flags(registers, ctx)
    say(f"催款清单 {write_overdue_workbook(flags, ctx.settings, out / f'催款清单-{today:%Y%m%d}.xlsx')}")
    say(f"案件跟踪 {write_case_tracking(registers, ctx, out / f'案件跟踪-{today:%Y%m%d}.xlsx')}")
    for path in write_call_lists(call_lists(registers, ctx), out):
        say(f"续保提醒 {path}")
    run_monthly_report(registers, ctx, out)
    from ..services.main_job import reconcile_demo_month  # §4.6: last month against each insurer's statement

    for line in reconcile_demo_month(registers, ctx, out, args.seed):
        say(line)
    return EXIT_OK


def write_case_tracking(registers: Registers, ctx: Context, path: Path) -> Path:
    """`run`: every claim case by the step it waits at (the 案件跟踪 workbook of `cases --out`)."""
    from ..core.claim_cases import adjuster_comparison, claim_cases, insurer_comparison
    from ..writing.cases_book import write_cases_workbook

    cases = claim_cases(registers, ctx)
    return write_cases_workbook(cases, insurer_comparison(cases), adjuster_comparison(cases), ctx.settings,
                                ctx.as_of, path)


def run_monthly_report(registers: Registers, ctx: Context, out: Path) -> Path:
    """`run`: the store's report for the month before as-of, put into out/outbox/ as the scheduled
    job sends it."""
    import dataclasses

    from ..core.months import previous_month

    report = store_report_builder(lambda as_of: (registers, ctx), out)(previous_month(ctx.as_of), ctx.as_of)
    say(f"月报 {report.path}")
    if not ctx.settings.mail.to:
        say("  设置中没有收件人（mail.to），月报未放入发件箱")
        return report.path
    # the demo never sends real mail: its messages go to the outbox under --out-dir
    mail = dataclasses.replace(ctx.settings.mail, transport="outbox", outbox=str(out / "outbox"))
    for line in describe_sending(send_built(report, mail)):
        say(f"  {line}")
    return report.path


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo.store import write_demo_store

    written = write_demo_store(args.dir, seed=args.seed, vehicles=args.vehicles, as_of=args.as_of)
    for path in written:
        say(str(path))
    return EXIT_OK


def cmd_templates(args: argparse.Namespace) -> int:
    from ..writing.template_books import write_templates

    for path in write_templates(args.dir):
        say(str(path))
    return EXIT_OK


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out-dir", default="out", help="where the demo store and results go (default ./out)")
    p.add_argument("--seed", type=int, default=2026, help="demo store seed")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="demo store size (own-brand vehicles)")


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="folder to write the sample store into")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed and date, same store)")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="own-brand vehicles sold over three years")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD",
                   help="the store's last day: history runs three years up to it (default: today)")


def _templates_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="folder to write the blank register workbooks into")


COMMANDS: tuple[CommandSpec, ...] = (
    ('run', 'the main job on the built-in sample store', _run_args, cmd_run),
    ('demo', 'write a realistic sample store', _demo_args, cmd_demo),
    ('templates', 'write blank register workbooks', _templates_args, cmd_templates),
)
