"""The cache of parsed registers (issue 19): same registers as a fresh parse, keyed on the bytes,
ignored when damaged or foreign, bounded, bypassed by --no-cache, in the user's cache folder; and the
reading limits as settings."""
import json
import os
import shutil

import openpyxl
import pandas as pd
import pytest

from insurance_xl.cli import main
from insurance_xl.errors import WorkbookUnreadable
from insurance_xl.reading import cache, store
from insurance_xl.reading.store import read_store
from insurance_xl.settings import Limits
from insurance_xl.xlsx import safety

from tests.conftest import sample


@pytest.fixture()
def cache_root(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("INSURANCE_XL_CACHE_DIR", str(root))
    cache.set_enabled(True)
    return root


@pytest.fixture()
def workbook(tmp_path):
    path = tmp_path / "store" / "store.xlsx"
    path.parent.mkdir()
    shutil.copy(sample("store_errors.xlsx"), path)
    return path


def _same(a, b) -> None:
    for key in a.tables:
        pd.testing.assert_frame_equal(a.tables[key], b.tables[key], check_exact=True)
        pd.testing.assert_frame_equal(a.extras[key], b.extras[key], check_exact=True)
    assert (a.findings, a.layouts, a.unrecognised, a.source) == (b.findings, b.layouts, b.unrecognised, b.source)


def _no_parsing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("parsed again")
    monkeypatch.setattr(store, "read_workbook", refuse)


def test_a_second_read_gives_the_same_registers_without_parsing(cache_root, workbook, monkeypatch):
    first = read_store(workbook)
    assert len(list(cache_root.iterdir())) == 1
    assert not any(p.name != "store.xlsx" for p in workbook.parent.iterdir())  # nothing beside the clerk's file
    _no_parsing(monkeypatch)
    _same(first, read_store(workbook))
    _same(read_store(workbook.parent), read_store(workbook.parent))  # a folder: each workbook by its bytes


def test_any_change_to_the_bytes_reads_the_workbook_again(cache_root, workbook):
    before = read_store(workbook)
    wb = openpyxl.load_workbook(workbook)
    ws = wb["客户出险统计表"]
    ws.cell(row=ws.max_row + 1, column=1, value="BA-NEW")
    wb.save(workbook)
    after = read_store(workbook)
    assert len(after["claims"]) == len(before["claims"]) + 1
    assert len(list(cache_root.iterdir())) == 2


@pytest.mark.parametrize("damage", ["meta", "table", "truncate", "foreign"])
def test_a_damaged_or_foreign_entry_is_ignored_and_replaced(cache_root, workbook, tmp_path, damage):
    fresh = read_store(workbook)
    (entry,) = cache_root.iterdir()
    if damage == "meta":
        (entry / "meta.json").write_text("{not json", encoding="utf-8")
    elif damage == "table":
        (entry / "0.table.arrow").write_bytes(b"ARROW1 but not really")
    elif damage == "truncate":
        data = (entry / "0.table.arrow").read_bytes()
        (entry / "0.table.arrow").write_bytes(data[: len(data) // 2])
    else:  # another workbook's entry under this key
        other = tmp_path / "other.xlsx"
        shutil.copy(sample("store.xlsx"), other)
        read_store(other)
        (foreign,) = [e for e in cache_root.iterdir() if e != entry]
        shutil.rmtree(entry)
        shutil.copytree(foreign, entry)
    _same(fresh, read_store(workbook))
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    assert meta["key"] == entry.name  # written afresh


def test_the_cache_is_bounded_oldest_used_first(cache_root, tmp_path, monkeypatch):
    paths = []
    for i in range(3):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "客户出险统计表"
        ws.append(["报案号", "报案日期", "车牌号"])
        for j in range(200):
            ws.append([f"BA{i}-{j}", "2026-10-01", f"京A{j}"])
        paths.append(tmp_path / f"s{i}.xlsx")
        wb.save(paths[-1])
    read_store(paths[0])
    (one,) = cache_root.iterdir()
    size = sum(f.stat().st_size for f in one.iterdir())
    monkeypatch.setenv("INSURANCE_XL_CACHE_MB", str(2.5 * size / 1024 / 1024))
    read_store(paths[1])
    os.utime(one, (1, 1))  # the first is the oldest used
    read_store(paths[2])
    left = list(cache_root.iterdir())
    assert len(left) == 2 and one not in left


def test_no_cache_on_the_command_line_and_in_the_environment(cache_root, workbook, monkeypatch, capsys):
    assert main(["kpi", str(workbook), "--month", "2026-10", "--json", "--no-cache"]) in (0, 1)
    assert not cache_root.exists() or not list(cache_root.iterdir())
    monkeypatch.setenv("INSURANCE_XL_NO_CACHE", "1")
    assert main(["kpi", str(workbook), "--month", "2026-10", "--json"]) in (0, 1)
    assert not cache_root.exists() or not list(cache_root.iterdir())
    monkeypatch.delenv("INSURANCE_XL_NO_CACHE")
    assert main(["kpi", str(workbook), "--month", "2026-10", "--json"]) in (0, 1)
    assert len(list(cache_root.iterdir())) == 1
    capsys.readouterr()


def test_the_cache_lives_in_the_users_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("INSURANCE_XL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "insurance-xl" / "registers"
    monkeypatch.setenv("INSURANCE_XL_CACHE_DIR", str(tmp_path / "own"))
    assert cache.cache_dir() == tmp_path / "own"


def test_limits_are_settings_and_the_refusal_names_the_setting(cache_root, workbook, tmp_path, capsys):
    size_mb = workbook.stat().st_size / 1024 / 1024
    try:
        safety.configure(Limits(file_mb=0))
        with pytest.raises(WorkbookUnreadable, match=r"\[limits\].*file_mb"):
            read_store(workbook)
        safety.configure(Limits(file_mb=int(size_mb) + 1))
        assert len(read_store(workbook)["claims"])
    finally:
        safety.configure(Limits())
    settings = tmp_path / "settings.toml"
    settings.write_text("[limits]\nentries = 3\n", encoding="utf-8")
    assert main(["kpi", str(workbook), "--month", "2026-10", "--settings", str(settings), "--json"]) == 2
    err = capsys.readouterr().err
    assert "[limits]" in err and "entries" in err
    settings.write_text("[limits]\nentries = 5000\nfile_mb = 200\n", encoding="utf-8")
    assert main(["kpi", str(workbook), "--month", "2026-10", "--settings", str(settings), "--json"]) in (0, 1)
    assert safety.active_limits() == Limits(entries=5000, file_mb=200)
    assert main(["kpi", str(workbook), "--month", "2026-10", "--json"]) in (0, 1)
    assert safety.active_limits() == Limits()  # each run takes its own settings file's limits
