"""Settings: defaults ← TOML file ← the workbook's 设置 sheet (the sheet wins).

Every setting is declared once below, as a dataclass field with its default, a Chinese label and
a one-line doc: the parser, the 设置 sheet of templates and the README table all come from it.
Numbers marked *(config)* in DOMAIN.md live in [thresholds].
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import SettingsError


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
    sms_days: int = _s(45, "短信提醒提前天数", "SMS reminders start this many days before policy_end (§4.5.3)")
    sms_every_days: int = _s(14, "短信间隔天数", "another SMS when the last one is this many days old")
    call_days: int = _s(30, "电话提醒提前天数", "calls with a quote start this many days before policy_end")
    call_every_days: int = _s(15, "电话间隔天数", "another call when the last one is this many days old")
    contact_window_days: int = _s(90, "跟进记录回看天数", "contacts dated on/after policy_end minus this count")
    first_insurance_days: int = _s(14, "首保跟进天数", "首保跟进: own-brand cars sold this many days ago or "
                                   "less with no 本店 新保 policy yet")
    payment_days: int = _s(30, "回款期限天数", "a handed-over case is due after min(this, the insurer's promise)")
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
class Settings:
    store: str = _s("本店", "门店名称", "store name on reports and e-mails")
    own_brands: list = _s([], "本店品牌", "own brand(s): first-insurance, renewal and churn count only these")
    insurers: dict = _s({}, "合作保险公司", "[insurers.\"NAME\"] tables: the store's partner insurers")
    thresholds: Thresholds = field(default_factory=Thresholds, metadata={"label": "阈值", "doc": ""})
    mail: MailSettings = field(default_factory=MailSettings, metadata={"label": "邮件", "doc": ""})
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings, metadata={"label": "定时任务", "doc": ""})
    region: RegionSettings = field(default_factory=RegionSettings, metadata={"label": "区域", "doc": ""})

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


_SECTIONS = {"thresholds": Thresholds, "mail": MailSettings, "schedule": ScheduleSettings}


def settings_from_mapping(data: Mapping[str, Any], source: str = "settings") -> Settings:
    """Settings from a nested mapping as TOML gives it; unknown keys and wrong types are errors."""
    data = dict(data)
    known = {f.name for f in dataclasses.fields(Settings)}
    if "from" in data.get("mail", {}):
        data["mail"] = {("sender" if k == "from" else k): v for k, v in data["mail"].items()}
    for key in data:
        if key not in known:
            raise SettingsError(source, key, "未知的设置项")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        if f.name not in data:
            continue
        raw = data[f.name]
        if f.name in _SECTIONS:
            values[f.name] = _build(_SECTIONS[f.name], raw, source, f.name)
        elif f.name == "insurers":
            values[f.name] = _insurers(raw, source)
        elif f.name == "region":
            values[f.name] = _region(raw, source)
        else:
            values[f.name] = _coerce(raw, f.type, source, f.name)
    return Settings(**values)


def _insurers(raw: Any, source: str) -> dict[str, Insurer]:
    if not isinstance(raw, Mapping):
        raise SettingsError(source, "insurers", "应为表 [insurers.\"保险公司名\"]")
    out = {}
    for name, body in raw.items():
        insurer = _build(Insurer, {**(body or {}), "name": str(name).strip()}, source, f"insurers.{name}")
        if insurer.promised_days <= 0:
            raise SettingsError(source, f"insurers.{name}.promised_days", "应为正整数")
        out[insurer.name] = insurer
    return out


def _region(raw: Any, source: str) -> RegionSettings:
    if not isinstance(raw, Mapping):
        raise SettingsError(source, "region", "应为表 [region]")
    body = dict(raw)
    stores = body.pop("stores", [])
    if not isinstance(stores, list):
        raise SettingsError(source, "region.stores", "应为 [[region.stores]] 表数组")
    region = _build(RegionSettings, body, source, "region")
    built = []
    for i, store in enumerate(stores):
        item = _build(RegionStore, store, source, f"region.stores[{i}]")
        received = {}
        for month, day in item.received.items():
            received[str(month)] = _coerce(day, dt.date, source, f"region.stores[{i}].received.{month}")
        built.append(dataclasses.replace(item, received=received))
    return dataclasses.replace(region, stores=built)


_CREDENTIALS = {"user", "username", "password", "passwd"}


def _build(cls: type, raw: Any, source: str, prefix: str) -> Any:
    if not isinstance(raw, Mapping):
        raise SettingsError(source, prefix, "应为一个表（[...] 段）")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        if cls is MailSettings and key in _CREDENTIALS:  # the file and the 设置 sheet travel with the workbook
            raise SettingsError(source, f"{prefix}.{key}", "用户名和密码不写在设置里：请放进环境变量，"
                                                          "并在 mail.user_env / mail.password_env 写变量名")
        if key not in fields:
            raise SettingsError(source, f"{prefix}.{key}", "未知的设置项")
        values[key] = _coerce(value, fields[key].type, source, f"{prefix}.{key}")
    return cls(**values)


_TYPES = {"int": int, "float": float, "str": str, "list": list, "dict": dict, "dt.date": dt.date}


def _coerce(value: Any, annotation: Any, source: str, key: str) -> Any:
    kind = _TYPES.get(annotation, annotation) if isinstance(annotation, str) else annotation
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    try:
        if kind is bool:
            return _to_bool(value)
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(str(value).strip())
        if kind is float:
            if isinstance(value, bool):
                raise ValueError
            return float(str(value).strip().rstrip("%")) / (100 if str(value).strip().endswith("%") else 1)
        if kind is str:
            if isinstance(value, (dict, list)):
                raise ValueError
            return str(value).strip()
        if kind is list:
            if isinstance(value, str):
                return [p.strip() for p in value.replace("，", ",").replace("、", ",").split(",") if p.strip()]
            if not isinstance(value, (list, tuple)):
                raise ValueError
            return list(value)
        if kind is dict:
            if not isinstance(value, Mapping):
                raise ValueError
            return dict(value)
        if kind is dt.date:
            if isinstance(value, dt.datetime):
                return value.date()
            if isinstance(value, dt.date):
                return value
            return dt.date.fromisoformat(str(value).strip())
    except (ValueError, TypeError):
        pass
    else:
        return value
    names = {int: "整数", float: "数字", str: "文本", list: "列表", dict: "表", dt.date: "日期 YYYY-MM-DD"}
    raise SettingsError(source, key, f"应为{names.get(kind, kind)}，实际为 {value!r}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "是", "1", "yes", "y"}:
        return True
    if text in {"false", "否", "0", "no", "n"}:
        return False
    raise ValueError(value)


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a settings TOML file; a syntax error names the file and line."""
    file = Path(path)
    try:
        with file.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise SettingsError(file, "-", "设置文件不存在") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(file, "-", f"TOML 格式错误：{exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(file, "-", f"无法读取：{exc}") from None


def sheet_mapping(rows: Any, source: str = "设置") -> dict[str, Any]:
    """The 设置 sheet (设置项 | 值 rows) as a nested mapping: 'thresholds.grace_days' → 30.

    A 设置项 may be the dotted key or a field's Chinese label ('流失宽限天数'); empty values are
    left to the file or the default.
    """
    labels = label_index()
    nested: dict[str, Any] = {}
    for key, value, row in rows:
        if _blank(key) or _blank(value):
            continue
        path = labels.get(str(key).strip(), str(key).strip())
        parts = _split_key(path)
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SettingsError(f"{source} 第{row}行", path, "与其他设置项冲突")
        node[parts[-1]] = value
    return nested


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or str(value).strip() == ""


def _split_key(path: str) -> list[str]:
    """'insurers."人保财险".promised_days' and 'insurers.人保财险.promised_days' alike."""
    parts, current, quoted = [], "", False
    for ch in path:
        if ch == '"':
            quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def label_index() -> dict[str, str]:
    """Chinese label → dotted key, for the plain (non-insurer) settings."""
    index = {}
    for f in dataclasses.fields(Settings):
        if f.name in _SECTIONS:
            for sub in dataclasses.fields(_SECTIONS[f.name]):
                index[sub.metadata["label"]] = f"{f.name}.{sub.name}"
        elif f.name not in ("insurers", "region"):
            index[f.metadata["label"]] = f.name
    return index


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def store_settings(registers: Any, settings_file: str | Path | None = None) -> Settings:
    """A store's settings: defaults ← the TOML file (if any) ← the store's 设置 sheet (the sheet wins).
    `registers` is the store's `tables.Registers`; the CLI, the scheduler and the buttons all come here."""
    table = registers["settings"]
    rows = list(zip(table["key"], table["value"], table["_row"])) if len(table) else None
    return load_settings(settings_file, rows)


def load_settings(toml_path: str | Path | None = None, sheet_rows: Any = None) -> Settings:
    """defaults ← TOML file ← 设置 sheet rows ((key, value, excel_row) triples)."""
    data: dict[str, Any] = load_toml(toml_path) if toml_path else {}
    source = str(toml_path) if toml_path else "设置"
    sheet_keys: dict[str, int] = {}
    if sheet_rows is not None:
        sheet_rows = list(sheet_rows)
        data = deep_merge(data, sheet_mapping(sheet_rows))
        source = f"{source} + 设置工作表" if toml_path else "设置工作表"
        labels = label_index()
        sheet_keys = {labels.get(str(k).strip(), str(k).strip()): row for k, v, row in sheet_rows
                      if not _blank(k) and not _blank(v)}
    try:
        return settings_from_mapping(data, source)
    except SettingsError as exc:  # a value typed on the 设置 sheet: name its row, as for any cell
        row = sheet_keys.get(exc.key)
        if row is None:
            raise
        raise SettingsError(f"设置工作表 第{row}行", exc.key, exc.problem) from None


def documented_settings() -> list[tuple[str, str, Any, str]]:
    """(dotted key, Chinese label, default, doc) for README and the template 设置 sheet."""
    rows = []
    for f in dataclasses.fields(Settings):
        if f.name in _SECTIONS:
            for sub in dataclasses.fields(_SECTIONS[f.name]):
                rows.append((f"{f.name}.{sub.name}", sub.metadata["label"], _default(sub), sub.metadata["doc"]))
        elif f.name == "insurers":
            for sub in dataclasses.fields(Insurer):
                if sub.name != "name":
                    rows.append((f'insurers."NAME".{sub.name}', sub.metadata["label"], _default(sub),
                                 sub.metadata["doc"]))
        elif f.name == "region":
            for sub in dataclasses.fields(RegionSettings):
                rows.append((f"region.{sub.name}", sub.metadata["label"], _default(sub), sub.metadata["doc"]))
            for sub in dataclasses.fields(RegionStore):
                rows.append((f"region.stores[].{sub.name}", sub.metadata["label"], _default(sub),
                             sub.metadata["doc"]))
        else:
            rows.append((f.name, f.metadata["label"], _default(f), f.metadata["doc"]))
    return rows


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else None
