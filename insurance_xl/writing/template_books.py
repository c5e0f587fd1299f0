"""Blank register workbooks generated from registers.py (and the 设置 sheet from settings.py)."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from ..registers import DATA_REGISTERS, REGISTERS
from ..settings import documented_settings
from ..xlsx.save import save_workbook
from .sheet import write_frame, write_register, OutColumn, print_ready

TEMPLATE_ROWS = 1000  # formats and drop-downs prepared for this many rows


def template_workbook(register_keys: tuple[str, ...]) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    for key in register_keys:
        if key == "settings":
            write_settings_sheet(wb)
        else:
            write_register(wb, key, validation_rows=TEMPLATE_ROWS)
    return print_ready(wb)


def write_settings_sheet(wb: Workbook, values: dict[str, object] | None = None) -> None:
    """The 设置 sheet: one row per documented setting; an empty 值 keeps the default."""
    import pandas as pd

    values = values or {}
    rows = [{"key": key, "value": values.get(key), "note": f"{label}：{doc}（默认 {default!r}）"}
            for key, label, default, doc in documented_settings() if "[]" not in key and "NAME" not in key]
    for field in ("promised_days", "commission_rate_commercial", "commission_rate_compulsory", "contact"):
        key = f'insurers."示例保险公司".{field}'
        rows.append({"key": key, "value": values.get(key), "note": "把“示例保险公司”改成合作保险公司全称，每家一组"})
    reg = REGISTERS["settings"]
    ws = wb.create_sheet(reg.sheet)
    cols = [OutColumn(c.key, c.header, "@" if c.key != "value" else None, c.width) for c in reg.columns]
    write_frame(ws, pd.DataFrame(rows), cols, table_name="tbl_settings")


def write_templates(folder: str | Path) -> list[Path]:
    """One blank workbook per register, plus 门店台账模板.xlsx holding them all."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key in (*DATA_REGISTERS, "settings"):
        path = out / f"{REGISTERS[key].sheet}.xlsx"
        save_workbook(template_workbook((key,)), path, keep_backup=False)
        written.append(path)
    path = out / "门店台账模板.xlsx"
    save_workbook(template_workbook((*DATA_REGISTERS, "settings")), path, keep_backup=False)
    written.append(path)
    return written
