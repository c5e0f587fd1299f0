"""E-mailing the monthly report: against a real SMTP server on loopback, and the outbox folder."""
from __future__ import annotations

import datetime as dt
import email
import json
from email import policy

import pytest

from insurance_xl.errors import SettingsError
from insurance_xl.services.mail import (PersonalDataInReport, Report, SentLedger, message_id, message_key,
                                        personal_values, send_report, summary_text)
from insurance_xl.services.mail_transport import OutboxTransport, SmtpTransport, transport_for
from insurance_xl.tables import registers_from_tables, table_from_records
from insurance_xl.settings import settings_from_mapping

from tests.mailhelp import (KPIS, Recorder, accepting_authenticator, attachment, free_port, mail_settings,
                       rejecting_authenticator, report_workbook, self_signed, smtp_server)

NOW = dt.datetime(2026, 11, 3, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def report(tmp_path):
    return Report("星辰斯巴鲁", "2026-10", report_workbook(tmp_path), KPIS)


def smtp(mail, sleeps, **kw):
    return SmtpTransport(mail.host, mail.port, sender=mail.sender, security=mail.security, retries=mail.retries,
                         backoff_seconds=mail.backoff_seconds, timeout_seconds=mail.timeout_seconds,
                         sleep=sleeps.append, **kw)


def ledger_lines(ledger):
    return [json.loads(line) for line in ledger.path.read_text(encoding="utf-8").splitlines()]


# ---- over SMTP ----------------------------------------------------------------------------------

def test_report_arrives_once_over_smtp_with_the_attachment_byte_for_byte(tmp_path, report):
    server = Recorder()
    with smtp_server(server) as port:
        mail = mail_settings(port, cc=["区域保险管理科 <region@audit.example>"])
        result = send_report(report, mail, smtp(mail, []), SentLedger.in_outbox(tmp_path / "outbox"), now=NOW)
    assert [d.status for d in result.deliveries] == ["sent", "sent"]
    assert sorted(rcpts[0] for rcpts, _, _ in server.messages) == ["region@audit.example", "supervisor@store.example"]
    rcpts, msg, _ = next(m for m in server.messages if m[0] == ["supervisor@store.example"])
    name, data = attachment(msg)
    assert name == report.path.name
    assert data == report.path.read_bytes()
    assert msg["Subject"] == "星辰斯巴鲁 2026年10月 保险业务月报"
    assert msg["To"] == "supervisor@store.example" and msg["Cc"] == "区域保险管理科 <region@audit.example>"
    assert msg["Message-ID"] == message_id(message_key("星辰斯巴鲁", "2026-10", "supervisor@store.example"))
    assert "· 首保率：85.0%（本店新保车辆数 34，本品牌新车销售台数 40）" in msg.get_body().get_content()


def test_three_reruns_of_the_same_month_deliver_one_message(tmp_path, report):
    server = Recorder()
    ledger = SentLedger.in_outbox(tmp_path / "outbox")
    with smtp_server(server) as port:
        mail = mail_settings(port)
        results = [send_report(report, mail, smtp(mail, []), ledger, now=NOW) for _ in range(3)]
    assert len(server.messages) == 1
    assert [r.deliveries[0].status for r in results] == ["sent", "skipped", "skipped"]
    assert [e["status"] for e in ledger_lines(ledger)] == ["sent"]


def test_resend_delivers_again_under_a_new_message_id_that_refers_to_the_first(tmp_path, report):
    server = Recorder()
    ledger = SentLedger.in_outbox(tmp_path / "outbox")
    with smtp_server(server) as port:
        mail = mail_settings(port)
        send_report(report, mail, smtp(mail, []), ledger, now=NOW)
        again = send_report(report, mail, smtp(mail, []), ledger, now=NOW, resend=True)
    first, second = (m for _, m, _ in server.messages)
    assert again.deliveries[0].status == "sent"
    assert second["Message-ID"] != first["Message-ID"]
    assert second["References"] == first["Message-ID"]
    assert second["Message-ID"] == message_id(message_key("星辰斯巴鲁", "2026-10", "supervisor@store.example"), 1)


def test_a_451_then_250_is_retried_after_a_back_off_and_delivered_once(tmp_path, report):
    server = Recorder(replies=("451 4.3.0 try again later",))
    sleeps: list[float] = []
    ledger = SentLedger.in_outbox(tmp_path / "outbox")
    with smtp_server(server) as port:
        mail = mail_settings(port)
        result = send_report(report, mail, smtp(mail, sleeps), ledger, now=NOW)
    assert len(server.messages) == 1 and server.data_commands == 2
    assert sleeps == [2.0]
    assert result.deliveries[0].status == "sent" and result.deliveries[0].attempts == 2
    assert [(e["status"], e["attempts"]) for e in ledger_lines(ledger)] == [("sent", 2)]


def test_4xx_retries_are_bounded_and_the_back_off_doubles(tmp_path, report):
    server = Recorder(replies=("451 4.3.0 busy",) * 10)
    sleeps: list[float] = []
    ledger = SentLedger.in_outbox(tmp_path / "outbox")
    with smtp_server(server) as port:
        mail = mail_settings(port, retries=3, backoff_seconds=1.5)
        result = send_report(report, mail, smtp(mail, sleeps), ledger, now=NOW)
    assert sleeps == [1.5, 3.0, 6.0]
    assert server.data_commands == 4 and server.messages == []
    assert result.failed[0].detail.startswith("451 4.3.0 busy")
    assert [(e["status"], e["attempts"]) for e in ledger_lines(ledger)] == [("failed", 4)]


def test_a_550_is_reported_and_recorded_and_not_retried(tmp_path, report):
    server = Recorder(replies=("550 5.7.1 message rejected",))
    sleeps: list[float] = []
    ledger = SentLedger.in_outbox(tmp_path / "outbox")
    with smtp_server(server) as port:
        mail = mail_settings(port)
        result = send_report(report, mail, smtp(mail, sleeps), ledger, now=NOW)
        assert server.data_commands == 1 and sleeps == []
        assert result.failed[0].detail == "550 5.7.1 message rejected"
        assert [(e["status"], e["detail"]) for e in ledger_lines(ledger)] == [("failed", "550 5.7.1 message rejected")]
        # a failure is not a sending: the next run tries again, and the message goes out
        rerun = send_report(report, mail, smtp(mail, sleeps), ledger, now=NOW)
    assert rerun.deliveries[0].status == "sent" and len(server.messages) == 1


def test_a_refused_recipient_is_recorded_and_the_others_still_receive_it(tmp_path, report):
    server = Recorder(refuse_rcpt=("gone@store.example",))
    ledger = SentLedger.in_outbox(tmp_path / "outbox")
    with smtp_server(server) as port:
        mail = mail_settings(port, to=["gone@store.example", "supervisor@store.example"])
        result = send_report(report, mail, smtp(mail, []), ledger, now=NOW)
    assert [(d.recipient, d.status) for d in result.deliveries] == [
        ("gone@store.example", "failed"), ("supervisor@store.example", "sent")]
    assert result.failed[0].detail.startswith("550 5.1.1")
    assert [rcpts for rcpts, _, _ in server.messages] == [["supervisor@store.example"]]


def test_an_authentication_failure_is_reported_and_not_retried(tmp_path, report):
    calls: list[str] = []
    sleeps: list[float] = []
    server = Recorder()
    ledger = SentLedger.in_outbox(tmp_path / "outbox")
    with smtp_server(server, authenticator=rejecting_authenticator(calls), auth_require_tls=False) as port:
        mail = mail_settings(port)
        result = send_report(report, mail, smtp(mail, sleeps, user="clerk", password="wrong"), ledger, now=NOW)
    assert result.failed[0].detail.startswith("SMTP 认证失败 535")
    assert sleeps == [] and server.messages == []
    assert 1 <= len(calls) <= 2  # one login (smtplib may try a second mechanism in it), never again
    assert ledger_lines(ledger)[0]["status"] == "failed"
    assert "wrong" not in ledger.path.read_text(encoding="utf-8")


def test_an_unreachable_server_is_retried_then_recorded(tmp_path, report):
    sleeps: list[float] = []
    mail = mail_settings(free_port(), retries=2, backoff_seconds=0.5)
    result = send_report(report, mail, smtp(mail, sleeps), SentLedger.in_outbox(tmp_path / "outbox"), now=NOW)
    assert sleeps == [0.5, 1.0]
    assert "ConnectionRefusedError" in result.failed[0].detail


def test_starttls_then_login_with_credentials_from_the_environment(tmp_path, report, tls):
    server_ctx, client_ctx = tls
    calls: list[str] = []
    server = Recorder()
    with smtp_server(server, tls_context=server_ctx, require_starttls=True,
                     authenticator=accepting_authenticator("clerk", "s3cret", calls)) as port:
        mail = mail_settings(port, security="starttls", user_env="IXL_USER", password_env="IXL_PASS")
        transport = transport_for(mail, tmp_path / "outbox", env={"IXL_USER": "clerk", "IXL_PASS": "s3cret"})
        transport.ssl_context = client_ctx  # trust the test certificate
        result = send_report(report, mail, transport, SentLedger.in_outbox(tmp_path / "outbox"), now=NOW)
    assert result.deliveries[0].status == "sent" and calls
    assert attachment(server.messages[0][1])[1] == report.path.read_bytes()


def test_implicit_tls_on_the_ssl_port(tmp_path, report, tls):
    server_ctx, client_ctx = tls
    server = Recorder()
    with smtp_server(server, ssl_context=server_ctx) as port:
        mail = mail_settings(port, security="ssl")
        result = send_report(report, mail, smtp(mail, [], ssl_context=client_ctx),
                             SentLedger.in_outbox(tmp_path / "outbox"), now=NOW)
    assert result.deliveries[0].status == "sent" and len(server.messages) == 1


# ---- settings and credentials ---------------------------------------------------------------------

def test_a_missing_credentials_variable_is_named_and_its_value_never_asked_from_settings(tmp_path):
    mail = mail_settings(security="starttls", user_env="IXL_USER", password_env="IXL_PASS")
    with pytest.raises(SettingsError, match="环境变量 IXL_PASS 未设置"):
        transport_for(mail, tmp_path, env={"IXL_USER": "clerk"})
    with pytest.raises(SettingsError, match="mail.password.*环境变量"):
        settings_from_mapping({"mail": {"password": "s3cret"}})


def test_a_password_is_never_sent_in_clear_to_another_machine(tmp_path):
    mail = mail_settings(host="smtp.example.com", security="none", user_env="U", password_env="P")
    with pytest.raises(SettingsError, match="starttls 或 ssl"):
        transport_for(mail, tmp_path, env={"U": "clerk", "P": "s3cret"})


def test_no_recipient_is_a_settings_error(tmp_path, report):
    with pytest.raises(SettingsError, match="未设置收件人"):
        send_report(report, mail_settings(to=[]), OutboxTransport(tmp_path), SentLedger.in_outbox(tmp_path), now=NOW)


# ---- the outbox ---------------------------------------------------------------------------------

def test_the_default_transport_writes_one_eml_per_recipient_into_the_outbox(tmp_path, report):
    outbox = tmp_path / "out" / "outbox"
    mail = settings_from_mapping({"mail": {"to": ["supervisor@store.example", "region@audit.example"]}}).mail
    transport = transport_for(mail, outbox)
    result = send_report(report, mail, transport, SentLedger.in_outbox(outbox), now=NOW)
    emls = sorted(outbox.glob("*.eml"))
    assert len(emls) == 2 and len(result.drafted) == 2 and result.sent == ()  # drafts, not sent mail (issue 20)
    msg = email.message_from_bytes(emls[1].read_bytes(), policy=policy.default)
    assert attachment(msg)[1] == report.path.read_bytes()
    assert msg["X-Unsent"] == "1"
    assert emls[1].name == "2026-10_星辰斯巴鲁_supervisor@store.example.eml"
    assert send_report(report, mail, transport, SentLedger.in_outbox(outbox), now=NOW).drafted == ()
    assert len(list(outbox.glob("*.eml"))) == 2


def test_message_id_depends_on_store_month_and_recipient_only():
    key = message_key("星辰斯巴鲁", "2026-10", "supervisor@store.example")
    assert key == message_key("星辰斯巴鲁", "2026-10", " Supervisor@Store.example ")
    others = {message_key("别的店", "2026-10", "supervisor@store.example"),
              message_key("星辰斯巴鲁", "2026-11", "supervisor@store.example"),
              message_key("星辰斯巴鲁", "2026-10", "region@audit.example")}
    assert key not in others and len(others) == 3
    assert message_id(key).startswith("<insurance-xl.2026-10.") and message_id(key).endswith("@insurance-xl.local>")


def test_a_torn_last_ledger_line_is_ignored(tmp_path):
    ledger = SentLedger(tmp_path / "sent-ledger.jsonl")
    ledger.record({"key": "2026-10.x", "status": "sent"})
    with open(ledger.path, "a", encoding="utf-8") as fh:
        fh.write('{"key": "2026-10.y", "sta')
    assert ledger.sent_counts() == {"2026-10.x": 1}


# ---- the body and personal data -----------------------------------------------------------------

def test_the_body_summarises_rates_with_their_counts_and_money_to_the_fen(report):
    lines = summary_text(report).splitlines()
    assert lines[0] == "星辰斯巴鲁 2026年10月 保险业务月报"
    assert lines[3:12] == [
        "· 首保率：85.0%（本店新保车辆数 34，本品牌新车销售台数 40）",
        "· 续保率：5.5%（续保/转保车辆数 66，保有量（去年同月末） 1,200）",
        "· 续保率（年累计）：41.2%（年累计续保/转保车辆数 495，保有量（上年末） 1,200）",
        "· 流失率：20.0%（流失车辆数 2，本月到期车辆（投保期）数 12，宽限期内待续车辆数 2）",
        "· 出险率：无（分母为 0）（本店投保出险车辆数 0，本店在保车辆数 0）",
        "· 非本店投保客户增长率：-25.0%（非本店投保出险车辆数 3，上月非本店投保出险车辆数 4）",
        "· 交强险保费：¥32,450.00",
        "· 商业险保费：¥1,234,567.50",
        "· 手续费：¥98,765.43",
    ]


def test_the_body_never_carries_personal_data_even_when_the_kpis_do(tmp_path):
    kpis = {**KPIS, "customer": "张三", "first_insurance_rate": "13812345678",
            "counts": {**KPIS["counts"], "sold": "11010519491231002X", "phone": "13812345678"}}
    text = summary_text(Report("星辰 13900001111", "2026-10", report_workbook(tmp_path), kpis))
    assert "张三" not in text and "13812345678" not in text and "11010519491231002X" not in text
    assert "13900001111" not in text and "139****1111" in text
    assert "· 首保率：无（分母为 0）（本店新保车辆数 34，本品牌新车销售台数 —）" in text


def test_a_report_holding_a_customers_phone_or_name_is_not_sent(tmp_path):
    path = report_workbook(tmp_path)
    from openpyxl import load_workbook
    wb = load_workbook(path)
    wb["续保名单"]["B3"] = "王小明"
    wb["续保名单"]["C2"] = 13812345678
    wb.save(path)
    report = Report("星辰斯巴鲁", "2026-10", path, KPIS, frozenset({"王小明", "138 1234 5678", "张三"}))
    outbox = tmp_path / "outbox"
    with pytest.raises(PersonalDataInReport) as caught:
        send_report(report, mail_settings(transport="outbox"), OutboxTransport(outbox), SentLedger.in_outbox(outbox),
                    now=NOW)
    assert caught.value.cells == ["续保名单!C2", "续保名单!B3"]
    assert "王小明" not in str(caught.value) and "5678" not in str(caught.value)
    assert not list(outbox.glob("*.eml"))
    (refusal,) = ledger_lines(SentLedger.in_outbox(outbox))
    assert refusal["status"] == "refused" and refusal["detail"] == "含未脱敏的个人信息：续保名单!C2、续保名单!B3"


def test_personal_values_are_the_pii_columns_minus_names_also_written_as_staff():
    policies = table_from_records("policies", [
        {"archive_no": "A1", "customer": "张三", "phone": "13812345678", "id_number": "11010519491231002X",
         "clerk": "王芳"},
        {"archive_no": "A2", "customer": "王芳", "phone": "13900001111", "clerk": "王芳"},
    ])
    refunds = table_from_records("tp_refunds", [{"claim_no": "C1", "customer": "李四",
                                                 "bank_account": "6222 0212 3456 7890"}])
    found = personal_values(registers_from_tables({"policies": policies, "tp_refunds": refunds}))
    assert found == {"张三", "13812345678", "11010519491231002X", "13900001111", "李四", "6222 0212 3456 7890"}


def test_free_text_masking_catches_phones_ids_and_accounts_but_leaves_amounts_and_policy_numbers():
    from insurance_xl.core.mask import mask_text
    text = ("电话 13812345678 / +86 139-0000-1111，身份证 11010519491231002X，账号 6222 0212 3456 7890，"
            "保单 PDAA202611010000123，金额 ¥1,234,567.50，共 100000 辆")
    assert mask_text(text) == ("电话 138****5678 / 139****1111，身份证 110***********002X，账号 6222 **** 7890，"
                               "保单 PDAA202611010000123，金额 ¥1,234,567.50，共 100000 辆")


def test_an_outbox_draft_is_kept_apart_from_sent_mail_in_the_ledger(tmp_path, report):
    """Issue 20: the outbox writes drafts; switching to SMTP later still sends them for real."""
    outbox = tmp_path / "outbox"
    mail = settings_from_mapping({"mail": {"to": ["supervisor@store.example"]}}).mail
    ledger = SentLedger.in_outbox(outbox)
    drafted = send_report(report, mail, transport_for(mail, outbox), ledger, now=NOW)
    assert [d.status for d in drafted.deliveries] == ["drafted"]
    assert [e["status"] for e in ledger_lines(ledger)] == ["drafted"]
    assert ledger.is_complete(report.store, report.month, ["supervisor@store.example"], drafts=True)
    assert not ledger.is_complete(report.store, report.month, ["supervisor@store.example"])
    assert ledger.sent_counts() == {}
