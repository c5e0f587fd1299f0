"""Two clerks import their call lists into the same store at the same moment: both lists land, none twice
(the read-modify-write of the store is locked between processes: xlsx.save.workbook_lock)."""
import datetime as dt
import multiprocessing
import shutil
import time

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.reading.store import read_store
from insurance_xl.services.calls_import import contact_keys
from insurance_xl.writing.call_list_book import SHEETS
from insurance_xl.xlsx.save import clean_stale_temps, workbook_lock

from tests.conftest import sample



@pytest.fixture(scope="module")
def two_lists(tmp_path_factory, sample_expected):
    """The call lists of two clerks, each with every row of its phone sheet filled in."""
    out = tmp_path_factory.mktemp("lists")
    as_of = sample_expected["as_of"]
    assert main(["calls", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")), "--as-of", as_of,
                 "--out", str(out / "lists")]) == 0
    day = dt.date.fromisoformat(as_of)
    lists = []
    for clerk in ("周敏", "郑洁"):
        path = next((out / "lists").glob(f"*{clerk}*.xlsx"))
        wb = load_workbook(path)
        filled = 0
        for name in SHEETS.values():
            ws = wb[name]
            headers = [c.value for c in ws[3]]
            for row in range(4, ws.max_row + 1):
                ws.cell(row=row, column=headers.index("联系日期") + 1, value=day)
                ws.cell(row=row, column=headers.index("结果") + 1, value="考虑中")
                filled += 1
        assert filled > 0
        wb.save(path)
        lists.append(path)
    return lists


def _import(path, store, start):
    start.wait()
    raise SystemExit(main(["calls", "import", str(path), "--into", str(store), "--json"]))


@pytest.mark.parametrize("trials", [3, pytest.param(20, marks=pytest.mark.slow)])
def test_two_imports_started_together_both_land_none_twice(two_lists, tmp_path, capfd, trials):
    fork = multiprocessing.get_context("fork")
    wanted = None
    for trial in range(trials):
        store = tmp_path / f"t{trial}" / "store.xlsx"
        store.parent.mkdir()
        shutil.copy(sample("store.xlsx"), store)
        before = len(read_store(store)["contacts"])
        start = fork.Event()
        runs = [fork.Process(target=_import, args=(path, store, start)) for path in two_lists]
        for run in runs:
            run.start()
        start.set()
        for run in runs:
            run.join(120)
        assert [run.exitcode for run in runs] == [0, 0]
        contacts = read_store(store)["contacts"]
        keys = contact_keys(contacts)
        assert not keys.duplicated().any()
        if wanted is None:
            wanted = len(contacts) - before
            assert wanted > 0
        assert len(contacts) - before == wanted, f"trial {trial}: contacts lost"
    capfd.readouterr()


def test_the_lock_is_exclusive_between_processes_and_reentrant(tmp_path):
    book = tmp_path / "store.xlsx"
    book.write_bytes(b"")
    fork = multiprocessing.get_context("fork")
    with workbook_lock(book):
        with workbook_lock(book):  # the same thread again: no deadlock
            pass
        waiter = fork.Process(target=_hold, args=(book, 0.2))
        started = time.monotonic()
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive()  # waiting for us
    waiter.join(10)
    assert waiter.exitcode == 0 and time.monotonic() - started >= 0.5


def _hold(book, seconds):
    with workbook_lock(book):
        time.sleep(seconds)


def test_temp_files_left_by_a_killed_write_are_cleaned(tmp_path):
    book = tmp_path / "store.xlsx"
    old = tmp_path / ".store.abc123.tmp.xlsx"
    fresh = tmp_path / ".store.def456.tmp.xlsx"
    other = tmp_path / ".other.abc123.tmp.xlsx"
    for path in (old, fresh, other):
        path.write_bytes(b"x")
    long_ago = time.time() - 3600
    import os
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    assert clean_stale_temps(book) == [old]
    assert fresh.exists() and other.exists() and not old.exists()
