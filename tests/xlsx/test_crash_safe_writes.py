"""A writer killed at any moment (calls import, validate --out, a save_workbook) leaves the clerk's workbook byte for byte as it was, or complete and
readable with its backup beside it (ARCHITECTURE.md "Files we touch"; issue 10).

Writers run in child processes forked from a server that has already imported insurance_xl, so a
kill costs a fraction of a second. Two kinds of kill:
- precise: the child kills itself (SIGKILL) just before or just after each os.fsync, os.replace and
  temp-file creation of the write, found by counting those calls in an uninterrupted run first;
- timed: the parent kills the child after a random delay spread over the write's duration.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import shutil
import signal
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openpyxl import Workbook

from insurance_xl.errors import WorkbookLocked
from insurance_xl.reading.store import read_store
from insurance_xl.xlsx.save import BACKUP_DIR, atomic_write, save_workbook
from insurance_xl.writing.sheet import write_register

from tests.conftest import sample

PATCHED = ("fsync", "replace", "mkstemp")
_ctx = multiprocessing.get_context("forkserver")
_ctx.set_forkserver_preload(["insurance_xl.cli", "insurance_xl.services.calls_import", "insurance_xl.writing.append", "insurance_xl.xlsx.save",
                             "insurance_xl.core.validation.validate",
                             "insurance_xl.reading.store", "openpyxl", "pandas", "fastexcel"])


def _child(conn, job: str, folder: str, kill_at: tuple[str, int, str] | None) -> None:
    """Run one write; with `kill_at` (function, nth call, before|after) die by SIGKILL there.
    Reports the count of each patched call when it finishes."""
    calls: Counter = Counter()
    ready = time.perf_counter()
    first: list[float] = []

    def patched(name, original):
        def call(*args, **kwargs):
            calls[name] += 1
            if not first:
                first.append(time.perf_counter() - ready)
            if kill_at and kill_at[:2] == (name, calls[name]) and kill_at[2] == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = original(*args, **kwargs)
            if kill_at and kill_at[:2] == (name, calls[name]) and kill_at[2] == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return call

    os.fsync = patched("fsync", os.fsync)
    os.replace = patched("replace", os.replace)
    tempfile.mkstemp = patched("mkstemp", tempfile.mkstemp)
    conn.send("ready")
    code = JOBS[job](Path(folder))
    conn.send((code, dict(calls), first[0] if first else None))


def _calls_import(folder: Path) -> int:
    from insurance_xl.cli import main

    return main(["calls", "import", str(folder / "filled.xlsx"), "--into", str(folder / "store.xlsx")])


def _save_workbook(folder: Path) -> int:
    """A real workbook write through write.save_workbook: the store's registers, rewritten."""
    registers = read_store(folder / "source.xlsx")
    wb = Workbook()
    wb.remove(wb.active)
    for key in ("policies", "claims", "contacts"):
        write_register(wb, key, registers[key], validation_rows=0)
    save_workbook(wb, folder / "store.xlsx")
    return 0


def _validate_out(folder: Path) -> int:
    """validate --out over an earlier validated copy (here: the store bytes stand for it)."""
    from insurance_xl.cli import main

    return main(["validate", str(folder / "source.xlsx"), "--out", str(folder / "store.xlsx"), "--as-of", "2026-11-24"])


JOBS = {"calls import": _calls_import, "save_workbook": _save_workbook, "validate --out": _validate_out}


def _run(job: str, folder: Path, kill_at=None, delay: float | None = None):
    """('done', (exit code, call counts)) or ('killed', None)."""
    parent, child = _ctx.Pipe()
    process = _ctx.Process(target=_child, args=(child, job, str(folder), kill_at))
    process.start()
    child.close()
    assert parent.poll(60) and parent.recv() == "ready"
    if delay is not None:
        time.sleep(delay)
        try:
            os.kill(process.pid, signal.SIGKILL)
        except ProcessLookupError:  # it finished first
            pass
    process.join(120)
    assert process.exitcode is not None, "writer hung"
    if process.exitcode == -signal.SIGKILL:
        return "killed", None
    return "done", parent.recv()


@pytest.fixture(scope="module")
def filled_list(tmp_path_factory) -> Path:
    """A call list of the sample store with a few contacts filled in, as a clerk returns it."""
    from openpyxl import load_workbook

    from insurance_xl.cli import main
    from insurance_xl.registers import OUTCOMES

    out = tmp_path_factory.mktemp("lists")
    assert main(["calls", str(sample("store.xlsx")), "--settings", str(sample("settings.toml")), "--as-of", "2026-11-24",
                 "--out", str(out)]) == 0
    path = max(out.glob("*.xlsx"), key=lambda p: p.stat().st_size)
    wb = load_workbook(path)
    for ws in wb.worksheets:
        headers = [c.value for c in ws[3]]
        for row in range(4, min(ws.max_row, 8) + 1):
            ws.cell(row=row, column=headers.index("结果") + 1, value=OUTCOMES[0])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def store_bytes() -> bytes:
    """The sample store cut to its first rows: the same workbook shape, written in a fraction of the time."""
    from tests.corpus import trimmed

    return trimmed(sample("store.xlsx").read_bytes(), 60)


