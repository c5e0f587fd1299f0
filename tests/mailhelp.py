"""A real SMTP server on loopback (aiosmtpd), a small real report workbook and KPIs for the mail tests."""
from __future__ import annotations

import contextlib
import email
import shutil
import socket
import ssl
import subprocess
import time
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from insurance_xl.registers import REGISTERS
from insurance_xl.settings import MailSettings

from tests.conftest import make_workbook

KPIS = {
    "month": "2026-10", "first_insurance_rate": 0.85, "renewal_rate": 0.055, "renewal_rate_ytd": 0.4125,
    "churn_rate": 0.2, "claim_rate": None, "non_store_growth": -0.25,
    "counts": {"sold": 40, "first_insured": 34, "retained_base": 1200, "renewed": 66, "renewed_ytd": 495,
               "retained_base_ytd": 1200, "expiring": 12, "lost": 2, "pending": 2, "claim_vehicles": 0,
               "insured_vehicles": 0, "non_store_claims": 3, "non_store_claims_prev": 4},
    "premium_compulsory": 32450.0, "premium_commercial": 1234567.5, "commission": 98765.43,
}


def report_workbook(folder: Path, name: str = "本店_2026-10_保险业务月报.xlsx") -> Path:
    """A small real report: a KPI sheet and a masked renewal list."""
    return make_workbook(folder / name, {
        "看板": [["指标", "值"], ["首保率", 0.85], ["续保率", 0.055], ["手续费", 98765.43]],
        "续保名单": [["档案编号", "客户姓名", "联系电话"], ["A001", "张*", "138****5678"], ["A002", "李**", "139****0001"]],
    })


def tiny_store(folder: Path) -> Path:
    """A store workbook of a few rows in the registers the monthly KPIs need (headers from registers.py)."""
    def sheet(key, rows):
        reg = REGISTERS[key]
        return [[reg.column(k).header for k in rows[0]], *rows[1:]]

    folder.mkdir(parents=True, exist_ok=True)
    return make_workbook(folder / "store.xlsx", {
        REGISTERS["sales"].sheet: sheet("sales", [("vin", "plate", "customer", "brand", "sale_date"),
                                                  ("LSVAU2180N2183456", "沪A12345", "张三", "斯巴鲁", "2026-10-08")]),
        REGISTERS["policies"].sheet: sheet("policies", [
            ("archive_no", "customer", "phone", "plate", "vin", "brand", "policy_no", "insurer", "channel",
             "business_type", "issue_date", "policy_start", "policy_end", "compulsory_premium",
             "commercial_premium", "commission", "clerk"),
            ("A001", "张三", "13812345678", "沪A12345", "LSVAU2180N2183456", "斯巴鲁", "P2026100001", "人保财险",
             "本店", "新保", "2026-10-08", "2026-10-09", "2027-10-08", 950, 4200.5, 630.08, "王芳")]),
        REGISTERS["claims"].sheet: sheet("claims", [("claim_no", "report_date", "plate", "insured_here"),
                                                    ("C001", "2026-10-20", "沪A12345", "是")]),
    })


class Recorder:
    """Accepts mail, or answers DATA with the scripted replies first ('451 …', '550 …')."""

    def __init__(self, replies: tuple[str, ...] = (), refuse_rcpt: tuple[str, ...] = ()) -> None:
        self.replies = list(replies)
        self.refuse_rcpt = {a.lower() for a in refuse_rcpt}
        self.messages: list = []  # (envelope recipients, parsed message, raw bytes)
        self.data_commands = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse_rcpt:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_commands += 1
        reply = self.replies.pop(0) if self.replies else "250 OK"
        if reply.startswith("250"):
            raw = envelope.original_content or envelope.content
            self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(raw, policy=policy.default), raw))
        return reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server(handler: Recorder, **kwargs):
    """aiosmtpd on 127.0.0.1 (a fresh port); yields the port."""
    for _ in range(5):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        try:
            controller.start()
            break
        except OSError:
            time.sleep(0.05)
    else:
        raise RuntimeError("no free port for the test SMTP server")
    try:
        yield port
    finally:
        controller.stop()


def rejecting_authenticator(calls: list):
    def authenticator(server, session, envelope, mechanism, auth_data):
        calls.append(mechanism)
        return AuthResult(success=False, handled=False)
    return authenticator


def accepting_authenticator(user: str, password: str, calls: list):
    def authenticator(server, session, envelope, mechanism, auth_data):
        calls.append(mechanism)
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)
    return authenticator


def self_signed(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl command not found: cannot make a certificate for the TLS tests")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def mail_settings(port: int = 25, **overrides) -> MailSettings:
    values = {"transport": "smtp", "host": "127.0.0.1", "port": port, "security": "none",
              "sender": "baoxian@store.example", "to": ["supervisor@store.example"], "retries": 3,
              "backoff_seconds": 2.0, "timeout_seconds": 5.0}
    return MailSettings(**{**values, **overrides})


def attachment(message) -> tuple[str, bytes]:
    part = next(message.iter_attachments())
    return part.get_filename(), part.get_content()
