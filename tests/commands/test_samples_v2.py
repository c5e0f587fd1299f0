"""The revision-2 sample store: `kpi`, `overdue`, `validate` and `reconcile` give the answers of
expected.json on both shapes — one row per vehicle and period, and one row per policy."""
from __future__ import annotations

import json

import pytest

from insurance_xl.cli import main

from tests.v2 import SHAPES, expected_v2, kpi_part_of, sample_v2


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


def twin(number: str) -> str:
    """A 交强险 number PZ… stands for its row, named by the P… number with the same digits (README)."""
    return "P" + number[2:] if number.startswith("PZ") else number


@pytest.mark.parametrize("store, statement", SHAPES)
def test_reconcile_is_the_samples_answer_on_both_shapes(capsys, store, statement):
    expected = expected_v2()["reconcile"]
    got = run_json(capsys, "reconcile", str(sample_v2(store)), "--month", expected["month"], "--insurer",
                   expected["insurer"], "--statement", str(sample_v2(statement)))
    differences = {twin(r["policy_no"]) for r in got["differences"]}
    assert differences == set(expected["differences"])
    assert {twin(r["policy_no"]) for r in got["only_ours"]} == set(expected["only_ours"])
    assert {twin(r["policy_no"]) for r in got["only_theirs"]} == set(expected["only_theirs"])
    # matched_exact counts rows of store.xlsx: vehicles all of whose rows matched
    assert len({twin(r["policy_no"]) for r in got["matched"]} - differences) == expected["matched_exact"]
    if store == "store.xlsx":
        assert len(got["matched"]) == expected["matched_exact"]
    assert got["totals"]["ours"]["commission"] == expected["ours_commission"]
    assert got["totals"]["theirs"]["commission"] == expected["theirs_commission"]


def test_a_row_holding_both_numbers_matches_the_insurers_two_lines(capsys):
    expected = expected_v2()["reconcile"]
    got = run_json(capsys, "reconcile", str(sample_v2("store_rows.xlsx")), "--month", expected["month"], "--insurer",
                   expected["insurer"], "--statement", str(sample_v2("statement_rows.xlsx")))
    both = [r for r in got["matched"] + got["differences"] if len(r["statement_rows"]) == 2]
    assert both, "the sample keeps some periods as one row with 交强险保单号 beside 保单号"
    for r in both:
        assert sorted(twin(n.strip().upper()) for n in r["policy_no_theirs"].split("、")) == [r["policy_no"]] * 2


@pytest.mark.parametrize("store", [s for s, _ in SHAPES])
def test_overdue_is_the_samples_answer_on_both_shapes(capsys, store):
    expected = expected_v2()
    got = run_json(capsys, "overdue", str(sample_v2(store)))
    key = ("claim_no", "due_date", "days_overdue", "outstanding")
    assert sorted(tuple(r[k] for k in key) for r in got["overdue"]) == \
        sorted(tuple(r[k] for k in key) for r in expected["overdue"])
    assert sorted(r["claim_no"] for r in got["returned"]) == sorted(expected["returned"])
    assert got["bands"] == expected["bands"]
    assert sorted((r["month"], r["insurer"], r["outstanding"]) for r in got["commission"]) == \
        sorted((r["month"], r["insurer"], r["outstanding"]) for r in expected["commission"])


def _errors(payload: dict) -> set[tuple[str, int]]:
    return {(f["sheet"], f["row"]) for f in payload["findings"] if f["severity"] == "error"}


@pytest.mark.parametrize("store", [s for s, _ in SHAPES])
def test_validate_finds_only_the_genuine_findings_in_the_clean_store_on_both_shapes(capsys, store):
    genuine = json.loads(sample_v2("genuine.json").read_text(encoding="utf-8"))
    got = run_json(capsys, "validate", str(sample_v2(store)))
    assert _errors(got) == {(g["sheet"], g["row"]) for g in genuine}


def test_both_shapes_give_the_same_findings_outside_the_policy_register(capsys):
    by_shape = [run_json(capsys, "validate", str(sample_v2(store))) for store, _ in SHAPES]
    rules = [sorted((f["sheet"], f["row"], f["rule"]) for f in p["findings"] if f["register"] != "policies")
             for p in by_shape]
    assert rules[0] == rules[1]
    assert [p["warnings"] for p in by_shape][0] == [p["warnings"] for p in by_shape][1]


def test_validate_finds_every_planted_error_at_its_row(capsys):
    injected = json.loads(sample_v2("injected.json").read_text(encoding="utf-8"))
    got = run_json(capsys, "validate", str(sample_v2("store_errors.xlsx")))
    errors = _errors(got)
    for plant in injected:
        assert (plant["sheet"], plant["row"]) in errors, plant
    duplicate = next(p for p in injected if "alt_row" in p)
    finding = next(f for f in got["findings"] if (f["sheet"], f["row"]) == (duplicate["sheet"], duplicate["row"]))
    assert finding["message"].count(str(duplicate["alt_row"])) == 1


def test_the_signed_detail_list_has_one_line_per_policy_number(tmp_path):
    import openpyxl

    expected = expected_v2()["reconcile"]
    out = tmp_path / "r.xlsx"
    assert main(["reconcile", str(sample_v2("store_rows.xlsx")), "--settings", str(sample_v2("settings.toml")),
                 "--as-of", expected_v2()["as_of"], "--month", expected["month"], "--insurer", expected["insurer"],
                 "--statement", str(sample_v2("statement_rows.xlsx")), "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["月度业务明细清单"]
    rows = [r for r in ws.iter_rows(min_row=5, values_only=True) if isinstance(r[0], int)]
    numbers = [r[1] for r in rows]
    assert len(numbers) == len(set(numbers))
    statement = openpyxl.load_workbook(sample_v2("statement_rows.xlsx")).active
    listed = {str(r[1]).strip().upper() for r in statement.iter_rows(min_row=5, values_only=True)
              if isinstance(r[0], int)}
    assert listed <= set(numbers)
    assert round(sum(r[8] or 0 for r in rows), 2) == round(expected["theirs_commission"] - expected["ours_commission"], 2)
