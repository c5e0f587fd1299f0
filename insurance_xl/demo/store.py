"""A realistic, deterministic sample store: the embedded default that `insurance-xl run` uses.

`demo_tables(seed, vehicles, as_of=...)` builds the nine data registers of a Subaru dealership's
insurance desk as typed tables, exactly as the reader returns them; the same seed and as-of give
the same store. `write_demo_store` writes them the way clerks keep their workbooks (see
demo/messy_workbook.py) together with a matching settings.toml. The store is clean under DOMAIN.md's
validation rules (no errors; a few realistic warnings such as an unsigned handover) and has
something to show for every command as of its date: overdue cases, calls due, last month's KPIs,
reconciliation, outstanding commission.

Generation is split by register family: demo_people (identities), demo_policies (vehicles, sales,
policies), demo_claims (claims side), demo_renewals (call log, commission settlements).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .claims import build_claims
from .shapes import shape_policies
from .policies import build_fleet
from .renewals import build_commission_settlements, build_contacts
from .messy_workbook import write_messy_workbook
from ..tables import empty_table
from ..registers import DATA_REGISTERS, REGISTERS, ROW, SHEET, WORKBOOK, Kind
from ..settings import Insurer, MailSettings, ScheduleSettings, Settings, load_settings
from ..xlsx.save import atomic_write

STORE_FILE, SETTINGS_FILE = "store.xlsx", "settings.toml"
# 太平洋产险's statement names its columns its own way and prefixes policy numbers (see demo_statements)
CPIC_STATEMENT = {"policy_no": "单证号", "commission": "结算手续费", "policy_prefix": "BD-"}
__all__ = ["demo_settings", "demo_tables", "write_demo_store", "write_messy_workbook", "settings_toml"]


def demo_settings() -> Settings:
    """The demo store: one own brand, three partner insurers with different terms (§2.3.1)."""
    insurers = (
        Insurer("人保财险", 45, 0.20, 0.04, "刘理算 010-65281234"),
        Insurer("平安产险", 20, 0.22, 0.04, "陈定损 010-84673321"),
        Insurer("太平洋产险", 30, 0.25, 0.03, "黄理赔 010-64395577", statement=dict(CPIC_STATEMENT)),
    )
    return Settings(
        store="斯巴鲁望京店",
        own_brands=["斯巴鲁"],
        insurers={i.name: i for i in insurers},
        mail=MailSettings(transport="outbox", outbox="out/outbox", sender="insurance@subaru-wangjing.example",
                          to=["supervisor@subaru-wangjing.example", "baoxianke@region.example"]),
        schedule=ScheduleSettings(day=3, time="08:00", store="out/demo-store/store.xlsx", out_dir="out"),
    )


def demo_tables(seed: int = 2026, vehicles: int = 1500, *, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """The nine data registers of the demo store as of `as_of`, typed like `read_store` returns them.

    `_workbook`, `_sheet` and `_row` say where write_demo_store puts each row (header on row 1–3,
    a few blank rows), so a written store reads back to exactly these tables.
    """
    if vehicles < 1:
        raise ValueError(f"a demo store needs at least one vehicle, not {vehicles}")
    as_of = pd.Timestamp(as_of).date()
    fleet_rng, claims_rng, follow_rng, layout_rng = (np.random.default_rng(s)
                                                     for s in np.random.SeedSequence(seed).spawn(4))
    settings = demo_settings()
    fleet = build_fleet(fleet_rng, settings, vehicles, as_of)
    own = fleet.vehicles[fleet.vehicles["kind"] == "own"].sort_values(["since", "vid"], kind="stable")
    raw: dict[str, pd.DataFrame] = {
        "sales": own.assign(sale_date=own["since"]),
        "policies": fleet.policies,
        **build_claims(claims_rng, fleet.vehicles, fleet.policies, settings, as_of),
        "contacts": build_contacts(follow_rng, fleet.policies, as_of),
        "commission_settlements": build_commission_settlements(follow_rng, fleet.policies, settings, as_of),
    }
    # both register shapes and a few cancellations, on a stream of its own (the draws above stay as they were)
    raw["policies"] = shape_policies(np.random.default_rng([seed, 15]), fleet.policies, settings, as_of)
    return {key: lay_out(typed_table(key, raw[key]), layout_rng) for key in DATA_REGISTERS}


def typed_table(key: str, frame: pd.DataFrame, workbook: str = STORE_FILE) -> pd.DataFrame:
    """The declared columns of `frame` with the reader's dtypes (other columns are dropped)."""
    table = empty_table(key, len(frame))
    for col in REGISTERS[key].columns:
        if col.key not in frame:
            continue
        values = frame[col.key].to_numpy()
        if col.kind is Kind.DATE:
            table[col.key] = pd.to_datetime(values).astype("datetime64[ns]")
        elif col.kind is Kind.MONEY:
            table[col.key] = pd.Series(values, dtype="float64").round(2)
        elif col.kind in (Kind.INT, Kind.YESNO):
            table[col.key] = pd.Series(values, dtype="object").astype(table[col.key].dtype)
        else:
            table[col.key] = pd.Series(values, dtype="object").astype("str")
    table[WORKBOOK] = workbook
    table[SHEET] = REGISTERS[key].sheet
    return table


def lay_out(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Give each row its Excel row: header on row 1, 2 or 3, and a few blank rows here and there."""
    n = len(table)
    header_row = int(rng.choice([1, 2, 3], p=[0.15, 0.45, 0.4]))
    gaps = np.zeros(n, dtype=np.int64)
    if n > 1:
        count = min(int(rng.integers(0, 3)) + n // 300, n - 1)
        gaps[rng.choice(np.arange(1, n), size=count, replace=False)] = 1
    table = table.copy()
    table[ROW] = header_row + 1 + np.arange(n, dtype=np.int64) + np.cumsum(gaps)
    return table


def write_demo_store(dir: str | Path, seed: int = 2026, vehicles: int = 1500,  # noqa: A002 - the CLI's name
                     *, as_of: dt.date) -> list[Path]:
    """Write store.xlsx (the nine registers, kept the way clerks keep them) and settings.toml.

    The store's history ends on `as_of` (the caller decides what today is).
    """
    folder = Path(dir)
    folder.mkdir(parents=True, exist_ok=True)
    settings = demo_settings()
    tables = demo_tables(seed, vehicles, as_of=as_of)
    store = write_messy_workbook(tables, folder / STORE_FILE, np.random.default_rng([seed, 1]), store=settings.store)
    toml = folder / SETTINGS_FILE
    atomic_write(toml, lambda tmp: tmp.write_text(settings_toml(settings), encoding="utf-8"),
                 verify=lambda tmp: load_settings(tmp))
    return [store, toml]


def settings_toml(settings: Settings) -> str:
    """Settings as a TOML file that `load_settings` reads back to the same Settings."""
    lines = [f"# {settings.store}：insurance-xl 设置（门店、本店品牌、合作保险公司、阈值、邮件、定时任务）",
             f"store = {_toml(settings.store)}", f"own_brands = {_toml(settings.own_brands)}", ""]
    for name, insurer in settings.insurers.items():
        lines.append(f"[insurers.{_toml(name)}]")
        lines += [f"{k} = {_toml(v)}" for k, v in _fields(insurer).items() if k != "name" and v != {}]
        lines.append("")
    for section in ("thresholds", "mail", "schedule"):
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml(v)}" for k, v in _fields(getattr(settings, section)).items()]
        lines.append("")
    return "\n".join(lines)


def _fields(obj: object) -> dict[str, object]:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}  # type: ignore[attr-defined]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")
