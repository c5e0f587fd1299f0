"""schedule: the scheduled job — on the report day, build last month's report and send it once, reliably."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import threading
from pathlib import Path

from ..errors import InsuranceXlError, SettingsError
from ..reading.store import read_store
from ..services.jobs import logging_to, monthly_report_job, run_due, run_forever, stop_on_signals
from ..services.mail_transport import transport_for
from ..services.monthly_report import store_report_builder
from ..settings import Context, Settings, load_settings, store_settings
from ..tables import Registers
from ..writing.terminal import describe_sending
from .common import EXIT_DATA_ERRORS, EXIT_OK, CommandSpec, say

log = logging.getLogger("insurance_xl")


def clock() -> dt.datetime:
    """The scheduler's one clock: naive local time, as the Task Scheduler and cron see it."""
    return dt.datetime.now()


def describe_job_run(run) -> list[str]:
    if run.result is None:
        return [f"{run.name}：{'无需发送（未到发送日，或已发送 / 已写入发件箱）' if run.ok else '失败：' + run.error}"]
    return [f"{run.name}：{line}" for line in describe_sending(run.result)]


def cmd_schedule(args: argparse.Namespace) -> int:
    file_settings = load_settings(args.settings) if args.settings else Settings()
    with logging_to(Path(file_settings.schedule.log_file)):
        try:
            return _schedule(args, file_settings)
        except InsuranceXlError as exc:  # the Task Scheduler shows no stderr: the log must say it
            log.error("定时任务未能运行：%s", exc)
            raise


def _schedule(args: argparse.Namespace, file_settings: Settings) -> int:
    store = args.path or file_settings.schedule.store
    if not store:
        raise SettingsError(args.settings or "设置", "schedule.store", "未设置门店台账路径：在 [schedule] store 写路径，或在命令行给出")
    settings = store_settings(read_store(store), args.settings)  # each run reads the store afresh

    def load_store(as_of: dt.date) -> tuple[Registers, Context]:  # read afresh at each run: clerks keep typing
        fresh = read_store(store)
        return fresh, Context(store_settings(fresh, args.settings), as_of)

    outbox = Path(settings.mail.outbox)
    build = store_report_builder(load_store, Path(settings.schedule.out_dir))
    job = monthly_report_job(settings, build, transport_for(settings.mail, outbox), outbox)
    if args.once:
        runs = run_due([job], clock())
        for run in runs:
            for line in describe_job_run(run):
                say(line)
        return EXIT_OK if all(r.ok for r in runs) else EXIT_DATA_ERRORS
    stop = threading.Event()
    with stop_on_signals(stop):
        say(f"定时任务运行中：每月 {settings.schedule.day} 日 {settings.schedule.time} 发送上月月报（Ctrl+C 停止）")
        run_forever([job], stop, clock=clock)
    say("定时任务已停止")
    return EXIT_OK


def _schedule_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="门店工作簿或文件夹（默认设置中的 schedule.store）")
    p.add_argument("--settings", metavar="FILE.toml", help="设置文件（[mail]、[schedule]）")
    p.add_argument("--once", action="store_true", help="只执行现在到期的任务后退出（给 cron / 任务计划程序用）")


COMMANDS: tuple[CommandSpec, ...] = (
    ('schedule', '定时任务：到报送日生成并发送上月月报（只发一次）', _schedule_args, cmd_schedule),
)
