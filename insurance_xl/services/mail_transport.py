"""How a composed message leaves: an outbox folder of .eml files (the default), or SMTP.

ARCHITECTURE.md "Files we touch · E-mail": 4xx replies (and a server that cannot be reached) are
retried with a bounded, doubling back-off; 5xx replies and authentication failures are final and
reported at once. Credentials come only from the environment variables that `mail.user_env` and
`mail.password_env` name, never from the settings file or the 设置 sheet (both travel with the
workbook).
"""
from __future__ import annotations

import ipaddress
import logging
import os
import smtplib
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from ..errors import SettingsError
from ..settings import MailSettings

log = logging.getLogger(__name__)

TRANSPORTS = ("outbox", "smtp")
SECURITIES = ("starttls", "ssl", "none")
MAX_BACKOFF_SECONDS = 900.0  # one wait never exceeds 15 minutes, whatever the settings say


class DeliveryFailed(Exception):
    """A message that could not be handed over: `detail` is the server's reply or the network error."""

    def __init__(self, detail: str, attempts: int, permanent: bool) -> None:
        super().__init__(detail)
        self.detail, self.attempts, self.permanent = detail, attempts, permanent


class Transport(Protocol):
    name: str

    def deliver(self, message: EmailMessage, recipient: str, filename: str) -> int:
        """Hand one message over for one envelope recipient; returns the attempts it took."""


class OutboxTransport:
    """Writes each message as an .eml file that Outlook or Thunderbird opens as a ready draft."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def deliver(self, message: EmailMessage, recipient: str, filename: str) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        if "X-Unsent" not in message:
            message["X-Unsent"] = "1"  # Outlook opens it as a draft with a Send button
        write_atomically(self.folder / filename, message.as_bytes(policy=policy.SMTP))
        return 1


def write_atomically(target: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, os.replace: a crash leaves no half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class SmtpTransport:
    """SMTP with STARTTLS (default), implicit TLS (`ssl`) or, for a relay on this machine, `none`."""

    name = "smtp"

    def __init__(self, host: str, port: int, *, sender: str, security: str = "starttls",
                 user: str | None = None, password: str | None = None, retries: int = 3,
                 backoff_seconds: float = 2.0, timeout_seconds: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        if security not in SECURITIES:
            raise SettingsError("mail", "mail.security", f"应为 {' / '.join(SECURITIES)}，实际为 {security!r}")
        if not host:
            raise SettingsError("mail", "mail.host", "发送方式为 smtp 时必须设置 SMTP 服务器")
        if user and security == "none" and not is_loopback(host):
            raise SettingsError("mail", "mail.security", "不加密的连接只能把密码发给本机的 SMTP 服务，请改用 starttls 或 ssl")
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.user, self.password = user, password
        self.retries, self.backoff, self.timeout = max(retries, 0), max(backoff_seconds, 0.0), timeout_seconds
        self.sleep = sleep
        self.ssl_context = ssl_context  # None: the system's trusted CAs, loaded when first needed

    def deliver(self, message: EmailMessage, recipient: str, filename: str) -> int:
        attempt = 0
        while True:
            attempt += 1
            try:
                self._send_once(message, recipient)
                return attempt
            except _Temporary as exc:
                if attempt > self.retries:
                    raise DeliveryFailed(f"{exc}（已重试 {self.retries} 次）", attempt, permanent=False) from None
                delay = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)
                log.warning("SMTP 暂时失败（%s），%.1f 秒后第 %d 次重试", exc, delay, attempt)
                self.sleep(delay)
            except _Permanent as exc:
                raise DeliveryFailed(str(exc), attempt, permanent=True) from None

    def _tls(self) -> ssl.SSLContext:
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self.ssl_context

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._tls())
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.ehlo()
                smtp.starttls(context=self._tls())
                smtp.ehlo()
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _send_once(self, message: EmailMessage, recipient: str) -> None:
        try:
            with self._connect() as smtp:
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message, from_addr=self.sender, to_addrs=[recipient])
        except smtplib.SMTPAuthenticationError as exc:
            # never retried: a wrong password retried is an account locked
            raise _Permanent(f"SMTP 认证失败 {exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _classify(code, text) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, connect/helo refused
            raise _classify(exc.smtp_code, exc.smtp_error) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise _Permanent(f"SMTP 服务器不支持：{exc}") from None
        except ssl.SSLError as exc:
            raise _Permanent(f"TLS 失败：{exc.reason or exc}") from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, refused, timed out, DNS
            raise _Temporary(f"无法连接 {self.host}:{self.port}：{type(exc).__name__} {exc}") from None


class _Temporary(Exception):
    pass


class _Permanent(Exception):
    pass


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _classify(code: int, reply: bytes | str) -> Exception:
    detail = f"{code} {_text(reply)}".strip()
    return _Temporary(detail) if 400 <= code < 500 else _Permanent(detail)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def credentials(user_env: str, password_env: str, env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The SMTP user and password from the named environment variables (names only in settings)."""
    if not user_env:
        if password_env:
            raise SettingsError("mail", "mail.user_env", "设置了 mail.password_env 时也要设置 mail.user_env")
        return None, None
    values = []
    for key, name in (("mail.user_env", user_env), ("mail.password_env", password_env)):
        if not name:
            raise SettingsError("mail", key, "需要一个环境变量名")
        if not env.get(name):
            raise SettingsError("mail", key, f"环境变量 {name} 未设置")
        values.append(env[name])
    return values[0], values[1]


def transport_for(mail: MailSettings, outbox: Path, *, env: Mapping[str, str] | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> Transport:
    """The transport `[mail] transport` asks for."""
    kind = mail.transport
    if kind == "outbox":
        return OutboxTransport(outbox)
    if kind != "smtp":
        raise SettingsError("mail", "mail.transport", f"应为 {' / '.join(TRANSPORTS)}，实际为 {kind!r}")
    user, password = credentials(mail.user_env, mail.password_env, os.environ if env is None else env)
    return SmtpTransport(mail.host, mail.port, sender=mail.sender, security=mail.security, user=user,
                         password=password, retries=mail.retries, backoff_seconds=mail.backoff_seconds,
                         timeout_seconds=mail.timeout_seconds, sleep=sleep)
