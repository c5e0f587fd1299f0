"""The e-mailed report through the command line: `schedule`, `report --send` and `run`, with the real
report (report.write_report) and KPIs (kpi.monthly_kpis) over a small store holding personal data."""
from __future__ import annotations

import datetime as dt
import email
import os
import signal
import subprocess
import sys
from email import policy

import pytest

from insurance_xl.cli import main
from insurance_xl.services.main_job import run_monthly_report
from insurance_xl.settings import store_settings
from insurance_xl.core.months import previous_month
from insurance_xl.services.mail import SentLedger, message_key
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Context

from tests.conftest import ROOT
from tests.mailhelp import attachment, tiny_store

STORE = "星辰斯巴鲁"
TO = "supervisor@store.example"


def write_settings(folder, store="store/store.xlsx", mail_to=(TO,)):
    """A settings file as a store keeps it; paths relative to the folder the job starts in."""
    text = "\n".join([f'store = "{STORE}"', 'own_brands = ["斯巴鲁"]', "", "[mail]", f"to = {list(mail_to)!r}", "",
                      "[schedule]", f"store = '{store}'", "day = 1", 'time = "00:00"', ""])
    path = folder / "settings.toml"
    path.write_text(text.replace("'", '"'), encoding="utf-8")
    return path


@pytest.fixture
def desk(tmp_path, monkeypatch):
    """The store's folder, where the scheduled job starts: store/store.xlsx and settings.toml."""
    tiny_store(tmp_path / "store")
    write_settings(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def messages(outbox):
    return {p.name: email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))}


def test_schedule_once_builds_last_months_report_and_puts_it_in_the_outbox_once(desk, capsys):
    month = previous_month(dt.date.today())
    assert main(["schedule", "--once", "--settings", "settings.toml"]) == 0
    (name, msg), = messages(desk / "out" / "outbox").items()
    report = desk / "out" / f"保险业务月报-{STORE}-{month}.xlsx"
    assert name == f"{month}_{STORE}_{TO}.eml"
    assert attachment(msg) == (report.name, report.read_bytes())  # the real report: masked, so it may go
    assert f"已写入发件箱（待发送） {TO}" in capsys.readouterr().out  # a draft in a folder, not sent mail (issue 20)

    assert main(["schedule", "--once", "--settings", "settings.toml"]) == 0
    assert len(messages(desk / "out" / "outbox")) == 1
    assert "无需发送" in capsys.readouterr().out
    log = (desk / "out" / "insurance-xl.log").read_text(encoding="utf-8")
    assert f"{month} 月报：发送 0，写入发件箱 1" in log and "已写入发件箱（或已发送），无需再发" in log
    assert "13812345678" not in log and "张三" not in log


def test_report_send_uses_the_job_path_and_resend_sends_again(desk, capsys):
    args = ["report", "store/store.xlsx", "--settings", "settings.toml", "--month", "2026-10", "--as-of", "2026-11-05",
            "--out", "十月.xlsx", "--send"]
    assert main(args) == 0
    (msg,) = messages(desk / "out" / "outbox").values()
    assert attachment(msg) == ("十月.xlsx", (desk / "十月.xlsx").read_bytes())
    body = msg.get_body().get_content()
    assert "· 首保率：100.0%（本店新保车辆数 1，本品牌新车销售台数 1）" in body and "张三" not in body
    assert main(args) == 0
    assert "此前已发送" in capsys.readouterr().out and len(messages(desk / "out" / "outbox")) == 1
    assert main([*args, "--resend"]) == 0
    assert sorted(messages(desk / "out" / "outbox")) == [f"2026-10_{STORE}_{TO}.eml", f"2026-10_{STORE}_{TO}_r1.eml"]


def test_resend_without_send_is_refused(desk, capsys):
    assert main(["report", "store/store.xlsx", "--month", "2026-10", "--resend"]) == 2
    assert "--resend" in capsys.readouterr().err


NOW = dt.datetime(2026, 11, 5, 9, 0).astimezone()


def store_and_context(desk):
    registers = read_store(desk / "store" / "store.xlsx")
    return registers, Context(store_settings(registers, str(desk / "settings.toml")), dt.date(2026, 11, 5))


def test_run_ends_with_the_stores_report_in_the_outbox(desk):
    out = desk / "out"
    registers, ctx = store_and_context(desk)
    path, _ = run_monthly_report(registers, ctx, out, NOW)
    (name, msg), = messages(out / "outbox").items()
    assert name == f"2026-10_{STORE}_{TO}.eml"
    assert attachment(msg) == (path.name, path.read_bytes())
    run_monthly_report(registers, ctx, out, NOW)
    assert len(messages(out / "outbox")) == 1


def test_run_without_recipients_still_writes_the_report(desk):
    write_settings(desk, mail_to=())
    path, lines = run_monthly_report(*store_and_context(desk), desk / "out", NOW)
    assert path.exists() and not (desk / "out" / "outbox").exists()
    assert any("mail.to" in line for line in lines)


def test_schedule_once_with_an_unreadable_store_exits_2_and_says_so_in_the_log(desk, capsys):
    write_settings(desk, store="没有这个文件.xlsx")
    assert main(["schedule", "--once", "--settings", "settings.toml"]) == 2
    assert "没有这个文件.xlsx" in capsys.readouterr().err
    assert "定时任务未能运行" in (desk / "out" / "insurance-xl.log").read_text(encoding="utf-8")


def test_schedule_without_a_store_names_the_setting(desk, capsys):
    write_settings(desk, store="")
    assert main(["schedule", "--once", "--settings", "settings.toml"]) == 2
    assert "schedule.store" in capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_schedule_loop_stops_cleanly_on_a_signal(desk, sig):
    # last month already went out: the loop starts, checks, and waits for its next day
    key = message_key(STORE, previous_month(dt.date.today()), TO)
    SentLedger.in_outbox(desk / "out" / "outbox").record({"key": key, "status": "sent"})
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "insurance_xl", "schedule", "--settings", "settings.toml"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=desk, env=env)
    try:
        assert "定时任务运行中" in proc.stdout.readline()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "定时任务已停止" in out
    log = (desk / "out" / "insurance-xl.log").read_text(encoding="utf-8")
    assert "已写入发件箱（或已发送），无需再发" in log and "定时任务已停止" in log
