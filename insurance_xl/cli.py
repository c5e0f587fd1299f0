"""The insurance-xl command: parse arguments, call the library, print (ARCHITECTURE.md contract).

Exit codes: 0 done; 1 done and the data has errors; 2 the input could not be read (one line on
stderr naming file, sheet, row, column). Every command is a few lines over library functions.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import InsuranceXlError, SettingsError
from .model import Registers
from .read import read_store
from .registers import DATA_REGISTERS, REGISTERS
from .settings import Context, MailSettings, Settings, load_settings

log = logging.getLogger("insurance_xl")

EXIT_OK, EXIT_DATA_ERRORS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 3


# ---- shared plumbing ----------------------------------------------------------------------------

def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text!r}") from None


def parse_month(text: str) -> str:
    try:
        dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"月份格式应为 YYYY-MM：{text!r}") from None
    return text


def add_store_args(p: argparse.ArgumentParser, as_of: bool = True) -> None:
    p.add_argument("path", help="store workbook (.xlsx/.xlsm) or a folder of workbooks")
    p.add_argument("--settings", metavar="FILE.toml", help="settings file (the workbook's 设置 sheet wins)")
    if as_of:
        p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="evaluation date (default: today)")


def settings_for(registers: Registers, settings_file: str | None) -> Settings:
    table = registers["settings"]
    rows = list(zip(table["key"], table["value"], table["_row"])) if len(table) else None
    return load_settings(settings_file, rows)


def load(args: argparse.Namespace) -> tuple[Registers, Context]:
    registers = read_store(args.path)
    settings = settings_for(registers, getattr(args, "settings", None))
    as_of = getattr(args, "as_of", None) or dt.date.today()
    return registers, Context(settings=settings, as_of=as_of)


def json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=json_default) + "\n")


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


# ---- commands -----------------------------------------------------------------------------------

def cmd_templates(args: argparse.Namespace) -> int:
    from .templates import write_templates

    for path in write_templates(args.dir):
        say(str(path))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import write_demo_store

    written = write_demo_store(args.dir, seed=args.seed, vehicles=args.vehicles, as_of=args.as_of)
    for path in written:
        say(str(path))
    return EXIT_OK


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
    from .calls_book import write_call_lists
    from .claims import money_flags
    from .demo import write_demo_store
    from .kpi import as_of_month, monthly_kpis
    from .overdue_book import write_overdue_workbook
    from .renewals import call_lists

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
    month = as_of_month(today)
    kpi = monthly_kpis(registers, ctx, month).to_json()
    say(f"{month} " + "，".join(f"{label} {percent(kpi[key])}" for key, label in
                                 (("first_insurance_rate", "首保率"), ("renewal_rate", "续保率"),
                                  ("churn_rate", "流失率"), ("claim_rate", "出险率"))))
    flags = money_flags(registers, ctx)
    say(f"催款清单 {write_overdue_workbook(flags, ctx.settings, out / f'催款清单-{today:%Y%m%d}.xlsx')}")
    for path in write_call_lists(call_lists(registers, ctx), out):
        say(f"续保提醒 {path}")
    run_monthly_report(registers, ctx, out)
    from .demo_statements import reconcile_demo_month  # §4.6: last month against each insurer's statement

    for line in reconcile_demo_month(registers, ctx, out, args.seed):
        say(line)
    return EXIT_OK


def run_monthly_report(registers: Registers, ctx: Context, out: Path) -> Path:
    """`run`: the store's report for the month before as-of, put into out/outbox/ as the scheduled
    job sends it."""
    import dataclasses

    from .kpi import as_of_month

    report = store_report_builder(lambda as_of: (registers, ctx), out)(as_of_month(ctx.as_of), ctx.as_of)
    say(f"月报 {report.path}")
    if not ctx.settings.mail.to:
        say("  设置中没有收件人（mail.to），月报未放入发件箱")
        return report.path
    # the demo never sends real mail: its messages go to the outbox under --out-dir
    mail = dataclasses.replace(ctx.settings.mail, transport="outbox", outbox=str(out / "outbox"))
    for line in describe_sending(send_built(report, mail)):
        say(f"  {line}")
    return report.path


KPI_NEEDS = {"policies": ("channel", "business_type", "issue_date", "policy_start", "policy_end"),
             "sales": ("sale_date",), "claims": ("report_date", "insured_here")}


def cmd_kpi(args: argparse.Namespace) -> int:
    from .kpi import COUNT_LABELS, MONEY_LABELS, RATE_LABELS, monthly_kpis

    registers, ctx = load(args)
    registers.require(KPI_NEEDS)
    warn_without_own_brands(ctx)
    kpis = monthly_kpis(registers, ctx, args.month)
    payload = kpis.to_json()
    if args.json:
        emit_json(payload)
        return EXIT_OK
    say(f"{ctx.settings.store} {payload['month']} 关键指标（截至 {ctx.as_of:%Y-%m-%d}）")
    for key, label in RATE_LABELS.items():
        value = payload[key]
        num, den = kpis.fraction(key)
        say(f"  {pad(label, 22)}{'—' if value is None else f'{value:.2%}':>9}   {num} / {den}")
    for key in ("premium_compulsory", "premium_commercial", "commission"):
        say(f"  {pad(MONEY_LABELS[key], 22)}{payload[key]:>14,.2f}")
    for key, value in payload["counts"].items():
        say(f"  {pad(COUNT_LABELS[key], 26)}{value:>8}")
    return EXIT_OK


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.1%}"


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal where CJK characters take two columns."""
    used = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(width - used, 1)


