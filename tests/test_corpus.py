"""Every command on every damaged or hostile workbook ends with a result or a one-line message:
no traceback, no hang, no unbounded memory (issue 10, ARCHITECTURE.md "Files we touch").

The full corpus (≥ 500 files) is marked slow; a fixed sample of it runs in `make test`, the whole of it in `make test-slow` (.ci/run). Counts are
printed (run pytest with -s to see them, `.ci/run` shows them in the log of a failure).
"""
from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import main
from insurance_xl.errors import WorkbookUnreadable
from insurance_xl.reading.store import read_store
from insurance_xl.registers import OUTCOMES

from tests.conftest import sample
from tests.corpus import Case, build, corpus, parts_of, trimmed, with_shared_strings
from tests.corpus_run import AS_OF, Fixtures, command_label, run_corpus, store_commands, summary

DATA = Path(__file__).parent / "data"


def _encrypted(plain: bytes) -> bytes | None:
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        return None
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt("密码123", out)
    return out.getvalue()


@pytest.fixture(scope="session")
def bases(tmp_path_factory) -> dict[str, tuple[bytes, int]]:
    """Sound stores the mutations start from, with how many variants of each random family to make:
    a trimmed sample store (fast to run every command on), the same with a shared-strings table as
    Excel writes it, the sample store with planted errors, the whole sample store, and a small demo
    store once the demo module is on main."""
    full = sample("store.xlsx").read_bytes()
    small = trimmed(full, 25)
    found = {"small.xlsx": (small, 8), "sst.xlsx": (with_shared_strings(small), 8),
             "errors.xlsx": (trimmed(sample("store_errors.xlsx").read_bytes(), 80), 3),
             # the whole store, for the damage whose effect grows with size
             "sample.xlsx": (full, 2, ("truncated", "zip-bitflip", "xml-bitflip", "far-cell"))}
    try:
        from insurance_xl.demo.store import write_demo_store
    except ImportError:
        return found
    folder = tmp_path_factory.mktemp("demo")
    written = write_demo_store(folder, seed=11, vehicles=40, as_of=dt.date(2026, 11, 24))
    found["demo.xlsx"] = (trimmed(next(p for p in written if p.name == "store.xlsx").read_bytes(), 30), 2)
    return found


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory, bases) -> Fixtures:
    """The sound files commands need beside a corpus file: the small store, a call list of the sample
    store filled in by a clerk, the sample statement and settings."""
    root = tmp_path_factory.mktemp("fixtures")
    store = root / "store.xlsx"
    store.write_bytes(bases["small.xlsx"][0])
    lists = root / "lists"
    settings = sample("settings.toml")
    assert main(["calls", str(sample("store.xlsx")), "--settings", str(settings), "--as-of", AS_OF, "--out", str(lists)]) == 0
    filled = sorted(lists.glob("*.xlsx"))[0]
    wb = load_workbook(filled)
    for ws in wb.worksheets:
        headers = [c.value for c in ws[3]]
        if ws.max_row >= 4 and "结果" in headers:
            ws.cell(row=4, column=headers.index("结果") + 1, value=OUTCOMES[0])
    wb.save(filled)
    return Fixtures(good_store=store, filled=filled, statement=sample("statement.xlsx"), settings=settings)


@pytest.fixture(scope="session")
def cases(bases) -> list[Case]:
    small = bases["small.xlsx"][0]
    big = build([(i.filename, x) for i, x in parts_of(small)] + [("xl/media/image1.png", random.Random(3).randbytes(6 << 20))])
    encrypted = _encrypted(small)
    built = corpus(bases, seed=2026, encrypted=encrypted, legacy_xls=(DATA / "legacy.xls").read_bytes())
    if encrypted:  # a large encrypted workbook: the container's directory can sit past the first megabytes
        built.append(Case("encrypted-big.xlsx", "hostile", _encrypted(big)))
    return built


def test_the_corpus_holds_every_family_and_at_least_500_files(cases):
    families = {c.family for c in cases}
    assert {"truncated", "zip-bitflip", "xml-bitflip", "missing-part", "content-type", "sst-range", "merge",
            "dimension", "far-cell", "cell-values", "control-chars", "sheet-structure", "hostile"} <= families
    assert len(cases) >= 500
    names = {c.name for c in cases}
    for hostile in ("billion-laughs-sheet.xlsx", "zip-bomb-declared.xlsx", "zip-bomb-lying-header.xlsx",
                    "csv-renamed.xlsx", "legacy.xls", "empty.xlsx"):
        assert hostile in names
    if "encrypted.xlsx" not in names:
        pytest.skip("msoffcrypto-tool not installed: the encrypted file is left out of the corpus")


