"""The settings declared once: each a dataclass field with its default, a Chinese label and a one-line
doc; the parser (loading.py), the 设置 sheet of templates and the README table all come from them.
Numbers marked *(config)* in DOMAIN.md live in [thresholds]."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..registers import THIRD_PARTY_TIERS


def _s(default: Any, label: str, doc: str) -> Any:
    factory = (lambda: default) if isinstance(default, (dict, list)) else None
    meta = {"label": label, "doc": doc}
    return field(default_factory=factory, metadata=meta) if factory else field(default=default, metadata=meta)


@dataclass(frozen=True)
class Insurer:
    name: str = _s("", "保险公司", "partner insurer (§2.3.1)")
    promised_days: int = _s(30, "承诺回款天数", "days the insurer promised to pay a handed-over case in")
    commission_rate_commercial: float = _s(0.0, "商业险手续费率", "commission rate on commercial premium")
    commission_rate_compulsory: float = _s(0.0, "交强险手续费率", "commission rate on compulsory premium")
    contact: str = _s("", "催款联系人", "contact line printed on the 催款清单 (name, phone)")
    statement: dict = _s({}, "对账单列映射", "statement layout: policy_no, plate, compulsory_premium, "
                         "commercial_premium, premium (total), commission = the insurer's header (text or list); "
                         "header_row (Excel row), sheet, policy_prefix (stripped before matching); unnamed "
                         "columns are guessed from the headers")


@dataclass(frozen=True)
class Thresholds:
    grace_days: int = _s(30, "流失宽限天数", "churn: a renewal may start up to this many days after policy_end")
    period_days: int = _s(90, "同期保单天数", "policies of a vehicle and channel starting within this many days of "
                          "the earliest are one period (its 交强险 and 商业险)")
    new_after_sale_days: int = _s(90, "新保晚于销售天数", "a 新保 policy starting more than this many days after "
                                  "the sale is a warning")
    third_party_tiers: list = _s(list(THIRD_PARTY_TIERS), "三者险保额档次", "the 三者险 limits insurers sell "
                                 "(a plain amount such as 2000000 or 200万元 reads as its tier)")
    sms_days: int = _s(45, "短信提醒提前天数", "SMS reminders start this many days before policy_end (§4.5.3)")
    sms_every_days: int = _s(14, "短信间隔天数", "another SMS when the last one is this many days old")
    call_days: int = _s(30, "电话提醒提前天数", "calls with a quote start this many days before policy_end")
    call_every_days: int = _s(15, "电话间隔天数", "another call when the last one is this many days old")
    contact_window_days: int = _s(90, "跟进记录回看天数", "contacts dated on/after policy_end minus this count")
    first_insurance_days: int = _s(14, "首保跟进天数", "首保跟进: own-brand cars sold this many days ago or "
                                   "less with no 本店 新保 policy yet")
    payment_days: int = _s(30, "回款期限天数", "a handed-over case is due after min(this, the insurer's promise)")
    handover_days: int = _s(10, "结案交接期限天数", "a settled case is handed to the insurer within this many days "
                            "(§1.3.1 Q8: 事故结案10日内提交给保险公司)")
    tp_refund_days: int = _s(7, "三者款退还期限天数", "third-party money refunded within this many days of payment")
    old_parts_days: int = _s(7, "旧件签收期限天数", "old parts signed for within this many days of settlement")
    commission_months: int = _s(3, "手续费未收回月数", "commission unpaid this many months after its month: write down")
    band_small: float = _s(5000.0, "小额案件上限", "cases assessed below this are 小额")
    band_large: float = _s(10000.0, "大额案件下限", "cases assessed above this are 10000以上")
    partner_premium: float = _s(800000.0, "合作保险公司保费门槛", "monthly premium from which more partners are allowed")
    max_partners_high: int = _s(3, "保费达标时合作公司上限", "partners allowed at or above the premium threshold")
    max_partners_low: int = _s(2, "保费未达标时合作公司上限", "partners allowed below the premium threshold")
    phone_digits: int = _s(11, "手机号位数", "a phone number has this many digits")
    reconcile_tolerance: float = _s(0.01, "对账金额容差", "reconciliation: premium or commission differing by more "
                                    "than this (yuan) is a difference; exactly this much is rounding")


@dataclass(frozen=True)
class MailSettings:
    transport: str = _s("outbox", "发送方式", "outbox (write .eml files) or smtp")
    outbox: str = _s("out/outbox", "发件箱目录", "folder of .eml files and the sent ledger")
    sender: str = _s("insurance-xl@localhost", "发件人", "From address")
    to: list = _s([], "收件人", "report recipients (supervisor, regional section)")
    cc: list = _s([], "抄送", "copy recipients")
    host: str = _s("", "SMTP服务器", "SMTP host")
    port: int = _s(587, "SMTP端口", "SMTP port")
    security: str = _s("starttls", "加密方式", "starttls, ssl or none")
    user_env: str = _s("", "用户名环境变量", "environment variable holding the SMTP user")
    password_env: str = _s("", "密码环境变量", "environment variable holding the SMTP password")
    retries: int = _s(3, "重试次数", "retries of a 4xx reply, with back-off")
    backoff_seconds: float = _s(2.0, "重试间隔秒数", "first back-off; doubles each retry")
    timeout_seconds: float = _s(30.0, "超时秒数", "SMTP connection timeout")


@dataclass(frozen=True)
class ScheduleSettings:
    day: int = _s(3, "月报发送日", "day of the month the scheduled job sends last month's report")
    time: str = _s("08:00", "月报发送时间", "time of day (HH:MM) the job runs")
    store: str = _s("", "门店台账路径", "the store workbook or folder the job reads")
    out_dir: str = _s("out", "输出目录", "where reports are written")
    log_file: str = _s("out/insurance-xl.log", "日志文件", "rotating log file")


@dataclass(frozen=True)
class StaffSettings:
    """§4.4.4: reward or penalty per unit above or below a clerk's monthly target (DOMAIN.md "Staff")."""
    reward_renewal: float = _s(50.0, "续保超目标奖励", "yuan per renewed vehicle above the clerk's target")
    penalty_renewal: float = _s(50.0, "续保未达标扣款", "yuan per renewed vehicle below the clerk's target")
    reward_first_insured: float = _s(50.0, "首保超目标奖励", "yuan per first-insured vehicle above target")
    penalty_first_insured: float = _s(50.0, "首保未达标扣款", "yuan per first-insured vehicle below target")
    reward_commission: float = _s(0.05, "手续费超目标奖励比例", "share of the commission above target paid as reward")
    penalty_commission: float = _s(0.05, "手续费未达标扣款比例", "share of the commission short of target deducted")


