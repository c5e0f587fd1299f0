"""E-mailing the monthly report: once per month and recipient, with personal data kept out.

§4.7.2: each store sends its monthly report by a fixed day; a late or missing report is penalised
(§4.9.1), and a report sent twice confuses the regional section's consolidation. So (ARCHITECTURE.md
"Files we touch · E-mail"):
- one message per recipient, with a Message-ID derived from store + month + recipient;
- the sent ledger (sent_ledger.py, beside the .eml files in the outbox folder) records every
  message sent and every failure; a month and recipient already sent is skipped unless `resend`;
- the body is a short Chinese summary built only from the KPI numbers (never from register text),
  and the attached workbook is refused when it contains a personal value of the store (§4.8.1,
  §4.9.3).
The report builder and its KPIs are given (`Report`); this module neither reads registers nor
computes KPIs.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InsuranceXlError, SettingsError
from ..core.kpi_counts import COUNT_LABELS
from ..core.kpi import MONEY_LABELS, RATE_LABELS
from .mail_transport import DeliveryFailed, Transport
from ..core.mask import mask_text
from ..tables import Registers
from ..registers import REGISTERS
from .sent_ledger import SentLedger, message_key
from ..settings import MailSettings
from ..core.months import month_label

log = logging.getLogger(__name__)

MESSAGE_DOMAIN = "insurance-xl.local"
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class Report:
    """A built monthly report: the workbook to attach and its KPIs (the `kpi --json` object)."""

    store: str
    month: str  # YYYY-MM
    path: Path
    kpis: Mapping[str, Any]
    # the store's personal values (names, phones, ID numbers, accounts) that must not be attached
    personal: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Delivery:
    recipient: str
    message_id: str
    status: str  # sent | drafted (an .eml in the outbox, for someone to send) | skipped (done before) | failed
    detail: str = ""
    attempts: int = 0


@dataclass(frozen=True)
class SendResult:
    deliveries: tuple[Delivery, ...]

    def with_status(self, status: str) -> tuple[Delivery, ...]:
        return tuple(d for d in self.deliveries if d.status == status)

    @property
    def sent(self) -> tuple[Delivery, ...]:
        return self.with_status("sent")

    @property
    def drafted(self) -> tuple[Delivery, ...]:
        return self.with_status("drafted")

    @property
    def skipped(self) -> tuple[Delivery, ...]:
        return self.with_status("skipped")

    @property
    def failed(self) -> tuple[Delivery, ...]:
        return self.with_status("failed")


class PersonalDataInReport(InsuranceXlError):
    def __init__(self, path: Path, cells: list[str]) -> None:
        self.path, self.cells = path, cells
        super().__init__(f"{path.name} 含未脱敏的个人信息（{'、'.join(cells)}），未发送")


# ---- who, and which message -----------------------------------------------------------------

_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")


def recipients(mail: MailSettings) -> list[str]:
    """The bare addresses of `to` then `cc` ('保险主管 <a@b.cn>' gives a@b.cn), each once.

    A malformed address is a settings error.
    """
    seen, out = set(), []
    for key in ("to", "cc"):
        for written in getattr(mail, key):
            address = parseaddr(str(written).strip())[1]
            if not _ADDRESS.match(address):
                raise SettingsError("mail", f"mail.{key}", f"不是有效的邮件地址：{written!r}")
            if address.lower() not in seen:
                seen.add(address.lower())
                out.append(address)
    if not out:
        raise SettingsError("mail", "mail.to", "未设置收件人")
    return out


def message_id(key: str, resend: int = 0) -> str:
    # A resend gets its own id: mail systems (Gmail among them) drop a message whose id they have seen.
    return f"<insurance-xl.{key}{f'.r{resend}' if resend else ''}@{MESSAGE_DOMAIN}>"


def outbox_filename(report: Report, recipient: str, resend: int = 0) -> str:
    name = f"{report.month}_{report.store}_{recipient}{f'_r{resend}' if resend else ''}.eml"
    return re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", name)


# ---- the body -------------------------------------------------------------------------------

# The counts shown beside each rate (DOMAIN.md: an empty rate comes with its counts); labels are
# kpi.py's, so the body, the attached 看板 and the command line name each number the same way.
RATE_COUNTS = {
    "first_insurance_rate": ("first_insured", "sold"),
    "renewal_rate": ("renewed", "retained_base"),
    "renewal_rate_ytd": ("renewed_ytd", "retained_base_ytd"),
    "churn_rate": ("lost", "expiring", "pending"),
    "claim_rate": ("claim_vehicles", "insured_vehicles"),
    "non_store_growth": ("non_store_claims", "non_store_claims_prev"),
}
MONEY_KEYS = ("premium_compulsory", "premium_commercial", "commission")


def _number(value: Any) -> float | None:
    """Only numbers reach the body: text from anywhere else (a name, a phone) is dropped."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    return float(value)


def _count(value: Any) -> str:
    number = _number(value)
    return "—" if number is None else f"{number:,.0f}"


def subject(report: Report) -> str:
    return mask_text(f"{report.store} {month_label(report.month)} 保险业务月报")