def _run(cases, tmp_path, fixtures, label):
    start = time.perf_counter()
    outcomes = run_corpus(cases, tmp_path, fixtures, jobs=2, timeout=90)
    text = summary(outcomes, len(cases), time.perf_counter() - start)
    print(f"\n[{label}] {text}")
    crashes = [o for o in outcomes if o.status == "crash"]
    assert not crashes, "\n\n".join(f"{o.case} · {o.command}:\n{o.detail}" for o in crashes[:8])
    assert {o.case for o in outcomes} == {c.name for c in cases}  # every file ran to an outcome
    return outcomes


def fast_sample(cases: list[Case]) -> list[Case]:
    """Every hand-made hostile file and the first case of every family made from the small store."""
    seen: set[str] = set()
    picked = []
    for case in cases:
        if case.family == "hostile" or (case.base == "small" and case.family not in seen):
            picked.append(case)
            seen.add(case.family)
    return picked


def test_every_command_on_a_sample_of_the_corpus_ends_cleanly(cases, tmp_path, fixtures):
    outcomes = _run(fast_sample(cases), tmp_path, fixtures, "fast sample")
    assert {o.command for o in outcomes} >= {command_label(t) for t in store_commands()}  # every command ran
    by_case = {o.case: o for o in outcomes if o.command.startswith("read_store")}
    for name, reason in (("billion-laughs-sheet.xlsx", "DTD"), ("zip-bomb-declared.xlsx", "压缩炸弹"),
                         ("zip-bomb-lying-header.xlsx", "压缩炸弹"), ("csv-renamed.xlsx", "不是 xlsx"),
                         ("legacy.xls", ".xls"), ("empty.xlsx", "为空"), ("legacy-renamed.xlsx", ".xls"),
                         ("encrypted.xlsx", "加密"), ("encrypted-big.xlsx", "加密")):
        if name in by_case:
            assert by_case[name].status == "clean" and reason in by_case[name].detail, by_case[name]


@pytest.mark.slow
@pytest.mark.timeout(3600)  # ~500 files × every command; the figure is printed
def test_every_command_on_the_whole_corpus_ends_cleanly(cases, tmp_path, fixtures):
    outcomes = _run(cases, tmp_path, fixtures, "whole corpus")
    assert len({o.case for o in outcomes}) >= 500


def test_a_sample_through_the_real_command_line_prints_one_line_and_no_traceback(cases, tmp_path, fixtures):
    """The same bars through `python -m insurance_xl` in a subprocess (no DEBUG), memory capped."""
    picked = [c for c in cases if c.name in {"billion-laughs-sheet.xlsx", "zip-bomb-lying-header.xlsx", "csv-renamed.xlsx",
                                               "legacy-renamed.xlsx", "empty.xlsx"}]
    picked += [c for c in cases if c.family in ("far-cell", "cell-values", "xml-bitflip")][:6]

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    env = {k: v for k, v in os.environ.items() if k != "INSURANCE_XL_DEBUG"}
    ran = 0
    for case in picked:
        path = tmp_path / case.name
        path.write_bytes(case.data)
        for command in (["overdue", str(path), "--json"], ["calls", str(path), "--json"]):
            done = subprocess.run([sys.executable, "-m", "insurance_xl", *command, "--settings", str(fixtures.settings),
                                   "--as-of", AS_OF], capture_output=True, text=True, timeout=120, preexec_fn=cap,
                                  env=env, cwd=tmp_path)
            ran += 1
            assert "Traceback" not in done.stderr, (case.name, done.stderr)
            assert done.returncode in (0, 1, 2), (case.name, done.returncode, done.stderr)
            if done.returncode == 2:
                assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("insurance-xl: "), done.stderr
    assert ran >= 20


# ---- the rules at the reading boundary, one by one ---------------------------------------------

def _case(cases, name) -> Case:
    return next(c for c in cases if c.name == name)


