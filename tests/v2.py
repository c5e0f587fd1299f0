"""The revision-2 sample store (../shared/samples/store-500-v2): the same store kept in two shapes,
one row per vehicle and period (`store.xlsx`) and one row per policy (`store_rows.xlsx`)."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

SAMPLES_V2 = SAMPLES.parent / "store-500-v2"
SHAPES = (("store.xlsx", "statement.xlsx"), ("store_rows.xlsx", "statement_rows.xlsx"))


def sample_v2(name: str) -> Path:
    path = SAMPLES_V2 / name
    if not path.exists():
        pytest.skip(f"revision-2 sample store not found at {SAMPLES_V2} (set INSURANCE_XL_SAMPLES)")
    return path


@cache
def expected_v2() -> dict:
    return json.loads(sample_v2("expected.json").read_text(encoding="utf-8"))


def kpi_part_of(got: dict, expected: dict) -> dict:
    """The keys of `kpi --json` the sample's answer holds (it predates keys added since, and its
    `staff` belongs to the staff command)."""
    part = {k: got[k] for k in expected if k not in ("counts", "staff")}
    part["counts"] = {k: got["counts"][k] for k in expected["counts"]}
    return part


def without_staff(expected: dict) -> dict:
    return {k: v for k, v in expected.items() if k != "staff"}
