"""The office families of the corpus (tests/corpus.py `office`, issue 21) on store-500-v2: each gives
expected.json's KPIs exactly, or exits 1 naming the cell — never other figures with exit 0."""
import json

import pytest

from insurance_xl.cli import main

from tests.corpus import OFFICE_BAD, OFFICE_SAME, office
from tests.reading.test_real_office import V2, assert_expected_kpis


@pytest.fixture(scope="module")
def cases():
    if not (V2 / "store.xlsx").exists():
        pytest.skip(f"sample store not found at {V2}")
    return {case.family: case for case in office((V2 / "store.xlsx").read_bytes())}


@pytest.fixture(scope="module")
def expected():
    return json.loads((V2 / "expected.json").read_text(encoding="utf-8"))


def test_every_office_family_is_made(cases):
    assert set(cases) == {*OFFICE_SAME, *OFFICE_BAD}


@pytest.mark.parametrize("family", [*OFFICE_SAME, *OFFICE_BAD])
def test_office_family_gives_the_expected_figures_or_exit_1(family, cases, expected, tmp_path, capsys):
    path = tmp_path / cases[family].name
    path.write_bytes(cases[family].data)
    capsys.readouterr()
    code = main(["kpi", str(path), "--settings", str(V2 / "settings.toml"), "--as-of", expected["as_of"],
                 "--month", expected["kpi"]["month"], "--json"])
    out, err = capsys.readouterr()
    got = json.loads(out)
    if family in OFFICE_SAME:
        assert code == 0, err
        assert_expected_kpis(got, expected)
    else:
        assert code == 1 and got["data_errors"] == 1
        assert "保单起期" in err and ("#N/A" in err or "公式" in err)
