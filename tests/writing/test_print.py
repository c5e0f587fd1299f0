"""Outputs people print (issue 20): rendered by LibreOffice to PDF, no sheet we write is wider than one
page. Each sheet's first rows are printed on their own (a print area over them): a sheet that fits
one page wide gives exactly one page, a sheet cut in two or three gives two or three."""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from insurance_xl import cli

from tests.conftest import sample

ROOT = Path(__file__).resolve().parents[2]
FIRST_ROWS = 20  # few enough for one page tall on A4 landscape


def run(*args: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(list(args)) in (cli.EXIT_OK, cli.EXIT_DATA_ERRORS), args


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def first_rows_only(source: Path, target: Path) -> list[str]:
    """A copy of `source` printing only each sheet's first rows; returns the sheets that print."""
    wb = load_workbook(source)
    printed = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible" or ws.max_row == 1 and ws.max_column == 1 and ws["A1"].value is None:
            continue
        ws.print_area = f"A1:{get_column_letter(ws.max_column)}{min(ws.max_row, FIRST_ROWS)}"
        printed.append(ws.title)
    wb.save(target)
    return printed


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """Every workbook the command line writes from the sample store, and the packaged ones."""
    out = tmp_path_factory.mktemp("outputs")
    store, settings = str(sample("store.xlsx")), str(sample("settings.toml"))
    common = ("--settings", settings, "--as-of", "2026-11-24")
    run("report", store, *common, "--month", "2026-10", "--out", str(out / "report.xlsx"))
    run("overdue", store, *common, "--out", str(out / "overdue.xlsx"))
    run("calls", store, *common, "--out", str(out / "calls.xlsx"))
    run("reconcile", store, *common, "--month", "2026-10", "--insurer", "人保财险", "--statement",
        str(sample("statement.xlsx")), "--out", str(out / "reconcile.xlsx"))
    run("region", str(out / "report.xlsx"), "--month", "2026-10", "--out", str(out / "region.xlsx"))
    books = {p.stem: p for p in out.glob("*.xlsx") if not p.stem.startswith("calls-")}
    books["calls"] = min(out.glob("calls-*.xlsx"))  # one clerk's: every clerk's book is laid out alike
    # the registers and 设置 as the templates have them too (writing.template_books and build share print_ready)
    books["insurance.xlsm"] = ROOT / "workbook" / "insurance.xlsm"
    return books


@pytest.mark.libreoffice
def test_no_sheet_we_write_prints_wider_than_one_page(outputs, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        print("skipping: LibreOffice (soffice) is not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    kinds = {name.split("-")[0] for name in outputs}
    assert {"report", "overdue", "calls", "reconcile", "region", "insurance.xlsm"} <= kinds
    # LibreOffice prints a whole workbook into one PDF: each sheet gets a copy of its own
    singles: dict[str, Path] = {}
    for name, source in outputs.items():
        for sheet in load_workbook(source, read_only=True).sheetnames:
            book = tmp_path / f"{len(singles):03d}.xlsx"
            if sheet not in first_rows_only(source, book):
                continue
            wb = load_workbook(book)
            for other in [ws for ws in wb.worksheets if ws.title != sheet]:
                wb.remove(other)
            wb.save(book)
            singles[f"{name}!{sheet}"] = book
    pages = render(soffice, list(singles.values()), tmp_path / "pdf")
    wide = {where: pages[book.stem] for where, book in singles.items() if pages[book.stem] != 1}
    assert not wide, wide


def render(soffice: str, books: list[Path], out_dir: Path) -> dict[str, int]:
    """Each book through LibreOffice to PDF (one process for all): its page count, by file stem."""
    profile = Path("/tmp") / f"insurance-xl-lo-{uuid.uuid4().hex}"
    try:
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out_dir), *map(str, books)], check=True, capture_output=True, timeout=600,
                       env={**os.environ, "HOME": str(profile)})
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return {book.stem: pdf_pages((out_dir / f"{book.stem}.pdf").read_bytes()) for book in books}


def test_list_columns_are_wide_enough_for_what_they_hold(outputs):
    """Below a list's frozen header, no cell's text is wider than its column (50 at most): a 保单号 or a
    customer's name is never cut when printed."""
    from openpyxl.utils.cell import coordinate_from_string

    narrow = []
    for name in ("reconcile", "overdue", "calls"):
        wb = load_workbook(outputs[name])
        for ws in wb.worksheets:
            if not ws.freeze_panes:
                continue
            header = coordinate_from_string(ws.freeze_panes)[1] - 1
            for row in ws.iter_rows(min_row=header, max_row=min(ws.max_row, header + 300)):
                if all(c.value is None for c in row):
                    break  # the list ends here (totals and signature lines below are not list columns)
                for cell in row:
                    if cell.value is None or isinstance(cell.value, (int, float)) or hasattr(cell.value, "year"):
                        continue
                    text = str(cell.value)
                    need = min(50, len(text) + sum(1 for ch in text if ord(ch) >= 0x2E80))
                    width = ws.column_dimensions[get_column_letter(cell.column)].width
                    if width < need:
                        narrow.append(f"{name}!{ws.title}!{cell.coordinate} {text!r} needs {need}, has {width}")
    assert not narrow, narrow[:10]
