"""Shared test helpers: the sample store of ../shared/samples and tiny workbooks built inline."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
_SAMPLE_DIRS = [Path(os.environ["INSURANCE_XL_SAMPLES"])] if os.environ.get("INSURANCE_XL_SAMPLES") else []
_SAMPLE_DIRS += [ROOT.parent / "shared" / "samples", Path("/work/shared/samples")]
SAMPLES = next((d for d in _SAMPLE_DIRS if (d / "store-500").is_dir()), _SAMPLE_DIRS[0]) / "store-500"


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"sample store not found at {SAMPLES} (set INSURANCE_XL_SAMPLES)")
    return path


@pytest.fixture(scope="session")
def sample_expected() -> dict:
    return json.loads(sample("expected.json").read_text(encoding="utf-8"))


def make_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook whose sheets hold exactly the given rows (row 1 first)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path
