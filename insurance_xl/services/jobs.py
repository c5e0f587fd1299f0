"""The scheduled job: on the configured day of each month, build last month's report and send it.

§4.7.2: every store reports monthly by a fixed day, and a missing report costs a point (§4.9.1).
So the job is due from `schedule.day` at `schedule.time` until the month's report has gone out to
every recipient (the sent ledger says so): a PC that was off on the day sends on the next run, and
a run after the report went out does nothing. "Now" is always a parameter (fake clocks in tests).

Two ways to run it: `insurance-xl schedule` keeps a loop (the `schedule` library, one check a day
at the configured time, plus one at start); `insurance-xl schedule --once` runs what is due and
exits, for cron or the Windows Task Scheduler. A job that raises is logged and the loop and the
other jobs go on; SIGINT/SIGTERM stop the loop between jobs. Logs go to a rotating file, with
phone, ID and account numbers masked on the way out.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import logging.handlers
import re
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import schedule

from ..errors import SettingsError
from ..core.months import day_in_month, previous_month
from .mail import Report, SendResult, SentLedger, personal_values, recipients, send_report
from .mail_transport import Transport
from ..core.mask import mask_text
from ..tables import Registers
from ..settings import Context, ScheduleSettings, Settings

log = logging.getLogger(__name__)

ReportBuilder = Callable[[str, dt.date], Report]  # (month YYYY-MM, as-of) → the built report
Sender = Callable[[Report, dt.datetime], SendResult]
LOG_BYTES, LOG_BACKUPS = 1_000_000, 5


# ---- when -----------------------------------------------------------------------------------

def parse_time(text: str) -> dt.time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(text))
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise SettingsError("schedule", "schedule.time", f"应为 HH:MM，实际为 {text!r}")
    return dt.time(int(match[1]), int(match[2]))


def send_moment(plan: ScheduleSettings, year: int, month: int) -> dt.datetime:
    """The month's sending time; a day past the month's end (31 in April) means its last day."""
    if not 1 <= plan.day <= 31:
        raise SettingsError("schedule", "schedule.day", f"应为 1–31，实际为 {plan.day}")
    return dt.datetime.combine(day_in_month(f"{year:04d}-{month:02d}", plan.day), parse_time(plan.time))


def due_month(now: dt.datetime, plan: ScheduleSettings) -> str | None:
    """The month whose report is due at `now` (last month, once this month's moment has come)."""
    return previous_month(now.date()) if now >= send_moment(plan, now.year, now.month) else None


# ---- what -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthlyReportJob:
    """Builds and sends last month's report when due and not yet sent to everyone."""

    store: str
    addresses: tuple[str, ...]
    plan: ScheduleSettings
    ledger: SentLedger
    build: ReportBuilder
    send: Sender
    drafts: bool = False  # the outbox transport: a drafted .eml settles the month (nothing is sent)

    def __call__(self, now: dt.datetime) -> SendResult | None:
        month = due_month(now, self.plan)
        if month is None:
            log.debug("月报未到发送时间（每月 %d 日 %s）", self.plan.day, self.plan.time)
            return None
        if self.ledger.is_complete(self.store, month, self.addresses, drafts=self.drafts):
            log.info("%s 月报%s，无需再发", month, "已写入发件箱（或已发送）" if self.drafts else "已发送")
            return None
        log.info("生成 %s 月报", month)
        report = self.build(month, now.date())
        result = self.send(report, now)
        log.info("%s 月报：发送 %d，写入发件箱 %d，此前已处理 %d，失败 %d", month, len(result.sent), len(result.drafted),
                 len(result.skipped), len(result.failed))
        return result


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[dt.datetime], Any]
    at: str = "08:00"  # daily, HH:MM


@dataclass(frozen=True)
class JobRun:
    name: str
    ok: bool
    result: Any = None
    error: str = ""


def monthly_report_job(settings: Settings, build: ReportBuilder, transport: Transport, outbox: Path) -> Job:
    """The monthly report job as `insurance-xl schedule` and `report --send` wire it."""
    ledger = SentLedger.in_outbox(outbox)

    def send(report: Report, now: dt.datetime) -> SendResult:
        return send_report(report, settings.mail, transport, ledger, now=now)

    parse_time(settings.schedule.time)
    job = MonthlyReportJob(settings.store, tuple(recipients(settings.mail)), settings.schedule, ledger, build, send,
                           drafts=transport.name == "outbox")
    return Job("月报", job, at=settings.schedule.time)