def warn_without_own_brands(ctx: Context) -> None:
    if not ctx.settings.own_brands:
        sys.stderr.write("insurance-xl: 设置中没有本店品牌（own_brands），首保率、续保率、流失率将为空\n")


def cmd_report(args: argparse.Namespace) -> int:
    from .report import report_filename, write_report

    if args.resend and not args.send:
        raise InsuranceXlError("--resend 需与 --send 一起使用")
    registers, ctx = load(args)
    registers.require(KPI_NEEDS)
    warn_without_own_brands(ctx)
    if args.send:
        report, result = build_and_send(lambda as_of: (registers, ctx), Path("."), ctx.settings,
                                        args.month, ctx.as_of, resend=args.resend, out_file=args.out)
        say(str(report.path))
        for line in describe_sending(result):
            say(line)
        if result.skipped:
            say("（要重新发送，加 --resend）")
        return EXIT_DATA_ERRORS if result.failed else EXIT_OK
    path = write_report(registers, ctx, args.month, args.out or report_filename(ctx.settings.store, args.month))
    say(str(path))
    return EXIT_OK


def cmd_region(args: argparse.Namespace) -> int:
    from .region import RULE_LABELS, STATUS_LABELS, build_region_workbook, read_report, region_month
    from .write import save_workbook

    settings = load_settings(args.settings) if args.settings else Settings()
    as_of = args.as_of or dt.date.today()
    result = region_month([read_report(p) for p in args.reports], settings.region, args.month, as_of)
    if args.out:
        save_workbook(build_region_workbook(result), args.out, kind="region")
    if args.json:
        emit_json(result.to_json())
        return EXIT_OK
    say(f"区域门店排名 {args.month}（截至 {as_of:%Y-%m-%d}）")
    payload = result.to_json()

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    for row in payload["ranking"]:
        say(f"  {row['rank'] or '-':>3} {pad(row['store'], 16)}首保 {rate(row['first_insurance_rate']):>6}  "
            f"续保 {rate(row['renewal_rate']):>6}  手续费 {row['commission'] or 0:>12,.2f}  "
            f"目标完成 {rate(row['target_progress']):>6}  {STATUS_LABELS[row['status']]}")
    for row in payload["penalties"]:
        say(f"  处罚：{row['store']} {RULE_LABELS[row['rule']]}（{'、'.join(row['months'])}）"
            f"扣 {row['points']:g} 分，罚款 {row['fine']:,.2f} 元")
    if args.out:
        say(str(args.out))
    return EXIT_OK


