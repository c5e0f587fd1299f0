"""`insurance-xl run` end to end: the whole job on a small demo store, every result where it belongs."""
import datetime as dt

from insurance_xl.cli import main
from insurance_xl.core.months import previous_month
from insurance_xl.reading.store import read_store
from insurance_xl.xlsx.properties import output_kind
from insurance_xl.registers import DATA_REGISTERS, REGISTERS


def test_run_builds_the_demo_store_and_writes_every_result_to_out(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--out-dir", str(out), "--vehicles", "300"]) == 0
    printed = capsys.readouterr().out
    for key in DATA_REGISTERS:  # one line per register, each found
        assert REGISTERS[key].sheet in printed
    assert "未找到" not in printed
    month = previous_month(dt.date.today())
    assert output_kind(out / "validated-store.xlsx") == "validated"
    assert [output_kind(p) for p in out.glob("催款清单-*.xlsx")] == ["overdue-list"]
    assert [output_kind(p) for p in out.glob("案件跟踪-*.xlsx")] == ["cases"]
    lists = list(out.glob("续保提醒-*.xlsx"))
    assert lists and {output_kind(p) for p in lists} == {"call-list"}
    reports = list(out.glob(f"保险业务月报-*-{month}.xlsx"))
    assert [output_kind(p) for p in reports] == ["report"]
    assert len(list(out.glob(f"对账-*-{month}.xlsx"))) == 3  # one reconciliation per partner insurer
    assert len(list((out / "outbox").glob("*.eml"))) >= 1
    # the results never pollute the store: reading out/ as a folder finds only the demo store's registers
    folder = read_store(out)
    assert {lay.workbook for lay in folder.layouts} == {"demo-store/store.xlsx"}