def _folder(root: Path, n: int, filled: Path, store: bytes) -> Path:
    folder = root / f"run{n:03d}"
    folder.mkdir()
    (folder / "store.xlsx").write_bytes(store)
    (folder / "source.xlsx").write_bytes(store)
    shutil.copy(filled, folder / "filled.xlsx")
    return folder


def _judge(folder: Path, old: bytes, expect_rows: dict[str, int]) -> str:
    """'old' (untouched), 'new' (complete, readable, with the old file backed up) or 'corrupt: …'."""
    data = (folder / "store.xlsx").read_bytes()
    if data == old:
        return "old"
    backups = list((folder / BACKUP_DIR).glob("store.*.xlsx"))
    if not any(b.read_bytes() == old for b in backups):
        return "corrupt: changed without a backup of the old file"
    try:
        registers = read_store(folder / "store.xlsx")
    except Exception as exc:  # noqa: BLE001  any failure to read is what we are looking for
        return f"corrupt: {exc}"
    got = {key: len(registers[key]) for key in expect_rows}
    return "new" if got == expect_rows else f"corrupt: rows {got}, expected {expect_rows}"


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("job,timed", [("calls import", 40), ("validate --out", 38), ("save_workbook", 12)])
def test_a_writer_killed_anywhere_leaves_the_old_workbook_or_the_complete_new_one(job, timed, tmp_path, filled_list,
                                                                                   store_bytes):
    old = store_bytes
    clean = _folder(tmp_path, 0, filled_list, old)
    start = time.perf_counter()
    status, (code, counts, writing_from) = _run(job, clean)
    duration = time.perf_counter() - start
    assert status == "done" and code in (0, 1), code  # validate exits 1 when the data has errors
    expect = {key: len(read_store(clean / "store.xlsx")[key]) for key in ("policies", "claims", "contacts")}
    assert _judge(clean, old, expect) == "new"
    assert counts.get("replace") and counts.get("fsync") and counts.get("mkstemp"), counts

    points = [(name, nth, when) for name in PATCHED for nth in range(1, counts.get(name, 0) + 1) for when in ("before", "after")]
    rng = random.Random(f"{job}-kills")
    # timed kills spread from just before the first write step (the backup) to past the end
    delays = [rng.uniform(writing_from * 0.8, duration * 1.05) for _ in range(timed)]
    kills_to_make = [("at", p) for p in points] + [("after", d) for d in delays]

    def kill_once(n_kill) -> str:
        n, kill = n_kill
        folder = _folder(tmp_path, n, filled_list, old)
        if kill[0] == "at":
            _run(job, folder, kill_at=kill[1])
        else:
            _run(job, folder, delay=kill[1])
        verdict = _judge(folder, old, expect)
        shutil.rmtree(folder)
        return verdict

    with ThreadPoolExecutor(max_workers=2) as pool:  # the parent mostly waits: two kills at a time
        verdict_list = list(pool.map(kill_once, enumerate(kills_to_make, start=1)))
    verdicts: Counter = Counter(v.split(":")[0] for v in verdict_list)
    problems = [f"{k}: {v}" for k, v in zip(kills_to_make, verdict_list) if v.startswith("corrupt")]
    kills = len(points) + len(delays)
    print(f"\n[{job}] {kills} kills ({len(points)} at fsync/replace/temp-file steps, {len(delays)} timed over "
          f"{duration:.2f} s): {verdicts['old']} left the old workbook, {verdicts['new']} the complete new one, "
          f"{verdicts['corrupt']} corrupted or half-written")
    assert not problems, problems
    assert verdicts["old"] and verdicts["new"]  # the kills did land on both sides of the swap
    assert kills >= (50 if job != "save_workbook" else 20)


def test_writing_refuses_while_excel_or_libreoffice_holds_the_workbook(tmp_path):
    target = tmp_path / "store.xlsx"
    shutil.copy(sample("store.xlsx"), target)
    before = hashlib.sha256(target.read_bytes()).digest()
    for lock in (tmp_path / "~$store.xlsx", tmp_path / ".~lock.store.xlsx#"):
        lock.write_bytes(b"locked")
        with pytest.raises(WorkbookLocked, match=lock.name.replace("$", r"\$")):
            atomic_write(target, lambda tmp: shutil.copy(sample("store.xlsx"), tmp))
        lock.unlink()
    assert hashlib.sha256(target.read_bytes()).digest() == before
    assert not (tmp_path / BACKUP_DIR).exists() or not list((tmp_path / BACKUP_DIR).iterdir())


def test_calls_import_refuses_while_the_store_is_open_in_excel(tmp_path, filled_list, store_bytes, capsys):
    from insurance_xl.cli import main

    folder = _folder(tmp_path, 0, filled_list, store_bytes)
    (folder / "~$store.xlsx").write_bytes(b"locked")
    before = (folder / "store.xlsx").read_bytes()
    assert main(["calls", "import", str(folder / "filled.xlsx"), "--into", str(folder / "store.xlsx")]) == 2
    assert "~$store.xlsx" in capsys.readouterr().err
    assert (folder / "store.xlsx").read_bytes() == before