def cmd_reconcile(args: argparse.Namespace) -> int:
    from .month_end import lock_json, locks_dir, reconcile_month, record_lock
    from .reconcile_out import change_lines, reconciliation_json, reconciliation_workbook, summary_lines
    from .statements import StatementForWrongMonth
    from .write import save_workbook

    registers, ctx = load(args)
    try:
        result = reconcile_month(registers, ctx, args.insurer, args.month, args.statement,
                                 locks_dir=locks_dir(args.path), accept_suggested=args.accept_suggested)
    except StatementForWrongMonth as exc:  # §4.6: the wrong statement must not be reconciled, nor written
        sys.stderr.write(f"insurance-xl: {exc}\n")
        return EXIT_DATA_ERRORS
    payload = reconciliation_json(result.rec, result.statement)
    if result.status == "changed" and not args.reopen:  # never new numbers for a locked month
        locked = (result.snapshot or {}).get("result") or {}
        body = {**{k: locked.get(k) for k in ("matched", "differences", "only_ours", "only_theirs", "totals")},
                "insurer": args.insurer, "month": args.month, "lock": lock_json(result)}
        if args.json:
            emit_json(body)
        else:
            for line in change_lines(result):
                say(line)
        sys.stderr.write(f"insurance-xl: {args.month} {args.insurer} 已锁定且明细有变化，未输出新数字；"
                         f"核对后用 --reopen --lock 在下月记调整行\n")
        return EXIT_DATA_ERRORS
    recorded = None
    if args.lock and result.status != "locked":
        unreadable = [f for f in result.statement.findings if f.is_error]
        if unreadable:
            sys.stderr.write(f"insurance-xl: 对账单有 {len(unreadable)} 个无法识别的值（{unreadable[0]}），不能锁定\n")
            return EXIT_DATA_ERRORS
        from .edit import append_register_rows

        recorded = record_lock(args.path, registers, result, ctx.as_of, append_register_rows, payload)
    payload["lock"] = lock_json(result, recorded)
    if args.out:
        save_workbook(reconciliation_workbook(result.rec, result.statement, ctx.settings.store,
                                              change_lines(result) if result.status == "changed" else None),
                      args.out, kind="reconciliation")
    if args.json:
        emit_json(payload)
    else:
        for line in [*summary_lines(result.rec, result.statement), *change_lines(result, recorded)]:
            say(line)
        if args.out:
            say(f"对账工作簿：{args.out}")
    return EXIT_OK


def cmd_overdue(args: argparse.Namespace) -> int:
    from .claims import flags_json, money_flags
    from .overdue_book import band_totals, write_overdue_workbook

    registers, ctx = load(args)
    registers.require({"handovers": ("claim_no",)})
    flags = money_flags(registers, ctx)
    if args.out:
        write_overdue_workbook(flags, ctx.settings, args.out)
    if args.json:
        emit_json(flags_json(flags))
        return EXIT_OK
    say(f"截至 {ctx.as_of:%Y-%m-%d}：逾期未回款 {len(flags.overdue)} 件，合计 ¥{flags.outstanding_total:,.2f}")
    for row in flags.overdue.itertuples(index=False):
        say(f"  {row.claim_no:<16} {row.insurer or '':<8} 交接 {row.handover_date:%Y-%m-%d} 应回款 {row.due_date:%Y-%m-%d}"
            f" 逾期 {row.days_overdue:>4} 天  未回款 ¥{row.outstanding:>12,.2f}  {row.band if isinstance(row.band, str) else ''}")
    for band, count, amount in band_totals(flags.overdue).itertuples(index=False):
        say(f"  {band:<12} {count:>4} 件  ¥{amount:>12,.2f}")
    say(f"核赔退回 {len(flags.returned)} 件；三者款超期未退 {len(flags.tp_refunds)} 件；旧件超期未签收 {len(flags.old_parts)} 件；"
        f"手续费超期未收回 {len(flags.commission)} 个月份")
    if len(flags.undated_handovers):
        say(f"注意：{len(flags.undated_handovers)} 条交接记录没有交接日期，无法计算回款期限")
    say("案件分档：" + "，".join(f"{k} {v} 件" for k, v in flags.bands.items()))
    if args.out:
        say(f"催款清单：{args.out}")
    return EXIT_OK


