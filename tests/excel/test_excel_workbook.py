"""workbook/insurance.xlsm: generated from the declarations, reproducible, its buttons wired to Python."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlwings
from openpyxl import load_workbook

from insurance_xl.excel import macros
from insurance_xl.excel.build import TARGET, build_workbook, read_modules
from insurance_xl.outputs import BOARD_SHEET, CONF_SHEET
from insurance_xl.excel.layout import BUTTONS, CONF_ROWS, INPUTS
from insurance_xl.reading.store import read_store
from insurance_xl.registers import DATA_REGISTERS, REGISTERS

from tests.conftest import ROOT
from tests.writing.test_templates import check_template

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # oletools' use of pyparsing

RUN_PYTHON = re.compile(r'RunPython\s+"import insurance_xl\.excel\.macros as m; m\.([a-z_]+)\(\)"')


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("wb") / "insurance.xlsm")


@pytest.fixture(scope="module")
def loaded(built):
    return load_workbook(built)


def vba_modules(path: Path) -> dict[str, str]:
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def without_attributes(source: str) -> str:
    return "\n".join(line for line in source.replace("\r\n", "\n").split("\n")
                     if not line.startswith("Attribute ")).strip()


def test_committed_workbook_is_what_make_workbook_builds_now(built):
    assert TARGET.exists(), "run: make workbook"
    with zipfile.ZipFile(TARGET) as committed, zipfile.ZipFile(built) as fresh:
        assert committed.namelist() == fresh.namelist(), "run: make workbook"
        for name in fresh.namelist():
            assert committed.read(name) == fresh.read(name), f"{name} differs: run make workbook"


def test_building_twice_gives_the_same_bytes(built, tmp_path):
    # another process, another hash seed: set iteration order must not leak into the file
    again = tmp_path / "again.xlsm"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "insurance_xl.excel.build", str(again)], check=True, cwd=ROOT, env=env,
                   capture_output=True)
    assert again.read_bytes() == built.read_bytes()


def test_every_button_runs_one_python_entry_point_that_exists(built):
    modules = vba_modules(built)
    ours = without_attributes(modules["InsuranceXl"])
    assert ours == without_attributes(read_modules(ROOT / "macros")["InsuranceXl"])
    called = set()
    for button in BUTTONS:
        body = re.search(rf"Sub {button.macro}\(\)\n(.*?)\nEnd Sub", ours, re.S)
        assert body, f"no Sub {button.macro} in macros/InsuranceXl.bas"
        lines = [line.strip() for line in body[1].splitlines() if line.strip() and not line.strip().startswith("'")]
        assert len(lines) == 1, f"{button.macro}: one RunPython line, got {lines}"
        function = RUN_PYTHON.fullmatch(lines[0])
        assert function, lines[0]
        assert callable(getattr(macros, function[1], None)), f"macros.{function[1]} does not exist"
        called.add(function[1])
    assert called == {"refresh_kpis", "validate", "flag_overdue", "renewal_calls", "reconcile", "monthly_report",
                      "case_tracking", "check_environment"}


def test_vba_project_is_the_pinned_xlwings_release_without_its_sample_macro(built):
    modules = vba_modules(built)
    assert f"'Version: {xlwings.__version__}" in modules["xlwings"]
    assert "Function RunPython(" in modules["xlwings"]
    assert "SampleCall" not in "".join(modules.values())
    with zipfile.ZipFile(built) as archive:
        types = archive.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        vml = archive.read("xl/drawings/vmlDrawing1.vml").decode()
    assert re.findall(r"<x:FmlaMacro>\[0\]!(\w+)</x:FmlaMacro>", vml) == [b.macro for b in BUTTONS]
    for button in BUTTONS:
        assert f">{button.caption}</font>" in vml


def test_register_sheets_are_tables_with_the_declared_headers_formats_and_dropdowns(loaded):
    wb = loaded
    names = wb.sheetnames
    assert names[0] == BOARD_SHEET and names[-2:] == [REGISTERS["settings"].sheet, CONF_SHEET]
    assert names[1:-2] == [REGISTERS[k].sheet for k in DATA_REGISTERS]
    for key in DATA_REGISTERS:
        check_template(wb, key)
    board = wb[BOARD_SHEET]
    for item in INPUTS:
        assert board[f"A{item.row}"].value == item.label and board[item.cell].value is None


def test_conf_sheet_lets_runpython_find_the_interpreter_and_the_package(loaded):
    conf = loaded[CONF_SHEET]
    rows = [(conf.cell(row=i, column=1).value, conf.cell(row=i, column=2).value) for i in range(1, len(CONF_ROWS) + 2)]
    assert rows[-1][0] is None, "the settings end at the first empty A cell"
    settings = {k.upper(): v for k, v in rows[:-1]}
    assert "INTERPRETER_WIN" not in settings and "INTERPRETER_MAC" not in settings  # each PC's own (issue 20)
    assert settings["ADD_WORKBOOK_TO_PYTHONPATH"] == "false"
    assert all(isinstance(settings[k], bool) for k in ("USE UDF SERVER", "SHOW CONSOLE", "DEBUG UDFS"))
    assert settings["UDF MODULES"] == "insurance_xl.excel.udfs"
    assert "LICENSE_KEY" not in settings  # nothing at run time depends on a licence
    __import__(settings["UDF MODULES"])


def test_built_workbook_reads_as_an_empty_store(built):
    registers = read_store(built)
    assert registers.missing == () and registers.findings == [] and registers.unrecognised == []
    assert all(len(registers[k]) == 0 for k in DATA_REGISTERS)


@pytest.mark.libreoffice
def test_libreoffice_opens_it_with_every_sheet_and_every_button_bound_to_its_macro(built, loaded, tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    subprocess.run([soffice, profile, "--headless", "--convert-to", "ods", "--outdir", str(tmp_path), str(built)],
                   check=True, capture_output=True, timeout=180)
    with zipfile.ZipFile(tmp_path / "insurance.ods") as ods:
        content = ods.read("content.xml").decode()
    sheets = re.findall(r'<table:table table:name="([^"]+)"', content)
    assert sheets == loaded.sheetnames
    labels = re.findall(r'<form:button [^>]*form:label="([^"]+)"', content)
    assert labels == [b.caption for b in BUTTONS]
    bound = re.findall(r"vnd\.sun\.star\.script:VBAProject\.InsuranceXl\.(\w+)\?", content)
    assert bound == [b.macro for b in BUTTONS]