def summary_text(report: Report) -> str:
    """The KPIs in a few Chinese lines; an empty rate (denominator 0) says so instead of 0 %."""
    counts = report.kpis.get("counts") or {}
    lines = [subject(report), "", "主要指标："]
    for key, shown in RATE_COUNTS.items():
        rate = _number(report.kpis.get(key))
        value = f"{rate * 100:.1f}%" if rate is not None else "无（分母为 0）"
        beside = "，".join(f"{COUNT_LABELS[c]} {_count(counts.get(c))}" for c in shown)
        lines.append(f"· {RATE_LABELS[key]}：{value}（{beside}）")
    for key in MONEY_KEYS:
        amount = _number(report.kpis.get(key))
        lines.append(f"· {MONEY_LABELS[key]}：{'—' if amount is None else f'¥{amount:,.2f}'}")
    lines += ["", f"明细见附件《{report.path.name}》，客户个人信息已脱敏。", "本邮件由 insurance-xl 自动发送。"]
    return mask_text("\n".join(lines)) + "\n"


def compose(report: Report, mail: MailSettings, *, msg_id: str, now: dt.datetime,
            references: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject(report)
    msg["From"] = mail.sender
    msg["To"] = ", ".join(a.strip() for a in mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(a.strip() for a in mail.cc)
    msg["Date"] = format_datetime(now.astimezone() if now.tzinfo is None else now)
    msg["Message-ID"] = msg_id
    if references:
        msg["References"] = references
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    msg.set_content(summary_text(report))
    msg.add_attachment(report.path.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                       filename=report.path.name)
    return msg


# ---- personal data in the attachment ---------------------------------------------------------

_NUMBER_TOKEN = re.compile(r"[0-9Xx]{7,}")


def personal_values(registers: Registers) -> frozenset[str]:
    """Every personal value of the store (PII columns of registers.py), to keep out of e-mails.

    A name that is also written in a non-personal column (a clerk who is also a customer, a
    company policyholder named like an insurer) is left out: it is not personal where it appears.
    """
    personal: set[str] = set()
    public: set[str] = set()
    for key, reg in REGISTERS.items():
        table = registers.tables.get(key)
        if table is None or table.empty:
            continue
        for col in reg.columns:
            if col.key not in table.columns or not pd.api.types.is_string_dtype(table[col.key]):
                continue
            values = table[col.key].dropna().astype(str).str.strip().unique()
            (personal if col.pii else public).update(values)
    return frozenset(v for v in personal - public if len(v) >= 2 and "*" not in v)


def personal_data_cells(path: Path, personal: Collection[str], limit: int = 10) -> list[str]:
    """Cells ('Sheet!B7') of a workbook holding one of `personal`, whole or as a number inside."""
    from openpyxl import load_workbook

    whole = {v.strip() for v in personal}
    numbers = {re.sub(r"[\s-]", "", v).upper() for v in whole if _NUMBER_TOKEN.fullmatch(re.sub(r"[\s-]", "", v))}
    found: list[str] = []
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    value = cell.value
                    if isinstance(value, bool) or not isinstance(value, (str, int)):
                        continue
                    text = str(value).strip()
                    tokens = _NUMBER_TOKEN.findall(re.sub(r"[\s-]", "", text).upper())
                    if text in whole or any(t in numbers for t in tokens):
                        found.append(f"{ws.title}!{cell.coordinate}")
                        if len(found) >= limit:
                            return found
    finally:
        wb.close()
    return found


# ---- sending --------------------------------------------------------------------------------

def send_report(report: Report, mail: MailSettings, transport: Transport, ledger: SentLedger, *,
                now: dt.datetime, resend: bool = False) -> SendResult:
    """Send `report` to every recipient not yet sent to (all of them again with `resend`).

    Raises PersonalDataInReport (nothing sent, the refusal recorded) when the workbook holds a
    personal value of the store. A recipient whose delivery fails is recorded and reported; the
    others are still sent.
    """
    addresses = recipients(mail)
    digest = hashlib.sha256(report.path.read_bytes()).hexdigest()
    cells = personal_data_cells(report.path, report.personal) if report.personal else []
    deliveries = []
    with ledger.locked():
        drafts = transport.name == "outbox"  # an .eml in a folder is a draft until someone sends it
        done = "drafted" if drafts else "sent"
        counts = ledger.sent_counts(drafts)
        for address in addresses:
            key = message_key(report.store, report.month, address)
            earlier = counts.get(key, 0)
            if earlier and not resend:
                deliveries.append(Delivery(address, message_id(key), "skipped"))
                continue
            msg_id = message_id(key, earlier)
            entry = {"time": now.isoformat(timespec="seconds"), "store": report.store, "month": report.month,
                     "recipient": address, "key": key, "message_id": msg_id, "transport": transport.name,
                     "attachment": report.path.name, "sha256": digest}
            if cells:  # recorded for the audit trail (cell references only), then nothing is sent
                detail = "含未脱敏的个人信息：" + "、".join(cells)
                ledger.record({**entry, "status": "refused", "attempts": 0, "detail": detail})
                continue
            msg = compose(report, mail, msg_id=msg_id, now=now, references=message_id(key) if earlier else None)
            try:
                attempts = transport.deliver(msg, address, outbox_filename(report, address, earlier))
            except DeliveryFailed as exc:
                ledger.record({**entry, "status": "failed", "attempts": exc.attempts, "detail": exc.detail})
                log.error("月报 %s 发送失败（%s）：%s", report.month, msg_id, exc.detail)
                deliveries.append(Delivery(address, msg_id, "failed", exc.detail, exc.attempts))
                continue
            ledger.record({**entry, "status": done, "attempts": attempts})
            log.info("月报 %s %s（%s，%s）", report.month, "已写入发件箱（待发送）" if drafts else "已发送", msg_id,
                     transport.name)
            deliveries.append(Delivery(address, msg_id, done, attempts=attempts))
    if cells:
        raise PersonalDataInReport(report.path, cells)
    return SendResult(tuple(deliveries))