def cmd_calls(args: argparse.Namespace) -> int:
    if args.path == "import":
        return _calls_import(args)
    if args.filled or args.into:
        raise InsuranceXlError("FILLED.xlsx 和 --into 只用于 insurance-xl calls import FILLED.xlsx --into STORE.xlsx")
    from .calls_book import write_call_lists
    from .mask import mask_name
    from .renewals import call_lists, calls_json

    registers, ctx = load(args)
    registers.require({"policies": ("archive_no", "policy_end")})
    lists = call_lists(registers, ctx)
    written = write_call_lists(lists, args.out) if args.out else []
    if args.json:
        emit_json(calls_json(lists))
        return EXIT_OK
    say(f"截至 {ctx.as_of:%Y-%m-%d}：短信 {len(lists.sms)} 位，电话 {len(lists.phone)} 位")
    for title, frame in (("短信", lists.sms), ("电话", lists.phone)):
        for row in frame.itertuples(index=False):  # names masked: a terminal may be logged, the workbook is not
            say(f"  {title} {row.archive_no:<10} {mask_name(str(row.customer or '')):<4} {row.plate or '':<9}"
                f" {row.channel or '':<3} 止期 {row.policy_end:%Y-%m-%d} 剩 {row.days_left:>2} 天  {row.clerk or ''}")
    for path in written:
        say(f"名单：{path}")
    return EXIT_OK


def _calls_import(args: argparse.Namespace) -> int:
    from .calls_import import import_call_list

    if not args.filled or not args.into:
        raise InsuranceXlError("用法：insurance-xl calls import FILLED.xlsx --into STORE.xlsx")
    result = import_call_list(args.filled, args.into)
    if args.json:
        emit_json({"added": len(result.added), "already": result.already, "store": result.store,
                   "sheet": result.sheet, "backup": result.backup,
                   "problems": [f.to_json() for f in result.problems]})
    else:
        say(f"{result.store} · {result.sheet}：新增 {len(result.added)} 条跟进记录，"
            f"{result.already} 条此前已导入")
        if result.backup:
            say(f"备份：{result.backup}")
        for finding in result.problems:
            say(f"  未导入 {finding}")
    return EXIT_DATA_ERRORS if result.problems else EXIT_OK


def run_validation(store: Path, registers: Registers, ctx: Context, out: Path) -> None:
    """`run`'s validation step: findings counted, the validated workbook beside the other results."""
    from .validate import validate
    from .validated import write_validated_workbook

    validation = validate(registers, ctx)
    target = out / "validated-store.xlsx"
    write_validated_workbook(store, target, registers, validation, as_of=ctx.as_of,
                             now=dt.datetime.now().astimezone(), store=ctx.settings.store)
    say(f"校验：错误 {validation.errors} 条，警告 {validation.warnings} 条 → {target}")


