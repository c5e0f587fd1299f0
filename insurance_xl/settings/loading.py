"""Settings as a store gives them: defaults ← TOML file ← the workbook's 设置 sheet (the sheet wins).
Unknown keys and wrong types are errors naming the file, or the 设置 sheet's row."""
from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SettingsError
from .sections import (Insurer, Limits, MailSettings, RegionSettings, RegionStore, Settings, Target, _FILE_ONLY, _SECTIONS)


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
        elif f.name == "targets":
            values[f.name] = _targets(raw, source)
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


def _targets(raw: Any, source: str) -> dict[str, Target]:
    """[targets."周敏"] renewed = 8 …, or the 设置 sheet's 目标 rows (目标.周敏.续保目标 = 8)."""
    if not isinstance(raw, Mapping):
        raise SettingsError(source, "targets", "应为表 [targets.\"出单员\"]")
    labels = {f.metadata["label"]: f.name for f in dataclasses.fields(Target)}
    out = {}
    for name, body in raw.items():
        if not isinstance(body, Mapping):
            raise SettingsError(source, f"targets.{name}", "应为表（续保目标、首保目标、手续费目标）")
        body = {labels.get(str(k).strip(), k): v for k, v in body.items()}
        target = _build(Target, {**body, "name": str(name).strip()}, source, f"targets.{name}")
        out[target.name] = target
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
        if len(parts) > 1 and parts[0] in labels:  # 目标.周敏.续保目标: a table named by its label
            parts = [*_split_key(labels[parts[0]]), *parts[1:]]
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
        if f.name in _FILE_ONLY:
            continue
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


def file_limits(toml_path: str | Path | None) -> Limits:
    """The [limits] of a settings file (the defaults without one), before any workbook is read."""
    data = load_toml(toml_path) if toml_path else {}
    return _build(Limits, data["limits"], str(toml_path), "limits") if "limits" in data else Limits()


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
        if f.name in _FILE_ONLY:
            continue
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
        elif f.name == "targets":
            for sub in dataclasses.fields(Target):
                if sub.name != "name":
                    rows.append((f'targets."NAME".{sub.name}', sub.metadata["label"], _default(sub),
                                 sub.metadata["doc"]))
        else:
            rows.append((f.name, f.metadata["label"], _default(f), f.metadata["doc"]))
    return rows


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else None
