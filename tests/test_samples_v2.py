"""The revision-2 sample store: `kpi`, `overdue`, `validate` and `reconcile` give the answers of
expected.json on both shapes — one row per vehicle and period, and one row per policy."""
from __future__ import annotations

import json

import pytest

from insurance_xl.cli import main

from .v2 import SHAPES, expected_v2, kpi_part_of, sample_v2


def run_json(capsys, *args: str) -> dict:
    code = main([*args, "--settings", str(sample_v2("settings.toml")), "--as-of", expected_v2()["as_of"], "--json"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    return json.loads(out)


@pytest.mark.parametrize("store", [s for s, _ in SHAPES])
def test_kpi_is_the_samples_answer_on_both_shapes(capsys, store):
    expected = expected_v2()["kpi"]
    got = run_json(capsys, "kpi", str(sample_v2(store)), "--month", expected["month"])
    assert kpi_part_of(got, expected) == {k: v for k, v in expected.items() if k != "staff"}
    assert got["counts"]["gone"] == 0 and got["refund_premium"] == got["refund_commission"] == 0.0
