"""The clerk-style writer (insurance_xl.demo.messy_workbook) against openpyxl's write-only mode.

Both write the store's policy register, same rows and columns, into a fresh workbook: ours in
messy forms (text dates, ¥ amounts, title rows, 合计 row), openpyxl the plain typed values. The
figure is a ratio measured in the same process, a moment apart (bench/common.py).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from insurance_xl.demo.messy_workbook import write_messy_workbook
from insurance_xl.registers import REGISTERS
from insurance_xl.xlsx.texts import python_value

from .common import BenchStore, timed


def run(store: BenchStore) -> list[str]:
    table = store.registers["policies"]
    keys = list(REGISTERS["policies"].keys)
    with tempfile.TemporaryDirectory() as tmp:
        ours, _ = timed(lambda: write_messy_workbook({"policies": table}, Path(tmp) / "ours.xlsx",
                                                     np.random.default_rng(0)))
        base, _ = timed(lambda: _openpyxl_write_only(table[keys], Path(tmp) / "openpyxl.xlsx"))
    return [f"demo writer, {len(table):,} policy rows: {ours / base:.2f}× openpyxl write-only "
            f"({ours:.2f} s vs {base:.2f} s)"]


def _openpyxl_write_only(frame, path: Path) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(REGISTERS["policies"].sheet)
    ws.append([REGISTERS["policies"].column(k).header for k in frame.columns])
    for row in frame.itertuples(index=False):
        ws.append([python_value(v) for v in row])
    wb.save(path)
