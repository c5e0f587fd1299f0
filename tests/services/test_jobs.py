"""The scheduled monthly report: due on the configured day, sent once, failures contained."""
from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from dataclasses import dataclass, field

import pytest

from insurance_xl.services.jobs import (Job, build_scheduler, due_month, logging_to, monthly_report_job,
                                        report_builder, run_due, run_forever, run_job, send_moment, stop_on_signals)
from insurance_xl.services.mail import Report
from insurance_xl.services.mail_transport import OutboxTransport, SmtpTransport
from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.settings import Context, ScheduleSettings, settings_from_mapping

from tests.mailhelp import KPIS, Recorder, report_workbook, smtp_server


def settings(day=5, time="09:30", store="星辰斯巴鲁", **mail):
    return settings_from_mapping({"store": store, "schedule": {"day": day, "time": time},
                                  "mail": {"to": ["supervisor@store.example"], **mail}})


@dataclass
class FakeBuilder:
    """Builds a small real report workbook per month and remembers what it was asked."""

    folder: object
    store: str = "星辰斯巴鲁"
    months: list = field(default_factory=list)

    def __call__(self, month, as_of):
        self.months.append((month, as_of))
        path = report_workbook(self.folder, f"{self.store}_{month}.xlsx")
        return Report(self.store, month, path, {**KPIS, "month": month})


def outbox_job(tmp_path, plan=None, **kw):
    s = settings(**kw) if plan is None else plan
    builder = FakeBuilder(tmp_path, s.store)
    outbox = tmp_path / "outbox"
    return monthly_report_job(s, builder, OutboxTransport(outbox), outbox), builder, outbox


# ---- when ---------------------------------------------------------------------------------------

def test_october_report_is_sent_on_the_configured_november_day_and_not_before(tmp_path):
    job, builder, outbox = outbox_job(tmp_path, day=5, time="09:30")
    for early in (dt.datetime(2026, 11, 1, 0, 0), dt.datetime(2026, 11, 4, 23, 59), dt.datetime(2026, 11, 5, 9, 29)):
        assert job.run(early) is None
    assert builder.months == [] and not list(outbox.glob("*.eml"))
    result = job.run(dt.datetime(2026, 11, 5, 9, 30))
    assert builder.months == [("2026-10", dt.date(2026, 11, 5))]
    assert [d.status for d in result.deliveries] == ["drafted"]  # an .eml in the outbox is a draft (issue 20)
    assert [p.name for p in outbox.glob("*.eml")] == ["2026-10_星辰斯巴鲁_supervisor@store.example.eml"]


def test_october_report_is_not_sent_twice_in_november_nor_rebuilt(tmp_path):
    job, builder, outbox = outbox_job(tmp_path, day=5, time="09:30")
    job.run(dt.datetime(2026, 11, 5, 9, 30))
    for later in (dt.datetime(2026, 11, 5, 9, 31), dt.datetime(2026, 11, 6, 9, 30), dt.datetime(2026, 11, 30, 23, 0)):
        assert job.run(later) is None
    assert len(builder.months) == 1 and len(list(outbox.glob("*.eml"))) == 1
    job.run(dt.datetime(2026, 12, 5, 9, 30))
    assert [m for m, _ in builder.months] == ["2026-10", "2026-11"]


def test_a_pc_that_was_off_on_the_day_sends_on_its_next_run(tmp_path):
    job, builder, _ = outbox_job(tmp_path, day=3, time="08:00")
    result = job.run(dt.datetime(2026, 11, 12, 14, 0))
    assert builder.months == [("2026-10", dt.date(2026, 11, 12))] and len(result.drafted) == 1


def test_january_sends_december_of_the_previous_year():
    assert due_month(dt.datetime(2027, 1, 3, 8, 0), ScheduleSettings(day=3, time="08:00")) == "2026-12"


def test_day_31_means_the_last_day_of_a_short_month():
    plan = ScheduleSettings(day=31, time="08:00")
    assert send_moment(plan, 2027, 2) == dt.datetime(2027, 2, 28, 8, 0)
    assert due_month(dt.datetime(2027, 2, 28, 8, 0), plan) == "2027-01"


def test_a_failed_delivery_is_tried_again_on_the_next_run(tmp_path):
    server = Recorder(replies=("550 5.7.1 rejected",))
    s = settings(day=5, time="09:30")
    builder = FakeBuilder(tmp_path)
    with smtp_server(server) as port:
        transport = SmtpTransport("127.0.0.1", port, sender=s.mail.sender, security="none", sleep=lambda _: None)
        job = monthly_report_job(s, builder, transport, tmp_path / "outbox")
        first = run_job(job, dt.datetime(2026, 11, 5, 9, 30))
        second = run_job(job, dt.datetime(2026, 11, 6, 9, 30))
    assert not first.ok and first.error.startswith("550")
    assert second.ok and len(second.result.sent) == 1 and len(server.messages) == 1


