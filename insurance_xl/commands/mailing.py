"""schedule and report --send: the monthly report e-mailed once, reliably."""
from __future__ import annotations

import argparse
import logging
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InsuranceXlError, SettingsError
from ..tables import Registers
from ..reading.store import read_store
from ..settings import Context, MailSettings, Settings, load_settings
from .common import EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, say, settings_for

log = logging.getLogger("insurance_xl")


def store_report_builder(load_store: Callable[[dt.date], tuple[Registers, Context]], out_dir: Path,
                         out_file: str | None = None) -> Any:
    """The ReportBuilder of `schedule`, `report --send` and `run`: report.write_report and
    kpi.monthly_kpis over the store, the workbook in `out_dir` (or `out_file`)."""
    from ..services.jobs import report_builder
    from ..core.kpi import KPI_NEEDS, monthly_kpis
    from ..writing.report_book import report_filename, write_report

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
    from ..services.mail import SentLedger, send_report
    from ..services.mail_transport import transport_for

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
    from ..services.jobs import logging_to

    file_settings = load_settings(args.settings) if args.settings else Settings()
    with logging_to(Path(file_settings.schedule.log_file)):
        try:
            return _schedule(args, file_settings)
        except InsuranceXlError as exc:  # the Task Scheduler shows no stderr: the log must say it
            log.error("定时任务未能运行：%s", exc)
            raise


def _schedule(args: argparse.Namespace, file_settings: Settings) -> int:
    import threading

    from ..services.jobs import monthly_report_job, run_due, run_forever, stop_on_signals
    from ..services.mail_transport import transport_for

    store = args.path or file_settings.schedule.store
    if not store:
        raise SettingsError(args.settings or "设置", "schedule.store", "未设置门店台账路径：在 [schedule] store 写路径，或在命令行给出")
    settings = settings_for(read_store(store), args.settings)  # each run reads the store afresh

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


def _schedule_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="store workbook or folder (default: schedule.store in the settings)")
    p.add_argument("--settings", metavar="FILE.toml", help="settings file ([mail], [schedule])")
    p.add_argument("--once", action="store_true", help="run what is due now and exit (for cron / Task Scheduler)")


COMMANDS: tuple[CommandSpec, ...] = (
    ('schedule', "the scheduled job: on the report day, build and send last month's report once", _schedule_args, cmd_schedule),
)