def cmd_validate(args: argparse.Namespace) -> int:
    from .errors import RegisterMissing
    from .validate import report_lines, validate

    if args.verify:
        if args.path or args.out:
            raise InsuranceXlError("--verify 单独使用：insurance-xl validate --verify 已校验的工作簿.xlsx")
        return verify_validated(args)
    if not args.path:
        raise InsuranceXlError("请给出要校验的工作簿或文件夹（或用 --verify 检查已校验的工作簿）")
    if args.out:
        from .validated import check_out_path

        check_out_path(args.path, args.out)
    registers, ctx = load(args)
    if not registers.layouts:
        raise RegisterMissing(args.path, "没有找到任何登记表（按工作表名和表头查找）")
    validation = validate(registers, ctx)
    if args.out:
        from .validated import write_validated_workbook

        write_validated_workbook(args.path, args.out, registers, validation, as_of=ctx.as_of,
                                 now=dt.datetime.now().astimezone(), store=ctx.settings.store)
    if args.json:
        emit_json(validation.to_json())
    else:
        for line in report_lines(validation, str(args.path), ctx.as_of):
            say(line)
        if args.out:
            say(f"已写入校验工作簿 {args.out}")
    return EXIT_DATA_ERRORS if validation.errors else EXIT_OK


def verify_validated(args: argparse.Namespace) -> int:
    from .integrity import verify_workbook_stamp

    result = verify_workbook_stamp(args.verify)
    if result is None:
        raise InsuranceXlError(f"{args.verify} 不是经过校验的工作簿（没有完整性印章），请先运行 validate --out")
    stamp = result.stamp
    if args.json:
        emit_json({"unchanged": result.unchanged, "validated_at": stamp.validated_at, "sha256": stamp.sha256,
                   "ruleset": stamp.ruleset, "errors": stamp.errors, "warnings": stamp.warnings,
                   "changed": list(result.changed_cells), "notes": list(result.notes)})
    elif result.unchanged:
        say(f"unchanged since validation at {stamp.validated_at}：自校验以来登记表未被修改"
            f"（规则版本 {stamp.ruleset}，错误 {stamp.errors} 条，警告 {stamp.warnings} 条，SHA-256 {stamp.sha256}）")
    else:
        say(f"changed since validation at {stamp.validated_at}：校验后登记表被修改")
        for note in result.notes:
            say(f"  {note}")
        if result.changed_cells:
            say("  改动的单元格：" + "、".join(result.changed_cells))
    return EXIT_OK if result.unchanged else EXIT_DATA_ERRORS


def store_report_builder(load_store: Callable[[dt.date], tuple[Registers, Context]], out_dir: Path,
                         out_file: str | None = None) -> Any:
    """The ReportBuilder of `schedule`, `report --send` and `run`: report.write_report and
    kpi.monthly_kpis over the store, the workbook in `out_dir` (or `out_file`)."""
    from .jobs import report_builder
    from .kpi import monthly_kpis
    from .report import report_filename, write_report

    def checked(as_of: dt.date) -> tuple[Registers, Context]:
        registers, ctx = load_store(as_of)
        registers.require(KPI_NEEDS)
        return registers, ctx

    def path_for(store: str, month: str) -> Path:
        return Path(out_file) if out_file else out_dir / report_filename(store, month)

    return report_builder(checked, write_report, monthly_kpis, path_for)


def build_and_send(load_store: Callable[[dt.date], tuple[Registers, Context]], out_dir: Path, settings: Settings,
                   month: str, as_of: dt.date, *, resend: bool = False, out_file: str | None = None) -> tuple[Any, Any]:
    """`report --send`: build the month's report and send it as the scheduled job does."""
    report = store_report_builder(load_store, out_dir, out_file)(month, as_of)
    return report, send_built(report, settings.mail, resend=resend)


def send_built(report: Any, mail: MailSettings, *, resend: bool = False) -> Any:
    from .mail import SentLedger, send_report
    from .mail_transport import transport_for

    outbox = Path(mail.outbox)
    return send_report(report, mail, transport_for(mail, outbox), SentLedger.in_outbox(outbox),
                       now=dt.datetime.now().astimezone(), resend=resend)


def describe_sending(result: Any) -> list[str]:
    words = {"sent": "已发送", "skipped": "此前已发送，不再重发", "failed": "发送失败"}
    return [f"{words[d.status]} {d.recipient} {d.detail}".rstrip() for d in result.deliveries]