@dataclass(frozen=True)
class Target:
    name: str = _s("", "出单员", "clerk (出单员) as written in the registers")
    renewed: int = _s(0, "续保目标", "renewed vehicles a month (0: no target)")
    first_insured: int = _s(0, "首保目标", "first-insured vehicles a month (0: no target)")
    commission: float = _s(0.0, "手续费目标", "commission a month, yuan (0: no target)")


@dataclass(frozen=True)
class RegionStore:
    name: str = _s("", "门店", "store name as written in its monthly report")
    annual_commission_target: float = _s(0.0, "年度手续费目标", "commission income target for the year")
    received: dict = _s({}, "报表收到日期", "month (YYYY-MM) → date the report arrived")


@dataclass(frozen=True)
class RegionSettings:
    report_due_day: int = _s(5, "月报截止日", "reports are due by this day of the following month (§4.7.2)")
    missing_in_row: int = _s(2, "连续未报月数", "missing reports in a row that cost a point (§4.9.1)")
    late_in_row: int = _s(3, "连续迟报月数", "late reports in a row that cost a point (§4.9.1)")
    penalty_points: float = _s(1.0, "扣分", "points deducted")
    fine: float = _s(500.0, "罚款金额", "fine for the responsible person, yuan")
    stores: list = _s([], "门店列表", "[[region.stores]] tables: the stores expected to report")


@dataclass(frozen=True)
class Limits:
    """What a workbook may be before the reader refuses it (xlsx/safety.py). Only the settings file's
    [limits] table sets them: they apply before any sheet, 设置 included, is read."""

    file_mb: int = _s(50, "文件大小上限MB", "largest workbook file read, MB")
    uncompressed_mb: int = _s(500, "解压后大小上限MB", "largest total of a workbook's parts once unzipped, MB")
    entries: int = _s(1000, "压缩包文件数上限", "most parts (files) in a workbook's zip package")
    sheet_cells: int = _s(30_000_000, "工作表单元格上限", "largest grid (rows × columns) one sheet may make the reader build")


@dataclass(frozen=True)
class Settings:
    store: str = _s("本店", "门店名称", "store name on reports and e-mails")
    own_brands: list = _s([], "本店品牌", "own brand(s): first-insurance, renewal and churn count only these")
    insurers: dict = _s({}, "合作保险公司", "[insurers.\"NAME\"] tables: the store's partner insurers")
    thresholds: Thresholds = field(default_factory=Thresholds, metadata={"label": "阈值", "doc": ""})
    mail: MailSettings = field(default_factory=MailSettings, metadata={"label": "邮件", "doc": ""})
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings, metadata={"label": "定时任务", "doc": ""})
    region: RegionSettings = field(default_factory=RegionSettings, metadata={"label": "区域", "doc": ""})
    staff: StaffSettings = field(default_factory=StaffSettings, metadata={"label": "考核", "doc": ""})
    targets: dict = _s({}, "目标", "[targets.\"NAME\"] tables, or 目标.NAME.续保目标 rows in 设置: monthly targets")
    limits: Limits = field(default_factory=Limits, metadata={"label": "读取上限", "doc": ""})

    @property
    def partners(self) -> tuple[str, ...]:
        return tuple(self.insurers)

    def insurer(self, name: str) -> Insurer:
        return self.insurers.get(name) or Insurer(name=name)


@dataclass(frozen=True)
class Context:
    """What every rule needs besides the tables: the settings and the evaluation date."""

    settings: Settings
    as_of: dt.date

    @property
    def thresholds(self) -> Thresholds:
        return self.settings.thresholds


_SECTIONS = {"thresholds": Thresholds, "mail": MailSettings, "schedule": ScheduleSettings, "staff": StaffSettings,
             "limits": Limits}
_FILE_ONLY = ("limits",)  # not on the 设置 sheet: they apply before it is read