def report_builder(load: Callable[[dt.date], tuple[Registers, Context]],
                   write: Callable[[Registers, Context, str, Path], tuple[Path, Any]],
                   path_for: Callable[[str, str], Path]) -> ReportBuilder:
    """A ReportBuilder over a store: read it afresh (clerks keep typing), then `write` computes the
    month's results once and writes the report, giving (path, kpis)."""

    def build(month: str, as_of: dt.date) -> Report:
        registers, ctx = load(as_of)
        target = path_for(ctx.settings.store, month)
        target.parent.mkdir(parents=True, exist_ok=True)
        path, kpis = write(registers, ctx, month, target)
        return Report(ctx.settings.store, month, path, kpis.to_json(), personal_values(registers))

    return build


# ---- running --------------------------------------------------------------------------------

def run_job(job: Job, now: dt.datetime) -> JobRun:
    """Run one job; whatever it raises is logged (masked) and returned, never propagated."""
    try:
        result = job.run(now)
    except Exception as exc:  # one failing job must not take the loop or the other jobs with it
        log.exception("任务「%s」失败", job.name)
        return JobRun(job.name, False, error=f"{type(exc).__name__}: {mask_text(str(exc))}")
    failed = getattr(result, "failed", ())
    return JobRun(job.name, not failed, result, "; ".join(d.detail for d in failed))


def run_due(jobs: Sequence[Job], now: dt.datetime) -> list[JobRun]:
    """Every job once at `now` (each decides whether it is due): `schedule --once`."""
    return [run_job(job, now) for job in jobs]


def build_scheduler(jobs: Sequence[Job], clock: Callable[[], dt.datetime]) -> schedule.Scheduler:
    """A private scheduler (not the library's global one) checking each job daily at its time."""
    scheduler = schedule.Scheduler()
    for job in jobs:
        scheduler.every().day.at(parse_time(job.at).strftime("%H:%M")).do(lambda j=job: run_job(j, clock())).tag(job.name)
    return scheduler


def run_forever(jobs: Sequence[Job], stop: threading.Event, clock: Callable[[], dt.datetime],
                poll_seconds: float = 60.0) -> None:
    """Catch up once (the PC may have been off on the day), then check daily until `stop` is set."""
    scheduler = build_scheduler(jobs, clock)
    log.info("定时任务启动：%s", "、".join(f"{j.name} 每日 {j.at} 检查" for j in jobs))
    run_due(jobs, clock())
    while not stop.is_set():
        scheduler.run_pending()
        idle = scheduler.idle_seconds
        stop.wait(poll_seconds if idle is None else min(max(idle, 0.0), poll_seconds))
    log.info("定时任务已停止")


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[threading.Event]:
    """SIGINT/SIGTERM (and Ctrl-Break on Windows) set `stop`; the loop ends after the running job."""
    def handler(signum: int, frame: object) -> None:
        stop.set()

    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# ---- logs -----------------------------------------------------------------------------------

class MaskingFormatter(logging.Formatter):
    """Masks phone, ID and account numbers in the whole line, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_text(super().format(record))


@contextlib.contextmanager
def logging_to(path: Path, console_level: int = logging.WARNING) -> Iterator[Path]:
    """The package's logs at INFO into a rotating file, warnings also on the console."""
    path.parent.mkdir(parents=True, exist_ok=True)
    formatter = MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                        encoding="utf-8")
    console = logging.StreamHandler()
    console.setLevel(console_level)
    for handler in (file_handler, console):
        handler.setFormatter(formatter)
    logger = logging.getLogger("insurance_xl")
    saved = logger.level, logger.propagate
    logger.setLevel(min(logging.INFO, logger.getEffectiveLevel()))
    logger.propagate = False
    logger.addHandler(file_handler)
    logger.addHandler(console)
    try:
        yield path
    finally:
        for handler in (file_handler, console):
            logger.removeHandler(handler)
            handler.close()
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