def describe_job_run(run: Any) -> list[str]:
    if run.result is None:
        return [f"{run.name}：{'无需发送（未到发送日，或已发送）' if run.ok else '失败：' + run.error}"]
    return [f"{run.name}：{line}" for line in describe_sending(run.result)]


def cmd_schedule(args: argparse.Namespace) -> int:
    from .jobs import logging_to

    file_settings = load_settings(args.settings) if args.settings else Settings()
    with logging_to(Path(file_settings.schedule.log_file)):
        try:
            return _schedule(args, file_settings)
        except InsuranceXlError as exc:  # the Task Scheduler shows no stderr: the log must say it
            log.error("定时任务未能运行：%s", exc)
            raise


def _schedule(args: argparse.Namespace, file_settings: Settings) -> int:
    import threading

    from .jobs import monthly_report_job, run_due, run_forever, stop_on_signals
    from .mail_transport import transport_for

    store = args.path or file_settings.schedule.store
    if not store:
        raise SettingsError(args.settings or "设置", "schedule.store", "未设置门店台账路径：在 [schedule] store 写路径，或在命令行给出")
    registers = read_store(store)
    settings = settings_for(registers, args.settings)

    def load_store(as_of: dt.date) -> tuple[Registers, Context]:  # read afresh at each run: clerks keep typing
        fresh = read_store(store)
        return fresh, Context(settings_for(fresh, args.settings), as_of)

    outbox = Path(settings.mail.outbox)
    build = store_report_builder(load_store, Path(settings.schedule.out_dir))
    job = monthly_report_job(settings, build, transport_for(settings.mail, outbox), outbox)
    if args.once:
        runs = run_due([job], dt.datetime.now())
        for run in runs:
            for line in describe_job_run(run):
                say(line)
        return EXIT_OK if all(r.ok for r in runs) else EXIT_DATA_ERRORS
    stop = threading.Event()
    with stop_on_signals(stop):
        say(f"定时任务运行中：每月 {settings.schedule.day} 日 {settings.schedule.time} 发送上月月报（Ctrl+C 停止）")
        run_forever([job], stop, clock=dt.datetime.now)
    say("定时任务已停止")
    return EXIT_OK


CommandSpec = tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _templates_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="folder to write the blank register workbooks into")


def parse_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"应为正整数：{text!r}")
    return count


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", help="folder to write the sample store into")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed and date, same store)")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="own-brand vehicles sold over three years")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD",
                   help="the store's last day: history runs three years up to it (default: today)")


def _overdue_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--json", action="store_true", help="print the ARCHITECTURE.md JSON object")
    p.add_argument("--out", metavar="FILE.xlsx", help="write the 催款清单 workbook")


def _calls_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("filled", nargs="?", metavar="FILLED.xlsx", help="calls import: the filled-in call list")
    p.add_argument("--into", metavar="STORE.xlsx", help="calls import: the store workbook (or folder) to append to")
    p.add_argument("--json", action="store_true", help="print the ARCHITECTURE.md JSON object")
    p.add_argument("--out", metavar="FILE.xlsx|DIR",
                   help="write one call list per clerk: FILE-<clerk>.xlsx, or DIR/续保提醒-<clerk>-<date>.xlsx")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out-dir", default="out", help="where the demo store and results go (default ./out)")
    p.add_argument("--seed", type=int, default=2026, help="demo store seed")
    p.add_argument("--vehicles", type=parse_count, default=1500, help="demo store size (own-brand vehicles)")


def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="store workbook (.xlsx/.xlsm) or a folder of workbooks")
    p.add_argument("--settings", metavar="FILE.toml", help="settings file (the workbook's 设置 sheet wins)")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="evaluation date (default: today)")
    p.add_argument("--json", action="store_true", help="print findings as one JSON object")
    p.add_argument("--out", metavar="FILE.xlsx", help="write the validated copy (findings sheet, marked cells, stamp)")
    p.add_argument("--verify", metavar="FILE.xlsx", help="check a validated workbook's integrity stamp")