# ---- failures are contained ---------------------------------------------------------------------

def test_a_job_raising_an_exception_leaves_the_next_job_running(tmp_path):
    def broken(month, as_of):
        raise ValueError("工作簿损坏")

    server = Recorder()
    with smtp_server(server) as port:
        jobs = []
        for store, build in (("甲店", broken), ("乙店", FakeBuilder(tmp_path, "乙店"))):
            s = settings(store=store, day=5, time="09:30")
            transport = SmtpTransport("127.0.0.1", port, sender=s.mail.sender, security="none")
            jobs.append(monthly_report_job(s, build, transport, tmp_path / store))
        runs = run_due(jobs, dt.datetime(2026, 11, 5, 9, 30))
        scheduler = build_scheduler(jobs, clock=lambda: dt.datetime(2026, 12, 5, 9, 30))
        scheduler.run_all()  # the loop's own path: the broken job again, the next one still runs
    assert [(r.ok, r.error) for r in runs] == [(False, "ValueError: 工作簿损坏"), (True, "")]
    assert [m["Subject"] for _, m, _ in server.messages] == ["乙店 2026年10月 保险业务月报", "乙店 2026年11月 保险业务月报"]


def test_the_scheduler_checks_each_job_daily_at_its_configured_time(tmp_path):
    job, _, _ = outbox_job(tmp_path, day=5, time="9:30")
    (scheduled,) = build_scheduler([job], clock=dt.datetime.now).jobs
    assert scheduled.unit == "days" and scheduled.interval == 1 and scheduled.at_time == dt.time(9, 30)


def test_sigterm_stops_the_loop_cleanly_after_the_catch_up_run(tmp_path):
    runs = []
    job = Job("计数", lambda now: runs.append(now), at="03:00")
    stop = threading.Event()
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    with logging_to(tmp_path / "log" / "insurance-xl.log") as log_file, stop_on_signals(stop):
        timer.start()
        run_forever([job], stop, clock=lambda: dt.datetime(2026, 11, 5, 9, 30), poll_seconds=0.05)
    timer.join()
    assert stop.is_set() and len(runs) == 1
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the previous handler is back
    assert "定时任务已停止" in log_file.read_text(encoding="utf-8")


# ---- logs ---------------------------------------------------------------------------------------

def test_logs_go_to_a_rotating_file_with_personal_numbers_masked(tmp_path):
    def leaky(now):
        raise ValueError("客户 13812345678 身份证 11010519491231002X 账号 6222021234567890")

    path = tmp_path / "insurance-xl.log"
    with logging_to(path):
        run_job(Job("泄露", leaky), dt.datetime(2026, 11, 5))
        text = path.read_text(encoding="utf-8")
        big = logging.getLogger("insurance_xl.test")
        for _ in range(1200):
            big.info("x" * 1000)
    assert "任务「泄露」失败" in text and "Traceback" in text
    assert "138****5678" in text and "13812345678" not in text
    assert "11010519491231002X" not in text and "6222021234567890" not in text
    assert (tmp_path / "insurance-xl.log.1").exists() and path.stat().st_size <= 1_000_000


# ---- the real builder's shape -------------------------------------------------------------------

def test_the_report_builder_reads_afresh_writes_where_asked_and_carries_the_stores_personal_values(tmp_path):
    policies = table_from_records("policies", [{"archive_no": "A1", "customer": "张三", "phone": "13812345678"}])
    s = settings()
    reads = []

    def load(as_of):
        reads.append(as_of)
        return registers_from_tables({"policies": policies}), Context(s, as_of)

    class Kpis:
        def to_json(self):
            return KPIS

    def write(registers, ctx, month, path):
        assert ctx.as_of == dt.date(2026, 11, 5) and month == "2026-10"
        return report_workbook(path.parent, path.name), Kpis()

    build = report_builder(load, write, lambda store, month: tmp_path / f"{store}-{month}.xlsx")
    report = build("2026-10", dt.date(2026, 11, 5))
    assert reads == [dt.date(2026, 11, 5)]
    assert report.path == tmp_path / "星辰斯巴鲁-2026-10.xlsx" and report.path.exists()
    assert report.store == "星辰斯巴鲁" and report.kpis is KPIS
    assert report.personal == {"张三", "13812345678"}


@pytest.mark.parametrize("bad", ["25:00", "8点", ""])
def test_a_malformed_schedule_time_is_a_settings_error(tmp_path, bad):
    from insurance_xl.errors import SettingsError
    with pytest.raises(SettingsError, match="schedule.time"):
        outbox_job(tmp_path, time=bad)