def test_a_stray_value_in_the_last_cell_of_the_grid_is_refused_naming_sheet_and_cell(tmp_path, bases):
    from tests.corpus import add_rows, edit_part, sheet_parts

    first = sheet_parts(bases["small.xlsx"][0])[0]
    path = tmp_path / "far.xlsx"
    path.write_bytes(edit_part(bases["small.xlsx"][0], first, lambda xml: add_rows(
        xml, b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')))
    with pytest.raises(WorkbookUnreadable, match="XFD1048576") as info:
        read_store(path)
    assert info.value.sheet == "新车销售明细"


def test_a_stray_value_far_right_in_a_short_sheet_is_read_quickly(tmp_path, bases):
    """16,384 columns × 25 rows is a small grid: read, not refused, and without per-column work."""
    from tests.corpus import edit_part, sheet_parts

    first = sheet_parts(bases["small.xlsx"][0])[0]
    path = tmp_path / "wide.xlsx"
    path.write_bytes(edit_part(bases["small.xlsx"][0], first, lambda xml: xml.replace(
        b'<row r="1">', b'<row r="1"><c r="XFD1"><v>1</v></c>', 1)))
    start = time.perf_counter()
    registers = read_store(path)
    assert time.perf_counter() - start < 20
    assert len(registers["sales"]) == len(read_store(_write(tmp_path, bases))["sales"])


def _write(tmp_path, bases) -> Path:
    path = tmp_path / "plain.xlsx"
    path.write_bytes(bases["small.xlsx"][0])
    return path


def test_an_empty_styled_cell_far_away_is_not_a_reason_to_refuse(tmp_path, bases):
    from tests.corpus import add_rows, edit_part, sheet_parts

    first = sheet_parts(bases["small.xlsx"][0])[0]
    path = tmp_path / "styled.xlsx"
    path.write_bytes(edit_part(bases["small.xlsx"][0], first, lambda xml: add_rows(
        xml, b'<row r="1048576"><c r="XFD1048576" s="0"/></row>')))
    assert len(read_store(path)["sales"]) > 0


def test_cells_placed_without_references_are_measured_too(tmp_path, bases):
    """A row far down followed by cells without r: the reader places them itself."""
    from tests.corpus import add_rows, edit_part, sheet_parts

    first = sheet_parts(bases["small.xlsx"][0])[0]
    path = tmp_path / "implicit.xlsx"
    path.write_bytes(edit_part(bases["small.xlsx"][0], first, lambda xml: add_rows(
        xml, b'<row r="3"><c r="XFD3"><v>1</v></c></row><row r="1048000"><c><v>1</v></c></row>')))
    with pytest.raises(WorkbookUnreadable, match="表格范围过大"):
        read_store(path)


def test_a_zip_header_that_lies_about_the_size_is_refused(cases, tmp_path):
    path = tmp_path / "lying.xlsx"
    path.write_bytes(_case(cases, "zip-bomb-lying-small.xlsx").data)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # the lie passes the zip format's own checks
    with pytest.raises(WorkbookUnreadable, match="与声明不符"):
        read_store(path)


def test_a_real_encrypted_workbook_is_refused_as_encrypted(cases, tmp_path):
    for name in ("encrypted.xlsx", "encrypted-big.xlsx"):
        if not any(c.name == name for c in cases):
            pytest.skip("msoffcrypto-tool not installed")
        path = tmp_path / name
        path.write_bytes(_case(cases, name).data)
        with pytest.raises(WorkbookUnreadable, match="加密"):
            read_store(path)


def test_a_folder_holding_a_hostile_file_names_that_file(cases, tmp_path, bases):
    shutil.copy(_write(tmp_path, bases), tmp_path / "good.xlsx")
    (tmp_path / "plain.xlsx").unlink()
    (tmp_path / "bomb.xlsx").write_bytes(_case(cases, "zip-bomb-declared.xlsx").data)
    with pytest.raises(WorkbookUnreadable, match="bomb.xlsx"):
        read_store(tmp_path)


# ---- crashes the corpus found, kept as plain regression tests -----------------------------------

def test_a_number_too_large_for_a_count_or_the_fen_is_a_finding(tmp_path):
    from tests.conftest import make_workbook

    path = make_workbook(tmp_path / "x.xlsx", {"旧件交接统计表": [["报案号", "旧件名称", "数量", "处理方式"],
                                                              ["BA1", "保险杠", 1.7976931348623157e308, "保险公司回收"],
                                                              ["BA2", "大灯", 9.3e18, "保险公司回收"], ["BA3", "尾灯", 2, "保险公司回收"]]})
    registers = read_store(path)
    assert registers["old_parts"]["qty"].tolist()[2] == 2
    assert registers["old_parts"]["qty"].isna().tolist() == [True, True, False]
    assert {(f.location.row, f.rule) for f in registers.findings} == {(2, "read.not_an_integer"), (3, "read.not_an_integer")}


def test_calls_import_into_a_damaged_workbook_is_one_clean_line(cases, tmp_path, fixtures, capsys):
    from tests.corpus import edit

    for name, change in (("no-rels.xlsx", lambda part, xml: None if part == "xl/_rels/workbook.xml.rels" else xml),
                         ("no-sheets.xlsx", lambda part, xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", xml, flags=re.S)
                          if part == "xl/workbook.xml" else xml)):
        path = tmp_path / name
        path.write_bytes(edit(fixtures.good_store.read_bytes(), change))
        before = path.read_bytes()
        code = main(["calls", "import", str(fixtures.filled), "--into", str(path)])
        err = capsys.readouterr().err
        assert code in (0, 1, 2), err  # 3 is an internal error
        if code == 2:
            assert err.startswith("insurance-xl: ") and len(err.strip().splitlines()) == 1, err
            assert path.read_bytes() == before