def _kpi_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="the month to report")
    p.add_argument("--json", action="store_true", help="print the KPIs as one JSON object")


def _report_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="the month to report")
    p.add_argument("--out", metavar="FILE.xlsx", help="report workbook (default: 保险业务月报-STORE-MONTH.xlsx)")
    p.add_argument("--send", action="store_true", help="e-mail the report as the scheduled job does ([mail] settings)")
    p.add_argument("--resend", action="store_true", help="with --send: send again to recipients already sent to")


def _region_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="+", metavar="REPORT", help="stores' monthly report workbooks")
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="the month to rank")
    p.add_argument("--settings", metavar="FILE.toml", help="settings with [region] and [[region.stores]]")
    p.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="evaluation date (default: today)")
    p.add_argument("--json", action="store_true", help="print ranking and penalties as one JSON object")
    p.add_argument("--out", metavar="FILE.xlsx", help="write the region workbook")


def _reconcile_args(p: argparse.ArgumentParser) -> None:
    add_store_args(p)
    p.add_argument("--month", type=parse_month, required=True, metavar="YYYY-MM", help="month to reconcile")
    p.add_argument("--insurer", required=True, metavar="NAME", help="insurer as named in the register and settings")
    p.add_argument("--statement", required=True, metavar="FILE.xlsx", help="the insurer's statement for the month")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", metavar="FILE.xlsx", help="write the reconciliation workbook (summary, outcomes, 月度业务明细清单)")
    p.add_argument("--accept-suggested", action="store_true",
                   help="count the plate + premium suggestions as matches (after the clerk checked them)")
    p.add_argument("--lock", action="store_true", help="lock the month in the 手续费结算台账 (adjustment row when reopened)")
    p.add_argument("--reopen", action="store_true", help="reconcile a locked month afresh (with --lock: book the change)")


def _schedule_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="store workbook or folder (default: schedule.store in the settings)")
    p.add_argument("--settings", metavar="FILE.toml", help="settings file ([mail], [schedule])")
    p.add_argument("--once", action="store_true", help="run what is due now and exit (for cron / Task Scheduler)")


COMMANDS: tuple[CommandSpec, ...] = (
    ("run", "the main job on the built-in sample store", _run_args, cmd_run),
    ("kpi", "the supervisor KPIs of a month", _kpi_args, cmd_kpi),
    ("report", "the monthly report workbook", _report_args, cmd_report),
    ("region", "rank stores from their monthly reports", _region_args, cmd_region),
    ("demo", "write a realistic sample store", _demo_args, cmd_demo),
    ("templates", "write blank register workbooks", _templates_args, cmd_templates),
    ("reconcile", "month-end reconciliation with one insurer's statement", _reconcile_args, cmd_reconcile),
    ("overdue", "overdue insurer payments and the other money flags", _overdue_args, cmd_overdue),
    ("calls", "renewal call lists (calls import FILLED --into STORE records the contacts)", _calls_args, cmd_calls),
    ("validate", "findings for auditors; --out writes the validated workbook", _validate_args, cmd_validate),
    ("schedule", "the scheduled job: on the report day, build and send last month's report once",
     _schedule_args, cmd_schedule),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="insurance-xl", description="4S 店保险业务台账工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text, add_args, handler in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_args(p)
        p.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("INSURANCE_XL_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InsuranceXlError as exc:
        sys.stderr.write(f"insurance-xl: {exc}\n")
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        sys.stderr.write("insurance-xl: 已中断\n")
        return 130
    except Exception as exc:  # a bug, not bad input: one line for the clerk, the trace for us
        if os.environ.get("INSURANCE_XL_DEBUG"):
            raise
        log.debug("internal error", exc_info=True)
        sys.stderr.write(f"insurance-xl: 内部错误（{type(exc).__name__}），请设置 INSURANCE_XL_DEBUG=1 重试并反馈\n")
        return EXIT_INTERNAL
